/// \file
/// The tape: record a computation, then sweep back over it.
///
/// Reverse-mode automatic differentiation in two moves:
///   record  every operation appends one node, in the order it runs. A node is its
///           operation, its shape, up to three parents (a weighted sum: a list of up to
///           nine) and an offset; its value is computed right away into a flat arena of
///           doubles.
///   sweep   `gradient(loss)` zeroes every adjoint, sets d loss/d loss = 1, then walks
///           the nodes once from the loss back to the first operation (a leaf has no
///           parents), adding each node's adjoint times the local derivative into its
///           parents' adjoints (operations.hpp).
/// Because a node is always recorded after its parents, one backwards loop visits every
/// node after all the nodes that use it: no recursion, no topological sort, so a tape
/// of a million nodes sweeps like one of ten.
///
/// Node metadata lives in one flat array, values and adjoints in two arenas of doubles
/// indexed by the same offsets. `clear()` rewinds the counters and keeps the memory:
/// recording the same graph again allocates nothing; `rewind(mark)` does the same for what
/// was recorded after a mark, and keeps what came before (the leaves of a training loop).
/// Growing the arenas is all-or-nothing.
/// Each node is computed by the fast path (fast_path.hpp) when it has a kernel for it,
/// else by the generic path in tape.cpp, which is the reference the tests hold it to. That
/// generic path is two free functions, evaluate_generically and sweep_generically (below
/// Node), on any storage laid out like a tape's: OptimizedTape's plan calls the
/// same two where a kernel declines, so there is one generic implementation.
/// (One exception to "each node its own place": identity(x) is a view of x; see record().)
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <Eigen/Core>

#include "tapegrad/autodiff/fast_path.hpp"
#include "tapegrad/autodiff/operations.hpp"
#include "tapegrad/autodiff/shape.hpp"
#include "tapegrad/autodiff/var.hpp"

namespace tapegrad {

/// A matrix or vector that holds its own numbers: recorded without a view (Tape::constant).
template <class M>
concept OwnedMatrix = std::is_same_v<M, Eigen::MatrixXd> || std::is_same_v<M, Eigen::VectorXd>;

/// One recorded operation: 40 bytes, no pointers, so the array can grow and move freely.
/// A weighted sum has more parents than fit: its list is kept by the tape, and `parents`
/// holds where it starts and how long it is (Tape::parents reads every node's list).
struct Node {
    static constexpr std::uint32_t no_parent = 0xffffffffu;

    std::size_t offset = 0;  ///< where value and adjoint start in the arenas
    double constant = 0.0;   ///< the exponent of power_scalar; unused by others
    Shape shape;
    std::uint32_t parents[3] = {no_parent, no_parent, no_parent};  ///< op_parents(op) of them are used
    Op op = Op::constant;
};
static_assert(sizeof(Node) == 40);

// ---- The generic path: one node, on any tape's storage ------------------------------------
/// The core's evaluator, element by element from the op's struct (operations.hpp), for node
/// `n` of storage laid out like a tape's (fast_path::Arenas: nodes, values and adjoints at
/// the nodes' offsets, weighted sums' parent lists). What a Tape does for every node its
/// fast path leaves (or all of them, set_fast_path(false)), and what OptimizedTape's plan
/// does for a node whose kernel declines.
/// evaluate_generically: node n's value from its parents' values.
void evaluate_generically(const fast_path::Arenas& storage, const Node& n);
/// sweep_generically: node n's share of the sweep, `parent adjoint += adjoint x local
/// derivative` for every element of n and every element of a parent it depends on; an
/// element whose adjoint is 0 passes nothing on. Every parent's adjoint is written (a
/// constant's too, whatever storage.constant_adjoints says). Not for identity on a tape,
/// whose node shares its parent's place (Tape::record): the sweep skips it.
void sweep_generically(const fast_path::Arenas& storage, const Node& n);
/// Node n's parents in `storage`, in order (a weighted sum's from its list).
inline std::span<const std::uint32_t> parents_of(const fast_path::Arenas& storage, const Node& n) {
    if (n.op == Op::weighted_sum) return {storage.operands + n.parents[0], n.parents[1]};
    return {n.parents, static_cast<std::size_t>(op_parents(n.op))};
}

/// How a tape stamps its nodes (var.hpp): node i has stamp `kept_base + i` when it is one
/// of the first `kept` nodes, the ones the last rewind() kept, and `base + i` otherwise.
/// clear() and rewind() move `base` past every stamp given out before, so a Var of a node
/// they dropped is never live again, while the kept nodes' Vars stay live.
struct Stamps {
    std::uint64_t kept_base = 0;
    std::uint64_t base = 0;
    std::size_t kept = 0;

