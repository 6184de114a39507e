// tests/test_compiled_loss.cpp — trace once, compile, evaluate many (autodiff/compiled_loss.hpp).
// CompiledLoss records its loss on a core tape at the first gradient() (the record
// function's calls are counted: once), compiles it, and from then on must give at every
// new point what a core Tape recorded afresh there gives (1e-12), what central differences
// of the same loss in plain doubles give, and the hand-derived gradient of
// L(w, b) = mean((w x + b - t)^2). Also: retrace() records again (a graph that branches on
// a value is wrong without it and right with it), set_value gives the trace new data, the
// refusals (plan() before a trace, a point of the wrong size), no allocation per gradient
// after the first, and nn::TapeGradient giving the same numbers recorded each time,
// replayed and compiled. (The plan itself: test_optimized_tape; Tape::replay: test_tape.)
#define BOOST_TEST_MODULE compiled_loss
#include <boost/test/unit_test.hpp>

#include <array>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "counting_allocator.hpp"
#include "health_fixtures.hpp"
#include "tape_errors.hpp"
#include "tapegrad/autodiff/compiled_loss.hpp"
#include "tapegrad/autodiff/gradient_check.hpp"
#include "tapegrad/nn/health_network.hpp"

using Eigen::MatrixXd;
using tapegrad::CompiledLoss;
using tapegrad::Tape;
using tapegrad::TapeError;
using tapegrad::Var;
using tapegrad::testing::contains;
using tapegrad::testing::error_of;

namespace {
const std::array<double, 3> xs{1.0, 2.0, 4.0}, ts{3.0, 5.0, 6.0};

MatrixXd column(std::span<const double> v) { return Eigen::Map<const MatrixXd>(v.data(), std::ssize(v), 1); }

// L(w, b) = mean((w x + b - t)^2) over the samples of x and t.
Var record_line(Tape& tape, std::span<const double> p, std::span<const double> x = xs, std::span<const double> t = ts) {
    const Var w = tape.variable(p[0]), b = tape.variable(p[1]);
    return mean(square(w * tape.constant(column(x)) + b - tape.constant(column(t))));
}
// L and its gradient, derived by hand: dL/dw = (2/n) sum e_i x_i, dL/db = (2/n) sum e_i.
std::array<double, 3> by_hand(std::span<const double> p, std::span<const double> x = xs,
                              std::span<const double> t = ts) {
    double l = 0, dw = 0, db = 0;
    const double n = static_cast<double>(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) {
        const double e = p[0] * x[i] + p[1] - t[i];
        l += e * e / n;
        dw += 2 * e * x[i] / n;
        db += 2 * e / n;
    }
    return {l, dw, db};
}
void expect_by_hand(double l, std::span<const double> p, const std::vector<double>& g, std::span<const double> x = xs,
                    std::span<const double> t = ts) {
    const auto hand = by_hand(p, x, t);
    BOOST_TEST(l == hand[0], boost::test_tools::tolerance(1e-13));
    BOOST_TEST(g[0] == hand[1], boost::test_tools::tolerance(1e-13));
    BOOST_TEST(g[1] == hand[2], boost::test_tools::tolerance(1e-13));
}

// A small network: L(w1, b1, w2, b2) = mean((w2 tanh(w1 x + b1) + b2 - t)^2) over eight
// samples, on a tape and in plain doubles (the same operations).
const std::vector<double> net_x{-1.5, -0.7, -0.2, 0.1, 0.4, 0.9, 1.3, 2.0},
    net_t{0.3, -0.1, 0.5, 0.8, 0.2, -0.4, 0.6, 1.1};
Var record_net(Tape& tape, std::span<const double> p) {
    const Var w1 = tape.variable(p[0]), b1 = tape.variable(p[1]), w2 = tape.variable(p[2]), b2 = tape.variable(p[3]);
    const Var x = tape.constant(column(net_x)), t = tape.constant(column(net_t));
    return mean(square(w2 * tanh(w1 * x + b1) + b2 - t));
}
double net_in_doubles(std::span<const double> p) {
    double l = 0;
    for (std::size_t i = 0; i < net_x.size(); ++i) {
        const double e = p[2] * std::tanh(p[0] * net_x[i] + p[1]) + p[3] - net_t[i];
        l += e * e;
    }
    return l / static_cast<double>(net_x.size());
}

bool close(double a, double b, double rtol = 1e-12) {
    return std::abs(a - b) <= rtol * std::max({std::abs(a), std::abs(b), 1e-300});
}

// A fixed pseudo-random sequence in [lo, hi).
struct Random {
    std::uint64_t state = 20261207;
    double uniform(double lo, double hi) {
        state = state * 6364136223846793005u + 1442695040888963407u;
        return lo + (hi - lo) * static_cast<double>(state >> 11) / 9007199254740992.0;
    }
};
}  // namespace

