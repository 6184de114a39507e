// tapegrad/autodiff/replay.cpp — record once, replay many: the Tape functions that give
// leaves new values and recompute the recorded graph without appending a node.
//
// A training step whose graph does not depend on the values (no `if` on a value while
// recording) records the same nodes every time; replaying skips the recording (the
// bookkeeping of appending, checking shapes, drawing Vars) and only recomputes the
// values, then sweeps as usual. RecordedLoss (replay.hpp) packages the pattern.
#include "tapegrad/autodiff/replay.hpp"

namespace tapegrad {

void Tape::set_value(Var leaf, double value) { set_value(leaf, Eigen::Map<const Eigen::MatrixXd>(&value, 1, 1)); }

void Tape::set_value(Var leaf, const Eigen::Ref<const Eigen::MatrixXd>& value) {
    check(leaf, "set_value");
    const Node& n = nodes_[index_of(leaf)];
    const Shape given = Shape::of(value.rows(), value.cols(), "set_value");
    if (!is_leaf(n.op) || n.shape != given) [[unlikely]]
        refuse_set_value(leaf, given);
    Eigen::Map<Eigen::MatrixXd>(values_.data() + n.offset, given.rows, given.cols) = value;  // a leaf's own slot
    leaves_changed_ = true;
}

void Tape::refuse_set_value(Var leaf, Shape given) const {
    const Node& n = nodes_[index_of(leaf)];
    if (!is_leaf(n.op))
        throw TapeError("set_value: node " + std::to_string(index_of(leaf)) + " is " + std::string(op_name(n.op)) +
                        ", not a leaf (only variables and constants take new values; the rest are computed)");
    throw TapeError("set_value: node " + std::to_string(index_of(leaf)) + " is " + n.shape.to_string() +
                    " but the new value is " + given.to_string() + " (a replay keeps every shape)");
}

// Node by node as record() computed them: the fast path's kernel, else the generic path.
void Tape::replay() {
    const fast_path::Arenas fast = arenas();
    // From the first operation: the leaves before it are given (after a rewind() to the
    // leaves, there is nothing else).
    for (std::size_t k = first_operation_; k < nodes_.size(); ++k) {
        const Node& n = nodes_[k];
        if (is_leaf(n.op) || n.op == Op::identity) continue;  // given, or a view (see record)
        if (!fast_path_ || !fast_path::forward(fast, n, n.op)) evaluate_generically(static_cast<std::uint32_t>(k));
    }
    swept_size_ = 0;  // the adjoints of the last sweep belong to the old values
    leaves_changed_ = false;
}

void Tape::replay(std::span<const double> variables) {
    check_variable_elements(variables.size(), "replay");
    const double* from = variables.data();
    if (const auto block = variables_block()) {  // one copy (Tape::variables records them so)
        fast_path::copy(from, variables.size(), values_.data() + *block);
        return replay();
    }
    for (std::uint32_t k : variables_) {  // each variable's slot, in recording order
        const Node& n = nodes_[k];
        fast_path::copy(from, n.shape.size(), values_.data() + n.offset);
        from += n.shape.size();
    }
    replay();
}

}  // namespace tapegrad
