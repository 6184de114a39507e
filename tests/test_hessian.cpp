// tests/test_hessian.cpp — second derivatives (autodiff/hessian.hpp), each against a source
// that is not the code under test:
//   - the recorded sweep's values against the core's sweep (Tape::gradient), for every op of
//     TAPEGRAD_OPS in every shape class op_cases.hpp gives it (1e-12 relative);
//   - the Hessian of every op (in a loss that is not linear in it) against central
//     differences of the core's gradient;
//   - closed forms: x^2 y + sin(xy), a quadratic form x^T A x (H = A + A^T), and the identity
//     health network's loss, whose Hessian is derived by hand below;
//   - Hessian-vector products against central differences of the hand-derived chain-rule
//     gradient along v (sigmoid and tanh networks), at the article's starts and at random ones;
//   - symmetry to rounding, a chain of 5,000 operations, and the refusals.
//
// Tolerance of the central differences, step h: the error is the truncation h^2/6 |g'''|
// plus the rounding eps |g| / h. With h = 1e-4 and |g'''|, |g| of order 10 or less here,
// that is below 2e-7 + 1e-11; 1e-6 (1 + |H_ij|) keeps a margin, and a wrong derivative rule
// misses by far more (a dropped term is of the size of H itself).
#define BOOST_TEST_MODULE hessian
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "health_fixtures.hpp"
#include "op_cases.hpp"
#include "tape_errors.hpp"
#include "tapegrad/autodiff/hessian.hpp"

using Eigen::MatrixXd;
using Eigen::VectorXd;
using tapegrad::Hessian;
using tapegrad::Op;
using tapegrad::OpKind;
using tapegrad::Tape;
using tapegrad::TapeError;
using tapegrad::Var;
using tapegrad::testing::contains;
using tapegrad::testing::error_of;

namespace {
constexpr double step = 1e-4;

bool close(double a, double b, double rtol, double scale = 1.0) { return std::abs(a - b) <= rtol * (scale + std::abs(b)); }

// The gradient of a loss the caller records from variables of the given values.
using Record = std::function<Var(Tape&, const std::vector<Var>&)>;
VectorXd core_gradient(const Record& record, const std::vector<MatrixXd>& values) {
    Tape tape;
    std::vector<Var> vars;
    for (const MatrixXd& v : values) vars.push_back(tape.variable(v));
    const Var loss = record(tape, vars);
    VectorXd g(static_cast<Eigen::Index>(tape.variable_elements()));
    tape.gradient(loss, std::span<double>(g.data(), static_cast<std::size_t>(g.size())));
    return g;
}
MatrixXd recorded_hessian(const Record& record, const std::vector<MatrixXd>& values) {
    Tape tape;
    std::vector<Var> vars;
    for (const MatrixXd& v : values) vars.push_back(tape.variable(v));
    Hessian h(record(tape, vars));
    return h.matrix();
}
// Column k: (g(theta + h e_k) - g(theta - h e_k)) / 2h, theta all the variables' elements in order.
MatrixXd central_differences(const Record& record, const std::vector<MatrixXd>& values) {
    Eigen::Index n = 0;
    for (const MatrixXd& v : values) n += v.size();
    MatrixXd h(n, n);
    Eigen::Index k = 0;
    for (std::size_t i = 0; i < values.size(); ++i)
        for (Eigen::Index e = 0; e < values[i].size(); ++e, ++k) {
            std::vector<MatrixXd> up = values, down = values;
            up[i].data()[e] += step;
            down[i].data()[e] -= step;
            h.col(k) = (core_gradient(record, up) - core_gradient(record, down)) / (2 * step);
        }
    return h;
}
void check_close(const MatrixXd& got, const MatrixXd& want, double rtol, const std::string& what) {
    BOOST_REQUIRE_EQUAL(got.rows(), want.rows());
    BOOST_REQUIRE_EQUAL(got.cols(), want.cols());
    const double scale = 1.0 + want.cwiseAbs().maxCoeff();
    for (Eigen::Index i = 0; i < got.rows(); ++i)
        for (Eigen::Index j = 0; j < got.cols(); ++j)
            BOOST_TEST_CONTEXT(what << ", H(" << i << "," << j << ")")
    BOOST_TEST(std::abs(got(i, j) - want(i, j)) <= rtol * scale, got(i, j) << " vs " << want(i, j));
}
double asymmetry(const MatrixXd& h) { return (h - h.transpose()).cwiseAbs().maxCoeff(); }

std::string case_name(Op op, const std::vector<tapegrad::Shape>& shapes) {
    std::string s(tapegrad::op_name(op));
    for (tapegrad::Shape p : shapes) s += " " + p.to_string();
    return s;
}
}  // namespace

