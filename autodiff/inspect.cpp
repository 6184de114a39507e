// tapegrad/autodiff/inspect.cpp — the tape as a table and as DOT.
#include "autodiff/inspect.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <ostream>
#include <vector>

namespace tapegrad {

namespace {

std::string number(double x, int precision) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*g", precision, x);
    return buf;
}

std::string parents_of(const Node& n) {
    if (n.parent_count() == 0) return "-";
    std::string s = std::to_string(n.parent_a);
    if (n.parent_b != Node::no_parent) s += ", " + std::to_string(n.parent_b);
    return s;
}

std::string op_text(const Node& n) {
    if (n.op == Op::power_scalar) return "pow " + number(n.constant, 6);
    return std::string(op_name(n.op));
}

}  // namespace

std::string format_matrix(const Eigen::Ref<const Eigen::MatrixXd>& m, const PrintOptions& options) {
    if (m.size() == 1) return number(m(0, 0), options.precision);
    std::string s = "[";
    std::size_t shown = 0;
    // A column reads best as a list; a matrix row by row.
    const bool column = m.cols() == 1;
    for (Eigen::Index i = 0; i < m.rows() && shown < options.max_elements; ++i) {
        for (Eigen::Index j = 0; j < m.cols() && shown < options.max_elements; ++j) {
            if (shown > 0) s += (j == 0 && !column) ? "; " : ", ";
            s += number(m(i, j), options.precision);
            ++shown;
        }
    }
    if (shown < static_cast<std::size_t>(m.size())) s += ", ...";
    return s + "]";
}

void print_tape(std::ostream& out, const Tape& tape, const PrintOptions& options) {
    using Row = std::array<std::string, 7>;
    std::vector<Row> rows{{"index", "op", "name", "parents", "shape", "value", "adjoint"}};
    for (std::size_t i = 0; i < tape.size(); ++i) {
        const Node& n = tape.node(i);
        rows.push_back({std::to_string(i), op_text(n), std::string(tape.name(i)), parents_of(n), n.shape.to_string(),
                        format_matrix(tape.value(i), options),
                        tape.has_adjoint(i) ? format_matrix(tape.adjoint(i), options) : ""});
    }
    std::array<std::size_t, 7> width{};
    for (const Row& r : rows)
        for (std::size_t c = 0; c < r.size(); ++c) width[c] = std::max(width[c], r[c].size());
    for (const Row& r : rows) {
        std::string line(width[0] - r[0].size(), ' ');  // index right-aligned
        line += r[0];
        for (std::size_t c = 1; c < r.size(); ++c) {
            line += "  " + r[c];
            if (c + 1 < r.size()) line += std::string(width[c] - r[c].size(), ' ');
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out << line << '\n';
    }
}

namespace {
std::string dot_escape(const std::string& s) {
    std::string e;
    for (char c : s) {
        if (c == '"' || c == '\\') e += '\\';
        e += c;
    }
    return e;
}
}  // namespace

void write_dot(std::ostream& out, const Tape& tape, const PrintOptions& options) {
    out << "digraph tape {\n"
           "  rankdir=LR;\n"
           "  node [shape=box, style=rounded, fontname=\"Helvetica\", fontsize=11];\n"
           "  edge [color=\"#555555\"];\n";
    for (std::size_t i = 0; i < tape.size(); ++i) {
        const Node& n = tape.node(i);
        const std::string name(tape.name(i));
        // Pieces are escaped one by one; "\\n" is DOT's line break inside a label.
        std::string label = "#" + std::to_string(i) + " " + (name.empty() ? "" : dot_escape(name) + " = ") +
                            op_text(n) + "  (" + n.shape.to_string() + ")\\nvalue " +
                            dot_escape(format_matrix(tape.value(i), options));
        if (tape.has_adjoint(i)) label += "\\nadjoint " + dot_escape(format_matrix(tape.adjoint(i), options));
        std::string style;
        if (n.op == Op::variable)
            style = ", style=\"rounded,filled,bold\", fillcolor=\"#ffd27f\"";
        else if (n.op == Op::constant)
            style = ", style=\"rounded,dashed\", color=\"#888888\", fontcolor=\"#555555\"";
        out << "  n" << i << " [label=\"" << label << "\"" << style << "];\n";
    }
    for (std::size_t i = 0; i < tape.size(); ++i) {
        const Node& n = tape.node(i);
        if (n.parent_a != Node::no_parent) out << "  n" << n.parent_a << " -> n" << i << ";\n";
        if (n.parent_b != Node::no_parent) out << "  n" << n.parent_b << " -> n" << i << ";\n";
    }
    out << "}\n";
}

}  // namespace tapegrad
