// tests/test_tape.cpp — the tape itself: recording order, the one reverse sweep, clear(),
// memory reuse, and every misuse. Test names carry the trap each one guards against. Last, the
// generic path (evaluate, sweep) on storage that is not a tape's.
#define BOOST_TEST_MODULE tape
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <iterator>
#include <limits>
#include <new>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <pthread.h>

#include "counting_allocator.hpp"
#include "tape_errors.hpp"
#include "tapegrad/autodiff/tape.hpp"

using Eigen::MatrixXd;
using tapegrad::Op;
using tapegrad::Tape;
using tapegrad::TapeError;
using tapegrad::Var;

using tapegrad::testing::contains;
using tapegrad::testing::error_of;

BOOST_AUTO_TEST_CASE(nodes_are_recorded_in_order_with_their_parents) {
    Tape tape;
    const Var a = tape.variable(2.0), b = tape.variable(3.0);
    const Var c = a * b;
    const Var d = exp(c);
    BOOST_TEST(tape.size() == 4u);
    BOOST_TEST((tape.node(2).op == Op::multiply));
    BOOST_TEST(tape.parents(2)[0] == 0u);
    BOOST_TEST(tape.parents(2)[1] == 1u);
    BOOST_TEST((tape.node(3).op == Op::exp));
    BOOST_TEST(tape.parents(3).size() == 1u);
    BOOST_TEST(d.scalar_value() == std::exp(6.0));
}

BOOST_AUTO_TEST_CASE(reused_node_a_plus_a) {
    // b = a + a; c = b + b  =>  c = 4a, dc/da = 4 (a naive "set" instead of "+=" gives 1)
    Tape tape;
    const Var a = tape.variable(1.5);
    const Var b = a + a;
    const Var c = b + b;
    tape.gradient(c);
    BOOST_TEST(c.scalar_value() == 6.0);
    BOOST_TEST(a.scalar_adjoint() == 4.0);
    BOOST_TEST(b.scalar_adjoint() == 2.0);
}

BOOST_AUTO_TEST_CASE(reused_node_x_times_x) {
    // d(x*x)/dx = 2x: both parents are x, both contributions count
    Tape tape;
    const Var x = tape.variable(3.0);
    tape.gradient(x * x);
    BOOST_TEST(x.scalar_adjoint() == 6.0);
}

BOOST_AUTO_TEST_CASE(shared_subexpression_diamond) {
    // y = (x*2) * (x*2) + (x*2): every path through the shared node adds up
    Tape tape;
    const Var x = tape.variable(1.25);
    const Var s = x * 2.0;
    const Var y = s * s + s;
    tape.gradient(y);
    BOOST_TEST(x.scalar_adjoint() == 8.0 * 1.25 + 2.0);  // d(4x^2 + 2x)/dx
}

BOOST_AUTO_TEST_CASE(gradient_twice_is_idempotent) {
    Tape tape;
    const Var x = tape.variable(0.7), y = tape.variable(-1.1);
    const Var f = sin(x * y) + square(x);
    tape.gradient(f);
    const double gx = x.scalar_adjoint(), gy = y.scalar_adjoint();
    tape.gradient(f);
    BOOST_TEST(x.scalar_adjoint() == gx);
    BOOST_TEST(y.scalar_adjoint() == gy);
}

BOOST_AUTO_TEST_CASE(gradient_of_an_intermediate_ignores_later_nodes) {
    Tape tape;
    const Var x = tape.variable(2.0);
    const Var y = square(x);  // dy/dx = 4
    const Var z = y * 10.0;   // recorded later, not part of y
    tape.gradient(z);
    BOOST_TEST(x.scalar_adjoint() == 40.0);
    tape.gradient(y);  // a second loss on the same tape: fresh adjoints, later nodes at 0
    BOOST_TEST(x.scalar_adjoint() == 4.0);
    BOOST_TEST(z.scalar_adjoint() == 0.0);
}

BOOST_AUTO_TEST_CASE(gradient_with_a_list_returns_scalar_adjoints) {
    Tape tape;
    const Var a = tape.variable(2.0), b = tape.variable(5.0);
    const auto g = tape.gradient(a * b + a, {a, b});
    BOOST_TEST(g.size() == 2u);
    BOOST_TEST(g[0] == 6.0);
    BOOST_TEST(g[1] == 2.0);
}

