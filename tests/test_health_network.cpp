// tests/test_health_network.cpp — the network's forward pass, its loss on the tape
// (batched and per person), and the chain rule by hand.
//
// The tape's gradient is checked against the hand-derived chain rule (relative 1e-10:
// the same math summed in another order) and against central differences (the gradient
// checker's defaults) for every activation at several random starts. relu is checked
// away from its kink: the starts below keep every Z clear of 0 by far more than the
// finite-difference step.
#define BOOST_TEST_MODULE health_network
#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <cmath>

#include "tapegrad/autodiff/gradient_check.hpp"
#include "counting_allocator.hpp"
#include "health_fixtures.hpp"
#include "tapegrad/nn/data.hpp"
#include "tapegrad/nn/health_network.hpp"
#include "tapegrad/nn/scaler.hpp"

namespace bdata = boost::unit_test::data;
using namespace tapegrad;
using namespace tapegrad::nn;

namespace {
using testing::article_network;
Parameters start_a() { return testing::reference_start("a"); }

bool close(double a, double b, double rtol, double atol = 1e-13) {
    return std::abs(a - b) <= atol + rtol * std::abs(b);
}

const std::vector<Activation> activations{Activation::identity, Activation::sigmoid, Activation::relu,
                                          Activation::tanh};
const std::vector<std::uint64_t> seeds{1, 2, 3, 11, 29};
}  // namespace

BOOST_AUTO_TEST_CASE(forward_pass_by_hand_for_the_first_person) {
    const HealthNetwork net = article_network();
    const Parameters p = start_a();
    const ForwardPass f = net.forward(p);
    const double x1 = 60.0 / 101.0, x2 = 8.0 / 11.0, x3 = 7.0 / 11.0;
    const double h1 = 0.2 * x1 + 0.3 * x2 + 0.4 * x3, h2 = 0.5 * x1 + 0.6 * x2 + 0.7 * x3;
    BOOST_TEST(close(f.h1(0), h1, 1e-15));
    BOOST_TEST(close(f.h2(0), h2, 1e-15));
    BOOST_TEST(close(f.z(0), 0.8 * h1 + 0.9 * h2, 1e-15));
    BOOST_TEST(f.prediction(0) == f.z(0));  // identity
    // the article's first RMSE at this start (from its own program): 5.736347632757617
    BOOST_TEST(close(std::sqrt(net.loss(p)), 5.736347632757617, 1e-14));
}

BOOST_DATA_TEST_CASE(tape_agrees_with_chain_rule_and_finite_differences, bdata::make(activations) * bdata::make(seeds),
                     activation, seed) {
    const HealthNetwork net = article_network(activation);
    Parameters p = initial_parameters(seed);
    // biases away from 0 too, so that every term of the chain rule is exercised
    p[b1] = 0.1 * static_cast<double>(seed % 3);
    p[b2] = -0.05 * static_cast<double>(seed % 4);
    p[b3] = 0.2;
    // relu: every Z here is positive (weights in [0.1, 0.9], inputs in [0, 1]) - no kink
    const ForwardPass f = net.forward(p);
    if (activation == Activation::relu) BOOST_REQUIRE(f.z.minCoeff() > 1e-3);

    Parameters tape;
    TapeGradient gradient(net);
    const double loss = gradient(p, tape);
    BOOST_TEST(close(loss, net.loss(p), 1e-14));
    const Parameters chain = net.chain_rule_gradient(p);
    for (std::size_t i = 0; i < parameter_count; ++i)
        BOOST_TEST_CONTEXT(parameter_names[i] << ": tape " << tape[i] << ", chain rule " << chain[i]) {
            BOOST_TEST(close(tape[i], chain[i], 1e-10));
        }

    std::vector<double> point(p.values.begin(), p.values.end());
    const auto report = check_gradient(
        [&net](Tape& t, const std::vector<Var>& v) {
            ParameterVars vars;
            std::copy(v.begin(), v.end(), vars.begin());
            return net.record_loss(t, vars);
        },
        point, {}, std::vector<std::string>(parameter_names.begin(), parameter_names.end()));
    BOOST_TEST(report.passed, report);
}

BOOST_DATA_TEST_CASE(per_person_recording_gives_the_batched_gradient, bdata::make(activations), activation) {
    const HealthNetwork net = article_network(activation);
    const Parameters p = initial_parameters(5);
    Parameters batched, per_person;
    TapeGradient a(net, Recording::batched), b(net, Recording::per_person);
    const double la = a(p, batched), lb = b(p, per_person);
    BOOST_TEST(close(la, lb, 1e-14));
    for (std::size_t i = 0; i < parameter_count; ++i) BOOST_TEST_CONTEXT(parameter_names[i]) {
            BOOST_TEST(close(batched[i], per_person[i], 1e-12));
        }
    // the per-person tape is longer: six copies of the network's scalar graph
    BOOST_TEST(b.tape().size() > 3 * a.tape().size());
}

