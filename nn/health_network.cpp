// tapegrad/nn/health_network.cpp — forward pass, tape recordings and the chain rule by hand.
#include "tapegrad/nn/health_network.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace tapegrad::nn {

std::string_view activation_name(Activation a) {
    switch (a) {
        case Activation::identity: return "identity";
        case Activation::sigmoid: return "sigmoid";
        case Activation::relu: return "relu";
        case Activation::tanh: return "tanh";
    }
    return "?";
}

std::optional<Activation> parse_activation(std::string_view name) {
    for (Activation a : {Activation::identity, Activation::sigmoid, Activation::relu, Activation::tanh})
        if (name == activation_name(a)) return a;
    return std::nullopt;
}

double activate(Activation a, double z) {
    switch (a) {
        case Activation::identity: return z;
        case Activation::sigmoid: return z >= 0 ? 1 / (1 + std::exp(-z)) : std::exp(z) / (1 + std::exp(z));
        case Activation::relu: return z > 0 ? z : 0.0;
        case Activation::tanh: return std::tanh(z);
    }
    return z;
}

double activation_derivative(Activation a, double z) {
    switch (a) {
        case Activation::identity: return 1.0;
        case Activation::sigmoid: {  // s'(z) = s(z) (1 - s(z))
            const double s = activate(a, z);
            return s * (1 - s);
        }
        case Activation::relu: return z > 0 ? 1.0 : 0.0;
        case Activation::tanh: {  // tanh'(z) = 1 - tanh(z)^2
            const double t = std::tanh(z);
            return 1 - t * t;
        }
    }
    return 1.0;
}

Var activate(Activation a, Var z) {
    switch (a) {
        case Activation::identity: return identity(z);
        case Activation::sigmoid: return sigmoid(z);
        case Activation::relu: return relu(z);
        case Activation::tanh: return tanh(z);
    }
    return z;
}

namespace {
// The features, once their shape is known to fit the targets: checked before any column
// is read, so a wrong shape is an exception, never an out-of-range read.
const Eigen::MatrixXd& checked(const Eigen::MatrixXd& scaled_features, const Eigen::VectorXd& targets) {
    if (scaled_features.cols() != 3)
        throw std::invalid_argument("HealthNetwork: expected 3 features, got " +
                                    std::to_string(scaled_features.cols()));
    if (scaled_features.rows() != targets.size() || targets.size() == 0)
        throw std::invalid_argument("HealthNetwork: " + std::to_string(scaled_features.rows()) + " people but " +
                                    std::to_string(targets.size()) + " targets");
    return scaled_features;
}
}  // namespace

HealthNetwork::HealthNetwork(const Eigen::MatrixXd& scaled_features, Eigen::VectorXd targets, Activation activation)
    : features_(checked(scaled_features, targets)),
      x1_(scaled_features.col(0)),
      x2_(scaled_features.col(1)),
      x3_(scaled_features.col(2)),
      targets_(std::move(targets)),
      activation_(activation) {}

ForwardPass HealthNetwork::forward(const Parameters& p) const {
    ForwardPass f;
    const Eigen::Index n = people();
    f.h1.resize(n);
    f.h2.resize(n);
    f.z.resize(n);
    f.prediction.resize(n);
    for (Eigen::Index i = 0; i < n; ++i) {
        f.h1(i) = p[w1] * x1_(i) + p[w2] * x2_(i) + p[w3] * x3_(i) + p[b1];
        f.h2(i) = p[w4] * x1_(i) + p[w5] * x2_(i) + p[w6] * x3_(i) + p[b2];
        f.z(i) = p[w7] * f.h1(i) + p[w8] * f.h2(i) + p[b3];
        f.prediction(i) = activate(activation_, f.z(i));
    }
    return f;
}

double HealthNetwork::loss(const Parameters& p) const {
    const ForwardPass f = forward(p);
    double sum = 0;
    for (Eigen::Index i = 0; i < people(); ++i)
        sum += (f.prediction(i) - targets_(i)) * (f.prediction(i) - targets_(i));
    return sum / static_cast<double>(people());
}

namespace {
// The three neurons from the parameters and the inputs (columns of the six people, or one
// person's numbers), for the batched and the per-person tapes alike.
struct Neurons {
    Var h1, h2, z;
};
Neurons record_neurons(const ParameterVars& v, Var x1, Var x2, Var x3) {
    // [record-neurons]
    // h1 = w1 x1 + w2 x2 + w3 x3 + b1, a term at a time: C++ leaves the order of the
    // operands of + to the compiler, and the tape records in the order things run (chapter 4).
    Var h1 = v[w1] * x1;
    h1 += v[w2] * x2;
    h1 += v[w3] * x3;
    h1 += v[b1];
    Var h2 = v[w4] * x1;
    h2 += v[w5] * x2;
    h2 += v[w6] * x3;
    h2 += v[b2];
    Var z = v[w7] * h1;
    z += v[w8] * h2;
    z += v[b3];
    // [record-neurons]
    return {h1, h2, z};
}

void record_parameters(Tape& tape, const Parameters& p, ParameterVars& v, bool named) {
    for (std::size_t i = 0; i < parameter_count; ++i) v[i] = tape.variable(p[i]);
    if (named)
        for (std::size_t i = 0; i < parameter_count; ++i) tape.set_name(v[i], std::string(parameter_names[i]));
}
}  // namespace