BOOST_AUTO_TEST_CASE(million_node_chain_no_recursion) {
    // x -> x*c -> ... : a sweep that recursed per node would overflow the stack here.
    constexpr int links = 1'000'000;
    Tape tape;
    const Var x = tape.variable(1.0);
    const Var c = tape.constant(1.0000001);
    Var y = x;
    for (int i = 0; i < links; ++i) y = y * c;
    BOOST_TEST(tape.size() == static_cast<std::size_t>(links + 2));
    tape.gradient(y);
    const double want = std::pow(1.0000001, links);  // d/dx x c^n = c^n
    BOOST_TEST(std::abs(x.scalar_adjoint() - want) <= 1e-9 * want);
}

BOOST_AUTO_TEST_CASE(clear_and_reuse) {
    Tape tape;
    const Var a = tape.variable(3.0);
    tape.gradient(square(a));
    BOOST_TEST(a.scalar_adjoint() == 6.0);
    tape.clear();
    BOOST_TEST(tape.size() == 0u);
    const Var b = tape.variable(-2.0);
    tape.gradient(square(b) * 3.0);
    BOOST_TEST(b.scalar_adjoint() == -12.0);
    BOOST_TEST(b.index() == 0u);  // the same slot as a, in a new generation
}

namespace {
// The article's batched forward pass and loss, shaped like its numpy code.
Var health_like_loss(Tape& tape, const MatrixXd& x, const MatrixXd& y, const std::vector<double>& p,
                     std::vector<Var>& params) {
    params.clear();
    for (double v : p) params.push_back(tape.variable(v));
    const Var x1 = tape.constant(x.col(0)), x2 = tape.constant(x.col(1)), x3 = tape.constant(x.col(2));
    const Var h1 = params[0] * x1 + params[1] * x2 + params[2] * x3 + params[8];
    const Var h2 = params[3] * x1 + params[4] * x2 + params[5] * x3 + params[9];
    const Var z = params[6] * h1 + params[7] * h2 + params[10];
    return mean(square(identity(z) - tape.constant(y)));
}
}  // namespace

BOOST_AUTO_TEST_CASE(recording_again_after_clear_allocates_nothing) {
    MatrixXd x(6, 3);
    x << 60, 8, 7, 63, 2, 2, 17, 7, 7, 35, 4, 5, 90, 1, 1, 10, 9, 7;
    x.col(0) /= 101.0;
    x.rightCols(2) /= 11.0;
    MatrixXd y(6, 1);
    y << 7, 3, 9, 6, 1, 10;
    std::vector<double> p{0.5, 0.3, 0.2, 0.7, 0.4, 0.6, 0.8, 0.1, 0.0, 0.0, 0.0};
    std::vector<Var> params;
    params.reserve(11);

    Tape tape;
    // First iteration: the tape grows to its working size.
    tape.gradient(health_like_loss(tape, x, y, p, params));
    const std::size_t bytes = tape.memory_bytes();

    long during = 0;
    double checksum = 0;
    for (int iteration = 0; iteration < 50; ++iteration) {
        const long before = tapegrad::testing::allocations.load();
        tape.clear();
        const Var loss = health_like_loss(tape, x, y, p, params);
        tape.gradient(loss);
        checksum += params[0].scalar_adjoint();
        during += tapegrad::testing::allocations.load() - before;
        p[0] -= 0.001 * params[0].scalar_adjoint();
    }
    BOOST_TEST(during == 0, "allocations in 50 record+sweep iterations after the first: " << during);
    BOOST_TEST(tape.memory_bytes() == bytes);
    BOOST_TEST(std::isfinite(checksum));
}

BOOST_AUTO_TEST_CASE(counting_allocator_does_count) {
    // Guard for the test above: it would pass trivially if nothing were counted.
    const long before = tapegrad::testing::allocations.load();
    auto* p = new std::string(100, 'x');
    delete p;
    BOOST_TEST(tapegrad::testing::allocations.load() - before >= 1);
}

// ---- Misuse: a clear exception naming what was wrong -------------------------------------

BOOST_AUTO_TEST_CASE(misuse_var_of_another_tape) {
    Tape one, two;
    const Var a = one.variable(1.0), b = two.variable(2.0);
    const std::string msg = error_of([&] { (void)(a + b); });
    BOOST_TEST(contains(msg, "add"), msg);
    BOOST_TEST(contains(msg, "another tape"), msg);
    BOOST_TEST(contains(error_of([&] { one.gradient(b); }), "another tape"));
}

