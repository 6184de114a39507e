/// \file
/// The health network's eleven parameters, by the article's names.
///
///     h1 = w1 x1 + w2 x2 + w3 x3 + b1        (hidden neuron 1)
///     h2 = w4 x1 + w5 x2 + w6 x3 + b2        (hidden neuron 2)
///     Z  = w7 h1 + w8 h2 + b3                (output neuron, before its activation)
///
/// `Parameters` holds the eleven numbers in that order — w1..w8, then b1..b3 — and is
/// also the type of a gradient (one partial derivative per parameter). Index it by name:
/// `p[w7]`. The article starts every weight uniformly in [0.1, 0.9] and every bias at 0;
/// `initial_parameters(seed)` does the same with a fixed, portable random generator, so a
/// seed gives the same start on every machine.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tapegrad::nn {

enum ParameterIndex : std::size_t { w1, w2, w3, w4, w5, w6, w7, w8, b1, b2, b3 };

inline constexpr std::size_t parameter_count = 11;
inline constexpr std::array<std::string_view, parameter_count> parameter_names{"w1", "w2", "w3", "w4", "w5", "w6",
                                                                               "w7", "w8", "b1", "b2", "b3"};

struct Parameters {
    std::array<double, parameter_count> values{};

    double& operator[](std::size_t i) { return values[i]; }
    double operator[](std::size_t i) const { return values[i]; }
    friend bool operator==(const Parameters&, const Parameters&) = default;

    /// "w1 = 0.5, w2 = ..., b3 = 0"
    std::string to_string(int precision = 6) const;
};

/// The article's start: weights uniform in [lower, upper] (default 0.1..0.9), biases 0.
/// Uses std::mt19937_64 (fully specified by the standard) and 53-bit fractions, not
/// std::uniform_real_distribution, whose algorithm varies between standard libraries.
Parameters initial_parameters(std::uint64_t seed, double lower = 0.1, double upper = 0.9);

/// The largest relative difference |a_k - b_k| / |b_k| over the eleven parameters (b is
/// the reference; a zero b_k counts as the smallest positive double).
double largest_relative_difference(const Parameters& a, const Parameters& b);

}  // namespace tapegrad::nn
