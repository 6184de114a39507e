// tapegrad/autodiff/tape.cpp — recording (the forward half) and the reverse sweep.
//
// Both are generic: they walk a node's output elements Y_ij and ask its op (operations.hpp) for
// Y_ij and the parent elements it depends on with their local derivatives. A broadcast parent is
// read at index 0 along its size-1 dimension (ops::Operand), so its adjoint sums them all.
#include "tapegrad/autodiff/tape.hpp"

#include <algorithm>
#include <atomic>

namespace tapegrad {
namespace {
// Past every stamp a destroyed tape gave out: where a new tape starts its stamps (var.hpp).
std::atomic<std::uint64_t> next_free_stamp{1};

// What an op's formulas see of node n: each parent's values and shape, and n's constant.
ops::Element element(const TapeData& tape, const Node& n) {
    ops::Element e;
    e.parents = static_cast<int>(n.parent_count);
    for (int p = 0; p < e.parents; ++p) {
        const Node& parent = tape.nodes[tape.parents[n.first_parent + p]];
        e.p[p] = {tape.values + parent.offset, parent.shape};
    }
    e.constant = n.constant;
    return e;
}
}  // namespace

Tape::Tape() : first_stamp_(next_free_stamp.load()) {}
Tape::~Tape() {
    const std::uint64_t end = first_stamp_ + nodes_.size();
    std::uint64_t seen = next_free_stamp.load();
    while (seen < end && !next_free_stamp.compare_exchange_weak(seen, end)) continue;
}

// ---- Recording -------------------------------------------------------------------------
// [evaluate]
void evaluate(const TapeData& tape, const Node& n) {
    if (n.parent_count == 0) return;  // a leaf: its value is given
    ops::Element e = element(tape, n);
    double* y = tape.values + n.offset;
    visit(n.op, [&]<class T>(T) {  // which op, once per node; then its formula per element
        for (e.j = 0; e.j < n.shape.cols; ++e.j)
            for (e.i = 0; e.i < n.shape.rows; ++e.i) y[e.i + e.j * n.shape.rows] = ops::value<T>(e);
    });
}
// [evaluate]

// [record]
Var Tape::record(Op op, std::initializer_list<Var> parents, double constant) {
    if (is_leaf(op)) throw TapeError("record: a leaf is recorded with variable() or constant(), not record()");
    if (static_cast<int>(parents.size()) != op_parents(op)) [[unlikely]]
        throw TapeError(std::string(op_name(op)) + " takes " + std::to_string(op_parents(op)) + " parent(s), not " +
                        std::to_string(parents.size()));
    std::uint32_t index[ops::most_parents];
    Shape shapes[ops::most_parents];
    for (std::size_t p = 0; p < parents.size(); ++p) {
        if (!live(parents.begin()[p])) check(parents.begin()[p], op_name(op));  // throws, naming the op
        index[p] = index_of(parents.begin()[p]);
        shapes[p] = nodes_[index[p]].shape;
    }
    const Shape shape = visit(op, [&]<class T>(T) { return ops::shape_of<T>(shapes); });
    const std::size_t k = nodes_.size();  // the new node's index, read before append (appendix B: why)
    const Var y = append(op, shape, {index, parents.size()}, constant);
    evaluate(data(), nodes_[k]);
    return y;
}
// [record]

Var Tape::leaf(Op op, const Eigen::Ref<const Eigen::MatrixXd>& value) {
    if (value.size() == 0) throw TapeError(std::string(op_name(op)) + ": empty matrix (0 elements)");
    const double* from = value.data();
    if (from >= values_.data() && from < values_.data() + values_.size())  // a view of this tape's own numbers,
        return leaf(op, Eigen::MatrixXd(value));                           // which growing moves: a copy first
    const Var v = append(op, Shape::of(value.rows(), value.cols(), op_name(op)), {}, 0.0);
    Eigen::Map<Eigen::MatrixXd>(values_.data() + nodes_.back().offset, value.rows(), value.cols()) = value;
    return v;
}

// All or nothing: a bad_alloc half way leaves the tape as it was.
Var Tape::append(Op op, Shape shape, std::span<const std::uint32_t> parents, double constant) {
    if (nodes_.size() >= 0xffffffffu || parents_.size() + parents.size() >= 0xffffffffu) [[unlikely]]
        throw TapeError("tape is full: " + std::to_string(nodes_.size()) + " nodes");
    const auto first = static_cast<std::uint32_t>(parents_.size()), count = static_cast<std::uint32_t>(parents.size());
    const Node n{op, shape, constant, first, count, values_.size()};
    try {
        for (std::uint32_t p : parents) parents_.push_back(p);
        values_.resize(values_.size() + shape.size());
        nodes_.push_back(n);
    } catch (...) {
        parents_.resize(n.first_parent);
        values_.resize(n.offset);
        throw;
    }
    return Var(this, first_stamp_ + nodes_.size() - 1);
}

// ---- The reverse sweep -----------------------------------------------------------------
// [sweep]
void sweep(const TapeData& tape, const Node& n) {
    if (n.parent_count == 0) return;  // a leaf: nothing below it
    ops::Element e = element(tape, n);
    double* parent_adjoints[ops::most_parents];
    for (int p = 0; p < e.parents; ++p)
        parent_adjoints[p] = tape.adjoints + tape.nodes[tape.parents[n.first_parent + p]].offset;
    visit(n.op, [&]<class T>(T) {
        for (e.j = 0; e.j < n.shape.cols; ++e.j)
            for (e.i = 0; e.i < n.shape.rows; ++e.i) {  // each element Y_ij of the node
                const std::size_t at = n.offset + e.i + e.j * n.shape.rows;
                const double adjoint = tape.adjoints[at];
                if (adjoint == 0.0) continue;
                e.y = tape.values[at];
                for (int p = 0; p < T::parents; ++p)
                    for (std::size_t l = 0; l < ops::terms<T>(e, p); ++l) {  // the elements Y_ij depends on
                        const ops::Term t = ops::term<T>(e, p, l);
                        parent_adjoints[p][e.p[p].at(t.row, t.col)] += adjoint * t.derivative;
                    }
            }
    });
}
// [sweep]

// [gradient]
void Tape::gradient(Var loss) {
    begin_sweep(loss);
    const TapeData tape = data();
    for (std::size_t k = index_of(loss) + 1; k-- > 0;) sweep(tape, nodes_[k]);  // sweep_node(k)'s step, for each k
}
// [gradient]

// [begin_sweep]
void Tape::begin_sweep(Var loss) {
    check(loss, "gradient");
    const Node& last = nodes_[index_of(loss)];
    if (!last.shape.is_scalar())
        throw TapeError("gradient: the loss must be a scalar (1x1), got " + last.shape.to_string() +
                        " (reduce it first, e.g. with sum or mean)");
    if (leaves_changed_)
        throw TapeError(std::string("gradient: set_value changed a leaf since the last replay(), so the other ") +
                        "nodes still hold values from before (call replay() first)");
    adjoints_.assign(values_.size(), 0.0);  // within the capacity of the last sweep: no allocation
    adjoints_[last.offset] = 1.0;           // d loss / d loss
    swept_ = nodes_.size();
}

void Tape::sweep_node(std::size_t k) {
    if (k >= swept_)
        throw TapeError("sweep_node: node " + std::to_string(k) + " is not on the sweep (call begin_sweep(loss) " +
                        "first; the tape swept has " + std::to_string(swept_) + " nodes)");
    sweep(data(), nodes_[k]);
}
// [begin_sweep]

std::vector<double> Tape::gradient(Var loss, std::initializer_list<Var> wrt) {
    gradient(loss);
    std::vector<double> result;
    for (const Var& v : wrt) result.push_back(v.scalar_adjoint());
    return result;
}

void Tape::gradient(Var loss, std::span<double> out) {
    if (out.size() != variable_elements())
        throw TapeError("gradient: the variables hold " + std::to_string(variable_elements()) + " numbers, but " +
                        std::to_string(out.size()) + " were asked for");
    gradient(loss);
    auto to = out.begin();
    for (const Node& n : nodes_)
        if (n.op == Op::variable) to = std::copy_n(adjoints_.begin() + n.offset, n.shape.size(), to);
}

// ---- Clearing and replaying ------------------------------------------------------------
void Tape::clear() {
    first_stamp_ += nodes_.size();  // every Var of this recording is refused from now on
    nodes_.clear();                 // each clear() keeps the capacity
    parents_.clear();
    values_.clear();
    names_.clear();
    swept_ = 0;
    leaves_changed_ = false;
}
void Tape::set_value(Var leaf, const Eigen::Ref<const Eigen::MatrixXd>& value) {
    check(leaf, "set_value");
    const Node& n = nodes_[index_of(leaf)];
    const Shape given = Shape::of(value.rows(), value.cols(), "set_value");
    if (!is_leaf(n.op))
        throw TapeError("set_value: node " + std::to_string(index_of(leaf)) + " is " + std::string(op_name(n.op)) +
                        ", not a leaf (only variables and constants take new values; the rest are computed)");
    if (n.shape != given)
        throw TapeError("set_value: node " + std::to_string(index_of(leaf)) + " is " + n.shape.to_string() +
                        " but the new value is " + given.to_string() + " (a replay keeps every shape)");
    Eigen::Map<Eigen::MatrixXd>(values_.data() + n.offset, given.rows, given.cols) = value;
    leaves_changed_ = true;
}
void Tape::replay() {
    for (const Node& n : nodes_)
        if (!is_leaf(n.op)) evaluate(data(), n);
    swept_ = 0;  // the adjoints of the last sweep belong to the old values
    leaves_changed_ = false;
}
void Tape::replay(std::span<const double> variables) {
    if (variables.size() != variable_elements())
        throw TapeError("replay: the variables hold " + std::to_string(variable_elements()) + " numbers, but " +
                        std::to_string(variables.size()) + " were given");
    const double* from = variables.data();
    for (const Node& n : nodes_)
        if (n.op == Op::variable) {
            std::copy_n(from, n.shape.size(), values_.begin() + n.offset);
            from += n.shape.size();
        }
    replay();
}
std::size_t Tape::variable_elements() const {
    std::size_t count = 0;
    for (const Node& n : nodes_)
        if (n.op == Op::variable) count += n.shape.size();
    return count;
}

// ---- Reading ---------------------------------------------------------------------------
const Node& Tape::node(std::size_t index) const {
    if (index >= nodes_.size())
        throw TapeError("node " + std::to_string(index) + ": the tape has " + std::to_string(nodes_.size()) + " nodes");
    return nodes_[index];
}
Eigen::Map<const Eigen::MatrixXd> Tape::value(std::size_t index) const {
    const Node& n = node(index);
    return {values_.data() + n.offset, n.shape.rows, n.shape.cols};
}
Eigen::Map<const Eigen::MatrixXd> Tape::adjoint(std::size_t index) const {
    const Node& n = node(index);
    if (!has_adjoint(index))
        throw TapeError("adjoint: node " + std::to_string(index) +
                        " has no adjoint yet (call gradient(loss) after recording it)");
    return {adjoints_.data() + n.offset, n.shape.rows, n.shape.cols};
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
std::size_t Tape::memory_bytes() const {
    return nodes_.capacity() * sizeof(Node) + parents_.capacity() * sizeof(std::uint32_t) +
           (values_.capacity() + adjoints_.capacity()) * sizeof(double);
}
void Tape::check(const Var& v, std::string_view where) const {
    if (live(v)) return;
    if (v.empty()) throw TapeError(std::string(where) + ": the Var is empty (default-constructed, never recorded)");
    if (!v.is_on(*this)) throw TapeError(std::string(where) + ": the Var belongs to another tape");
    throw TapeError(std::string(where) + ": the Var was recorded before the tape was cleared, or on an earlier tape " +
                    "at this address (stale)");
}

}  // namespace tapegrad
