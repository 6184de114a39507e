// tests/test_parameters.cpp — names, order and the article's random start.
#define BOOST_TEST_MODULE parameters
#include <boost/test/unit_test.hpp>

#include "tapegrad/nn/parameters.hpp"

using namespace tapegrad::nn;

BOOST_AUTO_TEST_CASE(names_follow_the_article) {
    BOOST_TEST(parameter_count == 11u);
    BOOST_TEST(parameter_names[w1] == "w1");
    BOOST_TEST(parameter_names[w8] == "w8");
    BOOST_TEST(parameter_names[b1] == "b1");
    BOOST_TEST(parameter_names[b3] == "b3");
}

BOOST_AUTO_TEST_CASE(initial_weights_uniform_in_the_article_range_biases_zero) {
    for (std::uint64_t seed : {1u, 2u, 42u, 1234u}) {
        const Parameters p = initial_parameters(seed);
        for (std::size_t i = w1; i <= w8; ++i) {
            BOOST_TEST(p[i] >= 0.1);
            BOOST_TEST(p[i] < 0.9);
        }
        BOOST_TEST(p[b1] == 0.0);
        BOOST_TEST(p[b2] == 0.0);
        BOOST_TEST(p[b3] == 0.0);
    }
}

BOOST_AUTO_TEST_CASE(a_seed_gives_the_same_start_and_seeds_differ) {
    BOOST_TEST((initial_parameters(7) == initial_parameters(7)));
    BOOST_TEST(!(initial_parameters(7) == initial_parameters(8)));
}

BOOST_AUTO_TEST_CASE(start_for_seed_1_is_pinned) {
    // mt19937_64 is specified exactly by the standard, so this holds on every platform:
    // its first output for seed 1 is 2469588189546311528, giving w1 = 0.1 + 0.8 * that / 2^64.
    const Parameters p = initial_parameters(1);
    BOOST_TEST(std::abs(p[w1] - (0.1 + 0.8 * static_cast<double>(2469588189546311528ull >> 11) * 0x1p-53)) < 1e-15);
}

BOOST_AUTO_TEST_CASE(printing_names_every_parameter) {
    Parameters p;
    p[w7] = 0.25;
    const std::string s = p.to_string();
    BOOST_TEST(s.find("w7 = 0.25") != std::string::npos, s);
    BOOST_TEST(s.find("b3 = 0") != std::string::npos, s);
}

BOOST_AUTO_TEST_CASE(largest_relative_difference_is_taken_against_the_second) {
    Parameters a, b;
    for (std::size_t k = 0; k < parameter_count; ++k) a[k] = b[k] = 1.0 + static_cast<double>(k);
    BOOST_TEST(largest_relative_difference(a, b) == 0.0);
    a[w3] = 3.3;  // b[w3] = 3: 10 % off
    a[b3] = 11.0 + 0.011;
    BOOST_TEST(largest_relative_difference(a, b) == 0.1, boost::test_tools::tolerance(1e-12));
    b[w1] = 0.0;  // a reference of 0: any difference is huge
    BOOST_TEST(largest_relative_difference(a, b) > 1e299);
}
