// tapegrad/nn/optimizer.cpp — gradient descent, momentum and Adam, each a few lines.
#include "tapegrad/nn/optimizer.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace tapegrad::nn {

std::string_view optimizer_name(OptimizerKind kind) {
    switch (kind) {
        case OptimizerKind::gd: return "gd";
        case OptimizerKind::momentum: return "momentum";
        case OptimizerKind::adam: return "adam";
    }
    return "?";
}

std::optional<OptimizerKind> parse_optimizer(std::string_view name) {
    for (OptimizerKind k : {OptimizerKind::gd, OptimizerKind::momentum, OptimizerKind::adam})
        if (name == optimizer_name(k)) return k;
    return std::nullopt;
}

Optimizer::Optimizer(OptimizerKind kind, double learning_rate, std::size_t parameters)
    : kind_(kind), learning_rate_(learning_rate) {
    if (!(learning_rate > 0) || !std::isfinite(learning_rate))
        throw std::invalid_argument("learning rate must be a positive finite number");
    if (kind == OptimizerKind::momentum) velocity_.assign(parameters, 0.0);
    if (kind == OptimizerKind::adam) {
        first_moment_.assign(parameters, 0.0);
        second_moment_.assign(parameters, 0.0);
    }
}

// [step]
void Optimizer::step(std::span<double> p, std::span<const double> g) {
    if (p.size() != g.size() || (kind_ == OptimizerKind::momentum && p.size() != velocity_.size()) ||
        (kind_ == OptimizerKind::adam && p.size() != first_moment_.size()))
        throw std::invalid_argument("optimizer: parameters and gradient differ in size");
    ++steps_;
    const double rate = learning_rate_;
    switch (kind_) {
        case OptimizerKind::gd:  // p -= rate g
            for (std::size_t i = 0; i < p.size(); ++i) p[i] -= rate * g[i];
            break;
        case OptimizerKind::momentum:  // v = beta v + g;  p -= rate v
            for (std::size_t i = 0; i < p.size(); ++i) {
                velocity_[i] = momentum * velocity_[i] + g[i];
                p[i] -= rate * velocity_[i];
            }
            break;
        case OptimizerKind::adam: {  // p -= rate m^ / (sqrt(s^) + eps), m^ and s^ bias-corrected
            const double correction1 = 1 - std::pow(beta1, static_cast<double>(steps_));
            const double correction2 = 1 - std::pow(beta2, static_cast<double>(steps_));
            for (std::size_t i = 0; i < p.size(); ++i) {
                first_moment_[i] = beta1 * first_moment_[i] + (1 - beta1) * g[i];
                second_moment_[i] = beta2 * second_moment_[i] + (1 - beta2) * g[i] * g[i];
                const double m_hat = first_moment_[i] / correction1, s_hat = second_moment_[i] / correction2;
                p[i] -= rate * m_hat / (std::sqrt(s_hat) + epsilon);
            }
            break;
        }
    }
}
// [step]

}  // namespace tapegrad::nn
