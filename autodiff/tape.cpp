// tapegrad/autodiff/tape.cpp — recording (forward) and the reverse sweep: the core.
//
// Both directions are generic: they walk a node's output elements Y_ij and ask the op
// (operations.hpp) for Y_ij, and for the parents' elements Y_ij depends on with their
// local derivatives. Broadcasting is in ops::Operand: a parent of size 1 along a
// dimension is read at index 0 there, so in the sweep a broadcast parent's adjoint *sums*
// the contributions of every element it was reused for, which is what the chain rule
// asks. Each node goes to the fast path first (fast_path.hpp), which computes the same
// numbers with kernels for the shapes that matter; what it does not handle comes here, to
// evaluate_generically and sweep_generically: free functions of a node and the storage it
// lives in (fast_path::Arenas), so OptimizedTape's plan calls the same two, on its own
// arenas, where a kernel declines. There is no other generic implementation.
#include "tapegrad/autodiff/tape.hpp"

#include <algorithm>
#include <atomic>

namespace tapegrad {

namespace {
// Past every stamp of the tapes destroyed so far: where a new tape starts its stamps, so a
// Var of a tape that was at the same address before is never live on the new one.
std::atomic<std::uint64_t> stamps_of_destroyed_tapes{1};
}  // namespace

Tape::Tape() { stamps_.kept_base = stamps_.base = stamps_of_destroyed_tapes.load(); }

Tape::~Tape() {
    const std::uint64_t end = stamps_.base + nodes_.size();  // past every stamp given out
    std::uint64_t seen = stamps_of_destroyed_tapes.load();
    while (seen < end && !stamps_of_destroyed_tapes.compare_exchange_weak(seen, end)) {
    }
}

// ---- Recording ---------------------------------------------------------------------------

// Growing is rare (the first recordings of a computation) and kept out of line. It is
// all-or-nothing: everything is allocated before anything changes, so a bad_alloc
// leaves the tape as it was.
void Tape::grow(std::size_t nodes, std::size_t doubles) {
    if (nodes_.size() + nodes > Node::no_parent)
        throw TapeError("tape is full: " + std::to_string(nodes_.size()) + " nodes");
    if (used_ + doubles > values_.size()) {  // geometrically; clear() never shrinks
        const std::size_t grown = std::max(used_ + doubles, 2 * values_.size());
        fast_path::Arena values(grown), adjoints(grown);
        std::copy_n(values_.data(), used_, values.data());
        std::copy_n(adjoints_.data(), used_, adjoints.data());
        values_.swap(values);
        adjoints_.swap(adjoints);
    }
    if (nodes_.size() + nodes > nodes_.capacity()) {  // each reserve is all-or-nothing on its own
        const std::size_t grown = std::max({std::size_t{64}, 2 * nodes_.capacity(), nodes_.size() + nodes});
        variables_.reserve(grown);
        nodes_.reserve(grown);
    }
}

inline std::uint32_t Tape::append(Op op, Shape shape, const std::uint32_t* parents, double constant) {
    const std::size_t n = shape.size();
    if (nodes_.size() == nodes_.capacity() || used_ + n > values_.size()) [[unlikely]]
        grow(1, n);
    // Built whole, in place. The parents one by one, as record() wrote them: a wider load of
    // numbers just stored one at a time waits for the stores (a failed store-to-load forward).
    nodes_.push_back(Node{used_, constant, shape, {parents[0], parents[1], parents[2]}, op});
    used_ += n;
    return static_cast<std::uint32_t>(nodes_.size() - 1);
}

// The variables' numbers stay one block, in order, while each comes right after the last.
inline void Tape::list_variable(std::uint32_t index, std::size_t offset, std::size_t size) {
    if (const auto block = variables_block(); block && *block + variable_elements_ != offset)
        variables_in_one_block_ = false;  // (an empty list is one block: clear() says so)
    variables_.push_back(index);          // never allocates: grow() keeps it as large as nodes_
    variable_elements_ += size;
}

Var Tape::leaf(Op op, Shape shape, const double* data) {
    constexpr std::uint32_t none[3] = {Node::no_parent, Node::no_parent, Node::no_parent};
    const std::uint32_t index = append(op, shape, none, 0.0);
    const std::size_t offset = used_ - shape.size();
    if (op == Op::variable) list_variable(index, offset, shape.size());
    fast_path::copy(data, shape.size(), values_.data() + offset);
    return handle(index);
}

// A matrix that owns its numbers is dense and cannot be inside the arenas.
Var Tape::owned_leaf(Op op, const double* data, Eigen::Index rows, Eigen::Index cols) {
    if (rows * cols == 0) [[unlikely]]
        throw TapeError(std::string(op_name(op)) + ": empty matrix (0 elements)");
    return leaf(op, Shape::of(static_cast<std::size_t>(rows), static_cast<std::size_t>(cols), op_name(op)), data);
}

// Most leaves are scalars (a small network's parameters): one store, no copy loop.
Var Tape::scalar_leaf(Op op, double value) {
    constexpr std::uint32_t none[3] = {Node::no_parent, Node::no_parent, Node::no_parent};
    const std::uint32_t index = append(op, {1, 1}, none, 0.0);
    if (op == Op::variable) list_variable(index, used_ - 1, 1);
    values_[used_ - 1] = value;
    return handle(index);
}

// One bookkeeping for them all: the room for every node at once, then a plain loop.
void Tape::variables(std::span<const double> values, std::span<Var> out) {
    if (out.size() != values.size()) [[unlikely]]
        throw TapeError("variables: " + std::to_string(values.size()) + " numbers but room for " +
                        std::to_string(out.size()) + " Vars");
    const std::size_t n = values.size();
    const auto inside = [&](const auto& arena) {  // a view of this tape's own numbers: growing could move them
        return values.data() < arena.data() + arena.size() && arena.data() < values.data() + n;
    };
    if (n > 0 && (inside(values_) || inside(adjoints_))) [[unlikely]] {
        const std::vector<double> copy(values.begin(), values.end());
        return variables(copy, out);
    }
    if (nodes_.size() + n > nodes_.capacity() || used_ + n > values_.size()) [[unlikely]]
        grow(n, n);
    const std::size_t first = nodes_.size(), used = used_;
    if (n == 0) return;
    if (const auto block = variables_block(); block && *block + variable_elements_ != used)
        variables_in_one_block_ = false;
    {  // the numbers, which do not overlap the arena (checked above)
        const double* __restrict from = values.data();
        double* __restrict to = values_.data() + used;
        for (std::size_t i = 0; i < n; ++i) to[i] = from[i];
    }
    // Then the nodes, their places on the list of variables, and the Vars: only stores, each
    // list by a loop of its own (one loop storing to all three makes the compiler check, at
    // run time, whether they overlap). Through local pointers: a store to a Node could be a
    // store to a member, as far as the compiler knows, so members would be read again.
    Node* node = nodes_.extend(n);  // grow() made the room, for variables_ too
    for (std::size_t i = 0; i < n; ++i)
        node[i] = Node{used + i, 0.0, {1, 1}, {Node::no_parent, Node::no_parent, Node::no_parent}, Op::variable};
    std::uint32_t* listed_at = variables_.extend(n);
    for (std::size_t i = 0; i < n; ++i) listed_at[i] = static_cast<std::uint32_t>(first + i);
    const std::uint64_t stamp = stamps_.base + first;
    for (std::size_t i = 0; i < n; ++i) out[i] = Var(this, stamp + i);
    used_ = used + n;
    variable_elements_ += n;
}

Var Tape::leaf(Op op, const Eigen::Ref<const Eigen::MatrixXd>& value) {
    if (value.size() == 0) throw TapeError(std::string(op_name(op)) + ": empty matrix (0 elements)");
    const Shape shape = Shape::of(value.rows(), value.cols(), op_name(op));
    const double* p = value.data();
    const bool dense = value.innerStride() == 1 && value.outerStride() == value.rows();
    // Copy first when the source is strided, or lives in one of this tape's own arenas (a
    // view from value() or adjoint()), which growing the arenas could move.
    const auto inside = [p](const auto& arena) { return p >= arena.data() && p < arena.data() + arena.size(); };
    if (dense && !inside(values_) && !inside(adjoints_)) return leaf(op, shape, p);
    const Eigen::MatrixXd copy = value;
    return leaf(op, shape, copy.data());
}

// One switch on the op, then everything below knows it at compile time (its number of
// parents, its shape rule, its kernel).
Var Tape::record(Op op, std::initializer_list<Var> parents, double constant) {
    return visit(op, [&]<class T>(T) { return record<T>(parents, constant); });
}

template <class T>
Var Tape::record(std::initializer_list<Var> parents, double constant) {
    if constexpr (std::is_same_v<T, ops::WeightedSum>) {  // any number of parents, 2 to 9: a list of their own
        return record_weighted_sum(std::span<const Var>(parents.begin(), parents.size()));
    } else {
        return record_fixed<T>(parents, constant);
    }
}

template <class T>
Var Tape::record_fixed(std::initializer_list<Var> parents, double constant) {
    if (static_cast<int>(parents.size()) != T::parents) [[unlikely]]
        refuse_parents(T::name, T::parents, parents.size());
    std::uint32_t index[3] = {Node::no_parent, Node::no_parent, Node::no_parent};
    Shape shapes[3];
    // Parent by parent at fixed positions (not a loop over the list), so the indices and
    // shapes stay in registers rather than going through the stack and straight back.
    const auto take = [&](int p) {
        const Var& v = parents.begin()[p];
        if (!live(v)) [[unlikely]]
            refuse(v, T::name);
        index[p] = index_of(v);
        shapes[p] = nodes_[index[p]].shape;
    };
    if constexpr (T::parents > 0) take(0);
    if constexpr (T::parents > 1) take(1);
    if constexpr (T::parents > 2) take(2);
    const std::uint32_t node = append(op_of<T>(), ops::shape_of<T>(shapes), index, constant);
    if constexpr (std::is_same_v<T, ops::Identity>) {
        // identity(x) is a view: it shares x's place in both arenas (its value is x's, and
        // with dy/dx = 1 adjoint flowing into it may land in x's), and the sweep skips it.
        // The one node without a place of its own, because it is worth it: a wide layer's
        // identity activation would copy N x H numbers forwards and add them backwards
        // (bench_scaling H = 256, N = 600: 3.7x -> 1.7x the hand-written loop, appendix B).
        // Shown in a table, its adjoint is x's whole adjoint.
        used_ = nodes_[node].offset;
        nodes_[node].offset = nodes_[index[0]].offset;
    } else {
        evaluate<T>(node);
    }
    recorded_operation(node);
    return handle(node);
}


// A weighted sum's parents go in a list of their own, each product's number first. The
// list's room is made before the node is appended (so a bad_alloc leaves the tape as it
// was) and it is filled right after, when nothing can fail any more.
Var Tape::try_record_weighted_sum(std::span<const Var> parents) {
    const std::size_t count = parents.size();
    if (count < 2 || count > ops::most_parents) [[unlikely]]
        return {};
    std::uint32_t index[ops::most_parents];
    Shape y;
    for (std::size_t p = 0; p < count; ++p) {  // each live (as live() and index_of(), in one)
        const std::size_t k = stamps_.find(parents[p].stamp(), nodes_.size());
        if (!parents[p].is_on(*this) || k >= nodes_.size()) [[unlikely]]
            return {};
        index[p] = static_cast<std::uint32_t>(k);
    }
    for (std::size_t p = 0; p + 1 < count; p += 2) {  // a number times a node of the sum's shape
        const Shape a = nodes_[index[p]].shape, b = nodes_[index[p + 1]].shape;
        if (p == 0) y = a.is_scalar() ? b : a;
        if (!a.is_scalar()) {
            if (!b.is_scalar() || a != y) return {};
            std::swap(index[p], index[p + 1]);
        } else if (b != y) {
            return {};
        }
    }
    if (count % 2 == 1 && !nodes_[index[count - 1]].shape.is_scalar() && nodes_[index[count - 1]].shape != y) return {};
    if (operands_.size() + count > operands_.capacity()) [[unlikely]] {
        if (operands_.size() + count > Node::no_parent)  // where a list starts must fit a parent's place
            throw TapeError("tape is full: " + std::to_string(operands_.size()) + " parents of weighted sums");
        operands_.reserve(std::max({std::size_t{64}, operands_.size() + count, 2 * operands_.capacity()}));
    }
    const std::uint32_t list[3] = {static_cast<std::uint32_t>(operands_.size()), static_cast<std::uint32_t>(count),
                                   Node::no_parent};
    const std::uint32_t node = append(Op::weighted_sum, y, list, 0.0);
    std::copy_n(index, count, operands_.extend(count));  // room made above
    evaluate<ops::WeightedSum>(node);
    recorded_operation(node);
    return handle(node);
}

Var Tape::record_weighted_sum(std::span<const Var> parents) {
    const Var y = try_record_weighted_sum(parents);
    if (y.empty()) [[unlikely]]
        refuse_weighted_sum(parents);
    return y;
}

void Tape::refuse_weighted_sum(std::span<const Var> parents) const {
    if (parents.size() < 2 || parents.size() > ops::most_parents)
        throw TapeError("weighted_sum takes 2 to " + std::to_string(ops::most_parents) + " parents, not " +
                        std::to_string(parents.size()));
    for (const Var& v : parents)
        if (!live(v)) refuse(v, "weighted_sum");
    std::string shapes;
    for (const Var& v : parents) shapes += (shapes.empty() ? "" : ", ") + nodes_[index_of(v)].shape.to_string();
    throw TapeError("weighted_sum: shapes " + shapes +
                    " do not make a weighted sum (in each product one side is 1x1 and the other the sum's shape; "
                    "the bias is 1x1 or the sum's shape)");
}

// ---- The generic path: one node, on any storage laid out like a tape's ------------------------

namespace {
// What the op's formulas see of node n: each parent's values and shape, and n's constant.
ops::Element element(const fast_path::Arenas& storage, const Node& n) {
    ops::Element e;
    const std::span<const std::uint32_t> parents = parents_of(storage, n);
    e.parents = static_cast<int>(parents.size());
    for (int p = 0; p < e.parents; ++p) {
        const Node& parent = storage.nodes[parents[p]];
        e.p[p] = {storage.values + parent.offset, parent.shape};
    }
    e.constant = n.constant;
    return e;
}
}  // namespace

// The value of node n from its parents' values: the forward half of every operation, run
// by record() as a node is appended (replay() does the same for every node again).
void evaluate_generically(const fast_path::Arenas& storage, const Node& n) {
    ops::Element e = element(storage, n);
    double* y = storage.values + n.offset;
    for (e.j = 0; e.j < n.shape.cols; ++e.j)
        for (e.i = 0; e.i < n.shape.rows; ++e.i) y[e.i + e.j * n.shape.rows] = ops::value(n.op, e);
}

// Node `index` on this tape: its op's kernel, or (when there is none for the case, or the
// fast path is off) the generic path above.
template <class T>
void Tape::evaluate(std::uint32_t index) {
    if (fast_path_ && fast_path::forward_node<T>(arenas(), nodes_[index])) return;
    evaluate_generically(index);
}

// ---- The reverse sweep -----------------------------------------------------------------

void Tape::begin_sweep(Var loss) {
    check(loss, "gradient");
    const Node& last = nodes_[index_of(loss)];
    if (!last.shape.is_scalar())
        throw TapeError("gradient: the loss must be a scalar (1x1), got " + last.shape.to_string() +
                        " (reduce it first, e.g. with sum or mean)");
    if (leaves_changed_) [[unlikely]]
        throw TapeError(
            "gradient: set_value changed a leaf since the last replay(), so the other nodes still hold "
            "values from before (call replay() first)");
    // [sweep]
    std::fill_n(adjoints_.data(), used_, 0.0);
    adjoints_[last.offset] = 1.0;  // d loss / d loss
    swept_size_ = nodes_.size();
}

// Node n passes its adjoint back: each parent receives adjoint x local derivative. The core's
// one generic sweep of a node, on a tape's storage or a plan's (tape.hpp).
void sweep_generically(const fast_path::Arenas& storage, const Node& n) {
    ops::Element e = element(storage, n);
    const std::span<const std::uint32_t> parents = parents_of(storage, n);
    for (e.j = 0; e.j < n.shape.cols; ++e.j)
        for (e.i = 0; e.i < n.shape.rows; ++e.i) {  // each element Y_ij of the node
            const double adjoint = storage.adjoints[n.offset + e.i + e.j * n.shape.rows];
            if (adjoint == 0.0) continue;  // nothing flows (and no 0 * inf = NaN off the loss's path)
            e.y = storage.values[n.offset + e.i + e.j * n.shape.rows];
            for (int p = 0; p < e.parents; ++p) {
                const Node& parent = storage.nodes[parents[p]];
                for (std::size_t l = 0; l < ops::terms(n.op, e, p); ++l) {  // the elements Y_ij depends on
                    const ops::Term t = ops::term(n.op, e, p, l);
                    double& parent_adjoint = storage.adjoints[parent.offset + e.p[p].at(t.row, t.col)];
                    parent_adjoint += adjoint * t.derivative;
                }
            }
        }
}

// Node k passes its adjoint back: by its op's kernel, or else generically.
inline void Tape::sweep(std::size_t k, const fast_path::Arenas& fast) {
    const Node& n = nodes_[k];
    if (is_leaf(n.op) || n.op == Op::identity) return;             // leaves: nothing below (identity: see record)
    if (fast_path_ && fast_path::backward(fast, n, n.op)) return;  // the same sums by faster kernels
    sweep_generically(fast, n);
}

void Tape::gradient(Var loss) {
    begin_sweep(loss);
    const fast_path::Arenas fast = arenas();
    // One loop, newest to oldest, down to the first operation: the leaves before it have
    // nothing to pass on (in a training loop, the parameters and data usually come first).
    const std::size_t first = std::min(first_operation_, std::size_t{index_of(loss)});
    for (std::size_t k = index_of(loss) + 1; k-- > first;) sweep(k, fast);
}
// [sweep]

void Tape::sweep_node(std::size_t k) {
    if (k >= swept_size_) [[unlikely]]
        throw TapeError("sweep_node: node " + std::to_string(k) +
                        " is not on the sweep (call begin_sweep(loss) first; the tape swept has " +
                        std::to_string(swept_size_) + " nodes)");
    sweep(k, arenas());
}

std::vector<double> Tape::gradient(Var loss, std::initializer_list<Var> wrt) {
    gradient(loss);
    std::vector<double> result;
    result.reserve(wrt.size());
    for (const Var& v : wrt) result.push_back(v.scalar_adjoint());
    return result;
}

void Tape::gradient(Var loss, std::span<double> out) {
    check_variable_elements(out.size(), "gradient");
    gradient(loss);
    if (const auto block = variables_block())  // one copy (Tape::variables records them so)
        return fast_path::copy(adjoints_.data() + *block, out.size(), out.data());
    double* to = out.data();
    for (std::uint32_t k : variables_) {
        const Node& n = nodes_[k];
        fast_path::copy(adjoints_.data() + n.offset, n.shape.size(), to);
        to += n.shape.size();
    }
}

void Tape::clear() {
    stamps_.base += nodes_.size();  // the next recording's stamps start past this one's
    stamps_.kept_base = stamps_.base;
    stamps_.kept = 0;
    first_operation_ = no_operation;
    nodes_.clear();                 // keeps capacity
    operands_.clear();
    variables_.clear();
    variable_elements_ = 0;
    variables_in_one_block_ = true;
    leaves_changed_ = false;
    names_.clear();
    used_ = 0;
    swept_size_ = 0;
    ++generation_;
}

Tape::Mark Tape::mark() const {
    return {nodes_.size(),
            used_,
            operands_.size(),
            variables_.size(),
            variable_elements_,
            variables_in_one_block_,
            nodes_.size() > 0 ? stamps_.of(nodes_.size() - 1) : 0,
            this};
}

void Tape::rewind(const Mark& m) {
    if ((m.tape != this && m.nodes > 0) || m.nodes > nodes_.size() ||
        (m.nodes > 0 && stamps_.of(m.nodes - 1) != m.last_stamp))
        throw TapeError(
            "rewind: the mark is not of this recording (its nodes were dropped since, by clear() or "
            "rewind(), or it is another tape's)");
    if (stamps_.kept > 0 && m.nodes > stamps_.kept)
        throw TapeError("rewind: this tape keeps the first " + std::to_string(stamps_.kept) +
                        " nodes since its last rewind, and rewinds only to a mark within them, not to node " +
                        std::to_string(m.nodes) + " (clear() to start over)");
    // The kept nodes keep their stamps (all from one base: the checks above), the nodes
    // recorded next get stamps past every one given out so far.
    if (stamps_.kept == 0) stamps_.kept_base = stamps_.base;
    const std::uint64_t next = stamps_.base + nodes_.size();
    stamps_.kept = m.nodes;
    stamps_.base = next - m.nodes;
    if (m.nodes == 0) stamps_.kept_base = stamps_.base;
    nodes_.truncate(m.nodes);
    operands_.truncate(m.operands);
    variables_.truncate(m.variables);
    variable_elements_ = m.variable_elements;
    variables_in_one_block_ = m.variables_in_one_block;
    used_ = m.used;
    if (first_operation_ >= m.nodes) {
        first_operation_ = no_operation;
        leaves_changed_ = false;  // only leaves left: no value is out of date
    }
    std::erase_if(names_, [&](const auto& name) { return name.first >= m.nodes; });
    swept_size_ = 0;
    ++generation_;
}

// ---- Reading ------------------------------------------------------------------------------

void Tape::refuse_node(std::size_t index) const {
    throw TapeError("node " + std::to_string(index) + ": the tape has " + std::to_string(nodes_.size()) + " nodes");
}

Eigen::Map<const Eigen::MatrixXd> Tape::value(std::size_t index) const {
    const Node& n = node(index);
    return {values_.data() + n.offset, n.shape.rows, n.shape.cols};
}

Eigen::Map<const Eigen::MatrixXd> Tape::adjoint(std::size_t index) const {
    const Node& n = node(index);
    if (!has_adjoint(index)) [[unlikely]] {
        if (index < swept_size_)
            throw TapeError("adjoint: node " + std::to_string(index) +
                            " is a constant, and this tape does not compute constants' adjoints "
                            "(set_constant_adjoints(false))");
        throw TapeError("adjoint: node " + std::to_string(index) +
                        " has no adjoint yet (call gradient(loss) after recording it)");
    }
    return {adjoints_.data() + n.offset, n.shape.rows, n.shape.cols};
}

std::size_t Tape::memory_bytes() const {
    return nodes_.capacity() * sizeof(Node) + (values_.capacity() + adjoints_.capacity()) * sizeof(double) +
           (variables_.capacity() + operands_.capacity()) * sizeof(std::uint32_t);
}

void Tape::set_name(Var v, std::string name) {
    check(v, "set_name");
    names_.emplace_back(index_of(v), std::move(name));
}

std::string_view Tape::name(std::size_t index) const {
    for (auto it = names_.rbegin(); it != names_.rend(); ++it)
        if (it->first == index) return it->second;
    return {};
}

void Tape::refuse_parents(std::string_view op, int wanted, std::size_t given) {
    throw TapeError(std::string(op) + " takes " + std::to_string(wanted) + " parent(s), not " + std::to_string(given));
}

void Tape::refuse(Var v, std::string_view where) const {
    if (v.empty()) throw TapeError(std::string(where) + ": the Var is empty (default-constructed, never recorded)");
    if (&v.tape() != this) throw TapeError(std::string(where) + ": the Var belongs to another tape");
    throw TapeError(
        std::string(where) +
        ": the Var was recorded before the tape was cleared, or on an earlier tape at this address (stale)");
}

void Tape::check_variable_elements(std::size_t given, std::string_view where) const {
    if (given != variable_elements_) [[unlikely]]
        throw TapeError(std::string(where) + ": the tape's " + std::to_string(variables_.size()) + " variables hold " +
                        std::to_string(variable_elements_) + " numbers, but " + std::to_string(given) + " were given");
}

// record<T> for every op (var.cpp calls them).
#define TAPEGRAD_INSTANTIATE(id, T) template Var Tape::record<ops::T>(std::initializer_list<Var>, double);
TAPEGRAD_OPS(TAPEGRAD_INSTANTIATE)
#undef TAPEGRAD_INSTANTIATE

}  // namespace tapegrad
