// tapegrad/autodiff/kernels.cpp — the compiler's kernels (kernels.hpp).
//
// Each computes what the core's generic evaluate() and sweep() compute (tape.cpp), with
// the same formulas from operations.hpp; tests/test_kernels.cpp holds them to it. What each trick bought is
// measured in appendix B (docs/performance-engineering.md): e.g. the register kernels cut the
// replayed layers' gradient from about 85 ns to 69 ns; skipping constants' adjoints halves
// a product's backward pass when one side is data.
#include "tapegrad/autodiff/kernels.hpp"

#include <array>
#include <atomic>
#include <utility>

#include <Eigen/Core>

#include "tapegrad/autodiff/tape.hpp"

namespace tapegrad::kernels {

// ---- The mean squared error: the one implementation (the mse op's kernel, fused steps) ----

// GCC's vectorizer is kept out of the two mse kernels (clang has no such attribute and
// decides for itself): element by element, not two at a time, because the prediction was
// usually just stored one number at a time by the step before, and a 16-byte load of two
// such numbers waits for both stores to retire (a failed store-to-load forward; bench_health
// compiled batched: 69 -> 63 ns).
#if defined(__clang__)
#define TAPEGRAD_ELEMENT_BY_ELEMENT
#define TAPEGRAD_LOOP_AS_WRITTEN _Pragma("clang loop vectorize(disable) interleave(disable)")
#else
#define TAPEGRAD_ELEMENT_BY_ELEMENT [[gnu::optimize("no-tree-vectorize")]]
#define TAPEGRAD_LOOP_AS_WRITTEN
#endif

// In two sums, so the additions need not wait for each other.
TAPEGRAD_ELEMENT_BY_ELEMENT double mean_of_squares(const double* p, const double* t, std::size_t count, double inv_n) {
    double s0 = 0.0, s1 = 0.0;
    std::size_t i = 0;
    TAPEGRAD_LOOP_AS_WRITTEN  // and the same sums under every compiler: two, not four partial sums
    for (; i + 1 < count; i += 2) {
        const double e0 = p[i] - t[i], e1 = p[i + 1] - t[i + 1];
        s0 += e0 * e0;
        s1 += e1 * e1;
    }
    if (i < count) s0 += (p[i] - t[i]) * (p[i] - t[i]);
    return (s0 + s1) * inv_n;
}

TAPEGRAD_ELEMENT_BY_ELEMENT void mse_gradient(double dy, const double* p, const double* t, double* dp, double* dt,
                                              std::size_t count, double inv_n) {
    const double scale = 2.0 * dy * inv_n;
    if (scale == 0.0) return;  // nothing flows (and no 0 * inf)
    for (std::size_t i = 0; i < count; ++i) {
        const double g = scale * (p[i] - t[i]);
        if (dp) dp[i] += g;
        if (dt) dt[i] -= g;  // p and t may be one node (P against P): both add
    }
}

namespace {

using ConstMap = Eigen::Map<const Eigen::MatrixXd>;
using Map = Eigen::Map<Eigen::MatrixXd>;

// ---- Elementwise ------------------------------------------------------------------------
// Where element (i, j) of the output finds its element in a parent of shape `p`.
struct Strides {
    std::size_t row, col;
};
Strides strides(Shape parent) { return {parent.rows == 1 ? 0u : 1u, parent.cols == 1 ? 0u : std::size_t{parent.rows}}; }

// Plain loops for the cases that dominate real graphs: both parents of the output's
// shape, or one of them a scalar; the general case walks column by column, where each
// parent is contiguous or one element.
template <class F>
void binary_forward(const double* a, Shape sa, const double* b, Shape sb, double* y, Shape sy) {
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

// da[.] += dy * dy/da and db[.] += dy * dy/db for every output element with dy != 0.
// `da` and `db` may be the same array (x * x): each contribution is added, so both are
// counted. A broadcast parent sums its contributions in a register and adds them once.
template <class F>
void binary_backward(const double* a, Shape sa, double* da, const double* b, Shape sb, double* db, const double* y,
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

// SmallLinear<k, m>::forward or ::backward for 1 <= k, m <= 4, from a table of the 16
// instantiations; false (and nothing run) for any other size.
template <bool Forward, class... Args>
bool small_linear(Eigen::Index k, Eigen::Index m, Args... args) {
    if (k < 1 || k > 4 || m < 1 || m > 4) return false;
    static constexpr auto table = []<int... I>(std::integer_sequence<int, I...>) {
        if constexpr (Forward)
            return std::array{&SmallLinear<I / 4 + 1, I % 4 + 1>::forward...};
        else
            return std::array{&SmallLinear<I / 4 + 1, I % 4 + 1>::backward...};
    }
    (std::make_integer_sequence<int, 16>{});
    table[(k - 1) * 4 + (m - 1)](args...);
    return true;
}

// ---- The shape-changing ops, each by Eigen or a loop of its own ----------------------------
// A parent's view: its value, its adjoint, and whether its adjoint is wanted.
struct Parent {
    ConstMap value;
    Map adjoint;
    bool wanted;
};
Parent parent(const Arenas& t, const Node& n, int p) {
    const Node& q = t.nodes[parent_index(t, n, p)];
    return {ConstMap(t.values + q.offset, q.shape.rows, q.shape.cols),
            Map(t.adjoints + q.offset, q.shape.rows, q.shape.cols), t.constant_adjoints || q.op != Op::constant};
}

// A product's backward pass as the core's sweep does it, element by element of dY, an
// element that is 0 passing nothing on: for inputs that are not all finite, where Eigen's
// dY B^T would make 0 * inf = NaN of an element off the loss's path. Y = A B (or X W).
void product_backward_skipping_zeros(Parent& a, Parent& b, const ConstMap& dy) {
    for (Eigen::Index j = 0; j < dy.cols(); ++j)
        for (Eigen::Index i = 0; i < dy.rows(); ++i) {
            const double d = dy(i, j);
            if (d == 0.0) continue;
            if (a.wanted)
                for (Eigen::Index l = 0; l < a.value.cols(); ++l) a.adjoint(i, l) += d * b.value(l, j);
            if (b.wanted)
                for (Eigen::Index l = 0; l < a.value.cols(); ++l) b.adjoint(l, j) += d * a.value(i, l);
        }
}
// Whether Eigen's products may run: 0 * x is 0 for every x they multiply an element of dY
// by (the other side's values, when this side's adjoint is wanted). A check of the inputs
// (n k + k m numbers), not of dY, against a product of n k m.
bool product_is_safe(const Parent& a, const Parent& b) {
    return (!a.wanted || b.value.allFinite()) && (!b.wanted || a.value.allFinite());
}

void forward(ops::MatMul, const Parent& a, const Parent& b, const Parent&, Map& y) { y.noalias() = a.value * b.value; }
void backward(ops::MatMul, Parent& a, Parent& b, Parent&, const ConstMap& dy) {
    if (!product_is_safe(a, b)) [[unlikely]]
        return product_backward_skipping_zeros(a, b, dy);
    if (a.wanted) a.adjoint.noalias() += dy * b.value.transpose();
    if (b.wanted) b.adjoint.noalias() += a.value.transpose() * dy;  // a and b may be one node (A A): both add
}

void forward(ops::Linear, const Parent& x, const Parent& w, const Parent& b, Map& y) {  // beyond SmallLinear
    y.noalias() = x.value * w.value;
    y.rowwise() += b.value.row(0);
}
void backward(ops::Linear, Parent& x, Parent& w, Parent& b, const ConstMap& dy) {
    if (!product_is_safe(x, w)) [[unlikely]]
        product_backward_skipping_zeros(x, w, dy);
    else {
        if (x.wanted) x.adjoint.noalias() += dy * w.value.transpose();
        if (w.wanted) w.adjoint.noalias() += x.value.transpose() * dy;
    }
    if (b.wanted) b.adjoint.noalias() += dy.colwise().sum();
}

void forward(ops::Transpose, const Parent& a, const Parent&, const Parent&, Map& y) {
    y.noalias() = a.value.transpose();
}
void backward(ops::Transpose, Parent& a, Parent&, Parent&, const ConstMap& dy) {
    a.adjoint.noalias() += dy.transpose();
}

template <bool Down, bool Across, bool Mean>
void forward(ops::Reduction<Down, Across, Mean>, const Parent& a, const Parent&, const Parent&, Map& y) {
    if constexpr (Down && Across)
        y(0, 0) = Mean ? a.value.mean() : a.value.sum();
    else if constexpr (Down && Mean)
        y.noalias() = a.value.colwise().mean();
    else if constexpr (Down)
        y.noalias() = a.value.colwise().sum();
    else if constexpr (Mean)
        y.noalias() = a.value.rowwise().mean();
    else
        y.noalias() = a.value.rowwise().sum();
}
template <bool Down, bool Across, bool Mean>
void backward(ops::Reduction<Down, Across, Mean>, Parent& a, Parent&, Parent&, const ConstMap& dy) {
    Map& da = a.adjoint;
    if constexpr (Down && Across)
        da.array() += Mean ? dy(0, 0) / static_cast<double>(da.size()) : dy(0, 0);
    else if constexpr (Down && Mean)
        da.rowwise() += dy.row(0) / static_cast<double>(da.rows());
    else if constexpr (Down)
        da.rowwise() += dy.row(0);
    else if constexpr (Mean)
        da.colwise() += dy.col(0) / static_cast<double>(da.cols());
    else
        da.colwise() += dy.col(0);
}

// The mean squared error and the small layers straight from the arenas, with no Eigen
// views to set up: these are most of a small network's nodes (measured on bench_health).
const double* value_of(const Arenas& t, const Node& n, int p) { return t.values + t.nodes[parent_index(t, n, p)].offset; }
double* wanted_adjoint(const Arenas& t, const Node& q) {  // null: not wanted (a constant's, when off)
    return t.constant_adjoints || q.op != Op::constant ? t.adjoints + q.offset : nullptr;
}
double* adjoint_of(const Arenas& t, const Node& n, int p) { return wanted_adjoint(t, t.nodes[parent_index(t, n, p)]); }

void mse_forward(const Arenas& t, const Node& n) {
    const std::size_t count = t.nodes[parent_index(t, n, 0)].shape.size();
    t.values[n.offset] = mean_of_squares(value_of(t, n, 0), value_of(t, n, 1), count, 1.0 / static_cast<double>(count));
}
void mse_backward(const Arenas& t, const Node& n) {
    const std::size_t count = t.nodes[parent_index(t, n, 0)].shape.size();
    mse_gradient(t.adjoints[n.offset], value_of(t, n, 0), value_of(t, n, 1), adjoint_of(t, n, 0), adjoint_of(t, n, 1),
                 count, 1.0 / static_cast<double>(count));
}
// log_softmax row by row: the row's log-sum once (the op's own stable log_sum_exp), not
// once per element, and its K exponentials once, not K per element. Rows with a number that
// is not finite are left to the core (false), whose per-element formulas give the IEEE
// answers term by term.
bool log_softmax_forward(const Arenas& t, const Node& n) {
    const Node& a = t.nodes[parent_index(t, n, 0)];
    const ConstMap x(t.values + a.offset, a.shape.rows, a.shape.cols);
    if (!x.allFinite()) return false;
    const ops::Operand operand(t.values + a.offset, a.shape);
    Map y(t.values + n.offset, n.shape.rows, n.shape.cols);
    for (Eigen::Index i = 0; i < x.rows(); ++i) y.row(i) = x.row(i).array() - ops::LogSoftmax::log_sum_exp(operand, i);
    return true;
}
// dX_il += sum_j dY_ij ([l == j] - s_il), s the softmax: dX_i = dY_i - s_i sum_j dY_ij.
bool log_softmax_backward(const Arenas& t, const Node& n) {
    const Node& a = t.nodes[parent_index(t, n, 0)];
    const ConstMap x(t.values + a.offset, a.shape.rows, a.shape.cols), y(t.values + n.offset, n.shape.rows, n.shape.cols);
    const ConstMap dy(t.adjoints + n.offset, n.shape.rows, n.shape.cols);
    if (!x.allFinite() || !dy.allFinite()) return false;
    if (!wanted_adjoint(t, a)) return true;  // data nobody reads the adjoint of
    Map dx(t.adjoints + a.offset, a.shape.rows, a.shape.cols);
    for (Eigen::Index i = 0; i < dx.rows(); ++i)  // row by row: no temporary matrix
        dx.row(i).array() += dy.row(i).array() - y.row(i).array().exp() * dy.row(i).sum();
    return true;
}

bool small_linear_forward(const Arenas& t, const Node& n) {
    const Shape sw = t.nodes[parent_index(t, n, 1)].shape;
    return small_linear<true>(sw.rows, sw.cols, value_of(t, n, 0), value_of(t, n, 1), value_of(t, n, 2),
                              t.values + n.offset, Eigen::Index{n.shape.rows});
}
bool small_linear_backward(const Arenas& t, const Node& n) {
    const Shape sw = t.nodes[parent_index(t, n, 1)].shape;
    return small_linear<false>(sw.rows, sw.cols, value_of(t, n, 0), value_of(t, n, 1), t.adjoints + n.offset,
                               adjoint_of(t, n, 0), adjoint_of(t, n, 1), adjoint_of(t, n, 2),
                               Eigen::Index{n.shape.rows});
}

// Whether T has kernels: every elementwise op and the mse, and a
// shape-changing op when it has its forward and backward above. A kernel is opt-in: an op
// without one declines, and the generic path does its nodes.
template <class T>
constexpr bool has_kernels() {
    if constexpr (std::is_base_of_v<ops::Leaf, T> || std::is_base_of_v<ops::Unary, T> ||
                  std::is_base_of_v<ops::Binary, T> || std::is_same_v<T, ops::MeanSquaredError> ||
                  std::is_same_v<T, ops::LogSoftmax>)
        return true;
    else
        return requires(Parent & p, Map & y, const ConstMap& dy) {
            forward(T{}, p, p, p, y);
            backward(T{}, p, p, p, dy);
        };
}

// The Op of an operation's struct: op_of<ops::Multiply>() is Op::multiply.
template <class T>
constexpr Op op_of();
#define TAPEGRAD_OP_OF(id, T)      \
    template <>                    \
    constexpr Op op_of<ops::T>() { \
        return Op::id;             \
    }
TAPEGRAD_OPS(TAPEGRAD_OP_OF)
#undef TAPEGRAD_OP_OF

// The ops whose kernels decline for a test (set_declining_for_testing), bit k for Op k, and
// how often they did. A leaf's kernels have nothing to do, and never decline.
static_assert(op_count <= 64);
std::atomic<std::uint64_t> declining_ops{0};
std::atomic<std::uint64_t> declines{0};
template <class T>
bool declining_for_testing() {
    constexpr std::uint64_t bit = std::uint64_t{1} << static_cast<int>(op_of<T>());
    if constexpr (std::is_base_of_v<ops::Leaf, T>) return false;
    if ((declining_ops.load(std::memory_order_relaxed) & bit) == 0) [[likely]]
        return false;
    declines.fetch_add(1, std::memory_order_relaxed);
    return true;
}

}  // namespace

bool has_kernels(Op op) {
    return visit(op, []<class T>(T) {
        return has_kernels<T>() &&
               (std::is_base_of_v<ops::Leaf, T> || (declining_ops.load(std::memory_order_relaxed) &
                                                    (std::uint64_t{1} << static_cast<int>(op_of<T>()))) == 0);
    });
}

void set_declining_for_testing(Op op, bool declining) {
    const std::uint64_t bit = std::uint64_t{1} << static_cast<int>(op);
    if (declining)
        declining_ops.fetch_or(bit, std::memory_order_relaxed);
    else
        declining_ops.fetch_and(~bit, std::memory_order_relaxed);
}
std::uint64_t declines_for_testing() { return declines.load(std::memory_order_relaxed); }

// ---- One node: the kernel for its op ---------------------------------------------------------

template <class T>
bool forward_node(const Arenas& t, const Node& n) {
    double* y = t.values + n.offset;
    if (declining_for_testing<T>()) [[unlikely]]
        return false;
    if constexpr (!has_kernels<T>()) {
        return false;  // none for this op: the generic path does it
    } else if constexpr (std::is_base_of_v<ops::Leaf, T>) {
        return true;  // a leaf's value is given, not computed
    } else if constexpr (std::is_base_of_v<ops::Unary, T>) {
        const Node& a = t.nodes[parent_index(t, n, 0)];
        const double* x = t.values + a.offset;
        for (std::size_t k = 0, size = n.shape.size(); k < size; ++k) y[k] = T::value(x[k], n.constant);
        return true;
    } else if constexpr (std::is_base_of_v<ops::Binary, T>) {
        const Node &a = t.nodes[parent_index(t, n, 0)], &b = t.nodes[parent_index(t, n, 1)];
        binary_forward<T>(t.values + a.offset, a.shape, t.values + b.offset, b.shape, y, n.shape);
        return true;
    } else {
        if constexpr (std::is_same_v<T, ops::MeanSquaredError>) {
            mse_forward(t, n);
            return true;
        } else if constexpr (std::is_same_v<T, ops::LogSoftmax>) {
            return log_softmax_forward(t, n);
        } else {
            if constexpr (std::is_same_v<T, ops::Linear>)
                if (small_linear_forward(t, n)) return true;
            Parent p[3] = {parent(t, n, 0), T::parents > 1 ? parent(t, n, 1) : parent(t, n, 0),
                           T::parents > 2 ? parent(t, n, 2) : parent(t, n, 0)};
            Map ym(y, n.shape.rows, n.shape.cols);
            forward(T{}, p[0], p[1], p[2], ym);
            return true;
        }
    }
}

template <class T>
bool backward_node(const Arenas& t, const Node& n) {
    const double *y = t.values + n.offset, *dy = t.adjoints + n.offset;
    if (declining_for_testing<T>()) [[unlikely]]
        return false;
    if constexpr (!has_kernels<T>()) {
        return false;  // none for this op: the generic path does it
    } else if constexpr (std::is_base_of_v<ops::Leaf, T>) {
        return true;  // nothing below a leaf
    } else if constexpr (std::is_base_of_v<ops::Unary, T>) {
        // An element with adjoint 0 contributes nothing, and is skipped rather than multiplied:
        // 0 * inf would be NaN, so a node off the loss's path with an infinite local
        // derivative (log or sqrt at 0) would otherwise poison its parents' adjoints.
        const Node& a = t.nodes[parent_index(t, n, 0)];
        const double* x = t.values + a.offset;
        double* dx = t.adjoints + a.offset;
        for (std::size_t k = 0, size = n.shape.size(); k < size; ++k)
            if (dy[k] != 0.0) dx[k] += dy[k] * T::derivative(x[k], y[k], n.constant);
        return true;
    } else if constexpr (std::is_base_of_v<ops::Binary, T>) {
        const Node &a = t.nodes[parent_index(t, n, 0)], &b = t.nodes[parent_index(t, n, 1)];
        binary_backward<T>(t.values + a.offset, a.shape, t.adjoints + a.offset, t.values + b.offset, b.shape,
                           t.adjoints + b.offset, y, dy, n.shape);
        return true;
    } else {
        if constexpr (std::is_same_v<T, ops::MeanSquaredError>) {
            mse_backward(t, n);
            return true;
        } else if constexpr (std::is_same_v<T, ops::LogSoftmax>) {
            return log_softmax_backward(t, n);
        } else {
            if constexpr (std::is_same_v<T, ops::Linear>)
                if (small_linear_backward(t, n)) return true;
            Parent p[3] = {parent(t, n, 0), T::parents > 1 ? parent(t, n, 1) : parent(t, n, 0),
                           T::parents > 2 ? parent(t, n, 2) : parent(t, n, 0)};
            backward(T{}, p[0], p[1], p[2], ConstMap(dy, n.shape.rows, n.shape.cols));
            return true;
        }
    }
}

#define TAPEGRAD_INSTANTIATE(id, T)                                 \
    template bool forward_node<ops::T>(const Arenas&, const Node&); \
    template bool backward_node<ops::T>(const Arenas&, const Node&);
TAPEGRAD_OPS(TAPEGRAD_INSTANTIATE)
#undef TAPEGRAD_INSTANTIATE

}  // namespace tapegrad::kernels
