/// \file
/// The article's 3-2-1 network and its loss, three ways.
///
///     inputs x1 (age), x2 (exercise), x3 (diet), scaled; 6 people at once
///     h1 = w1 x1 + w2 x2 + w3 x3 + b1          hidden neurons: linear, as in the article
///     h2 = w4 x1 + w5 x2 + w6 x3 + b2
///     Z  = w7 h1 + w8 h2 + b3                  output neuron
///     prediction = activation(Z)               identity by default; sigmoid, relu, tanh
///     loss = MSE = (1/n) sum_i (prediction_i - y_i)^2
///
/// `HealthNetwork` holds the scaled data and the activation and gives:
///   - forward() and loss() with plain doubles;
///   - record_loss(): the whole MSE graph on a tape, batched — each node a column of the
///     six people, exactly the article's numpy lines;
///   - record_loss_per_person(): the same loss from scalar nodes, one person at a time
///     (a longer tape, small enough per person to print and draw);
///   - record_loss_layers(): the same loss as two dense layers and a loss node, with the
///     parameters as matrices (a 10-node tape; see docs/performance-engineering.md)
///         X (n x 3) -> H = X W1 + [b1 b2]   W1 = [w1 w4; w2 w5; w3 w6]   (n x 2)
///                   -> Z = H W2 + b3        W2 = [w7; w8]                (n x 1)
///                   -> loss = mse(activation(Z), y)
///     The eleven parameters, in their order, are exactly W1, W2, [b1 b2], b3 stored
///     column by column, so the matrices are views of Parameters, not rearrangements;
///   - chain_rule_gradient(): the gradient derived by hand, correctly, for every
///     parameter and every activation — one of the independent checks on the tape.
/// `TapeGradient` records and sweeps on a tape it keeps, so training reuses its memory.
#pragma once

#include <array>
#include <optional>
#include <string_view>

#include <Eigen/Core>

#include "tapegrad/autodiff/compiled_loss.hpp"
#include "tapegrad/autodiff/tape.hpp"
#include "tapegrad/nn/parameters.hpp"
#include "tapegrad/nn/scaler.hpp"

namespace tapegrad::nn {

enum class Activation { identity, sigmoid, relu, tanh };

std::string_view activation_name(Activation a);
std::optional<Activation> parse_activation(std::string_view name);

/// The activation and its derivative with plain doubles, written here independently of
/// the tape's operations so that the hand-derived chain rule is a real second opinion.
double activate(Activation a, double z);
double activation_derivative(Activation a, double z);  // d activation / dZ
/// The activation recorded on a tape.
Var activate(Activation a, Var z);

struct ForwardPass {
    Eigen::VectorXd h1, h2, z, prediction;  ///< one entry per person
};

/// Parameter handles on a tape, in the order of Parameters (w1..w8, b1..b3).
using ParameterVars = std::array<Var, parameter_count>;

/// The data as constants on a tape: the features' columns and the targets, each n x 1.
struct DataVars {
    Var x1;  ///< age
    Var x2;  ///< exercise
    Var x3;  ///< diet
    Var y;   ///< health
};

/// The parameters as the layers' matrices (see record_loss_layers).
struct LayerVars {
    Var W1;  ///< 3 x 2: [w1 w4; w2 w5; w3 w6]
    Var W2;  ///< 2 x 1: [w7; w8]
    Var B1;  ///< 1 x 2: [b1 b2]
    Var B3;  ///< 1 x 1: b3
};

class HealthNetwork {
public:
    /// `scaled_features`: one row per person, three scaled features; `targets`: health scores.
    HealthNetwork(const Eigen::MatrixXd& scaled_features, Eigen::VectorXd targets,
                  Activation activation = Activation::identity);

    Activation activation() const { return activation_; }
    Eigen::Index people() const { return targets_.size(); }
    const Eigen::VectorXd& x1() const { return x1_; }
    const Eigen::VectorXd& x2() const { return x2_; }
    const Eigen::VectorXd& x3() const { return x3_; }
    const Eigen::VectorXd& targets() const { return targets_; }

