/// \file
/// Second derivatives: the sweep recorded on the tape, then swept again (reverse over reverse).
///
/// Tape::gradient computes `parent adjoint += adjoint x local derivative` in plain doubles.
/// record_gradient() does the same steps with Vars, so each step becomes nodes on the tape:
/// the gradient g(theta) is then a recorded computation like the loss was, and the core's own
/// gradient() differentiates it. For any fixed vector v, the gradient of g . v is H v, the
/// Hessian times v (v is a constant, so d(g . v)/d theta = (dg/d theta) v). The full Hessian
/// of n parameters is n such products, one per unit vector. Nothing in the core changes: this
/// file writes each op's local derivative once more, as Var arithmetic (hessian.cpp), and the
/// tests check those against the core's sweep for every op. PyTorch's `create_graph=True`
/// is the same idea.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include <Eigen/Core>

#include "tapegrad/autodiff/tape.hpp"

namespace tapegrad {

/// Records the reverse sweep of `loss` (1 x 1) after it, on its tape, and returns, for each of
/// `wrt`, a Var of wrt's shape whose value is d loss / d wrt. A node `loss` does not depend on
/// gets zeros. Ops whose derivative is a step (relu, abs) record it as a constant mask: its
/// own derivative is 0, the true one wherever it exists, so record again at new values
/// (replaying new variables would keep the old mask).
std::vector<Var> record_gradient(Var loss, std::span<const Var> wrt);

/// The Hessian of a loss recorded on a tape, with respect to all the tape's variables, in the
/// layout of Tape::gradient(loss, out): variables in recording order, each column by column.
/// The constructor records the sweep (record_gradient) and g . v for a constant v once; each
/// product then sets v, replays the tape and sweeps it from g . v. Record the loss again for
/// new parameter values (see record_gradient), and keep the tape alive while this is used.
class Hessian {
public:
    explicit Hessian(Var loss);
    /// n, the number of parameters: H is n x n.
    std::size_t size() const { return size_; }
    /// The gradient, as the recorded sweep computed it (equal to Tape::gradient's to rounding).
    std::vector<double> gradient() const;
    /// H v, one replay and one sweep. `v` and `out` hold n numbers.
    void product(std::span<const double> v, std::span<double> out);
    std::vector<double> product(std::span<const double> v);
    /// The whole n x n matrix, column k = H e_k: n products.
    Eigen::MatrixXd matrix();

private:
    Tape* tape_;
    std::size_t size_ = 0;
    std::vector<Var> gradient_;    ///< g, one Var per variable of the tape
    std::vector<Var> direction_;   ///< v, a constant of each variable's shape
    Var dot_;                      ///< g . v
};

}  // namespace tapegrad
