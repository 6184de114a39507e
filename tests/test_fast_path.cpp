// tests/test_fast_path.cpp — the fast path (autodiff/fast_path.hpp) against the core's
// generic path, which is the reference: every op of TAPEGRAD_OPS, in every shape class
// (scalar, column, matrix, and broadcast either way), recorded and swept once each way.
// Every value and every parent's adjoint must agree to 1e-14 relative. Inputs and
// weights are in [0.5, 1.5], so no sum cancels and the bound holds for sums taken in
// another order (Eigen's products, the two-accumulator mse); elementwise kernels compute
// in the same order and agree bit for bit, which the test also requires of them.
// Then the same at the IEEE specials (op_cases.hpp), with zero and non-zero adjoints:
// there every value and adjoint must be the core's, NaN where it is NaN (issue 28: a zero
// adjoint times an infinite operand gave NaN in the products' kernels, 0 in the core).
// Last, every op's kernels made to decline (set_declining_for_testing): the tape must then
// give the core's numbers (issue 24).
#define BOOST_TEST_MODULE fast_path
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "op_cases.hpp"
#include "tapegrad/autodiff/tape.hpp"

using Eigen::MatrixXd;
using tapegrad::Op;
using tapegrad::Shape;
using tapegrad::Tape;
using tapegrad::Var;
using tapegrad::testing::filled;
using tapegrad::testing::shape_classes;

namespace {

struct Run {
    std::vector<MatrixXd> values, adjoints;
};
Run run(Op op, const std::vector<Shape>& shapes, bool fast) {
    Tape tape;
    tape.set_fast_path(fast);
    std::vector<Var> parents;
    for (std::size_t p = 0; p < shapes.size(); ++p) parents.push_back(tape.variable(filled(shapes[p], 0.3 + p)));
    const double constant = op == Op::power_scalar ? 2.5 : 0.0;
    const Var y = tapegrad::testing::record_with(tape, op, parents, constant);
    const Var loss = sum(tape.constant(filled(y.shape(), 2.1)) * y);
    tape.gradient(loss);
    Run r;
    r.values.emplace_back(y.value());
    r.values.emplace_back(loss.value());
    for (const Var& p : parents) r.adjoints.emplace_back(p.adjoint());
    return r;
}

bool agree(const MatrixXd& fast, const MatrixXd& generic, bool bitwise) {
    if (fast.rows() != generic.rows() || fast.cols() != generic.cols()) return false;
    for (Eigen::Index k = 0; k < fast.size(); ++k) {
        const double a = fast.data()[k], b = generic.data()[k];
        if (bitwise ? a != b : std::abs(a - b) > 1e-14 * std::max(std::abs(a), std::abs(b))) return false;
    }
    return true;
}

}  // namespace

BOOST_AUTO_TEST_CASE(fast_path_agrees_with_the_generic_path_on_every_op_and_shape_class) {
    int cases = 0;
    for (int i = 0; i < tapegrad::op_count; ++i) {
        const auto op = static_cast<Op>(i);
        if (tapegrad::is_leaf(op)) continue;
        const bool elementwise = tapegrad::visit(op, []<class T>(T) {
            return std::is_base_of_v<tapegrad::ops::Unary, T> || std::is_base_of_v<tapegrad::ops::Binary, T>;
        });
        for (const auto& shapes : shape_classes(op)) {
            BOOST_TEST_CONTEXT(tapegrad::op_name(op) << " on " << shapes[0] << (shapes.size() > 1 ? ", " : "")
                                                     << (shapes.size() > 1 ? shapes[1].to_string() : "")) {
                const Run fast = run(op, shapes, true), generic = run(op, shapes, false);
                BOOST_TEST(agree(fast.values[0], generic.values[0], elementwise), "value\n"
                                                                                      << fast.values[0] << "\nvs\n"
                                                                                      << generic.values[0]);
                for (std::size_t p = 0; p < fast.adjoints.size(); ++p)
                    BOOST_TEST(agree(fast.adjoints[p], generic.adjoints[p], false), "adjoint of parent "
                                                                                        << p << "\n"
                                                                                        << fast.adjoints[p] << "\nvs\n"
                                                                                        << generic.adjoints[p]);
                ++cases;
            }
        }
    }
    BOOST_TEST(cases > 100);
}

