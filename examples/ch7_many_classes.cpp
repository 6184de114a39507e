// examples/ch7_many_classes.cpp — tutorial chapter 7, many classes: the softmax and
// cross-entropy on the tape.
//
// Three samples of three classes. First the loss -sum(T * log_softmax(Z)) / n recorded
// and swept: the adjoint that reaches the logits is the probabilities minus the one-hot
// targets, divided by n, and the program prints both to show it. Then why not a square
// loss on one-hot targets: for a confidently wrong sample the square loss's gradient all
// but vanishes, while cross-entropy's stays near 1 / n. Last, logits of 1000: the naive
// e^z / sum e^z overflows to NaN, the stable form the tape uses does not.
#include <cmath>
#include <cstdio>

#include <Eigen/Core>

#include "cli.hpp"
#include "tapegrad/autodiff/tape.hpp"
#include "tapegrad/nn/classes.hpp"

using namespace tapegrad;

namespace {
void print_rows(const char* title, const Eigen::MatrixXd& m) {
    std::printf("%s\n", title);
    for (Eigen::Index i = 0; i < m.rows(); ++i) {
        std::printf("   ");
        for (Eigen::Index j = 0; j < m.cols(); ++j)
            std::isnan(m(i, j)) ? std::printf(" %10s", "NaN") : std::printf(" %10.6f", m(i, j));
        std::printf("\n");
    }
}
}  // namespace

int show_chapter() {
    Eigen::MatrixXd logits(3, 3);  // one row per sample, one logit per class
    logits << 2.0, 0.5, -1.0,      //
        0.1, 0.3, 0.2,             //
        -0.5, 1.5, 3.0;
    // [softmax-gradient]
    Tape tape;
    const Var z = tape.variable(logits);                     // 3 samples x 3 classes
    const Var t = tape.constant(nn::one_hot({0, 2, 1}, 3));  // their classes: 0, 2, 1
    const Var loss = sum(t * log_softmax(z)) * (-1.0 / 3);   // -(1/n) sum of log p of the right class
    tape.gradient(loss);
    const Eigen::MatrixXd p = log_softmax(z).value().array().exp();  // the probabilities, for the printout
    // [softmax-gradient]
    std::printf("cross-entropy of 3 samples: %.6f\n", loss.scalar_value());
    print_rows("probabilities p = softmax(z), one row per sample:", p);
    print_rows("adjoint of the logits z after the sweep:", z.adjoint());
    print_rows("(p - one-hot) / 3, by hand:", (p - t.value()) / 3.0);
    const double apart = (z.adjoint() - (p - t.value()) / 3.0).cwiseAbs().maxCoeff();
    std::printf("the two agree to 1e-15: %s\n\n", apart <= 1e-15 ? "yes" : "no");

    // [square-loss]
    Eigen::MatrixXd wrong(1, 3);
    wrong << 10.0, 0.0, 0.0;  // very sure of class 0, but the sample is of class 2
    for (const bool square : {true, false}) {
        Tape tape2;
        const Var zw = tape2.variable(wrong);
        const Var target = tape2.constant(nn::one_hot({2}, 3));
        const Var l = square ? mean_squared_error(exp(log_softmax(zw)), target)  // square loss on the probabilities
                             : sum(target * log_softmax(zw)) * -1.0;             // cross-entropy
        tape2.gradient(l);
        std::printf("%-13s loss %9.6f   d loss / d z_right_class %12.6g\n", square ? "square loss" : "cross-entropy",
                    l.scalar_value(), zw.adjoint()(0, 2));
    }
    // [square-loss]

    // [stable]
    Eigen::MatrixXd huge(1, 3);
    huge << 1000.0, 999.0, -1000.0;
    const Eigen::MatrixXd naive = huge.array().exp() / huge.array().exp().sum();  // e^1000 is inf: inf / inf
    Tape tape3;
    const Eigen::MatrixXd stable = log_softmax(tape3.variable(huge)).value().array().exp();
    // [stable]
    std::printf("\nlogits 1000, 999, -1000:\n");
    print_rows("  naive e^z / sum e^z:", naive);
    print_rows("  exp(log_softmax(z)), the largest logit subtracted first:", stable);
    return 0;
}

int main(int argc, char** argv) { return tapegrad::cli::run_chapter(argc, argv, show_chapter); }
