// tests/test_var.cpp — every operation of autodiff/var.hpp, recorded on a tape, in shapes.
//
// For each operation the tape's adjoints are compared with (1) the derivative derived by
// hand and written here in closed form, and (2) central finite differences through the
// project's gradient checker. To give every element a different adjoint, the output is
// reduced as loss = sum(W ⊙ f(inputs)) with a fixed weight matrix W, so the expected
// adjoint of an input element is W times the local derivative (summed over the elements
// it was broadcast to). Hand formulas: agreement to 1e-12 relative. Finite differences:
// rtol 1e-6, atol 1e-8 (step 1e-6; the rounding error is near 1e-10 relative).
// The tables are written by hand (the Var functions and their formulas are what is tested),
// and every_op_of_the_list_has_a_case_here fails for an op of TAPEGRAD_OPS none records.
#define BOOST_TEST_MODULE var
#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <functional>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "tapegrad/autodiff/gradient_check.hpp"
#include "tapegrad/autodiff/tape.hpp"

namespace bdata = boost::unit_test::data;
using Eigen::MatrixXd;
using tapegrad::Shape;
using tapegrad::Tape;
using tapegrad::Var;

namespace {

// A matrix of distinct values in [lo, hi], deterministic.
MatrixXd filled(Eigen::Index rows, Eigen::Index cols, double lo, double hi, double phase = 0.0) {
    MatrixXd m(rows, cols);
    for (Eigen::Index k = 0; k < m.size(); ++k)
        m.data()[k] = lo + (hi - lo) * (0.5 + 0.5 * std::sin(1.7 * static_cast<double>(k) + 0.3 + phase));
    return m;
}
// The weights W of loss = sum(W ⊙ y): distinct, of both signs.
MatrixXd weights(Eigen::Index rows, Eigen::Index cols) { return filled(rows, cols, -1.5, 2.0, 2.0); }

Var weighted_sum(Tape& tape, Var y) { return sum(tape.constant(weights(y.shape().rows, y.shape().cols)) * y); }

bool close(const MatrixXd& a, const MatrixXd& b, double rtol = 1e-12) {
    if (a.rows() != b.rows() || a.cols() != b.cols()) return false;
    for (Eigen::Index k = 0; k < a.size(); ++k)
        if (!(std::abs(a.data()[k] - b.data()[k]) <= rtol * std::max(1.0, std::abs(b.data()[k])))) return false;
    return true;
}

// ---- Elementwise, one parent -----------------------------------------------------------
struct UnaryCase {
    std::string name;
    std::function<Var(Var)> op;
    std::function<double(double)> value;       // y = f(x), written independently
    std::function<double(double)> derivative;  // dy/dx by hand
    bool positive_only = false;
};
std::ostream& operator<<(std::ostream& out, const UnaryCase& k) { return out << k.name; }

std::vector<UnaryCase> unary_cases() {
    auto sig = [](double x) { return 1 / (1 + std::exp(-x)); };
    return {
        {"negate", [](Var x) { return -x; }, [](double x) { return -x; }, [](double) { return -1.0; }},
        {"exp", [](Var x) { return exp(x); }, [](double x) { return std::exp(x); },
         [](double x) { return std::exp(x); }},
        {"log", [](Var x) { return log(x); }, [](double x) { return std::log(x); }, [](double x) { return 1 / x; },
         true},
        {"sqrt", [](Var x) { return sqrt(x); }, [](double x) { return std::sqrt(x); },
         [](double x) { return 0.5 / std::sqrt(x); }, true},
        {"pow 3", [](Var x) { return pow(x, 3.0); }, [](double x) { return x * x * x; },
         [](double x) { return 3 * x * x; }},
        {"pow 1.5", [](Var x) { return pow(x, 1.5); }, [](double x) { return x * std::sqrt(x); },
         [](double x) { return 1.5 * std::sqrt(x); }, true},
        {"square", [](Var x) { return square(x); }, [](double x) { return x * x; }, [](double x) { return 2 * x; }},
        {"cube", [](Var x) { return cube(x); }, [](double x) { return x * x * x; }, [](double x) { return 3 * x * x; }},
        {"abs", [](Var x) { return abs(x); }, [](double x) { return std::abs(x); },
         [](double x) { return x > 0 ? 1.0 : -1.0; }},
        {"sin", [](Var x) { return sin(x); }, [](double x) { return std::sin(x); },
         [](double x) { return std::cos(x); }},
        {"cos", [](Var x) { return cos(x); }, [](double x) { return std::cos(x); },
         [](double x) { return -std::sin(x); }},
        {"tanh", [](Var x) { return tanh(x); }, [](double x) { return std::tanh(x); },
         [](double x) { return 1 / std::pow(std::cosh(x), 2); }},
        {"sigmoid", [](Var x) { return sigmoid(x); }, sig, [sig](double x) { return sig(x) * (1 - sig(x)); }},
        {"relu", [](Var x) { return relu(x); }, [](double x) { return x > 0 ? x : 0.0; },
         [](double x) { return x > 0 ? 1.0 : 0.0; }},
        {"identity", [](Var x) { return identity(x); }, [](double x) { return x; }, [](double) { return 1.0; }},
        {"divide by 4", [](Var x) { return x / 4.0; }, [](double x) { return x / 4; }, [](double) { return 0.25; }},
        {"3 divided by", [](Var x) { return 3.0 / x; }, [](double x) { return 3 / x; },
         [](double x) { return -3 / (x * x); }, true},
        {"plus 2", [](Var x) { return x + 2.0; }, [](double x) { return x + 2; }, [](double) { return 1.0; }},
        {"2 plus", [](Var x) { return 2.0 + x; }, [](double x) { return 2 + x; }, [](double) { return 1.0; }},
        {"minus 2", [](Var x) { return x - 2.0; }, [](double x) { return x - 2; }, [](double) { return 1.0; }},
        {"2 minus", [](Var x) { return 2.0 - x; }, [](double x) { return 2 - x; }, [](double) { return -1.0; }},
        {"times 3", [](Var x) { return x * 3.0; }, [](double x) { return 3 * x; }, [](double) { return 3.0; }},
        {"3 times", [](Var x) { return 3.0 * x; }, [](double x) { return 3 * x; }, [](double) { return 3.0; }},
    };
}

const std::vector<Shape> unary_shapes{{1, 1}, {6, 1}, {2, 3}};

}  // namespace

