/// \file
/// Every operation the tape knows, in one table.
///
/// Each operation appears exactly once in this file, and says both directions of
/// reverse-mode differentiation side by side:
///   value       how the forward pass computes the node's value from its parents;
///   derivative  the local partial derivative(s), which the reverse sweep multiplies
///               by the node's adjoint and adds (+=) into each parent's adjoint.
/// The math is written in a comment above each operation.
///
/// Elementwise operations are plain scalar functions; the tape applies them to every
/// element of a scalar, column or matrix and handles broadcasting (see tape.cpp).
/// Operations whose shape changes (matrix product, transpose, reductions) act on
/// whole Eigen views in `forward` and `backward` functions.
///
/// Where the math has no finite answer the IEEE result is kept, never a crash:
/// log(0) = -inf with derivative +inf, log(x<0) = NaN, sqrt(0) = 0 with derivative
/// +inf, pow of a negative base by a non-integer = NaN. sigmoid and tanh are written
/// so that ±1000 gives finite values and finite (zero) derivatives.
#pragma once

#include <cmath>
#include <cstdint>
#include <string_view>

#include <Eigen/Core>

namespace tapegrad {

/// The closed set of operations. The reverse sweep is one `switch` over this enum.
enum class Op : std::uint8_t {
    variable,  // a leaf whose gradient is wanted (a parameter)
    constant,  // a leaf holding data (inputs, targets, literal numbers)
    add,
    subtract,
    multiply,
    divide,
    power,  // elementwise, two parents
    negate,
    exp,
    log,
    sqrt,
    power_scalar,
    square,
    abs,  // elementwise, one parent
    sin,
    cos,
    tanh,
    sigmoid,
    relu,
    identity,
    matmul,
    transpose,  // matrix shape changes
    sum,
    mean,
    col_sums,
    row_sums,
    col_means,
    row_means,  // reductions
};

/// Short lower-case name of an operation, as printed in tape tables and drawings.
std::string_view op_name(Op op);
/// The operator symbol for binary arithmetic ("+", "*", ...), else the name.
std::string_view op_symbol(Op op);

namespace ops {

using ConstMap = Eigen::Map<const Eigen::MatrixXd>;
using Map = Eigen::Map<Eigen::MatrixXd>;

// ---- Elementwise, two parents: y = f(a, b) -------------------------------------------
// Each gives value(a, b) and the partials da = dy/da, db = dy/db (y is the value).

/// y = a + b;  dy/da = 1,  dy/db = 1
struct Add {
    static double value(double a, double b) { return a + b; }
    static double da(double, double, double) { return 1.0; }
    static double db(double, double, double) { return 1.0; }
};
/// y = a - b;  dy/da = 1,  dy/db = -1
struct Subtract {
    static double value(double a, double b) { return a - b; }
    static double da(double, double, double) { return 1.0; }
    static double db(double, double, double) { return -1.0; }
};
// [multiply]
/// y = a * b;  dy/da = b,  dy/db = a
struct Multiply {
    static double value(double a, double b) { return a * b; }
    static double da(double, double b, double) { return b; }
    static double db(double a, double, double) { return a; }
};
// [multiply]
/// y = a / b;  dy/da = 1/b,  dy/db = -a/b^2 = -y/b
struct Divide {
    static double value(double a, double b) { return a / b; }
    static double da(double, double b, double) { return 1.0 / b; }
    static double db(double, double b, double y) { return -y / b; }
};
/// y = a^b (meant for a > 0);  dy/da = b a^(b-1),  dy/db = a^b ln a = y ln a
/// For a <= 0 the IEEE results stand: ln a is NaN or -inf, so dy/db is NaN or ±inf.
struct Power {
    static double value(double a, double b) { return std::pow(a, b); }
    static double da(double a, double b, double) { return b * std::pow(a, b - 1.0); }
    static double db(double a, double, double y) { return y * std::log(a); }
};

// ---- Elementwise, one parent: y = f(x) --------------------------------------------------
// Each gives value(x, c) and derivative(x, y, c) = dy/dx; c is the node's constant
// (only power_scalar uses it: the exponent).

/// y = -x;  dy/dx = -1
struct Negate {
    static double value(double x, double) { return -x; }
    static double derivative(double, double, double) { return -1.0; }
};
/// y = e^x;  dy/dx = e^x = y
struct Exp {
    static double value(double x, double) { return std::exp(x); }
    static double derivative(double, double y, double) { return y; }
};
/// y = ln x;  dy/dx = 1/x   (x = 0: y = -inf, dy/dx = +inf; x < 0: NaN)
struct Log {
    static double value(double x, double) { return std::log(x); }
    static double derivative(double x, double, double) { return 1.0 / x; }
};
/// y = sqrt x;  dy/dx = 1 / (2 sqrt x) = 1 / (2y)   (x = 0: dy/dx = +inf)
struct Sqrt {
    static double value(double x, double) { return std::sqrt(x); }
    static double derivative(double, double y, double) { return 0.5 / y; }
};
/// y = x^c (c a plain number);  dy/dx = c x^(c-1)
/// Written with pow(x, c-1), not y/x, so that x = 0 gives the right answer (0 for c > 1).
struct PowerScalar {
    static double value(double x, double c) { return std::pow(x, c); }
    static double derivative(double x, double, double c) { return c * std::pow(x, c - 1.0); }
};
/// y = x^2;  dy/dx = 2x
struct Square {
    static double value(double x, double) { return x * x; }
    static double derivative(double x, double, double) { return 2.0 * x; }
};
/// y = |x|;  dy/dx = sign(x), and 0 at the kink x = 0 (a subgradient)
struct Abs {
    static double value(double x, double) { return std::abs(x); }
    static double derivative(double x, double, double) { return (x > 0.0) - (x < 0.0); }
};
/// y = sin x;  dy/dx = cos x
struct Sin {
    static double value(double x, double) { return std::sin(x); }
    static double derivative(double x, double, double) { return std::cos(x); }
};
/// y = cos x;  dy/dx = -sin x
struct Cos {
    static double value(double x, double) { return std::cos(x); }
    static double derivative(double x, double, double) { return -std::sin(x); }
};
/// y = tanh x;  dy/dx = 1 - tanh^2 x = 1 - y^2
/// std::tanh saturates to ±1 without overflow, so tanh(±1000) = ±1 with derivative 0.
struct Tanh {
    static double value(double x, double) { return std::tanh(x); }
    static double derivative(double, double y, double) { return 1.0 - y * y; }
};
// [sigmoid]
/// y = 1 / (1 + e^-x);  dy/dx = y (1 - y)
/// The naive form overflows e^-x for x << 0; for x < 0 use the equal e^x / (1 + e^x),
/// so only e^(-|x|) <= 1 is ever computed: sigmoid(-1000) = 0, sigmoid(1000) = 1.
struct Sigmoid {
    static double value(double x, double) {
        if (x >= 0.0) return 1.0 / (1.0 + std::exp(-x));
        const double e = std::exp(x);
        return e / (1.0 + e);
    }
    static double derivative(double, double y, double) { return y * (1.0 - y); }
};
// [sigmoid]
/// y = max(0, x);  dy/dx = 1 for x > 0, else 0 (0 at the kink x = 0)
struct Relu {
    static double value(double x, double) { return x > 0.0 ? x : 0.0; }
    static double derivative(double x, double, double) { return x > 0.0 ? 1.0 : 0.0; }
};
/// y = x (the article's default activation);  dy/dx = 1
/// The tape records identity as a view of its parent (same value, same adjoint), which is
/// what dy/dx = 1 means, so neither function below runs during recording or the sweep.
struct Identity {
    static double value(double x, double) { return x; }
    static double derivative(double, double, double) { return 1.0; }
};

// ---- Shape-changing operations -------------------------------------------------------------
// forward(parents..., y) writes the value; backward(parents..., dy, dparents...) adds
// into the parents' adjoints.

/// Y = A B  (A: n x k, B: k x m);  dA += dY B^T,  dB += A^T dY
struct MatMul {
    static void forward(const ConstMap& a, const ConstMap& b, Map& y) { y.noalias() = a * b; }
    /// `want_a` / `want_b` false skips a parent whose adjoint nobody will read (a constant,
    /// see Tape::set_constant_adjoints): half the backward work when A is the data.
    static void backward(const ConstMap& a, const ConstMap& b, const ConstMap& dy, Map& da, Map& db, bool want_a = true,
                         bool want_b = true) {
        if (want_a) da.noalias() += dy * b.transpose();
        if (want_b) db.noalias() += a.transpose() * dy;  // da and db may be the same memory (A A): both add
    }
};
/// Y = A^T;  dA += dY^T
struct Transpose {
    static void forward(const ConstMap& a, Map& y) { y.noalias() = a.transpose(); }
    static void backward(const ConstMap& dy, Map& da) { da.noalias() += dy.transpose(); }
};
/// y = sum_ij A_ij (1 x 1);  dA_ij += dy
struct Sum {
    static void forward(const ConstMap& a, Map& y) { y(0, 0) = a.sum(); }
    static void backward(const ConstMap& dy, Map& da) { da.array() += dy(0, 0); }
};
/// y = (1/N) sum_ij A_ij with N = rows * cols;  dA_ij += dy / N
struct Mean {
    static void forward(const ConstMap& a, Map& y) { y(0, 0) = a.mean(); }
    static void backward(const ConstMap& dy, Map& da) { da.array() += dy(0, 0) / static_cast<double>(da.size()); }
};
/// y_j = sum_i A_ij (1 x cols: each column summed);  dA_ij += dy_j
struct ColSums {
    static void forward(const ConstMap& a, Map& y) { y.noalias() = a.colwise().sum(); }
    static void backward(const ConstMap& dy, Map& da) { da.rowwise() += dy.row(0); }
};
/// y_i = sum_j A_ij (rows x 1: each row summed);  dA_ij += dy_i
struct RowSums {
    static void forward(const ConstMap& a, Map& y) { y.noalias() = a.rowwise().sum(); }
    static void backward(const ConstMap& dy, Map& da) { da.colwise() += dy.col(0); }
};
/// y_j = (1/rows) sum_i A_ij;  dA_ij += dy_j / rows
struct ColMeans {
    static void forward(const ConstMap& a, Map& y) { y.noalias() = a.colwise().mean(); }
    static void backward(const ConstMap& dy, Map& da) { da.rowwise() += dy.row(0) / static_cast<double>(da.rows()); }
};
/// y_i = (1/cols) sum_j A_ij;  dA_ij += dy_i / cols
struct RowMeans {
    static void forward(const ConstMap& a, Map& y) { y.noalias() = a.rowwise().mean(); }
    static void backward(const ConstMap& dy, Map& da) { da.colwise() += dy.col(0) / static_cast<double>(da.cols()); }
};

}  // namespace ops
}  // namespace tapegrad
