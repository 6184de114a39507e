// tests/test_kernels.cpp — the compiler's kernels (autodiff/kernels.hpp) against the core's
// one generic implementation, tapegrad::evaluate() and tapegrad::sweep() (tape.hpp), which
// is the reference. Each case records one op on a core tape, copies the tape's nodes,
// parent list and values into storage of its own, and runs node y both ways from the same
// numbers: kernels::forward_node<T> / backward_node<T> on a kernels::Arenas, evaluate /
// sweep on a TapeData. y's value is overwritten with a sentinel first and the parents'
// adjoints start at non-zero numbers, so a kernel that does nothing, or assigns where it
// must add, fails.
//   - every op of TAPEGRAD_OPS in every shape class (op_cases.hpp), and with one node as
//     every parent (x * x, A A, mse(P, P)): elementwise values bit for bit, every other
//     value and every parent's adjoint to 1e-14 relative (inputs in [0.5, 1.5]: no sum
//     cancels, so another order of additions stays that close);
//   - the IEEE specials with zero and non-zero adjoints (op_cases.hpp): every value and
//     adjoint the core's, NaN where it is NaN (issue 28: 0 x inf in the products' kernels);
//   - Arenas::constant_adjoints = false: the variables' adjoints unchanged, and the
//     products and the mse leave a constant's adjoint alone;
//   - the declining machinery (set_declining_for_testing): a declining kernel returns
//     false and has written nothing, for that op only, and is counted.
#define BOOST_TEST_MODULE kernels
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "op_cases.hpp"
#include "tapegrad/autodiff/kernels.hpp"
#include "tapegrad/autodiff/tape.hpp"

using Eigen::MatrixXd;
using tapegrad::Node;
using tapegrad::Op;
using tapegrad::Shape;
using tapegrad::Tape;
using tapegrad::Var;
using tapegrad::testing::filled;
using tapegrad::testing::shape_classes;
namespace kernels = tapegrad::kernels;

namespace {

constexpr double sentinel = -7.0e77;  // what no op of these cases computes

// A recorded tape's storage, copied: the layout of tape.hpp, owned here.
struct Storage {
    std::vector<Node> nodes;
    std::vector<std::uint32_t> parents;
    std::vector<double> values, adjoints;

