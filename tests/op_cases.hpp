// tests/op_cases.hpp — the cases every test of "one op, every shape class" walks: the
// parents' shapes each kind of op accepts (scalar, column, matrix, broadcast both ways;
// chosen by op_kind, so a new op of a known kind has cases without an edit),
// deterministic numbers in [0.5, 1.5] to fill them (no sum cancels, so sums taken in
// another order agree to a few ulps), and record_with(), which records an op on any
// number of parents. Used by test_operations, test_kernels and test_optimized_tape.
// special_cases() fills the parents with IEEE specials instead (0, -0, ±inf, NaN, ±1e308,
// 1e-308, denormals) and weighs the loss's elements with zeros and non-zeros, so every
// kernel meets a zero adjoint beside an infinite operand: the cases of issue 28.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <type_traits>
#include <vector>

#include <Eigen/Core>

#include "tapegrad/autodiff/operations.hpp"
#include "tapegrad/autodiff/tape.hpp"

namespace tapegrad::testing {

using Eigen::MatrixXd;
using tapegrad::OpKind;

inline MatrixXd filled(Shape s, double seed) {  // deterministic numbers in [0.5, 1.5]
    MatrixXd x(s.rows, s.cols);
    for (Eigen::Index k = 0; k < x.size(); ++k) x.data()[k] = 1.0 + 0.5 * std::sin(seed + 1.7 * static_cast<double>(k));
    return x;
}

/// The shape of `op`'s result on parents of `shapes`, or nothing when they do not fit.
inline std::optional<Shape> result_shape(Op op, const std::vector<Shape>& shapes) {
    return tapegrad::visit(op, [&]<class T>(T) -> std::optional<Shape> {
        try {
            return tapegrad::ops::shape_of<T>(shapes.data());
        } catch (const TapeError&) {
            return std::nullopt;
        }
    });
}

// The parents' shapes to try for `op`: every shape class its kind of op accepts. Chosen by
// kind (and number of parents), so a new op of a known kind has its cases without an edit.
inline std::vector<std::vector<Shape>> shape_classes(Op op) {
    const Shape scalar{1, 1}, column{6, 1}, matrix{4, 3}, row{1, 3}, col4{4, 1};
    const int parents = tapegrad::op_parents(op);
    const auto each_parent = [parents](std::vector<Shape> shapes) {  // every parent of one shape
        std::vector<std::vector<Shape>> classes;
        for (Shape s : shapes) classes.emplace_back(static_cast<std::size_t>(parents), s);
        return classes;
    };
    switch (tapegrad::op_kind(op)) {
        case OpKind::leaf: return {};
        case OpKind::elementwise: return each_parent({scalar, column, matrix, row});
        case OpKind::broadcasting:
            if (parents == 2)  // every way two shapes broadcast
                return {{scalar, scalar}, {column, column}, {matrix, matrix}, {scalar, matrix}, {matrix, scalar},
                        {matrix, row},    {row, matrix},    {matrix, col4},   {col4, matrix},   {col4, row}};
            return each_parent({scalar, column, matrix});
        case OpKind::reduction:  // one parent: any shape; several (the mse): all of one shape
            return parents == 1 ? each_parent({scalar, column, matrix, row}) : each_parent({scalar, column, matrix});
        case OpKind::matrix:  // by parents: any shape moved (transpose), a product, a layer X W + b
            if (parents == 1) return {{scalar}, {column}, {matrix}, {row}};
            if (parents == 2)
                return {{scalar, scalar}, {column, {1, 4}}, {matrix, {3, 2}}, {row, {3, 1}}, {{40, 30}, {30, 20}}};
            return {{scalar, scalar, scalar},
                    {{6, 3}, {3, 2}, {1, 2}},
                    {{7, 5}, {5, 6}, {1, 6}},
                    {{50, 4}, {4, 4}, {1, 4}}};
    }
    return {};
}

/// `op` recorded on `parents`, however many (1 to 3).
inline Var record_with(Tape& tape, Op op, const std::vector<Var>& parents, double constant = 0.0) {
    switch (parents.size()) {
        case 1: return tape.record(op, {parents.at(0)}, constant);
        case 2: return tape.record(op, {parents.at(0), parents.at(1)}, constant);
        default: return tape.record(op, {parents.at(0), parents.at(1), parents.at(2)}, constant);
    }
}

// ---- IEEE specials ---------------------------------------------------------------------------

/// The edges of IEEE doubles, and two ordinary numbers between them.
inline const std::vector<double>& specials() {
    constexpr double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
    static const std::vector<double> s{0.0, -0.0, inf, -inf, nan, 1e308, -1e308, 1e-308, 4.9e-324, -1e-310, 1.0, -2.5};
    return s;
}
/// The loss's weights d loss / d y: zero (both signs), so nothing may flow, and non-zero.
inline const std::vector<double>& adjoint_weights() {
    static const std::vector<double> w{0.0, -0.0, 1.0, -0.5};
    return w;
}

/// One case: the parents' values, the loss's weights (y's shape) and the op's constant.
struct SpecialCase {
    std::vector<MatrixXd> parents;
    MatrixXd weights;
    double constant = 0.0;
};

// Deterministic picks from the specials (a fixed linear congruential sequence).
struct Picker {
    std::uint64_t state = 0x9e3779b97f4a7c15u;
    std::size_t next(std::size_t n) {
        state = state * 6364136223846793005u + 1442695040888963407u;
        return static_cast<std::size_t>(state >> 33) % n;
    }
    MatrixXd matrix(Shape s, const std::vector<double>& from) {
        MatrixXd m(s.rows, s.cols);
        for (Eigen::Index k = 0; k < m.size(); ++k) m.data()[k] = from[next(from.size())];
        return m;
    }
};

/// The cases for `op`. Elementwise ops: every special (every pair, for two parents, also
/// with either side a broadcast number, and a column against a row) under every weight.
/// The others: random small cases, where each sum has few enough terms that the order the
/// kernels add in cannot change an overflow (two, or the core's own order).
inline std::vector<SpecialCase> special_cases(Op op) {
    const std::vector<double>&x = specials(), &w = adjoint_weights();
    const auto n = static_cast<Eigen::Index>(x.size()), m = static_cast<Eigen::Index>(w.size());
    std::vector<SpecialCase> cases;
    const bool unary = tapegrad::op_kind(op) == OpKind::elementwise;
    const bool binary = tapegrad::op_kind(op) == OpKind::broadcasting && tapegrad::op_parents(op) == 2;
    if (unary) {
        MatrixXd v(n * m, 1), g(n * m, 1);
        for (Eigen::Index i = 0; i < n * m; ++i) v(i) = x[i % n], g(i) = w[i / n];
        for (double c : op == Op::power_scalar ? std::vector<double>{2.5, 0.0, -1.0, 0.5} : std::vector<double>{0.0})
            cases.push_back({{v}, g, c});
        return cases;
    }
    if (binary) {
        MatrixXd a(n * n * m, 1), b(n * n * m, 1), g(n * n * m, 1);
        for (Eigen::Index i = 0; i < n * n * m; ++i) a(i) = x[i % n], b(i) = x[(i / n) % n], g(i) = w[i / (n * n)];
        cases.push_back({{a, b}, g});
        MatrixXd column(n * m, 1), weights(n * m, 1);
        for (Eigen::Index i = 0; i < n * m; ++i) column(i) = x[i % n], weights(i) = w[i / n];
        for (double s : x) {
            cases.push_back({{MatrixXd::Constant(1, 1, s), column}, weights});
            cases.push_back({{column, MatrixXd::Constant(1, 1, s)}, weights});
        }
        MatrixXd row = MatrixXd(Eigen::Map<const MatrixXd>(x.data(), 1, n)), grid(n, n);
        for (Eigen::Index i = 0; i < n * n; ++i) grid.data()[i] = w[(i + i / n) % m];
        cases.push_back({{MatrixXd(row.transpose()), row}, grid});
        cases.push_back({{row, MatrixXd(row.transpose())}, grid});
        return cases;
    }
    // The others by kind, small: each element of y a sum of at most three terms.
    std::vector<std::vector<Shape>> shapes;
    const Shape one{1, 1}, two{2, 1}, pair{1, 2}, square{2, 2};
    const int parents = tapegrad::op_parents(op);
    switch (tapegrad::op_kind(op)) {
        case OpKind::matrix:
            if (parents == 1) shapes = {{{3, 4}}};
            if (parents == 2) shapes = {{one, one}, {two, pair}, {pair, two}, {square, square}, {{3, 2}, {2, 4}}};
            if (parents == 3)
                shapes = {{one, one, one}, {square, square, pair}, {{4, 2}, {2, 4}, {1, 4}}, {{3, 1}, {1, 3}, {1, 3}}};
            break;
        case OpKind::reduction:
            for (Shape s : {one, two, pair, square, Shape{2, 3}}) {
                const std::vector<Shape> all(static_cast<std::size_t>(parents), s);
                const auto y = result_shape(op, all);
                if (y && s.size() <= 3 * y->size()) shapes.push_back(all);
            }
            break;
        default: return cases;
    }
    // The mse without ±1e308: its kernels fold the adjoint into 2/N first, where the core's
    // 2 (P - T) / N overflows for |P - T| > 9e307 (a known difference, in the kernels' favour).
    std::vector<double> from = x;
    if (op == Op::mean_squared_error) std::erase_if(from, [](double v) { return std::abs(v) == 1e308; });
    Picker pick;
    for (const auto& s : shapes)
        for (int k = 0; k < 60; ++k) {
            SpecialCase c;
            for (Shape p : s) c.parents.push_back(pick.matrix(p, from));
            cases.push_back(std::move(c));  // weights: y's shape, known once recorded (special_weights)
        }
    return cases;
}
/// The weights for a case whose y has `shape` (the cases of shape-changing ops leave them to this).
inline MatrixXd special_weights(const SpecialCase& c, Shape shape, std::size_t which) {
    if (c.weights.size() > 0) return c.weights;
    Picker pick{which * 0x2545f4914f6cdd1du + 1};
    return pick.matrix(shape, adjoint_weights());
}

/// Whether two results agree at the specials: equal as IEEE numbers (so -0 and +0 agree,
/// the sign of a zero sum depending on where its additions start), both NaN, or, for
/// log_softmax (whose kernels take each row's log-sum once, where the core's formula takes
/// it per element), two finite numbers within rounding (1e-12 relative).
inline bool same_special(double a, double b, Op op = Op::add) {
    if (a == b || (std::isnan(a) && std::isnan(b))) return true;
    return op == Op::log_softmax && std::isfinite(a) && std::isfinite(b) &&
           std::abs(a - b) <= 1e-12 * std::max(std::abs(a), std::abs(b));
}

}  // namespace tapegrad::testing
