// tests/test_shape.cpp — the broadcasting rule of autodiff/shape.hpp.
#define BOOST_TEST_MODULE shape
#include <boost/test/unit_test.hpp>

#include "tapegrad/autodiff/shape.hpp"

using tapegrad::broadcast;
using tapegrad::Shape;

BOOST_AUTO_TEST_CASE(equal_shapes_stay) {
    BOOST_TEST((broadcast({6, 1}, {6, 1}) == Shape{6, 1}));
    BOOST_TEST((broadcast({2, 3}, {2, 3}) == Shape{2, 3}));
}

BOOST_AUTO_TEST_CASE(scalar_broadcasts_against_anything) {
    BOOST_TEST((broadcast({1, 1}, {6, 1}) == Shape{6, 1}));  // w1 * x1 in the article
    BOOST_TEST((broadcast({6, 1}, {1, 1}) == Shape{6, 1}));
    BOOST_TEST((broadcast({1, 1}, {4, 5}) == Shape{4, 5}));
}

BOOST_AUTO_TEST_CASE(row_and_column_broadcast) {
    BOOST_TEST((broadcast({1, 3}, {5, 3}) == Shape{5, 3}));  // a row of biases added to every sample
    BOOST_TEST((broadcast({5, 1}, {5, 3}) == Shape{5, 3}));
    BOOST_TEST((broadcast({5, 1}, {1, 3}) == Shape{5, 3}));  // outer broadcast
}

BOOST_AUTO_TEST_CASE(mismatches_do_not_broadcast) {
    BOOST_TEST(!broadcast({6, 1}, {3, 1}).has_value());
    BOOST_TEST(!broadcast({2, 3}, {3, 2}).has_value());
    BOOST_TEST(!broadcast({1, 2}, {1, 3}).has_value());
}

BOOST_AUTO_TEST_CASE(shape_text_and_size) {
    BOOST_TEST(Shape({6, 1}).to_string() == "6x1");
    BOOST_TEST(Shape({4, 5}).size() == 20u);
    BOOST_TEST(Shape({1, 1}).is_scalar());
    BOOST_TEST(!Shape({1, 2}).is_scalar());
}
