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

#include <array>
#include <cmath>
#include <cstdint>
#include <string_view>
#include <utility>

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
    linear,     // a dense layer, X W + b: three parents
    sum,
    mean,
    col_sums,
    row_sums,
    col_means,
    row_means,           // reductions
    mean_squared_error,  // a loss: two parents, 1 x 1
};

/// The last operation of the enum, for code that visits them all.
inline constexpr Op last_op = Op::mean_squared_error;

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
namespace detail {
// Linear's kernels for a layer of at most 4 inputs and 4 outputs (K, M known at compile
// time): W stays in registers, one pass over the rows does all the work, and the sums
// over the rows (dW, db) build up in registers, with no horizontal additions at the end.
// Inputs are never written, so they are __restrict even when two of them are one node.
template <int K, int M>
struct SmallLinear {
    // Y_i: = b + X_i: W, row by row
    static void forward(const double* __restrict x, const double* __restrict w, const double* __restrict b,
                        double* __restrict y, Eigen::Index n) {
        double wr[K][M];
        for (int l = 0; l < K; ++l)
            for (int j = 0; j < M; ++j) wr[l][j] = w[l + j * K];
        for (Eigen::Index i = 0; i < n; ++i) {
            double s[M];
            for (int j = 0; j < M; ++j) s[j] = b[j];
            for (int l = 0; l < K; ++l)
                for (int j = 0; j < M; ++j) s[j] += x[i + l * n] * wr[l][j];
            for (int j = 0; j < M; ++j) y[i + j * n] = s[j];
        }
    }
    // dW += X^T dY, db += column sums of dY, dX += dY W^T; a null output is not wanted.
    // The outputs may be one node (linear(A, A, b)): each only ever gets +=.
    static void backward(const double* __restrict x, const double* __restrict w, const double* __restrict dy,
                         double* dx, double* dw, double* db, Eigen::Index n) {
        double wr[K][M], sum_w[K][M] = {}, sum_b[M] = {};
        for (int l = 0; l < K; ++l)
            for (int j = 0; j < M; ++j) wr[l][j] = w[l + j * K];
        for (Eigen::Index i = 0; i < n; ++i) {
            double d[M];
            for (int j = 0; j < M; ++j) {
                d[j] = dy[i + j * n];
                sum_b[j] += d[j];
            }
            for (int l = 0; l < K; ++l) {
                double sx = 0;
                for (int j = 0; j < M; ++j) {
                    sum_w[l][j] += x[i + l * n] * d[j];
                    sx += wr[l][j] * d[j];
                }
                if (dx) dx[i + l * n] += sx;
            }
        }
        if (dw)
            for (int l = 0; l < K; ++l)
                for (int j = 0; j < M; ++j) dw[l + j * K] += sum_w[l][j];
        if (db)
            for (int j = 0; j < M; ++j) db[j] += sum_b[j];
    }
};

// SmallLinear<k, m>::forward or ::backward for 1 <= k, m <= 4, from a table of the 16
// instantiations; false (and nothing run) for any other size.
template <bool Forward, class... Args>
bool small_linear(Eigen::Index k, Eigen::Index m, Args... args) {
    if (k < 1 || k > 4 || m < 1 || m > 4) return false;
    static constexpr auto table = []<int... I>(std::integer_sequence<int, I...>) {
        if constexpr (Forward)
            return std::array{&SmallLinear<I / 4 + 1, I % 4 + 1>::forward...};
        else
            return std::array{&SmallLinear<I / 4 + 1, I % 4 + 1>::backward...};
    }(std::make_integer_sequence<int, 16>{});
    table[(k - 1) * 4 + (m - 1)](args...);
    return true;
}
}  // namespace detail

// [linear]
/// Y = X W + b, a dense layer: X is n x k (n samples, k inputs), W is k x m, and the row
/// b (1 x m) is added to every row of X W. Written as one operation, not matmul and add,
/// so a layer is one node: the tape's cost is per node (docs/08-performance.md).
///   Y_ij = sum_l X_il W_lj + b_j
///   dX += dY W^T        (dY_ij reaches X_il through W_lj)
///   dW += X^T dY        (and W_lj through X_il, for every sample i)
///   db += column sums of dY   (b_j is in every row of column j)
/// Layers of up to 4 inputs and outputs run the register kernels of detail::SmallLinear;
/// larger ones go to Eigen's matrix product, which packs and blocks for the cache.
struct Linear {
    static void forward(const ConstMap& x, const ConstMap& w, const ConstMap& b, Map& y) {
        if (detail::small_linear<true>(w.rows(), w.cols(), x.data(), w.data(), b.data(), y.data(), x.rows())) return;
        y.noalias() = x * w;
        y.rowwise() += b.row(0);
    }
    /// `want_*` false skips a parent whose adjoint nobody reads (data; see MatMul).
    static void backward(const ConstMap& x, const ConstMap& w, const ConstMap& dy, Map& dx, Map& dw, Map& db,
                         bool want_x, bool want_w, bool want_b) {
        if (detail::small_linear<false>(w.rows(), w.cols(), x.data(), w.data(), dy.data(),
                                        want_x ? dx.data() : nullptr, want_w ? dw.data() : nullptr,
                                        want_b ? db.data() : nullptr, x.rows()))
            return;
        if (want_x) dx.noalias() += dy * w.transpose();
        if (want_w) dw.noalias() += x.transpose() * dy;
        if (want_b) db.noalias() += dy.colwise().sum();
    }
};
// [linear]
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

// [mean_squared_error]
/// y = (1/N) sum_i (P_i - T_i)^2, the mean squared error of a prediction P against a
/// target T of the same shape (N elements): one node instead of subtract, square, mean.
///   dP_i += dy * 2 (P_i - T_i) / N
///   dT_i -= dy * 2 (P_i - T_i) / N
struct MeanSquaredError {
    static void forward(const ConstMap& p, const ConstMap& t, Map& y) {
        const Eigen::Index count = p.size();
        double s0 = 0, s1 = 0;  // two sums, so the additions need not wait for each other
        Eigen::Index i = 0;
        for (; i + 1 < count; i += 2) {
            const double e0 = p.data()[i] - t.data()[i], e1 = p.data()[i + 1] - t.data()[i + 1];
            s0 += e0 * e0;
            s1 += e1 * e1;
        }
        if (i < count) s0 += (p.data()[i] - t.data()[i]) * (p.data()[i] - t.data()[i]);
        y(0, 0) = (s0 + s1) / static_cast<double>(count);
    }
    static void backward(const ConstMap& p, const ConstMap& t, const ConstMap& dy, Map& dp, Map& dt, bool want_p,
                         bool want_t) {
        if (dy(0, 0) == 0.0) return;  // nothing flows (and no 0 * inf; see tape.cpp)
        const Eigen::Index count = p.size();
        const double scale = 2.0 * dy(0, 0) / static_cast<double>(count);
        if (want_p && !want_t) {  // the usual case: the target is data
            for (Eigen::Index i = 0; i < count; ++i) dp.data()[i] += scale * (p.data()[i] - t.data()[i]);
            return;
        }
        for (Eigen::Index i = 0; i < count; ++i) {
            const double g = scale * (p.data()[i] - t.data()[i]);
            if (want_p) dp.data()[i] += g;
            if (want_t) dt.data()[i] -= g;  // dp and dt may be the same memory (P against P): both add
        }
    }
};
// [mean_squared_error]

}  // namespace ops
}  // namespace tapegrad