    /// The index of the node with `stamp` among the first `size`, or `size` when it is none
    /// of them (a stamp from before a clear(), or of a node a rewind dropped). The kept
    /// nodes first: in a training loop, most parents are leaves.
    std::size_t find(std::uint64_t stamp, std::size_t size) const {
        const std::uint64_t kept_index = stamp - kept_base;
        if (kept_index < kept) return kept_index;
        const std::uint64_t index = stamp - base;
        return index >= kept && index < size ? index : size;
    }
    bool live(std::uint64_t stamp, std::size_t size) const { return find(stamp, size) < size; }
    /// The stamp of node `index`.
    std::uint64_t of(std::size_t index) const { return (index < kept ? kept_base : base) + index; }
};

/// A computation recorded as a flat, append-only list of nodes, and swept back once by
/// gradient(). Record with variable() and constant() and arithmetic on the Vars they
/// return; clear() rewinds for the next iteration and keeps the memory. See the file's
/// description for the layout, and chapter 4 of the tutorial for a worked example.
class Tape {
public:
    Tape();
    ~Tape();
    /// Vars point at their tape, so a tape stays where it was made.
    Tape(const Tape&) = delete;
    Tape& operator=(const Tape&) = delete;

    // ---- Leaves -----------------------------------------------------------------------
    /// A variable is something to differentiate with respect to (a parameter); a constant
    /// is data. Both are recorded the same way; the difference is how they are shown.
    Var variable(double value) { return scalar_leaf(Op::variable, value); }
    Var variable(const Eigen::Ref<const Eigen::MatrixXd>& value) { return leaf(Op::variable, value); }
    Var constant(double value) { return scalar_leaf(Op::constant, value); }
    Var constant(const Eigen::Ref<const Eigen::MatrixXd>& value) { return leaf(Op::constant, value); }
    /// The same for a matrix or vector that holds its own numbers (the usual data): no view
    /// to build, and nothing to check about where the numbers live.
    template <OwnedMatrix M>
    Var variable(const M& value) {
        return owned_leaf(Op::variable, value.data(), value.rows(), value.cols());
    }
    template <OwnedMatrix M>
    Var constant(const M& value) {
        return owned_leaf(Op::constant, value.data(), value.rows(), value.cols());
    }
    /// Each number of `values` as a 1 x 1 variable, in order, into `out` (as many): what
    /// calling variable() for each does, with the bookkeeping done once for them all.
    void variables(std::span<const double> values, std::span<Var> out);

    /// Record `op` on `parents` (and a number, the exponent of power_scalar): append the
    /// node and compute its value.
    Var record(Op op, std::initializer_list<Var> parents, double constant = 0.0);
    /// The same for the op whose struct is T (`record<ops::Multiply>({a, b})`): what the
    /// operators of var.hpp call, with no switch on the op at run time.
    template <class T>
    Var record(std::initializer_list<Var> parents, double constant = 0.0);
    /// Record a1 * b1 + ... + ak * bk + c as one weighted_sum node (operations.hpp): the
    /// parents in that order, the bias c optional, one side of each product 1 x 1 (the node
    /// lists it first). try_: an empty Var, and nothing recorded, where
    /// record_weighted_sum throws (the shapes do not make a weighted sum, a Var is not live).
    Var record_weighted_sum(std::span<const Var> parents);
    Var try_record_weighted_sum(std::span<const Var> parents);

    /// Whether `w1 * x1 + w2 * x2 + w3 * x3 + b1` is recorded as one weighted_sum node, and
    /// `mean(square(p - y))` as one mse node, rather than a node per operator (off by
    /// default: a tape shows every operation). The numbers are the same either way, up to
    /// the order of the mse's additions; see expression.hpp. Kept by clear().
    void set_fuse_expressions(bool on) { fuse_expressions_ = on; }
    bool fuse_expressions() const { return fuse_expressions_; }

    // ---- Replaying: the same graph at new leaf values (replay.cpp) ------------------------
    /// Give a leaf (variable or constant) a new value of the same shape. The nodes
    /// computed from it keep their old values until replay(); gradient() refuses to sweep
    /// until then.
    void set_value(Var leaf, double value);
    void set_value(Var leaf, const Eigen::Ref<const Eigen::MatrixXd>& value);
    /// Recompute every node's value from its parents, in recording order, as recording
    /// did, but without appending anything: the next gradient() sweeps the same graph at
    /// the leaves' new values. Only right when the recorded graph does not depend on the
    /// values (no `if` on a value while recording: record again when it would branch
    /// differently). relu and abs are fine: their kinks are in the operation, not the graph.
    /// Leaves keep their values unless set: a constant recorded from another node's value
    /// (`tape.constant(h.value())`) is a copy and does not follow the replay.
    void replay();
    /// The same, after giving every variable a new value: `variables` holds them all, in
    /// the order they were recorded, each column by column (variable_elements() numbers).
    /// With gradient(loss, out) below this is the whole loop of a training step:
    ///     tape.replay(parameters);  tape.gradient(loss, gradient);
    void replay(std::span<const double> variables);
    /// How many numbers all variables hold together (a 3 x 2 variable counts 6).
    std::size_t variable_elements() const { return variable_elements_; }

