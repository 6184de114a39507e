// examples/ch2_forward_pass.cpp — tutorial chapter 2: one forward pass of the 3-2-1
// network over the six people, from a fixed start, down to the MSE and the RMSE.
#include <cmath>
#include <cstdio>
#include <iostream>

#include "cli.hpp"
#include "tapegrad/nn/data.hpp"
#include "tapegrad/nn/health_network.hpp"
#include "tapegrad/nn/scaler.hpp"

using namespace tapegrad::nn;

int show_chapter() {
    // [forward]
    Parameters p;
    p.values = {0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.0, 0.0, 0.0};  // w1..w8, b1, b2, b3
    const Dataset people = article_people();
    const HealthNetwork network(Scaler::article_min_max().transform(people.features), people.targets);
    const ForwardPass f = network.forward(p);
    const double mse = network.loss(p);
    // [forward]

    std::cout << "Parameters: " << p.to_string() << "\n\n";
    std::cout << "  person        h1        h2         Z  prediction  health   error  error^2\n";
    for (Eigen::Index i = 0; i < network.people(); ++i) {
        const double error = f.prediction(i) - people.targets(i);
        std::printf("  %6d  %8.5f  %8.5f  %8.5f  %10.5f  %6.0f  %6.3f  %7.3f\n", static_cast<int>(i + 1), f.h1(i),
                    f.h2(i), f.z(i), f.prediction(i), people.targets(i), error, error * error);
    }
    std::printf("\nMSE  = mean of error^2 = %.6f\nRMSE = sqrt(MSE)       = %.6f\n", mse, std::sqrt(mse));
    return 0;
}

// The chapter takes no arguments; any is refused, and lost output is an error.
int main(int argc, char** argv) { return tapegrad::cli::run_chapter(argc, argv, show_chapter); }
