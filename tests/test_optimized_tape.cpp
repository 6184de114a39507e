// tests/test_optimized_tape.cpp — the compiler's plan (autodiff/optimized_tape.hpp) against
// the core tape it was compiled from (recorded, swept, replayed: tape.hpp) and against
// central differences of the core's loss: the loss and every variable's adjoint must agree
// with the core to 1e-12 relative, on every op of TAPEGRAD_OPS in every shape class (alone,
// and as the activation of a fused weighted sum), and on the health network in every
// activation and Recording. Also: what the pass fuses (`w1*x1 + w2*x2 + w3*x3 + b`, recorded
// as plain multiply and add nodes, is one weighted-sum step) and drops, the order a fused
// sum adds in, set_value, zero allocations per gradient, the refusals, million-node tapes,
// a plan moved from, the IEEE specials, and (issue 24) every op's kernel declining in turn,
// where the plan must call the core's generic evaluate()/sweep() and still agree with the
// core and with central differences.
#define BOOST_TEST_MODULE optimized_tape
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "counting_allocator.hpp"
#include "health_fixtures.hpp"
#include "op_cases.hpp"
#include "tape_errors.hpp"
#include "tapegrad/autodiff/gradient_check.hpp"
#include "tapegrad/autodiff/inspect.hpp"
#include "tapegrad/autodiff/kernels.hpp"
#include "tapegrad/autodiff/optimized_tape.hpp"

using Eigen::MatrixXd;
using tapegrad::Op;
using tapegrad::OptimizedTape;
using tapegrad::Shape;
using tapegrad::Tape;
using tapegrad::TapeError;
using tapegrad::Var;
using tapegrad::testing::filled;
using tapegrad::testing::shape_classes;

