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
#include "tapegrad/autodiff/operations.hpp"
#include "tapegrad/autodiff/tape.hpp"

namespace bdata = boost::unit_test::data;
namespace ops = tapegrad::ops;

namespace {

struct UnaryCase {
    std::string name;
    double x;
    double c;  // the op's constant (exponent of pow)
    std::function<double(double, double)> value;
    std::function<double(double, double, double)> derivative;
    std::function<double(double)> by_hand;  // dy/dx written independently
};
std::ostream& operator<<(std::ostream& out, const UnaryCase& k) { return out << k.name << " at x=" << k.x; }

template <class Op>
UnaryCase unary(std::string name, double x, std::function<double(double)> by_hand, double c = 0) {
    return {std::move(name), x, c, &Op::value, &Op::derivative, std::move(by_hand)};
}

std::vector<UnaryCase> unary_cases() {
    std::vector<UnaryCase> cases;
    for (double x : {-2.5, -0.7, 0.3, 1.9}) {
        cases.push_back(unary<ops::Negate>("negate", x, [](double) { return -1.0; }));
        cases.push_back(unary<ops::Exp>("exp", x, [](double v) { return std::exp(v); }));
        cases.push_back(unary<ops::Square>("square", x, [](double v) { return 2 * v; }));
        cases.push_back(unary<ops::Abs>("abs", x, [](double v) { return v > 0 ? 1.0 : -1.0; }));
        cases.push_back(unary<ops::Sin>("sin", x, [](double v) { return std::cos(v); }));
        cases.push_back(unary<ops::Cos>("cos", x, [](double v) { return -std::sin(v); }));
        cases.push_back(unary<ops::Tanh>("tanh", x, [](double v) { return 1 / (std::cosh(v) * std::cosh(v)); }));
        cases.push_back(unary<ops::Sigmoid>("sigmoid", x, [](double v) {
            return std::exp(-v) / ((1 + std::exp(-v)) * (1 + std::exp(-v)));  // d/dv (1+e^-v)^-1
        }));
        cases.push_back(unary<ops::Relu>("relu", x, [](double v) { return v > 0 ? 1.0 : 0.0; }));
        cases.push_back(unary<ops::Identity>("identity", x, [](double) { return 1.0; }));
        cases.push_back(unary<ops::PowerScalar>(
            "pow 3", x, [](double v) { return 3 * v * v; }, 3.0));
        cases.push_back(unary<ops::PowerScalar>(
            "pow -2", x, [](double v) { return -2 / (v * v * v); }, -2.0));
    }
    for (double x : {0.2, 1.0, 3.7}) {  // positive inputs only
        cases.push_back(unary<ops::Log>("log", x, [](double v) { return 1 / v; }));
        cases.push_back(unary<ops::Sqrt>("sqrt", x, [](double v) { return 1 / (2 * std::sqrt(v)); }));
        cases.push_back(unary<ops::PowerScalar>(
            "pow 0.5", x, [](double v) { return 0.5 / std::sqrt(v); }, 0.5));
    }
    return cases;
}

double central(const std::function<double(double)>& f, double x, double h = 1e-6) {
    return (f(x + h) - f(x - h)) / ((x + h) - (x - h));
}

}  // namespace

BOOST_DATA_TEST_CASE(unary_derivative_matches_hand_formula_and_central_difference, bdata::make(unary_cases()), k) {
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
    std::function<double(double, double)> hand_a, hand_b;
};
std::ostream& operator<<(std::ostream& out, const BinaryCase& k) {
    return out << k.name << " at a=" << k.a << ", b=" << k.b;
}
template <class Op>
BinaryCase binary(std::string name, double a, double b, std::function<double(double, double)> ha,
                  std::function<double(double, double)> hb) {
    return {std::move(name), a, b, &Op::value, &Op::da, &Op::db, std::move(ha), std::move(hb)};
}
std::vector<BinaryCase> binary_cases() {
    std::vector<BinaryCase> cases;
    for (auto [a, b] : {std::pair{1.5, -0.4}, std::pair{0.3, 2.2}, std::pair{-3.0, 0.9}}) {
        cases.push_back(binary<ops::Add>(
            "add", a, b, [](double, double) { return 1.0; }, [](double, double) { return 1.0; }));
        cases.push_back(binary<ops::Subtract>(
            "subtract", a, b, [](double, double) { return 1.0; }, [](double, double) { return -1.0; }));
        cases.push_back(binary<ops::Multiply>(
            "multiply", a, b, [](double, double v) { return v; }, [](double u, double) { return u; }));
        cases.push_back(binary<ops::Divide>(
            "divide", a, b, [](double, double v) { return 1 / v; }, [](double u, double v) { return -u / (v * v); }));
    }
    for (auto [a, b] : {std::pair{1.5, -0.4}, std::pair{0.3, 2.2}, std::pair{2.0, 3.0}}) {  // positive base
        cases.push_back(binary<ops::Power>(
            "pow", a, b, [](double u, double v) { return v * std::pow(u, v - 1); },
            [](double u, double v) { return std::pow(u, v) * std::log(u); }));
    }
    return cases;
}
}  // namespace