BOOST_AUTO_TEST_CASE(traces_once_and_gives_the_cores_loss_and_gradient_at_every_new_point) {
    int recordings = 0;
    CompiledLoss loss([&](Tape& tape, std::span<const double> p) {
        ++recordings;
        return record_net(tape, p);
    });
    BOOST_TEST(!loss.traced());
    Random r;
    for (int point = 0; point < 50; ++point) BOOST_TEST_CONTEXT("point " << point) {
            std::vector<double> p(4), g(4), want(4);
            for (double& v : p) v = r.uniform(-2, 2);
            const double l = loss.gradient(p, g);
            Tape fresh;  // the core, recorded afresh at p
            const Var fresh_loss = record_net(fresh, p);
            fresh.gradient(fresh_loss, want);
            BOOST_TEST(close(l, fresh_loss.scalar_value()), l << " vs the core's " << fresh_loss.scalar_value());
            BOOST_TEST(close(l, net_in_doubles(p), 1e-13), l << " vs doubles " << net_in_doubles(p));
            for (std::size_t i = 0; i < 4; ++i)
                BOOST_TEST(close(g[i], want[i]), "d/dp" << i << ": " << g[i] << " vs the core's " << want[i]);
            std::vector<double> rounding;
            const std::vector<double> numeric = tapegrad::central_differences(net_in_doubles, p, 1e-6, &rounding);
            const tapegrad::GradientReport report =
                tapegrad::compare_gradients({"w1", "b1", "w2", "b2"}, g, numeric, {}, rounding);
            BOOST_TEST(report.passed, report);
        }
    BOOST_TEST(recordings == 1);
    BOOST_TEST(loss.traced());
    BOOST_TEST(loss.tape().size() > 0u, "the trace is kept");
    BOOST_TEST(loss.plan().variable_elements() == 4u);
}

BOOST_AUTO_TEST_CASE(follows_the_hand_formula_down_a_descent) {
    int recordings = 0;
    CompiledLoss loss([&](Tape& tape, std::span<const double> p) {
        ++recordings;
        return record_line(tape, p);
    });
    std::vector<double> p{0.5, -1.0}, g(2);
    for (int step = 0; step < 20; ++step) {
        const double l = loss.gradient(p, g);
        expect_by_hand(l, p, g);
        p[0] -= 0.05 * g[0];
        p[1] -= 0.05 * g[1];
    }
    BOOST_TEST(recordings == 1);
}

BOOST_AUTO_TEST_CASE(a_graph_that_branches_on_a_value_is_wrong_without_retrace_and_right_with_it) {
    // f(w) = w^2 for w > 0, else sin w: the branch is taken while recording, so the trace
    // at w = 1 is w^2 and stays w^2 until retrace().
    int recordings = 0;
    CompiledLoss loss([&](Tape& tape, std::span<const double> p) {
        ++recordings;
        const Var w = tape.variable(p[0]);
        return p[0] > 0 ? square(w) : sin(w);
    });
    std::vector<double> g(1);
    BOOST_TEST(loss.gradient(std::vector<double>{1.0}, g) == 1.0);
    BOOST_TEST(g[0] == 2.0);
    const std::vector<double> negative{-0.5};
    const double stale = loss.gradient(negative, g);  // the graph of w > 0, at w < 0
    BOOST_TEST(stale == 0.25);
    BOOST_TEST(g[0] == -1.0);
    BOOST_TEST(stale != std::sin(-0.5), "without retrace the old graph is evaluated");
    loss.retrace();
    BOOST_TEST(!loss.traced());
    BOOST_TEST(loss.gradient(negative, g) == std::sin(-0.5), boost::test_tools::tolerance(1e-15));
    BOOST_TEST(g[0] == std::cos(-0.5), boost::test_tools::tolerance(1e-15));
    BOOST_TEST(recordings == 2);
}

