// tests/op_cases.hpp — the cases every test of "one op, every shape class" walks: the
// parents' shapes each kind of op accepts (scalar, column, matrix, broadcast both ways),
// deterministic numbers in [0.5, 1.5] to fill them (no sum cancels, so sums taken in
// another order agree to a few ulps), and record_with(), which records an op on any
// number of parents. Used by test_operations, test_fast_path and test_optimized_tape.
#pragma once

#include <cmath>
#include <type_traits>
#include <vector>

#include <Eigen/Core>

#include "tapegrad/autodiff/operations.hpp"
#include "tapegrad/autodiff/tape.hpp"

namespace tapegrad::testing {

using Eigen::MatrixXd;

inline MatrixXd filled(Shape s, double seed) {  // deterministic numbers in [0.5, 1.5]
    MatrixXd x(s.rows, s.cols);
    for (Eigen::Index k = 0; k < x.size(); ++k) x.data()[k] = 1.0 + 0.5 * std::sin(seed + 1.7 * static_cast<double>(k));
    return x;
}

// The parents' shapes to try for `op`: every shape class its kind of op accepts.
inline std::vector<std::vector<Shape>> shape_classes(Op op) {
    const Shape scalar{1, 1}, column{6, 1}, matrix{4, 3}, row{1, 3}, col4{4, 1};
    const bool binary = tapegrad::visit(op, []<class T>(T) { return std::is_base_of_v<tapegrad::ops::Binary, T>; });
    if (binary)
        return {{scalar, scalar}, {column, column}, {matrix, matrix}, {scalar, matrix}, {matrix, scalar},
                {matrix, row},    {row, matrix},    {matrix, col4},   {col4, matrix},   {col4, row}};
    switch (op) {
        case Op::matmul:
            return {{scalar, scalar}, {column, {1, 4}}, {matrix, {3, 2}}, {row, {3, 1}}, {{40, 30}, {30, 20}}};
        case Op::linear:
            return {{scalar, scalar, scalar},
                    {{6, 3}, {3, 2}, {1, 2}},
                    {{7, 5}, {5, 6}, {1, 6}},
                    {{50, 4}, {4, 4}, {1, 4}}};
        case Op::mean_squared_error: return {{scalar, scalar}, {column, column}, {matrix, matrix}};
        case Op::weighted_sum:  // one to four products, with and without a bias (1 x 1 or the sum's shape)
            return {{scalar, column},
                    {scalar, scalar, scalar},
                    {scalar, column, scalar},
                    {scalar, matrix, scalar, matrix, matrix},
                    {scalar, column, scalar, column, scalar, column, scalar},
                    {scalar, matrix, scalar, matrix, scalar, matrix, scalar, matrix, scalar}};
        default: return {{scalar}, {column}, {matrix}, {row}};
    }
}

/// `op` recorded on `parents`, however many (a weighted sum takes up to nine).
[[gnu::noinline]] inline Var record_with(Tape& tape, Op op, const std::vector<Var>& parents, double constant = 0.0) {
    switch (parents.size()) {
        case 1: return tape.record(op, {parents.at(0)}, constant);
        case 2: return tape.record(op, {parents.at(0), parents.at(1)}, constant);
        case 3: return tape.record(op, {parents.at(0), parents.at(1), parents.at(2)}, constant);
        default: return tape.record_weighted_sum(parents);
    }
}

}  // namespace tapegrad::testing
