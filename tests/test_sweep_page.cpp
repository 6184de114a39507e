// tests/test_sweep_page.cpp — the sweep traced node by node, and the page written from it
// (autodiff/sweep_page.hpp).
//
// The trace's shares are checked against the chain rule by hand (a * b sends adj * b to a
// and adj * a to b; x * x sends 2 x adj to x in one step; a broadcast scalar receives the sum
// of its column's shares). Each share's local derivative comes from the op list: it is checked
// against central differences of the op's value, recorded afresh with one parent element
// moved, and adjoint x local = share is checked for every share of chapter 4's neuron, person
// 1's tape and the batched tape. The trace must leave the tape as gradient() leaves it. Node
// names are the user's: none may end or break the page's script, or its encoding. The
// thousand-node case writes a page of a 1,000-node tape for the browser test
// (tests/sweep_page_browser.py).
#define BOOST_TEST_MODULE sweep_page
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "health_fixtures.hpp"
#include "one_neuron.hpp"
#include "op_cases.hpp"
#include "operation_checks.hpp"
#include "tapegrad/autodiff/sweep_page.hpp"

using Eigen::MatrixXd;
using tapegrad::Op;
using tapegrad::Share;
using tapegrad::ShareRule;
using tapegrad::Shape;
using tapegrad::SweepStep;
using tapegrad::SweepTrace;
using tapegrad::Tape;
using tapegrad::TapeError;
using tapegrad::Var;

namespace {

// What adjoint (op) local gives for a share, by its rule: the number the page shows after "=".
MatrixXd adjoint_times_local(const MatrixXd& adjoint, const Share& share, Shape parent) {
    switch (share.rule) {
        case ShareRule::times:
        case ShareRule::one_number: return adjoint(0, 0) * share.local;
        case ShareRule::elementwise: return adjoint.cwiseProduct(share.local);
        case ShareRule::broadcast_sum: {
            MatrixXd sum = MatrixXd::Zero(parent.rows, parent.cols);
            for (Eigen::Index j = 0; j < adjoint.cols(); ++j)
                for (Eigen::Index i = 0; i < adjoint.rows(); ++i)
                    sum(parent.rows == 1 ? 0 : i, parent.cols == 1 ? 0 : j) += adjoint(i, j) * share.local(i, j);
            return sum;
        }
        case ShareRule::formula: break;
    }
    return {};
}

bool close(const MatrixXd& a, const MatrixXd& b, double tolerance) {
    if (a.rows() != b.rows() || a.cols() != b.cols()) return false;
    for (Eigen::Index i = 0; i < a.size(); ++i)
        if (std::abs(a.data()[i] - b.data()[i]) > tolerance * (1.0 + std::abs(b.data()[i]))) return false;
    return true;
}

// Node k's value with element `at` of its parent number q moved by `delta`: the op recorded
// afresh on constants (the op's own value, nothing of the sweep).
MatrixXd value_moved(const Tape& tape, std::size_t k, std::size_t q, Eigen::Index at, double delta) {
    Tape fresh;
    std::vector<Var> parents;
    const auto ps = tape.parents(k);
    for (std::size_t j = 0; j < ps.size(); ++j) {
        MatrixXd v = tape.value(ps[j]);
        if (j == q) v.data()[at] += delta;
        parents.push_back(fresh.constant(v));
    }
    const Var y = tapegrad::testing::record_with(fresh, tape.node(k).op, parents, tape.node(k).constant);
    return fresh.value(y.index());
}

// Central differences of node k with respect to its parent number q, laid out as
// local_derivatives lays it out: in the node's shape (element ij: dY_ij / d the parent
// element Y_ij reads) for an elementwise or broadcasting op, else in the parent's shape.
MatrixXd local_by_differences(const Tape& tape, std::size_t k, std::size_t q) {
    const tapegrad::Node& n = tape.node(k);
    const Shape parent = tape.node(tape.parents(k)[q]).shape;
    const bool node_shaped = tapegrad::op_kind(n.op) == tapegrad::OpKind::elementwise ||
                             tapegrad::op_kind(n.op) == tapegrad::OpKind::broadcasting;
    MatrixXd local = node_shaped ? MatrixXd::Zero(n.shape.rows, n.shape.cols) : MatrixXd::Zero(parent.rows, parent.cols);
    const tapegrad::ops::Operand reads(nullptr, parent);
    for (Eigen::Index at = 0; at < static_cast<Eigen::Index>(parent.size()); ++at) {
        const double h = 1e-6 * std::max(1.0, std::abs(tape.value(tape.parents(k)[q]).data()[at]));
        const MatrixXd d = (value_moved(tape, k, q, at, h) - value_moved(tape, k, q, at, -h)) / (2 * h);
        if (!node_shaped) {
            local.data()[at] = d(0, 0);
            continue;
        }
        for (std::size_t j = 0; j < n.shape.cols; ++j)
            for (std::size_t i = 0; i < n.shape.rows; ++i)
                if (static_cast<Eigen::Index>(reads.at(i, j)) == at) local(i, j) = d(i, j);
    }
    return local;
}

// Every share of the trace: adjoint x local = what the tape added, and every local derivative
// of the swept nodes against central differences. Returns how many shares were checked.
std::size_t check_rule_on_every_share(Tape& tape, Var loss) {
    const SweepTrace trace = tapegrad::trace_sweep(tape, loss);
    std::size_t checked = 0;
    for (const SweepStep& step : trace.steps) {
        const auto locals = tapegrad::local_derivatives(tape, step.node);
        for (std::size_t q = 0; q < locals.size(); ++q) {
            BOOST_TEST_CONTEXT("node #" << step.node << " (" << tapegrad::op_name(tape.node(step.node).op)
                                        << "), parent number " << q) {
                BOOST_TEST_REQUIRE(locals[q].size() > 0);
                const MatrixXd numeric = local_by_differences(tape, step.node, q);
                BOOST_TEST(close(locals[q], numeric, 1e-6), "local\n" << locals[q] << "\nby differences\n" << numeric);
            }
        }
        for (const Share& share : step.shares) {
            BOOST_TEST_CONTEXT("node #" << step.node << " to #" << share.parent) {
                BOOST_TEST_REQUIRE((share.rule != ShareRule::formula));
                const MatrixXd product = adjoint_times_local(step.adjoint, share, tape.node(share.parent).shape);
                BOOST_TEST(close(product, share.received, 1e-12), "adjoint x local\n" << product << "\nshare\n"
                                                                                      << share.received);
                ++checked;
            }
        }
    }
    return checked;
}

std::string one_call_page(Tape& tape, Var loss, const std::string& title = "t",
                          const tapegrad::SweepPageOptions& options = {}) {
    std::ostringstream out;
    tapegrad::write_sweep_page(out, tape, loss, title, options);
    return out.str();
}

}  // namespace