namespace {
// One special case recorded, and swept from loss = sum(weights * y): y's value and every
// parent's adjoint.
Run run_special(Op op, const tapegrad::testing::SpecialCase& c, std::size_t which, bool fast) {
    Tape tape;
    tape.set_fast_path(fast);
    std::vector<Var> parents;
    for (const MatrixXd& p : c.parents) parents.push_back(tape.variable(p));
    const Var y = tapegrad::testing::record_with(tape, op, parents, c.constant);
    tape.gradient(sum(tape.constant(tapegrad::testing::special_weights(c, y.shape(), which)) * y));
    Run r;
    r.values.emplace_back(y.value());
    for (const Var& p : parents) r.adjoints.emplace_back(p.adjoint());
    return r;
}
// The first element where `fast` is not the core's, or -1.
Eigen::Index first_difference(const MatrixXd& fast, const MatrixXd& core) {
    for (Eigen::Index k = 0; k < core.size(); ++k)
        if (!tapegrad::testing::same_special(fast.data()[k], core.data()[k])) return k;
    return -1;
}
}  // namespace

BOOST_AUTO_TEST_CASE(every_op_and_kernel_at_the_ieee_specials_agrees_with_the_core) {
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
                const Run fast = run_special(op, specials[c], c, true), core = run_special(op, specials[c], c, false);
                const Eigen::Index v = first_difference(fast.values[0], core.values[0]);
                BOOST_TEST(v < 0, "value element " << v << ": " << (v < 0 ? 0 : fast.values[0].data()[v]) << " vs "
                                                   << (v < 0 ? 0 : core.values[0].data()[v]));
                for (std::size_t p = 0; p < core.adjoints.size(); ++p) {
                    const Eigen::Index e = first_difference(fast.adjoints[p], core.adjoints[p]);
                    BOOST_TEST(e < 0, "adjoint of parent " << p << " element " << e << ": "
                                                           << (e < 0 ? 0 : fast.adjoints[p].data()[e]) << " vs "
                                                           << (e < 0 ? 0 : core.adjoints[p].data()[e]) << "\nparents:\n"
                                                           << specials[c].parents[0] << "\n");
                }
                ++cases;
            }
    }
    BOOST_TEST(cases > 500);
}

BOOST_AUTO_TEST_CASE(fast_path_skips_constants_adjoints_only_when_asked) {
    // With constant adjoints off, the variables' adjoints are those of the generic path.
    for (bool constants : {true, false}) {
        MatrixXd adjoint[2];
        for (bool fast : {true, false}) {
            Tape tape;
            tape.set_fast_path(fast);
            tape.set_constant_adjoints(constants);
            const Var x = tape.constant(filled({6, 3}, 0.1));
            const Var w = tape.variable(filled({3, 2}, 0.2));
            const Var b = tape.variable(filled({1, 2}, 0.3));
            tape.gradient(mean_squared_error(linear(x, w, b), tape.constant(filled({6, 2}, 0.4))));
            adjoint[fast] = w.adjoint();
        }
        BOOST_TEST(agree(adjoint[1], adjoint[0], false));
    }
}

BOOST_AUTO_TEST_CASE(list_grows_keeps_its_elements_and_extends_in_place) {
    tapegrad::fast_path::List<std::uint32_t> list;
    BOOST_TEST(list.capacity() == 0u);
    for (std::uint32_t i = 0; i < 200; ++i) list.push_back(i);  // grows from nothing, three times
    BOOST_TEST(list.size() == 200u);
    BOOST_TEST(list.capacity() >= 200u);
    for (std::uint32_t i = 0; i < 200; ++i) BOOST_TEST(list[i] == i);
    list.reserve(list.size() + 5);
    std::uint32_t* more = list.extend(5);
    for (std::uint32_t i = 0; i < 5; ++i) more[i] = 1000 + i;
    BOOST_TEST(list.size() == 205u);
    BOOST_TEST(list[204] == 1004u);
    std::uint32_t sum = 0;
    for (std::uint32_t x : list) sum += x;
    BOOST_TEST(sum == 199u * 200u / 2u + 5u * 1000u + 10u);
    const std::size_t capacity = list.capacity();
    list.clear();  // keeps the memory
    BOOST_TEST(list.size() == 0u);
    BOOST_TEST(list.capacity() == capacity);
}

