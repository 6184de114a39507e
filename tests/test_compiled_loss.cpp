// tests/test_replay.cpp — record once, replay many (autodiff/replay.hpp): RecordedLoss
// records its loss the first time and, with Reuse::replay, only replays it after; with
// Reuse::record_each_time it records every time (the leaves only once, when they are
// recorded apart). All must give what a fresh tape gives at each point, by hand:
// L(w, b) = mean((w x + b - t)^2) over three samples.
// (Tape::set_value and Tape::replay themselves are tested in test_tape.cpp.)
#define BOOST_TEST_MODULE replay
#include <boost/test/unit_test.hpp>

#include <array>
#include <vector>

#include "tapegrad/autodiff/replay.hpp"

using Eigen::MatrixXd;
using tapegrad::RecordedLoss;
using tapegrad::Reuse;
using tapegrad::Tape;
using tapegrad::Var;

namespace {
const std::array<double, 3> xs{1.0, 2.0, 4.0}, ts{3.0, 5.0, 6.0};

MatrixXd column(const std::array<double, 3>& v) {
    MatrixXd c(3, 1);
    c << v[0], v[1], v[2];
    return c;
}
Var record_loss(Tape& tape, const std::vector<double>& p) {
    const Var w = tape.variable(p[0]), b = tape.variable(p[1]);
    return mean(square(w * tape.constant(column(xs)) + b - tape.constant(column(ts))));
}
// L and its gradient, derived by hand: dL/dw = (2/3) sum e_i x_i, dL/db = (2/3) sum e_i.
std::array<double, 3> by_hand(const std::vector<double>& p) {
    double l = 0, dw = 0, db = 0;
    for (int i = 0; i < 3; ++i) {
        const double e = p[0] * xs[i] + p[1] - ts[i];
        l += e * e / 3;
        dw += 2 * e * xs[i] / 3;
        db += 2 * e / 3;
    }
    return {l, dw, db};
}
// The loss and gradient at `p` are L's by hand; then p takes a step down the gradient.
void expect_by_hand_and_step(double l, std::vector<double>& p, const std::vector<double>& g) {
    const auto hand = by_hand(p);
    BOOST_TEST(l == hand[0], boost::test_tools::tolerance(1e-13));
    BOOST_TEST(g[0] == hand[1], boost::test_tools::tolerance(1e-13));
    BOOST_TEST(g[1] == hand[2], boost::test_tools::tolerance(1e-13));
    p[0] -= 0.1 * g[0];
    p[1] -= 0.1 * g[1];
}
}  // namespace

BOOST_AUTO_TEST_CASE(recorded_loss_replays_or_records_and_both_follow_the_point) {
    for (Reuse reuse : {Reuse::record_each_time, Reuse::replay}) {
        RecordedLoss loss(reuse);
        int recordings = 0;
        std::vector<double> p{0.5, -1.0}, g(2);
        for (int step = 0; step < 5; ++step) {
            const double l = loss.gradient(p, g, [&](Tape& tape) {
                ++recordings;
                return record_loss(tape, p);
            });
            expect_by_hand_and_step(l, p, g);
        }
        BOOST_TEST(recordings == (reuse == Reuse::replay ? 1 : 5));
        BOOST_TEST(!loss.tape().constant_adjoints());  // only the variables' adjoints are read
    }
}

BOOST_AUTO_TEST_CASE(recorded_loss_refuses_a_point_of_the_wrong_size) {
    RecordedLoss loss(Reuse::replay);
    std::vector<double> p{0.5, -1.0}, g(2);
    (void)loss.gradient(p, g, [&](Tape& tape) { return record_loss(tape, p); });
    std::vector<double> three{1, 2, 3};
    BOOST_CHECK_THROW(loss.gradient(three, g, [&](Tape& tape) { return record_loss(tape, p); }), tapegrad::TapeError);
}

BOOST_AUTO_TEST_CASE(recorded_loss_with_the_leaves_apart_records_them_once) {
    // The leaves (w, b and the data) recorded by one function, the rest by another: each
    // Reuse gives the gradient by hand at every point; recorded each time, the leaves are
    // recorded once and kept (the tape rewinds to them), the rest every step.
    for (Reuse reuse : {Reuse::record_each_time, Reuse::replay, Reuse::optimized}) {
        RecordedLoss loss(reuse);
        int leaf_recordings = 0, recordings = 0;
        Var w, b, x, t;
        std::vector<double> p{0.5, -1.0}, g(2);
        std::size_t size = 0;
        for (int step = 0; step < 5; ++step) {
            const double l = loss.gradient(
                p, g,
                [&](Tape& tape) {
                    ++leaf_recordings;
                    w = tape.variable(p[0]);
                    b = tape.variable(p[1]);
                    x = tape.constant(column(xs));
                    t = tape.constant(column(ts));
                },
                [&](Tape&) {
                    ++recordings;
                    return mean(square(w * x + b - t));
                });
            if (step == 0) size = loss.tape().size();
            BOOST_TEST(loss.tape().size() == size);  // the same nodes each step, not more
            BOOST_TEST(loss.tape().live(w));
            expect_by_hand_and_step(l, p, g);
        }
        BOOST_TEST(leaf_recordings == 1);
        BOOST_TEST(recordings == (reuse == Reuse::record_each_time ? 5 : 1));
    }
}

BOOST_AUTO_TEST_CASE(recorded_loss_records_whole_again_between_kept_leaves) {
    // The two ways in turn on one RecordedLoss: a whole recording clears the tape, and the
    // next call with the leaves apart records them again (their old mark is gone).
    RecordedLoss loss(Reuse::record_each_time);
    Var w, b;
    std::vector<double> p{0.5, -1.0}, g(2);
    const auto leaves = [&](Tape& tape) {
        w = tape.variable(p[0]);
        b = tape.variable(p[1]);
    };
    const auto rest = [&](Tape& tape) {
        return mean(square(w * tape.constant(column(xs)) + b - tape.constant(column(ts))));
    };
    for (int step = 0; step < 4; ++step) {
        const double l = step == 2 ? loss.gradient(p, g, [&](Tape& tape) { return record_loss(tape, p); })
                                   : loss.gradient(p, g, leaves, rest);
        expect_by_hand_and_step(l, p, g);
    }
}