BOOST_AUTO_TEST_CASE(product_sends_each_parent_the_other_factor) {
    Tape tape;
    const Var a = tape.variable(2.0), b = tape.variable(3.0);
    const Var y = a * b, loss = y * 5.0;  // d loss/dy = 5; d y/da = b = 3, d y/db = a = 2
    const SweepTrace trace = tapegrad::trace_sweep(tape, loss);
    BOOST_TEST(trace.loss == loss.index());
    BOOST_TEST_REQUIRE(trace.steps.size() == 2u);  // the two multiplies; leaves take no step
    BOOST_TEST(trace.steps[0].node == loss.index());
    const SweepStep& step = trace.steps[1];
    BOOST_TEST(step.node == y.index());
    BOOST_TEST(step.adjoint(0, 0) == 5.0);
    BOOST_TEST_REQUIRE(step.shares.size() == 2u);
    BOOST_TEST(step.shares[0].parent == a.index());
    BOOST_TEST((step.shares[0].rule == ShareRule::times));
    BOOST_TEST(step.shares[0].local(0, 0) == 3.0);     // d(ab)/da = b
    BOOST_TEST(step.shares[0].received(0, 0) == 15.0);  // 5 x 3
    BOOST_TEST(step.shares[1].parent == b.index());
    BOOST_TEST(step.shares[1].local(0, 0) == 2.0);
    BOOST_TEST(step.shares[1].received(0, 0) == 10.0);  // 5 x 2
    BOOST_TEST(a.scalar_adjoint() == 15.0);             // the tape is swept as gradient() sweeps it
    BOOST_TEST(b.scalar_adjoint() == 10.0);
}

