// tapegrad/bench/health_baseline.hpp — the health network's hand-written gradient, the
// baseline every health and training case is divided by, shared by the bench programs.
//
// One pass over the people computes the forward pass, the loss and all eleven partial
// derivatives; nothing is stored and nothing allocated — what a programmer who has
// derived the chain rule once would write. The bench checks it against the chain rule
// of nn/ (HealthNetwork::chain_rule_gradient, a different code path) and against
// central differences before using it as the reference for everything else.
#pragma once

#include <array>
#include <cmath>

#include "tapegrad/nn/data.hpp"
#include "tapegrad/nn/health_network.hpp"
#include "tapegrad/nn/parameters.hpp"
#include "tapegrad/nn/scaler.hpp"

namespace tapegrad::bench {

using nn::Activation;
using nn::HealthNetwork;
using nn::Parameters;

// Start "a" of the reference runs: weights 0.2 .. 0.9, biases 0.
inline Parameters start() {
    Parameters p;
    p.values = {0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0, 0, 0};
    return p;
}

inline HealthNetwork article_network(Activation a) {
    const nn::Dataset d = nn::article_people();
    return HealthNetwork(nn::Scaler::article_min_max().transform(d.features), d.targets, a);
}

// With e = prediction - y and g = 2e/n * activation'(Z):
//   dL/dw7 = sum g h1, dL/dw8 = sum g h2, dL/db3 = sum g,
//   dL/dw1..3 = sum g w7 x1..3, dL/db1 = sum g w7 (and w4..6, b2 with w8).
template <Activation A>
struct Act;
template <>
struct Act<Activation::identity> {
    static double value(double z) { return z; }
    static double derivative(double, double) { return 1.0; }
};
template <>
struct Act<Activation::sigmoid> {
    static double value(double z) { return z >= 0 ? 1 / (1 + std::exp(-z)) : std::exp(z) / (1 + std::exp(z)); }
    static double derivative(double, double s) { return s * (1 - s); }
};

template <Activation A>
double hand_written(const double* x1, const double* x2, const double* x3, const double* y, int n, const Parameters& p,
                    Parameters& g) {
    double loss = 0;
    std::array<double, nn::parameter_count> d{};
    const double two_over_n = 2.0 / n;
    for (int i = 0; i < n; ++i) {
        const double h1 = p[nn::w1] * x1[i] + p[nn::w2] * x2[i] + p[nn::w3] * x3[i] + p[nn::b1];
        const double h2 = p[nn::w4] * x1[i] + p[nn::w5] * x2[i] + p[nn::w6] * x3[i] + p[nn::b2];
        const double z = p[nn::w7] * h1 + p[nn::w8] * h2 + p[nn::b3];
        const double prediction = Act<A>::value(z);
        const double e = prediction - y[i];
        loss += e * e;
        const double dz = two_over_n * e * Act<A>::derivative(z, prediction);
        const double dh1 = dz * p[nn::w7], dh2 = dz * p[nn::w8];
        d[nn::w1] += dh1 * x1[i];
        d[nn::w2] += dh1 * x2[i];
        d[nn::w3] += dh1 * x3[i];
        d[nn::b1] += dh1;
        d[nn::w4] += dh2 * x1[i];
        d[nn::w5] += dh2 * x2[i];
        d[nn::w6] += dh2 * x3[i];
        d[nn::b2] += dh2;
        d[nn::w7] += dz * h1;
        d[nn::w8] += dz * h2;
        d[nn::b3] += dz;
    }
    g.values = d;
    return loss / n;
}

class HandWritten {
public:
    explicit HandWritten(const HealthNetwork& network) : network_(network) {}
    double operator()(const Parameters& p, Parameters& g) const {
        const int n = static_cast<int>(network_.people());
        const double *x1 = network_.x1().data(), *x2 = network_.x2().data(), *x3 = network_.x3().data(),
                     *y = network_.targets().data();
        if (network_.activation() == Activation::sigmoid)
            return hand_written<Activation::sigmoid>(x1, x2, x3, y, n, p, g);
        return hand_written<Activation::identity>(x1, x2, x3, y, n, p, g);
    }

private:
    const HealthNetwork& network_;
};

}  // namespace tapegrad::bench