    // ---- The reverse sweep ------------------------------------------------------------
    /// Zero all adjoints, seed d loss/d loss = 1, sweep from `loss` back to node 0.
    /// `loss` must be 1 x 1. Calling it twice gives the same adjoints, not double.
    void gradient(Var loss);
    /// The same, then the adjoints of `wrt` (each 1 x 1) in order.
    std::vector<double> gradient(Var loss, std::initializer_list<Var> wrt);
    /// The same, then the adjoint of every variable into `out`, in the order and layout
    /// replay(variables) takes: d loss / d variables. `out` has variable_elements() numbers.
    void gradient(Var loss, std::span<double> out);

    /// The same sweep one node at a time, for a program that shows it step by step (the
    /// sweep page of examples/tape_graph): begin_sweep(loss) zeroes every adjoint and seeds
    /// the loss's with 1; sweep_node(k) adds node k's adjoint times each local derivative into
    /// its parents' adjoints. Calling sweep_node for k = loss down to 0 is gradient(loss).
    void begin_sweep(Var loss);
    void sweep_node(std::size_t k);

    /// Forget every node and keep the memory. Vars recorded before become stale.
    void clear();

    /// Where a recording stands: rewind() to it drops everything recorded after.
    struct Mark {
        std::size_t nodes = 0, used = 0, operands = 0, variables = 0, variable_elements = 0;
        bool variables_in_one_block = true;
        std::uint64_t last_stamp = 0;  ///< the last kept node's: it must still be there
        const Tape* tape = nullptr;
    };
    Mark mark() const;
    /// Drop every node recorded after `mark` and keep the ones before it, values and Vars
    /// and all, with the memory: a loop that records the same leaves every step (the
    /// parameters, the data) records them once, then each step rewinds to them, gives
    /// them the step's values (replay(variables), or set_value) and records the rest
    /// again. The mark must be from this recording, and its nodes still there; once a
    /// tape has rewound, it rewinds only to marks within the nodes it kept (clear() to
    /// start over).
    void rewind(const Mark& mark);

    // ---- Reading the tape ---------------------------------------------------------------
    std::size_t size() const { return nodes_.size(); }
    /// Node `index`; TapeError when there is no such node.
    const Node& node(std::size_t index) const {
        if (index >= nodes_.size()) [[unlikely]]
            refuse_node(index);
        return nodes_[index];
    }
    /// The indices of node `index`'s parents, in order (none for a leaf).
    std::span<const std::uint32_t> parents(std::size_t index) const { return parents_of(node(index)); }
    std::span<const std::uint32_t> parents_of(const Node& n) const {
        if (n.op == Op::weighted_sum) return {operands_.data() + n.parents[0], n.parents[1]};
        return {n.parents, static_cast<std::size_t>(op_parents(n.op))};
    }
    Eigen::Map<const Eigen::MatrixXd> value(std::size_t index) const;
    Eigen::Map<const Eigen::MatrixXd> adjoint(std::size_t index) const;
    /// Node `index`'s value when the node exists and is 1 x 1, else null: what
    /// Var::scalar_value reads, with no view to build.
    const double* scalar_value_at(std::size_t index) const {
        if (index >= nodes_.size()) [[unlikely]]
            return nullptr;
        const Node& n = nodes_[index];
        return n.shape.is_scalar() ? values_.data() + n.offset : nullptr;
    }
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
    /// Whether nodes go through the fast path's kernels first (on by default). Off, every
    /// node takes the generic path: the reference the fast path is tested against.
    void set_fast_path(bool on) { fast_path_ = on; }

    /// Doubles in use in each arena, and bytes held by the tape (capacity, not use).
    std::size_t arena_size() const { return used_; }
    std::size_t memory_bytes() const;
    /// How many times clear() or rewind() was called.
    std::uint64_t generation() const { return generation_; }
    /// The stamp of node 0 of this recording (since clear()).
    std::uint64_t first_stamp() const { return stamps_.kept_base; }
    /// How the nodes are stamped (a copy outlives the recording: OptimizedTape keeps one).
    const Stamps& stamps() const { return stamps_; }

