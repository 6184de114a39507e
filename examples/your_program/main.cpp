// examples/your_program/main.cpp — a complete program of your own that uses tapegrad,
// shown whole in the tutorial's chapter "Your own program" (docs/your-own-program.md).
//
// One neuron, one person (chapter 4's): prediction = w * age + b, loss = (prediction - health)^2.
// It records that computation on a tape (w and b as variables, the person's numbers as
// constants), sweeps back once, and reads the gradient out two ways: a Var's own adjoint
// (scalar_adjoint) and gradient(loss, {w, b}). Then it prints the same derivatives worked
// out by hand. Last, it writes the sweep of its own tape as a page to open in a browser,
// sweep.html, in one call (autodiff/sweep_page.hpp). It is built outside tapegrad, against the
// installed package, by its own CMakeLists.txt beside it; the test package.your_program builds
// it that way, runs it, compares what it prints with expected_output.txt, the block the chapter
// shows, and checks that sweep.html was written and ends in the gradient step.
// [program]
#include <cstdio>
#include <fstream>
#include <vector>

#include <tapegrad/autodiff/sweep_page.hpp>
#include <tapegrad/autodiff/tape.hpp>

int main() {
    tapegrad::Tape tape;

    // Variables: the numbers you want derivatives for (the parameters).
    const tapegrad::Var w = tape.variable(0.5);
    const tapegrad::Var b = tape.variable(0.0);
    // Constants: numbers the computation uses but you do not tune (the data).
    const tapegrad::Var age = tape.constant(60.0 / 101.0);  // age 60, scaled as in chapter 1
    // A plain double becomes a constant node where it is used.
    const double health = 7.0;

    // Recording: each operation appends one node and computes its value at once.
    const tapegrad::Var prediction = w * age + b;
    const tapegrad::Var error = prediction - health;
    const tapegrad::Var loss = square(error);
    std::printf("prediction = %g, loss = %g, nodes on the tape = %zu\n", prediction.scalar_value(), loss.scalar_value(),
                tape.size());

    // One reverse sweep fills in every adjoint: d loss / d node, for every node.
    tape.gradient(loss);
    std::printf("dloss/dw = %g (w.scalar_adjoint())\n", w.scalar_adjoint());
    std::printf("dloss/db = %g (b.scalar_adjoint())\n", b.scalar_adjoint());

    // The same sweep, returning the adjoints you name, in that order.
    const std::vector<double> g = tape.gradient(loss, {w, b});
    std::printf("gradient(loss, {w, b}) = {%g, %g}\n", g[0], g[1]);
    // A constant gets an adjoint too: the sweep fills in every node's.
    std::printf("dloss/dage = %g (a constant's adjoint)\n", age.scalar_adjoint());

    // By hand: loss = (w age + b - health)^2, so dloss/dw = 2 error age, dloss/db = 2 error.
    const double e = error.scalar_value();
    std::printf("by hand: dloss/dw = %g, dloss/db = %g\n", 2 * e * age.scalar_value(), 2 * e);

    // The sweep step by step, as a page: each node hands each parent adjoint x local
    // derivative, and the last step reads the gradient off. Names make the page read better.
    tape.set_name(w, "w");
    tape.set_name(b, "b");
    tape.set_name(age, "age");
    tape.set_name(loss, "loss");
    std::ofstream page("sweep.html");
    tapegrad::write_sweep_page(page, tape, loss, "My neuron's sweep");  // sweeps the tape itself
    std::printf("wrote sweep.html: open it in a browser and step through the sweep\n");
    return 0;
}
// [program]
