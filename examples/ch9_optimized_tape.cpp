// examples/ch9_optimized_tape.cpp — tutorial chapter 9: a recorded tape is a program,
// and OptimizedTape (autodiff/optimized_tape.hpp) compiles it.
//
// 1. Record chapter 4's batched tape of the health network (35 nodes, the article's own
//    lines) and print it: the program before optimization.
// 2. Compile it and print the plan: what each step computes and which nodes it stands for.
// 3. The same for the sigmoid output, whose activation folds into the last weighted sum.
// 4. The plan's gradient next to the tape's and the chain rule's, at start "a" and after
//    a step of gradient descent: the pass changes how the gradient is computed, not what.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>

#include "cli.hpp"
#include "tapegrad/autodiff/inspect.hpp"
#include "tapegrad/autodiff/optimized_tape.hpp"
#include "tapegrad/nn/data.hpp"
#include "tapegrad/nn/health_network.hpp"
#include "tapegrad/nn/scaler.hpp"

using namespace tapegrad;
using namespace tapegrad::nn;

namespace {
HealthNetwork article_network(Activation a) {
    const Dataset people = article_people();
    return HealthNetwork(Scaler::article_min_max().transform(people.features), people.targets, a);
}
}  // namespace

int show_chapter() {
    Parameters p;
    p.values = {0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0, 0, 0};  // start "a"
    const HealthNetwork network = article_network(Activation::identity);

    // [optimize]
    Tape tape;
    ParameterVars vars;
    const Var loss = network.record_loss(tape, p, vars, /*named=*/true);  // chapter 4's 35 nodes
    OptimizedTape plan(tape, loss);                                        // compiled once
    Parameters gradient;
    const double mse = plan.gradient(p.values, gradient.values);  // then run, at any parameters
    // [optimize]

    PrintOptions options;
    options.max_elements = 2;
    std::cout << "The recorded tape (identity output), the program before optimization:\n\n";
    print_tape(std::cout, tape, options);
    std::cout << "\nThe plan compiled from it:\n\n";
    print_plan(std::cout, tape, plan);

    Tape sigmoid_tape;
    ParameterVars sigmoid_vars;
    const HealthNetwork sigmoid = article_network(Activation::sigmoid);
    const OptimizedTape sigmoid_plan(sigmoid_tape, sigmoid.record_loss(sigmoid_tape, p, sigmoid_vars, true));
    std::cout << "\nWith the sigmoid output:\n\n";
    print_plan(std::cout, sigmoid_tape, sigmoid_plan);

    const Parameters chain = network.chain_rule_gradient(p);
    std::printf("\nparameter  plan             tape             chain rule\n");
    tape.gradient(loss);
    for (std::size_t k = 0; k < parameter_count; ++k)
        std::printf("%-9s  %15.10f  %15.10f  %15.10f\n", std::string(parameter_names[k]).c_str(), gradient[k],
                    vars[k].scalar_adjoint(), chain[k]);
    std::printf("loss: plan %.12f, tape %.12f\n", mse, loss.scalar_value());

    Parameters next = p;
    for (std::size_t k = 0; k < parameter_count; ++k) next[k] -= 0.005 * gradient[k];  // one training step
    plan.gradient(next.values, gradient.values);
    const double worst = largest_relative_difference(gradient, network.chain_rule_gradient(next));
    std::printf("after one step, largest relative difference from the chain rule: %s\n",
                worst < 1e-12 ? "below 1e-12" : "LARGER");
    return worst < 1e-12 ? 0 : 1;
}

// The chapter takes no arguments; any is refused, and lost output is an error.
int main(int argc, char** argv) { return tapegrad::cli::run_chapter(argc, argv, show_chapter); }
