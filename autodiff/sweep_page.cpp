// tapegrad/autodiff/sweep_page.cpp — trace the sweep node by node, and write the page that steps through it.
//
// The local derivatives are the op list's own: the same ops::term the sweep multiplies by,
// asked at the values on the tape. The shares and running sums are what Tape::sweep_node
// added. The page is data plus a small script: every number is written here, as text, into
// one JSON object, and the script only decides which of them to show at a step.
#include "tapegrad/autodiff/sweep_page.hpp"

#include <ostream>
#include <set>
#include <sstream>

namespace tapegrad {

// ---- The rule and the local derivatives, from the op list ----------------------------------

ShareRule share_rule(Op op, Shape node, Shape parent) {
    switch (op_kind(op)) {
        case OpKind::elementwise:
        case OpKind::broadcasting:
            if (parent != node) return ShareRule::broadcast_sum;
            return node.is_scalar() ? ShareRule::times : ShareRule::elementwise;
        case OpKind::reduction:
        case OpKind::matrix:
            if (!node.is_scalar()) return ShareRule::formula;
            return parent.is_scalar() ? ShareRule::times : ShareRule::one_number;
        case OpKind::leaf: break;
    }
    return ShareRule::formula;
}

namespace {
// The rule of a matrix op or a reduction to several numbers, as a formula in G, this node's
// adjoint, and the op's parents (short: it labels an edge), then what it means.
std::pair<std::string, std::string> formula(Op op, int parent) {
    switch (op) {
        case Op::matmul:
            return parent == 0 ? std::pair{"G Bᵀ", "for Y = A B, element (i, l) of A gets the sum over j of G_ij B_lj"}
                               : std::pair{"Aᵀ G", "for Y = A B, element (l, j) of B gets the sum over i of A_il G_ij"};
        case Op::linear:
            if (parent == 0) return {"G Wᵀ", "for Y = X W + b, X gets G Wᵀ"};
            if (parent == 1) return {"Xᵀ G", "for Y = X W + b, W gets Xᵀ G: a sum over the samples"};
            return {"col sums of G", "b is added to every row, so it gets the column sums of G"};
        case Op::transpose: return {"Gᵀ", "each element gets the adjoint of the element it moved to"};
        case Op::col_sums: return {"G down each column", "each element gets its column's adjoint"};
        case Op::row_sums: return {"G along each row", "each element gets its row's adjoint"};
        case Op::col_means: return {"G / rows", "each element gets its column's adjoint divided by the number of rows"};
        case Op::row_means:
            return {"G / cols", "each element gets its row's adjoint divided by the number of columns"};
        case Op::log_softmax:
            return {"G - softmax ⊙ row sums of G", "each output of a row depends on every logit of that row"};
        default:
            return {"sum of G ∂Y/∂P", "each element P_kl gets the sum over the elements Y_ij of G_ij ∂Y_ij/∂P_kl"};
    }
}
}  // namespace

std::string share_rule_text(Op op, int parent, Shape node, Shape parent_shape) {
    switch (share_rule(op, node, parent_shape)) {
        case ShareRule::times: return "adjoint × local derivative";
        case ShareRule::elementwise: return "element by element: each element's adjoint times its local derivative";
        case ShareRule::broadcast_sum:
            return "element by element, then summed over the elements it was broadcast to";
        case ShareRule::one_number: return "the one adjoint times each element's local derivative";
        case ShareRule::formula: {
            const auto [short_form, meaning] = formula(op, parent);
            return short_form + ": " + meaning + " (G: this node's adjoint)";
        }
    }
    return "";
}

std::vector<Eigen::MatrixXd> local_derivatives(const Tape& tape, std::size_t k) {
    const Node& n = tape.node(k);
    const auto parents = tape.parents(k);
    ops::Element e;  // what the op's formulas see, as the tape's sweep builds it
    e.parents = static_cast<int>(parents.size());
    e.constant = n.constant;
    std::vector<Eigen::MatrixXd> local(parents.size());
    std::vector<bool> node_shaped(parents.size());
    for (int p = 0; p < e.parents; ++p) {
        const Shape shape = tape.node(parents[p]).shape;
        e.p[p] = ops::Operand(tape.value(parents[p]).data(), shape);
        const ShareRule rule = share_rule(n.op, n.shape, shape);
        node_shaped[p] = op_kind(n.op) == OpKind::elementwise || op_kind(n.op) == OpKind::broadcasting;
        if (rule != ShareRule::formula)
            local[p] = node_shaped[p] ? Eigen::MatrixXd::Zero(n.shape.rows, n.shape.cols)
                                      : Eigen::MatrixXd::Zero(shape.rows, shape.cols);
    }
    const auto y = tape.value(k);
    visit(n.op, [&]<class T>(T) {
        for (e.j = 0; e.j < n.shape.cols; ++e.j)
            for (e.i = 0; e.i < n.shape.rows; ++e.i) {
                e.y = y(e.i, e.j);
                for (int p = 0; p < e.parents; ++p) {
                    if (local[p].size() == 0) continue;
                    for (std::size_t l = 0; l < ops::terms<T>(e, p); ++l) {
                        const ops::Term t = ops::term<T>(e, p, l);
                        if (node_shaped[p])
                            local[p](e.i, e.j) += t.derivative;
                        else
                            local[p].data()[e.p[p].at(t.row, t.col)] += t.derivative;
                    }
                }
            }
    });
    return local;
}

// ---- The trace ---------------------------------------------------------------------------

namespace {
// Node k's step: what each distinct parent held before and after sweep_node(k). A parent
// used twice (x * x) receives both terms in one step; its local derivative is their sum.
SweepStep sweep_one(Tape& tape, std::size_t k) {
    SweepStep step{k, tape.adjoint(k), {}};
    const Node& n = tape.node(k);
    const auto all = tape.parents(k);
    const std::set<std::size_t> distinct(all.begin(), all.end());
    const std::vector<Eigen::MatrixXd> local = local_derivatives(tape, k);
    std::vector<Eigen::MatrixXd> before;
    for (std::size_t p : distinct) before.emplace_back(tape.adjoint(p));
    tape.sweep_node(k);
    std::size_t i = 0;
    for (std::size_t p : distinct) {
        Share share{p, share_rule(n.op, n.shape, tape.node(p).shape), {}, {}, tape.adjoint(p), {}};
        share.received = share.sum - before[i++];
        int first = -1;
        for (std::size_t q = 0; q < all.size(); ++q) {
            if (all[q] != p) continue;
            if (first < 0) first = static_cast<int>(q);
            if (local[q].size() == 0) continue;
            share.local = share.local.size() == 0 ? local[q] : Eigen::MatrixXd(share.local + local[q]);
        }
        share.how = share_rule_text(n.op, first, n.shape, tape.node(p).shape);
        step.shares.push_back(std::move(share));
    }
    return step;
}
}  // namespace

SweepTrace trace_sweep(Tape& tape, Var loss) {
    if (tape.size() == 0) throw TapeError("sweep page: the tape is empty (record something first)");
    tape.begin_sweep(loss);  // checks that loss is a live 1 x 1 node of this tape
    SweepTrace trace{loss.index(), {}};
    for (std::size_t k = loss.index() + 1; k-- > 0;)
        if (!is_leaf(tape.node(k).op)) trace.steps.push_back(sweep_one(tape, k));
    return trace;
}

// ---- The graph, as DOT ---------------------------------------------------------------------

const char* page_class(const Node& n) {
    return n.op == Op::variable ? "variable" : n.op == Op::constant ? "constant" : "operation";
}

namespace {
// An edge's label: the local derivative, short (a column shows its first two elements).
std::string edge_label(const Tape& tape, std::size_t k, int p, const Eigen::MatrixXd& local, const PrintOptions& o) {
    if (local.size() == 0) return formula(tape.node(k).op, p).first;
    return format_matrix(local, {.precision = o.precision, .max_elements = 2});
}
}  // namespace

void sweep_page_dot(std::ostream& out, const Tape& tape, const PrintOptions& options) {
    out << "digraph tape {\n  rankdir=TB;\n  nodesep=0.3;\n  ranksep=0.35;\n"
           "  node [shape=box, style=rounded, fontname=\"Helvetica\", fontsize=14, margin=\"0.1,0.05\"];\n"
           "  edge [color=\"#555555\", arrowsize=0.7, fontname=\"Helvetica\", fontsize=13, fontcolor=\"#6a3d9a\"];\n";
    for (std::size_t i = 0; i < tape.size(); ++i) {
        const Node& n = tape.node(i);
        std::string label = "#" + std::to_string(i) + " ";
        const std::string name = printable(tape.name(i));
        label += name.empty() ? op_text(n) : is_leaf(n.op) ? name : name + " = " + op_text(n);
        if (!n.shape.is_scalar()) label += " (" + n.shape.to_string() + ")";
        const char* style = n.op == Op::variable
                                ? ", style=\"rounded,filled,bold\", fillcolor=\"#c7e9c0\", color=\"#2e7d32\", "
                                  "penwidth=2, fontname=\"Helvetica-Bold\""
                            : n.op == Op::constant ? ", style=\"rounded,dashed\", color=\"#888888\""
                                                   : ", style=\"rounded,filled\", fillcolor=\"#ffffff\"";
        out << "  n" << i << " [id=\"n" << i << "\", class=\"" << page_class(n) << "\", label=\"" << dot_escape(label)
            << "\"" << style << "];\n";
    }
    for (std::size_t i = 0; i < tape.size(); ++i) {
        const auto parents = tape.parents(i);
        const std::vector<Eigen::MatrixXd> local = parents.empty() ? std::vector<Eigen::MatrixXd>{}
                                                                   : local_derivatives(tape, i);
        for (std::size_t q = 0; q < parents.size(); ++q)
            out << "  n" << parents[q] << " -> n" << i << " [id=\"e" << parents[q] << "_" << i << "_" << q
                << "\", class=\"from" << parents[q] << " to" << i << "\", label=\" "
                << dot_escape(edge_label(tape, i, static_cast<int>(q), local[q], options)) << " \"];\n";
    }
    out << "}\n";
}

}  // namespace tapegrad
