/// \file
/// Every operation the tape knows, each in one place, and the list that names them all.
///
/// An operation is one struct: its name, its number of parents, how its value is computed
/// and each parent's local derivative, with the math in a comment above it. The list
/// TAPEGRAD_OPS at the bottom registers it; the enum `Op`, `op_name`, and both directions
/// of dispatch (value forward, derivative backward) are generated from that list, and
/// the tests enumerate it. Adding an operation is one struct, one line in the list, and
/// its function in var.hpp (see `Cube`).
///
/// Each struct declares its kind (OpKind), which says how its parents reach its value:
/// the tests' shape cases, the gradient checker's list of operations and the sweep page's
/// words for what a parent receives are chosen by kind, so a new op of a known kind gets
/// them all without another list to edit.
///
/// Elementwise operations are scalar functions: value(x, c) and derivative(x, y, c) for
/// one parent, value(a, b), da and db for two; the tape applies them element by element
/// with broadcasting. Shape-changing operations are written per output element Y_ij:
/// value(e) is Y_ij, and term(e, p, l) names the l-th element of parent p that Y_ij
/// depends on, with its local derivative dY_ij / dP. The reverse sweep (tape.cpp) does
/// nothing else than `parent adjoint += adjoint * local derivative` over those terms.
///
/// Where the math has no finite answer the IEEE result is kept, never a crash: log(0) =
/// -inf with derivative +inf, sqrt(0) = 0 with derivative +inf, log(x<0) = NaN. A NaN in
/// gives NaN out, in every value and every derivative that depends on it (relu and abs
/// included, and pow(NaN, 0)). sigmoid and tanh stay finite at ±1000.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include "tapegrad/autodiff/shape.hpp"

namespace tapegrad {

/// What kind of operation an op is: how each element of its value depends on its parents.
enum class OpKind : std::uint8_t {
    leaf,          ///< variable, constant: no parents, nothing computed
    elementwise,   ///< one parent, y = f(x) element by element: y has x's shape
    broadcasting,  ///< two or more parents combined element by element, a 1 in a dimension repeating
    reduction,     ///< a parent's elements summed (or averaged) into fewer: sum, mean, col/row sums, mse
    matrix,        ///< elements moved or combined across rows and columns: matmul, transpose, linear
};

}  // namespace tapegrad

