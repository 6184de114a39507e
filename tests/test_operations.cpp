// tests/test_operations.cpp — the math table of autodiff/operations.hpp, op by op.
//
// Each elementwise operation's `derivative` is checked against (1) a derivative written
// here independently, by hand, and (2) a central difference of the operation's own
// `value`, over a table of inputs. Tolerances: the hand formula is the same math, so it
// must agree to 1e-12 relative; the central difference with h = 1e-6 carries a rounding
// error near 1e-10 relative, so it is held to rtol 1e-6 (atol 1e-9). The stable forms of
// sigmoid and tanh, and the documented IEEE results (log 0, sqrt 0, ...), are pinned.
#define BOOST_TEST_MODULE operations
#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "op_cases.hpp"
#include "tapegrad/autodiff/format.hpp"
#include "tapegrad/autodiff/operations.hpp"
#include "tapegrad/autodiff/tape.hpp"

namespace bdata = boost::unit_test::data;
namespace ops = tapegrad::ops;

namespace {

using tapegrad::Op;
using tapegrad::OpKind;

// ---- The reference tables: each op's derivative written here by hand, as plain doubles ----
// Keyed by op; the cases below walk TAPEGRAD_OPS and look each op up, so an op of the list
// without an entry is a failing case (and every_op_of_the_list_has_a_reference says which).

struct ElementwiseReference {  // dy/dx at x for the constant c, and where to look
    std::vector<double> at;
    double c = 0;
    std::function<double(double)> by_hand;
};
const std::vector<double> anywhere{-2.5, -0.7, 0.3, 1.9}, positive{0.2, 1.0, 3.7};

std::multimap<Op, ElementwiseReference> elementwise_references() {
    using std::exp, std::cos, std::sin, std::cosh, std::sqrt;
    return {
        {Op::negate, {anywhere, 0, [](double) { return -1.0; }}},
        {Op::exp, {anywhere, 0, [](double v) { return exp(v); }}},
        {Op::log, {positive, 0, [](double v) { return 1 / v; }}},
        {Op::sqrt, {positive, 0, [](double v) { return 1 / (2 * sqrt(v)); }}},
        {Op::power_scalar, {anywhere, 3.0, [](double v) { return 3 * v * v; }}},
        {Op::power_scalar, {anywhere, -2.0, [](double v) { return -2 / (v * v * v); }}},
        {Op::power_scalar, {positive, 0.5, [](double v) { return 0.5 / sqrt(v); }}},
        {Op::square, {anywhere, 0, [](double v) { return 2 * v; }}},
        {Op::cube, {anywhere, 0, [](double v) { return 3 * v * v; }}},
        {Op::abs, {anywhere, 0, [](double v) { return v > 0 ? 1.0 : -1.0; }}},
        {Op::sin, {anywhere, 0, [](double v) { return cos(v); }}},
        {Op::cos, {anywhere, 0, [](double v) { return -sin(v); }}},
        {Op::tanh, {anywhere, 0, [](double v) { return 1 / (cosh(v) * cosh(v)); }}},
        {Op::sigmoid,
         {anywhere, 0, [](double v) { return exp(-v) / ((1 + exp(-v)) * (1 + exp(-v))); }}},  // d/dv (1+e^-v)^-1
        {Op::relu, {anywhere, 0, [](double v) { return v > 0 ? 1.0 : 0.0; }}},
        {Op::identity, {anywhere, 0, [](double) { return 1.0; }}},
    };
}

struct BinaryReference {  // dy/da and dy/db at (a, b)
    std::vector<std::pair<double, double>> at;
    std::function<double(double, double)> da, db;
};
std::map<Op, BinaryReference> binary_references() {
    const std::vector<std::pair<double, double>> pairs{{1.5, -0.4}, {0.3, 2.2}, {-3.0, 0.9}};
    const std::vector<std::pair<double, double>> positive_base{{1.5, -0.4}, {0.3, 2.2}, {2.0, 3.0}};
    const auto one = [](double, double) { return 1.0; };
    return {
        {Op::add, {pairs, one, one}},
        {Op::subtract, {pairs, one, [](double, double) { return -1.0; }}},
        {Op::multiply, {pairs, [](double, double v) { return v; }, [](double u, double) { return u; }}},
        {Op::divide, {pairs, [](double, double v) { return 1 / v; }, [](double u, double v) { return -u / (v * v); }}},
        {Op::power,
         {positive_base, [](double u, double v) { return v * std::pow(u, v - 1); },
          [](double u, double v) { return std::pow(u, v) * std::log(u); }}},
    };
}

// Ops whose struct has the scalar forms (elementwise: value(x, c) and derivative; two-parent
// broadcasting: value(a, b), da and db), from the list.
bool is_scalar_unary(Op op) { return tapegrad::op_kind(op) == OpKind::elementwise; }
bool is_scalar_binary(Op op) { return tapegrad::op_kind(op) == OpKind::broadcasting && tapegrad::op_parents(op) == 2; }

struct UnaryCase {
    std::string name;
    double x;
    double c;  // the op's constant (exponent of pow)
    std::function<double(double, double)> value;
    std::function<double(double, double, double)> derivative;
    std::function<double(double)> by_hand;  // dy/dx written independently; empty: no reference
};
std::ostream& operator<<(std::ostream& out, const UnaryCase& k) { return out << k.name << " at x=" << k.x; }

// Every elementwise op of TAPEGRAD_OPS at its reference's points.
std::vector<UnaryCase> unary_cases() {
    const auto references = elementwise_references();
    std::vector<UnaryCase> cases;
    for (int i = 0; i < tapegrad::op_count; ++i) {
        const auto op = static_cast<Op>(i);
        tapegrad::visit(op, [&]<class T>(T) {
            if constexpr (T::kind == OpKind::elementwise) {
                const std::string name(T::name);
                if (references.count(op) == 0)
                    cases.push_back({name + " (no reference)", 0.5, 0, &T::value, &T::derivative, {}});
                for (auto [at, end] = references.equal_range(op); at != end; ++at) {
                    const ElementwiseReference& r = at->second;
                    const std::string label = op == Op::power_scalar ? name + " " + tapegrad::format_number(r.c) : name;
                    for (double x : r.at) cases.push_back({label, x, r.c, &T::value, &T::derivative, r.by_hand});
                }
            }
        });
    }
    return cases;
}

double central(const std::function<double(double)>& f, double x, double h = 1e-6) {
    return (f(x + h) - f(x - h)) / ((x + h) - (x - h));
}

}  // namespace

