// tests/op_cases.hpp — the cases every test of "one op, every shape class" walks: the
// parents' shapes each kind of op accepts (scalar, column, matrix, broadcast both ways),
// and deterministic numbers in [0.5, 1.5] to fill them (no sum cancels, so sums taken in
// another order agree to a few ulps). Used by test_fast_path and test_optimize.
#pragma once

#include <cmath>
#include <type_traits>
#include <vector>

#include <Eigen/Core>

#include "tapegrad/autodiff/operations.hpp"

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
        default: return {{scalar}, {column}, {matrix}, {row}};
    }
}

}  // namespace tapegrad::testing
