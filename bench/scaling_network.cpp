// tapegrad/bench/scaling_network.cpp — the 3 -> H -> 1 network's data and its three gradients.
//
// With e = prediction - y, d = 2e/N and a' the activation's derivative at the hidden
// pre-activation: dW2 = hidden^T d, db2 = sum d, dhidden = (d W2^T) .* a',
// dW1 = X^T dhidden, db1 = column sums of dhidden. The loop writes this per sample; the
// Eigen version writes it as the matrix expressions above.
#include "bench/scaling_network.hpp"

#include <cmath>
#include <random>

namespace tapegrad::bench {

namespace {

double uniform(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1p-53; }

double activated(nn::Activation a, double z) {
    if (a == nn::Activation::sigmoid) return z >= 0 ? 1 / (1 + std::exp(-z)) : std::exp(z) / (1 + std::exp(z));
    return z;
}
// a'(z) from a(z): 1 for identity, s (1 - s) for the sigmoid.
double derivative(nn::Activation a, double activated) {
    return a == nn::Activation::sigmoid ? activated * (1 - activated) : 1.0;
}

}  // namespace

ScalingProblem make_scaling_problem(int hidden, int samples, nn::Activation activation, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    ScalingProblem p;
    p.hidden = hidden;
    p.activation = activation;
    p.x.resize(samples, 3);
    p.y.resize(samples);
    for (int i = 0; i < samples; ++i) {
        for (int k = 0; k < 3; ++k) p.x(i, k) = uniform(rng);
        p.y(i) = std::sin(3 * p.x(i, 0)) + p.x(i, 1) * p.x(i, 2);
    }
    p.start.resize(p.parameters());
    const double scale1 = 1 / std::sqrt(3.0), scale2 = 1 / std::sqrt(static_cast<double>(hidden));
    Eigen::Index k = 0;
    for (int j = 0; j < 3 * hidden; ++j) p.start(k++) = (2 * uniform(rng) - 1) * scale1;  // W1
    for (int j = 0; j < hidden; ++j) p.start(k++) = 0.1 * (2 * uniform(rng) - 1);         // b1
    for (int j = 0; j < hidden; ++j) p.start(k++) = (2 * uniform(rng) - 1) * scale2;      // W2
    p.start(k) = 0.1;                                                                     // b2
    return p;
}

double scaling_loss(const ScalingProblem& problem, const Eigen::VectorXd& theta) {
    const int h = problem.hidden;
    const Eigen::Map<const Eigen::MatrixXd> w1(theta.data(), 3, h);
    const Eigen::Map<const Eigen::RowVectorXd> b1(theta.data() + 3 * h, h);
    const Eigen::Map<const Eigen::VectorXd> w2(theta.data() + 4 * h, h);
    const double b2 = theta(5 * h);
    double sum = 0;
    for (int i = 0; i < problem.samples(); ++i) {
        double prediction = b2;
        for (int j = 0; j < h; ++j)
            prediction += w2(j) * activated(problem.activation, problem.x.row(i) * w1.col(j) + b1(j));
        sum += (prediction - problem.y(i)) * (prediction - problem.y(i));
    }
    return sum / problem.samples();
}

// ---- The loop ----------------------------------------------------------------------------

LoopGradient::LoopGradient(const ScalingProblem& problem) : problem_(problem) {
    const auto h = static_cast<std::size_t>(problem.hidden);
    for (int k = 0; k < 3; ++k) {
        w1_[k].resize(h);
        dw1_[k].resize(h);
    }
    pre_.resize(h);
    hidden_.resize(h);
}

double LoopGradient::operator()(const Eigen::VectorXd& theta, Eigen::VectorXd& gradient) {
    const int h = problem_.hidden, n = problem_.samples();
    const nn::Activation act = problem_.activation;
    // W1 by input row, so that the inner loops over hidden units are contiguous.
    for (int j = 0; j < h; ++j)
        for (int k = 0; k < 3; ++k) w1_[k][j] = theta(3 * j + k);
    const double* b1 = theta.data() + 3 * h;
    const double* w2 = theta.data() + 4 * h;
    const double b2 = theta(5 * h);
    gradient.setZero(theta.size());
    double* db1 = gradient.data() + 3 * h;
    double* dw2 = gradient.data() + 4 * h;
    double db2 = 0, loss = 0;
    for (int k = 0; k < 3; ++k) std::fill(dw1_[k].begin(), dw1_[k].end(), 0.0);
    double* hid = hidden_.data();
    const double *w1a = w1_[0].data(), *w1b = w1_[1].data(), *w1c = w1_[2].data();
    double *dwa = dw1_[0].data(), *dwb = dw1_[1].data(), *dwc = dw1_[2].data();
    for (int i = 0; i < n; ++i) {
        const double x0 = problem_.x(i, 0), x1 = problem_.x(i, 1), x2 = problem_.x(i, 2);
        double prediction = b2;
        if (act == nn::Activation::sigmoid) {
            for (int j = 0; j < h; ++j) hid[j] = activated(act, w1a[j] * x0 + w1b[j] * x1 + w1c[j] * x2 + b1[j]);
        } else {
            for (int j = 0; j < h; ++j) hid[j] = w1a[j] * x0 + w1b[j] * x1 + w1c[j] * x2 + b1[j];
        }
        for (int j = 0; j < h; ++j) prediction += w2[j] * hid[j];
        const double e = prediction - problem_.y(i);
        loss += e * e;
        const double d = 2 * e / n;
        db2 += d;
        for (int j = 0; j < h; ++j) {
            dw2[j] += d * hid[j];
            const double dpre = d * w2[j] * derivative(act, hid[j]);
            db1[j] += dpre;
            dwa[j] += dpre * x0;
            dwb[j] += dpre * x1;
            dwc[j] += dpre * x2;
        }
    }
    for (int j = 0; j < h; ++j)
        for (int k = 0; k < 3; ++k) gradient(3 * j + k) = dw1_[k][j];
    gradient(5 * h) = db2;
    return loss / n;
}

// ---- Eigen -----------------------------------------------------------------------------

EigenGradient::EigenGradient(const ScalingProblem& problem)
    : problem_(problem),
      pre_(problem.samples(), problem.hidden),
      hidden_(problem.samples(), problem.hidden),
      dhidden_(problem.samples(), problem.hidden),
      prediction_(problem.samples()),
      dprediction_(problem.samples()) {}

double EigenGradient::operator()(const Eigen::VectorXd& theta, Eigen::VectorXd& gradient) {
    const int h = problem_.hidden, n = problem_.samples();
    const Eigen::Map<const Eigen::MatrixXd> w1(theta.data(), 3, h);
    const Eigen::Map<const Eigen::RowVectorXd> b1(theta.data() + 3 * h, h);
    const Eigen::Map<const Eigen::VectorXd> w2(theta.data() + 4 * h, h);
    const double b2 = theta(5 * h);
    gradient.resize(theta.size());
    Eigen::Map<Eigen::MatrixXd> dw1(gradient.data(), 3, h);
    Eigen::Map<Eigen::RowVectorXd> db1(gradient.data() + 3 * h, h);
    Eigen::Map<Eigen::VectorXd> dw2(gradient.data() + 4 * h, h);

    pre_.noalias() = problem_.x * w1;
    pre_.rowwise() += b1;
    if (problem_.activation == nn::Activation::sigmoid)
        hidden_ = (1 + (-pre_.array()).exp()).inverse().matrix();  // |pre| stays small here
    else
        hidden_ = pre_;
    prediction_.noalias() = hidden_ * w2;
    prediction_.array() += b2;
    dprediction_ = (2.0 / n) * (prediction_ - problem_.y);
    const double loss = (prediction_ - problem_.y).squaredNorm() / n;
    dw2.noalias() = hidden_.transpose() * dprediction_;
    gradient(5 * h) = dprediction_.sum();
    dhidden_.noalias() = dprediction_ * w2.transpose();
    if (problem_.activation == nn::Activation::sigmoid) dhidden_.array() *= hidden_.array() * (1 - hidden_.array());
    dw1.noalias() = problem_.x.transpose() * dhidden_;
    db1 = dhidden_.colwise().sum();
    return loss;
}

// ---- The tape ------------------------------------------------------------------------------

TapeScalingGradient::TapeScalingGradient(const ScalingProblem& problem, ScalingForm form, nn::Reuse reuse)
    : problem_(problem), form_(form), reuse_(reuse),
      compiled_([this](Tape& tape, std::span<const double> theta) { return record(tape, theta); }) {}

// The variables are recorded in theta's order (W1, b1, W2, b2, each column by column), so
// Tape::gradient(loss, span) writes the gradient in theta's layout and replay(theta)
// takes theta as it is.
Var TapeScalingGradient::record(Tape& tape, std::span<const double> theta) const {
    const int h = problem_.hidden;
    const Var w1 = tape.variable(Eigen::Map<const Eigen::MatrixXd>(theta.data(), 3, h));
    const Var b1 = tape.variable(Eigen::Map<const Eigen::MatrixXd>(theta.data() + 3 * h, 1, h));
    const Var w2 = tape.variable(Eigen::Map<const Eigen::MatrixXd>(theta.data() + 4 * h, h, 1));
    const Var b2 = tape.variable(theta[static_cast<std::size_t>(5 * h)]);
    const Var x = tape.constant(problem_.x), y = tape.constant(problem_.y);
    if (form_ == ScalingForm::layers) {
        const Var hidden = nn::activate(problem_.activation, linear(x, w1, b1));  // N x H
        return mean_squared_error(linear(hidden, w2, b2), y);
    }
    const Var hidden = nn::activate(problem_.activation, matmul(x, w1) + b1);  // N x H
    const Var prediction = matmul(hidden, w2) + b2;                            // N x 1
    return mean(square(prediction - y));
}

double TapeScalingGradient::operator()(const Eigen::VectorXd& theta, Eigen::VectorXd& gradient) {
    gradient.resize(theta.size());
    const std::span<const double> in(theta.data(), static_cast<std::size_t>(theta.size()));
    const std::span<double> out(gradient.data(), static_cast<std::size_t>(gradient.size()));
    if (reuse_ == nn::Reuse::compiled) return compiled_.gradient(in, out);
    if (reuse_ == nn::Reuse::replay && !loss_.empty()) {
        tape_.replay(in);
    } else {
        tape_.clear();
        loss_ = record(tape_, in);
    }
    tape_.gradient(loss_, out);
    return loss_.scalar_value();
}

}  // namespace tapegrad::bench