BOOST_AUTO_TEST_CASE(batched_tape_has_one_column_per_node) {
    const HealthNetwork net = article_network();
    Tape tape;
    ParameterVars vars;
    const Var loss = net.record_loss(tape, start_a(), vars, true);
    BOOST_TEST(loss.shape().is_scalar());
    BOOST_TEST(tape.size() < 40u);  // about twenty operations plus the 11 parameters and 4 data columns
    BOOST_TEST(tape.name(vars[w7].index()) == "w7");
    std::size_t columns = 0;
    for (std::size_t i = 0; i < tape.size(); ++i) columns += tape.node(i).shape.rows == 6;
    BOOST_TEST(columns >= 15u);
}

BOOST_AUTO_TEST_CASE(training_loop_gradient_allocates_nothing_after_the_first) {
    const HealthNetwork net = article_network(Activation::sigmoid);
    TapeGradient gradient(net);
    Parameters p = start_a(), g;
    gradient(p, g);
    const long before = testing::allocations.load();
    for (int i = 0; i < 100; ++i) {
        gradient(p, g);
        for (std::size_t k = 0; k < parameter_count; ++k) p[k] -= 0.005 * g[k];
    }
    const long during = testing::allocations.load() - before;
    BOOST_TEST(during == 0);
}

BOOST_AUTO_TEST_CASE(activation_names_round_trip) {
    for (Activation a : activations) BOOST_TEST((parse_activation(activation_name(a)) == a));
    BOOST_TEST(!parse_activation("softmax").has_value());
}

BOOST_AUTO_TEST_CASE(activation_derivatives_by_hand_match_central_differences) {
    for (Activation a : activations)
        for (double z : {-2.0, -0.3, 0.4, 1.7}) {
            const double h = 1e-6;
            const double numeric = (activate(a, z + h) - activate(a, z - h)) / (2 * h);
            BOOST_TEST_CONTEXT(activation_name(a) << " at " << z) {
                BOOST_TEST(close(activation_derivative(a, z), numeric, 1e-6, 1e-9));
            }
        }
}

BOOST_AUTO_TEST_CASE(prediction_for_a_new_person_uses_the_scaler) {
    const Parameters p = start_a();
    const double x1 = 30.0 / 101.0, x2 = 2.0 / 11.0, x3 = 5.0 / 11.0;
    const double want = 0.8 * (0.2 * x1 + 0.3 * x2 + 0.4 * x3) + 0.9 * (0.5 * x1 + 0.6 * x2 + 0.7 * x3);
    BOOST_TEST(close(predict(p, Activation::identity, Scaler::article_min_max(), 30, 2, 5), want, 1e-15));
}

