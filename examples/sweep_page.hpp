// examples/sweep_page.hpp — the reverse sweep of a recorded tape, step by step, as one web page.
//
// trace_sweep() runs the sweep of a tape one node at a time (Tape::begin_sweep and
// Tape::sweep_node) and writes down, for every node from the loss back to the first, what
// each of its parents received: the contribution adjoint × ∂node/∂parent, the words that say
// how it was formed (from the node's kind of op: what_a_parent_receives), and the parent's
// running sum after it. The numbers are the tape's own, formatted as print_tape formats them.
//
// write_sweep_page() turns a tape and its trace into one self-contained HTML file: the
// graph as inline SVG, a table of the nodes, and buttons (and the keys → ← Home End) that
// step forward through the recording, node by node, then backward through the sweep. The
// address fragment #step=N (or #step=end) opens the page at a step. No network, no other
// files: the page works from a disk or an e-mail attachment. `tape_graph --html` writes one.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <string>
#include <vector>

#include "tapegrad/autodiff/inspect.hpp"
#include "tapegrad/autodiff/tape.hpp"

namespace tapegrad::pages {

// What one parent received from one node during the sweep.
struct Share {
    std::size_t parent = 0;
    std::string contribution;  // adjoint × ∂node/∂parent, in the parent's shape
    std::string running_sum;   // the parent's adjoint right after this node's step
    std::string how;           // how the contribution was formed: what_a_parent_receives()
};

// One step of the sweep: node `node` passes its adjoint back to its parents.
struct SweepStep {
    std::size_t node = 0;
    std::string adjoint;  // the node's adjoint when its turn came (final: every user came before)
    std::vector<Share> shares;
};

struct SweepTrace {
    std::size_t loss = 0;
    std::vector<SweepStep> steps;  // from the loss back to node 0, leaves left out
};

// What a parent of shape `parent` receives from a node of `op` and shape `node`, in the
// words the page shows beside the contribution, chosen by the op's kind: element by
// element (elementwise, or broadcasting at the node's shape); "summed over the elements it
// was broadcast to" for a broadcasting op's smaller parent; for a reduction, each element
// the adjoint of the element it went into times its local derivative; for a matrix op, a
// sum over the elements of the result it enters. Empty for a leaf (it has no parents) and
// for a number that an elementwise or broadcasting number receives (nothing more to say).
std::string what_a_parent_receives(Op op, Shape node, Shape parent);

// Sweep `tape` from `loss` one node at a time and record every share. Leaves the tape as
// gradient(loss) would. Throws TapeError for an empty tape or a loss that is not 1 x 1.
SweepTrace trace_sweep(Tape& tape, Var loss, const PrintOptions& options = {});

// The page. `svg` is the graph drawn by Graphviz from sweep_page_dot() (empty: no drawing,
// the table alone); `title` heads the page. Node names and the title are shown with their
// control characters and bytes that are not UTF-8 as \xNN (cli::printable), and the data
// in the page's script has < > & U+2028 U+2029 escaped: no name can end or break the script.
void write_sweep_page(std::ostream& out, const Tape& tape, const SweepTrace& trace, const std::string& svg,
                      const std::string& title, const PrintOptions& options = {});

// The tape as DOT for the page: each node labelled with its index, name, operation and
// shape only (the page fills in values and adjoints as it steps), with ids the page's
// script finds (node i is "n<i>", the edge from p to i is "e<p>_<i>"). Names are shown as
// on the page, quotes and backslashes escaped: no name can end a label.
void sweep_page_dot(std::ostream& out, const Tape& tape);

}  // namespace tapegrad::pages
