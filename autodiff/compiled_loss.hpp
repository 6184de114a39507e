/// \file
/// The front door for speed: a loss traced once on a core tape, compiled, then evaluated.
///
///     CompiledLoss loss([&](Tape& tape, std::span<const double> p) {
///         return record_my_loss(tape, p);     // the variables recorded from p, in order
///     });
///     for (...) double l = loss.gradient(parameters, gradient);
///
/// The first gradient() records the loss on a tape of the core (tracing), compiles that
/// tape into an OptimizedTape (optimized_tape.hpp: dead nodes dropped, weighted sums and
/// the mse fused, a flat plan of kernels), and from then on every call runs only the plan
/// at the new numbers: loss and d loss / d variables, with no allocation and no recording.
///
/// The record function receives the numbers of the call that traces, and must record the
/// variables from them in the order and layout of those numbers (as Tape::replay takes
/// them). It must record the same graph whatever the numbers are: no `if` on a value while
/// recording. When the graph would change (a branch taken the other way, a batch of another
/// size), say so with retrace(): the next call records and compiles again.
/// New data of the same shape need no new trace: set_value() gives a leaf of the trace
/// (a constant the record function kept a Var of) new numbers in the plan.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <utility>

#include <Eigen/Core>

#include "tapegrad/autodiff/optimized_tape.hpp"
#include "tapegrad/autodiff/tape.hpp"

namespace tapegrad {

class CompiledLoss {
public:
    /// Records the loss at the variables given (a 1 x 1 Var of the tape it is handed).
    using Record = std::function<Var(Tape&, std::span<const double>)>;
    explicit CompiledLoss(Record record) : record_(std::move(record)) {}

    /// The loss at `variables`, and d loss / d variables into `out` (the same layout).
    /// Traces and compiles first when there is no plan yet (the first call, or after retrace()).
    double gradient(std::span<const double> variables, std::span<double> out) {
        if (!plan_) trace(variables);
        return plan_->gradient(variables, out);
    }
    /// The graph changed: the next gradient() records and compiles again.
    void retrace() { plan_.reset(); }
    /// Record and compile now, at `variables` (what the first gradient() does).
    void trace(std::span<const double> variables) {
        plan_.reset();
        tape_.clear();
        const Var loss = record_(tape_, variables);
        plan_.emplace(tape_, loss);
    }
    /// New numbers for a leaf recorded by the trace (the next batch of data), of its shape.
    void set_value(Var leaf, const Eigen::Ref<const Eigen::MatrixXd>& value) { plan().set_value(leaf, value); }

    bool traced() const { return plan_.has_value(); }
    /// The tape of the last trace, as recorded (print it, draw it, check it).
    const Tape& tape() const { return tape_; }
    /// The plan compiled from it; TapeError before the first trace.
    OptimizedTape& plan() {
        if (!plan_) throw TapeError("CompiledLoss: nothing traced yet (call gradient() or trace() first)");
        return *plan_;
    }
    const OptimizedTape& plan() const { return const_cast<CompiledLoss&>(*this).plan(); }

private:
    Record record_;
    Tape tape_;
    std::optional<OptimizedTape> plan_;
};

}  // namespace tapegrad