BOOST_AUTO_TEST_CASE(reused_node_x_times_x_gets_both_shares_in_one_step) {
    Tape tape;
    const Var x = tape.variable(3.0);
    const Var loss = x * x;
    const SweepTrace trace = tapegrad::trace_sweep(tape, loss);
    BOOST_TEST_REQUIRE(trace.steps.size() == 1u);
    BOOST_TEST_REQUIRE(trace.steps[0].shares.size() == 1u);
    BOOST_TEST(trace.steps[0].shares[0].local(0, 0) == 6.0);  // x + x: both terms, 2 x
    BOOST_TEST(trace.steps[0].shares[0].received(0, 0) == 6.0);
    BOOST_TEST(trace.steps[0].shares[0].sum(0, 0) == 6.0);
}

BOOST_AUTO_TEST_CASE(running_sums_add_up_across_steps) {
    Tape tape;
    const Var x = tape.variable(2.0);
    const Var u = x * 3.0, v = x * 4.0;
    const Var loss = u + v;  // d loss/dx = 3 + 4, received in two steps: v's (newer) first
    const SweepTrace trace = tapegrad::trace_sweep(tape, loss);
    BOOST_TEST_REQUIRE(trace.steps.size() == 3u);
    BOOST_TEST(trace.steps[1].node == v.index());
    BOOST_TEST(trace.steps[1].shares[0].sum(0, 0) == 4.0);
    BOOST_TEST(trace.steps[2].node == u.index());
    BOOST_TEST(trace.steps[2].shares[0].received(0, 0) == 3.0);
    BOOST_TEST(trace.steps[2].shares[0].sum(0, 0) == 7.0);
}

BOOST_AUTO_TEST_CASE(broadcast_parent_receives_the_sum_of_its_elements_shares) {
    Tape tape;
    const Var w = tape.variable(0.5);
    const Eigen::Vector3d column(1.0, 2.0, 4.0);
    const Var x = tape.constant(column);
    const Var loss = sum(w * x);  // d loss/dw = 1 + 2 + 4, each element's share summed
    const SweepTrace trace = tapegrad::trace_sweep(tape, loss);
    const SweepStep& multiply = trace.steps.at(1);
    BOOST_TEST_REQUIRE(multiply.shares.size() == 2u);
    BOOST_TEST(multiply.shares[0].parent == w.index());
    BOOST_TEST((multiply.shares[0].rule == ShareRule::broadcast_sum));
    BOOST_TEST(close(multiply.shares[0].local, column, 0.0));  // d(w x_i)/dw = x_i, element by element
    BOOST_TEST(multiply.shares[0].received(0, 0) == 7.0);
    BOOST_TEST(multiply.shares[0].how == "element by element, then summed over the elements it was broadcast to");
    BOOST_TEST((multiply.shares[1].rule == ShareRule::elementwise));
    BOOST_TEST(close(multiply.shares[1].received, Eigen::Vector3d(0.5, 0.5, 0.5), 0.0));
    BOOST_TEST(multiply.shares[1].how == "element by element: each element's adjoint times its local derivative");
}

// mean's 6 x 1 parent was reduced into one number, not broadcast: each element gets
// adjoint x 1/6, its local derivative in the parent's shape.
BOOST_AUTO_TEST_CASE(mean_parent_is_told_a_reduction_not_a_broadcast) {
    Tape tape;
    const Var x = tape.variable(Eigen::VectorXd::LinSpaced(6, 1.0, 6.0));
    const Var loss = mean(x);
    const SweepTrace trace = tapegrad::trace_sweep(tape, loss);
    BOOST_TEST_REQUIRE(trace.steps.size() == 1u);
    const Share& share = trace.steps[0].shares.at(0);
    BOOST_TEST((share.rule == ShareRule::one_number));
    BOOST_TEST(close(share.local, MatrixXd::Constant(6, 1, 1.0 / 6.0), 1e-15));
    BOOST_TEST(share.how.find("broadcast") == std::string::npos, share.how);
}

