// examples/ch9_fused_recording.cpp — tutorial chapter 9: the same lines, fewer nodes.
//
// The tutorial's lines recorded on a tape that fuses expressions (Tape::set_fuse_expressions,
// autodiff/expression.hpp): each `w1 * x1 + w2 * x2 + w3 * x3 + b1` becomes one
// weighted_sum node and `mean(square(prediction - y))` one mse node, so chapter 4's batched
// tape has 20 nodes instead of 35. Of those, 15 are leaves (the parameters and the data),
// which a loop that records every step records once and keeps (Tape::mark, Tape::rewind):
// each step then records 5 nodes. This is how such a loop records the lines (RecordedLoss;
// `train_health --tape record`).
// 1. Record with fusing on, and print the tape.
// 2. Its gradient next to the unfused tape's and the chain rule's: the same numbers.
// 3. Three steps of the loop that keeps the leaves, each checked against the chain rule.
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

// Part 3: the leaves recorded once, the lines every step, at the point each step moves to.
bool keep_the_leaves(const HealthNetwork& network, const Parameters& start) {
    std::printf("\nThe leaves kept, the lines recorded at every step:\n");
    std::printf("step  nodes recorded  loss        largest difference from the chain rule\n");
    bool close = true;
    const auto check = [&](int step, const Parameters& p, const Parameters& gradient, std::size_t nodes, Var loss) {
        const Parameters chain = network.chain_rule_gradient(p);
        double worst = 0;
        for (std::size_t k = 0; k < parameter_count; ++k)
            worst = std::max(worst, std::abs(gradient[k] - chain[k]) / std::max(1.0, std::abs(chain[k])));
        std::printf("%4d  %14zu  %-10.6f  %s\n", step, nodes, loss.scalar_value(),
                    worst < 1e-12 ? "below 1e-12" : "LARGER");
        close = close && worst < 1e-12;
    };
    // [keep]
    Tape tape;
    tape.set_fuse_expressions(true);
    ParameterVars vars;
    tape.variables(start.values, vars);               // the leaves, once: the parameters
    const DataVars data = network.record_data(tape);  // and the data
    const Tape::Mark leaves = tape.mark();
    Parameters p = start, gradient;
    for (int step = 1; step <= 3; ++step) {
        tape.rewind(leaves);                                     // drop the last step's nodes, keep the leaves
        tape.replay(p.values);                                   // the parameters' values at this step
        const Var loss = network.record_loss(tape, vars, data);  // the lines: 5 nodes
        tape.gradient(loss, gradient.values);
        check(step, p, gradient, tape.size() - leaves.nodes, loss);  // against the chain rule
        for (std::size_t k = 0; k < parameter_count; ++k) p[k] -= 0.01 * gradient[k];
    }
    // [keep]
    std::printf("leaves: %zu, recorded once\n", leaves.nodes);
    return close;
}

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
    return keep_the_leaves(network, p) && worst < 1e-12 ? 0 : 1;
}

// The chapter takes no arguments; any is refused, and lost output is an error.
int main(int argc, char** argv) { return tapegrad::cli::run_chapter(argc, argv, show_chapter); }
