// tests/test_article.cpp — the port of the article's gradient functions is faithful.
//
// Fixtures come from the article's own Python program (tests/reference/README.md): its
// first-iteration gradients at start a. The port must reproduce them to the last bits
// (1e-15 relative), and its relation to the true gradient is pinned: every weight and
// b3 get the true gradient / 6, while b1 and b2 both get b3's. "Fixing" the port breaks
// these tests, as it should: the port is what the verifier examines.
#define BOOST_TEST_MODULE article
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <stdexcept>

#include "health_fixtures.hpp"
#include "tapegrad/nn/article.hpp"
#include "tapegrad/nn/data.hpp"
#include "tapegrad/nn/scaler.hpp"

using namespace tapegrad::nn;

namespace {
using tapegrad::testing::article_network;
Parameters start_a() { return tapegrad::testing::reference_start("a"); }
bool close(double a, double b, double rtol) { return std::abs(a - b) <= rtol * std::abs(b); }
}  // namespace

BOOST_AUTO_TEST_CASE(first_iteration_matches_the_article_program) {
    // iteration 0 of the article's program at start a (tests/reference/article_a.csv)
    const double want[] = {-0.3947871896100501, -0.8152524343343427, -0.7433881933647911, -0.44413558831130634,
                           -0.9171589886261353, -0.8363117175353897, -0.7761105569602865, -1.50864598845123,
                           -1.6464656465646563, -1.6464656465646563, -1.6464656465646563};
    Parameters g;
    const double mse = article::gradient(article_network(), start_a(), g);
    BOOST_TEST(close(std::sqrt(mse), 5.736347632757617, 1e-15));
    for (std::size_t i = 0; i < parameter_count; ++i) BOOST_TEST_CONTEXT(parameter_names[i]) {
            BOOST_TEST(close(g[i], want[i], 1e-15));
        }
}

BOOST_AUTO_TEST_CASE(weights_and_b3_are_the_true_gradient_over_n) {
    const HealthNetwork net = article_network();
    for (std::uint64_t seed : {1u, 2u, 3u}) {
        const Parameters p = initial_parameters(seed);
        Parameters article_g;
        article::gradient(net, p, article_g);
        const Parameters truth = net.chain_rule_gradient(p);
        for (std::size_t i : {w1, w2, w3, w4, w5, w6, w7, w8, b3})
            BOOST_TEST_CONTEXT(parameter_names[i] << " seed " << seed) {
                BOOST_TEST(close(article_g[i], truth[i] / 6.0, 1e-12));
            }
    }
}

BOOST_AUTO_TEST_CASE(b1_and_b2_get_the_output_bias_gradient) {
    // three = 1 instead of w7 (b1) or w8 (b2): both equal b3's article gradient
    const HealthNetwork net = article_network();
    const Parameters p = initial_parameters(4);
    Parameters article_g;
    article::gradient(net, p, article_g);
    const Parameters truth = net.chain_rule_gradient(p);
    BOOST_TEST(article_g[b1] == article_g[b3]);
    BOOST_TEST(article_g[b2] == article_g[b3]);
    BOOST_TEST(close(article_g[b1] * p[w7], truth[b1] / 6.0, 1e-12));  // the missing factor is w7
    BOOST_TEST(close(article_g[b2] * p[w8], truth[b2] / 6.0, 1e-12));  // and w8
}

BOOST_AUTO_TEST_CASE(d_mse_divides_by_n_and_np_mean_divides_again) {
    Eigen::ArrayXd pred(3), target(3);
    pred << 1, 2, 3;
    target << 0, 0, 0;
    const Eigen::ArrayXd d = article::d_mse(pred, target);
    BOOST_TEST(close(d(2), 2.0 * 3.0 / 3.0, 1e-15));  // (1/n) * 2 * (3 - 0)
    BOOST_TEST(close(article::mse(pred, target), 14.0 / 3.0, 1e-15));
}

BOOST_AUTO_TEST_CASE(activation_derivatives_follow_the_article) {
    Eigen::ArrayXd z(3);
    z << -1, 0.5, 2;
    const Eigen::ArrayXd id = article::d_activ_func(Activation::identity, z);
    BOOST_TEST((id == 1.0).all());
    const Eigen::ArrayXd relu = article::d_activ_func(Activation::relu, z);
    BOOST_TEST(relu(0) == 0.0);
    BOOST_TEST(relu(1) == 1.0);
    const Eigen::ArrayXd sig = article::d_activ_func(Activation::sigmoid, z);
    const double s = 1 / (1 + std::exp(-0.5));
    BOOST_TEST(close(sig(1), s * (1 - s), 1e-15));
}

BOOST_AUTO_TEST_CASE(unknown_parameter_names_are_refused) {
    const HealthNetwork net = article_network();
    article::Globals g{net.x1().array(), net.x2().array(), net.x3().array(), 0.5, 0.5, Activation::identity};
    const Eigen::ArrayXd v = Eigen::ArrayXd::Ones(6);
    BOOST_CHECK_THROW(article::back_propagation_layer_1(g, v, v, v, "w7"), std::invalid_argument);
    BOOST_CHECK_THROW(article::back_propagation_layer_2(g, v, v, v, v, v, "b1"), std::invalid_argument);
}
