// tests/consumer/main.cpp — a program outside tapegrad that uses it as a learner's own
// project would: through the installed headers <tapegrad/...> and tapegrad::tapegrad.
//
// It records f(x) = x sin(x) on a tape, sweeps back once, and checks the tape's
// df/dx against the formula by hand, df/dx = sin(x) + x cos(x), at x = 1.5. It also calls
// into the nn library (the article's start for the eleven parameters) so that both
// libraries are linked. Prints what it finds; exits 1 on any mismatch, so the tests in
// tests/CMakeLists.txt that build it fail.
#include <cmath>
#include <cstdlib>
#include <iostream>

#include <tapegrad/autodiff/tape.hpp>
#include <tapegrad/nn/parameters.hpp>

int main() {
    tapegrad::Tape tape;
    const double x = 1.5;
    const tapegrad::Var x_var = tape.variable(x);
    const tapegrad::Var f = x_var * sin(x_var);
    tape.gradient(f);

    const double by_hand = std::sin(x) + x * std::cos(x);
    const double tape_gradient = x_var.scalar_adjoint();
    const bool gradient_ok = std::abs(tape_gradient - by_hand) <= 1e-12 * std::abs(by_hand);
    std::cout.precision(17);
    std::cout << "d/dx x sin(x) at x = 1.5: tape " << tape_gradient << ", by hand " << by_hand << " -> "
              << (gradient_ok ? "agree" : "DIFFER") << "\n";

    // The article starts every weight in [0.1, 0.9] and every bias at 0.
    const tapegrad::nn::Parameters start = tapegrad::nn::initial_parameters(7);
    bool start_ok = true;
    for (std::size_t i = 0; i < tapegrad::nn::parameter_count; ++i) {
        const bool bias = i >= tapegrad::nn::b1;
        start_ok = start_ok && (bias ? start[i] == 0.0 : start[i] >= 0.1 && start[i] <= 0.9);
    }
    std::cout << "nn: the article's start (seed 7): " << start.to_string(3) << " -> "
              << (start_ok ? "weights in [0.1, 0.9], biases 0" : "OUT OF RANGE") << "\n";
    return gradient_ok && start_ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
