/// \file
/// The three ways to step parameters against their gradient, on flat vectors.
///
///     Optimizer step(OptimizerKind::adam, 0.01, parameters.size());
///     for (...) { tape.gradient(loss, g); step(parameters, g); }
///
///   gd        p -= rate g                                  plain gradient descent
///   momentum  v = beta v + g;  p -= rate v                 a ball rolling downhill
///   adam      m = b1 m + (1 - b1) g;  s = b2 s + (1 - b2) g^2
///             p -= rate (m / (1 - b1^t)) / (sqrt(s / (1 - b2^t)) + eps)
/// Adam divides each parameter's step by the running size of its gradient, so every
/// parameter moves by about `rate` per step however steep its slope: the usual choice
/// for networks, with b1 = 0.9, b2 = 0.999, eps = 1e-8 (Kingma and Ba, 2015).
/// The state (v, m, s) is allocated once, so a step allocates nothing.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace tapegrad::nn {

enum class OptimizerKind { gd, momentum, adam };
std::string_view optimizer_name(OptimizerKind kind);  // "gd", "momentum", "adam"
std::optional<OptimizerKind> parse_optimizer(std::string_view name);

class Optimizer {
public:
    Optimizer(OptimizerKind kind, double learning_rate, std::size_t parameters);

    /// One update of `parameters` from `gradient` (both of the size given at construction).
    void step(std::span<double> parameters, std::span<const double> gradient);
    void operator()(std::span<double> parameters, std::span<const double> gradient) { step(parameters, gradient); }

    OptimizerKind kind() const { return kind_; }
    double learning_rate() const { return learning_rate_; }
    static constexpr double momentum = 0.9;                              ///< beta of momentum
    static constexpr double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;  ///< Adam's

private:
    OptimizerKind kind_;
    double learning_rate_;
    std::vector<double> velocity_, first_moment_, second_moment_;
    long steps_ = 0;
};

}  // namespace tapegrad::nn
