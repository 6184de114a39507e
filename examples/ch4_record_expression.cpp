// examples/ch4_record_expression.cpp — record one small computation, print its tape,
// sweep back once, and check the gradient two independent ways.
//
// The computation is the smallest piece of the health network: one neuron with one
// input (the first person's scaled age, 60/101), a weight w and a bias b, predicting
// the health score 7 under a squared error:
//     prediction = w * x + b,   loss = (prediction - y)^2
// By hand, the chain rule gives  dloss/dw = 2 (w x + b - y) x  and  dloss/db = 2 (w x + b - y).
// The tape must agree with those formulas and with central finite differences.
// Tutorial chapter 4 (the tape) shows this program and its output.
#include <cstdlib>
#include <iostream>

#include "cli.hpp"
#include "tapegrad/autodiff/gradient_check.hpp"
#include "tapegrad/autodiff/inspect.hpp"
#include "tapegrad/autodiff/tape.hpp"
#include "one_neuron.hpp"

using tapegrad::Tape;
using tapegrad::Var;

using tapegrad::examples::neuron_loss;  // one_neuron.hpp: w * x + b against y, squared

int show_chapter() {
    // [sweep]
    Tape tape;
    const Var w = tape.variable(0.5);
    const Var b = tape.variable(0.0);
    tape.set_name(w, "w");
    tape.set_name(b, "b");
    const Var loss = neuron_loss(tape, w, b);
    tape.gradient(loss);  // one reverse sweep fills every adjoint
    // [sweep]

    std::cout << "The tape after recording and one reverse sweep:\n\n";
    tapegrad::print_tape(std::cout, tape);

    // [by-hand]
    const double x = 60.0 / 101.0, y = 7.0;
    const double error = 0.5 * x + 0.0 - y;
    const double by_hand_w = 2 * error * x;
    const double by_hand_b = 2 * error;
    // [by-hand]

    std::cout << "\nloss = " << loss.scalar_value() << "\n";
    std::cout << "dloss/dw: tape " << w.scalar_adjoint() << ", by hand " << by_hand_w << "\n";
    std::cout << "dloss/db: tape " << b.scalar_adjoint() << ", by hand " << by_hand_b << "\n\n";

    // [check]
    const auto report =
        tapegrad::check_gradient([](Tape& t, const std::vector<Var>& p) { return neuron_loss(t, p[0], p[1]); },
                                 std::vector<double>{0.5, 0.0}, {}, {"w", "b"});
    std::cout << report;
    // [check]

    const bool hand_ok = std::abs(w.scalar_adjoint() - by_hand_w) <= 1e-12 * std::abs(by_hand_w) &&
                         std::abs(b.scalar_adjoint() - by_hand_b) <= 1e-12 * std::abs(by_hand_b);
    std::cout << "by-hand formulas " << (hand_ok ? "agree" : "DISAGREE") << " with the tape\n";
    return report.passed && hand_ok ? EXIT_SUCCESS : EXIT_FAILURE;
}

// The chapter takes no arguments; any is refused, and lost output is an error.
int main(int argc, char** argv) { return tapegrad::cli::run_chapter(argc, argv, show_chapter); }