BOOST_DATA_TEST_CASE(unary_operation_in_every_shape, bdata::make(unary_cases()) * bdata::make(unary_shapes), k, shape) {
    // Inputs away from kinks (relu, abs at 0) and inside the domain (log, sqrt: x > 0).
    const MatrixXd x =
        k.positive_only ? filled(shape.rows, shape.cols, 0.2, 3.0) : filled(shape.rows, shape.cols, -2.0, 2.0);
    BOOST_TEST_CONTEXT(k.name << " on " << shape.to_string()) {
        Tape tape;
        const Var xv = tape.variable(x);
        const Var y = k.op(xv);
        BOOST_TEST((y.shape() == shape));
        MatrixXd want_value(x.rows(), x.cols()), want_adjoint(x.rows(), x.cols());
        const MatrixXd w = weights(x.rows(), x.cols());
        for (Eigen::Index e = 0; e < x.size(); ++e) {
            want_value.data()[e] = k.value(x.data()[e]);
            want_adjoint.data()[e] = w.data()[e] * k.derivative(x.data()[e]);
        }
        BOOST_TEST(close(y.value(), want_value));
        tape.gradient(weighted_sum(tape, y));
        BOOST_TEST(close(xv.adjoint(), want_adjoint), "tape\n" << xv.adjoint() << "\nby hand\n" << want_adjoint);

        const auto report = tapegrad::check_gradient(
            [&](Tape& t, const std::vector<Var>& p) { return weighted_sum(t, k.op(p[0])); }, std::vector<MatrixXd>{x});
        BOOST_TEST(report.passed, report);
    }
}