BOOST_AUTO_TEST_CASE(misuse_var_recorded_before_clear) {
    Tape tape;
    const Var old = tape.variable(1.0);
    tape.clear();
    const Var fresh = tape.variable(2.0);  // same index 0, new generation
    const std::string msg = error_of([&] { (void)Var(old * fresh); });
    BOOST_TEST(contains(msg, "multiply"), msg);
    BOOST_TEST(contains(msg, "before the tape was cleared"), msg);
    BOOST_TEST(contains(error_of([&] { (void)old.scalar_value(); }), "cleared"));
    BOOST_TEST(contains(error_of([&] { tape.gradient(old); }), "cleared"));
}

BOOST_AUTO_TEST_CASE(misuse_shapes_that_do_not_broadcast) {
    Tape tape;
    const Var a = tape.variable(MatrixXd::Ones(6, 1)), b = tape.variable(MatrixXd::Ones(3, 1));
    const std::string msg = error_of([&] { (void)Var(a - b); });
    BOOST_TEST(contains(msg, "subtract"), msg);
    BOOST_TEST(contains(msg, "6x1"), msg);
    BOOST_TEST(contains(msg, "3x1"), msg);
}

BOOST_AUTO_TEST_CASE(misuse_matmul_inner_dimensions) {
    Tape tape;
    const Var a = tape.variable(MatrixXd::Ones(6, 3)), b = tape.variable(MatrixXd::Ones(2, 1));
    const std::string msg = error_of([&] { (void)matmul(a, b); });
    BOOST_TEST(contains(msg, "matmul"), msg);
    BOOST_TEST(contains(msg, "6x3"), msg);
    BOOST_TEST(contains(msg, "2x1"), msg);
}

BOOST_AUTO_TEST_CASE(misuse_gradient_of_a_non_scalar) {
    Tape tape;
    const Var a = tape.variable(MatrixXd::Ones(6, 1));
    const std::string msg = error_of([&] { tape.gradient(a * 2.0); });
    BOOST_TEST(contains(msg, "scalar"), msg);
    BOOST_TEST(contains(msg, "6x1"), msg);
}

BOOST_AUTO_TEST_CASE(misuse_empty_var) {
    Tape tape;
    const Var empty;
    BOOST_TEST(contains(error_of([&] { (void)exp(empty); }), "empty"));
    BOOST_TEST(contains(error_of([&] { (void)(tape.variable(1.0) + empty); }), "empty"));
}

BOOST_AUTO_TEST_CASE(misuse_adjoint_before_any_sweep) {
    Tape tape;
    const Var a = tape.variable(1.0);
    BOOST_TEST(contains(error_of([&] { (void)a.scalar_adjoint(); }), "no adjoint yet"));
    tape.gradient(a * 2.0);
    const Var later = a * 3.0;  // recorded after the sweep
    BOOST_TEST(contains(error_of([&] { (void)later.adjoint(); }), "no adjoint yet"));
}

BOOST_AUTO_TEST_CASE(misuse_empty_matrix_leaf) {
    Tape tape;
    BOOST_TEST(contains(error_of([&] { (void)tape.constant(MatrixXd(0, 3)); }), "empty matrix"));
}



BOOST_AUTO_TEST_CASE(misuse_record_with_the_wrong_number_of_parents) {
    Tape tape;
    const Var x = tape.variable(1.0);
    for (const auto& [op, given] : {std::pair{Op::add, 1}, std::pair{Op::exp, 2}, std::pair{Op::linear, 2}}) {
        try {
            if (given == 1)
                tape.record(op, {x});
            else
                tape.record(op, {x, x});
            BOOST_ERROR("record accepted " << given << " parent(s) for " << tapegrad::op_name(op));
        } catch (const TapeError& e) {
            const std::string want = std::string(tapegrad::op_name(op)) + " takes ";
            BOOST_TEST(std::string(e.what()).find(want) == 0, e.what());
            BOOST_TEST(std::string(e.what()).find("not " + std::to_string(given)) != std::string::npos, e.what());
        }
    }
    BOOST_TEST(tape.size() == 1u);  // nothing appended by a refusal
}