BOOST_AUTO_TEST_CASE(mismatched_data_is_refused) {
    BOOST_CHECK_THROW(HealthNetwork(Eigen::MatrixXd::Ones(6, 2), Eigen::VectorXd::Ones(6)), std::invalid_argument);
    BOOST_CHECK_THROW(HealthNetwork(Eigen::MatrixXd::Ones(6, 3), Eigen::VectorXd::Ones(5)), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(chain_rule_gives_the_loss_of_the_same_forward_pass) {
    const HealthNetwork net = article_network(Activation::tanh);
    const Parameters p = initial_parameters(9);
    double mse = -1;
    const Parameters with_loss = net.chain_rule_gradient(p, &mse);
    BOOST_TEST(mse == net.loss(p));  // the same sum in the same order
    BOOST_TEST((with_loss == net.chain_rule_gradient(p)));
}

// ---- The same loss as two dense layers, and replaying a recorded tape ----------------------

namespace tapegrad::nn {  // where Boost.Test's data cases find them, for the case names
std::ostream& operator<<(std::ostream& out, Recording r) {
    return out << (r == Recording::batched ? "batched" : r == Recording::per_person ? "per_person" : "layers");
}
std::ostream& operator<<(std::ostream& out, Reuse r) {
    return out << (r == Reuse::replay ? "replay" : r == Reuse::compiled ? "compiled" : "record_each_time");
}
}  // namespace tapegrad::nn
namespace {
const std::vector<Recording> recordings{Recording::batched, Recording::per_person, Recording::layers};
const std::vector<Reuse> reuses{Reuse::record_each_time, Reuse::replay, Reuse::compiled};
}  // namespace

BOOST_DATA_TEST_CASE(every_recording_and_reuse_follows_the_chain_rule_along_a_training_run,
                     bdata::make(activations) * bdata::make(recordings) * bdata::make(reuses), activation, recording,
                     reuse) {
    // Twenty steps of gradient descent, each gradient compared with the chain rule by hand
    // at that step's parameters: a replayed tape and a compiled plan must follow the
    // parameters as they move.
    const HealthNetwork net = article_network(activation);
    TapeGradient gradient(net, recording, reuse);
    Parameters p = initial_parameters(3), g;
    for (int step = 0; step < 20; ++step) {
        const double loss = gradient(p, g);
        double chain_loss = 0;
        const Parameters chain = net.chain_rule_gradient(p, &chain_loss);
        BOOST_TEST(close(loss, chain_loss, 1e-13));
        for (std::size_t i = 0; i < parameter_count; ++i)
            BOOST_TEST_CONTEXT("step " << step << ", " << parameter_names[i]) {
                BOOST_TEST(close(g[i], chain[i], 1e-10));
            }
        for (std::size_t i = 0; i < parameter_count; ++i) p[i] -= 0.05 * g[i];
    }
}

BOOST_DATA_TEST_CASE(layers_recording_agrees_with_finite_differences, bdata::make(activations) * bdata::make(seeds),
                     activation, seed) {
    // An independent check of the layers' matrices: the gradient checker perturbs each of
    // the eleven numbers where the layers read them (W1, W2, [b1 b2], b3, in that order).
    const HealthNetwork net = article_network(activation);
    Parameters p = initial_parameters(seed);
    p[b1] = 0.1;
    p[b2] = -0.05;
    p[b3] = 0.2;
    const auto as_matrix = [](const Parameters& q, std::size_t first, Eigen::Index rows, Eigen::Index cols) {
        return Eigen::MatrixXd(Eigen::Map<const Eigen::MatrixXd>(q.values.data() + first, rows, cols));
    };
    const std::vector<Eigen::MatrixXd> point{as_matrix(p, w1, 3, 2), as_matrix(p, w7, 2, 1), as_matrix(p, b1, 1, 2),
                                             as_matrix(p, b3, 1, 1)};
    const auto report = check_gradient(
        [&net](Tape& t, const std::vector<Var>& v) { return net.record_loss_layers(t, LayerVars{v[0], v[1], v[2], v[3]}); },
        point, {}, {"W1", "W2", "B1", "b3"});
    BOOST_TEST(report.passed, report);
}

BOOST_AUTO_TEST_CASE(layers_tape_is_ten_nodes_with_the_parameters_as_matrices) {
    const HealthNetwork net = article_network();
    Tape tape;
    LayerVars vars;
    const Var loss = net.record_loss_layers(tape, start_a(), vars, true);
    BOOST_TEST(tape.size() == 10u);  // W1, W2, B1, b3, X, y, two layers, identity, mse
    BOOST_TEST((vars.W1.shape() == Shape{3, 2}));
    BOOST_TEST((vars.W2.shape() == Shape{2, 1}));
    BOOST_TEST((vars.B1.shape() == Shape{1, 2}));
    // W1 is [w1 w4; w2 w5; w3 w6]: column j holds hidden neuron j's weights
    BOOST_TEST(vars.W1.value()(2, 1) == start_a()[w6]);
    BOOST_TEST(vars.B1.value()(0, 1) == start_a()[b2]);
    BOOST_TEST(tape.name(vars.W1.index()) == "W1 [w1 w4; w2 w5; w3 w6]");
    BOOST_TEST(close(loss.scalar_value(), net.loss(start_a()), 1e-14));
    Parameters g;
    tape.gradient(loss, g.values);
    const Parameters chain = net.chain_rule_gradient(start_a());
    for (std::size_t i = 0; i < parameter_count; ++i) BOOST_TEST(close(g[i], chain[i], 1e-10));
}

BOOST_AUTO_TEST_CASE(replaying_the_layers_tape_allocates_nothing) {
    const HealthNetwork net = article_network(Activation::sigmoid);
    TapeGradient gradient(net, Recording::layers, Reuse::replay);
    Parameters p = start_a(), g;
    gradient(p, g);
    const std::uint64_t first_stamp = gradient.tape().first_stamp();  // clear() would change it
    const std::size_t nodes = gradient.tape().size();
    const long before = testing::allocations.load();
    for (int i = 0; i < 100; ++i) {
        gradient(p, g);
        for (std::size_t k = 0; k < parameter_count; ++k) p[k] -= 0.005 * g[k];
    }
    BOOST_TEST(testing::allocations.load() - before == 0);
    BOOST_TEST(gradient.tape().first_stamp() == first_stamp);  // replayed, never recorded again
    BOOST_TEST(gradient.tape().size() == nodes);
}
