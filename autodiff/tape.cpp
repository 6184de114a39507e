// tapegrad/autodiff/tape.cpp — recording (forward) and the reverse sweep.
//
// Both directions dispatch with one `switch` over the closed set of operations and call
// the math in operations.hpp. Elementwise kernels walk the output column-major and read
// each parent through strides, which is how broadcasting works: a parent of size 1 along
// a dimension has stride 0 there, so its one element is reused. In the sweep the same
// strides make the broadcast parent's adjoint *sum* the contributions of every element
// it was reused for, which is what the chain rule asks.
#include "tapegrad/autodiff/tape.hpp"

#include <algorithm>
#include <limits>

namespace tapegrad {

using ops::ConstMap;
using ops::Map;

std::string_view op_name(Op op) {
    switch (op) {
        case Op::variable: return "variable";
        case Op::constant: return "constant";
        case Op::add: return "add";
        case Op::subtract: return "subtract";
        case Op::multiply: return "multiply";
        case Op::divide: return "divide";
        case Op::power: return "pow";
        case Op::negate: return "negate";
        case Op::exp: return "exp";
        case Op::log: return "log";
        case Op::sqrt: return "sqrt";
        case Op::power_scalar: return "pow";
        case Op::square: return "square";
        case Op::abs: return "abs";
        case Op::sin: return "sin";
        case Op::cos: return "cos";
        case Op::tanh: return "tanh";
        case Op::sigmoid: return "sigmoid";
        case Op::relu: return "relu";
        case Op::identity: return "identity";
        case Op::matmul: return "matmul";
        case Op::transpose: return "transpose";
        case Op::linear: return "linear";
        case Op::sum: return "sum";
        case Op::mean: return "mean";
        case Op::col_sums: return "col_sums";
        case Op::row_sums: return "row_sums";
        case Op::col_means: return "col_means";
        case Op::row_means: return "row_means";
        case Op::mean_squared_error: return "mse";
    }
    return "?";
}

std::string_view op_symbol(Op op) {
    switch (op) {
        case Op::add: return "+";
        case Op::subtract: return "-";
        case Op::multiply: return "*";
        case Op::divide: return "/";
        case Op::negate: return "-";
        default: return op_name(op);
    }
}

namespace {

// Where element (i, j) of the output finds its element in a parent of shape `p`.
struct Strides {
    std::size_t row, col;
    std::size_t at(std::size_t i, std::size_t j) const { return i * row + j * col; }
};
Strides strides(Shape parent) { return {parent.rows == 1 ? 0u : 1u, parent.cols == 1 ? 0u : std::size_t{parent.rows}}; }

// Elementwise kernels. The general case walks the output with strides; the cases that
// dominate real graphs get plain loops of their own, which the compiler keeps in
// registers: both parents of the output's shape, or one of them a scalar (the article's
// `w1 * x1`). They compute exactly what the strided loop computes.
template <class F>
[[gnu::noinline]] void binary_forward(const double* a, Shape sa, const double* b, Shape sb, double* y, Shape sy) {
    const std::size_t n = sy.size();
    if (sa == sy && sb == sy) {
        for (std::size_t k = 0; k < n; ++k) y[k] = F::value(a[k], b[k]);
    } else if (sa.is_scalar() && sb == sy) {
        const double a0 = a[0];
        for (std::size_t k = 0; k < n; ++k) y[k] = F::value(a0, b[k]);
    } else if (sb.is_scalar() && sa == sy) {
        const double b0 = b[0];
        for (std::size_t k = 0; k < n; ++k) y[k] = F::value(a[k], b0);
    } else {  // column by column; within a column each parent is contiguous or one element
        const Strides ta = strides(sa), tb = strides(sb);
        const std::size_t rows = sy.rows;
        for (std::size_t j = 0; j < sy.cols; ++j) {
            const double *ac = a + j * ta.col, *bc = b + j * tb.col;
            double* yc = y + j * rows;
            if (ta.row && tb.row)
                for (std::size_t i = 0; i < rows; ++i) yc[i] = F::value(ac[i], bc[i]);
            else if (ta.row)
                for (std::size_t i = 0; i < rows; ++i) yc[i] = F::value(ac[i], bc[0]);
            else if (tb.row)
                for (std::size_t i = 0; i < rows; ++i) yc[i] = F::value(ac[0], bc[i]);
            else
                for (std::size_t i = 0; i < rows; ++i) yc[i] = F::value(ac[0], bc[0]);
        }
    }
}

// da[.] += dy * dy/da and db[.] += dy * dy/db for every output element. `da` and `db`
// may be the same array (x * x): each contribution is added, so both are counted. A
// broadcast scalar parent sums its contributions in a register and adds them once.
// Elements whose adjoint is 0 are skipped (see unary_backward).
template <class F>
[[gnu::noinline]] void binary_backward(const double* a, Shape sa, double* da, const double* b, Shape sb, double* db, const double* y,
                     const double* dy, Shape sy) {
    const std::size_t n = sy.size();
    if (sa == sy && sb == sy) {
        for (std::size_t k = 0; k < n; ++k)
            if (dy[k] != 0.0) {
                da[k] += dy[k] * F::da(a[k], b[k], y[k]);
                db[k] += dy[k] * F::db(a[k], b[k], y[k]);
            }
    } else if (sa.is_scalar() && sb == sy) {
        const double a0 = a[0];
        double sum = 0.0;
        for (std::size_t k = 0; k < n; ++k)
            if (dy[k] != 0.0) {
                sum += dy[k] * F::da(a0, b[k], y[k]);
                db[k] += dy[k] * F::db(a0, b[k], y[k]);
            }
        da[0] += sum;
    } else if (sb.is_scalar() && sa == sy) {
        const double b0 = b[0];
        double sum = 0.0;
        for (std::size_t k = 0; k < n; ++k)
            if (dy[k] != 0.0) {
                da[k] += dy[k] * F::da(a[k], b0, y[k]);
                sum += dy[k] * F::db(a[k], b0, y[k]);
            }
        db[0] += sum;
    } else {  // column by column, as in binary_forward; a broadcast element sums in a register
        const Strides ta = strides(sa), tb = strides(sb);
        const std::size_t rows = sy.rows;
        for (std::size_t j = 0; j < sy.cols; ++j) {
            const double *ac = a + j * ta.col, *bc = b + j * tb.col, *yc = y + j * rows, *dyc = dy + j * rows;
            double *dac = da + j * ta.col, *dbc = db + j * tb.col;
            double sum_a = 0.0, sum_b = 0.0;
            for (std::size_t i = 0; i < rows; ++i) {
                if (dyc[i] == 0.0) continue;
                const double av = ac[i * ta.row], bv = bc[i * tb.row];
                const double ga = dyc[i] * F::da(av, bv, yc[i]), gb = dyc[i] * F::db(av, bv, yc[i]);
                if (ta.row)
                    dac[i] += ga;
                else
                    sum_a += ga;
                if (tb.row)
                    dbc[i] += gb;
                else
                    sum_b += gb;
            }
            if (!ta.row) dac[0] += sum_a;
            if (!tb.row) dbc[0] += sum_b;
        }
    }
}

template <class F>
[[gnu::noinline]] void unary_forward(const double* x, double* y, std::size_t n, double c) {
    for (std::size_t k = 0; k < n; ++k) y[k] = F::value(x[k], c);
}

template <class F>
[[gnu::noinline]] void unary_backward(const double* x, double* dx, const double* y, const double* dy, std::size_t n, double c) {
    // An element with adjoint 0 contributes nothing, and is skipped rather than multiplied:
    // 0 * inf would be NaN, so a node off the loss's path with an infinite local
    // derivative (log or sqrt at 0) would otherwise poison its parents' adjoints.
    for (std::size_t k = 0; k < n; ++k)
        if (dy[k] != 0.0) dx[k] += dy[k] * F::derivative(x[k], y[k], c);
}

// The shape-changing kernels, each behind its own call: the functions that dispatch on the
// op (evaluate, gradient) stay small, with no large frame to set up for every node.
[[gnu::noinline]] void linear_forward(const double* x, Shape sx, const double* w, Shape sw, const double* b, double* y) {
    Map ym(y, sx.rows, sw.cols);
    ops::Linear::forward(ConstMap(x, sx.rows, sx.cols), ConstMap(w, sw.rows, sw.cols), ConstMap(b, 1, sw.cols), ym);
}
[[gnu::noinline]] void mse_forward(const double* p, const double* t, Shape s, double* y) {
    Map ym(y, 1, 1);
    ops::MeanSquaredError::forward(ConstMap(p, s.rows, s.cols), ConstMap(t, s.rows, s.cols), ym);
}
[[gnu::noinline]] void matmul_forward(const double* a, Shape sa, const double* b, Shape sb, double* y) {
    Map ym(y, sa.rows, sb.cols);
    ops::MatMul::forward(ConstMap(a, sa.rows, sa.cols), ConstMap(b, sb.rows, sb.cols), ym);
}

[[gnu::noinline]] void reshape_forward(Op op, const double* a, Shape sa, double* y, Shape sy) {
    const ConstMap am(a, sa.rows, sa.cols);
    Map ym(y, sy.rows, sy.cols);
    switch (op) {
        case Op::transpose: ops::Transpose::forward(am, ym); break;
        case Op::sum: ops::Sum::forward(am, ym); break;
        case Op::mean: ops::Mean::forward(am, ym); break;
        case Op::col_sums: ops::ColSums::forward(am, ym); break;
        case Op::row_sums: ops::RowSums::forward(am, ym); break;
        case Op::col_means: ops::ColMeans::forward(am, ym); break;
        case Op::row_means: ops::RowMeans::forward(am, ym); break;
        default: break;
    }
}

// Their backward halves. `want_*` false: that parent is a constant whose adjoint nobody
// reads (Tape::set_constant_adjoints), so its share of the work is skipped.
[[gnu::noinline]] void matmul_backward(const double* a, Shape sa, double* da, bool want_a, const double* b, Shape sb,
                                       double* db, bool want_b, const double* dy) {
    Map dam(da, sa.rows, sa.cols), dbm(db, sb.rows, sb.cols);
    ops::MatMul::backward(ConstMap(a, sa.rows, sa.cols), ConstMap(b, sb.rows, sb.cols), ConstMap(dy, sa.rows, sb.cols),
                          dam, dbm, want_a, want_b);
}
[[gnu::noinline]] void linear_backward(const double* x, Shape sx, double* dx, bool want_x, const double* w, Shape sw,
                                       double* dw, bool want_w, double* db, bool want_b, const double* dy) {
    Map dxm(dx, sx.rows, sx.cols), dwm(dw, sw.rows, sw.cols), dbm(db, 1, sw.cols);
    ops::Linear::backward(ConstMap(x, sx.rows, sx.cols), ConstMap(w, sw.rows, sw.cols), ConstMap(dy, sx.rows, sw.cols),
                          dxm, dwm, dbm, want_x, want_w, want_b);
}
[[gnu::noinline]] void mse_backward(const double* p, double* dp, bool want_p, const double* t, double* dt, bool want_t,
                                    Shape s, const double* dy) {
    Map dpm(dp, s.rows, s.cols), dtm(dt, s.rows, s.cols);
    ops::MeanSquaredError::backward(ConstMap(p, s.rows, s.cols), ConstMap(t, s.rows, s.cols), ConstMap(dy, 1, 1), dpm,
                                    dtm, want_p, want_t);
}
[[gnu::noinline]] void reshape_backward(Op op, const double* dy, Shape sy, double* da, Shape sa) {
    const ConstMap dym(dy, sy.rows, sy.cols);
    Map dam(da, sa.rows, sa.cols);
    switch (op) {
        case Op::transpose: ops::Transpose::backward(dym, dam); break;
        case Op::sum: ops::Sum::backward(dym, dam); break;
        case Op::mean: ops::Mean::backward(dym, dam); break;
        case Op::col_sums: ops::ColSums::backward(dym, dam); break;
        case Op::row_sums: ops::RowSums::backward(dym, dam); break;
        case Op::col_means: ops::ColMeans::backward(dym, dam); break;
        case Op::row_means: ops::RowMeans::backward(dym, dam); break;
        default: break;
    }
}

// std::copy_n for the few numbers of a parameter: a plain loop, no call into the library.
void copy_small(const double* from, std::size_t n, double* to) {
    for (std::size_t i = 0; i < n; ++i) to[i] = from[i];
}

bool is_binary_elementwise(Op op) {
    return op == Op::add || op == Op::subtract || op == Op::multiply || op == Op::divide || op == Op::power;
}
bool is_unary_elementwise(Op op) { return op >= Op::negate && op <= Op::identity; }
bool is_reduction(Op op) { return op >= Op::sum && op <= Op::row_means; }

Shape reduced_shape(Op op, Shape x) {
    switch (op) {
        case Op::col_sums:
        case Op::col_means: return {1, x.cols};
        case Op::row_sums:
        case Op::row_means: return {x.rows, 1};
        default: return {1, 1};
    }
}

}  // namespace

// ---- Recording ---------------------------------------------------------------------------

// Growing is rare (the first recordings of a computation) and kept out of line, so that
// appending a node in steady state is a few stores.
void Tape::grow(std::size_t doubles) {
    if (nodes_.size() >= Node::no_parent) throw TapeError("tape is full: " + std::to_string(nodes_.size()) + " nodes");
    if (nodes_.size() == nodes_.capacity()) {
        nodes_.reserve(std::max<std::size_t>(64, 2 * nodes_.capacity()));
        variables_.reserve(nodes_.capacity());  // so recording a variable never allocates on its own
    }
    if (used_ + doubles > values_.size()) {  // grow geometrically; clear() never shrinks
        const std::size_t grown = std::max(used_ + doubles, 2 * values_.size());
        values_.resize(grown);
        adjoints_.resize(grown);
    }
}

std::uint32_t Tape::append(Op op, Shape shape, std::uint32_t a, std::uint32_t b, double constant, std::uint32_t c) {
    const std::size_t n = shape.size();
    if (nodes_.size() == nodes_.capacity() || used_ + n > values_.size()) [[unlikely]]
        grow(n);
    Node& node = nodes_.emplace_back();
    node.offset = used_;
    node.constant = constant;
    node.shape = shape;
    node.parent_a = a;
    node.parent_b = b;
    node.parent_c = c;
    node.op = op;
    used_ += n;
    return static_cast<std::uint32_t>(nodes_.size() - 1);
}

Var Tape::leaf(Op op, Shape shape, const double* data) {
    const std::uint32_t index = append(op, shape, Node::no_parent, Node::no_parent, 0.0);
    if (op == Op::variable) {
        variables_.push_back(index);
        variable_elements_ += shape.size();
    }
    std::copy(data, data + shape.size(), values_.data() + nodes_[index].offset);
    return handle(index);
}

// Scalar leaves are most of a small graph's leaves (the eleven parameters): one store.
Var Tape::variable(double value) {
    const std::uint32_t index = append(Op::variable, {1, 1}, Node::no_parent, Node::no_parent, 0.0);
    variables_.push_back(index);
    ++variable_elements_;
    values_[nodes_[index].offset] = value;
    return handle(index);
}
Var Tape::constant(double value) {
    const std::uint32_t index = append(Op::constant, {1, 1}, Node::no_parent, Node::no_parent, 0.0);
    values_[nodes_[index].offset] = value;
    return handle(index);
}
Var Tape::variable(const Eigen::Ref<const Eigen::MatrixXd>& value) { return leaf(Op::variable, value); }
Var Tape::constant(const Eigen::Ref<const Eigen::MatrixXd>& value) { return leaf(Op::constant, value); }

Var Tape::leaf(Op op, const Eigen::Ref<const Eigen::MatrixXd>& value) {
    if (value.size() == 0) throw TapeError(std::string(op_name(op)) + ": empty matrix (0 elements)");
    const Shape shape{static_cast<std::uint32_t>(value.rows()), static_cast<std::uint32_t>(value.cols())};
    const double* p = value.data();
    const bool dense = value.innerStride() == 1 && value.outerStride() == value.rows();
    // Copy first when the source is strided, or lives in one of this tape's own arenas (a
    // view from value() or adjoint()), which growing the arenas could move.
    const auto inside = [p](const auto& arena) { return p >= arena.data() && p < arena.data() + arena.size(); };
    const bool in_arena = inside(values_) || inside(adjoints_);
    if (dense && !in_arena) return leaf(op, shape, p);  // the common case: no temporary
    const Eigen::MatrixXd copy = value;
    return leaf(op, shape, copy.data());
}

Var Tape::record(Op op, Var x) { return record(op, x, 0.0); }

Var Tape::record(Op op, Var x, double c) {
    if (!live(x)) [[unlikely]]
        refuse(x, op_name(op));
    const Shape sx = nodes_[x.index()].shape;
    Shape sy = sx;
    if (op == Op::transpose)
        sy = {sx.cols, sx.rows};
    else if (is_reduction(op))
        sy = reduced_shape(op, sx);
    else if (!is_unary_elementwise(op)) [[unlikely]]
        throw TapeError(std::string(op_name(op)) + " is not an operation of one parent");

    const std::uint32_t index = append(op, sy, x.index(), Node::no_parent, c);
    if (op == Op::identity) {
        // y = x shares its parent's place in both arenas instead of copying it: its value
        // is x's value, and since dy/dx = 1, what flows into y's adjoint may land directly
        // in x's. The sweep has nothing to do for it. (Shown in a table, y's adjoint is
        // x's whole adjoint, which differs only when x has other users too.)
        nodes_[index].offset = nodes_[x.index()].offset;
        used_ -= sx.size();
        return handle(index);
    }
    evaluate(index);
    return handle(index);
}

Var Tape::record(Op op, Var a, Var b) {
    if (!live(a)) [[unlikely]]
        refuse(a, op_name(op));
    if (!live(b)) [[unlikely]]
        refuse(b, op_name(op));
    const Shape sa = nodes_[a.index()].shape, sb = nodes_[b.index()].shape;
    Shape sy;
    if (op == Op::matmul) {
        if (sa.cols != sb.rows) [[unlikely]]
            throw TapeError("matmul: shapes " + sa.to_string() + " and " + sb.to_string() +
                            " do not fit (columns of the left, " + std::to_string(sa.cols) +
                            ", must equal rows of the right, " + std::to_string(sb.rows) + ")");
        sy = {sa.rows, sb.cols};
    } else if (op == Op::mean_squared_error) {
        if (sa != sb) [[unlikely]]
            throw TapeError("mse: the prediction is " + sa.to_string() + " but the target is " + sb.to_string() +
                            " (they must have the same shape)");
        sy = {1, 1};
    } else if (!is_binary_elementwise(op)) [[unlikely]] {
        throw TapeError(std::string(op_name(op)) + " is not an operation of two parents");
    } else if (sa == sb || sb.is_scalar()) {  // the common cases, without the general rule
        sy = sa;
    } else if (sa.is_scalar()) {
        sy = sb;
    } else {
        const auto s = broadcast(sa, sb);
        if (!s) [[unlikely]]
            throw TapeError(std::string(op_name(op)) + ": shapes " + sa.to_string() + " and " + sb.to_string() +
                            " do not broadcast (each dimension must match, or one must be 1)");
        sy = *s;
    }

    const std::uint32_t index = append(op, sy, a.index(), b.index(), 0.0);
    evaluate(index);
    return handle(index);
}

Var Tape::record(Op op, Var x, Var w, Var b) {
    for (const Var& v : {x, w, b})
        if (!live(v)) [[unlikely]]
            refuse(v, op_name(op));
    if (op != Op::linear) [[unlikely]]
        throw TapeError(std::string(op_name(op)) + " is not an operation of three parents");
    const Shape sx = nodes_[x.index()].shape, sw = nodes_[w.index()].shape, sb = nodes_[b.index()].shape;
    if (sx.cols != sw.rows) [[unlikely]]
        throw TapeError("linear: X is " + sx.to_string() + " and W is " + sw.to_string() + " (columns of X, " +
                        std::to_string(sx.cols) + ", must equal rows of W, " + std::to_string(sw.rows) + ")");
    if (sb != Shape{1, sw.cols}) [[unlikely]]
        throw TapeError("linear: the bias is " + sb.to_string() + " but must be 1x" + std::to_string(sw.cols) +
                        " (one row, a number per column of W)");
    const Shape sy{sx.rows, sw.cols};
    const std::uint32_t index = append(op, sy, x.index(), w.index(), 0.0, b.index());
    evaluate(index);
    return handle(index);
}

// The value of node `index` from its parents' values: the forward half of every operation,
// run by record() as a node is appended and by replay() for every node again.
void Tape::evaluate(std::uint32_t index) {
    const Node& n = nodes_[index];
    if (n.op == Op::variable || n.op == Op::constant || n.op == Op::identity) return;  // nothing to compute
    const Node& pa = nodes_[n.parent_a];
    const double* a = values_.data() + pa.offset;
    double* y = values_.data() + n.offset;
    const std::size_t size = pa.shape.size();
    const double c = n.constant;
    switch (n.op) {
        case Op::negate: unary_forward<ops::Negate>(a, y, size, c); return;
        case Op::exp: unary_forward<ops::Exp>(a, y, size, c); return;
        case Op::log: unary_forward<ops::Log>(a, y, size, c); return;
        case Op::sqrt: unary_forward<ops::Sqrt>(a, y, size, c); return;
        case Op::power_scalar: unary_forward<ops::PowerScalar>(a, y, size, c); return;
        case Op::square: unary_forward<ops::Square>(a, y, size, c); return;
        case Op::abs: unary_forward<ops::Abs>(a, y, size, c); return;
        case Op::sin: unary_forward<ops::Sin>(a, y, size, c); return;
        case Op::cos: unary_forward<ops::Cos>(a, y, size, c); return;
        case Op::tanh: unary_forward<ops::Tanh>(a, y, size, c); return;
        case Op::sigmoid: unary_forward<ops::Sigmoid>(a, y, size, c); return;
        case Op::relu: unary_forward<ops::Relu>(a, y, size, c); return;
        case Op::transpose:
        case Op::sum:
        case Op::mean:
        case Op::col_sums:
        case Op::row_sums:
        case Op::col_means:
        case Op::row_means: reshape_forward(n.op, a, pa.shape, y, n.shape); return;
        default: break;  // two or three parents
    }
    const Node& pb = nodes_[n.parent_b];
    const double* b = values_.data() + pb.offset;
    switch (n.op) {
        case Op::add: binary_forward<ops::Add>(a, pa.shape, b, pb.shape, y, n.shape); return;
        case Op::subtract: binary_forward<ops::Subtract>(a, pa.shape, b, pb.shape, y, n.shape); return;
        case Op::multiply: binary_forward<ops::Multiply>(a, pa.shape, b, pb.shape, y, n.shape); return;
        case Op::divide: binary_forward<ops::Divide>(a, pa.shape, b, pb.shape, y, n.shape); return;
        case Op::power: binary_forward<ops::Power>(a, pa.shape, b, pb.shape, y, n.shape); return;
        case Op::matmul: matmul_forward(a, pa.shape, b, pb.shape, y); return;
        case Op::mean_squared_error: mse_forward(a, b, pa.shape, y); return;
        case Op::linear: linear_forward(a, pa.shape, b, pb.shape, values_.data() + nodes_[n.parent_c].offset, y); return;
        default: return;
    }
}

// ---- Replaying a recorded graph with new leaf values -------------------------------------

void Tape::set_value(Var leaf, double value) {
    check(leaf, "set_value");
    const Node& n = nodes_[leaf.index()];
    if ((n.op != Op::variable && n.op != Op::constant) || !n.shape.is_scalar()) [[unlikely]]
        refuse_set_value(leaf, Shape{1, 1});
    values_[n.offset] = value;
    leaves_changed_ = true;
}

void Tape::set_value(Var leaf, const Eigen::Ref<const Eigen::MatrixXd>& value) {
    check(leaf, "set_value");
    const Node& n = nodes_[leaf.index()];
    const Shape given{static_cast<std::uint32_t>(value.rows()), static_cast<std::uint32_t>(value.cols())};
    if ((n.op != Op::variable && n.op != Op::constant) || n.shape != given) [[unlikely]]
        refuse_set_value(leaf, given);
    Map(values_.data() + n.offset, given.rows, given.cols) = value;  // no aliasing: a leaf's own slot
    leaves_changed_ = true;
}

void Tape::refuse_set_value(Var leaf, Shape given) const {
    const Node& n = nodes_[leaf.index()];
    if (n.op != Op::variable && n.op != Op::constant)
        throw TapeError("set_value: node " + std::to_string(leaf.index()) + " is " + std::string(op_name(n.op)) +
                        ", not a leaf (only variables and constants take new values; the rest are computed)");
    throw TapeError("set_value: node " + std::to_string(leaf.index()) + " is " + n.shape.to_string() +
                    " but the new value is " + given.to_string() + " (a replay keeps every shape)");
}

void Tape::replay() {
    for (std::uint32_t k = 0; k < nodes_.size(); ++k)
        if (nodes_[k].op != Op::variable && nodes_[k].op != Op::constant) evaluate(k);
    swept_size_ = 0;  // the adjoints of the last sweep belong to the old values
    leaves_changed_ = false;
}

void Tape::refuse_variable_elements(std::size_t given, std::string_view where) const {
    throw TapeError(std::string(where) + ": the tape's " + std::to_string(variables_.size()) + " variables hold " +
                    std::to_string(variable_elements_) + " numbers, but " + std::to_string(given) + " were given");
}

void Tape::replay(std::span<const double> variables) {
    check_variable_elements(variables.size(), "replay");
    const double* from = variables.data();
    for (std::uint32_t k : variables_) {  // each variable's slot, in recording order
        const Node& n = nodes_[k];
        copy_small(from, n.shape.size(), values_.data() + n.offset);
        from += n.shape.size();
    }
    replay();
}

// ---- The reverse sweep -----------------------------------------------------------------

void Tape::begin_sweep(Var loss) {
    check(loss, "gradient");
    const Node& last = nodes_[loss.index()];
    if (!last.shape.is_scalar())
        throw TapeError("gradient: the loss must be a scalar (1x1), got " + last.shape.to_string() +
                        " (reduce it first, e.g. with sum or mean)");
    if (leaves_changed_) [[unlikely]]
        throw TapeError("gradient: set_value changed a leaf since the last replay(), so the other nodes still hold "
                        "values from before (call replay() first)");

    // [sweep]
    std::fill(adjoints_.begin(), adjoints_.begin() + static_cast<std::ptrdiff_t>(used_), 0.0);
    adjoints_[last.offset] = 1.0;  // d loss / d loss
    swept_size_ = nodes_.size();
}

void Tape::gradient(Var loss) {
    begin_sweep(loss);
    for (std::size_t k = loss.index() + 1; k-- > 0;) sweep_node(k);  // one loop, newest to oldest
}

void Tape::sweep_node(std::size_t k) {
    if (k >= swept_size_) [[unlikely]]
        throw TapeError("sweep_node: node " + std::to_string(k) + " is not on the sweep (call begin_sweep(loss) first; " +
                        "the tape swept has " + std::to_string(swept_size_) + " nodes)");
    // Whether a parent's adjoint is computed (constants' only when asked for).
    const auto wanted = [this](const Node& parent) { return constant_adjoints_ || parent.op != Op::constant; };
    const double* val = values_.data();
    double* adj = adjoints_.data();
    {
        const Node& n = nodes_[k];
        if (n.op == Op::variable || n.op == Op::constant) return;  // leaves: nothing below
        const double* y = val + n.offset;
        const double* dy = adj + n.offset;
        const Node& pa = nodes_[n.parent_a];
        const double* a = val + pa.offset;
        double* da = adj + pa.offset;
        const std::size_t size = n.shape.size();
        const double c = n.constant;
        switch (n.op) {
            // [sweep]
            case Op::add:
            case Op::subtract:
            case Op::multiply:
            case Op::divide:
            case Op::power: {
                const Node& pb = nodes_[n.parent_b];
                const double* b = val + pb.offset;
                double* db = adj + pb.offset;
                switch (n.op) {
                    case Op::add: binary_backward<ops::Add>(a, pa.shape, da, b, pb.shape, db, y, dy, n.shape); break;
                    case Op::subtract:
                        binary_backward<ops::Subtract>(a, pa.shape, da, b, pb.shape, db, y, dy, n.shape);
                        break;
                    case Op::multiply:
                        binary_backward<ops::Multiply>(a, pa.shape, da, b, pb.shape, db, y, dy, n.shape);
                        break;
                    case Op::divide:
                        binary_backward<ops::Divide>(a, pa.shape, da, b, pb.shape, db, y, dy, n.shape);
                        break;
                    default: binary_backward<ops::Power>(a, pa.shape, da, b, pb.shape, db, y, dy, n.shape); break;
                }
                break;
            }
            case Op::negate: unary_backward<ops::Negate>(a, da, y, dy, size, c); break;
            case Op::exp: unary_backward<ops::Exp>(a, da, y, dy, size, c); break;
            case Op::log: unary_backward<ops::Log>(a, da, y, dy, size, c); break;
            case Op::sqrt: unary_backward<ops::Sqrt>(a, da, y, dy, size, c); break;
            case Op::power_scalar: unary_backward<ops::PowerScalar>(a, da, y, dy, size, c); break;
            case Op::square: unary_backward<ops::Square>(a, da, y, dy, size, c); break;
            case Op::abs: unary_backward<ops::Abs>(a, da, y, dy, size, c); break;
            case Op::sin: unary_backward<ops::Sin>(a, da, y, dy, size, c); break;
            case Op::cos: unary_backward<ops::Cos>(a, da, y, dy, size, c); break;
            case Op::tanh: unary_backward<ops::Tanh>(a, da, y, dy, size, c); break;
            case Op::sigmoid: unary_backward<ops::Sigmoid>(a, da, y, dy, size, c); break;
            case Op::relu: unary_backward<ops::Relu>(a, da, y, dy, size, c); break;
            case Op::identity: break;  // shares its parent's adjoint (see record)
            case Op::matmul: {
                const Node& pb = nodes_[n.parent_b];
                matmul_backward(a, pa.shape, da, wanted(pa), val + pb.offset, pb.shape, adj + pb.offset, wanted(pb), dy);
                break;
            }
            case Op::linear: {
                const Node& pw = nodes_[n.parent_b];
                const Node& pc = nodes_[n.parent_c];
                linear_backward(a, pa.shape, da, wanted(pa), val + pw.offset, pw.shape, adj + pw.offset, wanted(pw),
                                adj + pc.offset, wanted(pc), dy);
                break;
            }
            case Op::mean_squared_error: {
                const Node& pb = nodes_[n.parent_b];
                mse_backward(a, da, wanted(pa), val + pb.offset, adj + pb.offset, wanted(pb), pa.shape, dy);
                break;
            }
            default:  // transpose and the reductions: one parent, whole-matrix views
                reshape_backward(n.op, dy, n.shape, da, pa.shape);
        }
    }
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
    double* to = out.data();
    for (std::uint32_t k : variables_) {
        const Node& n = nodes_[k];
        copy_small(adjoints_.data() + n.offset, n.shape.size(), to);
        to += n.shape.size();
    }
}

void Tape::clear() {
    nodes_.clear();  // keeps capacity
    variables_.clear();
    variable_elements_ = 0;
    leaves_changed_ = false;
    names_.clear();
    used_ = 0;
    swept_size_ = 0;
    ++generation_;
}

// ---- Reading ------------------------------------------------------------------------------

Eigen::Map<const Eigen::MatrixXd> Tape::value(std::size_t index) const {
    const Node& n = nodes_.at(index);
    return {values_.data() + n.offset, n.shape.rows, n.shape.cols};
}

Eigen::Map<const Eigen::MatrixXd> Tape::adjoint(std::size_t index) const {
    const Node& n = nodes_.at(index);
    if (!has_adjoint(index)) {
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
           variables_.capacity() * sizeof(std::uint32_t);
}

void Tape::set_name(Var v, std::string name) {
    check(v, "set_name");
    names_.emplace_back(v.index(), std::move(name));
}

std::string_view Tape::name(std::size_t index) const {
    for (auto it = names_.rbegin(); it != names_.rend(); ++it)
        if (it->first == index) return it->second;
    return {};
}

void Tape::refuse(Var v, std::string_view where) const {
    if (v.empty()) throw TapeError(std::string(where) + ": the Var is empty (default-constructed, never recorded)");
    if (v.tape_ != this) throw TapeError(std::string(where) + ": the Var belongs to another tape");
    throw TapeError(std::string(where) + ": the Var was recorded before the tape was cleared (stale)");
}

// ---- Var's accessors (they need the whole Tape) ------------------------------------------

void Var::refuse_empty() { throw TapeError("the Var is empty (default-constructed, never recorded)"); }

Shape Var::shape() const {
    tape().check(*this, "shape");
    return tape_->node(index_).shape;
}

Eigen::Map<const Eigen::MatrixXd> Var::value() const {
    tape().check(*this, "value");
    return tape_->value(index_);
}

Eigen::Map<const Eigen::MatrixXd> Var::adjoint() const {
    tape().check(*this, "adjoint");
    return tape_->adjoint(index_);
}

// The two scalar accessors read the arenas directly: training loops call them for every
// parameter of every iteration. Errors are the same as through value() and adjoint().
double Var::scalar_value() const {
    tape().check(*this, "value");
    const Node& n = tape_->nodes_[index_];
    if (!n.shape.is_scalar()) [[unlikely]]
        throw TapeError("scalar_value: the Var is " + shape().to_string() + ", not 1x1 (use value())");
    return tape_->values_[n.offset];
}

double Var::scalar_adjoint() const {
    tape().check(*this, "adjoint");
    const Node& n = tape_->nodes_[index_];
    if (!tape_->has_adjoint(index_)) [[unlikely]]
        (void)tape_->adjoint(index_);  // throws, saying why
    if (!n.shape.is_scalar()) [[unlikely]]
        throw TapeError("scalar_adjoint: the Var is " + shape().to_string() + ", not 1x1 (use adjoint())");
    return tape_->adjoints_[n.offset];
}

}  // namespace tapegrad