// ---- Issue 24: a kernel that declines ------------------------------------------------------
// A kernel may decline (it returns false and has done nothing), and then the tape's generic
// path does the node. No kernel declines today, so set_declining_for_testing makes each op's
// decline in turn: the tape with its fast path on must then give the core's numbers
// (that op's node to the bit), recording, sweeping and replaying, and the kernels must
// really have been asked.

BOOST_AUTO_TEST_CASE(every_op_has_kernels_and_a_declining_one_leaves_the_tape_to_the_generic_path) {
    namespace fp = tapegrad::fast_path;
    int cases = 0;
    for (int i = 0; i < tapegrad::op_count; ++i) {
        const auto op = static_cast<Op>(i);
        // Kernels are opt-in: log_softmax has none (the generic path evaluates it, and
        // test_operations checks it on both paths); every other op must keep its own.
        const bool without_kernels = op == Op::log_softmax;
        BOOST_TEST(fp::has_kernels(op) != without_kernels,
                   tapegrad::op_name(op) << (without_kernels ? " has no kernels" : " has kernels"));
        if (tapegrad::is_leaf(op) || without_kernels) continue;
        for (const auto& shapes : shape_classes(op)) {
            BOOST_TEST_CONTEXT(tapegrad::op_name(op) << " on " << shapes[0]) {
                const Run generic = run(op, shapes, false);
                fp::set_declining_for_testing(op, true);
                BOOST_TEST(!fp::has_kernels(op));
                const std::uint64_t before = fp::declines_for_testing();
                const Run declining = run(op, shapes, true);
                const std::uint64_t declines = fp::declines_for_testing() - before;
                fp::set_declining_for_testing(op, false);
                BOOST_TEST(fp::has_kernels(op));
                // identity is a view on the tape: no kernel is asked for it
                BOOST_TEST((declines >= 2u || op == Op::identity), declines << " declines (forward and backward)");
                // The op's node by the generic path both ways: bit for bit. The loss's nodes
                // around it (a product, a sum) still take their kernels on the fast tape: 1e-14.
                BOOST_TEST(agree(declining.values[0], generic.values[0], true), "value");
                BOOST_TEST(agree(declining.values[1], generic.values[1], false), "loss");
                for (std::size_t p = 0; p < generic.adjoints.size(); ++p)
                    BOOST_TEST(agree(declining.adjoints[p], generic.adjoints[p], false), "adjoint of parent " << p);
                ++cases;
            }
        }
    }
    BOOST_TEST(cases > 100);
}

BOOST_AUTO_TEST_CASE(a_declining_kernel_on_replay_leaves_the_node_to_the_generic_path) {
    // replay() offers every node to its kernel again: declining there, the generic path
    // computes the node at the new values (a kernel that did nothing would leave the old).
    namespace fp = tapegrad::fast_path;
    for (const Op op : {Op::sigmoid, Op::multiply, Op::matmul, Op::col_sums, Op::mean_squared_error}) {
        BOOST_TEST_CONTEXT(tapegrad::op_name(op)) {
            double loss[2];
            for (const bool fast : {true, false}) {
                Tape tape;
                tape.set_fast_path(fast);
                const Var a = tape.variable(filled({4, 3}, 0.2)), b = tape.variable(filled({3, 4}, 0.7));
                const Var y = op == Op::matmul               ? matmul(a, b)
                              : op == Op::mean_squared_error ? mean_squared_error(a, transpose(b))
                              : op == Op::col_sums           ? col_sums(a)
                              : op == Op::multiply           ? a * transpose(b)
                                                             : sigmoid(a);
                const Var l = sum(y);
                fp::set_declining_for_testing(op, true);
                std::vector<double> point(tape.variable_elements(), 0.75);
                tape.replay(point);
                loss[fast] = l.scalar_value();
                fp::set_declining_for_testing(op, false);
            }
            BOOST_TEST(std::abs(loss[1] - loss[0]) <= 1e-14 * std::abs(loss[0]), loss[1] << " vs " << loss[0]);
        }
    }
}
