// examples/ch9_compiled_loss.cpp — tutorial chapter 9: the compiled loss, speed's front door.
//
// A training loop asks for the same loss at new parameters again and again. The core
// records the graph and sweeps it every time (the interpreter); a CompiledLoss
// (autodiff/compiled_loss.hpp) records it once (tracing), compiles the tape into a plan
// (OptimizedTape) and then only runs the plan.
// 1. Train three steps on the compiled loss of chapter 4's batched lines: the record
//    function runs once, and each step's gradient is checked against the interpreter's
//    (the core recorded afresh) and against the chain rule by hand.
// 2. The per-person scalar tape (one node per scalar operation, the article's loop) traced
//    and compiled the same way: how many nodes the trace has, how many steps the plan.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <span>
#include <string>

#include "cli.hpp"
#include "tapegrad/autodiff/compiled_loss.hpp"
#include "tapegrad/nn/data.hpp"
#include "tapegrad/nn/health_network.hpp"
#include "tapegrad/nn/scaler.hpp"

using namespace tapegrad;
using namespace tapegrad::nn;

namespace {
// The largest difference of two gradients, relative to the second (at least 1).
double worst(const Parameters& a, const Parameters& b) {
    double w = 0;
    for (std::size_t k = 0; k < parameter_count; ++k) w = std::max(w, std::abs(a[k] - b[k]) / std::max(1.0, std::abs(b[k])));
    return w;
}
const char* verdict(double w) { return w < 1e-12 ? "below 1e-12" : "LARGER"; }

// Part 2: the article's loop, one scalar node per operation, traced and compiled.
bool per_person(const HealthNetwork& network, const Parameters& p) {
    ParameterVars vars;
    CompiledLoss loss([&](Tape& tape, std::span<const double> values) {
        Parameters at;
        std::copy(values.begin(), values.end(), at.values.begin());
        return network.record_loss_per_person(tape, at, vars);
    });
    Parameters gradient;
    loss.gradient(p.values, gradient.values);
    const double w = worst(gradient, network.chain_rule_gradient(p));
    std::printf("\nThe per-person scalar tape: %zu nodes traced, %zu steps in the plan\n", loss.tape().size(),
                loss.plan().steps().size());
    std::printf("its gradient against the chain rule: %s\n", verdict(w));
    return w < 1e-12;
}
}  // namespace

int show_chapter() {
    Parameters p;
    p.values = {0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0, 0, 0};  // start "a"
    const Dataset people = article_people();
    const HealthNetwork network(Scaler::article_min_max().transform(people.features), people.targets);

    // [compiled]
    int traces = 0;
    ParameterVars vars;
    CompiledLoss loss([&](Tape& tape, std::span<const double> values) {
        ++traces;  // how often the lines are recorded
        Parameters at;
        std::copy(values.begin(), values.end(), at.values.begin());
        return network.record_loss(tape, at, vars);  // chapter 4's batched lines
    });
    Parameters gradient;
    bool close = true;
    for (int step = 1; step <= 3; ++step) {
        const double mse = loss.gradient(p.values, gradient.values);  // the first call traces and compiles
        // [compiled]
        Tape interpreter;  // the core, recorded afresh at this step's parameters
        ParameterVars fresh;
        Parameters recorded;
        interpreter.gradient(network.record_loss(interpreter, p, fresh), recorded.values);
        const double by_core = worst(gradient, recorded), by_hand = worst(gradient, network.chain_rule_gradient(p));
        std::printf("step %d  loss %.10f  against the interpreter: %s  against the chain rule: %s\n", step, mse,
                    verdict(by_core), verdict(by_hand));
        close = close && by_core < 1e-12 && by_hand < 1e-12;
        for (std::size_t k = 0; k < parameter_count; ++k) p[k] -= 0.005 * gradient[k];
    }
    std::printf("the lines were recorded %d time(s); the plan has %zu steps for the tape's %zu nodes\n", traces,
                loss.plan().steps().size(), loss.tape().size());
    return per_person(network, p) && close && traces == 1 ? 0 : 1;
}

// The chapter takes no arguments; any is refused, and lost output is an error.
int main(int argc, char** argv) { return tapegrad::cli::run_chapter(argc, argv, show_chapter); }