    ForwardPass forward(const Parameters& p) const;
    double loss(const Parameters& p) const;  ///< the MSE

    /// Record the loss on `tape` (not cleared first); `vars` receives the parameters'
    /// handles. With `named`, the interesting nodes get names for printing and drawing.
    Var record_loss(Tape& tape, const Parameters& p, ParameterVars& vars, bool named = false) const;
    Var record_loss_per_person(Tape& tape, const Parameters& p, ParameterVars& vars, bool named = false) const;
    /// The same, from parameters already recorded on `tape` (e.g. by the gradient checker).
    Var record_loss(Tape& tape, const ParameterVars& vars, bool named = false) const;
    /// The same in two steps: the data as constants, then the network's lines from the
    /// parameters and the data already on `tape` (what TapeGradient records every step).
    DataVars record_data(Tape& tape, bool named = false) const;
    Var record_loss(Tape& tape, const ParameterVars& vars, const DataVars& data, bool named = false) const;
    Var record_loss_per_person(Tape& tape, const ParameterVars& vars, bool named = false) const;
    /// The loss as two dense layers: `vars` receives the four parameter matrices.
    Var record_loss_layers(Tape& tape, const Parameters& p, LayerVars& vars, bool named = false) const;
    /// The same, from parameter matrices already recorded on `tape`.
    Var record_loss_layers(Tape& tape, const LayerVars& vars, bool named = false) const;

    /// dMSE/dparameter for all eleven, by the chain rule worked out by hand.
    /// When `mse` is given, it also receives the loss from the same forward pass (the
    /// value loss(p) returns), so a training step does not run the network twice.
    Parameters chain_rule_gradient(const Parameters& p, double* mse = nullptr) const;

private:
    Eigen::MatrixXd features_;  // n x 3: the columns x1, x2, x3 side by side
    Eigen::VectorXd x1_, x2_, x3_, targets_;
    Activation activation_;
};

/// How TapeGradient records the loss: column nodes (the article's numpy lines), scalar
/// nodes per person, or two dense layers and an mse node.
enum class Recording { batched, per_person, layers };

/// How TapeGradient evaluates it: recorded afresh on the core's tape and swept every call
/// (the interpreter, as chapter 4 teaches it), recorded once and replayed (Tape::replay),
/// or traced once and compiled (CompiledLoss: the fast one).
enum class Reuse { record_each_time, replay, compiled };

/// The tape's gradient of the network's loss, on a tape kept between calls. Replayed or
/// compiled, it keeps the data and activation of its first recording: for another network
/// (or a network object assigned new data), make a new TapeGradient.
class TapeGradient {
public:
    explicit TapeGradient(const HealthNetwork& network, Recording recording = Recording::batched,
                          Reuse reuse = Reuse::record_each_time);
    TapeGradient(const TapeGradient&) = delete;  // the compiled loss records through `this`
    TapeGradient& operator=(const TapeGradient&) = delete;

    /// The loss at `p`, and its gradient into `gradient`.
    double operator()(const Parameters& p, Parameters& gradient);
    /// The tape as last recorded (compiled: the trace).
    const Tape& tape() const { return reuse_ == Reuse::compiled ? compiled_.tape() : tape_; }

private:
    Var record(Tape& tape, std::span<const double> parameters);

    const HealthNetwork& network_;
    Recording recording_;
    Reuse reuse_;
    Tape tape_;  // recorded each time, or once and replayed
    Var loss_;
    CompiledLoss compiled_;
    ParameterVars vars_;
    LayerVars layer_vars_;
};

/// The health score predicted for one person from raw age, exercise and diet, scaled
/// with the scaler the network was trained with.
double predict(const Parameters& p, Activation activation, const Scaler& scaler, double age, double exercise,
               double diet);

}  // namespace tapegrad::nn