// ---- Elementwise, two parents, with broadcasting ----------------------------------------
namespace {
struct BinaryCase {
    std::string name;
    std::function<Var(Var, Var)> op;
    std::function<double(double, double)> value, da, db;
};
std::ostream& operator<<(std::ostream& out, const BinaryCase& k) { return out << k.name; }

std::vector<BinaryCase> binary_cases() {
    return {
        {"add", [](Var a, Var b) { return a + b; }, [](double a, double b) { return a + b; },
         [](double, double) { return 1.0; }, [](double, double) { return 1.0; }},
        {"subtract", [](Var a, Var b) { return a - b; }, [](double a, double b) { return a - b; },
         [](double, double) { return 1.0; }, [](double, double) { return -1.0; }},
        {"multiply", [](Var a, Var b) { return a * b; }, [](double a, double b) { return a * b; },
         [](double, double b) { return b; }, [](double a, double) { return a; }},
        {"divide", [](Var a, Var b) { return a / b; }, [](double a, double b) { return a / b; },
         [](double, double b) { return 1 / b; }, [](double a, double b) { return -a / (b * b); }},
        {"pow", [](Var a, Var b) { return pow(a, b); }, [](double a, double b) { return std::pow(a, b); },
         [](double a, double b) { return b * std::pow(a, b - 1); },
         [](double a, double b) { return std::pow(a, b) * std::log(a); }},
    };
}

struct ShapePair {
    Shape a, b;
};
std::ostream& operator<<(std::ostream& out, const ShapePair& p) {
    return out << p.a.to_string() << " with " << p.b.to_string();
}
const std::vector<ShapePair> shape_pairs{
    {{1, 1}, {1, 1}}, {{6, 1}, {6, 1}}, {{2, 3}, {2, 3}}, {{1, 1}, {6, 1}},
    {{6, 1}, {1, 1}}, {{1, 3}, {4, 3}}, {{4, 1}, {4, 3}}, {{4, 1}, {1, 3}},
};
}  // namespace

BOOST_DATA_TEST_CASE(binary_operation_with_broadcasting, bdata::make(binary_cases()) * bdata::make(shape_pairs), k,
                     pair) {
    // Positive inputs keep pow and divide inside their domains.
    const MatrixXd a = filled(pair.a.rows, pair.a.cols, 0.3, 2.5, 0.0);
    const MatrixXd b = filled(pair.b.rows, pair.b.cols, 0.4, 2.0, 1.0);
    BOOST_TEST_CONTEXT(k.name << " of " << pair) {
        Tape tape;
        const Var av = tape.variable(a), bv = tape.variable(b);
        const Var y = k.op(av, bv);
        const Shape out = *tapegrad::broadcast(pair.a, pair.b);
        BOOST_TEST((y.shape() == out));

        // Broadcasting by hand: element (i, j) reads a(min(i, rows-1), min(j, cols-1)).
        const MatrixXd w = weights(out.rows, out.cols);
        MatrixXd want_value(out.rows, out.cols);
        MatrixXd want_da = MatrixXd::Zero(a.rows(), a.cols()), want_db = MatrixXd::Zero(b.rows(), b.cols());
        for (Eigen::Index i = 0; i < out.rows; ++i)
            for (Eigen::Index j = 0; j < out.cols; ++j) {
                const Eigen::Index ai = std::min(i, a.rows() - 1), aj = std::min(j, a.cols() - 1);
                const Eigen::Index bi = std::min(i, b.rows() - 1), bj = std::min(j, b.cols() - 1);
                want_value(i, j) = k.value(a(ai, aj), b(bi, bj));
                want_da(ai, aj) += w(i, j) * k.da(a(ai, aj), b(bi, bj));
                want_db(bi, bj) += w(i, j) * k.db(a(ai, aj), b(bi, bj));
            }
        BOOST_TEST(close(y.value(), want_value));
        tape.gradient(weighted_sum(tape, y));
        BOOST_TEST(close(av.adjoint(), want_da), "tape\n" << av.adjoint() << "\nby hand\n" << want_da);
        BOOST_TEST(close(bv.adjoint(), want_db), "tape\n" << bv.adjoint() << "\nby hand\n" << want_db);

        const auto report = tapegrad::check_gradient(
            [&](Tape& t, const std::vector<Var>& p) { return weighted_sum(t, k.op(p[0], p[1])); },
            std::vector<MatrixXd>{a, b}, {}, {"a", "b"});
        BOOST_TEST(report.passed, report);
    }
}