BOOST_AUTO_TEST_CASE(rule_follows_the_kind_of_op_and_the_shapes) {
    const Shape one{1, 1}, column{6, 1}, matrix{2, 3};
    BOOST_TEST((tapegrad::share_rule(Op::multiply, column, one) == ShareRule::broadcast_sum));
    BOOST_TEST((tapegrad::share_rule(Op::multiply, column, column) == ShareRule::elementwise));
    BOOST_TEST((tapegrad::share_rule(Op::sigmoid, column, column) == ShareRule::elementwise));
    BOOST_TEST((tapegrad::share_rule(Op::add, one, one) == ShareRule::times));
    for (Op op : {Op::sum, Op::mean, Op::mean_squared_error})
        BOOST_TEST((tapegrad::share_rule(op, one, column) == ShareRule::one_number), tapegrad::op_name(op));
    for (Op op : {Op::col_sums, Op::matmul, Op::transpose, Op::linear, Op::log_softmax})
        BOOST_TEST((tapegrad::share_rule(op, matrix, matrix) == ShareRule::formula), tapegrad::op_name(op));
    BOOST_TEST(tapegrad::share_rule_text(Op::matmul, 0, matrix, matrix).find("G Bᵀ") == 0u);
    BOOST_TEST(tapegrad::share_rule_text(Op::matmul, 1, matrix, matrix).find("Aᵀ G") == 0u);
    BOOST_TEST(tapegrad::share_rule_text(Op::linear, 2, matrix, Shape{1, 3}).find("col sums of G") == 0u);
}

// Chapter 4's neuron, (w x + b - y)^2 at w = 0.5, b = 0: the page's three numbers on each
// step, and the numbers chapter 4 prints (-13.4059 x -1 = 13.4059 for y).
BOOST_AUTO_TEST_CASE(neuron_every_share_is_adjoint_times_local) {
    Tape tape;
    const Var w = tape.variable(0.5), b = tape.variable(0.0);
    const Var loss = tapegrad::examples::neuron_loss(tape, w, b);
    BOOST_TEST(check_rule_on_every_share(tape, loss) == 7u);  // 1 + 2 + 2 + 2 shares
    const SweepTrace trace = tapegrad::trace_sweep(tape, loss);
    const SweepStep& subtract = trace.steps.at(1);  // prediction - y
    const double error = 0.5 * 60.0 / 101.0 - 7.0;
    BOOST_TEST(subtract.adjoint(0, 0) == 2 * error, boost::test_tools::tolerance(1e-14));
    BOOST_TEST(subtract.shares.at(0).local(0, 0) == -1.0);  // d(p - y)/dy, y first: node 3
    BOOST_TEST(subtract.shares.at(0).received(0, 0) == -2 * error, boost::test_tools::tolerance(1e-14));
    BOOST_TEST(w.scalar_adjoint() == 2 * error * 60.0 / 101.0, boost::test_tools::tolerance(1e-14));
}

BOOST_AUTO_TEST_CASE(person_and_batched_tapes_every_share_is_adjoint_times_local) {
    const tapegrad::nn::Parameters start = tapegrad::testing::reference_start("a");  // chapter 4's
    const tapegrad::nn::HealthNetwork all = tapegrad::testing::article_network();
    {
        const tapegrad::nn::Dataset people = tapegrad::nn::article_people();
        const MatrixXd scaled = tapegrad::nn::Scaler::article_min_max().transform(people.features);
        const tapegrad::nn::HealthNetwork first(scaled.topRows(1), people.targets.head(1));
        Tape tape;
        tapegrad::nn::ParameterVars vars;
        const Var loss = first.record_loss_per_person(tape, start, vars, true);
        BOOST_TEST(check_rule_on_every_share(tape, loss) == 36u);  // 17 two-parent nodes, identity, square
    }
    Tape tape;
    tapegrad::nn::ParameterVars vars;
    const Var loss = all.record_loss(tape, start, vars, true);
    BOOST_TEST(check_rule_on_every_share(tape, loss) == 37u);  // the same, each node a column, and mean
}