BOOST_DATA_TEST_CASE(unary_derivative_matches_hand_formula_and_central_difference, bdata::make(unary_cases()), k) {
    BOOST_TEST_REQUIRE(static_cast<bool>(k.by_hand), k.name << ": add its derivative to elementwise_references()");
    const double y = k.value(k.x, k.c);
    const double d = k.derivative(k.x, y, k.c);
    const double hand = k.by_hand(k.x);
    BOOST_TEST_CONTEXT(k.name << " at x = " << k.x << ": derivative " << d << ", by hand " << hand) {
        BOOST_TEST(std::abs(d - hand) <= 1e-12 * std::max(1.0, std::abs(hand)));
        const double numeric = central([&](double v) { return k.value(v, k.c); }, k.x);
        BOOST_TEST(std::abs(d - numeric) <= 1e-9 + 1e-6 * std::abs(numeric));
    }
}

namespace {
struct BinaryCase {
    std::string name;
    double a, b;
    std::function<double(double, double)> value;
    std::function<double(double, double, double)> da, db;
    std::function<double(double, double)> hand_a, hand_b;  // empty: no reference
};
std::ostream& operator<<(std::ostream& out, const BinaryCase& k) {
    return out << k.name << " at a=" << k.a << ", b=" << k.b;
}
// Every two-parent broadcasting op of TAPEGRAD_OPS at its reference's points.
std::vector<BinaryCase> binary_cases() {
    const auto references = binary_references();
    std::vector<BinaryCase> cases;
    for (int i = 0; i < tapegrad::op_count; ++i) {
        const auto op = static_cast<Op>(i);
        tapegrad::visit(op, [&]<class T>(T) {
            if constexpr (T::kind == OpKind::broadcasting && T::parents == 2) {
                const std::string name(T::name);
                const auto found = references.find(op);
                if (found == references.end())
                    cases.push_back({name + " (no reference)", 0.5, 0.5, &T::value, &T::da, &T::db, {}, {}});
                else
                    for (auto [a, b] : found->second.at)
                        cases.push_back({name, a, b, &T::value, &T::da, &T::db, found->second.da, found->second.db});
            }
        });
    }
    return cases;
}
}  // namespace

BOOST_DATA_TEST_CASE(binary_partials_match_hand_formula_and_central_difference, bdata::make(binary_cases()), k) {
    BOOST_TEST_REQUIRE(static_cast<bool>(k.hand_a), k.name << ": add its partials to binary_references()");
    const double y = k.value(k.a, k.b);
    const double da = k.da(k.a, k.b, y), db = k.db(k.a, k.b, y);
    const double ha = k.hand_a(k.a, k.b), hb = k.hand_b(k.a, k.b);
    BOOST_TEST_CONTEXT(k.name << " at a = " << k.a << ", b = " << k.b) {
        BOOST_TEST(std::abs(da - ha) <= 1e-12 * std::max(1.0, std::abs(ha)));
        BOOST_TEST(std::abs(db - hb) <= 1e-12 * std::max(1.0, std::abs(hb)));
        const double na = central([&](double u) { return k.value(u, k.b); }, k.a);
        const double nb = central([&](double v) { return k.value(k.a, v); }, k.b);
        BOOST_TEST(std::abs(da - na) <= 1e-9 + 1e-6 * std::abs(na));
        BOOST_TEST(std::abs(db - nb) <= 1e-9 + 1e-6 * std::abs(nb));
    }
}

