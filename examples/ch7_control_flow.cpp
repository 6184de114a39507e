// examples/ch7_control_flow.cpp — tutorial chapter 7, recording through loops and `if`.
//
// The tape records the operations that ran, so a C++ loop records its rounds one after the
// other and an `if` on a value records only the branch taken. f below has both: three
// rounds of h = tanh(w h + x), then h^2 when h > 0 and h / 10 otherwise. The program
//   1. checks the tape's gradient on each side of the branch against central differences;
//   2. replays a tape recorded on one side at a point on the other side: the replayed tape
//      still computes the first branch, so its loss and gradient are wrong there;
//   3. notices it the way a program can (the value the `if` looked at, read after the replay,
//      is on the other side now) and records again;
//   4. does the same with a compiled loss, whose plan is the first trace until retrace();
//   5. writes the branch as ops (relu) instead of an `if`: one graph for both sides, which
//      replays right everywhere.
#include <cstdio>
#include <iostream>
#include <span>
#include <vector>

#include "cli.hpp"
#include "tapegrad/autodiff/compiled_loss.hpp"
#include "tapegrad/autodiff/gradient_check.hpp"
#include "tapegrad/autodiff/tape.hpp"

using namespace tapegrad;

namespace {
// [record]
struct Recorded {
    Var f;       // the output
    Var h;       // the value the `if` looked at
    bool upper;  // the branch taken: h > 0
};

// f(x, w): a loop of fixed count, then an `if` on a value.
Recorded record_f(Var x, Var w) {
    Var h = x;
    for (int round = 0; round < 3; ++round)  // always 3 rounds: the same 9 nodes whatever x and w are
        h = tanh(w * h + x);
    if (h.scalar_value() > 0.0)  // decided now, from this recording's numbers
        return {square(h), h, true};
    return {h / 10.0, h, false};
}

// x, then w, recorded as variables from the numbers p, then f on them. Two statements:
// in record(tape.variable(..), tape.variable(..)) C++ leaves the order of the two to the
// compiler, and replay() and gradient(loss, out) take the variables in recording order.
auto record_at(Tape& tape, std::span<const double> p, auto record) {
    const Var x = tape.variable(p[0]);
    const Var w = tape.variable(p[1]);
    return record(x, w);
}
// [record]

// The same f with the branch written as ops: relu(h) is h above 0 and 0 below, so
// relu(h)^2 + (h - relu(h)) / 10 is h^2 above 0 and h / 10 below, in one graph.
Var record_f_without_if(Var x, Var w) {
    Var h = x;
    for (int round = 0; round < 3; ++round) h = tanh(w * h + x);
    return square(relu(h)) + (h - relu(h)) / 10.0;
}

const char* side(bool upper) { return upper ? "h > 0, f = h^2" : "h <= 0, f = h/10"; }

// f at (x, w), recorded afresh: the truth the other parts are held against.
double f_at(std::span<const double> p) {
    Tape tape;
    return record_at(tape, p, record_f).f.scalar_value();
}

// The gradient `g` judged against central differences of f recorded afresh at each point.
GradientReport check_against_f(std::span<const double> point, std::span<const double> g) {
    std::vector<double> rounding;
    const std::vector<double> numeric = central_differences(f_at, point, 1e-6, &rounding);
    return compare_gradients({"x", "w"}, g, numeric, {}, rounding);
}
}  // namespace

int show_chapter() {
    const std::vector<double> above{0.5, 0.8}, below{-0.5, 0.8};  // (x, w) on either side of the branch
    bool as_expected = true;  // every check passes, but the one of the stale replay, which must fail

    std::printf("1. Recorded afresh at each point, the tape's gradient against central differences\n");
    for (const auto& p : {above, below}) {
        Tape tape;
        const Recorded r = record_at(tape, p, record_f);
        std::printf("\nx = %g, w = %g: h = %.6f, branch %s; %zu nodes; f = %.6f\n", p[0], p[1], r.h.scalar_value(),
                    side(r.upper), tape.size(), r.f.scalar_value());
        const auto f = [](Tape&, const std::vector<Var>& v) { return record_f(v[0], v[1]).f; };
        const GradientReport report = check_gradient(f, p, {}, {"x", "w"});
        std::cout << report;
        as_expected = as_expected && report.passed;
    }

    // [replay]
    Tape tape;
    const Recorded r = record_at(tape, above, record_f);  // recorded at x = 0.5: the branch h > 0
    tape.replay(below);                                   // new values for x and w, the same nodes
    std::vector<double> g(2);
    tape.gradient(r.f, g);
    // [replay]
    std::printf("\n2. Recorded at x = %g, replayed at x = %g\n", above[0], below[0]);
    std::printf("replayed: f = %.6f, df/dx = %.6f, df/dw = %.6f\n", r.f.scalar_value(), g[0], g[1]);
    std::printf("f recorded afresh there: %.6f\n", f_at(below));
    const GradientReport stale_replay = check_against_f(below, g);
    std::cout << stale_replay;
    as_expected = as_expected && !stale_replay.passed;

    std::printf("\n3. After the replay h = %.6f: the branch went the other way, so the program records again\n",
                r.h.scalar_value());
    // [notice]
    if ((r.h.scalar_value() > 0.0) != r.upper) {  // the value the `if` looked at, after the replay
        tape.clear();                             // record again, at the new numbers
        const Recorded again = record_at(tape, below, record_f);
        tape.gradient(again.f, g);
    }
    // [notice]
    std::printf("recorded again: df/dx = %.6f, df/dw = %.6f\n", g[0], g[1]);
    const GradientReport recorded_again = check_against_f(below, g);
    std::cout << recorded_again;
    as_expected = as_expected && recorded_again.passed;

    // [compiled]
    CompiledLoss loss([](Tape& t, std::span<const double> p) { return record_at(t, p, record_f).f; });
    loss.gradient(above, g);                       // traced at x = 0.5: the plan is the branch h > 0
    const double stale = loss.gradient(below, g);  // the same plan at x = -0.5: wrong
    loss.retrace();                                // the graph changed: trace again on the next call
    const double right = loss.gradient(below, g);
    // [compiled]
    std::printf("\n4. A compiled loss traced at x = %g: f at x = %g is %.6f; after retrace() %.6f\n", above[0],
                below[0], stale, right);
    const GradientReport retraced = check_against_f(below, g);
    std::cout << retraced;
    as_expected = as_expected && retraced.passed;

    std::printf("\n5. The branch as ops, relu(h)^2 + (h - relu(h))/10: recorded at x = %g, replayed at x = %g\n",
                above[0], below[0]);
    Tape tape2;
    const Var f2 = record_at(tape2, above, record_f_without_if);
    tape2.replay(below);
    tape2.gradient(f2, g);
    std::printf("replayed: f = %.6f, df/dx = %.6f, df/dw = %.6f\n", f2.scalar_value(), g[0], g[1]);
    const GradientReport last = check_against_f(below, g);
    std::cout << last;
    return as_expected && last.passed ? 0 : 1;
}

// The chapter takes no arguments; any is refused, and lost output is an error.
int main(int argc, char** argv) { return tapegrad::cli::run_chapter(argc, argv, show_chapter); }