// ---- Matrix product, transpose, reductions ------------------------------------------------

BOOST_AUTO_TEST_CASE(matmul_value_and_adjoints) {
    const MatrixXd a = filled(2, 3, -1, 1, 0.0), b = filled(3, 4, -1, 1, 1.0);
    Tape tape;
    const Var av = tape.variable(a), bv = tape.variable(b);
    const Var y = matmul(av, bv);
    BOOST_TEST((y.shape() == Shape{2, 4}));
    BOOST_TEST(close(y.value(), a * b));
    tape.gradient(weighted_sum(tape, y));
    const MatrixXd w = weights(2, 4);
    BOOST_TEST(close(av.adjoint(), w * b.transpose()));  // dA = W B^T
    BOOST_TEST(close(bv.adjoint(), a.transpose() * w));  // dB = A^T W
    const auto report =
        tapegrad::check_gradient([](Tape& t, const std::vector<Var>& p) { return weighted_sum(t, matmul(p[0], p[1])); },
                                 std::vector<MatrixXd>{a, b}, {}, {"A", "B"});
    BOOST_TEST(report.passed, report);
}

BOOST_AUTO_TEST_CASE(matmul_of_a_matrix_with_itself) {
    // A A: both parents are the same node; its adjoint gets both contributions.
    const MatrixXd a = filled(3, 3, -1, 1);
    const auto report =
        tapegrad::check_gradient([](Tape& t, const std::vector<Var>& p) { return weighted_sum(t, matmul(p[0], p[0])); },
                                 std::vector<MatrixXd>{a}, {}, {"A"});
    BOOST_TEST(report.passed, report);
    Tape tape;
    const Var av = tape.variable(a);
    tape.gradient(weighted_sum(tape, matmul(av, av)));
    const MatrixXd w = weights(3, 3);
    BOOST_TEST(close(av.adjoint(), w * a.transpose() + a.transpose() * w));
}

BOOST_AUTO_TEST_CASE(transpose_value_and_adjoint) {
    const MatrixXd a = filled(2, 3, -1, 1);
    Tape tape;
    const Var av = tape.variable(a);
    const Var y = transpose(av);
    BOOST_TEST((y.shape() == Shape{3, 2}));
    BOOST_TEST(close(y.value(), a.transpose()));
    tape.gradient(weighted_sum(tape, y));
    BOOST_TEST(close(av.adjoint(), weights(3, 2).transpose()));
}

namespace {
struct ReductionCase {
    std::string name;
    std::function<Var(Var)> op;
    std::function<MatrixXd(const MatrixXd&)> value;
    // the adjoint of the input by hand, given the input and the weights of the output
    std::function<MatrixXd(const MatrixXd&, const MatrixXd&)> adjoint;
};
std::ostream& operator<<(std::ostream& out, const ReductionCase& k) { return out << k.name; }
std::vector<ReductionCase> reduction_cases() {
    using M = MatrixXd;
    return {
        {"sum", [](Var x) { return sum(x); }, [](const M& a) { return M::Constant(1, 1, a.sum()); },
         [](const M& a, const M& w) { return M::Constant(a.rows(), a.cols(), w(0, 0)); }},
        {"mean", [](Var x) { return mean(x); }, [](const M& a) { return M::Constant(1, 1, a.mean()); },
         [](const M& a, const M& w) { return M::Constant(a.rows(), a.cols(), w(0, 0) / double(a.size())); }},
        {"col_sums", [](Var x) { return col_sums(x); }, [](const M& a) { return M(a.colwise().sum()); },
         [](const M& a, const M& w) { return M(w.replicate(a.rows(), 1)); }},
        {"row_sums", [](Var x) { return row_sums(x); }, [](const M& a) { return M(a.rowwise().sum()); },
         [](const M& a, const M& w) { return M(w.replicate(1, a.cols())); }},
        {"col_means", [](Var x) { return col_means(x); }, [](const M& a) { return M(a.colwise().mean()); },
         [](const M& a, const M& w) { return M(w.replicate(a.rows(), 1) / double(a.rows())); }},
        {"row_means", [](Var x) { return row_means(x); }, [](const M& a) { return M(a.rowwise().mean()); },
         [](const M& a, const M& w) { return M(w.replicate(1, a.cols()) / double(a.cols())); }},
    };
}
}  // namespace

