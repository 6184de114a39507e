// tests/test_mlp.cpp — the MLP's layers, its plain-double forward pass, its losses on the
// tape, and its initialisation.
//
// Tolerances: MLP({3, 2, 1}) against HealthNetwork is the same arithmetic in another
// order: 1e-12 absolute on loss and gradient (both are of order 1 to 100). The tape's
// gradients of deeper networks are checked against central differences of the plain-
// double loss (an independent forward pass) with the gradient checker's defaults
// (rtol 1e-6, atol 1e-8). relu networks are checked at starts whose pre-activations
// stay far from the kink (a seed fixed and the check of it repeated below).
#define BOOST_TEST_MODULE mlp
#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>
#include <random>

#include "health_fixtures.hpp"
#include "tapegrad/autodiff/gradient_check.hpp"
#include "tapegrad/nn/mlp.hpp"
#include "tapegrad/nn/mlp_training.hpp"

namespace bdata = boost::unit_test::data;
using namespace tapegrad;
using namespace tapegrad::nn;

namespace {
// The health network's eleven parameters in the MLP's order: W1 (column by column), b1, W2, b2.
MLP health_mlp(const Parameters& p, Activation output) {
    MLP net({3, 2, 1}, Activation::identity, output);
    net.weights(0) << p[w1], p[w4], p[w2], p[w5], p[w3], p[w6];
    net.bias(0) << p[b1], p[b2];
    net.weights(1) << p[w7], p[w8];
    net.bias(1) << p[b3];
    return net;
}

Eigen::MatrixXd random_matrix(int rows, int cols, std::uint64_t seed) {
    std::mt19937_64 engine(seed);
    Eigen::MatrixXd m(rows, cols);
    for (double& x : m.reshaped()) x = static_cast<double>(engine() >> 11) * 0x1p-53 * 2 - 1;
    return m;
}

// The tape's gradient of the loss (BatchGradient, as training uses it) and central
// differences of the plain-double loss.
GradientReport check_network(MLP& net, const Eigen::MatrixXd& x, const Eigen::MatrixXd& y, Loss loss) {
    BatchGradient tape_gradient(net, loss);
    std::vector<double> g(net.parameter_count());
    tape_gradient(net.parameters(), x, y, g);
    const std::vector<double> start(net.parameters().begin(), net.parameters().end());
    const auto f = [&](std::span<const double> p) {
        MLP copy = net;
        std::copy(p.begin(), p.end(), copy.parameters().begin());
        return copy.loss(x, y, loss);
    };
    std::vector<std::string> names;
    for (std::size_t i = 0; i < g.size(); ++i) names.push_back("p" + std::to_string(i));
    return compare_gradients(names, g, central_differences(f, start));
}

const std::vector<Activation> activations{Activation::identity, Activation::sigmoid, Activation::relu,
                                          Activation::tanh};
}  // namespace

BOOST_DATA_TEST_CASE(mlp_3_2_1_is_the_health_network, bdata::make(activations), output) {
    for (const std::string which : {"a", "b"}) {
        BOOST_TEST_CONTEXT("start " << which << ", output " << output) {
            const Parameters p = testing::reference_start(which);
            const HealthNetwork health = testing::article_network(output);
            MLP net = health_mlp(p, output);
            Eigen::MatrixXd x(health.people(), 3);
            x << health.x1(), health.x2(), health.x3();
            const Eigen::MatrixXd y = health.targets();

            BatchGradient tape_gradient(net, Loss::mse);
            std::vector<double> g(net.parameter_count());
            const double loss = tape_gradient(net.parameters(), x, y, g);
            const Parameters want = health.chain_rule_gradient(p);
            BOOST_TEST(std::abs(loss - health.loss(p)) <= 1e-12);
            BOOST_TEST(std::abs(net.loss(x, y, Loss::mse) - health.loss(p)) <= 1e-12);
            const std::array<double, 11> mapped{want[w1], want[w2], want[w3], want[w4], want[w5], want[w6],
                                                want[b1], want[b2], want[w7], want[w8], want[b3]};
            for (std::size_t i = 0; i < mapped.size(); ++i)
                BOOST_TEST(std::abs(g[i] - mapped[i]) <= 1e-12,
                           "parameter " << i << ": " << g[i] << " vs " << mapped[i]);
        }
    }
}

BOOST_DATA_TEST_CASE(deep_network_gradient_matches_central_differences, bdata::make(activations), hidden) {
    for (const Loss loss : {Loss::mse, Loss::log}) {
        BOOST_TEST_CONTEXT("hidden " << hidden << ", loss " << loss_name(loss)) {
            MLP net({4, 5, 3, 1}, hidden);
            net.initialize(hidden == Activation::relu ? 5 : 3);
            const Eigen::MatrixXd x = random_matrix(9, 4, 17);
            Eigen::MatrixXd y(9, 1);
            for (int i = 0; i < 9; ++i) y(i) = i % 2;
            const GradientReport report = check_network(net, x, y, loss);
            BOOST_TEST(report.passed, report.to_string());
        }
    }
}

