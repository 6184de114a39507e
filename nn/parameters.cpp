// tapegrad/nn/parameters.cpp — printing, the article's random start, comparing two gradients.
#include "tapegrad/nn/parameters.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>

namespace tapegrad::nn {

std::string Parameters::to_string(int precision) const {
    std::string s;
    char buf[64];
    for (std::size_t i = 0; i < parameter_count; ++i) {
        std::snprintf(buf, sizeof buf, "%s%s = %.*g", i ? ", " : "", parameter_names[i].data(), precision, values[i]);
        s += buf;
    }
    return s;
}

Parameters initial_parameters(std::uint64_t seed, double lower, double upper) {
    std::mt19937_64 engine(seed);
    Parameters p;
    for (std::size_t i = w1; i <= w8; ++i) {
        const double fraction = static_cast<double>(engine() >> 11) * 0x1p-53;  // uniform in [0, 1)
        p[i] = lower + (upper - lower) * fraction;
    }
    p[b1] = p[b2] = p[b3] = 0.0;
    return p;
}

double largest_relative_difference(const Parameters& a, const Parameters& b) {
    double worst = 0;
    for (std::size_t k = 0; k < parameter_count; ++k)
        worst = std::max(worst, std::abs(a[k] - b[k]) / std::max(1e-300, std::abs(b[k])));
    return worst;
}

}  // namespace tapegrad::nn