BOOST_DATA_TEST_CASE(reduction_value_and_adjoint, bdata::make(reduction_cases()), k) {
    const MatrixXd a = filled(4, 3, -2, 2);
    Tape tape;
    const Var av = tape.variable(a);
    const Var y = k.op(av);
    BOOST_TEST(close(y.value(), k.value(a)));
    tape.gradient(weighted_sum(tape, y));
    const MatrixXd want = k.adjoint(a, weights(y.shape().rows, y.shape().cols));
    BOOST_TEST(close(av.adjoint(), want), "tape\n" << av.adjoint() << "\nby hand\n" << want);
    const auto report = tapegrad::check_gradient(
        [&](Tape& t, const std::vector<Var>& p) { return weighted_sum(t, k.op(p[0])); }, std::vector<MatrixXd>{a});
    BOOST_TEST(report.passed, report);
}

BOOST_AUTO_TEST_CASE(article_line_scalar_parameters_times_data_columns) {
    // h1 = w1*x1 + w2*x2 + w3*x3 + b1 with scalar parameters and 6 x 1 data columns
    Eigen::VectorXd age(6), exercise(6), diet(6);
    age << 60, 63, 17, 35, 90, 10;
    exercise << 8, 2, 7, 4, 1, 9;
    diet << 7, 2, 7, 5, 1, 7;
    Tape tape;
    const Var w1 = tape.variable(0.2), w2 = tape.variable(0.4), w3 = tape.variable(0.6), b1 = tape.variable(0.1);
    const Var x1 = tape.constant(age / 101.0), x2 = tape.constant(exercise / 11.0), x3 = tape.constant(diet / 11.0);
    const Var h1 = w1 * x1 + w2 * x2 + w3 * x3 + b1;
    BOOST_TEST((h1.shape() == Shape{6, 1}));
    const Eigen::VectorXd want =
        0.2 * age / 101.0 + 0.4 * exercise / 11.0 + 0.6 * diet / 11.0 + Eigen::VectorXd::Constant(6, 0.1);
    BOOST_TEST(close(h1.value(), want));
    tape.gradient(sum(h1));
    BOOST_TEST(std::abs(w1.scalar_adjoint() - (age / 101.0).sum()) < 1e-12);  // d sum(h1)/d w1 = sum(x1)
    BOOST_TEST(b1.scalar_adjoint() == 6.0);                                   // broadcast to 6 rows
}

BOOST_AUTO_TEST_CASE(var_accessors_refuse_wrong_shapes) {
    Tape tape;
    const Var x = tape.variable(MatrixXd::Ones(2, 2));
    const auto message = [](auto&& read) {
        try {
            read();
        } catch (const tapegrad::TapeError& e) {
            return std::string(e.what());
        }
        return std::string("(no error)");
    };
    BOOST_TEST(message([&] { x.scalar_value(); }) == "scalar_value: the Var is 2x2, not 1x1 (use value())");
    // Before any sweep, the missing adjoint is what is wrong, whatever the shape.
    BOOST_TEST(message([&] { x.scalar_adjoint(); }).find("has no adjoint yet") != std::string::npos);
    tape.gradient(sum(x));
    BOOST_TEST(message([&] { x.scalar_adjoint(); }) == "scalar_adjoint: the Var is 2x2, not 1x1 (use adjoint())");
    BOOST_TEST(x.adjoint().sum() == 4.0);
    tape.clear();  // and a stale Var is named as such by the accessor the caller used
    const std::string stale = message([&] { x.scalar_value(); });
    BOOST_TEST(stale.find("scalar_value: the Var was recorded before the tape was cleared") == 0, stale);
}

// ---- A dense layer: linear(X, W, b) = X W + b ----------------------------------------------