BOOST_AUTO_TEST_CASE(sigmoid_is_stable_at_plus_minus_1000) {
    for (double x : {-1000.0, -745.0, 745.0, 1000.0}) {
        BOOST_TEST_CONTEXT("x = " << x) {
            const double y = ops::Sigmoid::value(x, 0);
            const double d = ops::Sigmoid::derivative(x, y, 0);
            BOOST_TEST(std::isfinite(y));
            BOOST_TEST(std::isfinite(d));
            BOOST_TEST(d >= 0.0);
        }
    }
    BOOST_TEST(ops::Sigmoid::value(-1000, 0) == 0.0);
    BOOST_TEST(ops::Sigmoid::value(1000, 0) == 1.0);
    BOOST_TEST(ops::Sigmoid::value(0, 0) == 0.5);
    // the two branches meet: no jump at 0
    BOOST_TEST(std::abs(ops::Sigmoid::value(-1e-12, 0) - ops::Sigmoid::value(1e-12, 0)) < 1e-12);
}

BOOST_AUTO_TEST_CASE(tanh_is_stable_at_plus_minus_1000) {
    BOOST_TEST(ops::Tanh::value(1000, 0) == 1.0);
    BOOST_TEST(ops::Tanh::value(-1000, 0) == -1.0);
    BOOST_TEST(ops::Tanh::derivative(1000, 1.0, 0) == 0.0);
    BOOST_TEST(ops::Tanh::derivative(-1000, -1.0, 0) == 0.0);
}

BOOST_AUTO_TEST_CASE(documented_ieee_results_without_a_finite_answer) {
    constexpr double inf = std::numeric_limits<double>::infinity();
    // log 0 = -inf, d/dx = +inf; log of a negative number is NaN
    BOOST_TEST(ops::Log::value(0.0, 0) == -inf);
    BOOST_TEST(ops::Log::derivative(0.0, -inf, 0) == inf);
    BOOST_TEST(std::isnan(ops::Log::value(-1.0, 0)));
    // sqrt 0 = 0, d/dx = +inf
    BOOST_TEST(ops::Sqrt::value(0.0, 0) == 0.0);
    BOOST_TEST(ops::Sqrt::derivative(0.0, 0.0, 0) == inf);
    // x^2 at 0 through pow: derivative 0, not NaN (no y/x)
    BOOST_TEST(ops::PowerScalar::derivative(0.0, 0.0, 2.0) == 0.0);
    // a negative base to a non-integer power: NaN
    BOOST_TEST(std::isnan(ops::PowerScalar::value(-2.0, 0.5)));
    // Var^Var with a negative base: value fine for an integer exponent, d/db NaN (ln of negative)
    BOOST_TEST(ops::Power::value(-2.0, 2.0) == 4.0);
    BOOST_TEST(std::isnan(ops::Power::db(-2.0, 2.0, 4.0)));
    // division by zero: ±inf, not a trap
    BOOST_TEST(ops::Divide::value(1.0, 0.0) == inf);
}

BOOST_AUTO_TEST_CASE(kinks_use_zero_subgradient) {
    BOOST_TEST(ops::Abs::derivative(0.0, 0.0, 0) == 0.0);
    BOOST_TEST(ops::Relu::derivative(0.0, 0.0, 0) == 0.0);
    BOOST_TEST(ops::Relu::value(-3.0, 0) == 0.0);
}

BOOST_AUTO_TEST_CASE(every_op_has_a_distinct_printable_name) {
    using tapegrad::Op;
    std::set<std::string> names;
    for (int i = 0; i < tapegrad::op_count; ++i) {
        const auto op = static_cast<Op>(i);
        const std::string name(tapegrad::op_name(op));
        BOOST_TEST(!name.empty());
        if (op != Op::power_scalar) BOOST_TEST(names.insert(name).second, "duplicate op name " << name);
    }
    BOOST_TEST(tapegrad::op_symbol(Op::multiply) == "*");
    BOOST_TEST(tapegrad::op_symbol(Op::exp) == "exp");
}