BOOST_AUTO_TEST_CASE(a_batch_of_another_size_needs_a_retrace) {
    // The record function reads its data from outside: new data of the same shape go in
    // by set_value; data of another size are another graph (set_value refuses the shape).
    std::vector<double> x(xs.begin(), xs.end()), t(ts.begin(), ts.end());
    Var x_var;
    CompiledLoss loss([&](Tape& tape, std::span<const double> p) {
        const Var w = tape.variable(p[0]), b = tape.variable(p[1]);
        x_var = tape.constant(column(x));
        return mean(square(w * x_var + b - tape.constant(column(t))));
    });
    const std::vector<double> p{0.5, -1.0};
    std::vector<double> g(2);
    expect_by_hand(loss.gradient(p, g), p, g, x, t);
    x.push_back(3.0), t.push_back(-1.0);
    BOOST_CHECK_THROW(loss.set_value(x_var, column(x)), TapeError);
    loss.retrace();
    expect_by_hand(loss.gradient(p, g), p, g, x, t);
}

BOOST_AUTO_TEST_CASE(set_value_gives_the_trace_new_data) {
    int recordings = 0;
    Var x_var, t_var;
    CompiledLoss loss([&](Tape& tape, std::span<const double> p) {
        ++recordings;
        const Var w = tape.variable(p[0]), b = tape.variable(p[1]);
        x_var = tape.constant(column(xs));
        t_var = tape.constant(column(ts));
        return mean(square(w * x_var + b - t_var));
    });
    std::vector<double> p{0.5, -1.0}, g(2);
    expect_by_hand(loss.gradient(p, g), p, g);
    const std::array<double, 3> x2{-1.0, 0.5, 7.0}, t2{2.0, -3.0, 0.25};
    loss.set_value(x_var, column(x2));
    loss.set_value(t_var, column(t2));
    for (int step = 0; step < 3; ++step) {
        expect_by_hand(loss.gradient(p, g), p, g, x2, t2);
        p[0] += 0.3;
    }
    BOOST_TEST(recordings == 1);
    BOOST_CHECK_THROW(loss.set_value(x_var, MatrixXd::Zero(2, 1)), TapeError);  // another shape
}

BOOST_AUTO_TEST_CASE(plan_and_set_value_before_any_trace_throw) {
    int recordings = 0;
    CompiledLoss loss([&](Tape& tape, std::span<const double> p) {
        ++recordings;
        return record_line(tape, p);
    });
    const std::string msg = error_of([&] { (void)loss.plan(); });
    BOOST_TEST(contains(msg, "nothing traced yet"), msg);
    const CompiledLoss& constant = loss;
    BOOST_CHECK_THROW((void)constant.plan(), TapeError);
    Tape other;
    BOOST_CHECK_THROW(loss.set_value(other.constant(1.0), MatrixXd::Ones(1, 1)), TapeError);
    BOOST_TEST(!loss.traced());
    BOOST_TEST(recordings == 0);
    const std::vector<double> p{0.5, -1.0};
    loss.trace(p);  // now, without a gradient
    BOOST_TEST(loss.traced());
    BOOST_TEST(recordings == 1);
    BOOST_TEST(loss.plan().steps().size() > 0u);
    std::vector<double> g(2);
    expect_by_hand(loss.gradient(p, g), p, g);
    BOOST_TEST(recordings == 1, "the trace made by trace() is the one gradient() runs");
}

BOOST_AUTO_TEST_CASE(a_point_of_the_wrong_size_throws_naming_the_sizes) {
    CompiledLoss loss([](Tape& tape, std::span<const double> p) { return record_line(tape, p); });
    std::vector<double> p{0.5, -1.0}, g(2), three{1, 2, 3}, out3(3);
    // At the first call too: the trace records two variables, the point has three numbers.
    std::string msg = error_of([&] { loss.gradient(three, g); });
    BOOST_TEST(contains(msg, "hold 2 numbers, but 3 were given and 2 asked for"), msg);
    expect_by_hand(loss.gradient(p, g), p, g);
    msg = error_of([&] { loss.gradient(three, g); });
    BOOST_TEST(contains(msg, "hold 2 numbers, but 3 were given"), msg);
    msg = error_of([&] { loss.gradient(p, out3); });
    BOOST_TEST(contains(msg, "2 were given and 3 asked for"), msg);
    expect_by_hand(loss.gradient(p, g), p, g);  // and it still works
}