namespace {
struct LayerShape {
    Eigen::Index n, k, m;  // X: n x k, W: k x m, b: 1 x m
};
std::ostream& operator<<(std::ostream& out, const LayerShape& s) {
    return out << "X " << s.n << "x" << s.k << ", W " << s.k << "x" << s.m;
}
// Every register kernel size (k, m <= 4) at a few sample counts, one odd; then sizes that
// go to Eigen's product (k or m above 4).
std::vector<LayerShape> layer_shapes() {
    std::vector<LayerShape> shapes;
    for (Eigen::Index k = 1; k <= 4; ++k)
        for (Eigen::Index m = 1; m <= 4; ++m) shapes.push_back({k == m ? 1 : 6, k, m});
    shapes.push_back({7, 3, 2});
    shapes.push_back({4, 5, 3});
    shapes.push_back({3, 2, 6});
    shapes.push_back({40, 30, 20});
    return shapes;
}
}  // namespace

BOOST_DATA_TEST_CASE(linear_value_and_adjoints, bdata::make(layer_shapes()), s) {
    const MatrixXd x = filled(s.n, s.k, -1, 1, 0.0), w = filled(s.k, s.m, -1, 1, 1.0), b = filled(1, s.m, -1, 1, 2.0);
    Tape tape;
    const Var xv = tape.variable(x), wv = tape.variable(w), bv = tape.variable(b);
    const Var y = linear(xv, wv, bv);
    BOOST_TEST((y.shape() == Shape{static_cast<std::uint32_t>(s.n), static_cast<std::uint32_t>(s.m)}));
    const MatrixXd want = (x * w).rowwise() + b.row(0);
    BOOST_TEST(close(y.value(), want), "tape\n" << y.value() << "\nby hand\n" << want);
    tape.gradient(weighted_sum(tape, y));
    const MatrixXd g = weights(s.n, s.m);                // d loss / d Y
    BOOST_TEST(close(xv.adjoint(), g * w.transpose()));  // dX = dY W^T
    BOOST_TEST(close(wv.adjoint(), x.transpose() * g));  // dW = X^T dY
    BOOST_TEST(close(bv.adjoint(), g.colwise().sum()));  // db = column sums of dY
    const auto report = tapegrad::check_gradient(
        [](Tape& t, const std::vector<Var>& p) { return weighted_sum(t, linear(p[0], p[1], p[2])); },
        std::vector<MatrixXd>{x, w, b}, {}, {"X", "W", "b"});
    BOOST_TEST(report.passed, report);
}

BOOST_AUTO_TEST_CASE(linear_of_a_matrix_with_itself) {
    // X and W are one node: its adjoint gets both contributions, dY A^T and A^T dY.
    const MatrixXd a = filled(3, 3, -1, 1), b = filled(1, 3, -1, 1, 1.0);
    Tape tape;
    const Var av = tape.variable(a), bv = tape.variable(b);
    tape.gradient(weighted_sum(tape, linear(av, av, bv)));
    const MatrixXd g = weights(3, 3);
    BOOST_TEST(close(av.adjoint(), g * a.transpose() + a.transpose() * g));
    const auto report = tapegrad::check_gradient(
        [](Tape& t, const std::vector<Var>& p) { return weighted_sum(t, linear(p[0], p[0], p[1])); },
        std::vector<MatrixXd>{a, b}, {}, {"A", "b"});
    BOOST_TEST(report.passed, report);
}

BOOST_AUTO_TEST_CASE(linear_refuses_shapes_that_do_not_fit) {
    Tape tape;
    const Var x = tape.variable(MatrixXd::Ones(6, 3)), w = tape.variable(MatrixXd::Ones(2, 2));
    const Var b = tape.variable(MatrixXd::Ones(1, 2)), w32 = tape.variable(MatrixXd::Ones(3, 2));
    const auto message = [](auto&& f) {
        try {
            f();
        } catch (const tapegrad::TapeError& e) {
            return std::string(e.what());
        }
        return std::string();
    };
    const std::string inner = message([&] { linear(x, w, b); });
    BOOST_TEST(inner.find("columns of X, 3, must equal rows of W, 2") != std::string::npos, inner);
    const std::string bias = message([&] { linear(x, w32, tape.variable(MatrixXd::Ones(2, 1))); });
    BOOST_TEST(bias.find("the bias is 2x1 but must be 1x2") != std::string::npos, bias);
}

