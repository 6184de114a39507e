// tests/test_expression.cpp — products, differences and the sums and mean squared errors
// built from them (expression.hpp): recorded when they become Vars, as one fused node on a
// tape that fuses expressions and as a node per operator otherwise, with the same numbers.
// The weighted_sum op itself is checked against hand formulas and central differences in
// test_operations, like every op.
#define BOOST_TEST_MODULE expression
#include <boost/test/unit_test.hpp>

#include <string>
#include <type_traits>
#include <vector>

#include "tape_errors.hpp"
#include "tapegrad/autodiff/tape.hpp"

using Eigen::MatrixXd;
using Eigen::VectorXd;
using tapegrad::Op;
using tapegrad::Tape;
using tapegrad::Var;
using tapegrad::testing::error_of;

namespace {
VectorXd column(double base) {  // six distinct numbers, none of them round
    VectorXd x(6);
    for (int i = 0; i < 6; ++i) x(i) = base + 0.173 * i - 0.021 * i * i;
    return x;
}
std::vector<std::string> ops_of(const Tape& tape, std::size_t from) {
    std::vector<std::string> ops;
    for (std::size_t k = from; k < tape.size(); ++k) ops.emplace_back(op_name(tape.node(k).op));
    return ops;
}

// The tutorial's hidden neuron and output, h = w1 x1 + w2 x2 + w3 x3 + b1 and the mse of
// z = w4 h + b2 against y, on a tape that fuses or not. Returns the loss, its gradient
// (w1, w2, w3, b1, w4, b2) and h's value.
struct Result {
    double loss;
    std::vector<double> gradient;
    MatrixXd h;
    std::size_t nodes;
};
Result tutorial_lines(bool fuse) {
    Tape tape;
    tape.set_fuse_expressions(fuse);
    const Var w1 = tape.variable(0.31), w2 = tape.variable(-0.72), w3 = tape.variable(0.55), b1 = tape.variable(0.1);
    const Var w4 = tape.variable(1.3), b2 = tape.variable(-0.4);
    const Var x1 = tape.constant(column(0.2)), x2 = tape.constant(column(-0.5)), x3 = tape.constant(column(0.9));
    const Var y = tape.constant(column(1.7));
    const Var h = w1 * x1 + w2 * x2 + w3 * x3 + b1;
    const Var z = w4 * h + b2;
    const Var loss = mean(square(z - y));
    const std::vector<double> g = tape.gradient(loss, {w1, w2, w3, b1, w4, b2});
    return {loss.scalar_value(), g, h.value(), tape.size()};
}
}  // namespace

BOOST_AUTO_TEST_CASE(an_expression_is_not_a_var_until_it_is_used_as_one) {
    Tape tape;
    const Var a = tape.variable(2.0), b = tape.variable(3.0);
    static_assert(std::is_same_v<decltype(a * b), tapegrad::Product>);
    static_assert(std::is_same_v<decltype(a - b), tapegrad::Difference>);
    static_assert(std::is_same_v<std::decay_t<decltype(a * b + a * b + a)>, tapegrad::SumOfProducts>);
    const auto p = a * b;  // nothing recorded yet
    BOOST_TEST(tape.size() == 2u);
    const Var once = p, twice = p;  // recorded where it becomes a Var: each time
    BOOST_TEST(tape.size() == 4u);
    BOOST_TEST(once.scalar_value() == 6.0);
    BOOST_TEST(twice.scalar_value() == 6.0);
}

BOOST_AUTO_TEST_CASE(unfused_a_sum_is_recorded_left_to_right_as_written) {
    Tape tape;
    const Var w1 = tape.variable(0.5), w2 = tape.variable(0.25), w3 = tape.variable(2.0), b = tape.variable(1.0);
    const Var x1 = tape.constant(column(0.2)), x2 = tape.constant(column(0.4)), x3 = tape.constant(column(0.6));
    const Var h = w1 * x1 + w2 * x2 + w3 * x3 + b;
    const std::vector<std::string> want = {"multiply", "multiply", "add", "multiply", "add", "add"};
    BOOST_TEST(ops_of(tape, 7) == want, boost::test_tools::per_element());
    BOOST_TEST(tape.parents(7)[0] == w1.index());  // w1 * x1 first
    BOOST_TEST(tape.parents(7)[1] == x1.index());
    const VectorXd hand = 0.5 * column(0.2) + 0.25 * column(0.4) + 2.0 * column(0.6) + VectorXd::Constant(6, 1.0);
    BOOST_TEST((h.value() - hand).cwiseAbs().maxCoeff() == 0.0);
}

