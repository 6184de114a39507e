// examples/operation_checks.hpp — the gradient checker's cases for every operation of the
// tape, generated from TAPEGRAD_OPS by the kind each op declares (operations.hpp):
//
//   elementwise    y = f(x) at three numbers (-1.3, 0.4, 2.1, or 0.4, 1.1, 2.1 where f
//                  has no finite value at a negative number: log, sqrt)
//   broadcasting   two numbers, twice, and a number with a 6 x 1 column
//   reduction      a 2 x 3 matrix (each parent)
//   matrix         by parents: a 2 x 3 moved (transpose), (2x3)(3x2), or X W + b
//
// On numbers the loss is the op's value; on matrices sum(square(y)).
// A new op of a known kind appears here, and in gradient_check's output, without an edit.
// Used by gradient_check (its "ops" cases) and by the test that every list is generated
// (tests/test_sweep_page.cpp).
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "tapegrad/autodiff/format.hpp"
#include "tapegrad/autodiff/gradient_check.hpp"
#include "tapegrad/autodiff/operations.hpp"
#include "tapegrad/autodiff/tape.hpp"
#include "tapegrad/autodiff/var.hpp"

namespace tapegrad::examples {

/// One check of one op: the op, its line's name, the loss recorded from the parents, and
/// the point (the parents' values) where its gradient is checked.
struct OperationCheck {
    Op op;
    std::string name;
    TapeFunction loss;
    std::vector<Eigen::MatrixXd> point;
};

/// The op's constant in the checks: only pow(x, c) reads one.
inline double check_constant(Op op) { return op == Op::power_scalar ? 3.0 : 0.0; }

/// `op` on `p`, however many parents.
inline Var record_op(Tape& tape, Op op, const std::vector<Var>& p) {
    const double c = check_constant(op);
    switch (p.size()) {
        case 1: return tape.record(op, {p[0]}, c);
        case 2: return tape.record(op, {p[0], p[1]}, c);
        default: return tape.record(op, {p[0], p[1], p[2]}, c);
    }
}

/// The value of elementwise `op` at x (NaN or infinite outside its domain).
inline double elementwise_value(Op op, double x) {
    ops::Element e;
    e.p[0] = {&x, Shape{1, 1}};
    e.parents = 1;
    e.constant = check_constant(op);
    return visit(op, [&e]<class T>(T) { return ops::value<T>(e); });
}

inline std::vector<OperationCheck> operation_checks() {
    using Eigen::MatrixXd;
    const auto scalar = [](double x) { return MatrixXd::Constant(1, 1, x); };
    const auto number = [](double x) { return format_number(x); };
    MatrixXd a(2, 3), b(3, 2), bias(1, 2), other(2, 3), column(6, 1);
    a << 0.5, -1.2, 0.3, 0.9, 0.1, -0.4;
    b << 1.1, -0.2, 0.4, 0.8, -0.6, 0.5;
    bias << 0.3, -0.2;
    other << 0.1, -0.5, 0.4, 0.2, 0.7, -0.3;
    column << 0.59, 0.62, 0.17, 0.35, 0.89, 0.10;

    std::vector<OperationCheck> checks;
    // On numbers the loss is y itself; on matrices sum(square(y)), which gives every
    // element of y, and so of each parent, an adjoint of its own.
    const auto add = [&checks](Op op, std::string name, std::vector<MatrixXd> point) {
        bool numbers = true;
        for (const MatrixXd& m : point) numbers = numbers && m.size() == 1;
        checks.push_back({op, std::move(name),
                          [op, numbers](Tape& tape, const std::vector<Var>& p) {
                              const Var y = record_op(tape, op, p);
                              return numbers ? y : sum(square(y));
                          },
                          std::move(point)});
    };
    const auto shapes = [](const std::vector<MatrixXd>& point) {
        std::string s;
        for (const MatrixXd& m : point) s += "(" + std::to_string(m.rows()) + "x" + std::to_string(m.cols()) + ")";
        return s;
    };
    for (int i = 0; i < op_count; ++i) {
        const auto op = static_cast<Op>(i);
        const std::string name(op_name(op));
        const int parents = op_parents(op);
        switch (op_kind(op)) {
            case OpKind::leaf: break;
            case OpKind::elementwise: {
                std::vector<double> at{-1.3, 0.4, 2.1};
                if (!std::isfinite(elementwise_value(op, -1.3))) at = {0.4, 1.1, 2.1};
                const std::string label = check_constant(op) != 0.0 ? name + " " + number(check_constant(op)) : name;
                for (double x : at) add(op, label + " at x = " + number(x), {scalar(x)});
                break;
            }
            case OpKind::broadcasting:
                {
                    const std::string symbol(op_symbol(op));
                    const std::string form = symbol != name ? "a " + symbol + " b" : name + "(a, b)";
                    for (auto [x, y] : {std::pair{0.7, 1.9}, std::pair{2.3, -0.6}})
                        add(op, form + " at a = " + number(x) + ", b = " + number(y), {scalar(x), scalar(y)});
                    add(op, form + ", 1x1 a with 6x1 b", {scalar(0.7), column});
                }
                break;
            case OpKind::reduction: {
                std::vector<MatrixXd> point{a};
                for (int p = 1; p < parents; ++p) point.push_back(other);
                add(op, name + " " + shapes(point), point);
                break;
            }
            case OpKind::matrix: {
                const std::vector<MatrixXd> point = parents == 1   ? std::vector<MatrixXd>{a}
                                                    : parents == 2 ? std::vector<MatrixXd>{a, b}
                                                                   : std::vector<MatrixXd>{a, b, bias};
                add(op, name + " " + shapes(point), point);
                break;
            }
        }
    }
    return checks;
}

}  // namespace tapegrad::examples