Var HealthNetwork::record_loss(Tape& tape, const Parameters& p, ParameterVars& v, bool named) const {
    record_parameters(tape, p, v, named);
    return record_loss(tape, v, named);
}

Var HealthNetwork::record_loss_per_person(Tape& tape, const Parameters& p, ParameterVars& v, bool named) const {
    record_parameters(tape, p, v, named);
    return record_loss_per_person(tape, v, named);
}

Var HealthNetwork::record_loss(Tape& tape, const ParameterVars& v, bool named) const {
    return record_loss(tape, v, record_data(tape, named), named);
}

DataVars HealthNetwork::record_data(Tape& tape, bool named) const {
    const DataVars d{tape.constant(x1_), tape.constant(x2_), tape.constant(x3_), tape.constant(targets_)};
    if (named) {
        tape.set_name(d.x1, "x1 (age)");
        tape.set_name(d.x2, "x2 (exercise)");
        tape.set_name(d.x3, "x3 (diet)");
        tape.set_name(d.y, "y (health)");
    }
    return d;
}

Var HealthNetwork::record_loss(Tape& tape, const ParameterVars& v, const DataVars& data, bool named) const {
    // [record-batched]
    const auto& [x1, x2, x3, y] = data;  // 6 x 1 columns: every person at once

    const auto [h1, h2, z] = record_neurons(v, x1, x2, x3);
    const Var prediction = activate(activation_, z);
    const Var loss = mean(square(prediction - y));  // MSE
    // [record-batched]

    if (named) {
        tape.set_name(h1, "h1");
        tape.set_name(h2, "h2");
        tape.set_name(z, "Z");
        tape.set_name(prediction, "prediction");
        tape.set_name(loss, "loss (MSE)");
    }
    return loss;
}

Var HealthNetwork::record_loss_layers(Tape& tape, const Parameters& p, LayerVars& v, bool named) const {
    using Matrix = Eigen::Map<const Eigen::MatrixXd>;  // the parameters, viewed column by column
    // [layer-parameters]
    v.W1 = tape.variable(Matrix(p.values.data() + w1, 3, 2));  // [w1 w4; w2 w5; w3 w6]
    v.W2 = tape.variable(Matrix(p.values.data() + w7, 2, 1));  // [w7; w8]
    v.B1 = tape.variable(Matrix(p.values.data() + b1, 1, 2));  // [b1 b2]
    v.B3 = tape.variable(p[b3]);
    // [layer-parameters]
    if (named) {
        tape.set_name(v.W1, "W1 [w1 w4; w2 w5; w3 w6]");
        tape.set_name(v.W2, "W2 [w7; w8]");
        tape.set_name(v.B1, "B1 [b1 b2]");
        tape.set_name(v.B3, "b3");
    }
    return record_loss_layers(tape, v, named);
}

// [record-layers]
Var HealthNetwork::record_loss_layers(Tape& tape, const LayerVars& v, bool named) const {
    const Var X = tape.constant(features_);  // n x 3: a row per person
    const Var y = tape.constant(targets_);

    const Var H = linear(X, v.W1, v.B1);  // n x 2: the columns h1 and h2
    const Var z = linear(H, v.W2, v.B3);  // n x 1
    const Var prediction = activate(activation_, z);
    const Var loss = mean_squared_error(prediction, y);
    // [record-layers]
    if (named) {
        tape.set_name(X, "X (age, exercise, diet)");
        tape.set_name(y, "y (health)");
        tape.set_name(H, "H [h1 h2]");
        tape.set_name(z, "Z");
        tape.set_name(prediction, "prediction");
        tape.set_name(loss, "loss (MSE)");
    }
    return loss;
}

