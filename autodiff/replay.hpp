/// \file
/// Record once, replay many: a loss whose graph does not depend on the values is
/// recorded on its tape the first time, and later gradients only replay it.
///
///     RecordedLoss loss(Reuse::replay);
///     for (...) {
///         const double l = loss.gradient(parameters, gradient, [&](Tape& tape) {
///             return record_my_loss(tape, parameters);   // variables in `parameters`' order
///         });
///     }
///
/// The record function must record the variables in the order and layout of the numbers
/// passed (Tape::replay(span)), and must record the same graph whatever their values (no
/// `if` on a value). With Reuse::record_each_time it is called for every gradient, on a
/// cleared tape: the plain way, and the one to use when the graph branches on values.
/// Given as two functions, one for the leaves (the variables and the data) and one for the
/// rest, the leaves are recorded once and kept: each gradient rewinds the tape to them
/// (Tape::rewind), gives the variables their values and records only the rest again. A
/// leaf is not work to redo: recording the parameters and the data again every step was
/// a fifth of the health network's recorded gradient (appendix B).
/// Reuse::optimized records once and compiles the tape into an OptimizedTape
/// (optimized_tape.hpp): fused steps, no per-node dispatch, the fastest of the three.
/// The tape does not compute the adjoints of constants (only the variables' are read).
/// Recorded each time, it fuses expressions (Tape::set_fuse_expressions): recording is then
/// most of a gradient's cost, and a weighted sum is one node to record instead of six, the
/// mean squared error one instead of three.
#pragma once

#include <optional>
#include <span>

#include "tapegrad/autodiff/optimized_tape.hpp"
#include "tapegrad/autodiff/tape.hpp"

namespace tapegrad {

/// Whether a RecordedLoss records its graph for every gradient, records it once and replays
/// it, or records it once and runs the optimized plan compiled from it.
enum class Reuse { record_each_time, replay, optimized };

/// A loss on a tape of its own, recorded by a function of the tape, then recorded again
/// or replayed (Reuse) for every gradient. See the file's description.
class RecordedLoss {
public:
    explicit RecordedLoss(Reuse reuse = Reuse::record_each_time) : reuse_(reuse) {
        tape_.set_constant_adjoints(false);
        tape_.set_fuse_expressions(reuse == Reuse::record_each_time);
    }

    /// The loss at `variables`, and d loss / d variables into `out` (the same layout).
    /// `record(Tape&)` records the loss at `variables` and returns it (a 1 x 1 Var).
    template <class Record>
    double gradient(std::span<const double> variables, std::span<double> out, Record&& record) {
        if (reuse_ == Reuse::optimized) {
            if (!plan_) {
                tape_.clear();
                loss_ = record(tape_);
                plan_.emplace(tape_, loss_);
            }
            return plan_->gradient(variables, out);
        }
        if (reuse_ == Reuse::replay && !loss_.empty()) {
            tape_.replay(variables);
        } else {
            tape_.clear();
            leaves_.reset();  // a mark of the leaves (below) is gone with them
            loss_ = record(tape_);
        }
        tape_.gradient(loss_, out);
        return loss_.scalar_value();
    }
    /// The same with the leaves recorded apart: `record_leaves(Tape&)` records the
    /// variables (at `variables`, in their order) and the data, and `record(Tape&)` the rest
    /// from them, returning the loss. Recorded every step, the tape keeps the leaves of its
    /// first recording and records only the rest again: each step rewinds to the leaves
    /// (Tape::rewind) and gives the variables their new values (Tape::replay(variables)).
    template <class RecordLeaves, class Record>
    double gradient(std::span<const double> variables, std::span<double> out, RecordLeaves&& record_leaves,
                    Record&& record) {
        if (reuse_ == Reuse::record_each_time && leaves_) {
            tape_.rewind(*leaves_);
            tape_.replay(variables);
            loss_ = record(tape_);
            tape_.gradient(loss_, out);
            return loss_.scalar_value();
        }
        return gradient(variables, out, [&](Tape& tape) {
            record_leaves(tape);
            if (reuse_ == Reuse::record_each_time) leaves_ = tape.mark();
            return record(tape);
        });
    }
    /// The tape as recorded (replayed or optimized: its first recording).
    const Tape& tape() const { return tape_; }
    /// The compiled plan (Reuse::optimized, after the first gradient), else null.
    const OptimizedTape* plan() const { return plan_ ? &*plan_ : nullptr; }

private:
    Reuse reuse_;
    Tape tape_;
    Var loss_;
    std::optional<Tape::Mark> leaves_;  // record_each_time with the leaves apart: where they end
    std::optional<OptimizedTape> plan_;
};

}  // namespace tapegrad
