// examples/ch5_matrix_rules.cpp — tutorial chapter 5, a layer's gradient: the three
// matrix rules of the backward pass, each checked.
//
// A dense layer Y = X W + b (X: 4 samples x 2 inputs, W: 2 x 3, b: 1 x 3 added to every
// row) and a loss L = 1/2 sum((Y - T)^2), so that G = dL/dY = Y - T. With G in hand:
//     dX = G W^T,   dW = X^T G,   db = the column sums of G (b was used once per row).
// The program records the layer on the tape (the `linear` op), computes the three rules by
// hand with Eigen, and compares them with the tape's adjoints and, through the gradient
// checker, with central differences of L (which knows neither the rules nor the tape).
// Last, the same layer as matmul + a broadcast add: the broadcast's sum gives the same db.
#include <cstdio>
#include <iostream>
#include <span>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "cli.hpp"
#include "tapegrad/autodiff/format.hpp"
#include "tapegrad/autodiff/gradient_check.hpp"
#include "tapegrad/autodiff/tape.hpp"

using namespace tapegrad;

namespace {
void print_rows(const char* title, const Eigen::MatrixXd& m) {
    std::printf("%s\n", title);
    for (Eigen::Index i = 0; i < m.rows(); ++i) {
        std::printf("   ");
        for (Eigen::Index j = 0; j < m.cols(); ++j) std::printf(" %8.3f", m(i, j));
        std::printf("\n");
    }
}

// "below 1e-12" when a and b agree to that, else the largest difference.
std::string apart(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
    const double d = (a - b).cwiseAbs().maxCoeff();
    return d < 1e-12 ? "below 1e-12" : format_number(d, "%.1e");
}

// The checker's names of the elements, column by column as Eigen stores them: "X(0,0)", ...
std::vector<std::string> element_names() {
    std::vector<std::string> names;
    const auto add = [&](const char* name, int rows, int cols) {
        for (int j = 0; j < cols; ++j)
            for (int i = 0; i < rows; ++i)
                names.push_back(std::string(name) + "(" + std::to_string(i) + "," + std::to_string(j) + ")");
    };
    add("X", 4, 2);
    add("W", 2, 3);
    add("b", 1, 3);
    return names;
}

// L(X, W, b) in plain doubles, for central differences: no tape, no rules.
double loss_of(const Eigen::MatrixXd& x, const Eigen::MatrixXd& w, const Eigen::MatrixXd& b, const Eigen::MatrixXd& t) {
    const Eigen::MatrixXd y = (x * w).rowwise() + b.row(0);
    return 0.5 * (y - t).squaredNorm();
}
}  // namespace

int show_chapter() {
    Eigen::MatrixXd x(4, 2), w(2, 3), b(1, 3), t(4, 3);
    x << 1.0, 2.0,  // one row per sample, one column per input
        0.0, -1.0,  //
        3.0, 1.0,   //
        -2.0, 0.5;
    w << 0.5, -1.0, 2.0,  // one row per input, one column per output
        1.0, 0.0, -0.5;
    b << 0.1, -0.2, 0.3;
    t << 2.0, -1.0, 1.0,  // the targets
        -1.0, 0.0, 0.5,   //
        2.5, -3.0, 5.0,   //
        -0.5, 2.0, -4.0;

    // [record]
    Tape tape;
    const Var X = tape.variable(x), W = tape.variable(w), B = tape.variable(b);
    const Var Y = linear(X, W, B);  // one node: Y = X W + b, 4 x 3
    const Var L = 0.5 * sum(square(Y - tape.constant(t)));
    tape.gradient(L);
    // [record]

    // [rules]
    const Eigen::MatrixXd G = Y.value() - t;       // dL/dY, 4 x 3 (the loss is 1/2 sum (Y - T)^2)
    const Eigen::MatrixXd dX = G * w.transpose();  // 4 x 3 times 3 x 2: X's shape
    const Eigen::MatrixXd dW = x.transpose() * G;  // 2 x 4 times 4 x 3: W's shape
    const Eigen::MatrixXd db = G.colwise().sum();  // 1 x 3: b was used once in each row
    // [rules]

    std::printf("Y = X W + b: X 4x2, W 2x3, b 1x3;  L = 1/2 sum((Y - T)^2) = %.4f\n", L.scalar_value());
    print_rows("G = dL/dY = Y - T (4x3):", G);
    print_rows("dX = G W^T (4x2):", dX);
    print_rows("dW = X^T G (2x3):", dW);
    print_rows("db = column sums of G (1x3):", db);

    std::printf("\nthe rules against the tape's adjoints of Y, X, W and b:\n");
    std::printf("  G: %s   dX: %s   dW: %s   db: %s\n", apart(G, Y.adjoint()).c_str(), apart(dX, X.adjoint()).c_str(),
                apart(dW, W.adjoint()).c_str(), apart(db, B.adjoint()).c_str());

    // [check]
    // The rules' 17 numbers, judged by the gradient checker against central differences of L.
    std::vector<double> by_hand, point;
    for (const Eigen::MatrixXd* m : {&dX, &dW, &db}) by_hand.insert(by_hand.end(), m->data(), m->data() + m->size());
    for (const Eigen::MatrixXd* m : {&x, &w, &b}) point.insert(point.end(), m->data(), m->data() + m->size());
    const auto l_of = [&](std::span<const double> p) {  // the flat point back into X, W, b
        const Eigen::Map<const Eigen::MatrixXd> xp(p.data(), 4, 2), wp(p.data() + 8, 2, 3), bp(p.data() + 14, 1, 3);
        return loss_of(xp, wp, bp, t);
    };
    std::vector<double> rounding;
    const std::vector<double> numeric = central_differences(l_of, point, 1e-6, &rounding);
    const GradientReport report = compare_gradients(element_names(), by_hand, numeric, {}, rounding);
    // [check]
    std::printf("\nthe three rules against central differences of L:\n");
    std::cout << report;

    // [broadcast]
    // The same layer in two nodes: the bias row is broadcast over the 4 rows by +, and on the
    // way back the sweep's += adds the 4 shares it receives: the column sums, with no rule of its own.
    Tape tape2;
    const Var X2 = tape2.variable(x), W2 = tape2.variable(w), B2 = tape2.variable(b);
    const Var L2 = 0.5 * sum(square(matmul(X2, W2) + B2 - tape2.constant(t)));
    tape2.gradient(L2);
    // [broadcast]
    std::printf("\nmatmul(X, W) + b, the bias broadcast by +:\n");
    print_rows("  adjoint of b:", B2.adjoint());
    std::printf("  against the column sums of G: %s;  dX: %s, dW: %s\n", apart(B2.adjoint(), db).c_str(),
                apart(X2.adjoint(), dX).c_str(), apart(W2.adjoint(), dW).c_str());
    return report.passed ? 0 : 1;
}

// The chapter takes no arguments; any is refused, and lost output is an error.
int main(int argc, char** argv) { return tapegrad::cli::run_chapter(argc, argv, show_chapter); }