// ---- Every op of TAPEGRAD_OPS on the tape, against formulas written here by hand ---------
// For each op: its inputs, its value computed here with Eigen, and d sum(G .* Y) / d input
// for a weight matrix G, derived by hand. The tape records Y = op(inputs) and L = sum(G * Y),
// and the core must give the hand value and gradient to 1e-12
// relative, and agree with central differences of the hand value (h = 1e-6, rtol 1e-6).
// The cases are looked up by op for every op of the list: a new op without a case fails.
namespace {
using Eigen::MatrixXd;
using Inputs = std::vector<MatrixXd>;
struct OpCase {
    Inputs inputs;
    double constant = 0;
    std::function<MatrixXd(const Inputs&)> value;
    std::function<MatrixXd(const Inputs&, const MatrixXd& g, int p)> gradient;  // d sum(G .* Y) / d input p
};
MatrixXd m(int rows, int cols, double base) {  // distinct, smooth-region entries
    MatrixXd x(rows, cols);
    for (int k = 0; k < x.size(); ++k) x.data()[k] = base + 0.37 * k - 0.11 * k * k / x.size();
    return x;
}
OpCase unary(std::function<double(double)> f, std::function<double(double)> df, MatrixXd x, double c = 0) {
    return {{x},
            c,
            [f](const Inputs& in) { return MatrixXd(in[0].unaryExpr(f)); },
            [df](const Inputs& in, const MatrixXd& g, int) { return MatrixXd(g.cwiseProduct(in[0].unaryExpr(df))); }};
}
OpCase binary(std::function<double(double, double)> f, std::function<double(double, double)> da,
              std::function<double(double, double)> db, MatrixXd a, MatrixXd b) {
    return {{a, b},
            0,
            [f](const Inputs& in) { return MatrixXd(in[0].binaryExpr(in[1], f)); },
            [da, db](const Inputs& in, const MatrixXd& g, int p) {
                return MatrixXd(g.cwiseProduct(in[0].binaryExpr(in[1], p == 0 ? da : db)));
            }};
}
OpCase reduction(std::function<MatrixXd(const MatrixXd&)> f,
                 std::function<MatrixXd(const MatrixXd& x, const MatrixXd& g)> df) {
    return {{m(3, 4, -0.6)},
            0,
            [f](const Inputs& in) { return f(in[0]); },
            [df](const Inputs& in, const MatrixXd& g, int) { return df(in[0], g); }};
}

// Each row's log-probabilities, straight from the definition (overflows past logits of ~700).
MatrixXd naive_log_softmax(const MatrixXd& a) {
    const MatrixXd e = a.array().exp().matrix();
    return MatrixXd((e.array().colwise() / e.rowwise().sum().array()).log());
}

std::map<Op, OpCase> by_hand() {
    using std::exp, std::log, std::sqrt, std::pow, std::sin, std::cos, std::tanh;
    const MatrixXd x = m(3, 2, -1.3), pos = m(3, 2, 0.4), y = m(3, 2, 0.8);
    const auto one = [](double) { return 1.0; };
    std::map<Op, OpCase> c;
    c[Op::add] = binary([](double a, double b) { return a + b; }, [](double, double) { return 1.0; },
                        [](double, double) { return 1.0; }, x, y);
    c[Op::subtract] = binary([](double a, double b) { return a - b; }, [](double, double) { return 1.0; },
                             [](double, double) { return -1.0; }, x, y);
    c[Op::multiply] = binary([](double a, double b) { return a * b; }, [](double, double b) { return b; },
                             [](double a, double) { return a; }, x, y);
    c[Op::divide] = binary([](double a, double b) { return a / b; }, [](double, double b) { return 1 / b; },
                           [](double a, double b) { return -a / (b * b); }, x, y);
    c[Op::power] =
        binary([](double a, double b) { return pow(a, b); }, [](double a, double b) { return b * pow(a, b - 1); },
               [](double a, double b) { return pow(a, b) * log(a); }, pos, x);
    c[Op::negate] = unary([](double v) { return -v; }, [](double) { return -1.0; }, x);
    c[Op::exp] = unary([](double v) { return exp(v); }, [](double v) { return exp(v); }, x);
    c[Op::log] = unary([](double v) { return log(v); }, [](double v) { return 1 / v; }, pos);
    c[Op::sqrt] = unary([](double v) { return sqrt(v); }, [](double v) { return 0.5 / sqrt(v); }, pos);
    c[Op::power_scalar] =
        unary([](double v) { return pow(v, 2.5); }, [](double v) { return 2.5 * pow(v, 1.5); }, pos, 2.5);
    c[Op::square] = unary([](double v) { return v * v; }, [](double v) { return 2 * v; }, x);
    c[Op::cube] = unary([](double v) { return v * v * v; }, [](double v) { return 3 * v * v; }, x);
    c[Op::abs] = unary([](double v) { return v < 0 ? -v : v; }, [](double v) { return v < 0 ? -1.0 : 1.0; }, x);
    c[Op::sin] = unary([](double v) { return sin(v); }, [](double v) { return cos(v); }, x);
    c[Op::cos] = unary([](double v) { return cos(v); }, [](double v) { return -sin(v); }, x);
    c[Op::tanh] =
        unary([](double v) { return tanh(v); }, [](double v) { return 1 / (std::cosh(v) * std::cosh(v)); }, x);
    c[Op::sigmoid] = unary([](double v) { return 1 / (1 + exp(-v)); },
                           [](double v) { return exp(-v) / ((1 + exp(-v)) * (1 + exp(-v))); }, x);
    c[Op::relu] = unary([](double v) { return v > 0 ? v : 0.0; }, [](double v) { return v > 0 ? 1.0 : 0.0; }, x);
    c[Op::identity] = unary([](double v) { return v; }, one, x);
    c[Op::matmul] = {{m(3, 4, -0.5), m(4, 2, 0.3)},
                     0,
                     [](const Inputs& in) { return MatrixXd(in[0] * in[1]); },
                     [](const Inputs& in, const MatrixXd& g, int p) {
                         return p == 0 ? MatrixXd(g * in[1].transpose()) : MatrixXd(in[0].transpose() * g);
                     }};
    c[Op::linear] = {{m(5, 3, -0.5), m(3, 2, 0.3), m(1, 2, 0.7)},
                     0,
                     [](const Inputs& in) { return MatrixXd((in[0] * in[1]).rowwise() + in[2].row(0)); },
                     [](const Inputs& in, const MatrixXd& g, int p) {
                         if (p == 0) return MatrixXd(g * in[1].transpose());
                         if (p == 1) return MatrixXd(in[0].transpose() * g);
                         return MatrixXd(g.colwise().sum());
                     }};
    c[Op::transpose] = {{m(3, 2, 0.1)},
                        0,
                        [](const Inputs& in) { return MatrixXd(in[0].transpose()); },
                        [](const Inputs&, const MatrixXd& g, int) { return MatrixXd(g.transpose()); }};
    c[Op::sum] =
        reduction([](const MatrixXd& a) { return MatrixXd::Constant(1, 1, a.sum()); },
                  [](const MatrixXd& a, const MatrixXd& g) { return MatrixXd::Constant(a.rows(), a.cols(), g(0, 0)); });
    c[Op::mean] = reduction([](const MatrixXd& a) { return MatrixXd::Constant(1, 1, a.mean()); },
                            [](const MatrixXd& a, const MatrixXd& g) {
                                return MatrixXd::Constant(a.rows(), a.cols(), g(0, 0) / a.size());
                            });
    c[Op::col_sums] =
        reduction([](const MatrixXd& a) { return MatrixXd(a.colwise().sum()); },
                  [](const MatrixXd& a, const MatrixXd& g) { return MatrixXd(g.replicate(a.rows(), 1)); });
    c[Op::row_sums] =
        reduction([](const MatrixXd& a) { return MatrixXd(a.rowwise().sum()); },
                  [](const MatrixXd& a, const MatrixXd& g) { return MatrixXd(g.replicate(1, a.cols())); });
    c[Op::col_means] = reduction(
        [](const MatrixXd& a) { return MatrixXd(a.colwise().mean()); },
        [](const MatrixXd& a, const MatrixXd& g) { return MatrixXd(g.replicate(a.rows(), 1) / double(a.rows())); });
    c[Op::row_means] = reduction(
        [](const MatrixXd& a) { return MatrixXd(a.rowwise().mean()); },
        [](const MatrixXd& a, const MatrixXd& g) { return MatrixXd(g.replicate(1, a.cols()) / double(a.cols())); });
    c[Op::mean_squared_error] = {
        {m(4, 2, 0.2), m(4, 2, -0.4)},
        0,
        [](const Inputs& in) { return MatrixXd::Constant(1, 1, (in[0] - in[1]).squaredNorm() / in[0].size()); },
        [](const Inputs& in, const MatrixXd& g, int p) {
            const MatrixXd d = 2 * g(0, 0) * (in[0] - in[1]) / double(in[0].size());
            return p == 0 ? d : MatrixXd(-d);
        }};
    // Y = log(e^A_ij / sum_k e^A_ik), written naively (fine at these sizes), and
    // d sum(G .* Y) / dA_il = G_il - p_il sum_j G_ij with p the softmax of row i
    c[Op::log_softmax] = {{m(4, 3, -0.9)},
                          0,
                          [](const Inputs& in) { return naive_log_softmax(in[0]); },
                          [](const Inputs& in, const MatrixXd& g, int) {
                              const MatrixXd p = naive_log_softmax(in[0]).array().exp().matrix();
                              return MatrixXd(g - MatrixXd(p.array().colwise() * g.rowwise().sum().array()));
                          }};
    return c;
}

// Y = op(inputs) recorded on `tape` with the inputs as variables; L = sum(G * Y).
tapegrad::Var record_op(tapegrad::Tape& tape, Op op, const OpCase& k, std::vector<tapegrad::Var>& vars,
                        const MatrixXd& g) {
    vars.clear();
    for (const MatrixXd& in : k.inputs) vars.push_back(tape.variable(in));
    const tapegrad::Var y = tapegrad::testing::record_with(tape, op, vars, k.constant);
    return sum(tape.constant(g) * y);
}
bool near(const MatrixXd& a, const MatrixXd& b, double rtol, double atol = 0) {
    return a.rows() == b.rows() && a.cols() == b.cols() &&
           ((a - b).cwiseAbs().array() <= atol + rtol * b.cwiseAbs().array().max(1e-300)).all();
}
}  // namespace