    explicit Storage(const Tape& tape) {
        for (std::size_t k = 0; k < tape.size(); ++k) {
            Node n = tape.node(k);
            n.first_parent = static_cast<std::uint32_t>(parents.size());
            for (std::uint32_t p : tape.parents(k)) parents.push_back(p);
            nodes.push_back(n);
        }
        const Node& last = nodes.back();
        values.assign(last.offset + last.shape.size(), 0.0);
        adjoints.assign(values.size(), 0.0);
        for (std::size_t k = 0; k < tape.size(); ++k) {
            const auto v = tape.value(k);
            std::copy_n(v.data(), v.size(), values.begin() + static_cast<std::ptrdiff_t>(nodes[k].offset));
        }
    }
    tapegrad::TapeData data() { return {nodes.data(), parents.data(), values.data(), adjoints.data()}; }
    kernels::Arenas arenas(bool constant_adjoints = true) {
        kernels::Arenas a;
        static_cast<tapegrad::TapeData&>(a) = data();
        a.constant_adjoints = constant_adjoints;
        return a;
    }
    MatrixXd value(std::size_t k) const { return block(values, k); }
    MatrixXd adjoint(std::size_t k) const { return block(adjoints, k); }
    void set(std::vector<double>& to, std::size_t k, const MatrixXd& m) {
        std::copy_n(m.data(), m.size(), to.begin() + static_cast<std::ptrdiff_t>(nodes[k].offset));
    }
    MatrixXd block(const std::vector<double>& from, std::size_t k) const {
        const Node& n = nodes[k];
        return Eigen::Map<const MatrixXd>(from.data() + n.offset, n.shape.rows, n.shape.cols);
    }
};

bool run_kernel_forward(Storage& s, std::size_t k, bool constant_adjoints = true) {
    const kernels::Arenas a = s.arenas(constant_adjoints);
    return tapegrad::visit(s.nodes[k].op, [&]<class T>(T) { return kernels::forward_node<T>(a, s.nodes[k]); });
}
bool run_kernel_backward(Storage& s, std::size_t k, bool constant_adjoints = true) {
    const kernels::Arenas a = s.arenas(constant_adjoints);
    return tapegrad::visit(s.nodes[k].op, [&]<class T>(T) { return kernels::backward_node<T>(a, s.nodes[k]); });
}

// Node y's value and its parents' adjoints, by the kernels and by the core, from the same
// storage: y's value a sentinel before the forward half; before the backward half, y's
// adjoint is `weights` and each parent's adjoint starts at `start` (one parent may be
// several: its adjoint receives every contribution).
struct Both {
    MatrixXd kernel_value, core_value;
    std::vector<MatrixXd> kernel_adjoints, core_adjoints;
    bool forward_ran = false, backward_ran = false;
};
Both run_both(const Tape& tape, std::size_t y, const MatrixXd& weights, double start, bool constant_adjoints = true) {
    Both r;
    Storage kernel(tape), core(tape);
    for (Storage* s : {&kernel, &core})
        s->set(s->values, y, MatrixXd::Constant(weights.rows(), weights.cols(), sentinel));
    r.forward_ran = run_kernel_forward(kernel, y, constant_adjoints);
    tapegrad::evaluate(core.data(), core.nodes[y]);
    r.kernel_value = kernel.value(y);
    r.core_value = core.value(y);
    const auto parents = tape.parents(y);
    for (Storage* s : {&kernel, &core}) {
        for (std::size_t p = 0; p < parents.size(); ++p) {
            const Shape ps = s->nodes[parents[p]].shape;
            MatrixXd init(ps.rows, ps.cols);
            for (Eigen::Index i = 0; i < init.size(); ++i) init.data()[i] = start * static_cast<double>(1 + i % 3);
            s->set(s->adjoints, parents[p], init);
        }
        s->set(s->adjoints, y, weights);
    }
    r.backward_ran = run_kernel_backward(kernel, y, constant_adjoints);
    tapegrad::sweep(core.data(), core.nodes[y]);
    for (std::uint32_t p : parents) {
        r.kernel_adjoints.push_back(kernel.adjoint(p));
        r.core_adjoints.push_back(core.adjoint(p));
    }
    return r;
}

bool agree(const MatrixXd& kernel, const MatrixXd& core, bool bitwise) {
    if (kernel.rows() != core.rows() || kernel.cols() != core.cols()) return false;
    for (Eigen::Index k = 0; k < kernel.size(); ++k) {
        const double a = kernel.data()[k], b = core.data()[k];
        if (bitwise ? std::memcmp(&a, &b, sizeof a) != 0
                    : !(std::abs(a - b) <= 1e-14 * std::max(std::abs(a), std::abs(b))))
            return false;
    }
    return true;
}
bool is_elementwise(Op op) {
    return tapegrad::visit(op, []<class T>(T) {
        return std::is_base_of_v<tapegrad::ops::Unary, T> || std::is_base_of_v<tapegrad::ops::Binary, T>;
    });
}
double constant_of(Op op) { return op == Op::power_scalar ? 2.5 : 0.0; }

// `op` on variables of `shapes` (or on one variable as every parent): the tape and y's index.
std::size_t record(Tape& tape, Op op, const std::vector<Shape>& shapes, bool one_parent = false) {
    std::vector<Var> parents;
    for (std::size_t p = 0; p < shapes.size(); ++p)
        parents.push_back(one_parent && p > 0 ? parents[0]
                                              : tape.variable(filled(shapes[p], 0.3 + static_cast<double>(p))));
    return tape.index_of(tapegrad::testing::record_with(tape, op, parents, constant_of(op)));
}

void check_ordinary(const Tape& tape, std::size_t y, Op op) {
    const Shape ys = tape.node(y).shape;
    const Both r = run_both(tape, y, filled(ys, 2.1), 0.125);
    BOOST_TEST(r.forward_ran, "the forward kernel ran");
    BOOST_TEST(r.backward_ran, "the backward kernel ran");
    BOOST_TEST((r.core_value.array() != sentinel).all(), "the core computed every element");
    BOOST_TEST(agree(r.kernel_value, r.core_value, is_elementwise(op)), "value\n"
                                                                            << r.kernel_value << "\nvs the core's\n"
                                                                            << r.core_value);
    for (std::size_t p = 0; p < r.core_adjoints.size(); ++p)
        BOOST_TEST(agree(r.kernel_adjoints[p], r.core_adjoints[p], false), "adjoint of parent " << p << "\n"
                                                                                                << r.kernel_adjoints[p]
                                                                                                << "\nvs the core's\n"
                                                                                                << r.core_adjoints[p]);
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_kernel_agrees_with_the_core_on_every_op_and_shape_class) {
    int cases = 0;
    for (int i = 0; i < tapegrad::op_count; ++i) {
        const auto op = static_cast<Op>(i);
        if (tapegrad::is_leaf(op)) continue;
        for (const auto& shapes : shape_classes(op)) {
            BOOST_TEST_CONTEXT(tapegrad::op_name(op) << " on " << shapes[0] << (shapes.size() > 1 ? ", " : "")
                                                     << (shapes.size() > 1 ? shapes[1].to_string() : "")) {
                Tape tape;
                check_ordinary(tape, record(tape, op, shapes), op);
                ++cases;
            }
        }
    }
    BOOST_TEST(cases > 100);
}

BOOST_AUTO_TEST_CASE(one_node_as_every_parent_gets_every_contribution) {
    // x * x, x / x, pow(x, x), A A, linear(A, A, b) with b 1 x 1, mse(P, P): the kernels take
    // their parents' adjoints as separate arrays that are here one; each must add.
    int cases = 0;
    for (int i = 0; i < tapegrad::op_count; ++i) {
        const auto op = static_cast<Op>(i);
        if (tapegrad::op_parents(op) < 2) continue;
        for (const Shape s : {Shape{1, 1}, Shape{3, 3}, Shape{6, 1}}) {
            const std::vector<Shape> shapes(static_cast<std::size_t>(tapegrad::op_parents(op)), s);
            if (!tapegrad::testing::result_shape(op, shapes)) continue;
            BOOST_TEST_CONTEXT(tapegrad::op_name(op) << " of one " << s << " node") {
                Tape tape;
                check_ordinary(tape, record(tape, op, shapes, true), op);
                ++cases;
            }
        }
    }
    BOOST_TEST(cases >= 10);
}

BOOST_AUTO_TEST_CASE(every_kernel_at_the_ieee_specials_agrees_with_the_core) {
    int cases = 0;
    for (int i = 0; i < tapegrad::op_count; ++i) {
        const auto op = static_cast<Op>(i);
        if (tapegrad::is_leaf(op)) continue;
        const auto specials = tapegrad::testing::special_cases(op);
        BOOST_TEST(!specials.empty(), tapegrad::op_name(op) << " has special cases");
        for (std::size_t c = 0; c < specials.size(); ++c)
            BOOST_TEST_CONTEXT(tapegrad::op_name(op)
                               << ", special case " << c << " (parent 0 is " << specials[c].parents[0].rows() << "x"
                               << specials[c].parents[0].cols() << ")") {
                Tape tape;
                std::vector<Var> parents;
                for (const MatrixXd& p : specials[c].parents) parents.push_back(tape.variable(p));
                const Var y = tapegrad::testing::record_with(tape, op, parents, specials[c].constant);
                const MatrixXd weights = tapegrad::testing::special_weights(specials[c], y.shape(), c);
                const Both r = run_both(tape, tape.index_of(y), weights, 0.0);
                // log_softmax's kernels leave a node with a number that is not finite to the
                // core (they decline; the compiled plan's fallback is tested in
                // test_optimized_tape); every other op's kernels take every special.
                if (op == Op::log_softmax && !(r.forward_ran && r.backward_ran)) continue;
                BOOST_TEST((r.forward_ran && r.backward_ran));
                const auto first_difference = [op](const MatrixXd& kernel, const MatrixXd& core) -> Eigen::Index {
                    for (Eigen::Index k = 0; k < core.size(); ++k)
                        if (!tapegrad::testing::same_special(kernel.data()[k], core.data()[k], op)) return k;
                    return -1;
                };
                const Eigen::Index v = first_difference(r.kernel_value, r.core_value);
                BOOST_TEST(v < 0, "value element " << v << ": " << (v < 0 ? 0 : r.kernel_value.data()[v])
                                                   << " vs the core's " << (v < 0 ? 0 : r.core_value.data()[v]));
                for (std::size_t p = 0; p < r.core_adjoints.size(); ++p) {
                    const Eigen::Index e = first_difference(r.kernel_adjoints[p], r.core_adjoints[p]);
                    BOOST_TEST(e < 0, "adjoint of parent " << p << " element " << e << ": "
                                                           << (e < 0 ? 0 : r.kernel_adjoints[p].data()[e])
                                                           << " vs the core's "
                                                           << (e < 0 ? 0 : r.core_adjoints[p].data()[e]));
                }
                ++cases;
            }
    }
    BOOST_TEST(cases > 500);
}

BOOST_AUTO_TEST_CASE(a_zero_adjoint_beside_an_infinite_operand_passes_nothing_on) {
    // Issue 28, by hand: Y = A x with x = -inf and dY = 0 everywhere but one element. The
    // adjoint of A may only receive from that element (dA = dY x^T), and X W + b the same:
    // Eigen's dY x^T alone would make 0 * -inf = NaN in every other row.
    const double inf = std::numeric_limits<double>::infinity();
    for (const Op op : {Op::matmul, Op::linear})
        for (const std::uint32_t k : {1u, 5u})  // a register kernel (k <= 4), and Eigen's product
            BOOST_TEST_CONTEXT(tapegrad::op_name(op) << ", " << k << " inputs") {
                Tape tape;
                const Var a = tape.variable(filled({3, k}, 0.4));
                const Var x = tape.variable(MatrixXd::Constant(k, 1, -inf));
                const Var y = op == Op::matmul ? matmul(a, x) : linear(a, x, tape.variable(0.5));
                MatrixXd weights = MatrixXd::Zero(3, 1);
                weights(1) = 2.0;
                const Both r = run_both(tape, tape.index_of(y), weights, 0.0);
                MatrixXd want = MatrixXd::Zero(3, k);
                want.row(1).setConstant(-inf);  // 2 * -inf, from the one element of dY that is not 0
                BOOST_TEST((r.kernel_adjoints[0].array() == want.array()).all(), "dA\n" << r.kernel_adjoints[0]);
                BOOST_TEST((r.core_adjoints[0].array() == want.array()).all(), "the core's dA\n" << r.core_adjoints[0]);
            }
}

BOOST_AUTO_TEST_CASE(without_constant_adjoints_products_and_the_mse_skip_the_constants_only) {
    // Each parent a constant in turn: with constant_adjoints off, every variable's adjoint is
    // still the core's, and matmul, linear (register kernel and Eigen's) and the mse leave
    // the constant's adjoint as it was (the half of the pass nobody reads); on, they give it
    // the core's. Every other op must still give the variables the core's adjoints.
    int skipped = 0, cases = 0;
    for (int i = 0; i < tapegrad::op_count; ++i) {
        const auto op = static_cast<Op>(i);
        const int parents = tapegrad::op_parents(op);
        if (parents < 1) continue;
        for (const auto& shapes : shape_classes(op))
            for (int constant = 0; constant < parents; ++constant)
                for (const bool wanted : {true, false})
                    BOOST_TEST_CONTEXT(tapegrad::op_name(op)
                                       << " on " << shapes[0] << ", parent " << constant
                                       << " a constant, constant adjoints " << (wanted ? "on" : "off")) {
                        Tape tape;
                        std::vector<Var> vars;
                        for (int p = 0; p < parents; ++p) {
                            const MatrixXd v = filled(shapes[static_cast<std::size_t>(p)], 0.3 + p);
                            vars.push_back(p == constant ? tape.constant(v) : tape.variable(v));
                        }
                        const Var y = tapegrad::testing::record_with(tape, op, vars, constant_of(op));
                        const Both r = run_both(tape, tape.index_of(y), filled(y.shape(), 2.1), 0.125, wanted);
                        for (int p = 0; p < parents; ++p) {
                            const auto q = static_cast<std::size_t>(p);
                            if (p != constant || wanted) {
                                BOOST_TEST(agree(r.kernel_adjoints[q], r.core_adjoints[q], false),
                                           "adjoint of parent " << p);
                            } else if (op == Op::matmul || op == Op::linear || op == Op::mean_squared_error) {
                                const MatrixXd& left = r.kernel_adjoints[q];
                                MatrixXd start(left.rows(), left.cols());
                                for (Eigen::Index e = 0; e < start.size(); ++e)
                                    start.data()[e] = 0.125 * static_cast<double>(1 + e % 3);
                                BOOST_TEST((left.array() == start.array()).all(), "the constant's adjoint untouched\n"
                                                                                      << left);
                                ++skipped;
                            }
                        }
                        ++cases;
                    }
    }
    BOOST_TEST(cases > 300);
    BOOST_TEST(skipped >= 20);
}

// ---- Issue 24: a kernel that declines ------------------------------------------------------
// A kernel may decline: it returns false and has done nothing, and its caller runs the
// core's evaluate() or sweep() instead (optimized_tape.cpp; test_optimized_tape checks the
// plan's numbers then). No kernel declines today, so set_declining_for_testing makes one
// op's decline: here, that they then really return false, write nothing, decline for that
// op alone, are counted, and come back when it is switched off.

BOOST_AUTO_TEST_CASE(every_op_has_kernels) {
    for (int i = 0; i < tapegrad::op_count; ++i)
        BOOST_TEST(kernels::has_kernels(static_cast<Op>(i)), tapegrad::op_name(static_cast<Op>(i)) << " has kernels");
}

BOOST_AUTO_TEST_CASE(a_declining_kernel_returns_false_writes_nothing_and_declines_for_its_op_alone) {
    int cases = 0;
    for (int i = 0; i < tapegrad::op_count; ++i) {
        const auto op = static_cast<Op>(i);
        if (tapegrad::is_leaf(op)) continue;
        const Op other = op == Op::add ? Op::multiply : Op::add;
        for (const auto& shapes : shape_classes(op)) BOOST_TEST_CONTEXT(tapegrad::op_name(op) << " on " << shapes[0]) {
                Tape tape;
                const std::size_t y = record(tape, op, shapes);
                Storage s(tape);
                s.set(s.values, y, MatrixXd::Constant(s.nodes[y].shape.rows, s.nodes[y].shape.cols, sentinel));
                s.set(s.adjoints, y, filled(s.nodes[y].shape, 2.1));
                const std::vector<double> values = s.values, adjoints = s.adjoints;

                kernels::set_declining_for_testing(op);
                BOOST_TEST(!kernels::has_kernels(op));
                BOOST_TEST(kernels::has_kernels(other), "only the op switched off declines");
                const std::uint64_t before = kernels::declines_for_testing();
                const bool forward = run_kernel_forward(s, y), backward = run_kernel_backward(s, y);
                const std::uint64_t declines = kernels::declines_for_testing() - before;
                kernels::set_declining_for_testing(op, false);

                BOOST_TEST(!forward);
                BOOST_TEST(!backward);
                BOOST_TEST(declines == 2u, declines << " declines counted");
                BOOST_TEST((s.values == values), "values untouched");
                BOOST_TEST((s.adjoints == adjoints), "adjoints untouched");
                BOOST_TEST(kernels::has_kernels(op), "switched on again");
                BOOST_TEST(run_kernel_forward(s, y));  // and it runs again
                BOOST_TEST((s.value(y).array() != sentinel).all());
                ++cases;
            }
    }
    BOOST_TEST(cases > 100);
}

BOOST_AUTO_TEST_CASE(a_leaf_never_declines) {
    // A leaf's kernels have nothing to do: switched off, they still say they did it.
    Tape tape;
    const Var x = tape.variable(1.5);
    Storage s(tape);
    kernels::set_declining_for_testing(Op::variable);
    const std::uint64_t before = kernels::declines_for_testing();
    const bool forward = run_kernel_forward(s, tape.index_of(x)), backward = run_kernel_backward(s, tape.index_of(x));
    const bool has = kernels::has_kernels(Op::variable);
    kernels::set_declining_for_testing(Op::variable, false);
    BOOST_TEST(forward);
    BOOST_TEST(backward);
    BOOST_TEST(has);
    BOOST_TEST(kernels::declines_for_testing() == before);
    BOOST_TEST(s.value(0)(0, 0) == 1.5);
}

BOOST_AUTO_TEST_CASE(mean_of_squares_and_mse_gradient_by_hand) {
    // The one mse implementation, by hand: p = (1, 2, 4, 7, 11), t = (0, 0, 1, 1, 2):
    // errors 1, 2, 3, 6, 9, squares sum to 131; d/dp = 2 dy e / 5, d/dt = -d/dp.
    const double p[] = {1, 2, 4, 7, 11}, t[] = {0, 0, 1, 1, 2}, e[] = {1, 2, 3, 6, 9};
    BOOST_TEST(kernels::mean_of_squares(p, t, 5, 1.0 / 5) == 131.0 / 5, boost::test_tools::tolerance(1e-15));
    BOOST_TEST(kernels::mean_of_squares(p, t, 4, 1.0 / 4) == 50.0 / 4);  // an even count: both sums
    double dp[5] = {1, 1, 1, 1, 1}, dt[5] = {};
    kernels::mse_gradient(0.5, p, t, dp, dt, 5, 1.0 / 5);
    for (int i = 0; i < 5; ++i) {
        BOOST_TEST(dp[i] == 1.0 + 2 * 0.5 * e[i] / 5, boost::test_tools::tolerance(1e-15));
        BOOST_TEST(dt[i] == -2 * 0.5 * e[i] / 5, boost::test_tools::tolerance(1e-15));
    }
    kernels::mse_gradient(0.5, p, t, nullptr, dt, 5, 1.0 / 5);  // dp not wanted
    BOOST_TEST(dt[4] == -2 * 2 * 0.5 * 9.0 / 5, boost::test_tools::tolerance(1e-15));
    const double inf = std::numeric_limits<double>::infinity(), pinf[] = {inf}, zero[] = {0.0};
    double d[1] = {0.0};
    kernels::mse_gradient(0.0, pinf, zero, d, nullptr, 1, 1.0);  // a zero adjoint passes nothing on
    BOOST_TEST(d[0] == 0.0);
}
