// tapegrad/autodiff/inspect.cpp — the tape as a table and as DOT.
#include "tapegrad/autodiff/inspect.hpp"

#include "tapegrad/autodiff/format.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <ostream>
#include <vector>

namespace tapegrad {

namespace {

std::string number(double x, int precision) { return format_number(x, "%.*g", precision); }

std::string parents_of(const Node& n) {
    if (n.parent_count() == 0) return "-";
    std::string s = std::to_string(n.parents[0]);
    for (int p = 1; p < n.parent_count(); ++p) s += ", " + std::to_string(n.parents[p]);
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

// A long list breaks after every third element, so that a node of six values is a
// small block rather than a long bar; `lines` receives the pieces. (No indent for the
// continuations: SVG viewers collapse leading spaces; the brackets show where a list ends.)
void wrap_into(std::vector<std::string>& lines, const std::string& first, const std::string& list) {
    std::string line = first;
    int separators = 0;
    for (std::size_t i = 0; i < list.size(); ++i) {
        line += list[i];
        if ((list[i] == ',' || list[i] == ';') && i + 1 < list.size() && list[i + 1] == ' ' && ++separators % 3 == 0) {
            lines.push_back(line);
            line.clear();
            ++i;  // the space gives way to the line break
        }
    }
    lines.push_back(line);
}
}  // namespace

void write_dot(std::ostream& out, const Tape& tape, const PrintOptions& options) {
    out << "digraph tape {\n"
           "  rankdir=TB;\n"  // inputs at the top, the loss at the bottom: fits a page
           "  nodesep=0.2;\n"
           "  ranksep=0.3;\n"
           "  node [shape=box, style=rounded, fontname=\"Helvetica\", fontsize=11, margin=\"0.08,0.04\"];\n"
           "  edge [color=\"#555555\", arrowsize=0.7];\n";
    // The node the sweep started from (the loss): the last one, its adjoint seeded to 1.
    const bool has_output = tape.size() > 0 && tape.has_adjoint(tape.size() - 1) &&
                            tape.node(tape.size() - 1).shape.is_scalar() && tape.adjoint(tape.size() - 1)(0, 0) == 1.0;
    for (std::size_t i = 0; i < tape.size(); ++i) {
        const Node& n = tape.node(i);
        const std::string name(tape.name(i));
        const bool leaf = n.op == Op::variable || n.op == Op::constant;
        // First line: index, name and operation. A named leaf is just its name (its
        // style says variable or constant); a scalar's shape goes without saying.
        std::string head = "#" + std::to_string(i) + " ";
        if (name.empty())
            head += op_text(n);
        else if (leaf)
            head += dot_escape(name);
        else
            head += dot_escape(name) + " = " + op_text(n);
        if (!n.shape.is_scalar()) head += "  (" + n.shape.to_string() + ")";
        std::vector<std::string> lines{head};
        wrap_into(lines, "value ", dot_escape(format_matrix(tape.value(i), options)));
        if (tape.has_adjoint(i)) wrap_into(lines, "adjoint ", dot_escape(format_matrix(tape.adjoint(i), options)));
        // In DOT, \\n ends a centred line and \\l a left-aligned one (the last one too): a
        // wrapped list reads best aligned on the left, a short label centred.
        const bool left = lines.size() > 3;
        std::string label;
        for (std::size_t k = 0; k < lines.size(); ++k) {
            label += lines[k];
            if (left)
                label += "\\l";
            else if (k + 1 < lines.size())
                label += "\\n";
        }
        std::string style;
        if (n.op == Op::variable)  // the parameters: what the gradient is for
            style = ", style=\"rounded,filled,bold\", fillcolor=\"#ffd27f\", fontname=\"Helvetica-Bold\"";
        else if (n.op == Op::constant)
            style = ", style=\"rounded,dashed\", color=\"#888888\", fontcolor=\"#555555\"";
        else if (has_output && i + 1 == tape.size())
            style = ", style=\"rounded,filled,bold\", fillcolor=\"#b9d7f0\", penwidth=1.5";
        out << "  n" << i << " [label=\"" << label << "\"" << style << "];\n";
    }
    for (std::size_t i = 0; i < tape.size(); ++i) {
        const Node& n = tape.node(i);
        for (int p = 0; p < n.parent_count(); ++p) out << "  n" << n.parents[p] << " -> n" << i << ";\n";
    }
    out << "}\n";
}

}  // namespace tapegrad