BOOST_AUTO_TEST_CASE(every_op_of_the_list_matches_its_hand_formula_and_central_differences) {
    const auto cases = by_hand();
    for (int i = 0; i < tapegrad::op_count; ++i) {
        const auto op = static_cast<Op>(i);
        if (tapegrad::is_leaf(op)) continue;
        BOOST_TEST_CONTEXT("op " << tapegrad::op_name(op)) {
            const auto found = cases.find(op);
            BOOST_TEST_REQUIRE((found != cases.end()), "no hand-derived case for this op: add one to by_hand()");
            const OpCase& k = found->second;
            BOOST_TEST(static_cast<int>(k.inputs.size()) == tapegrad::op_parents(op));
            const MatrixXd value = k.value(k.inputs);
            const MatrixXd g = m(static_cast<int>(value.rows()), static_cast<int>(value.cols()), 0.9);
            {
                {
                    tapegrad::Tape tape;
                    std::vector<tapegrad::Var> vars;
                    const tapegrad::Var loss = record_op(tape, op, k, vars, g);
                    BOOST_TEST(near(tape.value(vars.size()), value, 1e-12));
                    tape.gradient(loss);
                    for (std::size_t p = 0; p < vars.size(); ++p) {
                        const MatrixXd adjoint = vars[p].adjoint();
                        BOOST_TEST(near(adjoint, k.gradient(k.inputs, g, static_cast<int>(p)), 1e-12, 1e-14),
                                   "parent " << p);
                        for (Eigen::Index e = 0; e < adjoint.size(); ++e) {  // central differences of the hand value
                            Inputs plus = k.inputs, minus = k.inputs;
                            const double h = 1e-6 * std::max(1.0, std::abs(k.inputs[p].data()[e]));
                            plus[p].data()[e] += h;
                            minus[p].data()[e] -= h;
                            const double numeric =
                                (g.cwiseProduct(k.value(plus)).sum() - g.cwiseProduct(k.value(minus)).sum()) /
                                (plus[p].data()[e] - minus[p].data()[e]);
                            BOOST_TEST(
                                std::abs(adjoint.data()[e] - numeric) <= 1e-8 + 1e-6 * std::abs(numeric),
                                "parent " << p << " element " << e << ": " << adjoint.data()[e] << " vs " << numeric);
                        }
                    }
                }
            }
        }
    }
}