// ---- The mean squared error -----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(mean_squared_error_value_and_adjoints) {
    const MatrixXd p = filled(4, 3, -2, 2), t = filled(4, 3, -1, 1, 1.0);
    Tape tape;
    const Var pv = tape.variable(p), tv = tape.variable(t);
    const Var loss = mean_squared_error(pv, tv);
    BOOST_TEST((loss.shape() == Shape{1, 1}));
    const double want = (p - t).array().square().mean();
    BOOST_TEST(std::abs(loss.scalar_value() - want) <= 1e-14 * want);
    tape.gradient(loss);
    BOOST_TEST(close(pv.adjoint(), 2.0 * (p - t) / 12.0));   // d/dP = 2 (P - T) / N
    BOOST_TEST(close(tv.adjoint(), -2.0 * (p - t) / 12.0));  // d/dT = -2 (P - T) / N
    const auto report =
        tapegrad::check_gradient([](Tape&, const std::vector<Var>& v) { return mean_squared_error(v[0], v[1]); },
                                 std::vector<MatrixXd>{p, t}, {}, {"P", "T"});
    BOOST_TEST(report.passed, report);
}

BOOST_AUTO_TEST_CASE(mean_squared_error_equals_its_three_node_form) {
    // The fused node gives what mean(square(P - T)) gives, value and adjoints, odd size too.
    const MatrixXd p = filled(5, 1, -2, 2), t = filled(5, 1, -1, 1, 1.0);
    Tape fused, three;
    const Var pf = fused.variable(p), tf = fused.constant(t);
    const Var p3 = three.variable(p), t3 = three.constant(t);
    const Var lf = mean_squared_error(pf, tf), l3 = mean(square(p3 - t3));
    BOOST_TEST(std::abs(lf.scalar_value() - l3.scalar_value()) <= 1e-15);
    fused.gradient(lf);
    three.gradient(l3);
    BOOST_TEST(close(pf.adjoint(), p3.adjoint()));
}

BOOST_AUTO_TEST_CASE(mean_squared_error_refuses_different_shapes) {
    Tape tape;
    const Var p = tape.variable(MatrixXd::Ones(6, 1)), t = tape.constant(MatrixXd::Ones(1, 6));
    try {
        mean_squared_error(p, t);
        BOOST_FAIL("no error");
    } catch (const tapegrad::TapeError& e) {
        BOOST_TEST(std::string(e.what()).find("the prediction is 6x1 but the target is 1x6") != std::string::npos,
                   e.what());
    }
}

// ---- Shape-changing operations and the fused ones, as one table ----------------------------

namespace {
using Inputs = std::vector<MatrixXd>;
struct ShapedCase {
    std::string name;
    std::function<Var(const std::vector<Var>&)> op;
    Inputs inputs;
    std::function<MatrixXd(const Inputs&)> value;                                      // by hand
    std::function<MatrixXd(const Inputs&, const MatrixXd& w, std::size_t p)> adjoint;  // d sum(W ⊙ y) / d input p
};
std::ostream& operator<<(std::ostream& out, const ShapedCase& k) { return out << k.name; }
std::vector<ShapedCase> shaped_cases() {
    using M = MatrixXd;
    return {
        {"matmul",
         [](const std::vector<Var>& p) { return matmul(p[0], p[1]); },
         {filled(2, 3, -1, 1, 0.0), filled(3, 4, -1, 1, 1.0)},
         [](const Inputs& in) { return M(in[0] * in[1]); },
         [](const Inputs& in, const M& w, std::size_t p) {
             return p == 0 ? M(w * in[1].transpose()) : M(in[0].transpose() * w);
         }},
        {"transpose",
         [](const std::vector<Var>& p) { return transpose(p[0]); },
         {filled(2, 3, -1, 1)},
         [](const Inputs& in) { return M(in[0].transpose()); },
         [](const Inputs&, const M& w, std::size_t) { return M(w.transpose()); }},
        {"linear",
         [](const std::vector<Var>& p) { return linear(p[0], p[1], p[2]); },
         {filled(5, 3, -1, 1, 0.0), filled(3, 2, -1, 1, 1.0), filled(1, 2, -1, 1, 2.0)},
         [](const Inputs& in) { return M((in[0] * in[1]).rowwise() + in[2].row(0)); },
         [](const Inputs& in, const M& w, std::size_t p) {
             if (p == 0) return M(w * in[1].transpose());
             if (p == 1) return M(in[0].transpose() * w);
             return M(w.colwise().sum());
         }},
        {"mean_squared_error",
         [](const std::vector<Var>& p) { return mean_squared_error(p[0], p[1]); },
         {filled(4, 3, -2, 2), filled(4, 3, -1, 1, 1.0)},
         [](const Inputs& in) { return M::Constant(1, 1, (in[0] - in[1]).array().square().mean()); },
         [](const Inputs& in, const M& w, std::size_t p) {
             const M d = 2.0 * w(0, 0) * (in[0] - in[1]) / double(in[0].size());
             return p == 0 ? d : M(-d);
         }},
        // by hand: p = softmax of each row; d sum(W .* log p) / dA_il = W_il - p_il sum_j W_ij
        {"log_softmax",
         [](const std::vector<Var>& p) { return log_softmax(p[0]); },
         {filled(4, 3, -3, 3)},
         [](const Inputs& in) {
             const M e = in[0].array().exp().matrix();
             return M(e.array().colwise() / e.rowwise().sum().array()).array().log().matrix().eval();
         },
         [](const Inputs& in, const M& w, std::size_t) {
             const M e = in[0].array().exp().matrix();
             const M p = (e.array().colwise() / e.rowwise().sum().array()).matrix();
             return M(w - M(p.array().colwise() * w.rowwise().sum().array()));
         }},
    };
}
}  // namespace