BOOST_DATA_TEST_CASE(binary_partials_match_hand_formula_and_central_difference, bdata::make(binary_cases()), k) {
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
// and both its paths (fast and generic) must give the hand value and gradient to 1e-12
// relative, and agree with central differences of the hand value (h = 1e-6, rtol 1e-6).
// The cases are looked up by op for every op of the list: a new op without a case fails.
namespace {
using Eigen::MatrixXd;
using tapegrad::Op;
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
    // y = s1 c1 + s2 c2 + s3 c3 + b: d/ds_k = sum(G .* c_k), d/dc_k = s_k G, d/db = sum(G)
    c[Op::weighted_sum] = {
        {m(1, 1, 0.3), m(4, 2, -0.5), m(1, 1, -0.7), m(4, 2, 0.2), m(1, 1, 1.1), m(4, 2, 0.6), m(1, 1, 0.4)},
        0,
        [](const Inputs& in) {
            return MatrixXd(in[0](0, 0) * in[1] + in[2](0, 0) * in[3] + in[4](0, 0) * in[5] +
                            MatrixXd::Constant(4, 2, in[6](0, 0)));
        },
        [](const Inputs& in, const MatrixXd& g, int p) {
            if (p == 6) return MatrixXd::Constant(1, 1, g.sum()).eval();
            if (p % 2 == 0) return MatrixXd::Constant(1, 1, g.cwiseProduct(in[p + 1]).sum()).eval();
            return MatrixXd(in[p - 1](0, 0) * g);
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
            if (op != Op::weighted_sum) BOOST_TEST(static_cast<int>(k.inputs.size()) == tapegrad::op_parents(op));
            const MatrixXd value = k.value(k.inputs);
            const MatrixXd g = m(static_cast<int>(value.rows()), static_cast<int>(value.cols()), 0.9);
            for (bool fast : {true, false}) {
                BOOST_TEST_CONTEXT((fast ? "fast path" : "generic path")) {
                    tapegrad::Tape tape;
                    tape.set_fast_path(fast);
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

BOOST_AUTO_TEST_CASE(adding_an_op_is_one_entry_cube) {
    // cube was added as the exercise says: ops::Cube, one line of TAPEGRAD_OPS, and cube()
    // in var.hpp. Everything else (the enum, its name, both directions, the fast path) follows.
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
std::vector<MatrixXd> adjoints_at(Op op, const OpCase& k, int p, double other, double at, bool fast, MatrixXd& value) {
    tapegrad::Tape tape;
    tape.set_fast_path(fast);
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
        const OpCase& k = cases.at(op);
        for (int p = 0; p < static_cast<int>(k.inputs.size()); ++p)
            for (double s : {0.0, 1.0, -1.0, 0.5, inf, -inf, 1e300, -1e300, 1e-300})
                for (bool fast : {true, false})
                    BOOST_TEST_CONTEXT(tapegrad::op_name(op) << ": parent " << p << " NaN, the others " << s
                                                             << (fast ? " (fast path)" : " (generic path)")) {
                        MatrixXd value, ignored;
                        const auto at_nan = adjoints_at(op, k, p, s, nan, fast, value);
                        BOOST_TEST(value.array().isNaN().all(), "value " << value);
                        const auto low = adjoints_at(op, k, p, s, -0.7, fast, ignored);
                        const auto high = adjoints_at(op, k, p, s, 1.3, fast, ignored);
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
