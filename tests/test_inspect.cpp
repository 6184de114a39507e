// tests/test_inspect.cpp — the tape as a table (the Wengert list) and as Graphviz DOT.
#define BOOST_TEST_MODULE inspect
#include <boost/test/unit_test.hpp>

#include <sstream>
#include <string>

#include "tapegrad/autodiff/inspect.hpp"

using tapegrad::Tape;
using tapegrad::Var;

BOOST_AUTO_TEST_CASE(table_lists_every_node_with_value_and_adjoint) {
    Tape tape;
    const Var a = tape.variable(2.0), b = tape.variable(3.0);
    tape.set_name(a, "a");
    tape.set_name(b, "b");
    tape.gradient(a * b);
    std::ostringstream out;
    tapegrad::print_tape(out, tape);
    const std::string want =
        "index  op        name  parents  shape  value  adjoint\n"
        "    0  variable  a     -        1x1    2      3\n"
        "    1  variable  b     -        1x1    3      2\n"
        "    2  multiply        0, 1     1x1    6      1\n";
    BOOST_TEST(out.str() == want);
}

BOOST_AUTO_TEST_CASE(table_before_the_sweep_has_no_adjoints) {
    Tape tape;
    (void)exp(tape.variable(0.0));
    std::ostringstream out;
    tapegrad::print_tape(out, tape);
    BOOST_TEST(out.str() ==
               "index  op        name  parents  shape  value  adjoint\n"
               "    0  variable        -        1x1    0\n"
               "    1  exp             0        1x1    1\n");
}

BOOST_AUTO_TEST_CASE(matrices_are_printed_compactly) {
    Eigen::MatrixXd column(3, 1);
    column << 1, 2.5, -3;
    BOOST_TEST(tapegrad::format_matrix(column) == "[1, 2.5, -3]");
    Eigen::MatrixXd m(2, 2);
    m << 1, 2, 3, 4;
    BOOST_TEST(tapegrad::format_matrix(m) == "[1, 2; 3, 4]");
    tapegrad::PrintOptions few;
    few.max_elements = 2;
    BOOST_TEST(tapegrad::format_matrix(column, few) == "[1, 2.5, ...]");
    BOOST_TEST(tapegrad::format_matrix(Eigen::MatrixXd::Constant(1, 1, 0.125)) == "0.125");
}

BOOST_AUTO_TEST_CASE(dot_has_a_node_per_entry_and_an_edge_per_parent) {
    Tape tape;
    const Var w = tape.variable(0.5);
    tape.set_name(w, "w \"quoted\"");
    const Var x = tape.constant(4.0);
    const Var y = square(w * x);
    tape.gradient(y);
    std::ostringstream out;
    tapegrad::write_dot(out, tape);
    const std::string dot = out.str();
    BOOST_TEST(dot.rfind("digraph tape {", 0) == 0u);
    BOOST_TEST(dot.find("n0 -> n2;") != std::string::npos, dot);
    BOOST_TEST(dot.find("n1 -> n2;") != std::string::npos, dot);
    BOOST_TEST(dot.find("n2 -> n3;") != std::string::npos, dot);
    BOOST_TEST(dot.find("fillcolor") != std::string::npos, dot);         // the variable stands out
    BOOST_TEST(dot.find("w \\\"quoted\\\"") != std::string::npos, dot);  // quotes escaped
    BOOST_TEST(dot.find("adjoint 16") != std::string::npos, dot);        // d(wx)^2/dw = 2 w x^2
    BOOST_TEST(dot.back() == '\n');
}

BOOST_AUTO_TEST_CASE(dot_marks_the_loss_and_wraps_long_columns) {
    Tape tape;
    const Var w = tape.variable(2.0);
    Eigen::VectorXd six(6);
    six << 1, 2, 3, 4, 5, 6;
    const Var x = tape.constant(six);
    const Var loss = mean(w * x);
    tape.set_name(loss, "loss");
    tape.gradient(loss);
    std::ostringstream out;
    tapegrad::write_dot(out, tape);
    const std::string dot = out.str();
    // The node the sweep started from stands out; a scalar's header has no shape.
    BOOST_TEST(dot.find("n3 [label=\"#3 loss = mean\\nvalue 7\\nadjoint 1\", style=\"rounded,filled,bold\", "
                        "fillcolor=\"#b9d7f0\"") != std::string::npos,
               dot);
    // A column of six breaks after three elements, its lines left-aligned (\\l).
    BOOST_TEST(dot.find("#1 constant  (6x1)\\lvalue [1, 2, 3,\\l4, 5, 6]\\l") != std::string::npos, dot);
}

BOOST_AUTO_TEST_CASE(a_layer_shows_all_three_parents) {
    // linear(X, W, b) has three parents: the table lists them, the drawing has an edge each.
    Tape tape;
    Eigen::MatrixXd x(2, 1), w(1, 1), b(1, 1);
    x << 1, 2;
    w << 3;
    b << 0.5;
    const Var xv = tape.constant(x), wv = tape.variable(w), bv = tape.variable(b);
    tape.gradient(sum(linear(xv, wv, bv)));
    std::ostringstream table;
    tapegrad::print_tape(table, tape);
    BOOST_TEST(table.str().find("    3  linear          0, 1, 2  2x1    [3.5, 6.5]  [1, 1]\n") != std::string::npos,
               table.str());
    std::ostringstream dot;
    tapegrad::write_dot(dot, tape);
    for (const char* edge : {"n0 -> n3;", "n1 -> n3;", "n2 -> n3;"})
        BOOST_TEST(dot.str().find(edge) != std::string::npos, edge << " in\n" << dot.str());
}
