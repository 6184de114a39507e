/// \file
/// `Var`, the handle through which a computation is recorded.
///
/// A Var is small and cheap to copy: the tape it lives on and its node's stamp (so a Var
/// kept across `Tape::clear()`, or from a tape since destroyed, is recognised and refused). Arithmetic on Vars records
/// new nodes on their tape:
///
///     tapegrad::Tape tape;
///     auto w1 = tape.variable(0.5);                 // a parameter, 1 x 1
///     auto x1 = tape.constant(ages / 101.0);        // data, 6 x 1
///     Var h1 = w1 * x1 + b1;                        // recorded: multiply, add
///
/// Plain doubles on either side of an operator become constant nodes. Scalars broadcast
/// against columns and matrices (see shape.hpp). Every misuse — a Var of another tape, a
/// stale Var, shapes that do not fit — throws tapegrad::TapeError naming the operation.
#pragma once

#include <cstdint>

#include <Eigen/Core>

#include "tapegrad/autodiff/operations.hpp"
#include "tapegrad/autodiff/shape.hpp"

namespace tapegrad {

class Tape;

/// A handle to one node of a Tape: the tape and the node's stamp. A tape stamps its nodes
/// with 64-bit numbers that only grow: node k of a recording has stamp first + k, clear()
/// starts the next recording past the last stamp, and a new tape starts past every stamp
/// of the tapes destroyed before it. So a Var kept across clear(), or from an earlier tape
/// at the same address, is refused. Operators and functions on Vars record new nodes;
/// value() and adjoint() read the node.
class Var {
public:
    Var() = default;  ///< an empty handle; using it in an operation is an error

    Tape& tape() const {
        if (tape_ == nullptr) [[unlikely]]
            refuse_empty();
        return *tape_;
    }
    /// The node's index on its tape (an error for an empty or stale Var).
    std::uint32_t index() const;
    /// The node's stamp (see above); 0 for an empty Var.
    std::uint64_t stamp() const { return stamp_; }
    bool empty() const { return tape_ == nullptr; }
    bool is_on(const Tape& tape) const { return tape_ == &tape; }
    Shape shape() const;

    /// The node's value and (after Tape::gradient) its adjoint, as read-only Eigen views
    /// into the tape's arena. Like iterators, the views are invalidated by recording more.
    Eigen::Map<const Eigen::MatrixXd> value() const;
    Eigen::Map<const Eigen::MatrixXd> adjoint() const;
    /// The same for a 1 x 1 node, as a plain double (an error for any other shape).
    double scalar_value() const;
    double scalar_adjoint() const;

private:
    friend class Tape;  ///< the only maker of non-empty Vars
    [[noreturn]] static void refuse_empty();
    Var(Tape* tape, std::uint64_t stamp) : tape_(tape), stamp_(stamp) {}

    Tape* tape_ = nullptr;
    std::uint64_t stamp_ = 0;
};

/// Elementwise arithmetic, with broadcasting; a double operand becomes a constant node.
Var operator+(Var a, Var b);
Var operator+(Var a, double b);
Var operator+(double a, Var b);
Var operator-(Var a, Var b);
Var operator-(Var a, double b);
Var operator-(double a, Var b);
Var operator*(Var a, Var b);
Var operator*(Var a, double b);
Var operator*(double a, Var b);
Var operator/(Var a, Var b);
Var operator/(Var a, double b);
Var operator/(double a, Var b);
Var operator-(Var a);
/// a = a + b, recorded after b: `h += w * x` puts the product on the tape before the sum,
/// under every compiler (C++ leaves the order of the operands of + to the compiler).
Var& operator+=(Var& a, Var b);

/// Elementwise functions.
Var exp(Var x);
Var log(Var x);
Var sqrt(Var x);
Var pow(Var base, double exponent);
Var pow(Var base, Var exponent);  // for a positive base (see operations.hpp)
Var square(Var x);
Var cube(Var x);  // x^3
Var abs(Var x);
Var sin(Var x);
Var cos(Var x);
Var tanh(Var x);
Var sigmoid(Var x);
Var relu(Var x);
Var identity(Var x);

/// Matrix operations.
Var matmul(Var a, Var b);  // (n x k)(k x m) -> n x m
Var transpose(Var a);
/// A dense layer: X W + b, with X n x k, W k x m and the bias b a 1 x m row added to
/// every row. One node (not a matmul and an add), so a layer costs one step of the sweep.
Var linear(Var x, Var w, Var b);

/// The mean squared error (1/N) sum (prediction - target)^2 of two nodes of the same
/// shape, as one 1 x 1 node: what mean(square(prediction - target)) records as three.
Var mean_squared_error(Var prediction, Var target);

/// Each row of x (n x K logits) to its log-probabilities x_ij - log sum_k e^x_ik, stably
/// (the largest logit subtracted first): n x K. -sum(onehot * log_softmax(z)) / n is the
/// cross-entropy of n samples of K classes.
Var log_softmax(Var x);

/// Reductions: the whole node to 1 x 1, or along one direction.
Var sum(Var x);        // 1 x 1
Var mean(Var x);       // 1 x 1
Var col_sums(Var x);   // 1 x cols: each column summed
Var row_sums(Var x);   // rows x 1: each row summed
Var col_means(Var x);  // 1 x cols
Var row_means(Var x);  // rows x 1

}  // namespace tapegrad