namespace {

// The variables' current values, in the layout gradient(span) uses.
std::vector<double> variables_of(const Tape& tape) {
    std::vector<double> v;
    for (std::size_t k = 0; k < tape.size(); ++k)
        if (tape.node(k).op == Op::variable)
            for (Eigen::Index i = 0; i < tape.value(k).size(); ++i) v.push_back(tape.value(k).data()[i]);
    return v;
}

bool close(double a, double b) { return std::abs(a - b) <= 1e-12 * std::max({std::abs(a), std::abs(b), 1e-300}); }

// The plan's loss and gradient at `point` against the tape's, replayed there; the plan's
// gradient is returned.
std::vector<double> check_plan_at(OptimizedTape& plan, Tape& tape, Var loss, const std::vector<double>& point) {
    std::vector<double> want(point.size()), got(point.size());
    tape.replay(point);
    tape.gradient(loss, want);
    const double want_loss = loss.scalar_value();
    const double got_loss = plan.gradient(point, got);
    BOOST_TEST(close(got_loss, want_loss), "loss " << got_loss << " vs " << want_loss);
    for (std::size_t i = 0; i < want.size(); ++i)
        BOOST_TEST(close(got[i], want[i]), "d loss / d variable element " << i << ": " << got[i] << " vs " << want[i]);
    return got;
}

tapegrad::GradientReport central_difference_check(const std::function<double(std::span<const double>)>& f,
                                                  std::span<const double> point, std::span<const double> gradient);

// The plan of `tape` against the core at the recorded point and at a moved one (each
// variable + 0.125): the core's loss and gradient (1e-12), and central differences of the
// core's loss (gradient_check.hpp's rule: rtol 1e-6, atol 1e-8).
void check_against_tape(Tape& tape, Var loss, std::size_t* steps = nullptr) {
    OptimizedTape plan(tape, loss);
    if (steps) *steps = plan.steps().size();
    std::vector<double> point = variables_of(tape);
    for (int round = 0; round < 2; ++round) {
        const std::vector<double> got = check_plan_at(plan, tape, loss, point);
        const auto f = [&](std::span<const double> x) {
            tape.replay(x);
            return loss.scalar_value();
        };
        BOOST_TEST_CONTEXT("central differences at point " << round) {
            const tapegrad::GradientReport report = central_difference_check(f, point, got);
            BOOST_TEST(report.passed, report);
        }
        for (double& x : point) x += 0.125;
    }
}

// Not inlined: GCC 12 inlines record_with for a vector of one Var and then warns
// (-Warray-bounds) about the cases for two and three that it never reaches.
[[gnu::noinline]] Var record_op(Tape& tape, Op op, const std::vector<Var>& parents) {
    return tapegrad::testing::record_with(tape, op, parents, op == Op::power_scalar ? 2.5 : 0.0);
}

bool is_unary(Op op) {
    return tapegrad::visit(op, []<class T>(T) { return std::is_base_of_v<tapegrad::ops::Unary, T>; });
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_op_in_every_shape_class_agrees_with_the_tape) {
    int cases = 0;
    for (int i = 0; i < tapegrad::op_count; ++i) {
        const auto op = static_cast<Op>(i);
        if (tapegrad::is_leaf(op)) continue;
        for (const auto& shapes : shape_classes(op)) {
            BOOST_TEST_CONTEXT(tapegrad::op_name(op) << " on " << shapes[0]) {
                Tape tape;
                std::vector<Var> parents;
                for (std::size_t p = 0; p < shapes.size(); ++p)
                    parents.push_back(tape.variable(filled(shapes[p], 0.3 + static_cast<double>(p))));
                const Var y = record_op(tape, op, parents);
                check_against_tape(tape, sum(tape.constant(filled(y.shape(), 2.1)) * y));
                ++cases;
            }
        }
    }
    BOOST_TEST(cases > 100);
}

BOOST_AUTO_TEST_CASE(every_elementwise_op_as_the_activation_of_a_fused_weighted_sum) {
    // y = f(w1 * x1 + x2 * w2 + b), five nodes on the tape: one step of the plan for every
    // f (identity: the sum alone), scalar, column and matrix.
    int cases = 0;
    for (int i = 0; i < tapegrad::op_count; ++i) {
        const auto op = static_cast<Op>(i);
        if (!is_unary(op)) continue;
        for (const Shape shape : {Shape{1, 1}, Shape{6, 1}, Shape{4, 3}})
            BOOST_TEST_CONTEXT(tapegrad::op_name(op) << " on " << shape) {
                Tape tape;
                const Var w1 = tape.variable(0.4), w2 = tape.variable(-0.3), b = tape.variable(0.9);
                const Var x1 = tape.constant(filled(shape, 0.7)), x2 = tape.variable(filled(shape, 1.1));
                const Var y = record_op(tape, op, {w1 * x1 + x2 * w2 + b});
                const Var loss = mean(square(y - tape.constant(filled(shape, 1.9))));
                std::size_t steps = 0;
                check_against_tape(tape, loss, &steps);
                BOOST_TEST(steps == 2u, "a weighted sum (and its activation), then an mse");
                ++cases;
            }
    }
    BOOST_TEST(cases >= 3 * 14);
}

BOOST_AUTO_TEST_CASE(the_tutorial_sum_recorded_as_plain_nodes_is_one_weighted_sum_step) {
    // h = w1 * x1 + w2 * x2 + w3 * x3 + b is three multiply and three add nodes on the tape
    // (a * b is a Var now, no expression templates): one step of the plan standing for all
    // six. By hand, for loss = sum(h) over six people: the value in plain doubles in the
    // same order, d/dw_k = sum_i x_ki, d/db = 6.
    Tape tape;
    const MatrixXd X1 = filled({6, 1}, 0.2), X2 = filled({6, 1}, 0.9), X3 = filled({6, 1}, 1.7);
    const double w[] = {0.31, -0.72, 0.55}, bias = 0.1;
    const Var w1 = tape.variable(w[0]), w2 = tape.variable(w[1]), w3 = tape.variable(w[2]), b = tape.variable(bias);
    const Var x1 = tape.constant(X1), x2 = tape.constant(X2), x3 = tape.constant(X3);
    const std::size_t first = tape.size();
    const Var h = w1 * x1 + w2 * x2 + w3 * x3 + b;
    BOOST_TEST(tape.size() - first == 6u);
    const Var loss = sum(h);
    OptimizedTape plan(tape, loss);
    BOOST_TEST_REQUIRE(plan.steps().size() == 2u, "the weighted sum, then the sum");
    const OptimizedTape::Step& step = plan.steps()[0];
    BOOST_TEST(step.what == "weighted sum: 3 products + 1 addend");
    BOOST_TEST(step.node == tape.index_of(h));
    std::vector<std::uint32_t> six;
    for (std::size_t k = first; k < tape.size() - 1; ++k) six.push_back(static_cast<std::uint32_t>(k));
    BOOST_TEST(step.fused == six, boost::test_tools::per_element());
    std::vector<double> g(4);
    const double l = plan.gradient(std::vector<double>{w[0], w[1], w[2], bias}, g);
    double want = 0.0;
    for (int i = 0; i < 6; ++i) want += w[0] * X1(i) + w[1] * X2(i) + w[2] * X3(i) + bias;
    BOOST_TEST(close(l, want), l << " vs " << want);
    BOOST_TEST(close(g[0], X1.sum()));
    BOOST_TEST(close(g[1], X2.sum()));
    BOOST_TEST(close(g[2], X3.sum()));
    BOOST_TEST(g[3] == 6.0);
}

BOOST_AUTO_TEST_CASE(the_health_network_in_every_activation_and_recording) {
    using namespace tapegrad::nn;
    const Parameters p = tapegrad::testing::reference_start("b");
    for (Activation a : {Activation::identity, Activation::sigmoid, Activation::relu, Activation::tanh}) {
        const HealthNetwork network = tapegrad::testing::article_network(a);
        BOOST_TEST_CONTEXT(activation_name(a)) {
            Tape batched, per_person, layers;
            ParameterVars vars;
            LayerVars layer_vars;
            std::size_t steps = 0;
            check_against_tape(batched, network.record_loss(batched, p, vars), &steps);
            BOOST_TEST(steps == 3u, "two weighted sums, then the output's (with its activation) and the mse in one");
            check_against_tape(per_person, network.record_loss_per_person(per_person, p, vars));
            check_against_tape(layers, network.record_loss_layers(layers, p, layer_vars), &steps);
            BOOST_TEST(steps == (a == Activation::identity ? 2u : 4u),
                       "linear, linear + mse (or linear, linear, activation, mse)");
        }
    }
}

BOOST_AUTO_TEST_CASE(an_output_neuron_and_its_mse_fuse_into_one_step) {
    // mse(f(s1 c1 + ... + sK cK + b), T), and the same as mean(square(P - T)): one step for
    // K = 1 to 4, with or without an activation, the columns data or computed from variables
    // (their adjoints wanted), the target a constant or a variable; K = 5 and columns that
    // mix data and variables are left as two steps. Every case against the core's sweep.
    int cases = 0;
    for (int k = 1; k <= 5; ++k)
        for (Op activation : {Op::identity, Op::sigmoid, Op::tanh})
            for (bool variable_columns : {false, true})
                for (bool variable_target : {false, true})
                    for (bool mixed : {false, true})
                        for (bool mse_node : {false, true}) {
                            if (mixed && (k == 1 || !variable_columns)) continue;
                            BOOST_TEST_CONTEXT(k << " columns, " << tapegrad::op_name(activation)
                                                 << (variable_columns ? ", columns from variables" : "")
                                                 << (mixed ? " and data" : "")
                                                 << (variable_target ? ", variable target" : "")
                                                 << (mse_node ? ", mse node" : ", subtract-square-mean")) {
                                Tape tape;
                                Var z;
                                for (int t = 0; t < k; ++t) {
                                    const Var s = tape.variable(0.3 + 0.1 * t);
                                    Var c = tape.constant(filled({6, 1}, 0.4 * t));
                                    if (variable_columns && !(mixed && t == 0)) c = c * tape.variable(1.1);
                                    z = t == 0 ? s * c : z + s * c;
                                }
                                z = z + tape.variable(0.2);
                                const Var y = tape.record(activation, {z});
                                const Var target = variable_target ? tape.variable(filled({6, 1}, 2.0))
                                                                   : tape.constant(filled({6, 1}, 2.0));
                                const Var loss = mse_node ? mean_squared_error(y, target) : mean(square(y - target));
                                std::size_t steps = 0;
                                check_against_tape(tape, loss, &steps);
                                const std::size_t products = variable_columns ? k - (mixed ? 1 : 0) : 0;
                                const bool one = k <= 4 && !mixed;
                                BOOST_TEST(steps == products + (one ? 1u : 2u));
                                ++cases;
                            }
                        }
    BOOST_TEST(cases == 5 * 3 * 2 * 2 * 2 + 4 * 3 * 2 * 2);
}

BOOST_AUTO_TEST_CASE(two_neurons_of_the_same_inputs_agree_with_the_tape) {
    // h1 = sum_k a_k x_k (+ b1), h2 = sum_k c_k x_k (+ b2) over the same data columns, which
    // the plan runs as a pair, forwards and backwards: K = 1 to 5 columns (5: not unrolled),
    // with and without the biases, the columns in the same or another order (another: no
    // pair), one element (no pair either) or six; then a loss that uses both.
    int cases = 0;
    for (int k = 1; k <= 5; ++k)
        for (bool biases : {false, true})
            for (bool same_order : {true, false})
                for (std::uint32_t rows : {1u, 6u}) {
                    BOOST_TEST_CONTEXT(k << " columns" << (biases ? ", biases" : "") << (same_order ? "" : ", reordered")
                                         << ", " << rows << " rows") {
                        Tape tape;
                        std::vector<Var> x;
                        for (int t = 0; t < k; ++t) x.push_back(tape.constant(filled({rows, 1}, 0.3 * t)));
                        Var h[2];
                        for (int j = 0; j < 2; ++j)
                            for (int t = 0; t < k; ++t) {
                                const int column = same_order || j == 0 ? t : k - 1 - t;
                                const Var term = tape.variable(0.2 + 0.1 * t - 0.3 * j) * x[column];
                                h[j] = t == 0 ? term : h[j] + term;
                            }
                        if (biases) h[0] = h[0] + tape.variable(0.5), h[1] = h[1] + tape.variable(-0.25);
                        check_against_tape(tape, sum(square(h[0] * h[1] - 1.0)));
                        ++cases;
                    }
                }
    BOOST_TEST(cases == 5 * 2 * 2 * 2);
}

BOOST_AUTO_TEST_CASE(an_output_layer_and_its_mse_fuse_in_every_small_size) {
    // mse(linear(X, W, b), T) for W of every size up to 4 x 4 (one step) and a larger one
    // (two steps); the target a constant, then a variable (its adjoint is wanted too).
    int cases = 0;
    for (std::uint32_t k = 1; k <= 5; ++k)
        for (std::uint32_t m = 1; m <= 4; ++m)
            for (bool variable_target : {false, true}) {
                BOOST_TEST_CONTEXT("W " << k << "x" << m << (variable_target ? ", variable target" : "")) {
                    Tape tape;
                    const Var x = tape.constant(filled({7, k}, 0.2)), w = tape.variable(filled({k, m}, 0.5));
                    const Var b = tape.variable(filled({1, m}, 0.9));
                    const Var t =
                        variable_target ? tape.variable(filled({7, m}, 1.3)) : tape.constant(filled({7, m}, 1.3));
                    std::size_t steps = 0;
                    check_against_tape(tape, mean_squared_error(linear(x, w, b), t), &steps);
                    BOOST_TEST(steps == (k <= 4 ? 1u : 2u));
                    ++cases;
                }
            }
    BOOST_TEST(cases == 40);
}

BOOST_AUTO_TEST_CASE(the_pass_drops_what_the_loss_does_not_need) {
    Tape tape;
    const Var w = tape.variable(2.0), unused = tape.variable(5.0);
    const Var x = tape.constant(3.0);
    (void)exp(w * unused);                        // dead: the loss does not use it
    const Var data = sin(x) * 2.0;                // live, but no variable reaches it: no backward
    const Var loss = identity(square(w) * data);  // identity: its parent's node
    OptimizedTape plan(tape, loss);
    BOOST_TEST(plan.dead_nodes() == 2u);
    std::size_t backward = 0;
    for (const auto& step : plan.steps()) backward += step.backward;
    BOOST_TEST(plan.steps().size() == 4u);  // sin, multiply, square, multiply
    BOOST_TEST(backward == 2u);             // square and the last multiply
    std::vector<double> g(2);
    const double l = plan.gradient(std::vector<double>{2.0, 5.0}, g);
    BOOST_TEST(l == 4.0 * std::sin(3.0) * 2.0);
    BOOST_TEST(close(g[0], 2.0 * 2.0 * std::sin(3.0) * 2.0));  // d/dw of w^2 * 2 sin 3
    BOOST_TEST(g[1] == 0.0);
    std::ostringstream table;
    print_plan(table, tape, plan);
    BOOST_TEST(table.str().find("tape: 11 nodes (4 leaves, 1 identity); plan: 4 steps") != std::string::npos,
               table.str());
    BOOST_TEST(table.str().find("2 nodes the loss does not need dropped") != std::string::npos, table.str());
}

BOOST_AUTO_TEST_CASE(set_value_gives_the_data_new_numbers) {
    Tape tape;
    const Var w = tape.variable(MatrixXd::Constant(1, 1, 0.5)), b = tape.variable(0.25);
    const Var x = tape.constant(filled({6, 1}, 0.1)), y = tape.constant(filled({6, 1}, 0.9));
    const Var loss = mean(square(w * x + b - y));
    OptimizedTape plan(tape, loss);
    tape.set_value(x, filled({6, 1}, 4.0));
    plan.set_value(x, filled({6, 1}, 4.0));
    check_against_tape(tape, loss);  // a new plan from the replayed tape, as a reference
    const std::vector<double> point{0.5, 0.25};
    std::vector<double> want(2), got(2);
    tape.replay(point);
    tape.gradient(loss, want);
    plan.gradient(point, got);
    BOOST_TEST(close(got[0], want[0]));
    BOOST_TEST(close(got[1], want[1]));
    BOOST_CHECK_THROW(plan.set_value(loss, MatrixXd::Zero(1, 1)), TapeError);  // not a leaf
    BOOST_CHECK_THROW(plan.set_value(x, MatrixXd::Zero(5, 1)), TapeError);     // another shape
    Tape other;
    BOOST_CHECK_THROW(plan.set_value(other.constant(1.0), MatrixXd::Zero(1, 1)), TapeError);  // another tape
}

BOOST_AUTO_TEST_CASE(a_plan_outlives_its_tape_being_cleared_and_knows_its_own_vars) {
    // The plan reads the tape only when compiled (CompiledLoss clears and records its tape
    // again on retrace): after tape.clear() and a new recording, the plan gives the same
    // numbers, takes set_value for the leaves it was compiled from, and refuses the Vars of
    // the new recording. By hand: every element alike, L = (w x - y)^2, dL/dw = 2 (w x - y) x.
    Tape tape;
    const Var w = tape.variable(0.5), x = tape.constant(MatrixXd::Constant(6, 1, 0.1));
    const Var y = tape.constant(MatrixXd::Constant(6, 1, 0.9));
    const Var loss = mean(square(w * x - y));
    OptimizedTape plan(tape, loss);
    tape.clear();
    const Var again = tape.constant(MatrixXd::Constant(6, 1, 5.0));
    (void)(again * tape.variable(3.0));
    plan.set_value(x, MatrixXd::Constant(6, 1, 2.0));
    std::vector<double> got(1);
    const double l = plan.gradient(std::vector<double>{0.5}, got);
    BOOST_TEST(close(l, (0.5 * 2.0 - 0.9) * (0.5 * 2.0 - 0.9)));
    BOOST_TEST(close(got[0], 2 * (0.5 * 2.0 - 0.9) * 2.0));
    BOOST_CHECK_THROW(plan.set_value(again, MatrixXd::Zero(6, 1)), TapeError);  // the new recording's
}

BOOST_AUTO_TEST_CASE(a_gradient_allocates_nothing) {
    using namespace tapegrad::nn;
    const HealthNetwork network = tapegrad::testing::article_network(Activation::sigmoid);
    Tape tape;
    ParameterVars vars;
    Parameters p = tapegrad::testing::reference_start("a"), g;
    OptimizedTape plan(tape, network.record_loss(tape, p, vars));
    plan.gradient(p.values, g.values);
    const long before = tapegrad::testing::allocations.load();
    for (int i = 0; i < 100; ++i) {
        p[w1] += 0.001;
        plan.gradient(p.values, g.values);
    }
    BOOST_TEST(tapegrad::testing::allocations.load() - before == 0);
}

BOOST_AUTO_TEST_CASE(refusals_name_what_is_wrong) {
    Tape tape;
    const Var w = tape.variable(filled({2, 1}, 0.3));
    BOOST_CHECK_EXCEPTION(OptimizedTape(tape, w), TapeError,
                          [](const TapeError& e) { return std::string(e.what()).find("1x1") != std::string::npos; });
    const Var loss = sum(w);
    OptimizedTape plan(tape, loss);
    std::vector<double> point(3), out(2);
    BOOST_CHECK_EXCEPTION(plan.gradient(point, out), TapeError, [](const TapeError& e) {
        return std::string(e.what()).find("hold 2 numbers, but 3 were given") != std::string::npos;
    });
    tape.clear();
    BOOST_CHECK_THROW(OptimizedTape(tape, loss), TapeError);  // stale
}

// ---- Issue 28: no recursion in the pass, and a plan moved from refuses clearly -----------

BOOST_AUTO_TEST_CASE(compiling_a_million_node_add_chain) {
    // loss = x y + x + y + x + ...: the add tree under the loss is as deep as the loop is long,
    // and the pass takes it in whole as one weighted sum. Expanding it recursively overflowed
    // the stack from 80,000 terms (30,000 under ASan). Closed form, with x added kx times
    // and y ky times: loss = x y + kx x + ky y, d/dx = y + kx, d/dy = x + ky (exact in doubles).
    constexpr int terms = 999'997;  // with x, y and x y: a million nodes
    Tape tape;
    const Var x = tape.variable(0.5), y = tape.variable(0.25);
    Var loss = x * y;
    for (int i = 0; i < terms; ++i) loss = loss + (i % 2 == 0 ? x : y);
    BOOST_TEST(tape.size() == 1'000'000u);
    OptimizedTape plan(tape, loss);
    BOOST_TEST(plan.steps().size() == 1u, "one weighted sum of every term");
    const double kx = (terms + 1) / 2, ky = terms / 2;
    for (const std::vector<double>& point : {std::vector<double>{0.5, 0.25}, std::vector<double>{-3.0, 8.0}}) {
        std::vector<double> g(2);
        const double l = plan.gradient(point, g);
        BOOST_TEST(l == point[0] * point[1] + kx * point[0] + ky * point[1]);
        BOOST_TEST(g[0] == point[1] + kx);
        BOOST_TEST(g[1] == point[0] + ky);
    }
}

BOOST_AUTO_TEST_CASE(million_node_graphs_through_every_pass) {
    // Graphs of a million nodes of three other kinds through record, sweep, replay and
    // compile: a chain where each link is used twice (y + c sin y: every link a step of the
    // plan), sums nested to the right (w x + y: each link its own weighted sum, the order of
    // the tape's additions kept), and an add chain over products nested to the left (one
    // weighted sum in the plan). By hand: the sums are y = x + L w x (+ L c), so
    // d/dx = 1 + L w and d/dw = L x, exact in doubles; the chain's d/dx is the product of
    // its links' 1 + c cos y, taken here in plain doubles.
    for (int kind = 0; kind < 3; ++kind) BOOST_TEST_CONTEXT("kind " << kind) {
            const int links = kind == 1 ? 500'000 : 333'333;
            Tape tape;
            const Var x = tape.variable(0.75), w = tape.variable(2.0);
            const Var c = tape.constant(1e-6);
            Var y = x;
            for (int i = 0; i < links; ++i) {
                if (kind == 0) y = y + sin(y) * c;   // sin, multiply, add
                if (kind == 1) y = w * x + y;        // multiply, add
                if (kind == 2) y = (y + w * x) + c;  // multiply, add, add
            }
            BOOST_TEST(tape.size() >= 1'000'000u);
            std::vector<double> want(2), got(2);
            for (const double xv : {0.75, 0.5}) {
                if (xv != 0.75) tape.replay(std::vector<double>{xv, 3.0});
                tape.gradient(y, want);
                const double wv = xv == 0.75 ? 2.0 : 3.0;
                if (kind != 0) {
                    BOOST_TEST(want[0] == 1.0 + links * wv);
                    BOOST_TEST(want[1] == links * xv);
                } else {
                    double v = xv, d = 1.0;
                    for (int i = 0; i < links; ++i) d *= 1.0 + std::cos(v) * 1e-6, v = v + std::sin(v) * 1e-6;
                    BOOST_TEST(y.scalar_value() == v);  // the same operations in the same order
                    BOOST_TEST(std::abs(want[0] - d) <= 1e-9 * d, want[0] << " vs " << d);
                    BOOST_TEST(want[1] == 0.0);
                }
            }
            OptimizedTape plan(tape, y);
            const double l = plan.gradient(std::vector<double>{0.5, 3.0}, got);
            BOOST_TEST(close(l, y.scalar_value()));
            BOOST_TEST(close(got[0], want[0]));
            BOOST_TEST(close(got[1], want[1]));
        }
}

BOOST_AUTO_TEST_CASE(a_plan_moved_from_refuses_every_member) {
    Tape tape;
    const Var w = tape.variable(2.0);
    const Var loss = square(w);
    OptimizedTape plan(tape, loss);
    OptimizedTape moved = std::move(plan);
    std::vector<double> point{3.0}, out(1);
    BOOST_TEST(moved.gradient(point, out) == 9.0);  // the plan lives on where it went
    BOOST_TEST(out[0] == 6.0);
    const auto refuses = [](auto&& f, const std::string& member) {
        const std::string msg = tapegrad::testing::error_of(f);
        BOOST_TEST(msg.find("OptimizedTape::" + member) != std::string::npos, msg);
        BOOST_TEST(msg.find("moved from") != std::string::npos, msg);
    };
    refuses([&] { plan.gradient(point, out); }, "gradient");
    refuses([&] { plan.set_value(w, MatrixXd::Ones(1, 1)); }, "set_value");
    refuses([&] { (void)plan.variable_elements(); }, "variable_elements");
    refuses([&] { (void)plan.steps(); }, "steps");
    refuses([&] { (void)plan.tape_nodes(); }, "tape_nodes");
    refuses([&] { (void)plan.dead_nodes(); }, "dead_nodes");
    plan = std::move(moved);  // assigned to, it is a plan again
    BOOST_TEST(plan.gradient(point, out) == 9.0);
}

// ---- Issue 28: at the IEEE specials the plan's kernels follow the core's rule -------------
// The core's sweep passes nothing on from an element whose adjoint is 0 (tape.cpp), so an
// infinite operand off the loss's path gives no 0 * inf = NaN. The plan's kernels must do
// the same: every adjoint the core's, NaN where it is NaN (op_cases.hpp's specials).

namespace {
// d loss / d variables by the core, and by a plan of the same recording.
struct Both {
    std::vector<double> core, plan;
};
template <class Record>
Both core_and_plan(Record&& record) {
    Both r;
    Tape core, tape;
    const Var core_loss = record(core);
    r.core.resize(core.variable_elements());
    core.gradient(core_loss, r.core);
    OptimizedTape plan(tape, record(tape));
    r.plan.resize(plan.variable_elements());
    plan.gradient(variables_of(tape), r.plan);
    return r;
}
// The first variable element where the plan's adjoint is not the core's, or -1.
long first_difference(const Both& r, Op op = Op::add) {
    for (std::size_t i = 0; i < r.core.size(); ++i)
        if (!tapegrad::testing::same_special(r.plan[i], r.core[i], op)) return static_cast<long>(i);
    return -1;
}
#define TAPEGRAD_CHECK_BOTH(r)                                                                       \
    do {                                                                                             \
        const long at = first_difference(r);                                                         \
        BOOST_TEST(at < 0, "adjoint " << at << ": plan " << (at < 0 ? 0 : (r).plan[at]) << ", core " \
                                      << (at < 0 ? 0 : (r).core[at]));                               \
    } while (false)
}  // namespace

BOOST_AUTO_TEST_CASE(zero_adjoint_times_an_infinite_operand_is_no_nan) {
    // The graph: relu(A x) is 0 with adjoint 0 where x = -inf, so d/dA is that of
    // sum(A), 1, by the core's rule; the kernels of matmul (Eigen's dY B^T) and of a small
    // dense layer made it 0 * -inf = NaN in the plan.
    const double inf = std::numeric_limits<double>::infinity();
    const MatrixXd a = filled({3, 1}, 0.4);
    for (const bool layer : {false, true})
        for (const bool compiled : {false, true})
            BOOST_TEST_CONTEXT((layer ? "linear" : "matmul") << (compiled ? ", compiled" : ", core")) {
                Tape tape;
                const Var A = tape.variable(a), x = tape.constant(-inf), zero = tape.constant(0.0);
                const Var loss = sum(relu(layer ? linear(A, x, zero) : matmul(A, x))) + sum(A);
                std::vector<double> g(3);
                if (compiled)
                    OptimizedTape(tape, loss).gradient(variables_of(tape), g);
                else
                    tape.gradient(loss, g);
                for (double d : g) BOOST_TEST(d == 1.0);
            }
}

BOOST_AUTO_TEST_CASE(every_op_at_the_ieee_specials_compiled_agrees_with_the_core) {
    int cases = 0;
    for (int i = 0; i < tapegrad::op_count; ++i) {
        const auto op = static_cast<Op>(i);
        if (tapegrad::is_leaf(op)) continue;
        const auto specials = tapegrad::testing::special_cases(op);
        for (std::size_t c = 0; c < specials.size(); ++c)
            BOOST_TEST_CONTEXT(tapegrad::op_name(op) << ", special case " << c) {
                const Both r = core_and_plan([&](Tape& tape) {
                    std::vector<Var> parents;
                    for (const MatrixXd& p : specials[c].parents) parents.push_back(tape.variable(p));
                    const Var y = tapegrad::testing::record_with(tape, op, parents, specials[c].constant);
                    return sum(tape.constant(tapegrad::testing::special_weights(specials[c], y.shape(), c)) * y);
                });
                const long at = first_difference(r, op);
                BOOST_TEST(at < 0, "adjoint " << at << ": plan " << (at < 0 ? 0 : r.plan[at]) << ", core "
                                              << (at < 0 ? 0 : r.core[at]));
                ++cases;
            }
    }
    BOOST_TEST(cases > 500);
}

BOOST_AUTO_TEST_CASE(fused_steps_at_the_ieee_specials_agree_with_the_core) {
    // The plan's own kernels: a weighted sum with each elementwise activation on top, and a
    // small output layer with its mse, their numbers drawn from the specials.
    const std::vector<double>& x = tapegrad::testing::specials();
    std::vector<double> moderate = x;  // for the mse: see op_cases.hpp
    std::erase_if(moderate, [](double v) { return std::abs(v) == 1e308; });
    const Eigen::Index n = static_cast<Eigen::Index>(x.size());
    const MatrixXd column = Eigen::Map<const MatrixXd>(x.data(), n, 1);
    MatrixXd weights(n, 1);
    for (Eigen::Index k = 0; k < n; ++k) weights(k) = tapegrad::testing::adjoint_weights()[k % 4];
    int cases = 0;
    for (int i = 0; i < tapegrad::op_count; ++i) {
        const auto op = static_cast<Op>(i);
        if (!is_unary(op) || op == Op::identity) continue;
        for (const double s : x)
            for (const double b : x)
                BOOST_TEST_CONTEXT(tapegrad::op_name(op) << " of " << s << " x + x' " << -s << " + " << b) {
                    const Both r = core_and_plan([&](Tape& tape) {
                        const Var w1 = tape.variable(s), w2 = tape.variable(-s), bias = tape.variable(b);
                        const Var x1 = tape.variable(column), x2 = tape.variable(MatrixXd(column.reverse()));
                        const Var y = record_op(tape, op, {w1 * x1 + x2 * w2 + bias});
                        return sum(tape.constant(weights) * y);
                    });
                    TAPEGRAD_CHECK_BOTH(r);
                    ++cases;
                }
    }
    tapegrad::testing::Picker pick;
    for (int k = 0; k < 400; ++k) BOOST_TEST_CONTEXT("linear, then mse, case " << k) {
            // Four outputs: 2 / N is exact, so the plan's 2 dy / N and the core's 2 (Z - T) / N round alike.
            const MatrixXd X = pick.matrix({2, 3}, moderate), W = pick.matrix({3, 2}, moderate);
            const MatrixXd B = pick.matrix({1, 2}, moderate), T = pick.matrix({2, 2}, moderate);
            const Both r = core_and_plan([&](Tape& tape) {
                return mean_squared_error(linear(tape.variable(X), tape.variable(W), tape.variable(B)),
                                          tape.constant(T));
            });
            TAPEGRAD_CHECK_BOTH(r);
            ++cases;
        }
    BOOST_TEST(cases > 2000);
}

// ---- A fused sum computes what the tape computes, bit for bit ---------------------------
// The weighted-sum kernels promise to add the terms "in the order the tape adds them (so an
// overflow, or inf - inf, happens where the tape's does)". Two ways that promise can break.

BOOST_AUTO_TEST_CASE(a_fused_sum_nested_to_the_right_keeps_the_tapes_order_of_additions) {
    // p + (q + r) is not (p + q) + r in doubles. With q = -r = 1e17 the tape adds q + r = 0
    // first, then p: p. A plan that takes the right-hand add into the left one's weighted
    // sum adds p, q, r in a row: (p + 1e17) - 1e17 = 0 for p = 1; and at 1e308, the tape's
    // 1e308 + (1e308 - 1e308) = 1e308 becomes inf. The core's value is the reference, and
    // the same in plain doubles: p + (q + r).
    for (const double big : {1e17, 1e308})
        for (const Shape shape : {Shape{1, 1}, Shape{6, 1}}) {
            if (big == 1e308 && !shape.is_scalar()) continue;  // sum(y) would overflow either way
            BOOST_TEST_CONTEXT("q = -r = " << big << ", " << shape) {
                Tape tape;
                const Var wp = tape.variable(1.0), wq = tape.variable(1.0), wr = tape.variable(1.0);
                const double p = big == 1e17 ? 1.0 : big;
                const Var xp = tape.constant(MatrixXd::Constant(shape.rows, shape.cols, p));
                const Var xq = tape.constant(MatrixXd::Constant(shape.rows, shape.cols, big));
                const Var xr = tape.constant(MatrixXd::Constant(shape.rows, shape.cols, -big));
                const Var y = wp * xp + (wq * xq + wr * xr);
                const Var loss = sum(y);
                const double want = static_cast<double>(shape.size()) * (p + (big + -big));
                BOOST_TEST(loss.scalar_value() == want, "the core: " << loss.scalar_value());
                std::vector<double> g(3);
                const double got = OptimizedTape(tape, loss).gradient(variables_of(tape), g);
                BOOST_TEST(got == want, "the plan: " << got << " vs " << want);
                BOOST_TEST(g[0] == static_cast<double>(shape.size()) * p);  // d/dw = sum x
                BOOST_TEST(g[1] == static_cast<double>(shape.size()) * big);
            }
        }
}

BOOST_AUTO_TEST_CASE(a_fused_sum_without_a_bias_keeps_the_sign_of_a_zero) {
    // w1 x1 + w2 x2 with both products -0 is (-0) + (-0) = -0 on the tape, and 1 / it is
    // -inf. A sum kernel that adds its missing bias as + 0.0 makes it +0, and the loss +inf.
    for (const Shape shape : {Shape{1, 1}, Shape{6, 1}}) BOOST_TEST_CONTEXT(shape) {
            Tape tape;
            const Var w1 = tape.variable(-1.0), w2 = tape.variable(1.0);
            const Var x1 = tape.constant(MatrixXd::Zero(shape.rows, shape.cols));
            const Var x2 = tape.constant(MatrixXd::Constant(shape.rows, shape.cols, -0.0));
            const Var loss = sum(1.0 / (w1 * x1 + w2 * x2));
            const double inf = std::numeric_limits<double>::infinity();
            BOOST_TEST(loss.scalar_value() == -inf, "the core: " << loss.scalar_value());
            std::vector<double> g(2);
            const double got = OptimizedTape(tape, loss).gradient(variables_of(tape), g);
            BOOST_TEST(got == -inf, "the plan: " << got);
        }
}

// ---- Issue 24: a kernel that declines ------------------------------------------------------
// A kernel may decline (kernels.hpp), and then the generic path must do the node. The
// plan once dropped what its plain steps' kernels returned: an op whose kernel declines gave
// loss 0 and gradient 0, every other test green, since no kernel declined. Here each op of
// TAPEGRAD_OPS in turn is made to decline (kernels::set_declining_for_testing), once
// before compiling (the plan gives its nodes the generic evaluator from the start) and once
// after (the plain steps see the kernel decline as they run), and the plan must give the
// core's loss and gradient (the tape it was compiled from, 1e-12 relative) and agree with
// central differences of the core's loss (gradient_check.hpp's rule, its default
// tolerances: rtol 1e-6, atol 1e-8; the inputs are in [0.5, 1.5], where no op is near a
// kink or a pole).

namespace {

// The kernels of `op` decline while this lives.
struct Declining {
    Op op;
    explicit Declining(Op declining) : op(declining) { tapegrad::kernels::set_declining_for_testing(op, true); }
    ~Declining() { tapegrad::kernels::set_declining_for_testing(op, false); }
    Declining(const Declining&) = delete;
    Declining& operator=(const Declining&) = delete;
};

enum class When { compiling, running };
const char* when_name(When w) { return w == When::compiling ? "declining when compiled" : "declining when run"; }

// `gradient` against central differences of f, element by element for up to 64 numbers,
// along 4 random directions beyond (check_directions: a 40 x 30 times 30 x 20 product has
// 1,800 numbers).
tapegrad::GradientReport central_difference_check(const std::function<double(std::span<const double>)>& f,
                                                  std::span<const double> point, std::span<const double> gradient) {
    if (point.size() > 64) return tapegrad::check_directions(f, point, gradient);
    std::vector<double> rounding;
    const std::vector<double> numeric = tapegrad::central_differences(f, point, 1e-6, &rounding);
    std::vector<std::string> names;
    for (std::size_t i = 0; i < point.size(); ++i) names.push_back("x" + std::to_string(i));
    return tapegrad::compare_gradients(names, gradient, numeric, {}, rounding);
}

// `op` declining `when`, the plan of `core`'s recording
// against the core and against central differences of the core's loss, at the recorded
// point and at a moved one. How many of the plan's steps the kernels declined in: *declined.
void check_declining(Tape& core, Var loss, Op op, When when, std::uint64_t* declined) {
    std::optional<Declining> declining;
    if (when == When::compiling) declining.emplace(op);
    OptimizedTape plan(core, loss);
    if (when == When::running) declining.emplace(op);
    if (when == When::compiling && op != Op::identity)  // identity is no step: another name for its parent
        for (std::uint32_t k = 0; k < core.size(); ++k)
            if (core.node(k).op == op) {
                const auto& steps = plan.steps();
                const auto step = std::find_if(steps.begin(), steps.end(), [&](const auto& s) { return s.node == k; });
                BOOST_TEST((step != steps.end() && step->fused == std::vector<std::uint32_t>{k} &&
                            step->what == std::string(tapegrad::op_name(op)) + " (generic)"),
                           "node " << k << " is a generic step of its own");
            }
    const std::uint64_t before = tapegrad::kernels::declines_for_testing();
    std::vector<double> point = variables_of(core);
    for (int round = 0; round < 2; ++round) {
        const std::vector<double> got = check_plan_at(plan, core, loss, point);
        const auto f = [&](std::span<const double> x) {
            core.replay(x);
            return loss.scalar_value();
        };
        BOOST_TEST_CONTEXT("at point " << round) {
            const tapegrad::GradientReport report = central_difference_check(f, point, got);
            BOOST_TEST(report.passed, report);
        }
        for (double& x : point) x += 0.125;
    }
    *declined += tapegrad::kernels::declines_for_testing() - before;
}

// Whether the plan has a step named for `op` alone: a plain step, which may call its kernel
// (and so see it decline; a small layer's goes straight to its register kernel instead).
bool has_plain_step(const OptimizedTape& plan, Op op) {
    return std::any_of(plan.steps().begin(), plan.steps().end(),
                       [&](const auto& s) { return s.what == tapegrad::op_name(op); });
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_declining_kernel_falls_back_to_the_generic_evaluator) {
    // Every op alone in every shape class, under loss = sum(C * op(parents)).
    int cases = 0, seen_declining = 0;
    for (int i = 0; i < tapegrad::op_count; ++i) {
        const auto op = static_cast<Op>(i);
        if (tapegrad::is_leaf(op)) continue;
        for (const auto& shapes : shape_classes(op))
            for (const When when : {When::compiling, When::running})
                BOOST_TEST_CONTEXT(tapegrad::op_name(op) << " on " << shapes[0] << ", " << when_name(when)) {
                    Tape core;
                    std::vector<Var> parents;
                    for (std::size_t p = 0; p < shapes.size(); ++p)
                        parents.push_back(core.variable(filled(shapes[p], 0.3 + static_cast<double>(p))));
                    const Var y = record_op(core, op, parents);
                    const Var loss = sum(core.constant(filled(y.shape(), 2.1)) * y);
                    std::uint64_t declined = 0;
                    check_declining(core, loss, op, when, &declined);
                    if (when == When::running && declined > 0) {  // the trap was set: a plain step's kernel declined
                        BOOST_TEST(has_plain_step(OptimizedTape(core, loss), op));
                        ++seen_declining;
                    }
                    ++cases;
                }
    }
    BOOST_TEST(cases > 200);
    BOOST_TEST(seen_declining > 60, seen_declining << " cases where a plain step's kernel declined as it ran");
}

BOOST_AUTO_TEST_CASE(a_declining_kernel_in_the_health_network_falls_back_to_the_generic_evaluator) {
    // The health network's loss in every activation and recording, each op declining in turn.
    using namespace tapegrad::nn;
    const Parameters p = tapegrad::testing::reference_start("b");
    int cases = 0;
    std::uint64_t declined = 0;
    for (int i = 0; i < tapegrad::op_count; ++i) {
        const auto op = static_cast<Op>(i);
        if (tapegrad::is_leaf(op)) continue;
        for (Activation a : {Activation::identity, Activation::sigmoid, Activation::relu, Activation::tanh}) {
            const HealthNetwork network = tapegrad::testing::article_network(a);
            for (int recording = 0; recording < 3; ++recording)
                for (const When when : {When::compiling, When::running})
                    BOOST_TEST_CONTEXT(tapegrad::op_name(op) << ", " << activation_name(a) << ", recording "
                                                             << recording << ", " << when_name(when)) {
                        Tape core;
                        ParameterVars vars;
                        LayerVars layer_vars;
                        const Var loss = recording == 0   ? network.record_loss(core, p, vars)
                                         : recording == 1 ? network.record_loss_per_person(core, p, vars)
                                                          : network.record_loss_layers(core, p, layer_vars);
                        check_declining(core, loss, op, when, &declined);
                        ++cases;
                    }
        }
    }
    BOOST_TEST(cases == 2 * 3 * 4 * (tapegrad::op_count - 2));
    BOOST_TEST(declined > 0u, "the layers' activations are plain steps: their kernels declined as they ran");
}

// The per-person loss, (a1 - b1)^2 + ... + (ak - bk)^2 with every square and subtract used
// once, is one step of squared differences; by hand, d/da_k = 2 (a_k - b_k) and d/db_k the
// opposite, the value added in the tape's order. Then at the IEEE specials (every a and b
// from the specials, a zero and a non-zero weight on the sum) against the core, number for
// number; a square used twice keeps its own steps.
BOOST_AUTO_TEST_CASE(a_sum_of_squared_differences_is_one_step) {
    const std::vector<double> a{0.7, -1.3, 2.9, 0.05}, b{1.1, 0.4, -0.6, 0.05};
    Tape tape;
    std::vector<Var> av, bv;
    for (std::size_t k = 0; k < a.size(); ++k) av.push_back(tape.variable(a[k])), bv.push_back(tape.variable(b[k]));
    Var total = square(av[0] - bv[0]);
    for (std::size_t k = 1; k < a.size(); ++k) total += square(av[k] - bv[k]);
    OptimizedTape plan(tape, total);
    BOOST_TEST_REQUIRE(plan.steps().size() == 1u);
    BOOST_TEST(plan.steps()[0].what == "sum of 4 squared differences (subtract, square, add)");
    std::vector<double> point, g(2 * a.size());
    for (std::size_t k = 0; k < a.size(); ++k) point.insert(point.end(), {a[k], b[k]});
    const double loss = plan.gradient(point, g);
    double want = 0.0;
    for (std::size_t k = 0; k < a.size(); ++k) want += (a[k] - b[k]) * (a[k] - b[k]);
    BOOST_TEST(loss == want);
    for (std::size_t k = 0; k < a.size(); ++k) {
        BOOST_TEST(g[2 * k] == 2.0 * (a[k] - b[k]));
        BOOST_TEST(g[2 * k + 1] == -2.0 * (a[k] - b[k]));
    }

    const std::vector<double>& x = tapegrad::testing::specials();
    for (double weight : {0.0, 1.5})
        for (std::size_t i = 0; i < x.size(); ++i)
            for (std::size_t j = 0; j < x.size(); ++j)
                BOOST_TEST_CONTEXT("a = " << x[i] << ", b = " << x[j] << ", weight " << weight) {
                    const Both r = core_and_plan([&](Tape& t) {
                        const Var p = t.variable(x[i]), q = t.variable(x[j]), u = t.variable(0.5), v = t.variable(x[i]);
                        Var sum = square(p - q);
                        sum += square(u - v);
                        sum += square(q - p);
                        return sum * weight;
                    });
                    TAPEGRAD_CHECK_BOTH(r);
                }

    Tape shared;  // the square read twice: not taken into a sum of squared differences
    const Var p = shared.variable(1.5), q = shared.variable(0.5);
    const Var s = square(p - q);
    OptimizedTape twice(shared, s + s * 2.0);
    for (const OptimizedTape::Step& step : twice.steps())
        BOOST_TEST(step.what.find("squared differences") == std::string::npos, step.what);
}