BOOST_AUTO_TEST_CASE(relu_check_stays_away_from_the_kink) {
    // The relu case above is only meaningful if no pre-activation is within the step of 0.
    MLP net({4, 5, 3, 1}, Activation::relu);
    net.initialize(5);
    Eigen::MatrixXd h = random_matrix(9, 4, 17);
    for (std::size_t l = 0; l + 1 < net.layers().size(); ++l) {
        Eigen::MatrixXd z = h * net.weights(l);
        z.rowwise() += net.bias(l);
        BOOST_TEST(z.cwiseAbs().minCoeff() > 1e-4);
        h = z.cwiseMax(0.0);
    }
}

BOOST_AUTO_TEST_CASE(several_outputs_with_mse) {
    MLP net({3, 4, 2}, Activation::tanh);
    net.initialize(8);
    const GradientReport report = check_network(net, random_matrix(7, 3, 2), random_matrix(7, 2, 3), Loss::mse);
    BOOST_TEST(report.passed, report.to_string());
}

BOOST_AUTO_TEST_CASE(log_loss_is_stable_for_huge_logits) {
    // Naively, sigmoid(1000) = 1 and log(1 - 1) = -inf; the stable form stays finite.
    Eigen::MatrixXd z(4, 1), y(4, 1);
    z << 1000, -1000, 1000, -1000;
    y << 1, 0, 0, 1;
    const double want = (0 + 0 + 1000 + 1000) / 4.0;  // a wrong confident answer costs |z|
    BOOST_TEST(loss_value(z, y, Loss::log) == want);
    Tape tape;
    const Var zv = tape.variable(z);
    const Var loss = record_loss(zv, tape.constant(y), Loss::log);
    BOOST_TEST(loss.scalar_value() == want);
    tape.gradient(loss);
    // d/dz = (s(z) - y) / n
    const Eigen::MatrixXd dz = zv.adjoint();
    BOOST_TEST(dz(0) == 0.0);
    BOOST_TEST(dz(1) == 0.0);
    BOOST_TEST(dz(2) == 0.25);
    BOOST_TEST(dz(3) == -0.25);
}

BOOST_AUTO_TEST_CASE(log_loss_gradient_at_a_zero_logit) {
    // A network with zero biases and dead relus outputs exactly 0: the kink of max(z, 0)
    // and |z|. The derivative there is s(0) - y = 0.5 - y, not a subgradient's -y.
    Eigen::MatrixXd z = Eigen::MatrixXd::Zero(2, 1), y(2, 1);
    y << 1, 0;
    Tape tape;
    const Var zv = tape.variable(z);
    tape.gradient(record_loss(zv, tape.constant(y), Loss::log));
    BOOST_TEST(zv.adjoint()(0) == -0.25);
    BOOST_TEST(zv.adjoint()(1) == 0.25);
}

BOOST_AUTO_TEST_CASE(log_loss_value_by_hand) {
    // -y log s(z) - (1 - y) log(1 - s(z)) at z = 0.3, y = 1 and z = -1.2, y = 0.
    Eigen::MatrixXd z(2, 1), y(2, 1);
    z << 0.3, -1.2;
    y << 1, 0;
    const auto s = [](double v) { return 1 / (1 + std::exp(-v)); };
    const double want = (-std::log(s(0.3)) - std::log(1 - s(-1.2))) / 2;
    BOOST_TEST(std::abs(loss_value(z, y, Loss::log) - want) <= 1e-15);
    Tape tape;
    BOOST_TEST(std::abs(record_loss(tape.variable(z), tape.constant(y), Loss::log).scalar_value() - want) <= 1e-15);
}

BOOST_AUTO_TEST_CASE(parameters_are_laid_out_layer_by_layer) {
    MLP net({2, 3, 1});
    BOOST_TEST(net.parameter_count() == 2 * 3 + 3 + 3 * 1 + 1);
    BOOST_TEST(net.layers()[0].weights_offset == 0u);
    BOOST_TEST(net.layers()[0].bias_offset == 6u);
    BOOST_TEST(net.layers()[1].weights_offset == 9u);
    BOOST_TEST(net.layers()[1].bias_offset == 12u);
    net.weights(0)(1, 0) = 5;  // row 1, column 0: the second number of column 0
    BOOST_TEST(net.parameters()[1] == 5.0);
    BOOST_TEST((net.sizes() == std::vector<int>{2, 3, 1}));
}

BOOST_AUTO_TEST_CASE(initialisation_is_seeded_and_bounded) {
    MLP a({2, 16, 16, 1}, Activation::tanh), b({2, 16, 16, 1}, Activation::tanh), c({2, 16, 1}, Activation::relu);
    a.initialize(42);
    b.initialize(42);
    BOOST_TEST((std::vector<double>(a.parameters().begin(), a.parameters().end()) ==
                std::vector<double>(b.parameters().begin(), b.parameters().end())));
    b.initialize(43);
    BOOST_TEST(a.parameters()[0] != b.parameters()[0]);
    const double glorot = std::sqrt(6.0 / (16 + 16));
    BOOST_TEST(a.weights(1).cwiseAbs().maxCoeff() <= glorot);
    BOOST_TEST(a.weights(1).cwiseAbs().maxCoeff() > 0.8 * glorot);  // the whole range is used
    BOOST_TEST(a.bias(0).isZero());
    c.initialize(1);
    BOOST_TEST(c.weights(0).cwiseAbs().maxCoeff() <= std::sqrt(6.0 / 2));  // He: inputs only
    BOOST_TEST(c.weights(0).cwiseAbs().maxCoeff() > std::sqrt(6.0 / 18));
}

