// tests/test_sweep_page.cpp — the sweep traced node by node, and the page written from it.
//
// The trace's shares are checked against the chain rule by hand (a * b sends adj * b to a
// and adj * a to b; x * x sends 2 x adj to x in one step; a broadcast scalar receives the sum
// of its column's shares), and the trace must leave the tape as gradient() leaves it. Node
// names are the user's: none may end or break the page's script, or its encoding. The
// last case writes a page of a 1,000-node tape for the browser test (tests/sweep_page_browser.py).
#define BOOST_TEST_MODULE sweep_page
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "op_cases.hpp"
#include "operation_checks.hpp"
#include "sweep_page.hpp"

using tapegrad::Tape;
using tapegrad::TapeError;
using tapegrad::Var;
namespace pages = tapegrad::pages;

BOOST_AUTO_TEST_CASE(product_sends_each_parent_the_other_factor) {
    Tape tape;
    const Var a = tape.variable(2.0), b = tape.variable(3.0);
    const Var y = a * b, loss = y * 5.0;  // d loss/dy = 5; d y/da = b = 3, d y/db = a = 2
    const pages::SweepTrace trace = pages::trace_sweep(tape, loss);
    BOOST_TEST(trace.loss == loss.index());
    BOOST_TEST_REQUIRE(trace.steps.size() == 2u);  // the two multiplies; leaves take no step
    BOOST_TEST(trace.steps[0].node == loss.index());
    const pages::SweepStep& step = trace.steps[1];
    BOOST_TEST(step.node == y.index());
    BOOST_TEST(step.adjoint == "5");
    BOOST_TEST_REQUIRE(step.shares.size() == 2u);
    BOOST_TEST(step.shares[0].parent == a.index());
    BOOST_TEST(step.shares[0].contribution == "15");  // 5 * 3
    BOOST_TEST(step.shares[1].parent == b.index());
    BOOST_TEST(step.shares[1].contribution == "10");  // 5 * 2
    BOOST_TEST(a.scalar_adjoint() == 15.0);           // the tape is swept as gradient() sweeps it
    BOOST_TEST(b.scalar_adjoint() == 10.0);
}

BOOST_AUTO_TEST_CASE(reused_node_x_times_x_gets_both_shares_in_one_step) {
    Tape tape;
    const Var x = tape.variable(3.0);
    const Var loss = x * x;
    const pages::SweepTrace trace = pages::trace_sweep(tape, loss);
    BOOST_TEST_REQUIRE(trace.steps.size() == 1u);
    BOOST_TEST_REQUIRE(trace.steps[0].shares.size() == 1u);
    BOOST_TEST(trace.steps[0].shares[0].contribution == "6");  // 2 x
    BOOST_TEST(trace.steps[0].shares[0].running_sum == "6");
}

BOOST_AUTO_TEST_CASE(running_sums_add_up_across_steps) {
    Tape tape;
    const Var x = tape.variable(2.0);
    const Var u = x * 3.0, v = x * 4.0;
    const Var loss = u + v;  // d loss/dx = 3 + 4, received in two steps: v's (newer) first
    const pages::SweepTrace trace = pages::trace_sweep(tape, loss);
    BOOST_TEST_REQUIRE(trace.steps.size() == 3u);
    BOOST_TEST(trace.steps[1].node == v.index());
    BOOST_TEST(trace.steps[1].shares[0].running_sum == "4");
    BOOST_TEST(trace.steps[2].node == u.index());
    BOOST_TEST(trace.steps[2].shares[0].contribution == "3");
    BOOST_TEST(trace.steps[2].shares[0].running_sum == "7");
}

BOOST_AUTO_TEST_CASE(broadcast_parent_receives_the_sum_of_its_elements_shares) {
    Tape tape;
    const Var w = tape.variable(0.5);
    const Eigen::Vector3d column(1.0, 2.0, 4.0);
    const Var x = tape.constant(column);
    const Var loss = sum(w * x);  // d loss/dw = 1 + 2 + 4, each element's share summed
    const pages::SweepTrace trace = pages::trace_sweep(tape, loss);
    const pages::SweepStep& multiply = trace.steps.at(1);
    BOOST_TEST_REQUIRE(multiply.shares.size() == 2u);
    BOOST_TEST(multiply.shares[0].parent == w.index());
    BOOST_TEST(multiply.shares[0].contribution == "7");
    BOOST_TEST(multiply.shares[0].how == "summed over the elements it was broadcast to");
    BOOST_TEST(multiply.shares[1].contribution == "[0.5, 0.5, 0.5]");
    BOOST_TEST(multiply.shares[1].how == "element by element: each element's adjoint times its local derivative");
}