// A new op of TAPEGRAD_OPS without its hand-derived reference fails here, by name (and its
// cases above fail too): no op can be added and silently go untested.
BOOST_AUTO_TEST_CASE(every_op_of_the_list_has_a_reference) {
    const auto tape_cases = by_hand();
    const auto elementwise = elementwise_references();
    const auto binary = binary_references();
    for (int i = 0; i < tapegrad::op_count; ++i) {
        const auto op = static_cast<Op>(i);
        if (tapegrad::is_leaf(op)) continue;
        BOOST_TEST_CONTEXT("op " << tapegrad::op_name(op) << " (" << tapegrad::kind_name(tapegrad::op_kind(op))
                                 << ")") {
            BOOST_TEST(tape_cases.count(op) == 1u, "no case in by_hand()");
            if (is_scalar_unary(op)) BOOST_TEST(elementwise.count(op) >= 1u, "no entry in elementwise_references()");
            if (is_scalar_binary(op)) BOOST_TEST(binary.count(op) == 1u, "no entry in binary_references()");
        }
    }
    // and the tables name nothing that is not an op of that kind
    for (const auto& [op, r] : elementwise) BOOST_TEST(is_scalar_unary(op), tapegrad::op_name(op));
    for (const auto& [op, r] : binary) BOOST_TEST(is_scalar_binary(op), tapegrad::op_name(op));
}

