// tapegrad/autodiff/sweep_page_html.cpp — the sweep page itself: data, style and script in one file.
//
// Every number on the page is formatted here (format_matrix, as print_tape prints it) and
// written into one JSON object in a <script type="application/json"> element; the page's
// script only chooses which to show at a step. Steps: 0 nothing yet, 1..n the recording,
// n+1 the seed, then one per node of the sweep, and last the gradient read off.
#include <ostream>
#include <sstream>

#include "tapegrad/autodiff/sweep_page.hpp"

namespace tapegrad {

namespace {

// ---- A small JSON writer: strings, numbers and lists, nothing else is needed ----
// Inside a <script>, "</script>" ends the element and "<!--" starts a state in which it no
// longer does, and U+2028, U+2029 end a line of JavaScript: so < > & and those two are
// written as \u escapes, which JSON.parse reads back as the same characters. The text is
// valid UTF-8 (names went through printable()).
std::string quoted(std::string_view text) {
    constexpr std::string_view line_separator = "\xe2\x80\xa8", paragraph_separator = "\xe2\x80\xa9";
    std::string out = "\"";
    for (std::size_t i = 0; i < text.size(); ++i) {
        const std::string_view rest = text.substr(i);
        if (rest.starts_with(line_separator) || rest.starts_with(paragraph_separator)) {
            out += rest.starts_with(line_separator) ? "\\u2028" : "\\u2029";
            i += 2;
            continue;
        }
        const char c = text[i];
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (c == '<' || c == '>' || c == '&' || static_cast<unsigned char>(c) < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned char>(c));
            out += buf;
        } else {
            out += c;
        }
    }
    return out + "\"";
}

// One JSON object, field by field: field("name", quoted(...)).
class Object {
public:
    Object& field(std::string_view key, const std::string& json) {
        text_ += (text_.empty() ? "{" : ",") + quoted(key) + ":" + json;
        return *this;
    }
    std::string str() const { return text_.empty() ? "{}" : text_ + "}"; }

private:
    std::string text_;
};
std::string list(const std::vector<std::string>& items) {
    std::string out = "[";
    for (std::size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + items[i];
    return out + "]";
}

const char* rule_name(ShareRule rule) {
    constexpr const char* names[] = {"times", "elementwise", "broadcast_sum", "one_number", "formula"};
    return names[static_cast<int>(rule)];
}

std::string node_json(const Tape& tape, std::size_t i, const PrintOptions& o) {
    const Node& n = tape.node(i);
    std::vector<std::string> parents;
    for (std::uint32_t p : tape.parents(i)) parents.push_back(std::to_string(p));
    return Object()
        .field("op", quoted(op_text(n)))
        .field("kind", quoted(page_class(n)))
        .field("name", quoted(printable(tape.name(i))))
        .field("parents", list(parents))
        .field("shape", quoted(n.shape.to_string()))
        .field("value", quoted(format_matrix(tape.value(i), o)))
        .field("zero", quoted(format_matrix(Eigen::MatrixXd::Zero(n.shape.rows, n.shape.cols), o)))
        .field("adjoint", quoted(tape.has_adjoint(i) ? format_matrix(tape.adjoint(i), o) : ""))
        .str();
}

std::string step_json(const SweepStep& s, const PrintOptions& o) {
    std::vector<std::string> shares;
    for (const Share& sh : s.shares) {
        const std::string local =
            sh.local.size() ? format_matrix(sh.local, o)
                            : sh.how.substr(0, sh.how.find(':'));  // a formula: its short form
        shares.push_back(Object()
                             .field("parent", std::to_string(sh.parent))
                             .field("rule", quoted(rule_name(sh.rule)))
                             .field("local", quoted(local))
                             .field("received", quoted(format_matrix(sh.received, o)))
                             .field("sum", quoted(format_matrix(sh.sum, o)))
                             .field("how", quoted(sh.how))
                             .str());
    }
    return Object()
        .field("node", std::to_string(s.node))
        .field("adjoint", quoted(format_matrix(s.adjoint, o)))
        .field("shares", list(shares))
        .str();
}

std::string page_data(const Tape& tape, const SweepTrace& trace, const std::string& title, const PrintOptions& o) {
    std::vector<std::string> nodes, steps, gradient;
    for (std::size_t i = 0; i < tape.size(); ++i) {
        nodes.push_back(node_json(tape, i, o));
        if (tape.node(i).op == Op::variable && i <= trace.loss) gradient.push_back(std::to_string(i));
    }
    for (const SweepStep& s : trace.steps) steps.push_back(step_json(s, o));
    return Object()
        .field("title", quoted(title))
        .field("loss", std::to_string(trace.loss))
        .field("one", quoted(format_matrix(Eigen::Matrix<double, 1, 1>(1.0), o)))
        .field("nodes", list(nodes))
        .field("back", list(steps))
        .field("gradient", list(gradient))
        .str();
}

// The SVG from Graphviz starts with an XML declaration and a DOCTYPE; inline, only <svg ...> on.
std::string inline_svg(const std::string& svg) {
    const std::size_t start = svg.find("<svg");
    return start == std::string::npos ? std::string() : svg.substr(start);
}

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
    out << "<table id=\"nodes\"><thead><tr><th>#</th><th>op</th><th>name</th><th>parents</th><th>shape</th>"
           "<th>value</th><th>adjoint</th></tr></thead><tbody>\n";
    for (std::size_t i = 0; i < tape.size(); ++i) {
        const Node& n = tape.node(i);
        std::string parents;
        for (std::uint32_t p : tape.parents(i)) parents += (parents.empty() ? "" : ", ") + std::to_string(p);
        out << "<tr id=\"row-" << i << "\" class=\"" << page_class(n) << "\"><td>" << i << "</td><td>"
            << html_escape(op_text(n)) << "</td><td class=\"name\">" << html_escape(printable(tape.name(i)))
            << "</td><td>" << (parents.empty() ? "-" : parents) << "</td><td>" << n.shape.to_string()
            << "</td><td class=\"value\"></td><td class=\"adjoint\"></td></tr>\n";
    }
    out << "</tbody></table>\n";
}

constexpr const char* page_style = R"css(
body { font-family: Helvetica, Arial, sans-serif; margin: 0; color: #222; }
header { padding: 0.6em 1em; background: #f3f6fa; border-bottom: 1px solid #d5dde6; }
h1 { font-size: 1.15em; margin: 0 0 0.4em 0; }
.controls button { font-size: 1em; margin-right: 0.3em; padding: 0.2em 0.7em; }
#counter { font-variant-numeric: tabular-nums; margin: 0 1.2em 0 0.6em; }
.legend { font-size: 0.85em; white-space: nowrap; }
.chip { display: inline-block; padding: 0 0.5em; margin-right: 0.4em; border-radius: 3px; border: 1.5px solid; }
.chip.now { background: #ffb74d; border-color: #e65100; }
.chip.gets { background: #bbdefb; border-color: #1565c0; }
.chip.param { background: #c7e9c0; border-color: #2e7d32; font-weight: bold; }
.chip.local { color: #6a3d9a; border-color: #6a3d9a; }
#explain { margin: 0 0 0.8em 0; min-height: 4.5em; font-size: 0.95em; line-height: 1.45; padding: 0.5em 0.7em;
           background: #f8f9fb; border: 1px solid #e2e6ea; }
#explain code, td.value, td.adjoint, table.shares td.num { font-family: "DejaVu Sans Mono", monospace; font-size: 0.95em; }
#explain code { background: #fff; padding: 0 0.2em; }
table.shares { margin-top: 0.3em; background: #fff; font-size: 1em; }
table.shares th { font-weight: normal; color: #555; font-size: 0.85em; }
table.shares td.op { text-align: center; color: #555; }
table.shares td.local { color: #6a3d9a; }
table.shares td.sum { font-weight: bold; }
table.shares td.num { white-space: pre-line; vertical-align: top; }
table.shares tr.how td { color: #555; font-size: 0.85em; padding-bottom: 0.35em; }
ul.gradient { margin: 0.2em 0; }
main { display: flex; gap: 1em; padding: 0.8em 1em; align-items: flex-start; }
#graph { flex: 1 1 50%; overflow: auto; max-height: 88vh; border: 1px solid #e2e6ea; }
#side { flex: 1 1 50%; min-width: 0; max-width: 75em; }
#graph svg { display: block; }
#table-box { overflow: auto; max-height: 60vh; }
table { border-collapse: collapse; font-size: 0.85em; }
th, td { padding: 0.15em 0.5em; text-align: left; border-bottom: 1px solid #eee; white-space: nowrap; }
td.value, td.adjoint { white-space: normal; min-width: 6em; max-width: 22em; }
tr.variable { background: #eef8ec; }
tr.variable td.name { font-weight: bold; color: #1b5e20; }
tr.constant { color: #666; }
tr.parent { background: #d6e9ff; }
tr.current { background: #ffc870; }
tr.gradient { background: #c7e9c0; font-weight: bold; }
.node.parent path, .node.parent polygon { fill: #bbdefb; stroke: #1565c0; stroke-width: 2.5; }
.node.current path, .node.current polygon { fill: #ffb74d; stroke: #e65100; stroke-width: 3; }
.node.gradient path, .node.gradient polygon { stroke: #1b5e20; stroke-width: 4; }
.node:not(.done) text { fill: #9e9e9e; }
.edge text { visibility: hidden; }
.edge.known text { visibility: visible; }
.edge.active path { stroke: #d32f2f; stroke-width: 3; }
.edge.active polygon { fill: #d32f2f; stroke: #d32f2f; }
.edge.active text { fill: #d32f2f; font-weight: bold; }
.note { color: #555; font-style: italic; margin: 0 0 0.5em 0; }
)css";

// The colours' legend; the edges' part only with a drawing.
constexpr const char* page_legend =
    "<span class=\"legend\"><span class=\"chip now\">current node</span><span class=\"chip gets\">"
    "its parents</span><span class=\"chip param\">parameter (variable)</span>";
constexpr const char* edge_legend =
    "<span class=\"chip local\">on an edge: the local derivative ∂child/∂parent, shown once the forward pass "
    "computed it</span>";

constexpr const char* page_script = R"js(
'use strict';
const data = JSON.parse(document.getElementById('tape-data').textContent);
const nodes = data.nodes, back = data.back, n = nodes.length;
// 0 nothing yet, 1..n the recording, n+1 the seed, then the sweep, and last the gradient.
const seedStep = n + 1, gradientStep = n + 2 + back.length, last = gradientStep;
const rows = nodes.map((_, i) => document.getElementById('row-' + i));
const cell = (i, c) => rows[i].querySelector('td.' + c);
const edgesTo = nodes.map(() => []);
document.querySelectorAll('g.edge').forEach(e => {
  const to = /\bto(\d+)\b/.exec(e.getAttribute('class') || '');
  if (to && edgesTo[+to[1]]) edgesTo[+to[1]].push(e);
});
let step = 0;
const esc = s => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
const who = i => '#' + i + (nodes[i].name ? ' ' + esc(nodes[i].name) : '');
const code = s => '<code>' + esc(s) + '</code>';
// A column or a matrix in the shares' table: one element (or row) a line.
const stack = s => esc(s.startsWith('[') ? s.replace(/([,;]) /g, '$1\n') : s);

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

// A backward step: for each parent, adjoint (op) local derivative = share, and the running sum.
const symbol = {times: ['×', '='], one_number: ['×', '='], elementwise: ['⊙', '='],
                broadcast_sum: ['⊙', 'summed ='], formula: ['→', '=']};
function backward(b) {
  const nd = nodes[b.node], k = b.node;
  let text = 'Backward, node ' + who(k) + ' (' + esc(nd.op) + '): its adjoint ' + code(b.adjoint) +
             ' is final, so it hands each parent its share, adjoint × ∂#' + k + '/∂parent, which the ' +
             'parent adds to its own adjoint.';
  if (b.shares.length === 0) return text + ' No parent takes a share.';
  text += '<table class="shares"><tr><th>to</th><th>adjoint of #' + k + '</th><th></th><th>∂#' + k +
          '/∂parent</th><th></th><th>share</th><th>parent\'s adjoint now</th></tr>';
  for (const sh of b.shares) {
    const [op, eq] = symbol[sh.rule];
    text += '<tr class="share"><td>' + who(sh.parent) + '</td><td class="num g">' + stack(b.adjoint) +
            '</td><td class="op sym">' + op + '</td><td class="num local">' + stack(sh.local) + '</td><td class="op eq">' +
            eq + '</td><td class="num received">' + stack(sh.received) + '</td><td class="num sum">' +
            stack(sh.sum) + '</td></tr>';
    if (sh.rule !== 'times') text += '<tr class="how"><td></td><td colspan="6">' + esc(sh.how) + '</td></tr>';
  }
  return text + '</table>';
}

function describe(s) {
  if (s === 0) return 'Step 0: nothing computed yet. Step forward (→) to record the tape node by node, then back through the sweep.';
  if (s <= n) {
    const i = s - 1, nd = nodes[i];
    if (nd.kind !== 'operation')
      return 'Forward, node ' + who(i) + ': a ' + nd.kind + ' (leaf), value ' + code(nd.value) + '.';
    const ins = nd.parents.map(p => who(p) + ' = ' + code(nodes[p].value)).join(', ');
    return 'Forward, node ' + who(i) + ' = ' + esc(nd.op) + '(' + ins + ') = ' + code(nd.value) +
           '. Its local derivatives, now known, label its incoming edges.';
  }
  if (s === seedStep)
    return 'The sweep begins: every adjoint is set to 0, then the loss ' + who(data.loss) +
           ' gets d loss / d loss = ' + code(data.one) + '.';
  if (s === gradientStep) {
    const loss = nodes[data.loss].name ? esc(nodes[data.loss].name) : '#' + data.loss;
    let text = 'The sweep is done. The gradient is read off the parameters\' adjoints:<ul class="gradient">';
    for (const v of data.gradient)
      text += '<li class="gradient">∂' + loss + '/∂' + (nodes[v].name ? esc(nodes[v].name) : '#' + v) + ' = ' +
              code(nodes[v].adjoint) + '</li>';
    if (data.gradient.length === 0) text += '<li>(no variables on this tape)</li>';
    return text + '</ul>';
  }
  return backward(back[s - seedStep - 1]);
}

// Scroll `box` (not the page) so that `el` is in view.
function within(box, el) {
  if (!box || !el) return;
  const b = box.getBoundingClientRect(), r = el.getBoundingClientRect();
  if (r.top < b.top) box.scrollTop -= b.top - r.top + 20;
  else if (r.bottom > b.bottom) box.scrollTop += r.bottom - b.bottom + 20;
  if (r.left < b.left) box.scrollLeft -= b.left - r.left + 20;
  else if (r.right > b.right) box.scrollLeft += r.right - b.right + 20;
}

function show(s) {
  step = Math.max(0, Math.min(last, s));
  const st = stateAt(step);
  for (let i = 0; i < n; ++i) {
    const v = cell(i, 'value'), a = cell(i, 'adjoint');
    if (v.textContent !== st.value[i]) v.textContent = st.value[i];
    if (a.textContent !== st.adjoint[i]) a.textContent = st.adjoint[i];
    mark(i, 'done', step > i);
    for (const e of edgesTo[i]) e.classList.toggle('known', step > i);
  }
  document.querySelectorAll('.current, .parent, .active, .gradient').forEach(
      e => e.classList.remove('current', 'parent', 'active', 'gradient'));
  let current = -1;
  if (step >= 1 && step <= n) current = step - 1;
  else if (step === seedStep) current = data.loss;
  else if (step > seedStep && step < gradientStep) current = back[step - seedStep - 1].node;
  if (step === gradientStep) for (const v of data.gradient) mark(v, 'gradient', true);
  if (current >= 0) {
    mark(current, 'current', true);
    if (step !== seedStep) {
      for (const p of nodes[current].parents) mark(p, 'parent', true);
      for (const e of edgesTo[current]) e.classList.add('active');
    }
    within(document.getElementById('table-box'), rows[current]);
    within(document.getElementById('graph'), document.getElementById('n' + current));
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

// The drawing at its own size, shrunk to fit its box but never below 70 %: its labels stay
// readable (the box scrolls instead).
const svg = document.querySelector('#graph svg');
if (svg) {
  const natural = svg.width.baseVal.value, box = document.getElementById('graph').clientWidth - 2;
  svg.style.width = Math.min(natural, Math.max(box, 0.7 * natural)) + 'px';
  svg.style.height = 'auto';
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

}  // namespace

void write_sweep_page(std::ostream& out, const Tape& tape, const SweepTrace& trace, const std::string& svg,
                      const std::string& title, const PrintOptions& options) {
    if (tape.size() == 0) throw TapeError("sweep page: the tape is empty (record something first)");
    const std::string heading = printable(title);
    const std::string json = page_data(tape, trace, heading, options);
    out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" << html_escape(heading)
        << "</title>\n<style>" << page_style << "</style>\n</head>\n<body>\n<header>\n<h1>" << html_escape(heading)
        << "</h1>\n<div class=\"controls\"><button id=\"first\" title=\"Home\">« start</button>"
           "<button id=\"prev\" title=\"←\">◀ back</button><button id=\"next\" title=\"→\">forward ▶</button>"
           "<button id=\"end\" title=\"End\">end »</button><span id=\"counter\"></span>"
        << page_legend << (svg.empty() ? "" : edge_legend) << "</span></div>\n</header>\n<main>\n";
    if (!svg.empty()) out << "<div id=\"graph\">\n" << inline_svg(svg) << "</div>\n";
    out << "<div id=\"side\">\n";
    if (svg.empty())
        out << "<p class=\"note\">No drawing of this tape (" << tape.size()
            << " nodes): the table lists every node, and each step its numbers.</p>\n";
    out << "<div id=\"explain\"></div>\n<div id=\"table-box\">\n";
    write_rows(out, tape);
    out << "</div>\n</div>\n</main>\n<script type=\"application/json\" id=\"tape-data\">" << json << "</script>\n<script>"
        << page_script << "</script>\n</body>\n</html>\n";
}

void write_sweep_page(std::ostream& out, Tape& tape, Var loss, const std::string& title,
                      const SweepPageOptions& options) {
    const SweepTrace trace = trace_sweep(tape, loss);  // checks the tape and the loss first
    std::string svg;
    if (options.draw) {
        std::ostringstream dot;
        sweep_page_dot(dot, tape, {.precision = 4});
        svg = options.draw(dot.str());
    }
    write_sweep_page(out, tape, trace, svg, title, options.print);
}

}  // namespace tapegrad