namespace tapegrad::ops {

/// One parent as a formula reads it: a dimension of size 1 repeats (broadcasting).
struct Operand {
    const double* data = nullptr;
    Shape shape;
    std::size_t down = 0, across = 0;  // steps to the next row and column: 0 where it repeats
    Operand() = default;
    Operand(const double* d, Shape s) : data(d), shape(s), down(s.rows == 1 ? 0 : 1), across(s.cols == 1 ? 0 : s.rows) {}
    std::size_t at(std::size_t i, std::size_t j) const { return i * down + j * across; }
    double operator()(std::size_t i, std::size_t j) const { return data[at(i, j)]; }
};
/// The most parents a node can have (linear: X, W, b).
inline constexpr int most_parents = 3;
/// Output element (i, j) of a node: its parents, its constant, and (backwards) its value y.
struct Element {
    Operand p[most_parents];
    int parents = 0;  ///< how many of p are used
    double constant = 0.0;
    std::size_t i = 0, j = 0;
    double y = 0.0;
};
/// One term of the chain rule: element (row, col) of a parent, and dY_ij / d that element.
struct Term {
    std::size_t row, col;
    double derivative;
};

struct Leaf {  ///< variable, constant: recorded with a value, nothing computed
    static constexpr int parents = 0;
    static constexpr OpKind kind = OpKind::leaf;
};
struct Unary {  ///< y = f(x), elementwise
    static constexpr int parents = 1;
    static constexpr OpKind kind = OpKind::elementwise;
};
struct Binary {  ///< y = f(a, b), elementwise with broadcasting
    static constexpr int parents = 2;
    static constexpr OpKind kind = OpKind::broadcasting;
};
[[noreturn]] inline void refuse_shapes(std::string_view name, Shape a, Shape b,
                                                                 std::string_view why) {
    throw TapeError(std::string(name) + ": shapes " + a.to_string() + " and " + b.to_string() + std::string(why));
}
inline bool is_nan(double x) { return x != x; }

/// A parameter: a leaf whose gradient is wanted.
struct Variable : Leaf {
    static constexpr std::string_view name = "variable";
};
/// Data (inputs, targets, literal numbers): a leaf.
struct Constant : Leaf {
    static constexpr std::string_view name = "constant";
};

// ---- Elementwise, two parents: y = f(a, b); da = dy/da, db = dy/db (y is the value) -------

/// y = a + b;  dy/da = 1,  dy/db = 1
struct Add : Binary {
    static constexpr std::string_view name = "add", symbol = "+";
    static double value(double a, double b) { return a + b; }
    static double da(double, double, double) { return 1.0; }
    static double db(double, double, double) { return 1.0; }
};
/// y = a - b;  dy/da = 1,  dy/db = -1
struct Subtract : Binary {
    static constexpr std::string_view name = "subtract", symbol = "-";
    static double value(double a, double b) { return a - b; }
    static double da(double, double, double) { return 1.0; }
    static double db(double, double, double) { return -1.0; }
};
// [multiply]
/// y = a * b;  dy/da = b,  dy/db = a
struct Multiply : Binary {
    static constexpr std::string_view name = "multiply", symbol = "*";
    static double value(double a, double b) { return a * b; }
    static double da(double, double b, double) { return b; }
    static double db(double a, double, double) { return a; }
};
// [multiply]
/// y = a / b;  dy/da = 1/b,  dy/db = -a/b^2 = -y/b
struct Divide : Binary {
    static constexpr std::string_view name = "divide", symbol = "/";
    static double value(double a, double b) { return a / b; }
    static double da(double, double b, double) { return 1.0 / b; }
    static double db(double, double b, double y) { return -y / b; }
};
/// y = a^b (meant for a > 0);  dy/da = b a^(b-1) (0 when b = 0),  dy/db = a^b ln a = y ln a
/// For a <= 0 the IEEE results stand: ln a is NaN or -inf, so dy/db is NaN or ±inf. A NaN
/// on either side gives NaN, although IEEE says pow(NaN, 0) = pow(1, NaN) = 1.
struct Power : Binary {
    static constexpr std::string_view name = "pow";
    static double value(double a, double b) { return is_nan(a) || is_nan(b) ? a + b : std::pow(a, b); }
    static double da(double a, double b, double) { return b == 0.0 && !is_nan(a) ? 0.0 : b * std::pow(a, b - 1.0); }
    static double db(double a, double, double y) { return y * std::log(a); }
};

// ---- Elementwise, one parent: y = f(x); derivative(x, y, c) = dy/dx --------------------
// c is the node's constant (only power_scalar uses it: the exponent).

/// y = -x;  dy/dx = -1
struct Negate : Unary {
    static constexpr std::string_view name = "negate", symbol = "-";
    static double value(double x, double) { return -x; }
    static double derivative(double, double, double) { return -1.0; }
};
/// y = e^x;  dy/dx = e^x = y
struct Exp : Unary {
    static constexpr std::string_view name = "exp";
    static double value(double x, double) { return std::exp(x); }
    static double derivative(double, double y, double) { return y; }
};
/// y = ln x;  dy/dx = 1/x   (x = 0: y = -inf, dy/dx = +inf; x < 0: NaN)
struct Log : Unary {
    static constexpr std::string_view name = "log";
    static double value(double x, double) { return std::log(x); }
    static double derivative(double x, double, double) { return 1.0 / x; }
};
/// y = sqrt x;  dy/dx = 1 / (2 sqrt x) = 1 / (2y)   (x = 0: dy/dx = +inf)
struct Sqrt : Unary {
    static constexpr std::string_view name = "sqrt";
    static double value(double x, double) { return std::sqrt(x); }
    static double derivative(double, double y, double) { return 0.5 / y; }
};
/// y = x^c (c a plain number);  dy/dx = c x^(c-1), and 0 for c = 0 (x^0 = 1 everywhere)
/// Written with pow(x, c-1), not y/x, so that x = 0 gives the right answer (0 for c > 1).
struct PowerScalar : Unary {
    static constexpr std::string_view name = "pow";
    static double value(double x, double c) { return is_nan(x) ? x : std::pow(x, c); }
    static double derivative(double x, double, double c) {
        return c == 0.0 && !is_nan(x) ? 0.0 : c * std::pow(x, c - 1.0);
    }
};
/// y = x^2;  dy/dx = 2x
struct Square : Unary {
    static constexpr std::string_view name = "square";
    static double value(double x, double) { return x * x; }
    static double derivative(double x, double, double) { return 2.0 * x; }
};
/// y = x^3;  dy/dx = 3x^2   (the op the tutorial's exercise adds: this struct, one line
/// in TAPEGRAD_OPS, and `cube` in var.hpp)
struct Cube : Unary {
    static constexpr std::string_view name = "cube";
    static double value(double x, double) { return x * x * x; }
    static double derivative(double x, double, double) { return 3.0 * x * x; }
};
/// y = |x|;  dy/dx = sign(x), and 0 at the kink x = 0 (a subgradient); NaN at NaN
struct Abs : Unary {
    static constexpr std::string_view name = "abs";
    static double value(double x, double) { return std::abs(x); }
    static double derivative(double x, double, double) { return x > 0.0 ? 1.0 : x < 0.0 ? -1.0 : x == 0.0 ? 0.0 : x; }
};
/// y = sin x;  dy/dx = cos x
struct Sin : Unary {
    static constexpr std::string_view name = "sin";
    static double value(double x, double) { return std::sin(x); }
    static double derivative(double x, double, double) { return std::cos(x); }
};
/// y = cos x;  dy/dx = -sin x
struct Cos : Unary {
    static constexpr std::string_view name = "cos";
    static double value(double x, double) { return std::cos(x); }
    static double derivative(double x, double, double) { return -std::sin(x); }
};
/// y = tanh x;  dy/dx = 1 - tanh^2 x = 1 - y^2
/// std::tanh saturates to ±1 without overflow, so tanh(±1000) = ±1 with derivative 0.
struct Tanh : Unary {
    static constexpr std::string_view name = "tanh";
    static double value(double x, double) { return std::tanh(x); }
    static double derivative(double, double y, double) { return 1.0 - y * y; }
};
// [sigmoid]
/// y = 1 / (1 + e^-x);  dy/dx = y (1 - y)
/// The naive form overflows e^-x for x << 0; for x < 0 use the equal e^x / (1 + e^x),
/// so only e^(-|x|) <= 1 is ever computed: sigmoid(-1000) = 0, sigmoid(1000) = 1.
struct Sigmoid : Unary {
    static constexpr std::string_view name = "sigmoid";
    static double value(double x, double) {
        if (x >= 0.0) return 1.0 / (1.0 + std::exp(-x));
        const double e = std::exp(x);
        return e / (1.0 + e);
    }
    static double derivative(double, double y, double) { return y * (1.0 - y); }
};
// [sigmoid]
/// y = max(0, x);  dy/dx = 1 for x > 0, else 0 (0 at the kink x = 0); NaN at NaN
struct Relu : Unary {
    static constexpr std::string_view name = "relu";
    static double value(double x, double) { return x <= 0.0 ? 0.0 : x; }
    static double derivative(double x, double, double) { return x > 0.0 ? 1.0 : x <= 0.0 ? 0.0 : x; }
};
/// y = x (the article's default activation);  dy/dx = 1
struct Identity : Unary {
    static constexpr std::string_view name = "identity";
    static double value(double x, double) { return x; }
    static double derivative(double, double, double) { return 1.0; }
};

// ---- Shape-changing operations, per output element Y_ij -------------------------------
// shape(s) checks the parents' shapes s[0..2]; value(e) = Y_ij; terms(e, p) elements of
// parent p reach Y_ij, term(e, p, l) is the l-th with its local derivative.

/// Y = A B (A: n x k, B: k x m):  Y_ij = sum_l A_il B_lj;  dY_ij/dA_il = B_lj,  dY_ij/dB_lj = A_il
struct MatMul {
    static constexpr std::string_view name = "matmul";
    static constexpr OpKind kind = OpKind::matrix;
    static constexpr int parents = 2;
    static Shape shape(const Shape* s) {
        if (s[0].cols != s[1].rows)
            refuse_shapes(name, s[0], s[1],
                          " do not fit (columns of the left, " + std::to_string(s[0].cols) +
                              ", must equal rows of the right, " + std::to_string(s[1].rows) + ")");
        return {s[0].rows, s[1].cols};
    }
    static double value(const Element& e) {
        double y = 0.0;
        for (std::size_t l = 0; l < e.p[0].shape.cols; ++l) y += e.p[0](e.i, l) * e.p[1](l, e.j);
        return y;
    }
    static std::size_t terms(const Element& e, int) { return e.p[0].shape.cols; }
    static Term term(const Element& e, int p, std::size_t l) {
        return p == 0 ? Term{e.i, l, e.p[1](l, e.j)} : Term{l, e.j, e.p[0](e.i, l)};
    }
};
// [linear]
/// Y = X W + b, a dense layer: X is n x k (n samples, k inputs), W is k x m, and the row
/// b (1 x m) is added to every row of X W. One operation, not matmul and add, so a layer
/// is one node: the tape's cost is per node (docs/09-performance.md).
///   Y_ij = b_j + sum_l X_il W_lj
///   dY_ij/dX_il = W_lj,   dY_ij/dW_lj = X_il,   dY_ij/db_j = 1
struct Linear {
    static constexpr std::string_view name = "linear";
    static constexpr OpKind kind = OpKind::matrix;
    static constexpr int parents = 3;
    static Shape shape(const Shape* s) {
        if (s[0].cols != s[1].rows)
            throw TapeError("linear: X is " + s[0].to_string() + " and W is " + s[1].to_string() + " (columns of X, " +
                            std::to_string(s[0].cols) + ", must equal rows of W, " + std::to_string(s[1].rows) + ")");
        if (s[2] != Shape{1, s[1].cols})
            throw TapeError("linear: the bias is " + s[2].to_string() + " but must be 1x" + std::to_string(s[1].cols) +
                            " (one row, a number per column of W)");
        return {s[0].rows, s[1].cols};
    }
    static double value(const Element& e) {
        double y = e.p[2](0, e.j);
        for (std::size_t l = 0; l < e.p[0].shape.cols; ++l) y += e.p[0](e.i, l) * e.p[1](l, e.j);
        return y;
    }
    static std::size_t terms(const Element& e, int p) { return p == 2 ? 1 : e.p[0].shape.cols; }
    static Term term(const Element& e, int p, std::size_t l) {
        if (p == 0) return {e.i, l, e.p[1](l, e.j)};
        if (p == 1) return {l, e.j, e.p[0](e.i, l)};
        return {0, e.j, 1.0};
    }
};
// [linear]
/// Y = A^T:  Y_ij = A_ji;  dY_ij/dA_ji = 1
struct Transpose {
    static constexpr std::string_view name = "transpose";
    static constexpr OpKind kind = OpKind::matrix;
    static constexpr int parents = 1;
    static Shape shape(const Shape* s) { return {s[0].cols, s[0].rows}; }
    static double value(const Element& e) { return e.p[0](e.j, e.i); }
    static std::size_t terms(const Element&, int) { return 1; }
    static Term term(const Element& e, int, std::size_t) { return {e.j, e.i, 1.0}; }
};
/// A reduction: Y_ij sums (times `Scale`) the elements of A along rows (ColSums: Y is
/// 1 x cols), along columns (RowSums: rows x 1) or both (Sum: 1 x 1); dY/dA = 1 (or 1/N
/// for a mean over N elements).
template <bool Down, bool Across, bool Mean>
struct Reduction {
    static constexpr int parents = 1;
    static constexpr OpKind kind = OpKind::reduction;
    static Shape shape(const Shape* s) { return {Down ? 1u : s[0].rows, Across ? 1u : s[0].cols}; }
    static std::size_t terms(const Element& e, int) {
        return (Down ? e.p[0].shape.rows : 1u) * std::size_t{Across ? e.p[0].shape.cols : 1u};
    }
    static Term term(const Element& e, int p, std::size_t l) {
        const std::size_t down = Down ? e.p[0].shape.rows : 1;
        const double scale = Mean ? 1.0 / static_cast<double>(terms(e, p)) : 1.0;
        return {Down ? l % down : e.i, Across ? l / down : e.j, scale};
    }
    static double value(const Element& e) {
        double y = 0.0;
        for (std::size_t l = 0, n = terms(e, 0); l < n; ++l) {
            const Term t = term(e, 0, l);
            y += e.p[0](t.row, t.col);
        }
        return Mean ? y / static_cast<double>(terms(e, 0)) : y;
    }
};
/// y = sum_ij A_ij (1 x 1);  dy/dA_ij = 1
struct Sum : Reduction<true, true, false> {
    static constexpr std::string_view name = "sum";
};
/// y = (1/N) sum_ij A_ij with N = rows * cols;  dy/dA_ij = 1/N
struct Mean : Reduction<true, true, true> {
    static constexpr std::string_view name = "mean";
};
/// y_j = sum_i A_ij (1 x cols: each column summed);  dy_j/dA_ij = 1
struct ColSums : Reduction<true, false, false> {
    static constexpr std::string_view name = "col_sums";
};
/// y_i = sum_j A_ij (rows x 1: each row summed);  dy_i/dA_ij = 1
struct RowSums : Reduction<false, true, false> {
    static constexpr std::string_view name = "row_sums";
};
/// y_j = (1/rows) sum_i A_ij;  dy_j/dA_ij = 1/rows
struct ColMeans : Reduction<true, false, true> {
    static constexpr std::string_view name = "col_means";
};
/// y_i = (1/cols) sum_j A_ij;  dy_i/dA_ij = 1/cols
struct RowMeans : Reduction<false, true, true> {
    static constexpr std::string_view name = "row_means";
};

// [log_softmax]
/// Y = log softmax of each row of A (n x K, a row of K logits per sample), the log of the
/// probabilities e^A_ij / sum_k e^A_ik, in the stable form: with m_i = max_k A_ik,
///   Y_ij = A_ij - m_i - log sum_k e^(A_ik - m_i)
/// so e is never taken of a positive number (logits of ±1000 give finite values) and the
/// sum is at least 1 (its log is never of 0). With s_il = e^(Y_il), the softmax:
///   dY_ij/dA_il = [j == l] - s_il
/// Backwards, Y_il = A_il - (A_ij - Y_ij), as both equal A_il minus the row's log-sum.
/// Cross-entropy against one-hot targets T is then -sum(T * Y) / n, whose gradient at the
/// logits comes out as (softmax - T) / n.
struct LogSoftmax {
    static constexpr std::string_view name = "log_softmax";
    static constexpr OpKind kind = OpKind::matrix;
    static constexpr int parents = 1;
    static Shape shape(const Shape* s) { return s[0]; }
    static double log_sum_exp(const Operand& a, std::size_t i) {
        double m = a(i, 0);
        for (std::size_t k = 1; k < a.shape.cols; ++k) m = a(i, k) > m || is_nan(a(i, k)) ? a(i, k) : m;
        if (is_nan(m) || std::isinf(m)) return m;  // a NaN row stays NaN; an infinite max is the IEEE answer
        double sum = 0.0;
        for (std::size_t k = 0; k < a.shape.cols; ++k) sum += std::exp(a(i, k) - m);
        return m + std::log(sum);
    }
    static double value(const Element& e) { return e.p[0](e.i, e.j) - log_sum_exp(e.p[0], e.i); }
    static std::size_t terms(const Element& e, int) { return e.p[0].shape.cols; }
    static Term term(const Element& e, int, std::size_t l) {
        const double log_sum = e.p[0](e.i, e.j) - e.y;
        const double softmax = std::exp(e.p[0](e.i, l) - log_sum);
        return {e.i, l, (l == e.j ? 1.0 : 0.0) - softmax};
    }
};
// [log_softmax]

// [mean_squared_error]
/// y = (1/N) sum_l (P_l - T_l)^2, the mean squared error of a prediction P against a
/// target T of the same shape (N elements): one node instead of subtract, square, mean.
///   dy/dP_l = 2 (P_l - T_l) / N,   dy/dT_l = -2 (P_l - T_l) / N
struct MeanSquaredError {
    static constexpr std::string_view name = "mse";
    static constexpr OpKind kind = OpKind::reduction;
    static constexpr int parents = 2;
    static Shape shape(const Shape* s) {
        if (s[0] != s[1])
            throw TapeError("mse: the prediction is " + s[0].to_string() + " but the target is " + s[1].to_string() +
                            " (they must have the same shape)");
        return {1, 1};
    }
    static double value(const Element& e) {
        double y = 0.0;
        for (std::size_t l = 0; l < e.p[0].shape.size(); ++l)
            y += (e.p[0].data[l] - e.p[1].data[l]) * (e.p[0].data[l] - e.p[1].data[l]);
        return y / static_cast<double>(e.p[0].shape.size());
    }
    static std::size_t terms(const Element& e, int) { return e.p[0].shape.size(); }
    static Term term(const Element& e, int p, std::size_t l) {
        const double g = 2.0 * (e.p[0].data[l] - e.p[1].data[l]) / static_cast<double>(e.p[0].shape.size());
        return {l % e.p[0].shape.rows, l / e.p[0].shape.rows, p == 0 ? g : -g};
    }
};
// [mean_squared_error]

/// Every operation: X(enum name, struct). The order is the enum's and nothing else.
// clang-format off
#define TAPEGRAD_OPS(X)          \
    X(variable, Variable)        \
    X(constant, Constant)        \
    X(add, Add)                  \
    X(subtract, Subtract)        \
    X(multiply, Multiply)        \
    X(divide, Divide)            \
    X(power, Power)              \
    X(negate, Negate)            \
    X(exp, Exp)                  \
    X(log, Log)                  \
    X(sqrt, Sqrt)                \
    X(power_scalar, PowerScalar) \
    X(square, Square)            \
    X(cube, Cube)                \
    X(abs, Abs)                  \
    X(sin, Sin)                  \
    X(cos, Cos)                  \
    X(tanh, Tanh)                \
    X(sigmoid, Sigmoid)          \
    X(relu, Relu)                \
    X(identity, Identity)        \
    X(matmul, MatMul)            \
    X(transpose, Transpose)      \
    X(linear, Linear)            \
    X(sum, Sum)                  \
    X(mean, Mean)                \
    X(col_sums, ColSums)         \
    X(row_sums, RowSums)         \
    X(col_means, ColMeans)       \
    X(row_means, RowMeans)       \
    X(mean_squared_error, MeanSquaredError) \
    X(log_softmax, LogSoftmax)
// clang-format on

}  // namespace tapegrad::ops