BOOST_AUTO_TEST_CASE(the_recorded_sweep_equals_the_core_sweep_for_every_op) {
    int checked = 0;
    for (int o = 0; o < tapegrad::op_count; ++o) {
        const Op op = static_cast<Op>(o);
        for (const auto& shapes : tapegrad::testing::shape_classes(op)) {
            Tape tape;
            std::vector<Var> parents;
            for (std::size_t i = 0; i < shapes.size(); ++i)
                parents.push_back(tape.variable(tapegrad::testing::filled(shapes[i], 0.3 + static_cast<double>(i))));
            const Var y = tapegrad::testing::record_with(tape, op, parents, 2.5);
            const Var loss = sum(y * tape.constant(tapegrad::testing::filled(y.shape(), 7.0)));
            tape.gradient(loss);
            std::vector<MatrixXd> want;
            for (const Var& p : parents) want.emplace_back(p.adjoint());
            const std::vector<Var> got = tapegrad::record_gradient(loss, parents);
            for (std::size_t i = 0; i < parents.size(); ++i)
                BOOST_TEST_CONTEXT(case_name(op, shapes) << ", parent " << i) {
                    BOOST_TEST(got[i].value().isApprox(want[i], 1e-12));
                }
            ++checked;
        }
    }
    BOOST_TEST(checked > 60);  // every non-leaf op, in several shape classes each
}

BOOST_AUTO_TEST_CASE(the_hessian_of_every_op_matches_central_differences_of_the_core_gradient) {
    for (int o = 0; o < tapegrad::op_count; ++o) {
        const Op op = static_cast<Op>(o);
        for (const auto& shapes : tapegrad::testing::shape_classes(op)) {
            std::vector<MatrixXd> values;
            std::size_t elements = 0;
            for (std::size_t i = 0; i < shapes.size(); ++i) {
                values.push_back(tapegrad::testing::filled(shapes[i], 0.3 + static_cast<double>(i)));
                elements += shapes[i].size();
            }
            if (elements > 60) continue;  // the 40 x 30 products: 1,800 parameters
            // Not linear in y: y * y weighted, so every op's second derivative and its first
            // (through the product) both count.
            const Record record = [op](Tape& tape, const std::vector<Var>& p) {
                const Var y = tapegrad::testing::record_with(tape, op, p, 2.5);
                return sum(y * y * tape.constant(tapegrad::testing::filled(y.shape(), 7.0)));
            };
            const MatrixXd h = recorded_hessian(record, values);
            BOOST_TEST_CONTEXT(case_name(op, shapes)) {
                check_close(h, central_differences(record, values), 1e-6, case_name(op, shapes));
                BOOST_TEST(asymmetry(h) <= 1e-12 * (1.0 + h.cwiseAbs().maxCoeff()));
            }
        }
    }
}

// f = x^2 y + sin(xy):  f_xx = 2y - y^2 sin(xy),  f_xy = 2x + cos(xy) - xy sin(xy),  f_yy = -x^2 sin(xy)
BOOST_AUTO_TEST_CASE(x2y_plus_sin_xy_has_its_closed_form_hessian) {
    std::mt19937 random(7);
    std::uniform_real_distribution<double> any(-3.0, 3.0);
    for (int trial = 0; trial < 50; ++trial) {
        const double x = any(random), y = any(random);
        Tape tape;
        const Var vx = tape.variable(x), vy = tape.variable(y);
        Hessian h(square(vx) * vy + sin(vx * vy));
        const MatrixXd got = h.matrix();
        const double s = std::sin(x * y), c = std::cos(x * y);
        MatrixXd want(2, 2);
        want << 2 * y - y * y * s, 2 * x + c - x * y * s, 2 * x + c - x * y * s, -x * x * s;
        check_close(got, want, 1e-13, "x=" + std::to_string(x) + " y=" + std::to_string(y));
        const std::vector<double> g = h.gradient();  // f_x = 2xy + y cos(xy), f_y = x^2 + x cos(xy)
        BOOST_TEST(close(g[0], 2 * x * y + y * c, 1e-14));
        BOOST_TEST(close(g[1], x * x + x * c, 1e-14));
    }
}

