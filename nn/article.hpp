/// \file
/// The article's two gradient functions, ported as printed.
///
/// The article computes its gradients with two hand-written functions,
/// back_propagation_layer_1 (w1..w6, b1, b2) and back_propagation_layer_2 (w7, w8, b3).
/// They are ported here faithfully — the same factors, in the same order, with the same
/// scaling and averaging, reading w7, w8 and the scaled inputs the way the article's
/// functions read its global variables — and deliberately NOT corrected: they are what
/// the verifier examines, and training with them reproduces the article's program.
///
/// What they compute (worked out in docs chapter 3 and pinned by tests):
///   d_MSE already divides by n: (1/n) * 2 * (prediction - target), per person. The
///   functions then take np.mean of the per-person products, dividing by n again, so
///   every result is the true gradient times 1/n (1/6 for the six people).
///   For b1 and b2 the factor "three" is 1 where the chain rule needs w7 (for b1) and w8
///   (for b2), so both return the output bias's gradient, (1/n) dL/db3, instead.
/// The activation's derivative (`d_activ_func`) is the article's for identity (1),
/// sigmoid and relu; the article gives none for tanh, so the port uses 1 - tanh^2.
/// (The article's bonus sigmoid and relu functions overwrite their argument in place;
/// the article never shows them in its training loop, so that aliasing is not modelled.)
#pragma once

#include <string_view>

#include <Eigen/Core>

#include "tapegrad/nn/health_network.hpp"
#include "tapegrad/nn/parameters.hpp"

namespace tapegrad::nn::article {

/// What the article's functions read from its global scope.
struct Globals {
    Eigen::ArrayXd x1, x2, x3;  ///< scaled inputs
    double w7 = 0, w8 = 0;      ///< the current output weights
    Activation activation = Activation::identity;
};

/// The article's forward pass: Y_pred, Z, h1, h2 for all people.
struct Forward {
    Eigen::ArrayXd y_pred, z, h1, h2;
};
Forward hidden_layer_model(const Globals& g, const Parameters& p);

/// MSE = (1/n) * sum((predictions - targets)^2)
double mse(const Eigen::ArrayXd& predictions, const Eigen::ArrayXd& targets);
/// d_MSE = (1/n) * 2 * (predictions - targets), per person
Eigen::ArrayXd d_mse(const Eigen::ArrayXd& predictions, const Eigen::ArrayXd& targets);
/// The derivative of the activation at Z, per person
Eigen::ArrayXd d_activ_func(Activation activation, const Eigen::ArrayXd& z);

/// The two functions. `parameter` is "w1".."w6", "b1", "b2" for layer 1 and "w7", "w8",
/// "b3" for layer 2; any other name is refused (the article prints 'invalid parameter'
/// and then fails on an undefined variable).
double back_propagation_layer_1(const Globals& g, const Eigen::ArrayXd& predictions, const Eigen::ArrayXd& targets,
                                const Eigen::ArrayXd& z, std::string_view parameter);
double back_propagation_layer_2(const Globals& g, const Eigen::ArrayXd& predictions, const Eigen::ArrayXd& targets,
                                const Eigen::ArrayXd& z, const Eigen::ArrayXd& h1, const Eigen::ArrayXd& h2,
                                std::string_view parameter);

/// One step of the article's training loop before the update: the forward pass, the MSE,
/// and all eleven gradients, called in the article's order. Returns the MSE.
double gradient(const HealthNetwork& network, const Parameters& p, Parameters& gradient);

}  // namespace tapegrad::nn::article