BOOST_DATA_TEST_CASE(shaped_operation_value_and_adjoints, bdata::make(shaped_cases()), k) {
    Tape tape;
    std::vector<Var> vars;
    for (const MatrixXd& in : k.inputs) vars.push_back(tape.variable(in));
    const Var y = k.op(vars);
    const MatrixXd want = k.value(k.inputs);
    BOOST_TEST(close(y.value(), want), "tape\n" << y.value() << "\nby hand\n" << want);
    tape.gradient(weighted_sum(tape, y));
    const MatrixXd w = weights(y.shape().rows, y.shape().cols);
    for (std::size_t p = 0; p < vars.size(); ++p) {
        const MatrixXd hand = k.adjoint(k.inputs, w, p);
        BOOST_TEST(close(vars[p].adjoint(), hand), "parent " << p << ": tape\n"
                                                             << vars[p].adjoint() << "\nby hand\n"
                                                             << hand);
    }
    const auto report = tapegrad::check_gradient(
        [&](Tape& t, const std::vector<Var>& p) { return weighted_sum(t, k.op(p)); },
        k.inputs);
    BOOST_TEST(report.passed, report);
}

// Every op of TAPEGRAD_OPS must be recorded by a case of this file's tables, each with its
// derivative by hand: an op added to the list and to var.hpp without a case here fails.
BOOST_AUTO_TEST_CASE(every_op_of_the_list_has_a_case_here) {
    std::set<tapegrad::Op> recorded;
    const auto note = [&](const Tape& tape, Var y) { recorded.insert(tape.node(y.index()).op); };
    const MatrixXd positive = filled(2, 3, 0.2, 3.0);
    for (const UnaryCase& k : unary_cases()) {
        Tape tape;
        note(tape, k.op(tape.variable(positive)));
    }
    for (const BinaryCase& k : binary_cases()) {
        Tape tape;
        note(tape, k.op(tape.variable(positive), tape.variable(positive)));
    }
    for (const ReductionCase& k : reduction_cases()) {
        Tape tape;
        note(tape, k.op(tape.variable(positive)));
    }
    for (const ShapedCase& k : shaped_cases()) {
        Tape tape;
        std::vector<Var> vars;
        for (const MatrixXd& in : k.inputs) vars.push_back(tape.variable(in));
        note(tape, k.op(vars));
    }
    for (int i = 0; i < tapegrad::op_count; ++i) {
        const auto op = static_cast<tapegrad::Op>(i);
        if (!tapegrad::is_leaf(op))
            BOOST_TEST(recorded.count(op) == 1u, "no case records " << tapegrad::op_name(op) << " ("
                                                                    << tapegrad::kind_name(tapegrad::op_kind(op))
                                                                    << ")");
    }
}