BOOST_AUTO_TEST_CASE(a_quadratic_form_has_hessian_a_plus_a_transposed) {
    std::mt19937 random(11);
    std::uniform_real_distribution<double> any(-2.0, 2.0);
    for (int n : {1, 2, 4, 7}) {
        MatrixXd a(n, n), x(n, 1);
        for (Eigen::Index k = 0; k < a.size(); ++k) a.data()[k] = any(random);
        for (Eigen::Index k = 0; k < x.size(); ++k) x.data()[k] = any(random);
        Tape tape;
        const Var vx = tape.variable(x);
        Hessian h(sum(matmul(transpose(vx), matmul(tape.constant(a), vx))));
        check_close(h.matrix(), a + a.transpose(), 1e-14, "n=" + std::to_string(n));
    }
}

namespace {
// The identity network's loss L = (1/n) sum_i r_i^2, r_i = z_i - y_i, z_i = w7 h1_i + w8 h2_i + b3.
// Its Hessian by hand: H = (2/n) sum_i (J_i J_i^T + r_i K_i), J_i = dz_i/dtheta,
//   J_i = [w7 x_i (3), w8 x_i (3), h1_i, h2_i, w7, w8, 1],
// K_i = d^2 z_i / dtheta^2, non-zero only in the pairs (w_j, w7) = x_ij, (w_3+j, w8) = x_ij,
// (b1, w7) = (b2, w8) = 1, and their mirrors. Indices: w1..w8 = 0..7, b1..b3 = 8..10.
MatrixXd identity_network_hessian(const tapegrad::nn::HealthNetwork& net, const tapegrad::nn::Parameters& p) {
    const auto& w = p.values;
    MatrixXd h = MatrixXd::Zero(11, 11);
    for (Eigen::Index i = 0; i < net.people(); ++i) {
        const double x[3] = {net.x1()(i), net.x2()(i), net.x3()(i)};
        const double h1 = w[0] * x[0] + w[1] * x[1] + w[2] * x[2] + w[8];
        const double h2 = w[3] * x[0] + w[4] * x[1] + w[5] * x[2] + w[9];
        const double r = w[6] * h1 + w[7] * h2 + w[10] - net.targets()(i);
        VectorXd j(11);
        j << w[6] * x[0], w[6] * x[1], w[6] * x[2], w[7] * x[0], w[7] * x[1], w[7] * x[2], h1, h2, w[6], w[7], 1.0;
        MatrixXd k = MatrixXd::Zero(11, 11);
        for (int l = 0; l < 3; ++l) k(l, 6) = k(6, l) = k(3 + l, 7) = k(7, 3 + l) = x[l];
        k(8, 6) = k(6, 8) = k(9, 7) = k(7, 9) = 1.0;
        h += j * j.transpose() + r * k;
    }
    return h * (2.0 / static_cast<double>(net.people()));
}
MatrixXd network_hessian(const tapegrad::nn::HealthNetwork& net, const tapegrad::nn::Parameters& p) {
    Tape tape;
    tapegrad::nn::ParameterVars vars;
    Hessian h(net.record_loss(tape, p, vars));
    return h.matrix();
}
std::vector<tapegrad::nn::Parameters> starts() {
    std::vector<tapegrad::nn::Parameters> all{tapegrad::testing::reference_start("a"),
                                              tapegrad::testing::reference_start("b")};
    std::mt19937 random(2026);
    std::uniform_real_distribution<double> any(-1.5, 1.5);
    for (int k = 0; k < 8; ++k) {  // unseen starts
        tapegrad::nn::Parameters p;
        for (double& v : p.values) v = any(random);
        all.push_back(p);
    }
    return all;
}
}  // namespace

BOOST_AUTO_TEST_CASE(the_identity_network_has_its_hand_derived_hessian) {
    const auto net = tapegrad::testing::article_network();
    for (const auto& p : starts()) check_close(network_hessian(net, p), identity_network_hessian(net, p), 1e-12, "start");
}

