/// \file
/// The tape: record a computation, then sweep back over it.
///
/// Reverse-mode automatic differentiation in two moves:
///   record  every operation appends one node, in the order it runs. A node is its
///           operation, its shape, up to two parents and an offset; its value is
///           computed right away into a flat arena of doubles.
///   sweep   `gradient(loss)` zeroes every adjoint, sets d loss/d loss = 1, then walks
///           the nodes once from the loss back to the first, adding each node's adjoint
///           times the local derivative into its parents' adjoints (operations.hpp).
/// Because a node is always recorded after its parents, one backwards loop visits every
/// node after all the nodes that use it: no recursion, no topological sort, so a tape
/// of a million nodes sweeps like one of ten.
///
/// Node metadata lives in one flat array, values and adjoints in two arenas of doubles
/// indexed by the same offsets (an Eigen::Map gives kernels a matrix view). `clear()`
/// rewinds the counters and keeps the memory: recording the same graph again allocates
/// nothing. It also bumps a generation counter, so a Var from before is refused.
/// (One exception to "each node its own place": identity(x) is a view of x, sharing its
/// value and adjoint, since dy/dx = 1 makes them interchangeable; see docs/08-performance.md.)
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <Eigen/Core>

#include "autodiff/operations.hpp"
#include "autodiff/shape.hpp"
#include "autodiff/var.hpp"

namespace tapegrad {

/// Every misuse of a tape or a Var: the message says which operation and what was wrong.
class TapeError : public std::logic_error {
public:
    using std::logic_error::logic_error;
};

/// One recorded operation: 40 bytes, no pointers, so the array can grow and move freely.
struct Node {
    static constexpr std::uint32_t no_parent = 0xffffffffu;

    std::size_t offset = 0;  ///< where value and adjoint start in the arenas
    double constant = 0.0;   ///< the exponent of power_scalar; unused by others
    Shape shape;
    std::uint32_t parent_a = no_parent;
    std::uint32_t parent_b = no_parent;
    Op op = Op::constant;

    int parent_count() const { return (parent_a != no_parent) + (parent_b != no_parent); }
};

/// A computation recorded as a flat, append-only list of nodes, and swept back once by
/// gradient(). Record with variable() and constant() and arithmetic on the Vars they
/// return; clear() rewinds for the next iteration and keeps the memory. See the file's
/// description for the layout, and chapter 4 of the tutorial for a worked example.
class Tape {
public:
    Tape() = default;
    /// Vars point at their tape, so a tape stays where it was made.
    Tape(const Tape&) = delete;
    Tape& operator=(const Tape&) = delete;

    // ---- Leaves -----------------------------------------------------------------------
    /// A variable is something to differentiate with respect to (a parameter); a constant
    /// is data. Both are recorded the same way; the difference is how they are shown.
    Var variable(double value);
    Var variable(const Eigen::Ref<const Eigen::MatrixXd>& value);
    Var constant(double value);
    Var constant(const Eigen::Ref<const Eigen::MatrixXd>& value);

    // ---- Recording operations (the operators in var.hpp call these) -------------------
    Var record(Op op, Var x);                   ///< one parent
    Var record(Op op, Var x, double constant);  ///< one parent and a number (power_scalar)
    Var record(Op op, Var a, Var b);            ///< two parents

    // ---- The reverse sweep ------------------------------------------------------------
    /// Zero all adjoints, seed d loss/d loss = 1, sweep from `loss` back to node 0.
    /// `loss` must be 1 x 1. Calling it twice gives the same adjoints, not double.
    void gradient(Var loss);
    /// The same, then the adjoints of `wrt` (each 1 x 1) in order.
    std::vector<double> gradient(Var loss, std::initializer_list<Var> wrt);

    /// Forget every node and keep the memory. Vars recorded before become stale.
    void clear();

    // ---- Reading the tape ---------------------------------------------------------------
    std::size_t size() const { return nodes_.size(); }
    const Node& node(std::size_t index) const { return nodes_.at(index); }
    Eigen::Map<const Eigen::MatrixXd> value(std::size_t index) const;
    Eigen::Map<const Eigen::MatrixXd> adjoint(std::size_t index) const;
    /// True when node `index` existed at the last gradient() (its adjoint is meaningful).
    bool has_adjoint(std::size_t index) const {
        return index < swept_size_ && (constant_adjoints_ || nodes_[index].op != Op::constant);
    }
    /// Whether gradient() computes the adjoints of constants (d loss / d data). On by
    /// default, so a tape can be printed whole; a training loop that never reads them
    /// switches it off to save work (a matrix product skips half its backward pass when
    /// one side is data). Off, reading a constant's adjoint is an error. Kept by clear().
    void set_constant_adjoints(bool on) { constant_adjoints_ = on; }
    bool constant_adjoints() const { return constant_adjoints_; }

    /// Doubles in use in each arena, and bytes held by the tape (capacity, not use).
    std::size_t arena_size() const { return used_; }
    std::size_t memory_bytes() const;
    std::uint32_t generation() const { return generation_; }

    /// Optional names for nodes, shown by print_tape and write_dot ("w1", "age").
    void set_name(Var v, std::string name);
    std::string_view name(std::size_t index) const;

    /// Throws TapeError unless `v` is a live Var of this tape; `where` names the caller.
    void check(Var v, std::string_view where) const {
        if (!live(v)) [[unlikely]]
            refuse(v, where);
    }
    /// True when `v` was recorded on this tape since its last clear().
    bool live(Var v) const { return v.tape_ == this && v.generation_ == generation_ && v.index_ < nodes_.size(); }

private:
    friend class Var;  ///< its accessors read the arenas directly
    [[noreturn]] void refuse(Var v, std::string_view where) const;
    Var leaf(Op op, Shape shape, const double* data);
    Var leaf(Op op, const Eigen::Ref<const Eigen::MatrixXd>& value);
    std::uint32_t append(Op op, Shape shape, std::uint32_t a, std::uint32_t b, double constant);
    [[gnu::noinline, gnu::cold]] void grow(std::size_t doubles);
    Var handle(std::uint32_t index) { return Var(this, index, generation_); }

    std::vector<Node> nodes_;
    std::vector<double> values_;     ///< the value arena: node i at values_[nodes_[i].offset]
    std::vector<double> adjoints_;   ///< the adjoint arena, same offsets
    std::size_t used_ = 0;           ///< doubles in use in each arena
    bool constant_adjoints_ = true;  ///< see set_constant_adjoints()
    std::size_t swept_size_ = 0;     ///< nodes covered by the last gradient()
    std::uint32_t generation_ = 0;   ///< bumped by clear()
    std::vector<std::pair<std::uint32_t, std::string>> names_;
};

}  // namespace tapegrad
