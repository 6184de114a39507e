// tests/test_curvature.cpp — the health loss's curvature (nn/curvature.hpp): the Hessian
// against central differences of the hand-derived chain-rule gradient; eigenvalues of a
// matrix built from known ones; the stability limit 2 / lambda_max against gradient descent
// itself (just below it training converges, just above it diverges); Newton's method
// against the least-squares solution Eigen computes directly (with identity activations the
// network is a linear function of its inputs, so nothing beats that line), the flat
// directions at the minimum, and plain Newton going uphill where the Hessian is indefinite.
#define BOOST_TEST_MODULE curvature
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <random>

#include <Eigen/Dense>

#include "health_fixtures.hpp"
#include "tapegrad/nn/curvature.hpp"
#include "tapegrad/nn/training.hpp"

using Eigen::MatrixXd;
using Eigen::VectorXd;
using namespace tapegrad::nn;

namespace {
// The smallest MSE of any linear function of the three scaled features: least squares on [X 1].
double least_squares_loss(const HealthNetwork& net) {
    MatrixXd a(net.people(), 4);
    a << net.x1(), net.x2(), net.x3(), VectorXd::Ones(net.people());
    const VectorXd coefficients = a.colPivHouseholderQr().solve(net.targets());
    return (a * coefficients - net.targets()).squaredNorm() / static_cast<double>(net.people());
}
Parameters random_start(std::mt19937& random) {
    std::uniform_real_distribution<double> any(-2.0, 2.0);
    Parameters p;
    for (double& v : p.values) v = any(random);
    return p;
}
}  // namespace

BOOST_AUTO_TEST_CASE(eigenvalues_of_a_matrix_built_from_known_ones) {
    VectorXd d(5);
    d << -3.0, 0.0, 1e-9, 2.0, 40.0;
    const MatrixXd q = MatrixXd(Eigen::HouseholderQR<MatrixXd>(MatrixXd::Random(5, 5)).householderQ());
    const Curvature c = curvature_of(q * d.asDiagonal() * q.transpose());
    BOOST_TEST(c.eigenvalues.isApprox(d, 1e-12) == true, c.eigenvalues.transpose());
    BOOST_TEST(c.largest() == 40.0, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(c.stability_limit() == 0.05, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(c.flat_directions() == 2);      // 0 and 1e-9, within 1e-3 x 40
    BOOST_TEST(c.negative_directions() == 1);  // -3
}

BOOST_AUTO_TEST_CASE(the_hessian_matches_central_differences_of_the_chain_rule_gradient) {
    const double h = 1e-4;  // error ~ h^2/6 |g'''| + eps |g| / h, below 1e-7 here (see test_hessian.cpp)
    std::mt19937 random(17);
    for (Activation a : {Activation::identity, Activation::sigmoid, Activation::relu, Activation::tanh}) {
        const HealthNetwork net = tapegrad::testing::article_network(a);
        for (const Parameters& p : {initial_parameters(1), tapegrad::testing::reference_start("b"), random_start(random)}) {
            const MatrixXd hessian = loss_hessian(net, p);
            for (std::size_t k = 0; k < parameter_count; ++k) {
                Parameters up = p, down = p;
                up[k] += h, down[k] -= h;
                const Parameters gu = net.chain_rule_gradient(up), gd = net.chain_rule_gradient(down);
                for (std::size_t i = 0; i < parameter_count; ++i)
                    BOOST_TEST_CONTEXT(activation_name(a) << " H(" << i << "," << k << ")") {
                        const double numeric = (gu[i] - gd[i]) / (2 * h);
                        BOOST_TEST(std::abs(hessian(i, k) - numeric) <= 1e-6 * (1 + std::abs(numeric)));
                    }
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(gradient_descent_first_diverges_within_10_percent_of_the_stability_limit) {
    const HealthNetwork net = tapegrad::testing::article_network();
    const Parameters start = initial_parameters(1);
    const double limit = curvature_at(net, start).stability_limit();
    TrainingOptions options;
    options.keep_history = false;
    const auto diverges = [&](double rate) {
        options.learning_rate = rate;
        return train(gradient_function(net, GradientSource::chain_rule), start, options).diverged;
    };
    BOOST_TEST(!diverges(0.9 * limit));
    BOOST_TEST(diverges(1.05 * limit));
    // The scan of chapter 10: rates 0.080, 0.081, ... until the first that diverges. Not every
    // rate above it diverges (training can leave the sharp region before the oscillation
    // grows), and the first is below the limit at the start (the curvature grows on the way).
    double first = 0;
    for (int k = 80; k <= 160 && first == 0; ++k)
        if (diverges(k / 1000.0)) first = k / 1000.0;
    BOOST_TEST_MESSAGE("stability limit " << limit << ", first divergence at " << first);
    BOOST_TEST(first > 0);
    BOOST_TEST(std::abs(limit - first) <= 0.1 * first);
}

BOOST_AUTO_TEST_CASE(damped_newton_reaches_the_least_squares_loss_where_seven_directions_are_flat) {
    const HealthNetwork net = tapegrad::testing::article_network();
    const double best = least_squares_loss(net);
    std::mt19937 random(23);
    for (const Parameters& start : {initial_parameters(1), initial_parameters(2), random_start(random)}) {
        const NewtonResult r = newton(net, start);
        BOOST_REQUIRE(!r.failed);
        for (std::size_t k = 1; k < r.steps.size(); ++k) BOOST_TEST(r.steps[k].loss <= r.steps[k - 1].loss);
        BOOST_TEST(std::abs(net.loss(r.final) - best) <= 1e-10 * best);
        BOOST_TEST(r.hessians == static_cast<int>(r.steps.size()));
        // 11 parameters, but a linear function of 3 inputs has 4 numbers: 7 directions change nothing.
        const Curvature c = curvature_at(net, r.final);
        BOOST_TEST(c.flat_directions(1e-9) == 7);
        BOOST_TEST(c.negative_directions(1e-9) == 0);
    }
}

BOOST_AUTO_TEST_CASE(plain_newton_goes_uphill_where_the_hessian_is_indefinite) {
    const HealthNetwork net = tapegrad::testing::article_network();
    NewtonOptions plain;
    plain.damping = 0.0;
    plain.adapt = false;
    plain.iterations = 1;
    std::mt19937 random(3);
    int uphill = 0;
    for (int trial = 0; trial < 15; ++trial) {
        const Parameters start = random_start(random);
        const NewtonResult r = newton(net, start, plain);
        if (r.failed || r.steps[0].loss > net.loss(start)) {
            ++uphill;
            BOOST_TEST(curvature_at(net, start).negative_directions() > 0);  // only where H is indefinite
        }
    }
    BOOST_TEST(uphill >= 1);  // 2 of these 15 starts
}