    /// Optional names for nodes, shown by print_tape and write_dot ("w1", "age").
    void set_name(Var v, std::string name);
    std::string_view name(std::size_t index) const;

    /// Throws TapeError unless `v` is a live Var of this tape; `where` names the caller.
    void check(Var v, std::string_view where) const {
        if (!live(v)) [[unlikely]]
            refuse(v, where);
    }
    /// True when `v` was recorded on this tape since its last clear().
    bool live(Var v) const { return v.is_on(*this) && stamps_.live(v.stamp(), nodes_.size()); }
    /// The index of a live Var's node.
    std::uint32_t index_of(Var v) const { return static_cast<std::uint32_t>(stamps_.find(v.stamp(), nodes_.size())); }

private:
    [[noreturn, gnu::cold]] void refuse(Var v, std::string_view where) const;
    [[noreturn, gnu::cold]] void refuse_node(std::size_t index) const;
    [[noreturn, gnu::cold]] static void refuse_parents(std::string_view op, int wanted, std::size_t given);
    [[noreturn, gnu::cold]] void refuse_weighted_sum(std::span<const Var> parents) const;
    [[noreturn]] void refuse_set_value(Var leaf, Shape given) const;
    void check_variable_elements(std::size_t given, std::string_view where) const;
    template <class T>
    Var record_fixed(std::initializer_list<Var> parents, double constant);  ///< record<T> of a T with fixed parents
    template <class T>
    void evaluate(std::uint32_t index);  ///< a node's value from its parents' (the forward half)
    void evaluate_generically(std::uint32_t index) { tapegrad::evaluate_generically(arenas(), nodes_[index]); }
    /// Node k's share of the sweep.
    [[gnu::always_inline]] inline void sweep(std::size_t k, const fast_path::Arenas& fast);
    fast_path::Arenas arenas() {
        return {nodes_.data(), values_.data(), adjoints_.data(), operands_.data(), constant_adjoints_};
    }
    Var leaf(Op op, Shape shape, const double* data);
    Var scalar_leaf(Op op, double value);
    Var leaf(Op op, const Eigen::Ref<const Eigen::MatrixXd>& value);
    Var owned_leaf(Op op, const double* data, Eigen::Index rows, Eigen::Index cols);
    [[gnu::always_inline]] std::uint32_t append(Op op, Shape shape, const std::uint32_t* parents, double constant);
    /// Node `index` (a variable, its numbers at `offset`) goes on the list of variables.
    [[gnu::always_inline]] void list_variable(std::uint32_t index, std::size_t offset, std::size_t size);
    /// Where the variables' numbers start in the arenas when they lie there as one block, in
    /// the order of the list (as Tape::variables records them): copied in and out at once.
    std::optional<std::size_t> variables_block() const {
        if (variables_.size() == 0 || !variables_in_one_block_) return std::nullopt;
        return nodes_[variables_[0]].offset;
    }
    [[gnu::noinline, gnu::cold]] void grow(std::size_t nodes, std::size_t doubles);
    /// A Var for node `index`, just recorded.
    Var handle(std::size_t index) { return Var(this, stamps_.base + index); }
    /// Node `index` is an operation (not a leaf): replay() starts at the first, the sweep stops there.
    void recorded_operation(std::size_t index) { first_operation_ = std::min(first_operation_, index); }

    fast_path::List<Node> nodes_;
    fast_path::List<std::uint32_t> operands_;   ///< the parent lists of weighted sums (Node says where)
    fast_path::List<std::uint32_t> variables_;  ///< the variables' node indices, in recording order
    std::size_t variable_elements_ = 0;     ///< the numbers they hold together
    bool variables_in_one_block_ = true;    ///< those numbers lie side by side in the arenas, in order
    bool leaves_changed_ = false;           ///< set_value since the last replay()
    fast_path::Arena values_;               ///< the value arena: node i at values_[nodes_[i].offset]
    fast_path::Arena adjoints_;             ///< the adjoint arena, same offsets
    std::size_t used_ = 0;                  ///< doubles in use in each arena
    bool constant_adjoints_ = true;         ///< see set_constant_adjoints()
    bool fast_path_ = true;                 ///< see set_fast_path()
    bool fuse_expressions_ = false;         ///< see set_fuse_expressions()
    std::size_t swept_size_ = 0;            ///< nodes covered by the last gradient()
    std::size_t first_operation_ = no_operation;  ///< the first node that is not a leaf
    static constexpr std::size_t no_operation = static_cast<std::size_t>(-1);
    std::uint64_t generation_ = 0;  ///< bumped by clear() and rewind()
    Stamps stamps_;                 ///< see Stamps
    std::vector<std::pair<std::uint32_t, std::string>> names_;
};


}  // namespace tapegrad
