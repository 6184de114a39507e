// tests/test_scaler.cpp — min-max with the article's fixed bounds, and standardisation.
#define BOOST_TEST_MODULE scaler
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <stdexcept>

#include "tapegrad/nn/data.hpp"
#include "tapegrad/nn/scaler.hpp"

using tapegrad::nn::Scaler;

BOOST_AUTO_TEST_CASE(article_min_max_divides_by_the_fixed_bounds) {
    const auto d = tapegrad::nn::article_people();
    const Eigen::MatrixXd x = Scaler::article_min_max().transform(d.features);
    BOOST_TEST(x(0, 0) == 60.0 / 101.0);  // (age - 0) / (101 - 0)
    BOOST_TEST(x(4, 0) == 90.0 / 101.0);
    BOOST_TEST(x(0, 1) == 8.0 / 11.0);
    BOOST_TEST(x(5, 2) == 7.0 / 11.0);
    BOOST_TEST(Scaler::article_min_max().name() == "minmax");
}

BOOST_AUTO_TEST_CASE(min_max_bounds_come_from_the_caller_not_the_data) {
    Eigen::RowVectorXd lo(2), hi(2);
    lo << 10, -1;
    hi << 20, 1;
    Eigen::MatrixXd raw(2, 2);
    raw << 15, 0, 30, -1;
    const Eigen::MatrixXd x = Scaler::min_max(lo, hi).transform(raw);
    BOOST_TEST(x(0, 0) == 0.5);
    BOOST_TEST(x(1, 0) == 2.0);  // outside the bounds: outside 0..1, not clipped
    BOOST_TEST(x(0, 1) == 0.5);
    BOOST_TEST(x(1, 1) == 0.0);
}

BOOST_AUTO_TEST_CASE(standard_scaler_uses_mean_and_population_standard_deviation) {
    const auto d = tapegrad::nn::article_people();
    const Scaler s = Scaler::standard(d.features);
    // ages 60, 63, 17, 35, 90, 10: mean 275/6; variance sum((a - mean)^2) / 6 (numpy's np.std)
    const double mean = 275.0 / 6.0;
    double var = 0;
    for (double a : {60.0, 63.0, 17.0, 35.0, 90.0, 10.0}) var += (a - mean) * (a - mean);
    var /= 6;
    BOOST_TEST(std::abs(s.offset()(0) - mean) < 1e-12);
    BOOST_TEST(std::abs(s.scale()(0) - std::sqrt(var)) < 1e-12);
    const Eigen::MatrixXd x = s.transform(d.features);
    for (int j = 0; j < 3; ++j) {
        BOOST_TEST(std::abs(x.col(j).mean()) < 1e-12);
        BOOST_TEST(std::abs(x.col(j).squaredNorm() / 6 - 1.0) < 1e-12);
    }
    BOOST_TEST(s.name() == "standard");
}

BOOST_AUTO_TEST_CASE(bad_scalers_are_refused) {
    Eigen::RowVectorXd lo(1), hi(1);
    lo << 5;
    hi << 5;
    BOOST_CHECK_THROW(Scaler::min_max(lo, hi), std::invalid_argument);
    Eigen::MatrixXd constant = Eigen::MatrixXd::Ones(4, 2);
    BOOST_CHECK_THROW(Scaler::standard(constant), std::invalid_argument);
    BOOST_CHECK_THROW(Scaler::article_min_max().transform(Eigen::MatrixXd::Ones(2, 2)), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(affine_scaler_from_its_parts) {
    // "none" (offset 0, scale 1) leaves every number as it is, bit for bit; a model file's
    // offset and scale rebuild exactly the scaler that was saved.
    Eigen::MatrixXd raw(2, 2);
    raw << 0.1, -3e7, 1.0 / 3, 2.5;
    const Scaler none = Scaler::affine("none", Eigen::RowVectorXd::Zero(2), Eigen::RowVectorXd::Ones(2));
    BOOST_TEST((none.transform(raw) == raw));
    BOOST_TEST(none.name() == "none");
    const Scaler fitted = Scaler::standard(raw);
    const Scaler rebuilt = Scaler::affine(fitted.name(), fitted.offset(), fitted.scale());
    BOOST_TEST((rebuilt.transform(raw) == fitted.transform(raw)));
    Eigen::RowVectorXd zero(2), nan(2);
    zero << 1, 0;
    nan << 1, std::nan("");
    BOOST_CHECK_THROW(Scaler::affine("x", Eigen::RowVectorXd::Zero(2), zero), std::invalid_argument);
    BOOST_CHECK_THROW(Scaler::affine("x", nan, Eigen::RowVectorXd::Ones(2)), std::invalid_argument);
    BOOST_CHECK_THROW(Scaler::affine("x", Eigen::RowVectorXd::Zero(3), Eigen::RowVectorXd::Ones(2)),
                      std::invalid_argument);
}