// Each op's declared kind against what it does to shapes, on every shape class of
// op_cases.hpp: elementwise keeps its parent's shape, broadcasting gives the broadcast of
// its parents', a reduction keeps a dimension or makes it 1 (no more elements), and a
// matrix op's result is set by rows and columns (transpose's are swapped; a product's are
// its outer dimensions).
BOOST_AUTO_TEST_CASE(each_ops_kind_says_what_it_does_to_shapes) {
    using tapegrad::Shape;
    BOOST_TEST(tapegrad::kind_name(tapegrad::op_kind(Op::variable)) == "leaf");
    BOOST_TEST(tapegrad::kind_name(tapegrad::op_kind(Op::cube)) == "elementwise");
    BOOST_TEST(tapegrad::kind_name(tapegrad::op_kind(Op::mean_squared_error)) == "reduction");
    BOOST_TEST(tapegrad::kind_name(tapegrad::op_kind(Op::linear)) == "matrix");
    BOOST_TEST((tapegrad::op_kind(Op::mean) == OpKind::reduction));  // the sweep page once called it a broadcast
    for (int i = 0; i < tapegrad::op_count; ++i) {
        const auto op = static_cast<Op>(i);
        const OpKind kind = tapegrad::op_kind(op);
        BOOST_TEST((kind == OpKind::leaf) == tapegrad::is_leaf(op));
        for (const auto& shapes : tapegrad::testing::shape_classes(op)) {
            tapegrad::Tape tape;
            std::vector<tapegrad::Var> parents;
            for (std::size_t p = 0; p < shapes.size(); ++p)
                parents.push_back(tape.variable(tapegrad::testing::filled(shapes[p], double(p))));
            const Shape y = tapegrad::testing::record_with(tape, op, parents, 2.0).shape();
            std::string text;
            for (Shape s : shapes) text += s.to_string() + " ";
            BOOST_TEST_CONTEXT(tapegrad::op_name(op)
                               << " (" << tapegrad::kind_name(kind) << ") on " << text << "-> " << y.to_string()) {
                Shape widest = shapes[0];
                for (Shape s : shapes) widest = *tapegrad::broadcast(widest, s);
                switch (kind) {
                    case OpKind::leaf: BOOST_FAIL("a leaf has no shape classes"); break;
                    case OpKind::elementwise: BOOST_TEST((y == shapes[0])); break;
                    case OpKind::broadcasting: BOOST_TEST((y == widest)); break;
                    case OpKind::reduction:
                        BOOST_TEST(y.size() <= shapes[0].size());  // equal: summed along a dimension of 1
                        BOOST_TEST((y.rows == 1u || y.rows == shapes[0].rows));
                        BOOST_TEST((y.cols == 1u || y.cols == shapes[0].cols));
                        break;
                    case OpKind::matrix:
                        if (op == Op::log_softmax)  // row by row: the shape kept
                            BOOST_TEST((y == shapes[0]));
                        else if (shapes.size() == 1)
                            BOOST_TEST((y == Shape{shapes[0].cols, shapes[0].rows}));
                        else
                            BOOST_TEST((y == Shape{shapes[0].rows, shapes[1].cols}));
                        break;
                }
            }
        }
    }
}

