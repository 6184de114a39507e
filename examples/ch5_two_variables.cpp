// examples/ch5_two_variables.cpp — tutorial chapter 5: a function of two variables,
// recorded on the tape and checked against central finite differences by the checker.
//     f(x, y) = x^2 y + sin(x y)
//     df/dx = 2 x y + y cos(x y),   df/dy = x^2 + x cos(x y)
#include <cmath>
#include <iostream>

#include "cli.hpp"
#include "tapegrad/autodiff/gradient_check.hpp"

using namespace tapegrad;

int show_chapter() {
    // [check]
    const auto f = [](Tape&, const std::vector<Var>& v) {
        const Var x = v[0], y = v[1];
        return square(x) * y + sin(x * y);
    };
    const GradientReport report = check_gradient(f, std::vector<double>{1.5, -0.5}, {}, {"x", "y"});
    std::cout << report;
    // [check]

    const double x = 1.5, y = -0.5;
    std::cout << "\nby hand: df/dx = " << 2 * x * y + y * std::cos(x * y) << ", df/dy = " << x * x + x * std::cos(x * y)
              << "\n";
    return report.passed ? 0 : 1;
}

// The chapter takes no arguments; any is refused, and lost output is an error.
int main(int argc, char** argv) { return tapegrad::cli::run_chapter(argc, argv, show_chapter); }
