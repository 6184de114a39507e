// tapegrad/bench/scaling_network.hpp — a 3 -> H -> 1 network on N samples, for scaling.
//
//     hidden     = activation(X W1 + b1)      X: N x 3, W1: 3 x H, b1: 1 x H
//     prediction = hidden W2 + b2             W2: H x 1, b2: 1 x 1
//     loss       = (1/N) sum (prediction - y)^2
//
// The parameters travel as one flat vector theta = [W1 (column-major), b1, W2, b2], so
// every gradient source fills the same layout and the benchmarks compare them entry by
// entry. Two hand-written gradients serve as baselines: `LoopGradient` (one pass per
// sample, nothing stored per sample) and `EigenGradient` (whole matrices, preallocated).
// `TapeScalingGradient` records the same network on a reused tape, either elementwise
// (matmul, add, the activation, mean(square(...)): 14 nodes) or as layers (linear, the
// activation, linear, mean_squared_error: 10 nodes), recording each time, replaying, or
// traced once and compiled (CompiledLoss).
// The data are random but fixed by a seed: inputs uniform in [0, 1), y a smooth target.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include <Eigen/Core>

#include "tapegrad/autodiff/compiled_loss.hpp"
#include "tapegrad/autodiff/tape.hpp"
#include "tapegrad/nn/health_network.hpp"

namespace tapegrad::bench {

struct ScalingProblem {
    Eigen::MatrixXd x;  // N x 3
    Eigen::VectorXd y;  // N
    int hidden = 0;
    nn::Activation activation = nn::Activation::identity;
    Eigen::VectorXd start;  // theta at which every gradient is taken

    int samples() const { return static_cast<int>(x.rows()); }
    Eigen::Index parameters() const { return 3 * hidden + hidden + hidden + 1; }
};

ScalingProblem make_scaling_problem(int hidden, int samples, nn::Activation activation, std::uint64_t seed = 7);

// The loss alone, in plain doubles (for central differences).
double scaling_loss(const ScalingProblem& problem, const Eigen::VectorXd& theta);

class LoopGradient {
public:
    explicit LoopGradient(const ScalingProblem& problem);
    double operator()(const Eigen::VectorXd& theta, Eigen::VectorXd& gradient);

private:
    const ScalingProblem& problem_;
    std::vector<double> w1_[3], pre_, hidden_, dw1_[3];  // W1 by input row, per-sample scratch
};

class EigenGradient {
public:
    explicit EigenGradient(const ScalingProblem& problem);
    double operator()(const Eigen::VectorXd& theta, Eigen::VectorXd& gradient);

private:
    const ScalingProblem& problem_;
    Eigen::MatrixXd pre_, hidden_, dhidden_;
    Eigen::VectorXd prediction_, dprediction_;
};

enum class ScalingForm { elementwise, layers };

class TapeScalingGradient {
public:
    explicit TapeScalingGradient(const ScalingProblem& problem, ScalingForm form = ScalingForm::elementwise,
                                 nn::Reuse reuse = nn::Reuse::record_each_time);
    TapeScalingGradient(const TapeScalingGradient&) = delete;  // the compiled loss records through `this`
    double operator()(const Eigen::VectorXd& theta, Eigen::VectorXd& gradient);
    const Tape& tape() const { return reuse_ == nn::Reuse::compiled ? compiled_.tape() : tape_; }

private:
    Var record(Tape& tape, std::span<const double> theta) const;
    const ScalingProblem& problem_;
    ScalingForm form_;
    nn::Reuse reuse_;
    Tape tape_;
    Var loss_;
    CompiledLoss compiled_;
};

}  // namespace tapegrad::bench