// Logits of +-1000 overflow e^x (the naive form gives NaN); the stable form subtracts each
// row's largest logit, and log softmax(A + c) = log softmax(A) row by row. So at 1000 + A
// and -1000 + A the values and adjoints must equal those at A to rounding (1e-12 relative,
// 1e-9 absolute for a value near 0 that is a difference of numbers near 1000), and the
// adjoint of L = sum(G .* Y) must agree with central differences of the op's own value.
BOOST_AUTO_TEST_CASE(log_softmax_is_finite_and_right_at_logits_of_plus_minus_1000) {
    const MatrixXd a = m(5, 4, -0.6), g = m(5, 4, 0.35);
    for (double shift : {1000.0, -1000.0}) {
        BOOST_TEST_CONTEXT("logits " << shift << " + A") {
            const MatrixXd shifted = (a.array() + shift).matrix();
            if (shift > 0)
                BOOST_TEST(!naive_log_softmax(shifted).allFinite());  // e^1000 overflows: what the stable form avoids
            tapegrad::Tape tape;
            const tapegrad::Var x = tape.variable(shifted);
            const tapegrad::Var y = log_softmax(x);
            BOOST_TEST(near(y.value(), naive_log_softmax(a), 1e-12, 1e-9));
            tape.gradient(sum(tape.constant(g) * y));
            const MatrixXd p = naive_log_softmax(a).array().exp().matrix();
            const MatrixXd want = g - MatrixXd(p.array().colwise() * g.rowwise().sum().array());
            BOOST_TEST(near(x.adjoint(), want, 1e-9, 1e-12));
            for (Eigen::Index e = 0; e < shifted.size(); ++e) {
                MatrixXd plus = shifted, minus = shifted;
                plus.data()[e] += 1e-3;
                minus.data()[e] -= 1e-3;
                const auto value = [&g](const MatrixXd& at) {
                    tapegrad::Tape t;
                    return g.cwiseProduct(MatrixXd(log_softmax(t.variable(at)).value())).sum();
                };
                const double numeric = (value(plus) - value(minus)) / (plus.data()[e] - minus.data()[e]);
                BOOST_TEST(std::abs(x.adjoint().data()[e] - numeric) <= 1e-6 + 1e-5 * std::abs(numeric),
                           "element " << e << ": " << x.adjoint().data()[e] << " vs " << numeric);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(adding_an_op_is_one_entry_cube) {
    // cube was added as the exercise says: ops::Cube, one line of TAPEGRAD_OPS, and cube()
    // in var.hpp. Everything else (the enum, its name, both directions) follows.
    BOOST_TEST(tapegrad::op_name(Op::cube) == "cube");
    BOOST_TEST(tapegrad::op_parents(Op::cube) == 1);
    tapegrad::Tape tape;
    const tapegrad::Var x = tape.variable(-1.5);
    const tapegrad::Var y = cube(x);
    BOOST_TEST(y.scalar_value() == -3.375);
    tape.gradient(y);
    BOOST_TEST(x.scalar_adjoint() == 6.75);  // 3 x^2
}

// ---- NaN in, NaN out (issue 13): every op of the list at special values ------------------
// For each op and each parent p: the parent holds NaN (every element), the other parents a
// special value s. The value must be NaN everywhere. Each parent's adjoint of L = sum(Y)
// must be NaN, unless it does not depend on parent p at all (add's 1, multiply's b):
// that is told by setting parent p to two finite values; when the adjoint is the same for
// both, the NaN run may give that same value.
namespace {
// The value of op(inputs) and every parent's adjoint of L = sum(Y), with parent p holding
// `at` in every element and the other parents `other`.
std::vector<MatrixXd> adjoints_at(Op op, const OpCase& k, int p, double other, double at, MatrixXd& value) {
    tapegrad::Tape tape;
    std::vector<tapegrad::Var> vars;
    for (int q = 0; q < static_cast<int>(k.inputs.size()); ++q)
        vars.push_back(tape.variable(MatrixXd::Constant(k.inputs[q].rows(), k.inputs[q].cols(), q == p ? at : other)));
    const tapegrad::Var y = tapegrad::testing::record_with(tape, op, vars, k.constant);
    tape.gradient(sum(y));
    value = y.value();
    std::vector<MatrixXd> adjoints;
    for (const tapegrad::Var& v : vars) adjoints.emplace_back(v.adjoint());
    return adjoints;
}
}  // namespace

BOOST_AUTO_TEST_CASE(nan_in_gives_nan_out_for_every_op_value_and_derivative) {
    const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
    auto cases = by_hand();
    cases[Op::power_scalar].constant = 0.0;  // pow(NaN, 0) is 1 by IEEE; here it must be NaN
    for (int i = 0; i < tapegrad::op_count; ++i) {
        const auto op = static_cast<Op>(i);
        if (tapegrad::is_leaf(op)) continue;
        const auto found = cases.find(op);
        if (found == cases.end()) {
            BOOST_TEST(false, tapegrad::op_name(op) << ": no case in by_hand() to put NaN into");
            continue;
        }
        const OpCase& k = found->second;
        for (int p = 0; p < static_cast<int>(k.inputs.size()); ++p)
            for (double s : {0.0, 1.0, -1.0, 0.5, inf, -inf, 1e300, -1e300, 1e-300})
                BOOST_TEST_CONTEXT(tapegrad::op_name(op) << ": parent " << p << " NaN, the others " << s) {
                        MatrixXd value, ignored;
                        const auto at_nan = adjoints_at(op, k, p, s, nan, value);
                        BOOST_TEST(value.array().isNaN().all(), "value " << value);
                        const auto low = adjoints_at(op, k, p, s, -0.7, ignored);
                        const auto high = adjoints_at(op, k, p, s, 1.3, ignored);
                        for (std::size_t q = 0; q < at_nan.size(); ++q)
                            for (Eigen::Index e = 0; e < at_nan[q].size(); ++e) {
                                const double a = at_nan[q].data()[e], l = low[q].data()[e], h = high[q].data()[e];
                                BOOST_TEST((std::isnan(a) || (l == h && a == l)),
                                           "adjoint of parent " << q << " element " << e << ": " << a
                                                                << " (at -0.7: " << l << ", at 1.3: " << h << ")");
                            }
                    }
    }
}

BOOST_AUTO_TEST_CASE(pow_with_exponent_zero_has_gradient_zero_at_zero) {
    // d/dx x^0 = 0 everywhere, x = 0 included (c x^(c-1) would give 0 * inf = NaN).
    BOOST_TEST(ops::PowerScalar::derivative(0.0, 1.0, 0.0) == 0.0);
    BOOST_TEST(ops::Power::da(0.0, 0.0, 1.0) == 0.0);
    BOOST_TEST(std::isnan(ops::Relu::value(std::numeric_limits<double>::quiet_NaN(), 0)));
    BOOST_TEST(std::isnan(ops::Relu::derivative(std::numeric_limits<double>::quiet_NaN(), 0, 0)));
    BOOST_TEST(std::isnan(ops::Abs::derivative(std::numeric_limits<double>::quiet_NaN(), 0, 0)));
}
