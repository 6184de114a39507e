/// \file
/// Every operation the tape knows, one struct each, and TAPEGRAD_OPS, the list of them all.
///
/// A struct gives an op's name, kind, value and each parent's local derivative, with the math
/// in a comment above it; `Op`, the dispatch and the tests' cases come from the list. A new op
/// is a struct, an entry in the list and a function in var.hpp (see `Cube`). Elementwise ops
/// are scalar functions, applied with broadcasting; the others are written per output element
/// Y_ij: value(e), and term(e, p, l), the l-th element of parent p that Y_ij depends on with
/// dY_ij / dP. Where the math has no finite answer the IEEE result stands, and NaN gives NaN.
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

namespace ops {
/// One parent as a formula reads it: a dimension of size 1 repeats (broadcasting).
/// Element (i, j) is at (i & rows) + j * across: `rows` has every bit set (row i is i) or is
/// 0 (the one row, read for every i); `across` is the step to the next column, 0 where the
/// one column repeats. Made for each parent a node has: the Element's others stay unset
/// (never read), since zeroing them on every node cost the tape about 7%.
struct Operand {
    const double* data;
    Shape shape;
    std::size_t rows, across;
    Operand() = default;
    Operand(const double* d, Shape s)
        : data(d), shape(s), rows(s.rows == 1 ? 0 : ~std::size_t{0}), across(s.cols == 1 ? 0 : s.rows) {}
    std::size_t at(std::size_t i, std::size_t j) const { return (i & rows) + j * across; }
    double operator()(std::size_t i, std::size_t j) const { return data[at(i, j)]; }
};
inline constexpr int most_parents = 3;  ///< the most parents a node can have (linear: X, W, b)
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

[[noreturn]] inline void refuse_shapes(std::string_view name, Shape a, Shape b, std::string_view why) {
    throw TapeError(std::string(name) + ": shapes " + a.to_string() + " and " + b.to_string() + std::string(why));
}
inline bool is_nan(double x) { return x != x; }

/// Every op derives its kind and its number of parents from here, most through these three.
template <OpKind K, int Parents>
struct Kind {
    static constexpr OpKind kind = K;
    static constexpr int parents = Parents;
};
struct Leaf : Kind<OpKind::leaf, 0> {};            ///< recorded with a value, nothing computed
struct Unary : Kind<OpKind::elementwise, 1> {};    ///< y = f(x), elementwise
struct Binary : Kind<OpKind::broadcasting, 2> {};  ///< y = f(a, b), elementwise with broadcasting
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

// ---- Elementwise, one parent: y = f(x); derivative(x, y, c) = dy/dx (c: power_scalar's exponent) ----
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
/// y = x^3;  dy/dx = 3x^2   (the op the tutorial's exercise adds, as the file's top says)
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

// ---- Shape-changing, per output element Y_ij: shape(s) checks the parents' shapes s[0..2];
// value(e) = Y_ij; terms(e, p) elements of parent p reach Y_ij, term(e, p, l) is the l-th.
/// Y = A B (A: n x k, B: k x m):  Y_ij = sum_l A_il B_lj;  dY_ij/dA_il = B_lj,  dY_ij/dB_lj = A_il
struct MatMul : Kind<OpKind::matrix, 2> {
    static constexpr std::string_view name = "matmul";
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
/// Y = X W + b, a dense layer, one node: X is n x k (n samples, k inputs), W is k x m, and
/// the row b (1 x m) is added to every row.  Y_ij = b_j + sum_l X_il W_lj
///   dY_ij/dX_il = W_lj,   dY_ij/dW_lj = X_il,   dY_ij/db_j = 1
struct Linear : Kind<OpKind::matrix, 3> {
    static constexpr std::string_view name = "linear";
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
        return p == 2 ? Term{0, e.j, 1.0} : MatMul::term(e, p, l);  // X and W as in X W
    }
};
// [linear]
/// Y = A^T:  Y_ij = A_ji;  dY_ij/dA_ji = 1
struct Transpose : Kind<OpKind::matrix, 1> {
    static constexpr std::string_view name = "transpose";
    static Shape shape(const Shape* s) { return {s[0].cols, s[0].rows}; }
    static double value(const Element& e) { return e.p[0](e.j, e.i); }
    static std::size_t terms(const Element&, int) { return 1; }
    static Term term(const Element& e, int, std::size_t) { return {e.j, e.i, 1.0}; }
};
/// Y sums A down the rows (Down: 1 x cols), across the columns (Across: rows x 1) or both; a Mean divides by N.
template <bool Down, bool Across, bool Mean>
struct Reduction : Kind<OpKind::reduction, 1> {
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
/// Y = log softmax of each row of A (n x K: K logits per sample), the log of the probabilities
/// e^A_ij / sum_k e^A_ik, stably: with m_i = max_k A_ik,  Y_ij = A_ij - m_i - log sum_k e^(A_ik - m_i),
/// so e is never taken of a positive number (logits of ±1000 stay finite) nor log of 0 (sum >= 1).
///   dY_ij/dA_il = [j == l] - s_il,  s_il = e^(Y_il) the softmax; backwards, Y_il = A_il - (A_ij - Y_ij)
/// Cross-entropy against one-hot targets T is -sum(T * Y) / n: its gradient is (softmax - T) / n.
struct LogSoftmax : Kind<OpKind::matrix, 1> {
    static constexpr std::string_view name = "log_softmax";
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
/// y = (1/N) sum_l (P_l - T_l)^2, the mean squared error of a prediction P against a
/// target T of the same shape (N elements): one node instead of subtract, square, mean.
///   dy/dP_l = 2 (P_l - T_l) / N,   dy/dT_l = -2 (P_l - T_l) / N
struct MeanSquaredError : Kind<OpKind::reduction, 2> {
    static constexpr std::string_view name = "mse";
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

/// Every operation: X(enum name, struct), grouped by kind. The order is the enum's and nothing else.
// clang-format off
#define TAPEGRAD_OPS(X)                                                                                               \
    X(variable, Variable) X(constant, Constant)                                                                       \
    X(add, Add) X(subtract, Subtract) X(multiply, Multiply) X(divide, Divide) X(power, Power)                         \
    X(negate, Negate) X(exp, Exp) X(log, Log) X(sqrt, Sqrt) X(power_scalar, PowerScalar) X(square, Square)            \
    X(cube, Cube) X(abs, Abs) X(sin, Sin) X(cos, Cos) X(tanh, Tanh) X(sigmoid, Sigmoid) X(relu, Relu)                 \
    X(identity, Identity)                                                                                             \
    X(matmul, MatMul) X(transpose, Transpose) X(linear, Linear)                                                       \
    X(sum, Sum) X(mean, Mean) X(col_sums, ColSums) X(row_sums, RowSums) X(col_means, ColMeans) X(row_means, RowMeans) \
    X(mean_squared_error, MeanSquaredError) X(log_softmax, LogSoftmax)
// clang-format on
}  // namespace ops

#define TAPEGRAD_ENUM(id, T) id,
/// The closed set of operations, generated from TAPEGRAD_OPS.
enum class Op : std::uint8_t { TAPEGRAD_OPS(TAPEGRAD_ENUM) };
#undef TAPEGRAD_ENUM
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
        if constexpr (requires { T::symbol; }) return T::symbol;
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
/// The kind as a word, as the tests and pages print it (the words in OpKind's order).
inline std::string_view kind_name(OpKind kind) {
    constexpr std::string_view names[] = {"leaf", "elementwise", "broadcasting", "reduction", "matrix"};
    return names[static_cast<int>(kind)];
}
inline bool is_leaf(Op op) { return op_kind(op) == OpKind::leaf; }

namespace ops {

/// The shape of T's result from its parents' shapes; TapeError when they do not fit.
template <class T>
inline Shape shape_of(const Shape* s) {
    if constexpr (requires { T::shape(s); }) return T::shape(s);
    if constexpr (!std::is_base_of_v<Binary, T>) return s[0];  // elementwise: the parent's shape
    if (s[0] == s[1] || s[1].is_scalar()) return s[0];         // the common cases, without the general rule
    if (s[0].is_scalar()) return s[1];
    const auto y = broadcast(s[0], s[1]);
    if (!y) refuse_shapes(T::name, s[0], s[1], " do not broadcast (each dimension must match, or one must be 1)");
    return *y;
}
// Every op seen the same way by the tape, whatever its kind: Y_ij forwards; backwards, how
// many elements of parent p reach Y_ij, and the l-th of them with dY_ij / d that element.
template <class T>
double value(const Element& e) {
    if constexpr (std::is_base_of_v<Unary, T>) return T::value(e.p[0](e.i, e.j), e.constant);
    if constexpr (std::is_base_of_v<Binary, T>) return T::value(e.p[0](e.i, e.j), e.p[1](e.i, e.j));
    if constexpr (requires { T::value(e); }) return T::value(e);
    return 0.0;  // a leaf: given, not computed
}
template <class T>
std::size_t terms(const Element& e, int p) {
    if constexpr (requires { T::terms(e, p); }) return T::terms(e, p);
    return T::parents == 0 ? 0 : 1;  // a leaf has none; an elementwise op one per parent
}
template <class T>
Term term(const Element& e, int p, std::size_t l) {
    if constexpr (std::is_base_of_v<Unary, T>) return {e.i, e.j, T::derivative(e.p[0](e.i, e.j), e.y, e.constant)};
    if constexpr (std::is_base_of_v<Binary, T>) {
        const double a = e.p[0](e.i, e.j), b = e.p[1](e.i, e.j);
        return {e.i, e.j, p == 0 ? T::da(a, b, e.y) : T::db(a, b, e.y)};
    }
    if constexpr (requires { T::term(e, p, l); }) return T::term(e, p, l);
    return {0, 0, 0.0};  // a leaf: no parents
}
}  // namespace ops
}  // namespace tapegrad
