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

std::string parents_of(const Tape& tape, std::size_t index) {
    std::string s;
    for (std::uint32_t p : tape.parents(index)) s += (s.empty() ? "" : ", ") + std::to_string(p);
    return s.empty() ? "-" : s;
}

}  // namespace

std::string op_text(const Node& n) {
    if (n.op == Op::power_scalar) return "pow " + number(n.constant, 6);
    return std::string(op_name(n.op));
}

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

namespace {
// Rows as aligned columns two spaces apart: the first right-aligned (an index), the rest
// left-aligned, no trailing spaces. The first row is the header.
template <std::size_t N>
void write_rows(std::ostream& out, const std::vector<std::array<std::string, N>>& rows) {
    std::array<std::size_t, N> width{};
    for (const auto& r : rows)
        for (std::size_t c = 0; c < N; ++c) width[c] = std::max(width[c], r[c].size());
    for (const auto& r : rows) {
        std::string line(width[0] - r[0].size(), ' ');
        line += r[0];
        for (std::size_t c = 1; c < N; ++c) {
            line += "  " + r[c];
            if (c + 1 < N) line += std::string(width[c] - r[c].size(), ' ');
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out << line << '\n';
    }
}
}  // namespace

void print_tape(std::ostream& out, const Tape& tape, const PrintOptions& options) {
    std::vector<std::array<std::string, 7>> rows{{"index", "op", "name", "parents", "shape", "value", "adjoint"}};
    for (std::size_t i = 0; i < tape.size(); ++i) {
        const Node& n = tape.node(i);
        rows.push_back({std::to_string(i), op_text(n), std::string(tape.name(i)), parents_of(tape, i),
                        n.shape.to_string(), format_matrix(tape.value(i), options),
                        tape.has_adjoint(i) ? format_matrix(tape.adjoint(i), options) : ""});
    }
    write_rows(out, rows);
}

void print_plan(std::ostream& out, const Tape& tape, const OptimizedTape& plan) {
    std::size_t leaves = 0, identities = 0;
    for (std::size_t k = 0; k < plan.tape_nodes() && k < tape.size(); ++k) {
        leaves += is_leaf(tape.node(k).op);
        identities += tape.node(k).op == Op::identity;
    }
    out << "tape: " << plan.tape_nodes() << " nodes (" << leaves << " leaves, " << identities
        << " identity); plan: " << plan.steps().size() << " steps";
    if (plan.dead_nodes()) out << "; " << plan.dead_nodes() << " nodes the loss does not need dropped";
    out << "\n\n";
    std::vector<std::array<std::string, 4>> rows{{"step", "computes", "backward", "tape nodes"}};
    for (std::size_t s = 0; s < plan.steps().size(); ++s) {
        const OptimizedTape::Step& step = plan.steps()[s];
        std::string nodes;
        for (std::uint32_t k : step.fused) {
            nodes += (nodes.empty() ? "" : " ") + std::to_string(k);
            const std::string_view name = k < tape.size() ? tape.name(k) : std::string_view{};
            if (!name.empty() && k == step.node) nodes += " (" + std::string(name) + ")";
        }
        rows.push_back({std::to_string(s), step.what, step.backward ? "yes" : "no", nodes});
    }
    write_rows(out, rows);
}

std::string dot_escape(std::string_view s) {
    std::string e;
    for (char c : s) {
        if (c == '"' || c == '\\') e += '\\';
        e += c;
    }
    return e;
}

namespace {

// The opening of a drawing, shared by the tape's and the plan's: top to bottom (inputs at
// the top, the loss at the bottom: fits a page), rounded boxes.
void begin_dot(std::ostream& out, const char* graph) {
    out << "digraph " << graph
        << " {\n"
           "  rankdir=TB;\n"
           "  nodesep=0.2;\n"
           "  ranksep=0.3;\n"
           "  node [shape=box, style=rounded, fontname=\"Helvetica\", fontsize=11, margin=\"0.08,0.04\"];\n"
           "  edge [color=\"#555555\", arrowsize=0.7];\n";
}
// The look of a leaf: a variable (a parameter: what the gradient is for) filled and bold,
// a constant (data) dashed and grey; nothing for other nodes.
std::string leaf_style(Op op) {
    if (op == Op::variable)
        return ", style=\"rounded,filled,bold\", fillcolor=\"#ffd27f\", fontname=\"Helvetica-Bold\"";
    if (op == Op::constant) return ", style=\"rounded,dashed\", color=\"#888888\", fontcolor=\"#555555\"";
    return "";
}
// An arrow from each parent to its child, and the closing brace.
void end_dot(std::ostream& out, const Tape& tape) {
    for (std::size_t i = 0; i < tape.size(); ++i)
        for (std::uint32_t p : tape.parents(i)) out << "  n" << p << " -> n" << i << ";\n";
    out << "}\n";
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
    begin_dot(out, "tape");
    // The node the sweep started from (the loss): the last one, its adjoint seeded to 1.
    const bool has_output = tape.size() > 0 && tape.has_adjoint(tape.size() - 1) &&
                            tape.node(tape.size() - 1).shape.is_scalar() && tape.adjoint(tape.size() - 1)(0, 0) == 1.0;
    for (std::size_t i = 0; i < tape.size(); ++i) {
        const Node& n = tape.node(i);
        const std::string name(tape.name(i));
        const bool leaf = is_leaf(n.op);
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
        std::string style = leaf_style(n.op);
        if (has_output && i + 1 == tape.size())
            style = ", style=\"rounded,filled,bold\", fillcolor=\"#b9d7f0\", penwidth=1.5";
        out << "  n" << i << " [label=\"" << label << "\"" << style << "];\n";
    }
    end_dot(out, tape);
}

void write_plan_dot(std::ostream& out, const Tape& tape, const OptimizedTape& plan) {
    begin_dot(out, "plan");
    // A node's first line as write_dot has it, without values: the plan has none to show.
    const auto label = [&tape](std::uint32_t k) {
        const Node& n = tape.node(k);
        const std::string name = dot_escape(std::string(tape.name(k)));
        std::string text = "#" + std::to_string(k) + " ";
        if (is_leaf(n.op)) return text + (name.empty() ? std::string(op_name(n.op)) : name);
        return text + (name.empty() ? "" : name + " = ") + std::string(op_symbol(n.op));
    };
    std::vector<char> in_step(tape.size(), 0);
    for (std::size_t s = 0; s < plan.steps().size(); ++s) {
        const OptimizedTape::Step& step = plan.steps()[s];
        out << "  subgraph cluster_" << s << " {\n    label=\"step " << s << ": " << dot_escape(step.what)
            << "\";\n    style=\"rounded,filled\"; fillcolor=\"#eaf2fb\"; color=\"#5b8fc7\"; fontname=\"Helvetica\"; "
               "fontsize=11;\n";
        for (std::uint32_t k : step.fused) {
            in_step[k] = 1;
            out << "    n" << k << " [label=\"" << label(k) << "\", style=\"rounded,filled\", fillcolor=white];\n";
        }
        out << "  }\n";
    }
    for (std::uint32_t k = 0; k < tape.size(); ++k) {
        if (in_step[k]) continue;
        const Op op = tape.node(k).op;
        const std::string dropped = ", style=\"rounded,dotted\", color=\"#999999\", fontcolor=\"#777777\"";
        out << "  n" << k << " [label=\"" << label(k) << (op == Op::identity ? " (its parent)" : "") << "\""
            << (is_leaf(op) ? leaf_style(op) : dropped) << "];\n";
    }
    end_dot(out, tape);
}

// ---- Text shown to people: names as a page or a terminal may show them ----

namespace {

// The length of the valid UTF-8 sequence that starts text[at], or 0 when there is none
// (a stray continuation byte, an overlong form, a surrogate, past U+10FFFF, cut short).
std::size_t utf8_sequence(std::string_view text, std::size_t at) {
    const auto byte = [&](std::size_t i) { return i < text.size() ? static_cast<unsigned char>(text[i]) : 0u; };
    const unsigned lead = byte(at);
    if (lead < 0x80) return 1;
    std::size_t length = 4;
    if (lead < 0xc2 || lead > 0xf4) return 0;
    if (lead <= 0xdf)
        length = 2;
    else if (lead <= 0xef)
        length = 3;
    // the byte after the lead: 0x80..0xbf, narrower where shorter forms or surrogates lie
    const unsigned low = lead == 0xe0 ? 0xa0 : lead == 0xf0 ? 0x90 : 0x80;
    const unsigned high = lead == 0xed ? 0x9f : lead == 0xf4 ? 0x8f : 0xbf;
    if (byte(at + 1) < low || byte(at + 1) > high) return 0;
    for (std::size_t i = 2; i < length; ++i)
        if (byte(at + i) < 0x80 || byte(at + i) > 0xbf) return 0;
    return length;
}

// A control character: C0 (below 0x20), DEL, or C1 (U+0080..U+009F, 0xc2 0x80..0x9f).
bool is_control(std::string_view character) {
    const auto first = static_cast<unsigned char>(character[0]);
    if (character.size() == 1) return first < 0x20 || first == 0x7f;
    return character.size() == 2 && first == 0xc2 && static_cast<unsigned char>(character[1]) <= 0x9f;
}

}  // namespace

std::string printable(std::string_view text) {
    std::string out;
    std::size_t at = 0;
    while (at < text.size()) {
        const std::size_t length = utf8_sequence(text, at);
        const std::string_view character = text.substr(at, std::max<std::size_t>(length, 1));
        at += character.size();
        if (length > 0 && !is_control(character)) {
            out += character;
            continue;
        }
        for (const char c : character) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(c));
            out += buf;
        }
    }
    return out;
}

}  // namespace tapegrad