BOOST_AUTO_TEST_CASE(leaf_copied_from_the_tapes_own_arena) {
    // value() is a view into the arena; making a constant from it while the arena grows
    // must copy first (AddressSanitizer would catch the dangling read otherwise).
    Tape tape;
    const Var a = tape.variable(MatrixXd::Constant(4, 4, 2.5));
    Var copy;
    const std::size_t bytes = tape.memory_bytes();
    for (int i = 0; i < 20; ++i) copy = tape.constant(copy.empty() ? a.value() : copy.value());
    BOOST_TEST(copy.value().sum() == 40.0);
    BOOST_TEST(tape.memory_bytes() > bytes);  // the arenas did grow (moved) while copying
}

BOOST_AUTO_TEST_CASE(ieee_results_flow_through_the_tape_without_crashing) {
    Tape tape;
    const Var zero = tape.variable(0.0);
    const Var l = log(zero);
    tape.gradient(l);
    BOOST_TEST(std::isinf(l.scalar_value()));
    BOOST_TEST(std::isinf(zero.scalar_adjoint()));
    const Var s = sqrt(zero);
    tape.gradient(s);
    BOOST_TEST(s.scalar_value() == 0.0);
    BOOST_TEST(zero.scalar_adjoint() == std::numeric_limits<double>::infinity());
}

BOOST_AUTO_TEST_CASE(zero_adjoint_times_infinite_derivative_stays_zero) {
    // log(x) at x = 0 has derivative +inf; when log(x) is not part of the loss its adjoint
    // is 0, and 0 * inf must not turn x's adjoint into NaN.
    Tape tape;
    const Var x = tape.variable(0.0);
    (void)log(x);  // recorded, but unused by the loss
    const Var loss = x * 3.0;
    tape.gradient(loss);
    BOOST_TEST(x.scalar_adjoint() == 3.0);
}

BOOST_AUTO_TEST_CASE(stable_sigmoid_and_tanh_through_the_tape) {
    Tape tape;
    MatrixXd x(4, 1);
    x << -1000, -30, 30, 1000;
    const Var xv = tape.variable(x);
    tape.gradient(sum(sigmoid(xv)) + sum(tanh(xv)));
    BOOST_TEST(xv.adjoint().allFinite());
    BOOST_TEST(std::isfinite(sum(sigmoid(xv)).scalar_value()));
}



// ---- Replaying a recorded graph at new leaf values -------------------------------------------

namespace {
// A small graph with a matrix variable, a scalar variable, data, a kink (relu) and a
// fused op: loss = mse(relu(X W + b) * s, y). Returns the loss; `vars` gets W, b, s.
MatrixXd kinked_x() {
    MatrixXd x(5, 2);
    x << 0.1, -0.4, 0.7, 0.2, -0.3, 0.9, 0.5, -0.8, -0.6, 0.3;
    return x;
}
MatrixXd kinked_y() {
    MatrixXd y(5, 1);
    y << 0.2, -0.1, 0.4, 0.0, 0.3;
    return y;
}
Var kinked_loss(Tape& tape, const MatrixXd& w, const MatrixXd& b, double s, std::vector<Var>& vars) {
    vars = {tape.variable(w), tape.variable(b), tape.variable(s)};
    return mean_squared_error(relu(linear(tape.constant(kinked_x()), vars[0], vars[1])) * vars[2],
                              tape.constant(kinked_y()));
}
// Two points for it; the second moves units of the relu across its kink.
struct Point {
    MatrixXd w{2, 1}, b{1, 1};
    double s = 0;
};
Point first_point() {
    Point p;
    p.w << 0.8, -0.5;
    p.b << 0.05;
    p.s = 1.5;
    return p;
}
Point second_point() {
    Point p;
    p.w << -0.6, 0.9;
    p.b << 0.1;
    p.s = -0.7;
    return p;
}
// `loss` and `gradient` (W, b, s, as gradient(loss, span) writes them) are what a tape
// recorded afresh at `at` gives, bit for bit.
void expect_what_a_fresh_tape_gives(const Point& at, Var loss, const std::vector<double>& gradient) {
    Tape fresh;
    std::vector<Var> fresh_vars;
    const Var fresh_loss = kinked_loss(fresh, at.w, at.b, at.s, fresh_vars);
    fresh.gradient(fresh_loss);
    BOOST_TEST(loss.scalar_value() == fresh_loss.scalar_value());
    BOOST_TEST(gradient[0] == fresh_vars[0].adjoint()(0, 0));
    BOOST_TEST(gradient[1] == fresh_vars[0].adjoint()(1, 0));
    BOOST_TEST(gradient[2] == fresh_vars[1].scalar_adjoint());
    BOOST_TEST(gradient[3] == fresh_vars[2].scalar_adjoint());
}
}  // namespace

