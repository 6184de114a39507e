/// \file
/// The tape: record a computation, then sweep back over it. The core, in one sitting.
///
///   record  each operation appends one node and computes its value (operations.hpp).
///   sweep   gradient(loss) zeroes every adjoint, sets d loss / d loss = 1, and walks the nodes
///           once from the loss back to the first: `parent adjoint += adjoint x local derivative`.
/// A node is recorded after its parents, so one backwards loop reaches every node after all
/// the nodes that use it: no recursion, no topological sort. The layout is Adept's: plain
/// arrays in recording order; clear() keeps the memory. This file is the lesson, not the
/// engine: speed comes from compiling a recorded tape (optimized_tape.hpp, compiled_loss.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <Eigen/Core>

#include "tapegrad/autodiff/operations.hpp"
#include "tapegrad/autodiff/shape.hpp"
#include "tapegrad/autodiff/var.hpp"

namespace tapegrad {

struct Node {  ///< one recorded operation
    Op op = Op::constant;
    Shape shape;
    double constant = 0.0;           ///< power_scalar's exponent; unused by the others
    std::uint32_t first_parent = 0;  ///< where its parents start in the tape's parent list
    std::uint32_t parent_count = 0;  ///< how many (op_parents(op))
    std::size_t offset = 0;          ///< where its value and its adjoint start
};

/// Where a tape's numbers are. The compiler keeps the same layout and calls evaluate() and
/// sweep() where it has no faster kernel, so every op has one generic implementation.
struct TapeData {
    const Node* nodes;
    const std::uint32_t* parents;
    double* values;
    double* adjoints;
};
/// The forward half of node n: its value from its parents' values, element by element.
void evaluate(const TapeData& tape, const Node& n);
/// The backward half. An element of adjoint 0 passes nothing on (0 x inf would make a NaN).
void sweep(const TapeData& tape, const Node& n);

/// Record with variable() and constant() and arithmetic on the Vars they return (var.hpp).
class Tape {
public:
    Tape();
    ~Tape();
    Tape(const Tape&) = delete;  ///< Vars point at their tape, so a tape stays where it is
    Tape& operator=(const Tape&) = delete;

    /// A variable is a parameter, a constant is data; gradient(loss, out), replay(variables)
    /// and printing tell them apart.
    Var variable(double value) { return scalar_leaf(Op::variable, value); }
    Var variable(const Eigen::Ref<const Eigen::MatrixXd>& value) { return leaf(Op::variable, value); }
    Var constant(double value) { return scalar_leaf(Op::constant, value); }
    Var constant(const Eigen::Ref<const Eigen::MatrixXd>& value) { return leaf(Op::constant, value); }
    /// Append a node of `op` on `parents` (and power_scalar's exponent) and compute its value.
    Var record(Op op, std::initializer_list<Var> parents, double constant = 0.0);

    /// The reverse sweep from `loss` (1 x 1). Calling it twice gives the same adjoints.
    void gradient(Var loss);
    /// The same, then the adjoints of `wrt` (each 1 x 1), in order.
    std::vector<double> gradient(Var loss, std::initializer_list<Var> wrt);
    /// The same, then the variables' adjoints into `out`, in recording order, column by column.
    void gradient(Var loss, std::span<double> out);
    /// The same a node at a time, for a program that shows it: begin_sweep(loss) zeroes and
    /// seeds, sweep_node(k) is node k's step, k from the loss down to 0.
    void begin_sweep(Var loss);
    void sweep_node(std::size_t k);
    /// Forget every node and keep the memory. Vars recorded before are refused from now on.
    void clear();
    /// Replaying: a leaf takes a new value of its shape, and replay() computes the other nodes
    /// again. Right only when the graph does not depend on the values (no `if` on a value).
    void set_value(Var leaf, const Eigen::Ref<const Eigen::MatrixXd>& value);
    void set_value(Var leaf, double value) { set_value(leaf, Eigen::Map<const Eigen::MatrixXd>(&value, 1, 1)); }
    void replay();
    /// The same after giving the variables new values, in the layout of gradient(loss, out).
    void replay(std::span<const double> variables);
    /// How many numbers the variables hold together (a 3 x 2 variable counts 6).
    std::size_t variable_elements() const;

    // ---- Reading the tape --------------------------------------------------------------
    std::size_t size() const { return nodes_.size(); }
    const Node& node(std::size_t index) const;
    /// The Var of node `index`, for a program that walks the tape (hessian.cpp does).
    Var at(std::size_t index) {
        node(index);  // a TapeError past the end
        return {this, first_stamp_ + index};
    }
    /// The indices of node `index`'s parents, in order.
    std::span<const std::uint32_t> parents(std::size_t index) const {
        const Node& n = node(index);
        return {parents_.data() + n.first_parent, n.parent_count};
    }
    Eigen::Map<const Eigen::MatrixXd> value(std::size_t index) const;
    Eigen::Map<const Eigen::MatrixXd> adjoint(std::size_t index) const;
    /// Whether node `index` was on the tape at the last gradient() (its adjoint means something).
    bool has_adjoint(std::size_t index) const { return index < swept_; }
    /// Names for printing ("w1", "age"), shown by print_tape and write_dot.
    void set_name(Var v, std::string name);
    std::string_view name(std::size_t index) const;
    /// Bytes the tape holds (capacity, not use).
    std::size_t memory_bytes() const;
    /// The stamp of node 0 (var.hpp): node k's Var has stamp first_stamp() + k.
    std::uint64_t first_stamp() const { return first_stamp_; }
    /// Throws TapeError naming `where` unless `v` is a Var of this tape's recording.
    void check(const Var& v, std::string_view where) const;
    bool live(const Var& v) const { return v.is_on(*this) && v.stamp() - first_stamp_ < nodes_.size(); }
    std::uint32_t index_of(const Var& v) const { return static_cast<std::uint32_t>(v.stamp() - first_stamp_); }

private:
    Var leaf(Op op, const Eigen::Ref<const Eigen::MatrixXd>& value);
    Var scalar_leaf(Op op, double value) {
        const Var v = append(op, {1, 1}, {}, 0.0);
        values_.back() = value;
        return v;
    }
    Var append(Op op, Shape shape, std::span<const std::uint32_t> parents, double constant);
    TapeData data() { return {nodes_.data(), parents_.data(), values_.data(), adjoints_.data()}; }

    std::vector<Node> nodes_;
    std::vector<std::uint32_t> parents_;  ///< every node's parents, node after node
    std::vector<double> values_;          ///< node k's value at values_[nodes_[k].offset]
    std::vector<double> adjoints_;        ///< and its adjoint at the same offset
    std::vector<std::pair<std::uint32_t, std::string>> names_;
    std::uint64_t first_stamp_;    ///< see var.hpp
    std::size_t swept_ = 0;        ///< nodes covered by the last gradient()
    bool leaves_changed_ = false;  ///< set_value since the last replay()
};

}  // namespace tapegrad
