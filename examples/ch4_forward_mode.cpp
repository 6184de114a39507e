// examples/ch4_forward_mode.cpp — tutorial chapter 4: forward mode against reverse mode.
// Forward mode carries, beside every value, its derivative with respect to ONE chosen
// input (a dual number), so a gradient of eleven parameters takes eleven passes through
// the network. Reverse mode (the tape) records one pass and sweeps back once, and gets all
// eleven at the same time. Both give the same numbers; this program computes the health
// network's gradient both ways at chapter 2's start and counts the passes.
// The rule of thumb that follows: forward mode costs one pass per input, reverse mode one
// sweep per output. Training has eleven inputs (parameters) and one output (the loss).
#include <array>
#include <cstdio>
#include <string>

#include "cli.hpp"
#include "tapegrad/nn/data.hpp"
#include "tapegrad/nn/health_network.hpp"
#include "tapegrad/nn/scaler.hpp"

using namespace tapegrad;
using namespace tapegrad::nn;

namespace {

// [dual]
// A value and its derivative along one chosen direction: d value / d (the seeded input).
struct Dual {
    double value = 0;
    double derivative = 0;
};
Dual operator+(Dual a, Dual b) { return {a.value + b.value, a.derivative + b.derivative}; }
Dual operator-(Dual a, Dual b) { return {a.value - b.value, a.derivative - b.derivative}; }
Dual operator*(Dual a, Dual b) { return {a.value * b.value, a.derivative * b.value + a.value * b.derivative}; }
// [dual]

// The health network's MSE (identity output) for any number type: doubles or duals. A
// data value enters as T{x}: for a dual, derivative 0, since data is not being varied.
template <class T>
T mse(const HealthNetwork& network, const std::array<T, parameter_count>& p) {
    T sum{};
    for (Eigen::Index i = 0; i < network.people(); ++i) {
        const T x1{network.x1()(i)}, x2{network.x2()(i)}, x3{network.x3()(i)}, y{network.targets()(i)};
        const T h1 = p[w1] * x1 + p[w2] * x2 + p[w3] * x3 + p[b1];
        const T h2 = p[w4] * x1 + p[w5] * x2 + p[w6] * x3 + p[b2];
        const T error = p[w7] * h1 + p[w8] * h2 + p[b3] - y;
        sum = sum + error * error;
    }
    return sum * T{1.0 / static_cast<double>(network.people())};
}

// [forward_mode]
// One pass per parameter: seed that parameter's derivative with 1, all others with 0.
Parameters forward_mode_gradient(const HealthNetwork& network, const Parameters& p, int& passes) {
    Parameters gradient;
    for (std::size_t k = 0; k < parameter_count; ++k) {
        std::array<Dual, parameter_count> seeded;
        for (std::size_t j = 0; j < parameter_count; ++j) seeded[j] = {p[j], j == k ? 1.0 : 0.0};
        gradient[k] = mse(network, seeded).derivative;
        ++passes;
    }
    return gradient;
}
// [forward_mode]

}  // namespace

int show_chapter() {
    Parameters p;
    p.values = {0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.0, 0.0, 0.0};
    const Dataset people = article_people();
    const HealthNetwork network(Scaler::article_min_max().transform(people.features), people.targets);

    int passes = 0;
    const Parameters forward = forward_mode_gradient(network, p, passes);
    // [reverse_mode]
    Tape tape;  // the tape of this chapter: record the loss once, sweep back once
    ParameterVars vars;
    tape.gradient(network.record_loss(tape, p, vars));
    Parameters reverse;
    for (std::size_t k = 0; k < parameter_count; ++k) reverse[k] = vars[k].scalar_adjoint();
    // [reverse_mode]

    std::printf("param   forward mode (duals)   reverse mode (tape)\n");
    for (std::size_t k = 0; k < parameter_count; ++k)
        std::printf("%-5s   %20.12g   %19.12g\n", std::string(parameter_names[k]).c_str(), forward[k], reverse[k]);
    std::printf("\nforward mode: %d passes through the network, one per parameter\n", passes);
    std::printf("reverse mode: 1 pass recording %zu nodes, then 1 sweep back for all %zu parameters\n", tape.size(),
                parameter_count);
    return 0;
}

// The chapter takes no arguments; any is refused, and lost output is an error.
int main(int argc, char** argv) { return tapegrad::cli::run_chapter(argc, argv, show_chapter); }