BOOST_AUTO_TEST_CASE(fused_the_tutorial_lines_are_two_weighted_sums_and_an_mse_with_the_same_numbers) {
    const Result unfused = tutorial_lines(false), fused = tutorial_lines(true);
    BOOST_TEST(unfused.nodes == 10u + 6u + 2u + 3u);  // leaves, h, z, then subtract, square, mean
    BOOST_TEST(fused.nodes == 10u + 1u + 1u + 1u);
    // The weighted sum adds in the order the adds do: h is the same to the last bit.
    BOOST_TEST((fused.h - unfused.h).cwiseAbs().maxCoeff() == 0.0);
    // The mse sums its squares in its own order: the same up to rounding.
    BOOST_TEST(fused.loss == unfused.loss, boost::test_tools::tolerance(1e-14));
    for (std::size_t i = 0; i < fused.gradient.size(); ++i)
        BOOST_TEST(fused.gradient[i] == unfused.gradient[i], boost::test_tools::tolerance(1e-13));
}

BOOST_AUTO_TEST_CASE(fused_gradient_matches_the_chain_rule_by_hand) {
    // h_i = w1 x1_i + w2 x2_i + w3 x3_i + b1, z = w4 h + b2, L = mean((z - y)^2):
    // dL/dz_i = 2 (z_i - y_i) / 6, dL/dw4 = sum dz_i h_i, dL/db2 = sum dz_i,
    // dL/dwk = sum dz_i w4 xk_i, dL/db1 = sum dz_i w4.
    const Result fused = tutorial_lines(true);
    const VectorXd x1 = column(0.2), x2 = column(-0.5), x3 = column(0.9), y = column(1.7);
    const VectorXd h = 0.31 * x1 - 0.72 * x2 + 0.55 * x3 + VectorXd::Constant(6, 0.1);
    const VectorXd dz = 2.0 * (1.3 * h + VectorXd::Constant(6, -0.4) - y) / 6.0;
    const std::vector<double> hand = {1.3 * dz.dot(x1), 1.3 * dz.dot(x2), 1.3 * dz.dot(x3),
                                      1.3 * dz.sum(),   dz.dot(h),        dz.sum()};
    for (std::size_t i = 0; i < hand.size(); ++i)
        BOOST_TEST(fused.gradient[i] == hand[i], boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(fused_either_side_of_a_product_may_be_the_number) {
    Tape tape;
    tape.set_fuse_expressions(true);
    const Var w1 = tape.variable(0.5), w2 = tape.variable(-1.5);
    const Var x1 = tape.constant(column(0.2)), x2 = tape.constant(column(0.4));
    const Var h = x1 * w1 + w2 * x2;
    BOOST_TEST((tape.node(h.index()).op == Op::weighted_sum));
    const auto parents = tape.parents(h.index());  // each product's number first
    BOOST_TEST(parents.size() == 4u);
    BOOST_TEST(parents[0] == w1.index());
    BOOST_TEST(parents[1] == x1.index());
    const VectorXd hand = 0.5 * column(0.2) - 1.5 * column(0.4);
    BOOST_TEST((h.value() - hand).cwiseAbs().maxCoeff() == 0.0);
}

BOOST_AUTO_TEST_CASE(fused_shapes_that_do_not_make_a_weighted_sum_are_recorded_unfused) {
    Tape tape;
    tape.set_fuse_expressions(true);
    const Var a = tape.variable(MatrixXd(column(0.2))), b = tape.variable(MatrixXd(column(0.4)));
    const Var w = tape.variable(2.0), m = tape.variable(MatrixXd::Ones(2, 3));
    const Var h = a * b + w * a;  // a column times a column: no number in the first product
    BOOST_TEST((tape.node(h.index()).op == Op::add));
    const VectorXd hand = column(0.2).cwiseProduct(column(0.4)) + 2.0 * column(0.2);
    BOOST_TEST((h.value() - hand).cwiseAbs().maxCoeff() == 0.0);
    // terms of two shapes: the usual broadcasting error, named by the operator that raises it
    const std::string msg = error_of([&] { (void)Var(w * a + w * m); });
    BOOST_TEST(msg.find("add") != std::string::npos, msg);
    BOOST_TEST(msg.find("6x1") != std::string::npos, msg);
}

BOOST_AUTO_TEST_CASE(fused_a_fifth_product_or_a_term_after_the_bias_is_added_as_a_node_of_its_own) {
    Tape tape;
    tape.set_fuse_expressions(true);
    const Var s = tape.variable(0.5), b = tape.variable(1.0), x = tape.constant(column(0.3));
    const Var five = s * x + s * x + s * x + s * x + s * x;
    BOOST_TEST((tape.node(five.index()).op == Op::add));
    BOOST_TEST(tape.parents(five.index()).size() == 2u);
    BOOST_TEST((tape.node(tape.parents(five.index())[0]).op == Op::weighted_sum));
    BOOST_TEST(tape.parents(tape.parents(five.index())[0]).size() == 8u);
    BOOST_TEST((five.value() - 2.5 * column(0.3)).cwiseAbs().maxCoeff() <= 1e-15);
    const Var after_bias = s * x + s * x + b + s * x;
    BOOST_TEST((tape.node(after_bias.index()).op == Op::add));
    BOOST_TEST((after_bias.value() - (1.5 * column(0.3) + VectorXd::Ones(6))).cwiseAbs().maxCoeff() <= 1e-15);
}

BOOST_AUTO_TEST_CASE(fused_mse_needs_two_nodes_of_one_shape) {
    Tape tape;
    tape.set_fuse_expressions(true);
    const Var p = tape.variable(MatrixXd(column(0.2))), y = tape.constant(column(0.9)), c = tape.constant(0.5);
    const Var same = mean(square(p - y));
    BOOST_TEST((tape.node(same.index()).op == Op::mean_squared_error));
    const Var broadcast = mean(square(p - c));  // a column minus a number: subtract, square, mean
    BOOST_TEST((tape.node(broadcast.index()).op == Op::mean));
    BOOST_TEST(broadcast.scalar_value() == (column(0.2).array() - 0.5).square().mean(),
               boost::test_tools::tolerance(1e-15));
}

BOOST_AUTO_TEST_CASE(misuse_is_reported_when_the_expression_is_recorded) {
    Tape tape;
    tape.set_fuse_expressions(true);
    const Var old = tape.variable(1.0);
    tape.clear();
    const Var w = tape.variable(2.0), x = tape.constant(column(0.1));
    const auto stale = old * x + w * x;  // nothing recorded, nothing checked yet
    const std::string msg = error_of([&] { (void)Var(stale); });
    BOOST_TEST(msg.find("multiply") != std::string::npos, msg);
    BOOST_TEST(msg.find("cleared") != std::string::npos, msg);
    BOOST_TEST(error_of([&] { (void)mean(square(old - x)); }).find("subtract") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(fusing_is_off_by_default_and_kept_by_clear) {
    Tape tape;
    BOOST_TEST(!tape.fuse_expressions());
    tape.set_fuse_expressions(true);
    tape.clear();
    BOOST_TEST(tape.fuse_expressions());
}

BOOST_AUTO_TEST_CASE(weighted_sum_refuses_what_is_not_one) {
    Tape tape;
    const Var s = tape.variable(1.0), c = tape.variable(MatrixXd(column(0.1))), m = tape.variable(MatrixXd::Ones(2, 2));
    BOOST_TEST(error_of([&] { tape.record_weighted_sum(std::vector<Var>{s}); }).find("2 to 9") != std::string::npos);
    const std::string msg = error_of([&] { tape.record_weighted_sum(std::vector<Var>{s, c, s, m}); });
    BOOST_TEST(msg.find("weighted_sum") != std::string::npos, msg);
    BOOST_TEST(msg.find("2x2") != std::string::npos, msg);
    BOOST_TEST(tape.try_record_weighted_sum(std::vector<Var>{c, c}).empty());  // no number in the product
    BOOST_TEST(tape.size() == 3u);                                             // and nothing recorded
}

// ---- A sum that has been recorded goes on adding (issue 28) -------------------------------
// Once a sum of products has no room (a fifth product, a product after the bias) it is
// recorded, and every later term must be added to what was recorded. A sum that instead
// started afresh at the next product lost everything before it, with no error: the
// tutorial's `w1 * x1 + b + w2 * x2 + w3 * x3` gave 3, not 106.

namespace {
// w_i * x_i for i = 1..n with the bias b after the first `bias_after` products (0: first,
// n: last), recorded through the operators exactly as a learner writes the sum, one `+`
// at a time, and the same sum in plain doubles in the same order.
struct Sum {
    std::vector<Var> w, x;
    Var b;
};
Var bias_first(const Sum& s) {  // b + w1 * x1 + ...: a Var from the start, so plain adds
    Var sum = s.b;
    for (std::size_t i = 0; i < s.w.size(); ++i) sum = sum + s.w[i] * s.x[i];
    return sum;
}
Var grow(const Sum& s, int next, int bias_after, tapegrad::SumOfProducts&& sum) {
    // Each term added to the temporary, in place, as `p1 + p2 + b + p3 + ...` does.
    if (next == bias_after) return grow(s, next, -1, std::move(sum) + s.b);
    if (next == static_cast<int>(s.w.size())) return sum;
    return grow(s, next + 1, bias_after, std::move(sum) + s.w[next] * s.x[next]);
}
Var written_sum(const Sum& s, int bias_after) {
    const int n = static_cast<int>(s.w.size());
    if (bias_after == 0) return bias_first(s);
    if (n == 1) return bias_after == 1 ? Var(s.w[0] * s.x[0] + s.b) : Var(s.w[0] * s.x[0]);
    if (bias_after == 1) return grow(s, 1, -1, s.w[0] * s.x[0] + s.b);
    return grow(s, 2, bias_after, s.w[0] * s.x[0] + s.w[1] * s.x[1]);
}
double plain_sum(const std::vector<double>& w, const std::vector<double>& x, double b, int bias_after) {
    double y = bias_after == 0 ? b : 0.0;
    for (std::size_t i = 0; i < w.size(); ++i) {
        y = (i == 0 && bias_after != 0) ? w[i] * x[i] : y + w[i] * x[i];
        if (static_cast<int>(i) + 1 == bias_after) y += b;
    }
    return y;
}
}  // namespace

BOOST_AUTO_TEST_CASE(bias_between_products_is_kept) {
    // The sums, each w = 1: three products with the bias second, six and ten products.
    for (const bool fuse : {false, true}) {
        BOOST_TEST_CONTEXT((fuse ? "fusing tape" : "plain tape")) {
            Tape tape;
            tape.set_fuse_expressions(fuse);
            const Var w1 = tape.variable(1.0), w2 = tape.variable(1.0), w3 = tape.variable(1.0);
            const Var x1 = tape.constant(1.0), x2 = tape.constant(2.0), x3 = tape.constant(3.0);
            const Var b = tape.variable(100.0);
            const Var y = w1 * x1 + b + w2 * x2 + w3 * x3;
            BOOST_TEST(y.scalar_value() == 106.0);
            const std::vector<double> g = tape.gradient(y, {w1, w2, w3, b});
            BOOST_TEST(g == (std::vector<double>{1.0, 2.0, 3.0, 1.0}), boost::test_tools::per_element());

            std::vector<Var> w, x;
            for (int i = 1; i <= 10; ++i) w.push_back(tape.variable(1.0)), x.push_back(tape.constant(double(i)));
            const Var six = w[0] * x[0] + w[1] * x[1] + w[2] * x[2] + w[3] * x[3] + w[4] * x[4] + w[5] * x[5];
            BOOST_TEST(six.scalar_value() == 21.0);
            const Var ten = w[0] * x[0] + w[1] * x[1] + w[2] * x[2] + w[3] * x[3] + w[4] * x[4] + w[5] * x[5] +
                            w[6] * x[6] + w[7] * x[7] + w[8] * x[8] + w[9] * x[9];
            BOOST_TEST(ten.scalar_value() == 55.0);
            tape.gradient(ten);
            for (int i = 0; i < 10; ++i) BOOST_TEST(w[i].scalar_adjoint() == double(i + 1));
        }
    }
}

BOOST_AUTO_TEST_CASE(sums_of_1_to_20_products_with_the_bias_anywhere) {
    // Value against the same sum in plain doubles, added in the same order (so equal to the
    // last bit on either tape: a weighted sum adds as the adds would), and d/dw_i = x_i,
    // d/dx_i = w_i, d/db = 1 by hand: each term reaches the sum once, with factor 1.
    int cases = 0;
    for (const bool fuse : {false, true})
        for (int n = 1; n <= 20; ++n)
            for (int bias_after = -1; bias_after <= n; ++bias_after)  // -1: no bias
                BOOST_TEST_CONTEXT((fuse ? "fusing" : "plain")
                                   << " tape, " << n << " products, bias after " << bias_after) {
                    Tape tape;
                    tape.set_fuse_expressions(fuse);
                    std::vector<double> wv, xv;
                    Sum s;
                    for (int i = 0; i < n; ++i) {
                        wv.push_back(0.37 + 0.113 * i), xv.push_back(1.9 - 0.071 * i * i);
                        s.w.push_back(tape.variable(wv.back())), s.x.push_back(tape.variable(xv.back()));
                    }
                    const double bv = bias_after < 0 ? 0.0 : -2.75;
                    s.b = tape.variable(bv);
                    const Var y = written_sum(s, bias_after);
                    BOOST_TEST(y.scalar_value() == plain_sum(wv, xv, bv, bias_after));
                    tape.gradient(y);
                    for (int i = 0; i < n; ++i) {
                        BOOST_TEST(s.w[i].scalar_adjoint() == xv[i], "d/dw" << i);
                        BOOST_TEST(s.x[i].scalar_adjoint() == wv[i], "d/dx" << i);
                    }
                    if (bias_after >= 0) BOOST_TEST(s.b.scalar_adjoint() == 1.0);
                    ++cases;
                }
    BOOST_TEST(cases == 2 * 250);  // n + 2 places for the bias (or none) for each n, on both tapes
}
