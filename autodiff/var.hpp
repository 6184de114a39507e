/// \file
/// `Var`, the handle through which a computation is recorded.
///
/// A Var is small and cheap to copy: its tape and its node's stamp. Arithmetic on Vars
/// records new nodes on their tape; a plain double on either side becomes a constant node:
///
///     tapegrad::Tape tape;
///     auto w1 = tape.variable(0.5);                 // a parameter, 1 x 1
///     auto x1 = tape.constant(ages / 101.0);        // data, 6 x 1
///     Var h1 = w1 * x1 + b1;                        // recorded: multiply, add
#pragma once

#include <cstdint>

#include <Eigen/Core>

#include "tapegrad/autodiff/operations.hpp"
#include "tapegrad/autodiff/shape.hpp"

namespace tapegrad {

class Tape;
/// A handle to one node of a Tape. Stamps only grow: node k of a recording has stamp first + k,
/// clear() starts the next recording past the last stamp, a new tape past those of the tapes
/// destroyed before it. So a Var kept across clear(), or of an earlier tape at its address, is refused.
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
    /// The node's index, after checking the Var is live (TapeError naming `where` if not).
    std::uint32_t checked_index(std::string_view where) const;

    Tape* tape_ = nullptr;
    std::uint64_t stamp_ = 0;
};

/// Elementwise arithmetic, with broadcasting; a double operand becomes a constant node.
Var operator+(Var a, Var b), operator+(Var a, double b), operator+(double a, Var b);
Var operator-(Var a, Var b), operator-(Var a, double b), operator-(double a, Var b), operator-(Var a);
Var operator*(Var a, Var b), operator*(Var a, double b), operator*(double a, Var b);
Var operator/(Var a, Var b), operator/(Var a, double b), operator/(double a, Var b);
/// a = a + b, recorded after b: `h += w * x` puts the product on the tape before the sum,
/// under every compiler (C++ leaves the order of the operands of + to the compiler).
Var& operator+=(Var& a, Var b);
/// Elementwise functions; pow(Var, Var) is for a positive base (see operations.hpp).
Var exp(Var x), log(Var x), sqrt(Var x), square(Var x), cube(Var x), abs(Var x), sin(Var x), cos(Var x);
Var tanh(Var x), sigmoid(Var x), relu(Var x), identity(Var x);
Var pow(Var base, double exponent), pow(Var base, Var exponent);
/// Matrix operations: (n x k)(k x m) -> n x m, A^T, and a dense layer X W + b (b a row).
Var matmul(Var a, Var b), transpose(Var a), linear(Var x, Var w, Var b);
/// Each one node where the formula would record several (see operations.hpp): the mean of
/// (prediction - target)^2, 1 x 1; each row of logits to its log-probabilities, n x K.
Var mean_squared_error(Var prediction, Var target), log_softmax(Var x);
/// Reductions: the whole node to 1 x 1, each column to one number (1 x cols), each row (rows x 1).
Var sum(Var x), mean(Var x), col_sums(Var x), col_means(Var x), row_sums(Var x), row_means(Var x);

}  // namespace tapegrad
