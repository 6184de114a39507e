// tests/test_data.cpp — the article's six people are built in exactly.
#define BOOST_TEST_MODULE data
#include <boost/test/unit_test.hpp>

#include "tapegrad/nn/data.hpp"

BOOST_AUTO_TEST_CASE(six_people_with_three_features_and_a_score) {
    const auto d = tapegrad::nn::article_people();
    BOOST_TEST(d.people() == 6);
    BOOST_TEST(d.features.cols() == 3);
    BOOST_TEST(d.targets.size() == 6);
    const double age[] = {60, 63, 17, 35, 90, 10}, exercise[] = {8, 2, 7, 4, 1, 9}, diet[] = {7, 2, 7, 5, 1, 7},
                 health[] = {7, 3, 9, 6, 1, 10};
    for (int i = 0; i < 6; ++i) {
        BOOST_TEST_CONTEXT("person " << i + 1) {
            BOOST_TEST(d.features(i, 0) == age[i]);
            BOOST_TEST(d.features(i, 1) == exercise[i]);
            BOOST_TEST(d.features(i, 2) == diet[i]);
            BOOST_TEST(d.targets(i) == health[i]);
        }
    }
    BOOST_TEST(tapegrad::nn::feature_names[0] == "age");
}
