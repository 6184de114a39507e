/// \file
/// The curvature of the health network's loss: its Hessian, the Hessian's eigenvalues, the
/// learning rate above which gradient descent is unstable, and Newton's method.
///
/// Near a point, the loss is a bowl whose steepness in each direction is an eigenvalue of
/// the Hessian H (autodiff/hessian.hpp). A gradient step along an eigenvector of eigenvalue
/// lambda multiplies the distance to the bottom by (1 - learning_rate x lambda): it shrinks
/// while the learning rate is below 2 / lambda, and grows, the step overshooting further each
/// time, above it. So 2 / lambda_max is the stability limit of the learning rate. Newton's
/// method divides the gradient by the curvature instead: theta -= (H + mu I)^-1 g, with
/// mu = 0 the plain method and mu > 0 (adapted, Levenberg-Marquardt) the damped one.
#pragma once

#include <string>
#include <vector>

#include <Eigen/Core>

#include "tapegrad/nn/health_network.hpp"
#include "tapegrad/nn/parameters.hpp"

namespace tapegrad::nn {

/// The Hessian of the network's MSE at p, 11 x 11, rows and columns in the order of Parameters.
Eigen::MatrixXd loss_hessian(const HealthNetwork& network, const Parameters& p);

/// The eigenvalues of a Hessian and what follows from them.
struct Curvature {
    Eigen::VectorXd eigenvalues;  ///< smallest first
    double smallest() const { return eigenvalues(0); }
    double largest() const { return eigenvalues(eigenvalues.size() - 1); }
    /// 2 / largest(): gradient descent is stable below this learning rate.
    double stability_limit() const { return 2.0 / largest(); }
    /// How many eigenvalues are within `tolerance x largest()` of 0: the flat directions.
    int flat_directions(double tolerance = 1e-3) const;
    /// How many are below -tolerance x largest(): directions in which the loss curves down.
    int negative_directions(double tolerance = 1e-3) const;
};
/// The eigenvalues of a symmetric matrix (its mean with its transpose, so rounding in a
/// computed Hessian does not matter), by Eigen's SelfAdjointEigenSolver.
Curvature curvature_of(const Eigen::MatrixXd& hessian);
/// The same for the network's loss at p.
Curvature curvature_at(const HealthNetwork& network, const Parameters& p);

struct NewtonOptions {
    double damping = 1.0;      ///< mu at the first step; 0 with adapt = false is plain Newton
    bool adapt = true;         ///< mu / 3 after a step that lowers the loss; mu x 3 and retry after one that does not
    int iterations = 20;       ///< steps at most
    double tolerance = 1e-12;  ///< stop once a step lowers the loss by less than this, relative
};
struct NewtonStep {
    int iteration = 0;  ///< 0-based
    double loss = 0;    ///< after the step
    double damping = 0; ///< the mu the step was taken with
    int tries = 1;      ///< linear solves this step needed (a rejected try raises mu)
};
struct NewtonResult {
    Parameters final;
    std::vector<NewtonStep> steps;
    int hessians = 0;    ///< Hessians computed (one per step), each 11 Hessian-vector products
    bool failed = false; ///< a step gave a non-finite loss (the linear system had no usable solution)
    std::string why;
};
/// Newton's method from `start`: each step computes g and H at the parameters and solves
/// (H + mu I) s = g (Eigen's LDLT, which accepts indefinite matrices), theta -= s.
NewtonResult newton(const HealthNetwork& network, const Parameters& start, const NewtonOptions& options = {});

}  // namespace tapegrad::nn