BOOST_AUTO_TEST_CASE(a_gradient_after_the_first_allocates_nothing) {
    using namespace tapegrad::nn;
    for (Activation a : {Activation::identity, Activation::sigmoid})
        for (Recording recording : {Recording::batched, Recording::per_person, Recording::layers})
            BOOST_TEST_CONTEXT(activation_name(a) << ", recording " << static_cast<int>(recording)) {
                const HealthNetwork network = tapegrad::testing::article_network(a);
                TapeGradient compiled(network, recording, Reuse::compiled);
                Parameters p = tapegrad::testing::reference_start("a"), g;
                compiled(p, g);  // traces and compiles
                const long before = tapegrad::testing::allocations.load();
                for (int i = 0; i < 100; ++i) {
                    p[w1] += 0.001;
                    compiled(p, g);
                }
                BOOST_TEST(tapegrad::testing::allocations.load() - before == 0);
            }
    CompiledLoss loss([](Tape& tape, std::span<const double> p) { return record_net(tape, p); });
    std::vector<double> p{0.1, 0.2, 0.3, 0.4}, g(4);
    loss.gradient(p, g);
    const long before = tapegrad::testing::allocations.load();
    for (int i = 0; i < 100; ++i) {
        p[0] += 0.01;
        loss.gradient(p, g);
    }
    BOOST_TEST(tapegrad::testing::allocations.load() - before == 0);
}

BOOST_AUTO_TEST_CASE(tape_gradient_gives_the_same_numbers_recorded_replayed_and_compiled) {
    // Along a descent from start "b", for every Recording and activation: the three ways to
    // 1e-12 of each other, and the chain rule worked out by hand (chain_rule_gradient).
    using namespace tapegrad::nn;
    int cases = 0;
    for (Activation a : {Activation::identity, Activation::sigmoid, Activation::relu, Activation::tanh})
        for (Recording recording : {Recording::batched, Recording::per_person, Recording::layers}) {
            const HealthNetwork network = tapegrad::testing::article_network(a);
            TapeGradient each(network, recording, Reuse::record_each_time), replayed(network, recording, Reuse::replay),
                compiled(network, recording, Reuse::compiled);
            Parameters p = tapegrad::testing::reference_start("b");
            for (int step = 0; step < 10; ++step)
                BOOST_TEST_CONTEXT(activation_name(a)
                                   << ", recording " << static_cast<int>(recording) << ", step " << step) {
                    Parameters g_each, g_replayed, g_compiled;
                    const double l_each = each(p, g_each), l_replayed = replayed(p, g_replayed),
                                 l_compiled = compiled(p, g_compiled);
                    double hand_loss = 0;
                    const Parameters hand = network.chain_rule_gradient(p, &hand_loss);
                    BOOST_TEST(close(l_replayed, l_each), l_replayed << " vs " << l_each);
                    BOOST_TEST(close(l_compiled, l_each), l_compiled << " vs " << l_each);
                    BOOST_TEST(close(l_each, hand_loss, 1e-10), l_each << " vs by hand " << hand_loss);
                    for (std::size_t i = 0; i < parameter_count; ++i) {
                        BOOST_TEST(close(g_replayed[i], g_each[i]),
                                   parameter_names[i] << ": replayed " << g_replayed[i] << " vs " << g_each[i]);
                        BOOST_TEST(close(g_compiled[i], g_each[i]),
                                   parameter_names[i] << ": compiled " << g_compiled[i] << " vs " << g_each[i]);
                        BOOST_TEST(std::abs(g_each[i] - hand[i]) <= 1e-10 * std::max(1.0, std::abs(hand[i])),
                                   parameter_names[i] << ": " << g_each[i] << " vs by hand " << hand[i]);
                    }
                    for (std::size_t i = 0; i < parameter_count; ++i) p[i] -= 0.05 * g_each[i];
                    ++cases;
                }
            BOOST_TEST(compiled.tape().size() > 0u, "the compiled way keeps its trace");
        }
    BOOST_TEST(cases == 4 * 3 * 10);
}
