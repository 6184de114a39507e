/// \file
/// The reverse sweep of a tape, step by step, as one web page: what a program writes to watch
/// the chain rule run on its own tape.
///
///     tapegrad::Tape tape;
///     ... record, ending in a 1 x 1 loss ...
///     std::ofstream page("sweep.html");
///     tapegrad::write_sweep_page(page, tape, loss, "My tape");  // sweeps the tape itself
///
/// The page steps forward through the recording, node by node, then back through the sweep,
/// where each node hands each parent its share in three numbers: the node's adjoint, the local
/// derivative ∂node/∂parent and their product, `-13.4059 x -1 = 13.4059`, and the parent's
/// running sum after it. The last step reads the gradient off: the variables' adjoints. The
/// local derivatives come from the op list's own formulas (operations.hpp, ops::term); the
/// adjoints and shares are the tape's own (Tape::sweep_node). One self-contained file: no
/// network, no other files. The graph is drawn only when the caller gives a `draw` function
/// (DOT in, SVG out, e.g. Graphviz's `dot -Tsvg`); without one the page has the table of nodes
/// and the same steps. `tape_graph --html` draws with Graphviz.
#pragma once

#include <cstddef>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "tapegrad/autodiff/inspect.hpp"
#include "tapegrad/autodiff/tape.hpp"

namespace tapegrad {

/// How a parent's share is formed from the node's adjoint G and the local derivative L.
enum class ShareRule {
    times,          ///< one number from one number: G x L
    elementwise,    ///< G ⊙ L element by element, L in the node's shape
    broadcast_sum,  ///< G ⊙ L, then summed over the elements the parent was broadcast to
    one_number,     ///< a node of one number (sum, mean, mse): G x L, L in the parent's shape
    formula,        ///< a matrix op or a reduction to several numbers: the op's rule (matmul: G Bᵀ)
};

/// What one parent received from one node during the sweep. A parent used twice (x * x)
/// receives both terms in one share, its L their sum.
struct Share {
    std::size_t parent = 0;
    ShareRule rule = ShareRule::times;
    Eigen::MatrixXd local;     ///< L from ops::term; empty for ShareRule::formula
    Eigen::MatrixXd received;  ///< what the parent's adjoint grew by (the tape's own)
    Eigen::MatrixXd sum;       ///< the parent's adjoint right after this step
    std::string how;           ///< the rule in words, as the page shows it
};

/// One step of the sweep: node `node` passes its adjoint back to its parents.
struct SweepStep {
    std::size_t node = 0;
    Eigen::MatrixXd adjoint;  ///< final when its turn comes: every node that uses it came before
    std::vector<Share> shares;
};

struct SweepTrace {
    std::size_t loss = 0;
    std::vector<SweepStep> steps;  ///< from the loss back to node 0, leaves left out
};

/// ∂node/∂parent for each of node k's parents, in parent order, from the op's formulas at the
/// values on the tape: for an elementwise or broadcasting op in the node's shape (element ij
/// is ∂Y_ij/∂P at the element Y_ij reads); for a node of one number in the parent's shape
/// (∂y/∂P_ij); empty for the others (their rule is a formula: share_rule_text says which).
std::vector<Eigen::MatrixXd> local_derivatives(const Tape& tape, std::size_t k);

/// The rule of the share of parent number `parent` (0, 1, 2) of a node of `op`, for the
/// shapes given; and the rule in words (for a formula, the formula: "G Bᵀ" for matmul's A).
ShareRule share_rule(Op op, Shape node, Shape parent);
std::string share_rule_text(Op op, int parent, Shape node, Shape parent_shape);
/// What a node is on the page, for its colour: "variable", "constant" or "operation".
const char* page_class(const Node& n);

/// Sweep `tape` from `loss` one node at a time and record every share. Leaves the tape as
/// gradient(loss) would. Throws TapeError for an empty tape or a loss that is not 1 x 1.
SweepTrace trace_sweep(Tape& tape, Var loss);

/// The tape as DOT for the page: each node labelled with its index, name, operation and shape
/// (the page fills in values and adjoints as it steps), each edge with its local derivative
/// (the page shows it once the forward pass computed it). Ids and classes the page's script
/// finds: node i is "n<i>", an edge from p to i has class "to<i>" and "from<p>". Names are
/// shown as on the page, quotes and backslashes escaped: no name can end a label.
void sweep_page_dot(std::ostream& out, const Tape& tape, const PrintOptions& options = {.precision = 4});

struct SweepPageOptions {
    PrintOptions print{};  ///< digits of the numbers on the page
    /// Draws the graph: DOT (from sweep_page_dot) in, SVG out. Empty: no drawing, the table
    /// of nodes alone. tapegrad runs no program itself; tape_graph passes Graphviz's dot.
    std::function<std::string(const std::string& dot)> draw;
};

/// The page, in one call: sweeps the tape from `loss` (as gradient(loss) does, leaving the
/// adjoints on the tape) and writes the self-contained HTML file. Node names and the title
/// are shown with control characters and bytes that are not UTF-8 as \\xNN (printable), and
/// the data in the page's script has < > & U+2028 U+2029 escaped: no name can end or break it.
void write_sweep_page(std::ostream& out, Tape& tape, Var loss,
                      const std::string& title = "The reverse sweep, step by step",
                      const SweepPageOptions& options = {});

/// The same from a trace already taken (the tape swept as trace_sweep leaves it), with the
/// drawing given as SVG text (empty: none).
void write_sweep_page(std::ostream& out, const Tape& tape, const SweepTrace& trace, const std::string& svg,
                      const std::string& title, const PrintOptions& options = {});

}  // namespace tapegrad
