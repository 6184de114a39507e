/// \file
/// Look at a tape: as a table, and as a Graphviz drawing.
///
/// `print_tape` writes the Wengert list — one row per node in recording order: index,
/// operation, name, parents, shape, value and adjoint (adjoints appear after a sweep).
/// Read top to bottom it is the forward pass; bottom to top, the reverse sweep.
///
///     index  op        name  parents  shape  value  adjoint
///         0  variable  a     -        1x1    2      4
///         1  variable  b     -        1x1    3      2
///         2  multiply        0, 1     1x1    6      1
///
/// `write_dot` writes the same nodes as a Graphviz DOT graph (render with `dot -Tsvg`):
/// an arrow from each parent to its child, variables filled, constants in grey.
/// `print_plan` and `write_plan_dot` do the same for an OptimizedTape's plan, step by step.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <string>
#include <string_view>

#include "tapegrad/autodiff/optimized_tape.hpp"
#include "tapegrad/autodiff/tape.hpp"

namespace tapegrad {

struct PrintOptions {
    int precision = 6;             ///< significant digits of each number
    std::size_t max_elements = 6;  ///< elements shown of a larger value before "..."
};

void print_tape(std::ostream& out, const Tape& tape, const PrintOptions& options = {});
void write_dot(std::ostream& out, const Tape& tape, const PrintOptions& options = {});

/// A node's value or adjoint as text: "2.5" for 1 x 1, "[1, 2, 3]" for a column,
/// "[1, 2; 3, 4]" for a matrix (rows separated by ';'), cut after max_elements.
/// The plan as a table: one line per step, with the tape nodes each stands for, and a line
/// of counts (nodes before, steps after, nodes dropped).
void print_plan(std::ostream& out, const Tape& tape, const OptimizedTape& plan);
/// The tape as a Graphviz DOT graph with each step of the plan drawn as a box around the
/// nodes it stands for (render with `dot -Tsvg`); nodes the plan dropped are dotted.
/// `tape` must be the tape the plan was compiled from, unchanged since.
void write_plan_dot(std::ostream& out, const Tape& tape, const OptimizedTape& plan);

std::string format_matrix(const Eigen::Ref<const Eigen::MatrixXd>& m, const PrintOptions& options = {});

/// A node's operation as the tables and drawings name it: "multiply", or "pow 3" for power_scalar.
std::string op_text(const Node& n);
/// `text` inside a DOT string: quotes and backslashes escaped, so that no name can end a label.
std::string dot_escape(std::string_view text);

/// `text` as it may be shown on a terminal, in a picture or on a page: control characters and
/// bytes that are not valid UTF-8 become \\xNN, so that no name can end a line of a script,
/// drive a terminal or break a document's encoding ("a\\nb" -> "a\\x0ab").
std::string printable(std::string_view text);

}  // namespace tapegrad