BOOST_AUTO_TEST_CASE(replay_gives_what_recording_again_gives) {
    // Record at one point, replay at another: every value and every variable's adjoint
    // must equal those of a tape recorded afresh at the second point, bit for bit (the
    // same formulas run in the same order). The second point moves units across relu's
    // kink, so a replay that kept the old values would be caught.
    {
        {
            const Point a = first_point(), b = second_point();
            std::vector<Var> replayed, fresh;
            Tape tape, again;
            const Var loss = kinked_loss(tape, a.w, a.b, a.s, replayed);
            tape.gradient(loss);
            const double first_loss = loss.scalar_value();

            tape.set_value(replayed[0], b.w);
            tape.set_value(replayed[1], b.b);
            tape.set_value(replayed[2], b.s);
            tape.replay();
            tape.gradient(loss);
            const Var loss_again = kinked_loss(again, b.w, b.b, b.s, fresh);
            again.gradient(loss_again);

            BOOST_TEST(loss.scalar_value() != first_loss);
            BOOST_TEST(loss.scalar_value() == loss_again.scalar_value());
            for (std::size_t i = 0; i < tape.size(); ++i)
                BOOST_TEST((MatrixXd(tape.value(i)) == MatrixXd(again.value(i))));
            for (std::size_t k = 0; k < 3; ++k)
                BOOST_TEST((MatrixXd(replayed[k].adjoint()) == MatrixXd(fresh[k].adjoint())));
        }
    }
}

BOOST_AUTO_TEST_CASE(replay_with_all_variables_at_once) {
    // replay(span) sets the variables in recording order, each column by column, and
    // gradient(loss, span) reads their adjoints back in the same layout.
    const Point a = first_point(), b = second_point();
    std::vector<Var> vars;
    Tape tape;
    const Var loss = kinked_loss(tape, a.w, a.b, a.s, vars);
    BOOST_TEST(tape.variable_elements() == 4u);  // W (2) + b (1) + s (1)

    const std::vector<double> point{b.w(0, 0), b.w(1, 0), b.b(0, 0), b.s};  // W, b, s
    std::vector<double> gradient(4);
    tape.replay(point);
    tape.gradient(loss, gradient);
    expect_what_a_fresh_tape_gives(b, loss, gradient);
}

BOOST_AUTO_TEST_CASE(replay_and_sweep_allocate_nothing) {
    const Point a = first_point();
    std::vector<Var> vars;
    Tape tape;
    const Var loss = kinked_loss(tape, a.w, a.b, a.s, vars);
    std::vector<double> point{a.w(0, 0), a.w(1, 0), a.b(0, 0), a.s}, gradient(4);
    tape.replay(point);
    tape.gradient(loss, gradient);
    const long before = tapegrad::testing::allocations.load();
    for (int i = 0; i < 20; ++i) {
        point[0] -= 0.01 * gradient[0];
        tape.replay(point);
        tape.gradient(loss, gradient);
    }
    BOOST_TEST(tapegrad::testing::allocations.load() - before == 0);
}

BOOST_AUTO_TEST_CASE(replay_forgets_the_last_sweep) {
    // After replay() the adjoints belong to the old values: reading one is refused until
    // the next gradient().
    Tape tape;
    const Var x = tape.variable(2.0);
    const Var y = x * x;
    tape.gradient(y);
    BOOST_TEST(x.scalar_adjoint() == 4.0);
    tape.set_value(x, 3.0);
    tape.replay();
    BOOST_TEST(y.scalar_value() == 9.0);
    BOOST_TEST(contains(error_of([&] { (void)x.scalar_adjoint(); }), "has no adjoint yet"));
    tape.gradient(y);
    BOOST_TEST(x.scalar_adjoint() == 6.0);
}


BOOST_AUTO_TEST_CASE(misuse_gradient_after_set_value_without_replay) {
    // The nodes computed from a changed leaf still hold old values: sweeping them would
    // mix old and new, so gradient() refuses until replay().
    Tape tape;
    const Var x = tape.variable(2.0);
    const Var y = x * x;
    tape.gradient(y);
    tape.set_value(x, 5.0);
    BOOST_TEST(contains(error_of([&] { tape.gradient(y); }), "call replay() first"));
    tape.replay();
    tape.gradient(y);
    BOOST_TEST(x.scalar_adjoint() == 10.0);
}