// Every op of the list, on its largest shape class: its local derivatives against central
// differences, each share against adjoint x local, and a formula's words for the others.
BOOST_AUTO_TEST_CASE(every_op_local_derivatives_match_central_differences) {
    for (int i = 0; i < tapegrad::op_count; ++i) {
        const auto op = static_cast<Op>(i);
        if (tapegrad::is_leaf(op)) continue;
        BOOST_TEST_CONTEXT(tapegrad::op_name(op)) {
            for (const auto& shapes : tapegrad::testing::shape_classes(op)) {
                Tape tape;
                std::vector<Var> parents;
                for (std::size_t p = 0; p < shapes.size(); ++p)
                    parents.push_back(tape.variable(tapegrad::testing::filled(shapes[p], double(p))));
                const Var y = tapegrad::testing::record_with(tape, op, parents, 2.0);
                const Var loss = sum(y * tape.constant(tapegrad::testing::filled(tape.node(y.index()).shape, 7.0)));
                const SweepTrace trace = tapegrad::trace_sweep(tape, loss);
                const auto step = std::find_if(trace.steps.begin(), trace.steps.end(),
                                               [&](const SweepStep& s) { return s.node == y.index(); });
                BOOST_TEST_REQUIRE((step != trace.steps.end()));
                const auto locals = tapegrad::local_derivatives(tape, y.index());
                for (std::size_t q = 0; q < locals.size(); ++q) {
                    if (locals[q].size() == 0) continue;  // a formula: no local derivative to show
                    const MatrixXd numeric = local_by_differences(tape, y.index(), q);
                    BOOST_TEST(close(locals[q], numeric, 1e-6), "parent " << q << ": " << locals[q] << " vs " << numeric);
                }
                for (const Share& share : step->shares) {
                    BOOST_TEST(!share.how.empty());
                    if (share.rule == ShareRule::formula) continue;
                    const MatrixXd product = adjoint_times_local(step->adjoint, share, tape.node(share.parent).shape);
                    BOOST_TEST(close(product, share.received, 1e-12));
                }
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(bad_tapes_are_refused) {
    Tape empty;
    BOOST_CHECK_THROW(tapegrad::trace_sweep(empty, Var()), TapeError);
    Tape tape;
    const Var column = tape.variable(Eigen::Vector2d(1.0, 2.0));
    const Var doubled = column * 2.0;
    BOOST_CHECK_EXCEPTION(tapegrad::trace_sweep(tape, doubled), TapeError, [](const TapeError& e) {
        return std::string(e.what()).find("must be a scalar") != std::string::npos;
    });
    std::ostringstream out;
    BOOST_CHECK_THROW(tapegrad::write_sweep_page(out, empty, SweepTrace{}, "", "empty"), TapeError);
    BOOST_CHECK_THROW(tapegrad::write_sweep_page(out, tape, doubled, "not a loss"), TapeError);
    BOOST_TEST(out.str().empty());
}

// One call sweeps the tape and writes the page: the gradient left on the tape, the final
// step's list of the variables, each share's three numbers in the data.
BOOST_AUTO_TEST_CASE(one_call_writes_the_page_and_leaves_the_gradient) {
    Tape tape;
    const Var w = tape.variable(0.5), b = tape.variable(0.0);
    const Var loss = tapegrad::examples::neuron_loss(tape, w, b);
    const std::string page = one_call_page(tape, loss, "neuron");
    BOOST_TEST(w.scalar_adjoint() == 2 * (0.5 * 60.0 / 101.0 - 7.0) * 60.0 / 101.0, boost::test_tools::tolerance(1e-14));
    BOOST_TEST(page.find("<!DOCTYPE html>") == 0u);
    const std::string open = "<script type=\"application/json\" id=\"tape-data\">";
    const std::size_t from = page.find(open) + open.size();
    const nlohmann::json data = nlohmann::json::parse(page.substr(from, page.find("</script>", from) - from));
    BOOST_TEST(data["gradient"] == nlohmann::json::parse("[0, 1]"));
    BOOST_TEST(data["nodes"][0]["adjoint"] == "-7.96393");
    BOOST_TEST(data["nodes"][1]["adjoint"] == "-13.4059");
    const nlohmann::json& to_y = data["back"][1]["shares"][0];  // the subtract's share for y
    BOOST_TEST(data["back"][1]["adjoint"] == "-13.4059");
    BOOST_TEST(to_y["local"] == "-1");
    BOOST_TEST(to_y["received"] == "13.4059");
    BOOST_TEST(to_y["sum"] == "13.4059");
    BOOST_TEST(page.find("No drawing of this tape") != std::string::npos);  // no draw function given
    // Nothing to fetch: no scripts, styles or images from elsewhere.
    for (const char* outside : {"src=", "href=", "@import", "url("}) BOOST_TEST(page.find(outside) == std::string::npos);
}

// The graph: each edge labelled with its local derivative, the drawing the draw function
// returns placed in the page.
BOOST_AUTO_TEST_CASE(edges_are_labelled_with_the_local_derivative) {
    Tape tape;
    const Var w = tape.variable(0.5), b = tape.variable(0.0);
    const Var loss = tapegrad::examples::neuron_loss(tape, w, b);
    std::string dot;
    tapegrad::SweepPageOptions options;
    options.draw = [&dot](const std::string& graph) {
        dot = graph;
        return std::string("<?xml version=\"1.0\"?>\n<svg id=\"drawn\"></svg>\n");
    };
    const std::string page = one_call_page(tape, loss, "neuron", options);
    BOOST_TEST(page.find("<div id=\"graph\">\n<svg id=\"drawn\"></svg>") != std::string::npos);
    BOOST_TEST(page.find("<?xml") == std::string::npos);
    // d(w x)/dw = x = 0.594059, d(w x)/dx = w = 0.5, d(p - y)/dy = -1, d(e^2)/de = 2 e = -13.41
    BOOST_TEST(dot.find("n0 -> n4 [id=\"e0_4_0\", class=\"from0 to4\", label=\" 0.5941 \"]") != std::string::npos, dot);
    BOOST_TEST(dot.find("n2 -> n4 [id=\"e2_4_1\", class=\"from2 to4\", label=\" 0.5 \"]") != std::string::npos);
    BOOST_TEST(dot.find("n3 -> n6 [id=\"e3_6_1\", class=\"from3 to6\", label=\" -1 \"]") != std::string::npos);
    BOOST_TEST(dot.find("n6 -> n7 [id=\"e6_7_0\", class=\"from6 to7\", label=\" -13.41 \"]") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(page_is_one_file_with_the_tapes_numbers) {
    Tape tape;
    const Var a = tape.variable(2.0), b = tape.variable(3.0);
    tape.set_name(a, "a</script>");  // a name must not end the page's script early
    const Var loss = a * b;
    const std::string page = one_call_page(tape, loss, "a * b");
    BOOST_TEST(page.find("\"received\":\"3\"") != std::string::npos);  // d(ab)/da = b
    BOOST_TEST(page.find("a</script>") == std::string::npos);
}

namespace {
// The page of a x a, a named `name`.
std::string page_with_name(const std::string& name, const std::string& title = "a * a") {
    Tape tape;
    const Var a = tape.variable(2.0);
    tape.set_name(a, name);
    const Var loss = a * a;
    return one_call_page(tape, loss, title);
}

// The text of the page's data element, which the page's script hands to JSON.parse.
std::string data_script(const std::string& page) {
    const std::string open = "<script type=\"application/json\" id=\"tape-data\">";
    const std::size_t from = page.find(open);
    BOOST_TEST_REQUIRE(from != std::string::npos);
    const std::size_t start = from + open.size();
    return page.substr(start, page.find("</script>", start) - start);
}

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}
}  // namespace

// "<!--<script>" would put the HTML parser in a state where the data's own "</script>"
// no longer ends it, so the page's script never runs; "</script>" ends the data early; a
// line separator ends a line of JavaScript. The data holds none of < > & U+2028 U+2029,
// and reads back as the names given.
BOOST_AUTO_TEST_CASE(node_name_cannot_end_or_break_the_script) {
    for (const std::string name :
         {"<!--<script>", "</script>", "a</SCRIPT >b", "<!-- x -->", "x\xe2\x80\xa8y\xe2\x80\xa9z", "&lt;", "]]>"}) {
        BOOST_TEST_CONTEXT("name '" << name << "'") {
            const std::string page = page_with_name(name, "title " + name);
            const std::string script = data_script(page);
            BOOST_TEST(script.find_first_of("<>&") == std::string::npos);
            BOOST_TEST(script.find("\xe2\x80\xa8") == std::string::npos);
            BOOST_TEST(script.find("\xe2\x80\xa9") == std::string::npos);
            BOOST_TEST(count(page, "<script") == 2u);  // the data and the page's program, nothing else
            BOOST_TEST(count(page, "</script>") == 2u);
            const nlohmann::json data = nlohmann::json::parse(script);
            BOOST_TEST(data["nodes"][0]["name"].get<std::string>() == name);
            BOOST_TEST(data["title"].get<std::string>() == "title " + name);
        }
    }
}

// Bytes that are not UTF-8 (a cut-short sequence, 0xff) and control characters in a name
// are shown as \xNN, in the table, the data and the title alike, instead of making the
// page writer throw nlohmann's type_error 316. The whole page is valid UTF-8.
BOOST_AUTO_TEST_CASE(invalid_utf8_name_is_shown_not_thrown) {
    std::string page;
    BOOST_REQUIRE_NO_THROW(page = page_with_name("w\xff\xc3 a\nb", "t\xfe"));
    BOOST_CHECK_NO_THROW(nlohmann::json(page).dump());  // throws on invalid UTF-8
    BOOST_TEST(page.find("<td class=\"name\">w\\xff\\xc3 a\\x0ab</td>") != std::string::npos);
    BOOST_TEST(page.find("<h1>t\\xfe</h1>") != std::string::npos);
    const nlohmann::json data = nlohmann::json::parse(data_script(page));
    BOOST_TEST(data["nodes"][0]["name"].get<std::string>() == "w\\xff\\xc3 a\\x0ab");
    std::ostringstream dot;
    Tape tape;
    tape.set_name(tape.variable(1.0), "v\xff\"");
    tapegrad::sweep_page_dot(dot, tape);
    BOOST_TEST(dot.str().find("label=\"#0 v\\\\xff\\\"\"") != std::string::npos);
}

// A long computation: x <- sin(x) * w + b, 333 times, then its square: 1,002 nodes. The page
// (the table alone: Graphviz takes minutes on a graph this size) is the browser test's input.
BOOST_AUTO_TEST_CASE(thousand_node_page) {
    Tape tape;
    const Var w = tape.variable(0.9), b = tape.variable(0.1);
    Var x = tape.variable(0.5);
    while (tape.size() < 1000) x = sin(x) * w + b;
    const Var loss = square(x);
    BOOST_TEST(tape.size() > 1000u);
    std::ofstream file("thousand.html");
    tapegrad::write_sweep_page(file, tape, loss, "A 1,000-node tape");
    file.close();
    BOOST_TEST(file.good());
    std::ofstream table("thousand.txt");  // what the page must show at the end: print_tape's table
    tapegrad::print_tape(table, tape);
    BOOST_TEST(table.good());
}

// ---- The op list is the only list (issue 24) ------------------------------------------------
// An op added as one struct, one line of TAPEGRAD_OPS and its Var function must appear in
// every list generated from it: shape classes and IEEE-special cases (op_cases.hpp), a
// passing check in gradient_check's list (operation_checks.hpp: one line of its output
// each), and words on the sweep page for what each of its parents receives. (The tests'
// reference tables are hand-written; test_operations and test_var each fail for an op
// missing from theirs.)
BOOST_AUTO_TEST_CASE(every_op_of_the_list_appears_in_every_generated_list) {
    namespace testing = tapegrad::testing;
    const auto checks = tapegrad::examples::operation_checks();
    for (int i = 0; i < tapegrad::op_count; ++i) {
        const auto op = static_cast<tapegrad::Op>(i);
        if (tapegrad::is_leaf(op)) continue;
        BOOST_TEST_CONTEXT(tapegrad::op_name(op) << " (" << tapegrad::kind_name(tapegrad::op_kind(op)) << ")") {
            const auto classes = testing::shape_classes(op);
            BOOST_TEST(!classes.empty(), "no shape classes in op_cases.hpp");
            BOOST_TEST(!testing::special_cases(op).empty(), "no IEEE-special cases in op_cases.hpp");

            std::size_t lines = 0;
            for (const auto& check : checks)
                if (check.op == op) {
                    ++lines;
                    const auto report = tapegrad::check_gradient(check.loss, check.point);
                    BOOST_TEST(report.passed, check.name << ": " << report);
                }
            BOOST_TEST(lines >= 1u, "no line in gradient_check's list");

            // The sweep page, on the op's largest shape class: every parent is told what it got.
            if (classes.empty()) continue;
            std::vector<tapegrad::Shape> shapes = classes.front();
            for (const auto& c : classes) {
                std::size_t size = 0, best = 0;
                for (auto s : c) size += s.size();
                for (auto s : shapes) best += s.size();
                if (size > best) shapes = c;
            }
            Tape tape;
            std::vector<Var> parents;
            for (std::size_t p = 0; p < shapes.size(); ++p)
                parents.push_back(tape.variable(testing::filled(shapes[p], double(p))));
            const Var y = testing::record_with(tape, op, parents, 2.0);
            const SweepTrace trace = tapegrad::trace_sweep(tape, sum(y));
            const auto step = std::find_if(trace.steps.begin(), trace.steps.end(),
                                           [&](const SweepStep& s) { return s.node == y.index(); });
            BOOST_TEST_REQUIRE((step != trace.steps.end()), "no step of the sweep for the op's node");
            BOOST_TEST(!step->shares.empty());
            for (const Share& share : step->shares)
                BOOST_TEST(!share.how.empty(), "parent #" << share.parent << " is not told what it received");
        }
    }
}
