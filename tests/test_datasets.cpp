// tests/test_datasets.cpp — the synthetic data sets: their columns, their geometry, and
// the same rows for the same seed.
#define BOOST_TEST_MODULE datasets
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <numbers>

#include "tapegrad/nn/datasets.hpp"

using namespace tapegrad::nn;

BOOST_AUTO_TEST_CASE(moons_without_noise_lie_on_their_half_circles) {
    const SyntheticData d = make_dataset(DatasetKind::moons, 100, 0.0, 1);
    BOOST_TEST((d.columns == std::vector<std::string>{"x1", "x2", "label"}));
    BOOST_TEST(d.values.rows() == 100);
    for (int i = 0; i < 100; ++i) {
        const double x1 = d.values(i, 0), x2 = d.values(i, 1), label = d.values(i, 2);
        BOOST_TEST(label == i % 2);
        const double cx = label == 0 ? 0.0 : 1.0, cy = label == 0 ? 0.0 : 0.5;  // each moon's centre
        BOOST_TEST(std::abs(std::hypot(x1 - cx, x2 - cy) - 1.0) < 1e-12);
        BOOST_TEST((label == 0 ? x2 >= 0 : x2 <= 0.5));
    }
}

BOOST_AUTO_TEST_CASE(circles_without_noise_have_radius_one_and_a_half) {
    const SyntheticData d = make_dataset(DatasetKind::circles, 50, 0.0, 3);
    for (int i = 0; i < 50; ++i)
        BOOST_TEST(std::abs(std::hypot(d.values(i, 0), d.values(i, 1)) - (i % 2 ? 0.5 : 1.0)) < 1e-12);
}

BOOST_AUTO_TEST_CASE(friedman1_follows_its_formula) {
    const SyntheticData d = make_dataset(DatasetKind::friedman1, 200, 0.0, 5);
    BOOST_TEST(d.columns.size() == 11u);
    BOOST_TEST(d.columns.back() == "y");
    for (int i = 0; i < 200; ++i) {
        const auto x = d.values.row(i);
        BOOST_TEST(x.head(10).minCoeff() >= 0.0);
        BOOST_TEST(x.head(10).maxCoeff() < 1.0);
        const double y =
            10 * std::sin(std::numbers::pi * x(0) * x(1)) + 20 * std::pow(x(2) - 0.5, 2) + 10 * x(3) + 5 * x(4);
        BOOST_TEST(std::abs(x(10) - y) < 1e-12);
    }
}

BOOST_AUTO_TEST_CASE(noise_has_the_stated_size) {
    const SyntheticData clean = make_dataset(DatasetKind::friedman1, 20000, 0.0, 9);
    const SyntheticData noisy = make_dataset(DatasetKind::friedman1, 20000, 2.0, 9);
    // The same seed draws the same features; only the noise differs (one more draw per row
    // shifts the stream, so compare statistics, not rows).
    const Eigen::VectorXd y = noisy.values.col(10);
    Eigen::VectorXd truth(20000);
    for (int i = 0; i < 20000; ++i) {
        const auto x = noisy.values.row(i);
        truth(i) = 10 * std::sin(std::numbers::pi * x(0) * x(1)) + 20 * std::pow(x(2) - 0.5, 2) + 10 * x(3) + 5 * x(4);
    }
    const Eigen::VectorXd e = y - truth;
    const double sd = std::sqrt((e.array() - e.mean()).square().mean());
    BOOST_TEST(std::abs(e.mean()) < 0.05);
    BOOST_TEST(std::abs(sd - 2.0) < 0.05);
    BOOST_TEST(clean.values.rows() == 20000);
}

BOOST_AUTO_TEST_CASE(same_seed_same_rows_other_seed_other_rows) {
    const auto a = make_dataset(DatasetKind::moons, 30, 0.1, 7), b = make_dataset(DatasetKind::moons, 30, 0.1, 7);
    const auto c = make_dataset(DatasetKind::moons, 30, 0.1, 8);
    BOOST_TEST((a.values == b.values));
    BOOST_TEST((a.values != c.values));
}

BOOST_AUTO_TEST_CASE(bad_settings_are_refused) {
    BOOST_CHECK_THROW(make_dataset(DatasetKind::moons, 0, 0.1, 1), std::invalid_argument);
    BOOST_CHECK_THROW(make_dataset(DatasetKind::moons, 10, -1, 1), std::invalid_argument);
    BOOST_TEST((parse_dataset("friedman1") == DatasetKind::friedman1));
    BOOST_TEST(!parse_dataset("iris"));
}