BOOST_AUTO_TEST_CASE(bad_shapes_are_refused) {
    BOOST_CHECK_THROW(MLP({3}), std::invalid_argument);
    BOOST_CHECK_THROW(MLP({3, 0, 1}), std::invalid_argument);
    BOOST_CHECK_THROW(MLP({3, 2, 1}, std::vector<Activation>{Activation::tanh}), std::invalid_argument);
    MLP net({3, 2, 1});
    BOOST_CHECK_THROW(net.forward(Eigen::MatrixXd::Zero(4, 2)), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(names_of_losses) {
    BOOST_TEST(loss_name(Loss::log) == "log");
    BOOST_TEST((parse_loss("mse") == Loss::mse));
    BOOST_TEST(!parse_loss("hinge"));
}

// ---- Issue 26: cross-entropy over K classes --------------------------------------------------

namespace {
Eigen::MatrixXd one_hot_rows(const std::vector<int>& classes, int k) {
    Eigen::MatrixXd y = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(classes.size()), k);
    for (std::size_t i = 0; i < classes.size(); ++i) y(static_cast<Eigen::Index>(i), classes[i]) = 1;
    return y;
}
}  // namespace

BOOST_AUTO_TEST_CASE(cross_entropy_value_by_hand_on_the_tape_and_in_doubles) {
    // -(1/n) sum_i log p_i,class(i) with p the softmax, written from the definition.
    Eigen::MatrixXd z(3, 4);
    z << 0.3, -1.2, 2.0, 0.1,  //
        1.5, 0.2, -0.4, -2.2,  //
        -0.7, 0.9, 0.05, 0.6;
    const std::vector<int> classes{2, 0, 3};
    double want = 0;
    for (int i = 0; i < 3; ++i) want -= std::log(std::exp(z(i, classes[i])) / z.row(i).array().exp().sum());
    want /= 3;
    const Eigen::MatrixXd y = one_hot_rows(classes, 4);
    BOOST_TEST(std::abs(loss_value(z, y, Loss::cross_entropy) - want) <= 1e-15);
    Tape tape;
    const Var zv = tape.variable(z);
    const Var loss = record_loss(zv, tape.constant(y), Loss::cross_entropy);
    BOOST_TEST(std::abs(loss.scalar_value() - want) <= 1e-15);
    // The gradient at the logits: (softmax - one-hot) / n, the probabilities minus the targets.
    tape.gradient(loss);
    const Eigen::MatrixXd e = z.array().exp().matrix();
    const Eigen::MatrixXd p = (e.array().colwise() / e.rowwise().sum().array()).matrix();
    BOOST_TEST(((zv.adjoint() - (p - y) / 3.0).cwiseAbs().maxCoeff() <= 1e-15));
}

BOOST_AUTO_TEST_CASE(cross_entropy_is_stable_for_huge_logits) {
    // A confident right answer costs 0, a confident wrong one the gap of the logits; e^1000 is never taken.
    Eigen::MatrixXd z(2, 3);
    z << 1000, 0, -1000,  //
        1000, 0, -1000;
    const Eigen::MatrixXd y = one_hot_rows({0, 1}, 3);
    const double want = (0 + 1000) / 2.0;
    BOOST_TEST(loss_value(z, y, Loss::cross_entropy) == want);
    Tape tape;
    const Var zv = tape.variable(z);
    const Var loss = record_loss(zv, tape.constant(y), Loss::cross_entropy);
    BOOST_TEST(loss.scalar_value() == want);
    tape.gradient(loss);
    Eigen::MatrixXd dz(2, 3);
    dz << 0, 0, 0,     //
        0.5, -0.5, 0;  // (p - y) / n with p = (1, 0, 0) in both rows
    BOOST_TEST((zv.adjoint() == dz));
}

BOOST_DATA_TEST_CASE(cross_entropy_network_gradient_matches_central_differences, bdata::make(activations), hidden) {
    MLP net({4, 5, 3}, hidden);
    net.initialize(hidden == Activation::relu ? 5 : 3);
    const Eigen::MatrixXd x = random_matrix(9, 4, 17);
    const GradientReport report =
        check_network(net, x, one_hot_rows({0, 1, 2, 2, 1, 0, 0, 2, 1}, 3), Loss::cross_entropy);
    BOOST_TEST(report.passed, report.to_string());
}

BOOST_AUTO_TEST_CASE(cross_entropy_is_named) {
    BOOST_TEST(loss_name(Loss::cross_entropy) == "cross-entropy");
    BOOST_TEST((parse_loss("cross-entropy") == Loss::cross_entropy));
    BOOST_TEST(!parse_loss("cross_entropy"));
}