// mean's 6 x 1 parent was reduced into one number, not broadcast: the page once said
// "summed over the elements it was broadcast to" for it. Each element gets adjoint / 6.
BOOST_AUTO_TEST_CASE(mean_parent_is_told_a_reduction_not_a_broadcast) {
    Tape tape;
    const Var x = tape.variable(Eigen::VectorXd::LinSpaced(6, 1.0, 6.0));
    const Var loss = mean(x);
    const pages::SweepTrace trace = pages::trace_sweep(tape, loss);
    BOOST_TEST_REQUIRE(trace.steps.size() == 1u);
    const pages::Share& share = trace.steps[0].shares.at(0);
    BOOST_TEST(share.contribution == "[0.166667, 0.166667, 0.166667, 0.166667, 0.166667, 0.166667]");
    BOOST_TEST(share.how.find("broadcast") == std::string::npos, share.how);
    BOOST_TEST(share.how.find("a reduction: each element receives the adjoint") == 0u, share.how);
}

BOOST_AUTO_TEST_CASE(wording_follows_the_kind_of_op) {
    const tapegrad::Shape one{1, 1}, column{6, 1}, matrix{2, 3};
    const std::string broadcast = "summed over the elements it was broadcast to";
    BOOST_TEST(pages::what_a_parent_receives(tapegrad::Op::multiply, column, one) == broadcast);
    BOOST_TEST(pages::what_a_parent_receives(tapegrad::Op::multiply, column, column).find("element by element") == 0u);
    BOOST_TEST(pages::what_a_parent_receives(tapegrad::Op::sigmoid, column, column).find("element by element") == 0u);
    BOOST_TEST(pages::what_a_parent_receives(tapegrad::Op::add, one, one).empty());  // nothing more than the number
    for (tapegrad::Op op : {tapegrad::Op::sum, tapegrad::Op::mean, tapegrad::Op::col_sums, tapegrad::Op::row_means,
                            tapegrad::Op::mean_squared_error})
        BOOST_TEST(pages::what_a_parent_receives(op, one, column).find("a reduction") == 0u, tapegrad::op_name(op));
    for (tapegrad::Op op : {tapegrad::Op::matmul, tapegrad::Op::transpose, tapegrad::Op::linear})
        BOOST_TEST(pages::what_a_parent_receives(op, matrix, matrix).find("a matrix operation") == 0u,
                   tapegrad::op_name(op));
}

BOOST_AUTO_TEST_CASE(bad_tapes_are_refused) {
    Tape empty;
    BOOST_CHECK_THROW(pages::trace_sweep(empty, Var()), TapeError);
    Tape tape;
    const Var column = tape.variable(Eigen::Vector2d(1.0, 2.0));
    const Var doubled = column * 2.0;
    BOOST_CHECK_EXCEPTION(pages::trace_sweep(tape, doubled), TapeError, [](const TapeError& e) {
        return std::string(e.what()).find("must be a scalar") != std::string::npos;
    });
    std::ostringstream out;
    BOOST_CHECK_THROW(pages::write_sweep_page(out, empty, {}, "", "empty"), TapeError);
    BOOST_TEST(out.str().empty());
}

BOOST_AUTO_TEST_CASE(page_is_one_file_with_the_tapes_numbers) {
    Tape tape;
    const Var a = tape.variable(2.0), b = tape.variable(3.0);
    tape.set_name(a, "a</script>");  // a name must not end the page's script early
    const Var loss = a * b;
    const pages::SweepTrace trace = pages::trace_sweep(tape, loss);
    std::ostringstream out;
    pages::write_sweep_page(out, tape, trace, "", "a * b");
    const std::string page = out.str();
    BOOST_TEST(page.find("<!DOCTYPE html>") == 0u);
    BOOST_TEST(page.find("\"contribution\":\"3\"") != std::string::npos);  // d(ab)/da = b
    BOOST_TEST(page.find("a</script>") == std::string::npos);
    // Nothing to fetch: no scripts, styles or images from elsewhere.
    for (const char* outside : {"src=", "href=", "@import", "url("})
        BOOST_TEST(page.find(outside) == std::string::npos);
}

namespace {
// The page of a x a, a named `name`.
std::string page_with_name(const std::string& name, const std::string& title = "a * a") {
    Tape tape;
    const Var a = tape.variable(2.0);
    tape.set_name(a, name);
    const Var loss = a * a;
    const pages::SweepTrace trace = pages::trace_sweep(tape, loss);
    std::ostringstream out;
    pages::write_sweep_page(out, tape, trace, "", title);
    return out.str();
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
    pages::sweep_page_dot(dot, tape);
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
    const pages::SweepTrace trace = pages::trace_sweep(tape, loss);
    BOOST_TEST(tape.size() > 1000u);
    std::ofstream file("thousand.html");
    pages::write_sweep_page(file, tape, trace, "", "A 1,000-node tape");
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
            const pages::SweepTrace trace = pages::trace_sweep(tape, sum(y));
            const auto step = std::find_if(trace.steps.begin(), trace.steps.end(),
                                           [&](const pages::SweepStep& s) { return s.node == y.index(); });
            BOOST_TEST_REQUIRE((step != trace.steps.end()), "no step of the sweep for the op's node");
            BOOST_TEST(!step->shares.empty());
            for (const pages::Share& share : step->shares)
                BOOST_TEST(!share.how.empty(), "parent #" << share.parent << " is not told what it received");
        }
    }
}