BOOST_AUTO_TEST_CASE(leaf_copied_from_the_tapes_own_adjoints) {
    // A constant made from a view of the adjoint arena must be copied before the arenas
    // grow (appending it may move them), like a view of the value arena. Some filler
    // size below makes that append grow the arenas, whatever the growth policy; the
    // sanitizer build reports a read of freed memory if the copy comes too late.
    int grew = 0;
    for (Eigen::Index filler = 1; filler <= 24; ++filler) {
        Tape tape;
        const Var x = tape.variable(MatrixXd::Constant(3, 1, 2.0));
        tape.gradient(sum(square(x)));  // x's adjoint: 4, 4, 4
        (void)tape.constant(MatrixXd::Ones(filler, 1));
        const std::size_t bytes = tape.memory_bytes();
        const Var copy = tape.constant(x.adjoint());
        BOOST_TEST(copy.value()(2, 0) == 4.0, "filler " << filler);
        grew += tape.memory_bytes() > bytes;
    }
    BOOST_TEST(grew > 0);  // at least one filler made that very append grow the arenas
}

BOOST_AUTO_TEST_CASE(clear_forgets_the_variables) {
    Tape tape;
    (void)tape.variable(MatrixXd::Ones(3, 2));
    (void)tape.constant(MatrixXd::Ones(4, 4));
    (void)tape.variable(1.0);
    BOOST_TEST(tape.variable_elements() == 7u);  // constants do not count
    tape.clear();
    BOOST_TEST(tape.variable_elements() == 0u);
    (void)tape.variable(1.0);
    BOOST_TEST(tape.variable_elements() == 1u);
}

// ---- rewind(): keep the leaves, record the rest again ----------------------------------








BOOST_AUTO_TEST_CASE(misuse_set_value_and_replay) {
    Tape tape;
    const Var w = tape.variable(MatrixXd::Ones(2, 3));
    const Var s = tape.variable(1.0);
    const Var y = sum(w) * s;
    BOOST_TEST(contains(error_of([&] { tape.set_value(y, 2.0); }),
                        "node 3 is multiply, not a leaf (only variables and constants take new values"));
    BOOST_TEST(
        contains(error_of([&] { tape.set_value(w, MatrixXd::Ones(3, 2)); }), "node 0 is 2x3 but the new value is 3x2"));
    BOOST_TEST(contains(error_of([&] { tape.set_value(w, 1.0); }), "node 0 is 2x3 but the new value is 1x1"));
    const std::vector<double> six(6), seven(7);
    BOOST_TEST(contains(error_of([&] { tape.replay(six); }),
                        "replay: the variables hold 7 numbers, but 6 were given"));
    std::vector<double> out(6);
    BOOST_TEST(contains(error_of([&] { tape.gradient(y, out); }),
                        "gradient: the variables hold 7 numbers, but 6 were asked for"));
    Tape other;
    BOOST_TEST(contains(error_of([&] { other.set_value(w, 1.0); }), "set_value: the Var belongs to another tape"));
    tape.replay(seven);  // the right size is fine
    BOOST_TEST(y.scalar_value() == 0.0);
}

BOOST_AUTO_TEST_CASE(a_linear_node_lists_three_parents) {
    Tape tape;
    const Var x = tape.constant(MatrixXd::Ones(4, 3)), w = tape.variable(MatrixXd::Ones(3, 2));
    const Var b = tape.variable(MatrixXd::Zero(1, 2));
    const Var y = linear(x, w, b);
    const tapegrad::Node& n = tape.node(y.index());
    BOOST_TEST((n.op == Op::linear));
    BOOST_TEST(tape.parents(y.index()).size() == 3u);
    BOOST_TEST(tape.parents(y.index())[0] == x.index());
    BOOST_TEST(tape.parents(y.index())[1] == w.index());
    BOOST_TEST(tape.parents(y.index())[2] == b.index());
    BOOST_TEST(y.value()(3, 1) == 3.0);
}

// ---- Reliability (issue 13) ---------------------------------------------------------------

