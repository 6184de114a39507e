// tapegrad/nn/curvature.cpp — the health loss's Hessian from the tape, its eigenvalues, Newton.
#include "tapegrad/nn/curvature.hpp"

#include <cmath>

#include <Eigen/Dense>

#include "tapegrad/autodiff/format.hpp"
#include "tapegrad/autodiff/hessian.hpp"

namespace tapegrad::nn {

Eigen::MatrixXd loss_hessian(const HealthNetwork& network, const Parameters& p) {
    Tape tape;
    ParameterVars vars;  // recorded first, in the order of Parameters
    Hessian hessian(network.record_loss(tape, p, vars));
    return hessian.matrix();
}

int Curvature::flat_directions(double tolerance) const {
    return static_cast<int>((eigenvalues.array().abs() <= tolerance * largest()).count());
}
int Curvature::negative_directions(double tolerance) const {
    return static_cast<int>((eigenvalues.array() < -tolerance * largest()).count());
}

Curvature curvature_of(const Eigen::MatrixXd& hessian) {
    const Eigen::MatrixXd symmetric = (hessian + hessian.transpose()) / 2.0;
    return {Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(symmetric, Eigen::EigenvaluesOnly).eigenvalues()};
}
Curvature curvature_at(const HealthNetwork& network, const Parameters& p) {
    return curvature_of(loss_hessian(network, p));
}

namespace {
constexpr int max_tries = 60;  // mu grows 3^60 times: past any curvature

// theta - (H + mu I)^-1 g, or nothing when the solve gives a non-finite step.
bool newton_step(const Eigen::MatrixXd& h, const Parameters& g, double mu, const Parameters& from, Parameters& to) {
    const Eigen::Map<const Eigen::VectorXd> gradient(g.values.data(), parameter_count);
    const Eigen::MatrixXd damped = h + mu * Eigen::MatrixXd::Identity(h.rows(), h.cols());
    const Eigen::VectorXd step = damped.ldlt().solve(gradient);
    if (!step.allFinite()) return false;
    for (std::size_t k = 0; k < parameter_count; ++k) to[k] = from[k] - step(static_cast<Eigen::Index>(k));
    return true;
}
}  // namespace

NewtonResult newton(const HealthNetwork& network, const Parameters& start, const NewtonOptions& options) {
    NewtonResult result;
    result.final = start;
    double loss = network.loss(start), mu = options.damping;
    for (int i = 0; i < options.iterations; ++i) {
        const Parameters g = network.chain_rule_gradient(result.final);
        const Eigen::MatrixXd h = loss_hessian(network, result.final);
        ++result.hessians;
        NewtonStep step{i, loss, mu, 0};
        Parameters next;
        bool lower = false;  // found a step that lowers the loss
        while (!lower && step.tries < max_tries) {
            ++step.tries;
            step.damping = mu;
            const bool finite = newton_step(h, g, mu, result.final, next);
            step.loss = finite ? network.loss(next) : NAN;
            if (!options.adapt) break;  // plain Newton takes every step
            lower = std::isfinite(step.loss) && step.loss < loss;
            if (!lower) mu *= 3.0;  // rejected: more damping, a shorter step nearer the gradient's direction
        }
        result.steps.push_back(step);
        if (!std::isfinite(step.loss)) {
            result.failed = true;
            result.why = "step " + std::to_string(i) + " gave a non-finite loss: (H + mu I) s = g, with mu = " +
                         format_number(mu, "%.6g") + ", has no usable solution";
            return result;
        }
        if (options.adapt && !lower) break;  // no damping lowers the loss: at the bottom, to rounding
        const bool settled = std::abs(loss - step.loss) <= options.tolerance * std::abs(loss);
        result.final = next;
        loss = step.loss;
        if (options.adapt) mu /= 3.0;
        if (settled) break;
    }
    return result;
}

}  // namespace tapegrad::nn