BOOST_AUTO_TEST_CASE(products_match_central_differences_of_the_chain_rule_gradient) {
    using tapegrad::nn::Activation;
    std::mt19937 random(5);
    std::normal_distribution<double> normal;
    for (Activation a : {Activation::identity, Activation::sigmoid, Activation::tanh}) {
        const auto net = tapegrad::testing::article_network(a);
        for (const auto& p : starts()) {
            std::vector<double> v(11);
            for (double& e : v) e = normal(random);
            Tape tape;
            tapegrad::nn::ParameterVars vars;
            Hessian h(net.record_loss(tape, p, vars));
            const std::vector<double> hv = h.product(v);
            tapegrad::nn::Parameters up = p, down = p;
            for (int k = 0; k < 11; ++k) up.values[k] += step * v[k], down.values[k] -= step * v[k];
            const auto gu = net.chain_rule_gradient(up), gd = net.chain_rule_gradient(down);
            for (int k = 0; k < 11; ++k)
                BOOST_TEST_CONTEXT(tapegrad::nn::activation_name(a) << " parameter " << k) {
                    BOOST_TEST(close(hv[k], (gu.values[k] - gd.values[k]) / (2 * step), 1e-6));
                }
            const MatrixXd full = h.matrix();
            BOOST_TEST(asymmetry(full) <= 1e-12 * (1.0 + full.cwiseAbs().maxCoeff()));
            const std::vector<double> g = h.gradient();
            const auto want = net.chain_rule_gradient(p).values;
            for (int k = 0; k < 11; ++k) BOOST_TEST(close(g[k], want[k], 1e-12));
        }
    }
}

BOOST_AUTO_TEST_CASE(a_chain_of_5000_operations_has_its_second_derivative) {
    // y = f(f(...f(x, a)...)) with f(u) = sin(u) a + 0.5 u: deep, so any recursion would show.
    const Record record = [](Tape& tape, const std::vector<Var>& p) {
        Var u = p[0];
        for (int k = 0; k < 5000; ++k) u = sin(u) * p[1] + 0.5 * u;
        (void)tape;
        return u;
    };
    const std::vector<MatrixXd> values{MatrixXd::Constant(1, 1, 0.7), MatrixXd::Constant(1, 1, 0.45)};
    check_close(recorded_hessian(record, values), central_differences(record, values), 1e-6, "chain");
}

BOOST_AUTO_TEST_CASE(a_parameter_the_loss_does_not_use_gets_zeros) {
    Tape tape;
    const Var x = tape.variable(2.0), unused = tape.variable(MatrixXd::Ones(2, 3));
    const Var loss = cube(x);
    const auto g = tapegrad::record_gradient(loss, std::vector<Var>{x, unused});
    BOOST_TEST(g[0].scalar_value() == 12.0);
    BOOST_TEST(g[1].value().isZero());
    Hessian h(loss);
    BOOST_TEST(h.size() == 7u);
    const MatrixXd m = h.matrix();
    BOOST_TEST(m(0, 0) == 12.0);  // 6x
    BOOST_TEST(m.cwiseAbs().sum() == 12.0);
}

BOOST_AUTO_TEST_CASE(misuse_is_refused_with_a_message_naming_it) {
    Tape tape, other;
    const Var x = tape.variable(MatrixXd::Ones(2, 1));
    BOOST_TEST(contains(error_of([&] { Hessian h(x * 2.0); }), "must be a scalar (1x1), got 2x1"));
    const Var loss = sum(x * x);
    const Var elsewhere = other.variable(1.0);
    BOOST_TEST(contains(error_of([&] { tapegrad::record_gradient(loss, std::vector<Var>{elsewhere}); }),
                        "another tape"));
    Hessian h(loss);
    const std::vector<double> three(3, 1.0);
    BOOST_TEST(contains(error_of([&] { h.product(three); }), "the variables hold 2 numbers, but v has 3"));
    Tape data_only;
    BOOST_TEST(contains(error_of([&] { Hessian none(sum(data_only.constant(MatrixXd::Ones(2, 2)))); }),
                        "has no variables"));
}