BOOST_AUTO_TEST_CASE(failed_growth_leaves_the_tape_unchanged) {
    // Recording is all or nothing: when a vector cannot grow (the parent list, the values
    // or the nodes), the tape is as it was, and the next gradient() is right. Each of the
    // first allocations of a record is made to fail in turn.
    for (long fail = 0; fail < 3; ++fail) {
        BOOST_TEST_CONTEXT("allocation " << fail << " fails") {
            Tape tape;
            const Var x = tape.variable(MatrixXd::Constant(3, 1, 2.0));
            const Var loss = sum(square(x));
            const std::size_t nodes = tape.size();
            tapegrad::testing::fail_after = fail;
            bool thrown = false;
            try {
                for (int i = 0; i < 100; ++i) (void)(x * x);  // enough to make every vector grow
            } catch (const std::bad_alloc&) {
                thrown = true;
            }
            tapegrad::testing::fail_after = -1;
            BOOST_TEST(thrown);
            BOOST_TEST(tape.size() >= nodes);
            const Var more = loss + sum(x * x);
            tape.gradient(more);
            BOOST_TEST((x.adjoint() == MatrixXd::Constant(3, 1, 8.0)));
            for (std::size_t k = 0; k < tape.size(); ++k)  // every node's value where the node says
                BOOST_TEST(tape.value(k).size() == static_cast<Eigen::Index>(tape.node(k).shape.size()));
        }
    }
}

BOOST_AUTO_TEST_CASE(stale_var_from_an_earlier_tape_at_the_same_address) {
    // A Var kept from a previous loop iteration's `Tape tape;` (same address, no clear()
    // in between) is refused: a tape is known by a recording number, not its address.
    alignas(Tape) unsigned char place[sizeof(Tape)];
    Tape* first = new (place) Tape;
    const Var old = first->variable(1.0);
    first->~Tape();
    Tape* second = new (place) Tape;
    const Var fresh = second->variable(2.0);  // same address, same index 0
    BOOST_TEST(!second->live(old));
    BOOST_TEST(contains(error_of([&] { (void)(old + fresh); }), "stale"));
    second->~Tape();
}


BOOST_AUTO_TEST_CASE(eigen_settings_do_not_leak_to_programs_that_link_tapegrad) {
    // This file is a consumer: it defines nothing for Eigen, so it must see Eigen's default.
    BOOST_TEST(EIGEN_STACK_ALLOCATION_LIMIT == 131072);
}

BOOST_AUTO_TEST_CASE(large_product_in_a_thread_with_a_small_stack) {
    // A 600 x 600 product (packing buffers past 128 KB) swept in a thread with a 512 KB
    // stack. With the old PUBLIC 2 MiB stack allocation limit this overflowed the stack.
    struct Job {
        double adjoint = 0;
        static void* run(void* self) {
            Tape tape;
            const Var a = tape.variable(MatrixXd::Constant(600, 600, 0.01));
            const Var b = tape.variable(MatrixXd::Constant(600, 600, 0.02));
            tape.gradient(sum(matmul(a, b)));
            static_cast<Job*>(self)->adjoint = a.adjoint()(0, 0);
            return nullptr;
        }
    } job;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 512 * 1024);
    pthread_t thread;
    BOOST_TEST_REQUIRE(pthread_create(&thread, &attr, &Job::run, &job) == 0);
    pthread_join(thread, nullptr);
    pthread_attr_destroy(&attr);
    BOOST_TEST(job.adjoint == 600 * 0.02, boost::test_tools::tolerance(1e-12));  // d/dA_00 sum(AB) = sum_j B_0j
}

BOOST_AUTO_TEST_CASE(shape_over_32_bits_is_refused) {
    // A view claiming 2^32 + 1 rows (never read): refused, not truncated to 1 row.
    const double one = 1.0;
    const Eigen::Map<const MatrixXd> huge(&one, (Eigen::Index{1} << 32) + 1, 1);
    Tape tape;
    const std::string msg = error_of([&] { (void)tape.constant(huge); });
    BOOST_TEST(contains(msg, "too large"), msg);
    BOOST_TEST(tape.size() == 0u);
}

BOOST_AUTO_TEST_CASE(node_out_of_range_is_a_tape_error) {
    Tape tape;
    (void)tape.variable(1.0);
    BOOST_TEST(contains(error_of([&] { (void)tape.node(999); }), "node 999"));
    BOOST_TEST(contains(error_of([&] { (void)tape.value(999); }), "node 999"));
    BOOST_TEST(contains(error_of([&] { (void)tape.adjoint(1); }), "node 1"));
}

