/// \file
/// A multi-layer perceptron: any number of dense layers, an activation per layer.
///
///     MLP net({2, 16, 16, 1}, Activation::tanh);   // 2 inputs, two hidden layers of 16, 1 output
///     layer l:   H_l = activation_l(H_{l-1} W_l + b_l)    X (n x 2) -> 16 -> 16 -> 1
///
/// Each layer is one `linear` node on the tape (X W + b, W inputs x outputs, b a row) and
/// one activation node. The last layer's activation is identity unless given: it is the
/// network's raw output, a value for mean squared error or a logit for log loss.
/// `MLP({3, 2, 1})` — identity everywhere — is the article's health network.
///
/// The parameters live in one flat vector, layer by layer, W then b, each column by
/// column: the order in which record() puts them on the tape, so `tape.replay(p)` and
/// `tape.gradient(loss, g)` read and write them whole, and an optimizer steps one vector.
///
/// Initialisation (initialize(seed)): biases 0; weights uniform in [-a, a] with Glorot's
/// a = sqrt(6 / (inputs + outputs)) for identity, sigmoid and tanh layers, and He's
/// a = sqrt(6 / inputs) for relu layers; from std::mt19937_64 and 53-bit fractions, so
/// a seed gives the same network on every machine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include <Eigen/Core>

#include "tapegrad/autodiff/tape.hpp"
#include "tapegrad/nn/health_network.hpp"

namespace tapegrad::nn {

/// One dense layer: its sizes, its activation and where its W and b sit in the MLP's
/// parameter vector.
struct Dense {
    int inputs = 0, outputs = 0;
    Activation activation = Activation::identity;
    std::size_t weights_offset = 0;  ///< W: inputs x outputs, column by column
    std::size_t bias_offset = 0;     ///< b: 1 x outputs
};

/// The loss a network is trained on.
///   mse  (1/n) sum (output - y)^2
///   log  binary cross-entropy from the logit z (y is 0 or 1), in the stable form
///        (1/n) sum [ max(z, 0) - y z + log(1 + e^-|z|) ]  =  -y log s(z) - (1-y) log(1 - s(z))
///        which never takes e of a positive number nor log of 0. Its derivative is
///        s(z) - y, also at z = 0 (see record_loss in mlp.cpp).
///   cross_entropy  for K classes: the output is a row of K logits z, the target y the
///        row's one-hot class (classes.hpp); -(1/n) sum_i sum_j y_ij log softmax(z_i)_j,
///        with log softmax one op of the tape (stable at any logit). Its gradient at the
///        logits is (softmax(z) - y) / n: the probabilities minus the one-hot rows.
enum class Loss { mse, log, cross_entropy };
std::string_view loss_name(Loss loss);  // "mse", "log", "cross-entropy"
std::optional<Loss> parse_loss(std::string_view name);

class MLP {
public:
    /// `sizes`: inputs, then each layer's outputs (at least two numbers, all >= 1).
    /// Hidden layers get `hidden`, the last layer `output`. Parameters start at 0.
    explicit MLP(const std::vector<int>& sizes, Activation hidden = Activation::identity,
                 Activation output = Activation::identity);
    /// One activation per layer (sizes.size() - 1 of them).
    MLP(const std::vector<int>& sizes, const std::vector<Activation>& activations);

    /// Glorot or He uniform weights, zero biases (see the file's description).
    void initialize(std::uint64_t seed);

    const std::vector<Dense>& layers() const { return layers_; }
    int inputs() const { return layers_.front().inputs; }
    int outputs() const { return layers_.back().outputs; }
    std::vector<int> sizes() const;
    std::size_t parameter_count() const { return parameters_.size(); }
    std::span<double> parameters() { return parameters_; }
    std::span<const double> parameters() const { return parameters_; }

    /// Views of layer l's W (inputs x outputs) and b (1 x outputs) in the parameters.
    Eigen::Map<Eigen::MatrixXd> weights(std::size_t l);
    Eigen::Map<const Eigen::MatrixXd> weights(std::size_t l) const;
    Eigen::Map<Eigen::RowVectorXd> bias(std::size_t l);
    Eigen::Map<const Eigen::RowVectorXd> bias(std::size_t l) const;

    /// The network's output for each row of `x` (n x inputs), with plain doubles: the
    /// last layer's activation applied, so a logit for a log-loss network.
    Eigen::MatrixXd forward(const Eigen::MatrixXd& x) const;
    /// The loss at `x`, `y` with plain doubles (an independent check on the tape's).
    double loss(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y, Loss loss) const;

    /// Record every layer's W and b on `tape` as variables (in the parameters' order) and
    /// the layers on top of the node `x`; returns the output node (n x outputs).
    Var record(Tape& tape, Var x) const;
    /// The same from W and b already on the tape: `parameters` holds W_1, b_1, W_2, ...
    Var record(Var x, std::span<const Var> parameters) const;

private:
    std::vector<Dense> layers_;
    std::vector<double> parameters_;
};

/// The loss of `output` against `y` recorded on their tape (log: `output` is the logit).
Var record_loss(Var output, Var y, Loss loss);
/// The same with plain doubles, from the same formulas written out again.
double loss_value(const Eigen::MatrixXd& output, const Eigen::MatrixXd& y, Loss loss);

/// The probability s(z) of class 1 for each logit (the sigmoid, computed stably).
Eigen::MatrixXd probabilities(const Eigen::MatrixXd& logits);

}  // namespace tapegrad::nn