// One person at a time, with scalar nodes. For a network of one person the squared error
// is the loss itself, so no division by n = 1 is recorded and names carry no "[i]".
Var HealthNetwork::record_loss_per_person(Tape& tape, const ParameterVars& v, bool named) const {
    const bool one_person = people() == 1;
    Var total;
    for (Eigen::Index i = 0; i < people(); ++i) {
        const Var x1 = tape.constant(x1_(i)), x2 = tape.constant(x2_(i)), x3 = tape.constant(x3_(i));
        const Var y = tape.constant(targets_(i));
        const auto [h1, h2, z] = record_neurons(v, x1, x2, x3);
        const Var prediction = activate(activation_, z);
        const Var squared_error = square(prediction - y);
        total = total.empty() ? squared_error : total + squared_error;
        if (named) {
            const std::string who = one_person ? "" : " [" + std::to_string(i + 1) + "]";
            tape.set_name(x1, "x1 (age)" + who);
            tape.set_name(x2, "x2 (exercise)" + who);
            tape.set_name(x3, "x3 (diet)" + who);
            tape.set_name(y, "y (health)" + who);
            tape.set_name(h1, "h1" + who);
            tape.set_name(h2, "h2" + who);
            tape.set_name(z, "Z" + who);
            tape.set_name(prediction, "prediction" + who);
            tape.set_name(squared_error, one_person ? "loss" : "squared error" + who);
        }
    }
    if (one_person) return total;
    const Var loss = total / static_cast<double>(people());
    if (named) tape.set_name(loss, "loss (MSE)");
    return loss;
}

// The chain rule by hand. With e_i = prediction_i - y_i and a'_i = activation'(Z_i):
//   dL/dprediction_i = 2 e_i / n                       (L = (1/n) sum e_i^2)
//   dL/dZ_i          = 2 e_i / n * a'_i =: g_i
//   dL/dw7 = sum g_i h1_i     dL/dw8 = sum g_i h2_i     dL/db3 = sum g_i
//   dL/dh1_i = g_i w7  =>  dL/dw1 = sum g_i w7 x1_i, dL/dw2 = ... x2_i, dL/dw3 = ... x3_i,
//                          dL/db1 = sum g_i w7
//   dL/dh2_i = g_i w8  =>  the same for w4, w5, w6 and b2, with w8.
Parameters HealthNetwork::chain_rule_gradient(const Parameters& p, double* mse) const {
    const ForwardPass f = forward(p);
    const double n = static_cast<double>(people());
    Parameters g;
    double squared_errors = 0;
    for (Eigen::Index i = 0; i < people(); ++i) {
        const double e = f.prediction(i) - targets_(i);
        squared_errors += e * e;
        const double dz = 2.0 * e / n * activation_derivative(activation_, f.z(i));
        const double dh1 = dz * p[w7], dh2 = dz * p[w8];
        g[w1] += dh1 * x1_(i);
        g[w2] += dh1 * x2_(i);
        g[w3] += dh1 * x3_(i);
        g[b1] += dh1;
        g[w4] += dh2 * x1_(i);
        g[w5] += dh2 * x2_(i);
        g[w6] += dh2 * x3_(i);
        g[b2] += dh2;
        g[w7] += dz * f.h1(i);
        g[w8] += dz * f.h2(i);
        g[b3] += dz;
    }
    if (mse) *mse = squared_errors / n;
    return g;
}

TapeGradient::TapeGradient(const HealthNetwork& network, Recording recording, Reuse reuse)
    : network_(network), recording_(recording), reuse_(reuse),
      compiled_([this](Tape& tape, std::span<const double> p) { return record(tape, p); }) {}

// Every recording makes the parameters its variables in the order of Parameters (the
// layers' matrices hold them column by column), so the tape reads and writes them whole.
Var TapeGradient::record(Tape& tape, std::span<const double> values) {
    Parameters p;
    std::copy(values.begin(), values.end(), p.values.begin());
    switch (recording_) {
        case Recording::per_person: return network_.record_loss_per_person(tape, p, vars_);
        case Recording::layers: return network_.record_loss_layers(tape, p, layer_vars_);
        default: return network_.record_loss(tape, p, vars_);
    }
}

double TapeGradient::operator()(const Parameters& p, Parameters& gradient) {
    if (reuse_ == Reuse::compiled) return compiled_.gradient(p.values, gradient.values);
    if (reuse_ == Reuse::replay && !loss_.empty()) {
        tape_.replay(p.values);
    } else {
        tape_.clear();
        loss_ = record(tape_, p.values);
    }
    tape_.gradient(loss_, gradient.values);
    return loss_.scalar_value();
}

double predict(const Parameters& p, Activation activation, const Scaler& scaler, double age, double exercise,
               double diet) {
    Eigen::MatrixXd raw(1, 3);
    raw << age, exercise, diet;
    const Eigen::MatrixXd x = scaler.transform(raw);
    const double h1 = p[w1] * x(0, 0) + p[w2] * x(0, 1) + p[w3] * x(0, 2) + p[b1];
    const double h2 = p[w4] * x(0, 0) + p[w5] * x(0, 1) + p[w6] * x(0, 2) + p[b2];
    return activate(activation, p[w7] * h1 + p[w8] * h2 + p[b3]);
}

}  // namespace tapegrad::nn