BOOST_AUTO_TEST_CASE(two_tapes_in_two_threads) {
    // Each thread records and sweeps its own tape, clearing it between rounds; the only
    // state tapes share is the counter that numbers their recordings (an atomic). The TSan
    // build (preset tsan, run by CI) checks that nothing else is shared by accident.
    struct Job {
        double x;
        double worst = 0.0;
        static void* run(void* self) {
            Job& job = *static_cast<Job*>(self);
            Tape tape;
            for (int round = 0; round < 2000; ++round) {
                tape.clear();
                const Var x = tape.variable(job.x + round * 1e-3);
                const Var y = x * sin(x) + exp(x);
                tape.gradient(y);
                const double v = x.scalar_value();
                const double by_hand = std::sin(v) + v * std::cos(v) + std::exp(v);  // d/dx (x sin x + e^x)
                job.worst = std::max(job.worst, std::abs(x.scalar_adjoint() - by_hand));
            }
            return nullptr;
        }
    } first{0.5}, second{-1.5};
    pthread_t a, b;
    BOOST_TEST_REQUIRE(pthread_create(&a, nullptr, &Job::run, &first) == 0);
    BOOST_TEST_REQUIRE(pthread_create(&b, nullptr, &Job::run, &second) == 0);
    pthread_join(a, nullptr);
    pthread_join(b, nullptr);
    BOOST_TEST(first.worst <= 1e-12);
    BOOST_TEST(second.worst <= 1e-12);
}

// ---- The generic path on storage that is not a tape's (issue 24) ---------------------------
// evaluate() and sweep() take any storage laid out like a tape's (TapeData): the compiled
// plan calls them on its own arenas where it has no kernel. Here on arrays of our own:
// y = a * b (a 2 x 1, b broadcast from 1 x 1), s = sum(y).
BOOST_AUTO_TEST_CASE(the_generic_evaluator_runs_on_storage_laid_out_like_a_tape) {
    using tapegrad::Node;
    const double inf = std::numeric_limits<double>::infinity();
    Node nodes[4];
    nodes[0] = {Op::variable, {2, 1}, 0.0, 0, 0, 0};  // a
    nodes[1] = {Op::variable, {1, 1}, 0.0, 0, 0, 2};  // b
    nodes[2] = {Op::multiply, {2, 1}, 0.0, 0, 2, 3};  // y = a * b: parents 0 and 1 of the list
    nodes[3] = {Op::sum, {1, 1}, 0.0, 2, 1, 5};       // s = sum(y): parent 2 of the list
    const std::uint32_t parents[3] = {0, 1, 2};
    double values[6] = {2.0, 3.0, 5.0, -1.0, -1.0, -1.0}, adjoints[6] = {};
    const tapegrad::TapeData storage{nodes, parents, values, adjoints};
    tapegrad::evaluate(storage, nodes[2]);
    tapegrad::evaluate(storage, nodes[3]);
    BOOST_TEST(values[3] == 10.0);  // y = a * b
    BOOST_TEST(values[4] == 15.0);
    BOOST_TEST(values[5] == 25.0);  // s = 10 + 15
    adjoints[5] = 1.0;              // d s / d s
    tapegrad::sweep(storage, nodes[3]);
    BOOST_TEST(adjoints[3] == 1.0);  // d s / d y_i = 1
    BOOST_TEST(adjoints[4] == 1.0);
    tapegrad::sweep(storage, nodes[2]);
    BOOST_TEST(adjoints[0] == 5.0);  // d(a*b)/da = b
    BOOST_TEST(adjoints[1] == 5.0);
    BOOST_TEST(adjoints[2] == 5.0);  // d(a*b)/db = a, summed over the broadcast: 2 + 3

    // An element whose adjoint is 0 passes nothing on: a_1 = inf gives no 0 * inf = NaN in b's.
    values[1] = inf;
    std::fill(std::begin(adjoints), std::end(adjoints), 0.0);
    adjoints[3] = 1.0;  // only y_0 reaches the loss
    tapegrad::sweep(storage, nodes[2]);
    BOOST_TEST(adjoints[0] == 5.0);
    BOOST_TEST(adjoints[1] == 0.0);
    BOOST_TEST(adjoints[2] == 2.0);  // a_0 alone
}
