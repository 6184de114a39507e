// examples/ch9_fused_recording.cpp — tutorial chapter 9: the same lines, fewer nodes.
//
// The tutorial's lines recorded on a tape that fuses expressions (Tape::set_fuse_expressions,
// autodiff/expression.hpp): each `w1 * x1 + w2 * x2 + w3 * x3 + b1` becomes one
// weighted_sum node and `mean(square(prediction - y))` one mse node, so chapter 4's batched
// tape has 20 nodes instead of 35. This is how a training loop that records every step
// records it (RecordedLoss; `train_health --tape record`).
// 1. Record with fusing on, and print the tape.
// 2. Its gradient next to the unfused tape's and the chain rule's: the same numbers.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <string>

#include "cli.hpp"
#include "tapegrad/autodiff/inspect.hpp"
#include "tapegrad/nn/data.hpp"
#include "tapegrad/nn/health_network.hpp"
#include "tapegrad/nn/scaler.hpp"

using namespace tapegrad;
using namespace tapegrad::nn;

int show_chapter() {
    Parameters p;
    p.values = {0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0, 0, 0};  // start "a"
    const Dataset people = article_people();
    const HealthNetwork network(Scaler::article_min_max().transform(people.features), people.targets);

    // [fuse]
    Tape tape;
    tape.set_fuse_expressions(true);  // a sum of products is one node, and so is the mse
    ParameterVars vars;
    const Var loss = network.record_loss(tape, p, vars, /*named=*/true);  // the same lines as chapter 4
    tape.gradient(loss);
    // [fuse]
    PrintOptions options;
    options.max_elements = 2;
    std::cout << "The batched tape, recorded with fusing on:\n\n";
    print_tape(std::cout, tape, options);

    Tape plain;  // a node per operator, as chapter 4 records it
    ParameterVars plain_vars;
    plain.gradient(network.record_loss(plain, p, plain_vars));
    const Parameters chain = network.chain_rule_gradient(p);
    std::printf("\nparameter  fused            a node per op    chain rule\n");
    double worst = 0;
    for (std::size_t k = 0; k < parameter_count; ++k) {
        const double fused = vars[k].scalar_adjoint();
        std::printf("%-9s  %15.10f  %15.10f  %15.10f\n", std::string(parameter_names[k]).c_str(), fused,
                    plain_vars[k].scalar_adjoint(), chain[k]);
        worst = std::max(worst, std::abs(fused - chain[k]) / std::max(1.0, std::abs(chain[k])));
    }
    std::printf("nodes: %zu fused, %zu with a node per operator\n", tape.size(), plain.size());
    std::printf("largest relative difference from the chain rule: %s\n", worst < 1e-12 ? "below 1e-12" : "LARGER");
    return worst < 1e-12 ? 0 : 1;
}

// The chapter takes no arguments; any is refused, and lost output is an error.
int main(int argc, char** argv) { return tapegrad::cli::run_chapter(argc, argv, show_chapter); }
