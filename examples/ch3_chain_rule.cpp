// examples/ch3_chain_rule.cpp — tutorial chapter 3: two gradients by the chain rule,
// person by person (w7 in layer 2, w1 and b1 in layer 1), next to what the article's
// functions compute for the same parameters, factor by factor.
#include <cstdio>
#include <iostream>

#include "cli.hpp"
#include "tapegrad/nn/article.hpp"
#include "tapegrad/nn/data.hpp"
#include "tapegrad/nn/health_network.hpp"
#include "tapegrad/nn/scaler.hpp"

using namespace tapegrad::nn;

int show_chapter() {
    Parameters p;
    p.values = {0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.0, 0.0, 0.0};
    const Dataset people = article_people();
    const HealthNetwork network(Scaler::article_min_max().transform(people.features), people.targets);
    const ForwardPass f = network.forward(p);
    const double n = static_cast<double>(network.people());

    // [chain]
    // dL/dZ_i = 2 (prediction_i - y_i) / n * activation'(Z_i)      (identity: activation' = 1)
    // dL/dw7  = sum_i dL/dZ_i * h1_i
    // dL/dw1  = sum_i dL/dZ_i * w7 * x1_i
    // dL/db1  = sum_i dL/dZ_i * w7
    double dw7 = 0, dw1 = 0, db1 = 0;
    for (Eigen::Index i = 0; i < network.people(); ++i) {
        const double dz = 2 * (f.prediction(i) - people.targets(i)) / n;
        dw7 += dz * f.h1(i);
        dw1 += dz * p[w7] * network.x1()(i);
        db1 += dz * p[w7];
    }
    // [chain]

    std::cout << "  person   dL/dZ_i       h1_i   dL/dZ_i*h1_i       x1_i   dL/dZ_i*w7*x1_i   dL/dZ_i*w7\n";
    for (Eigen::Index i = 0; i < network.people(); ++i) {
        const double dz = 2 * (f.prediction(i) - people.targets(i)) / n;
        std::printf("  %6d  %8.5f  %9.5f  %13.5f  %9.5f  %16.5f  %11.5f\n", static_cast<int>(i + 1), dz, f.h1(i),
                    dz * f.h1(i), network.x1()(i), dz * p[w7] * network.x1()(i), dz * p[w7]);
    }
    std::printf("  sums: dL/dw7 = %.6f, dL/dw1 = %.6f, dL/db1 = %.6f\n", dw7, dw1, db1);

    const Parameters tape = [&] {
        Parameters g;
        TapeGradient{network}(p, g);
        return g;
    }();
    std::printf("  tape: dL/dw7 = %.6f, dL/dw1 = %.6f, dL/db1 = %.6f\n\n", tape[w7], tape[w1], tape[b1]);

    // [article]
    // The article's factors for w1: one = d_MSE = (1/n) * 2 * error (already / n),
    // two = 1, three = w7, four = 1, five = x1; then np.mean divides by n again.
    Parameters article;
    article::gradient(network, p, article);
    // [article]
    std::printf("The article's functions at the same point:\n");
    std::printf("  w7: %.6f = dL/dw7 / %.4f\n", article[w7], tape[w7] / article[w7]);
    std::printf("  w1: %.6f = dL/dw1 / %.4f\n", article[w1], tape[w1] / article[w1]);
    std::printf("  b1: %.6f = dL/db1 / %.4f   (three = 1 instead of w7 = %.1f; it equals dL/db3 / 6 = %.6f)\n",
                article[b1], tape[b1] / article[b1], p[w7], tape[b3] / 6);
    return 0;
}

// The chapter takes no arguments; any is refused, and lost output is an error.
int main(int argc, char** argv) { return tapegrad::cli::run_chapter(argc, argv, show_chapter); }
