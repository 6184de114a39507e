// tapegrad/nn/mlp.cpp — dense layers on the tape, their plain-double twin, the losses.
#include "tapegrad/nn/mlp.hpp"

#include <cmath>
#include <random>
#include <stdexcept>
#include <string>

namespace tapegrad::nn {

std::string_view loss_name(Loss loss) {
    switch (loss) {
        case Loss::mse: return "mse";
        case Loss::log: return "log";
        case Loss::cross_entropy: return "cross-entropy";
    }
    return "?";  // not reached: every Loss is listed
}

std::optional<Loss> parse_loss(std::string_view name) {
    if (name == "mse") return Loss::mse;
    if (name == "log") return Loss::log;
    if (name == "cross-entropy") return Loss::cross_entropy;
    return std::nullopt;
}

namespace {
std::vector<Activation> default_activations(const std::vector<int>& sizes, Activation hidden, Activation output) {
    if (sizes.size() < 2) throw std::invalid_argument("MLP: give the inputs and at least one layer's size");
    std::vector<Activation> a(sizes.size() - 1, hidden);
    a.back() = output;
    return a;
}
}  // namespace

MLP::MLP(const std::vector<int>& sizes, Activation hidden, Activation output)
    : MLP(sizes, default_activations(sizes, hidden, output)) {}

MLP::MLP(const std::vector<int>& sizes, const std::vector<Activation>& activations) {
    if (sizes.size() < 2) throw std::invalid_argument("MLP: give the inputs and at least one layer's size");
    if (activations.size() != sizes.size() - 1)
        throw std::invalid_argument("MLP: " + std::to_string(sizes.size() - 1) + " layers but " +
                                    std::to_string(activations.size()) + " activations");
    std::size_t offset = 0;
    for (std::size_t l = 0; l + 1 < sizes.size(); ++l) {
        if (sizes[l] < 1 || sizes[l + 1] < 1) throw std::invalid_argument("MLP: every size must be at least 1");
        Dense d{sizes[l], sizes[l + 1], activations[l], offset, 0};
        offset += static_cast<std::size_t>(d.inputs) * d.outputs;
        d.bias_offset = offset;
        offset += static_cast<std::size_t>(d.outputs);
        layers_.push_back(d);
    }
    parameters_.assign(offset, 0.0);
}

std::vector<int> MLP::sizes() const {
    std::vector<int> s{inputs()};
    for (const Dense& d : layers_) s.push_back(d.outputs);
    return s;
}

void MLP::initialize(std::uint64_t seed) {
    std::mt19937_64 engine(seed);
    std::fill(parameters_.begin(), parameters_.end(), 0.0);  // biases 0
    for (std::size_t l = 0; l < layers_.size(); ++l) {
        const Dense& d = layers_[l];
        const double fan = d.activation == Activation::relu ? d.inputs : d.inputs + d.outputs;
        const double a = std::sqrt(6.0 / fan);  // Glorot (He for relu) uniform bound
        for (double& w : weights(l).reshaped()) {
            const double fraction = static_cast<double>(engine() >> 11) * 0x1p-53;  // uniform in [0, 1)
            w = -a + 2 * a * fraction;
        }
    }
}

Eigen::Map<Eigen::MatrixXd> MLP::weights(std::size_t l) {
    const Dense& d = layers_.at(l);
    return {parameters_.data() + d.weights_offset, d.inputs, d.outputs};
}
Eigen::Map<const Eigen::MatrixXd> MLP::weights(std::size_t l) const {
    const Dense& d = layers_.at(l);
    return {parameters_.data() + d.weights_offset, d.inputs, d.outputs};
}
Eigen::Map<Eigen::RowVectorXd> MLP::bias(std::size_t l) {
    const Dense& d = layers_.at(l);
    return {parameters_.data() + d.bias_offset, d.outputs};
}
Eigen::Map<const Eigen::RowVectorXd> MLP::bias(std::size_t l) const {
    const Dense& d = layers_.at(l);
    return {parameters_.data() + d.bias_offset, d.outputs};
}

Eigen::MatrixXd MLP::forward(const Eigen::MatrixXd& x) const {
    if (x.cols() != inputs())
        throw std::invalid_argument("MLP: expected " + std::to_string(inputs()) + " inputs, got " +
                                    std::to_string(x.cols()));
    Eigen::MatrixXd h = x;
    for (std::size_t l = 0; l < layers_.size(); ++l) {
        Eigen::MatrixXd z = h * weights(l);
        z.rowwise() += bias(l);
        h = z.unaryExpr([a = layers_[l].activation](double v) { return activate(a, v); });
    }
    return h;
}

double MLP::loss(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y, Loss loss) const {
    return loss_value(forward(x), y, loss);
}

// [record]
Var MLP::record(Tape& tape, Var x) const {
    std::vector<Var> parameters;
    for (std::size_t l = 0; l < layers_.size(); ++l) {
        parameters.push_back(tape.variable(weights(l)));  // inputs x outputs
        parameters.push_back(tape.variable(bias(l)));     // 1 x outputs
    }
    return record(x, parameters);
}

Var MLP::record(Var x, std::span<const Var> parameters) const {
    Var h = x;
    for (std::size_t l = 0; l < layers_.size(); ++l)
        h = activate(layers_[l].activation, linear(h, parameters[2 * l], parameters[2 * l + 1]));
    return h;
}
// [record]

// [losses]
Var record_loss(Var output, Var y, Loss loss) {
    if (loss == Loss::mse) return mean_squared_error(output, y);
    if (loss == Loss::cross_entropy)  // output: n x K logits, y: n x K one-hot rows
        return sum(y * log_softmax(output)) * (-1.0 / static_cast<double>(y.shape().rows));
    // max(z, 0) - y z + log(1 + e^-|z|), with max(z, 0) written (z + |z|) / 2: the same
    // value, and a derivative that is right at z = 0 too (s(0) - y), where relu and |.|
    // would each take the subgradient 0. A network with zero biases starts exactly there.
    const Var z = output;  // the logit
    return mean((0.5 - y) * z + 0.5 * abs(z) + log(1.0 + exp(-abs(z))));
}
// [losses]

double loss_value(const Eigen::MatrixXd& output, const Eigen::MatrixXd& y, Loss loss) {
    if (output.rows() != y.rows() || output.cols() != y.cols() || y.size() == 0)
        throw std::invalid_argument("loss: outputs and targets differ in shape");
    if (loss == Loss::cross_entropy) {  // -(1/n) sum_ij y_ij log p_ij, log p_ij = z_ij - log sum_k e^z_ik
        double sum = 0;
        for (Eigen::Index i = 0; i < y.rows(); ++i) {
            const double largest = output.row(i).maxCoeff();
            const double log_sum = largest + std::log((output.row(i).array() - largest).exp().sum());
            for (Eigen::Index j = 0; j < y.cols(); ++j)
                if (y(i, j) != 0) sum -= y(i, j) * (output(i, j) - log_sum);
        }
        return sum / static_cast<double>(y.rows());
    }
    double sum = 0;
    for (Eigen::Index i = 0; i < y.size(); ++i) {
        const double z = output.reshaped()(i), t = y.reshaped()(i);
        sum += loss == Loss::mse ? (z - t) * (z - t) : std::max(z, 0.0) - t * z + std::log1p(std::exp(-std::abs(z)));
    }
    return sum / static_cast<double>(y.size());
}

Eigen::MatrixXd probabilities(const Eigen::MatrixXd& logits) {
    return logits.unaryExpr([](double z) { return activate(Activation::sigmoid, z); });
}

}  // namespace tapegrad::nn
