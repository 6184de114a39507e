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
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "tapegrad/autodiff/operations.hpp"

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
    for (int i = 0; i <= static_cast<int>(tapegrad::last_op); ++i) {
        const auto op = static_cast<Op>(i);
        const std::string name(tapegrad::op_name(op));
        BOOST_TEST(name != "?");
        if (op != Op::power_scalar) BOOST_TEST(names.insert(name).second, "duplicate op name " << name);
    }
    BOOST_TEST(tapegrad::op_symbol(Op::multiply) == "*");
}
