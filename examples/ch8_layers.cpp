// examples/ch8_layers.cpp — tutorial chapter 9 (the file keeps chapter 8's old number):
// the health network as two dense layers, recorded once and then replayed.
//
// The same MSE as chapter 4's batched tape, from four operations (one of them the
// identity) instead of twenty:
//     H = linear(X, W1, B1)       X: 6 x 3 (a row per person), W1: 3 x 2, B1: 1 x 2
//     Z = linear(H, W2, b3)       W2: 2 x 1
//     loss = mean_squared_error(identity(Z), y)
// 1. Record it at the article's start "a" and print the tape.
// 2. Its gradient next to the chain rule's, parameter by parameter.
// 3. Take one step of gradient descent, replay the same tape at the new parameters (no
//    node is appended), and compare with the chain rule there.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>

#include "cli.hpp"
#include "tapegrad/autodiff/inspect.hpp"
#include "tapegrad/nn/data.hpp"
#include "tapegrad/nn/health_network.hpp"
#include "tapegrad/nn/scaler.hpp"

using namespace tapegrad;
using namespace tapegrad::nn;

int show_chapter() {
    const Dataset people = article_people();
    const HealthNetwork network(Scaler::article_min_max().transform(people.features), people.targets);
    Parameters p;
    p.values = {0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0, 0, 0};  // start "a": weights 0.2 .. 0.9, biases 0

    // [layers]
    Tape tape;
    LayerVars layers;  // W1, W2, B1, b3: the eleven parameters as the layers' matrices
    const Var loss = network.record_loss_layers(tape, p, layers, /*named=*/true);
    Parameters gradient;
    tape.gradient(loss, gradient.values);  // every variable's adjoint, in recording order
    // [layers]

    std::cout << "The layers' tape at start \"a\" (" << tape.size() << " nodes):\n\n";
    PrintOptions options;
    options.max_elements = 4;
    print_tape(std::cout, tape, options);

    const Parameters chain = network.chain_rule_gradient(p);
    std::cout << "\nparameter  layers tape      chain rule\n";
    for (std::size_t k = 0; k < parameter_count; ++k)
        std::printf("%-9s  %15.10f  %15.10f\n", std::string(parameter_names[k]).c_str(), gradient[k], chain[k]);
    std::printf("largest relative difference: %s\n",
                largest_relative_difference(gradient, chain) < 1e-14 ? "below 1e-14" : "LARGER");

    // [replay]
    Parameters next = p;
    for (std::size_t k = 0; k < parameter_count; ++k) next[k] -= 0.005 * gradient[k];  // one training step
    tape.replay(next.values);              // the same 10 nodes, recomputed at the new parameters
    tape.gradient(loss, gradient.values);  // and swept again
    // [replay]

    const Parameters chain_next = network.chain_rule_gradient(next);
    std::printf("\nafter one step (learning rate 0.005), replayed: %zu nodes, loss %.12f (network.loss: %.12f)\n",
                tape.size(), loss.scalar_value(), network.loss(next));
    const bool agrees = largest_relative_difference(gradient, chain_next) < 1e-14;
    std::printf("largest relative difference from the chain rule there: %s\n", agrees ? "below 1e-14" : "LARGER");
    return agrees ? 0 : 1;
}

// The chapter takes no arguments; any is refused, and lost output is an error.
int main(int argc, char** argv) { return tapegrad::cli::run_chapter(argc, argv, show_chapter); }
