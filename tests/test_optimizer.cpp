// tests/test_optimizer.cpp — each optimizer's first steps against numbers worked out by
// hand from its update rule, and each one finding the bottom of a simple bowl.
#define BOOST_TEST_MODULE optimizer
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <vector>

#include "tapegrad/nn/optimizer.hpp"

using namespace tapegrad::nn;

BOOST_AUTO_TEST_CASE(gradient_descent_steps_against_the_gradient) {
    std::vector<double> p{1.0, -2.0};
    Optimizer step(OptimizerKind::gd, 0.1, 2);
    step(p, std::vector<double>{0.5, -4.0});
    BOOST_TEST(p[0] == 1.0 - 0.1 * 0.5);
    BOOST_TEST(p[1] == -2.0 + 0.1 * 4.0);
}

BOOST_AUTO_TEST_CASE(momentum_accumulates_velocity) {
    std::vector<double> p{0.0};
    Optimizer step(OptimizerKind::momentum, 0.1, 1);
    step(p, std::vector<double>{1.0});  // v = 1, p = -0.1
    BOOST_TEST(p[0] == -0.1);
    step(p, std::vector<double>{1.0});  // v = 0.9 + 1 = 1.9, p = -0.1 - 0.19
    BOOST_TEST(std::abs(p[0] - (-0.29)) <= 1e-15);
}

BOOST_AUTO_TEST_CASE(adam_first_step_is_the_learning_rate) {
    // After one step m^ = g and s^ = g^2, so the step is rate * g / (|g| + eps): about
    // rate in the gradient's direction, whatever the gradient's size.
    std::vector<double> p{0.0, 0.0};
    Optimizer step(OptimizerKind::adam, 0.01, 2);
    step(p, std::vector<double>{1000.0, -0.001});
    BOOST_TEST(std::abs(p[0] + 0.01) <= 1e-12);
    BOOST_TEST(std::abs(p[1] - 0.01 * 0.001 / (0.001 + 1e-8)) <= 1e-15);
    // Second step with g = 1000 again: m = 0.9*0.1*1000 + 0.1*1000, ... still exactly rate.
    step(p, std::vector<double>{1000.0, -0.001});
    BOOST_TEST(std::abs(p[0] + 0.02) <= 1e-12);
}

BOOST_AUTO_TEST_CASE(every_optimizer_finds_the_bottom_of_a_bowl) {
    // f(p) = (p0 - 3)^2 + 10 (p1 + 1)^2, gradient (2 (p0 - 3), 20 (p1 + 1)).
    for (const OptimizerKind kind : {OptimizerKind::gd, OptimizerKind::momentum, OptimizerKind::adam}) {
        BOOST_TEST_CONTEXT(optimizer_name(kind)) {
            std::vector<double> p{0.0, 0.0}, g(2);
            Optimizer step(kind, kind == OptimizerKind::adam ? 0.05 : 0.01, 2);
            for (int i = 0; i < 3000; ++i) {
                g = {2 * (p[0] - 3), 20 * (p[1] + 1)};
                step(p, g);
            }
            BOOST_TEST(std::abs(p[0] - 3) < 1e-3);
            BOOST_TEST(std::abs(p[1] + 1) < 1e-3);
        }
    }
}

BOOST_AUTO_TEST_CASE(bad_settings_are_refused) {
    BOOST_CHECK_THROW(Optimizer(OptimizerKind::gd, 0.0, 1), std::invalid_argument);
    BOOST_CHECK_THROW(Optimizer(OptimizerKind::adam, std::nan(""), 1), std::invalid_argument);
    Optimizer step(OptimizerKind::adam, 0.1, 2);
    std::vector<double> p(3), g(3);
    BOOST_CHECK_THROW(step(p, g), std::invalid_argument);
    BOOST_TEST(optimizer_name(OptimizerKind::momentum) == "momentum");
    BOOST_TEST((parse_optimizer("adam") == OptimizerKind::adam));
    BOOST_TEST(!parse_optimizer("sgd"));
}