namespace tapegrad {

#define TAPEGRAD_ENUM(id, T) id,
/// The closed set of operations, generated from TAPEGRAD_OPS.
enum class Op : std::uint8_t { TAPEGRAD_OPS(TAPEGRAD_ENUM) };
#undef TAPEGRAD_ENUM
/// The Op of an operation's struct: op_of<ops::Multiply>() is Op::multiply.
template <class T>
constexpr Op op_of();
#define TAPEGRAD_OP_OF(id, T)      \
    template <>                    \
    constexpr Op op_of<ops::T>() { \
        return Op::id;             \
    }
TAPEGRAD_OPS(TAPEGRAD_OP_OF)
#undef TAPEGRAD_OP_OF
#define TAPEGRAD_COUNT(id, T) +1
/// How many operations there are: Op values run from 0 to op_count - 1.
inline constexpr int op_count = 0 TAPEGRAD_OPS(TAPEGRAD_COUNT);
#undef TAPEGRAD_COUNT

/// Calls f(ops::T{}) with the struct of `op`: the one switch every dispatch goes through.
template <class F>
inline decltype(auto) visit(Op op, F&& f) {
#define TAPEGRAD_CASE(id, T) \
    case Op::id: return f(ops::T{});
    switch (op) { TAPEGRAD_OPS(TAPEGRAD_CASE) }
#undef TAPEGRAD_CASE
    return f(ops::Constant{});  // not reached: every Op is listed
}

/// Short lower-case name of an operation, as printed in tape tables and drawings.
inline std::string_view op_name(Op op) {
    return visit(op, []<class T>(T) { return T::name; });
}
/// The operator symbol for arithmetic ("+", "*", ...), else the name.
inline std::string_view op_symbol(Op op) {
    return visit(op, []<class T>(T) {
        if constexpr (requires { T::symbol; })
            return T::symbol;
        else
            return T::name;
    });
}
/// How many parents a node of `op` has (0 for the leaves).
inline int op_parents(Op op) {
    return visit(op, []<class T>(T) { return T::parents; });
}
/// The kind its struct declares: op_kind(Op::multiply) is OpKind::broadcasting.
inline OpKind op_kind(Op op) {
    return visit(op, []<class T>(T) {
        static_assert(T::kind != OpKind::leaf || T::parents == 0, "a leaf has no parents");
        static_assert(T::kind != OpKind::elementwise || T::parents == 1, "elementwise: one parent");
        static_assert(T::kind != OpKind::broadcasting || (T::parents != 0 && T::parents != 1), "two or more parents");
        return T::kind;
    });
}
/// The kind as a word, as the tests and pages print it.
inline std::string_view kind_name(OpKind kind) {
    switch (kind) {
        case OpKind::leaf: return "leaf";
        case OpKind::elementwise: return "elementwise";
        case OpKind::broadcasting: return "broadcasting";
        case OpKind::reduction: return "reduction";
        case OpKind::matrix: return "matrix";
    }
    return "?";  // not reached: every OpKind is listed
}
inline bool is_leaf(Op op) { return op_kind(op) == OpKind::leaf; }

namespace ops {

/// The shape of T's result from its parents' shapes; TapeError when they do not fit.
template <class T>
inline Shape shape_of(const Shape* s) {
    if constexpr (std::is_base_of_v<Binary, T>) {
        if (s[0] == s[1] || s[1].is_scalar()) return s[0];  // the common cases, without the general rule
        if (s[0].is_scalar()) return s[1];
        const auto y = broadcast(s[0], s[1]);
        if (!y) refuse_shapes(T::name, s[0], s[1], " do not broadcast (each dimension must match, or one must be 1)");
        return *y;
    } else if constexpr (T::kind == OpKind::elementwise || T::kind == OpKind::leaf) {
        return s[0];
    } else {
        return T::shape(s);
    }
}
// Every op seen the same way by the tape, whatever its kind: Y_ij forwards; backwards, how
// many elements of parent p reach Y_ij, and the l-th of them with dY_ij / d that element.
template <class T>
double value(const Element& e) {
    if constexpr (std::is_base_of_v<Unary, T>)
        return T::value(e.p[0](e.i, e.j), e.constant);
    else if constexpr (std::is_base_of_v<Binary, T>)
        return T::value(e.p[0](e.i, e.j), e.p[1](e.i, e.j));
    else if constexpr (std::is_base_of_v<Leaf, T>)
        return 0.0;  // given, not computed
    else
        return T::value(e);
}
template <class T>
std::size_t terms(const Element& e, int p) {
    if constexpr (std::is_base_of_v<Leaf, T>)
        return 0;  // no parents
    else if constexpr (std::is_base_of_v<Unary, T> || std::is_base_of_v<Binary, T>)
        return 1;
    else
        return T::terms(e, p);
}
template <class T>
Term term(const Element& e, int p, std::size_t l) {
    if constexpr (std::is_base_of_v<Unary, T>) {
        return {e.i, e.j, T::derivative(e.p[0](e.i, e.j), e.y, e.constant)};
    } else if constexpr (std::is_base_of_v<Binary, T>) {
        const double a = e.p[0](e.i, e.j), b = e.p[1](e.i, e.j);
        return {e.i, e.j, p == 0 ? T::da(a, b, e.y) : T::db(a, b, e.y)};
    } else if constexpr (std::is_base_of_v<Leaf, T>) {
        return {0, 0, 0.0};
    } else {
        return T::term(e, p, l);
    }
}

}  // namespace ops
}  // namespace tapegrad
