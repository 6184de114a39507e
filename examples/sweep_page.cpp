// examples/sweep_page.cpp — trace the sweep node by node, and write the page that steps through it.
//
// The page is data plus a small script: the C++ side writes every number (values, adjoints,
// contributions, running sums) as text into one JSON object, and the script only decides
// which of them to show at a step. Nothing is computed in the browser.
#include "sweep_page.hpp"

#include <ostream>
#include <set>

#include <nlohmann/json.hpp>

#include "cli.hpp"

namespace tapegrad::pages {

namespace {

std::string op_label(const Node& n) {
    if (n.op == Op::power_scalar) return "pow " + format_matrix(Eigen::Matrix<double, 1, 1>(n.constant));
    return std::string(op_name(n.op));
}

std::vector<std::size_t> parents_of(const Tape& tape, std::size_t k) {
    const auto parents = tape.parents(k);
    return {parents.begin(), parents.end()};
}

bool is_leaf(const Node& n) { return op_kind(n.op) == OpKind::leaf; }

// Node k's step: what each distinct parent held before and after sweep_node(k). A parent
// used twice (x * x) receives both shares in one step, and shows their sum.
SweepStep sweep_one(Tape& tape, std::size_t k, const PrintOptions& options) {
    SweepStep step{k, format_matrix(tape.adjoint(k), options), {}};
    const std::vector<std::size_t> all = parents_of(tape, k);
    const std::set<std::size_t> distinct(all.begin(), all.end());
    std::vector<Eigen::MatrixXd> before;
    for (std::size_t p : distinct) before.emplace_back(tape.has_adjoint(p) ? Eigen::MatrixXd(tape.adjoint(p)) : Eigen::MatrixXd());
    tape.sweep_node(k);
    std::size_t i = 0;
    for (std::size_t p : distinct) {
        const Eigen::MatrixXd& old = before[i++];
        if (old.size() == 0) continue;  // a constant whose adjoint the tape does not compute
        const Eigen::MatrixXd now = tape.adjoint(p);
        step.shares.push_back({p, format_matrix(now - old, options), format_matrix(now, options),
                               what_a_parent_receives(tape.node(k).op, tape.node(k).shape, tape.node(p).shape)});
    }
    return step;
}

}  // namespace

std::string what_a_parent_receives(Op op, Shape node, Shape parent) {
    // One number from one number: the contribution shown is all there is to say.
    const bool one_from_one = node.is_scalar() && parent.is_scalar();
    switch (op_kind(op)) {
        case OpKind::leaf: return "";
        case OpKind::elementwise:
        case OpKind::broadcasting:
            if (parent != node) return "summed over the elements it was broadcast to";
            return one_from_one ? "" : "element by element: each element's adjoint times its local derivative";
        case OpKind::reduction:
            return "a reduction: each element receives the adjoint of the element it went into, times its local "
                   "derivative";
        case OpKind::matrix:
            return "a matrix operation: each element receives, summed over the elements of the result it enters, "
                   "their adjoint times its local derivative";
    }
    return "";
}

SweepTrace trace_sweep(Tape& tape, Var loss, const PrintOptions& options) {
    if (tape.size() == 0) throw TapeError("sweep page: the tape is empty (record something first)");
    tape.begin_sweep(loss);  // checks that loss is a live 1 x 1 node of this tape
    SweepTrace trace{loss.index(), {}};
    for (std::size_t k = loss.index() + 1; k-- > 0;)
        if (!is_leaf(tape.node(k))) trace.steps.push_back(sweep_one(tape, k, options));
    return trace;
}

void sweep_page_dot(std::ostream& out, const Tape& tape) {
    out << "digraph tape {\n  rankdir=TB;\n  nodesep=0.2;\n  ranksep=0.3;\n"
           "  node [shape=box, style=rounded, fontname=\"Helvetica\", fontsize=11, margin=\"0.08,0.04\"];\n"
           "  edge [color=\"#555555\", arrowsize=0.7];\n";
    for (std::size_t i = 0; i < tape.size(); ++i) {
        const Node& n = tape.node(i);
        std::string label = "#" + std::to_string(i) + " ";
        const std::string name = cli::printable(tape.name(i));
        label += name.empty() ? op_label(n) : is_leaf(n) ? name : name + " = " + op_label(n);
        if (!n.shape.is_scalar()) label += " (" + n.shape.to_string() + ")";
        std::string escaped;
        for (char c : label) escaped += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
        const char* kind = n.op == Op::variable ? "variable" : n.op == Op::constant ? "constant" : "operation";
        const char* style = n.op == Op::variable   ? ", style=\"rounded,filled,bold\", fillcolor=\"#ffd27f\""
                            : n.op == Op::constant ? ", style=\"rounded,dashed\", color=\"#888888\""
                                                   : "";
        out << "  n" << i << " [id=\"n" << i << "\", class=\"" << kind << "\", label=\"" << escaped << "\"" << style
            << "];\n";
    }
    for (std::size_t i = 0; i < tape.size(); ++i)
        for (std::size_t p : parents_of(tape, i))
            out << "  n" << p << " -> n" << i << " [id=\"e" << p << "_" << i << "\"];\n";
    out << "}\n";
}

namespace {

nlohmann::json page_data(const Tape& tape, const SweepTrace& trace, const std::string& title,
                         const PrintOptions& options) {
    nlohmann::json nodes = nlohmann::json::array();
    for (std::size_t i = 0; i < tape.size(); ++i) {
        const Node& n = tape.node(i);
        const char* kind = n.op == Op::variable ? "variable" : n.op == Op::constant ? "constant" : "operation";
        nodes.push_back({{"op", op_label(n)},
                         {"kind", kind},
                         {"name", cli::printable(tape.name(i))},
                         {"parents", parents_of(tape, i)},
                         {"shape", n.shape.to_string()},
                         {"value", format_matrix(tape.value(i), options)},
                         {"zero", format_matrix(Eigen::MatrixXd::Zero(n.shape.rows, n.shape.cols), options)},
                         {"adjoint", tape.has_adjoint(i) ? format_matrix(tape.adjoint(i), options) : ""}});
    }
    nlohmann::json steps = nlohmann::json::array();
    for (const SweepStep& s : trace.steps) {
        nlohmann::json shares = nlohmann::json::array();
        for (const Share& sh : s.shares)
            shares.push_back({{"parent", sh.parent},
                              {"contribution", sh.contribution},
                              {"sum", sh.running_sum},
                              {"how", sh.how}});
        steps.push_back({{"node", s.node}, {"adjoint", s.adjoint}, {"shares", shares}});
    }
    return {{"title", title}, {"loss", trace.loss}, {"one", format_matrix(Eigen::Matrix<double, 1, 1>(1.0), options)},
            {"nodes", nodes}, {"back", steps}};
}

// The page's data as the text of its <script> element. Inside a <script>, "</script>" ends
// the element and "<!--" starts a state in which it no longer does, and a line separator
// (U+2028, U+2029) ends a line of JavaScript: so < > & and those two are written as \u
// escapes, which JSON.parse reads back as the same characters. They can only occur inside
// the JSON's strings. Bytes that are not UTF-8 become U+FFFD instead of an exception.
std::string script_json(const nlohmann::json& data) {
    const std::string json = data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    constexpr std::string_view line_separator = "\xe2\x80\xa8", paragraph_separator = "\xe2\x80\xa9";
    std::string out;
    for (std::size_t i = 0; i < json.size(); ++i) {
        const std::string_view rest = std::string_view(json).substr(i);
        if (rest.starts_with(line_separator) || rest.starts_with(paragraph_separator)) {
            out += rest.starts_with(line_separator) ? "\\u2028" : "\\u2029";
            i += 2;
            continue;
        }
        switch (rest[0]) {
            case '<': out += "\\u003c"; break;
            case '>': out += "\\u003e"; break;
            case '&': out += "\\u0026"; break;
            default: out += rest[0];
        }
    }
    return out;
}

// The SVG from Graphviz starts with an XML declaration and a DOCTYPE; inline, only <svg ...> on.
std::string inline_svg(const std::string& svg) {
    const std::size_t start = svg.find("<svg");
    return start == std::string::npos ? std::string() : svg.substr(start);
}

constexpr const char* page_style = R"css(
body { font-family: Helvetica, Arial, sans-serif; margin: 0; color: #222; }
header { padding: 0.6em 1em; background: #f3f6fa; border-bottom: 1px solid #d5dde6; }
h1 { font-size: 1.15em; margin: 0 0 0.4em 0; }
.controls button { font-size: 1em; margin-right: 0.3em; padding: 0.2em 0.7em; }
#counter { font-variant-numeric: tabular-nums; margin-left: 0.6em; }
#explain { margin: 0.5em 0 0 0; min-height: 3.6em; font-size: 0.95em; line-height: 1.45; }
#explain code { background: #fff; padding: 0 0.2em; }
main { display: flex; gap: 1em; padding: 0.8em 1em; align-items: flex-start; }
#graph { flex: 1 1 40%; overflow: auto; max-height: 80vh; border: 1px solid #e2e6ea; }
#graph svg { max-width: 100%; height: auto; }
#table-box { flex: 1 1 60%; overflow: auto; max-height: 80vh; }
table { border-collapse: collapse; font-size: 0.85em; }
th, td { padding: 0.15em 0.5em; text-align: left; border-bottom: 1px solid #eee; white-space: nowrap; }
td.value, td.adjoint, #explain code { font-family: "DejaVu Sans Mono", monospace; font-size: 0.95em; }
td.value, td.adjoint { white-space: normal; min-width: 6em; max-width: 22em; }
tr.variable td.name { font-weight: bold; }
tr.constant { color: #666; }
tr.current { background: #ffe08a; }
tr.parent { background: #d8ecff; }
.node.current polygon, .node.current path { fill: #ffe08a; stroke: #b07d00; stroke-width: 2; }
.node.parent polygon, .node.parent path { fill: #d8ecff; }
.node.done text { font-weight: bold; }
.edge.active path { stroke: #c0392b; stroke-width: 2.5; }
.edge.active polygon { fill: #c0392b; stroke: #c0392b; }
.note { color: #555; font-style: italic; margin: 0 0.5em; }
)css";

constexpr const char* page_script = R"js(
'use strict';
const data = JSON.parse(document.getElementById('tape-data').textContent);
const nodes = data.nodes, back = data.back, n = nodes.length;
const seedStep = n + 1, last = n + 1 + back.length;  // 1..n forward, n+1 the seed, then the sweep
const rows = nodes.map((_, i) => document.getElementById('row-' + i));
const cell = (i, c) => rows[i].querySelector('td.' + c);
let step = 0;
const esc = s => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
const who = i => '#' + i + (nodes[i].name ? ' ' + esc(nodes[i].name) : '');

// What every node shows at step s: its value once computed, its adjoint once the sweep began
// (0 until a share arrives, then the running sum after the latest share).
function stateAt(s) {
  const value = nodes.map((nd, i) => s > i ? nd.value : '');
  const adjoint = nodes.map(nd => s >= seedStep ? nd.zero : '');
  if (s >= seedStep) adjoint[data.loss] = data.one;
  for (let b = 0; b < Math.min(back.length, s - seedStep); ++b)
    for (const sh of back[b].shares) adjoint[sh.parent] = sh.sum;
  return {value, adjoint};
}

function mark(i, cls, on) {
  if (rows[i]) rows[i].classList.toggle(cls, on);
  const g = document.getElementById('n' + i);
  if (g) g.classList.toggle(cls, on);
}

function describe(s) {
  if (s === 0) return 'Step 0: nothing computed yet. Step forward (→) to record the tape node by node, then back through the sweep.';
  if (s <= n) {
    const i = s - 1, nd = nodes[i];
    if (nd.kind !== 'operation')
      return 'Forward, node ' + who(i) + ': a ' + nd.kind + ' (leaf), value <code>' + esc(nd.value) + '</code>.';
    const ins = nd.parents.map(p => who(p) + ' = <code>' + esc(nodes[p].value) + '</code>').join(', ');
    return 'Forward, node ' + who(i) + ' = ' + esc(nd.op) + '(' + ins + ') = <code>' + esc(nd.value) + '</code>.';
  }
  if (s === seedStep)
    return 'The sweep begins: every adjoint is set to 0, then the loss ' + who(data.loss) +
           ' gets d loss / d loss = <code>' + esc(data.one) + '</code>.';
  const b = back[s - seedStep - 1], nd = nodes[b.node];
  let text = 'Backward, node ' + who(b.node) + ' (' + esc(nd.op) + '), adjoint <code>' + esc(b.adjoint) + '</code>:';
  if (b.shares.length === 0) text += ' no parent takes an adjoint (constants only).';
  for (const sh of b.shares)
    text += '<br>&nbsp;&nbsp;to ' + who(sh.parent) + ': adjoint × ∂#' + b.node + '/∂#' + sh.parent + ' = <code>' +
            esc(sh.contribution) + '</code>' + (sh.how ? ' (' + esc(sh.how) + ')' : '') +
            '; its running sum is now <code>' + esc(sh.sum) + '</code>';
  return text;
}

function show(s) {
  step = Math.max(0, Math.min(last, s));
  const st = stateAt(step);
  for (let i = 0; i < n; ++i) {
    const v = cell(i, 'value'), a = cell(i, 'adjoint');
    if (v.textContent !== st.value[i]) v.textContent = st.value[i];
    if (a.textContent !== st.adjoint[i]) a.textContent = st.adjoint[i];
    mark(i, 'done', step > i);
  }
  document.querySelectorAll('.current, .parent, .active').forEach(e => e.classList.remove('current', 'parent', 'active'));
  let current = -1, parents = [];
  if (step >= 1 && step <= n) { current = step - 1; parents = nodes[current].parents; }
  else if (step === seedStep) current = data.loss;
  else if (step > seedStep) { current = back[step - seedStep - 1].node; parents = nodes[current].parents; }
  if (current >= 0) {
    mark(current, 'current', true);
    for (const p of parents) {
      mark(p, 'parent', true);
      const e = document.getElementById('e' + p + '_' + current);
      if (e) e.classList.add('active');
    }
    rows[current].scrollIntoView({block: 'nearest'});
  }
  document.getElementById('counter').textContent = 'step ' + step + ' of ' + last;
  document.getElementById('explain').innerHTML = describe(step);
  const want = '#step=' + (step === last ? 'end' : step);
  if (location.hash !== want) history.replaceState(null, '', want);
}

function fromHash() {
  const m = /step=(end|\d+)/.exec(location.hash);
  if (m) show(m[1] === 'end' ? last : parseInt(m[1], 10)); else show(0);
}

document.getElementById('first').onclick = () => show(0);
document.getElementById('prev').onclick = () => show(step - 1);
document.getElementById('next').onclick = () => show(step + 1);
document.getElementById('end').onclick = () => show(last);
document.addEventListener('keydown', e => {
  const to = {ArrowRight: step + 1, ArrowLeft: step - 1, Home: 0, End: last}[e.key];
  if (to !== undefined) { show(to); e.preventDefault(); }
});
window.addEventListener('hashchange', fromHash);
fromHash();
)js";

std::string html_escape(const std::string& s) {
    std::string e;
    for (char c : s) {
        if (c == '<') e += "&lt;";
        else if (c == '>') e += "&gt;";
        else if (c == '&') e += "&amp;";
        else if (c == '"') e += "&quot;";
        else e += c;
    }
    return e;
}

void write_rows(std::ostream& out, const Tape& tape) {
    out << "<table><thead><tr><th>#</th><th>op</th><th>name</th><th>parents</th><th>shape</th><th>value</th>"
           "<th>adjoint</th></tr></thead><tbody>\n";
    for (std::size_t i = 0; i < tape.size(); ++i) {
        const Node& n = tape.node(i);
        std::string parents;
        for (std::size_t p : parents_of(tape, i)) parents += (parents.empty() ? "" : ", ") + std::to_string(p);
        const char* kind = n.op == Op::variable ? "variable" : n.op == Op::constant ? "constant" : "operation";
        out << "<tr id=\"row-" << i << "\" class=\"" << kind << "\"><td>" << i << "</td><td>" << html_escape(op_label(n))
            << "</td><td class=\"name\">" << html_escape(cli::printable(tape.name(i))) << "</td><td>"
            << (parents.empty() ? "-" : parents) << "</td><td>" << n.shape.to_string()
            << "</td><td class=\"value\"></td><td class=\"adjoint\"></td></tr>\n";
    }
    out << "</tbody></table>\n";
}

}  // namespace

void write_sweep_page(std::ostream& out, const Tape& tape, const SweepTrace& trace, const std::string& svg,
                      const std::string& title, const PrintOptions& options) {
    if (tape.size() == 0) throw TapeError("sweep page: the tape is empty (record something first)");
    const std::string heading = cli::printable(title);
    const std::string json = script_json(page_data(tape, trace, heading, options));
    out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" << html_escape(heading)
        << "</title>\n<style>" << page_style << "</style>\n</head>\n<body>\n<header>\n<h1>" << html_escape(heading)
        << "</h1>\n<div class=\"controls\"><button id=\"first\" title=\"Home\">« start</button>"
           "<button id=\"prev\" title=\"←\">◀ back</button><button id=\"next\" title=\"→\">forward ▶</button>"
           "<button id=\"end\" title=\"End\">end »</button><span id=\"counter\"></span></div>\n"
           "<p id=\"explain\"></p>\n</header>\n<main>\n";
    if (svg.empty())
        out << "<p class=\"note\">No drawing of this tape (" << tape.size()
            << " nodes): the table lists every node.</p>\n";
    else
        out << "<div id=\"graph\">\n" << inline_svg(svg) << "</div>\n";
    out << "<div id=\"table-box\">\n";
    write_rows(out, tape);
    out << "</div>\n</main>\n<script type=\"application/json\" id=\"tape-data\">" << json << "</script>\n<script>"
        << page_script << "</script>\n</body>\n</html>\n";
}

}  // namespace tapegrad::pages
