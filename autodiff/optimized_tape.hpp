/// \file
/// A tape is a program: compile a recorded tape into a flat plan and run that instead.
///
/// Recording is tracing. When the graph does not depend on the values (no `if` on a value
/// while recording), the tape of one step is the program of every step, and a program can
/// be optimized the way a compiler does. OptimizedTape is that pass, run once:
///   - dead nodes (nothing the loss needs) are dropped, and so are the backward steps of
///     nodes no variable reaches (data computed from data) and the adjoints of constants;
///   - identity nodes become what they are, another name for their parent;
///   - chains of `add` over products `scalar * column` (the tutorial's
///     `w1 * x1 + w2 * x2 + w3 * x3 + b1`: six nodes) become one weighted-sum step, with an
///     elementwise activation on top (sigmoid, relu, ...) folded into the same step;
///   - mean(square(a - b)) becomes one mean-squared-error step;
///   - every remaining node becomes a call of its op's kernel (kernels.hpp), with its
///     numbers at fixed places in the plan's own arenas; where the kernel declines (or the
///     op has none: a step of its own, shown as "op (generic)"), the call runs the core's
///     generic evaluate() and sweep() for the node instead (tape.hpp), on those arenas.
/// gradient() then runs the plan forwards and its active half backwards: one loop each, one
/// call per step, no allocation, no per-node decisions. The gradients are those of the tape
/// up to the order of additions (tests/test_optimized_tape.cpp: 1e-12 relative, every op and the
/// health network in every activation).
///
///     tape.clear();  Var loss = record(tape);           // once
///     OptimizedTape plan(tape, loss);
///     for (...) double l = plan.gradient(parameters, gradient);
///
/// The plan keeps copies of the constants (the data) as recorded; set_value gives one new
/// numbers. Only the loss and the gradient are read out: the values of intermediate nodes
/// are the tape's business (fused nodes have no value in the plan at all). print_plan and
/// write_plan_dot (inspect.hpp) show the plan against its tape.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <Eigen/Core>

#include "tapegrad/autodiff/tape.hpp"

namespace tapegrad {

class OptimizedTape {
public:
    /// Compile `tape` as recorded, for d loss / d (every variable of the tape).
    /// `loss` must be a live 1 x 1 Var of `tape`. The tape is only read.
    OptimizedTape(const Tape& tape, Var loss);
    ~OptimizedTape();
    /// A plan moves (its program goes with it); every member of the plan moved from then
    /// throws TapeError, as a stale Var does.
    OptimizedTape(OptimizedTape&&) noexcept;
    OptimizedTape& operator=(OptimizedTape&&) noexcept;

    /// The loss at `variables` (every variable, in recording order, column by column, as
    /// Tape::replay(span) takes them) and d loss / d variables into `out`, same layout.
    double gradient(std::span<const double> variables, std::span<double> out);
    /// New numbers for a leaf recorded on the tape (typically a constant: the next batch of
    /// data), of the same shape. Variables are set by gradient().
    void set_value(Var leaf, const Eigen::Ref<const Eigen::MatrixXd>& value);

    /// How many numbers the variables hold together (the size of `variables` and `out`).
    std::size_t variable_elements() const;

    /// One step of the plan, for printing: what it computes and which tape nodes it covers.
    struct Step {
        std::string what;                  ///< "weighted sum of 3 products + bias", "linear", ...
        std::uint32_t node;                ///< the tape node whose value it produces
        std::vector<std::uint32_t> fused;  ///< every tape node it stands for, ascending
        bool backward;                     ///< whether it has a backward half (a variable reaches it)
    };
    const std::vector<Step>& steps() const;
    /// Nodes of the tape when compiled, and how many of them the loss does not need.
    std::size_t tape_nodes() const;
    std::size_t dead_nodes() const;

private:
    struct Program;
    /// The compiled program; TapeError naming `where` when this plan was moved from.
    Program& program(std::string_view where) const;
    std::unique_ptr<Program> program_;  ///< null only in a plan moved from
};

}  // namespace tapegrad
