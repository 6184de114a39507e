// tapegrad/autodiff/optimized_tape.cpp — the optimization pass over a recorded tape, and the
// plan it compiles to (optimized_tape.hpp).
//
// Read it as a compiler pass in four stages over the tape's node list:
//   1. analyse   which nodes the loss needs (live), which a variable reaches (active), how
//                many live nodes use each one; identity nodes resolve to their parents;
//   2. fuse      from the loss down, each live node becomes the root of a fused step when a
//                pattern fits (a weighted sum with an optional activation, an mse, a
//                small output layer with its mse), taking in the single-use nodes below
//                it, or a plain step of its own;
//   3. lay out   every node that still has a value gets a fixed place in the plan's arenas;
//   4. emit      one Call per step: a kernel pointer and the pointers and sizes it needs.
// A kernel may decline (kernels.hpp). Where that is known when compiling (an op without
// kernels: kernels::has_kernels), the node is a plain step of its own that calls the
// core's generic evaluate() and sweep() (tape.hpp) on the plan's arenas; a plain step that
// calls a kernel checks what it returns and, where it declines, calls the same two. No
// other copy of the generic path is here.
// Every stage is a loop (the add trees of stage 2 on a work stack of their own), never a
// recursion over the graph: a tape of a million nodes compiles like one of ten.
// The kernels of fused steps are here; plain steps call the op kernels of kernels.cpp.
#include "tapegrad/autodiff/optimized_tape.hpp"

#include "tapegrad/autodiff/kernels.hpp"

#include <algorithm>
#include <array>
#include <span>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace tapegrad {

namespace {

constexpr double one = 1.0;  // the factor of a term that is a plain addend

// One term of a weighted sum: s * c, where s is one number and c a column of the output's
// size (for a scalar addend b: s = b and c is unused). ds, dc: where the term's adjoint
// contributions go, null when nobody reads them.
struct Term {
    const double* s;
    double* ds;
    const double* c;
    double* dc;
    bool scalar;  // a scalar addend: s alone (c unused)
};

// One step as the plan runs it: a forward and a backward kernel and what they work on.
struct Call {
    void (*forward)(const Call&) = nullptr;
    void (*backward)(const Call&) = nullptr;
    const kernels::Arenas* arenas = nullptr;  // plain: a fast-path kernel on this node
    const Node* node = nullptr;
    const Term* terms = nullptr;  // weighted sum: `columns` terms s * c, `scalars` addends (emit)
    std::uint32_t columns = 0, scalars = 0;
    const double *a = nullptr, *b = nullptr;  // mse: prediction and target; linear: X and W
    double *da = nullptr, *db = nullptr;
    const double* bias = nullptr;  // linear: the bias row
    double* dbias = nullptr;
    const double* target = nullptr;  // linear, then mse: the target
    double* dtarget = nullptr;
    double *z = nullptr, *dz = nullptr;  // weighted sum: before the activation
    double *y = nullptr, *dy = nullptr;  // the step's output value and adjoint
    double* prediction = nullptr;        // weighted sum, then mse: the sum's output (after its activation)
    std::size_t n = 0;
    double constant = 0.0;
    double inv_n = 0.0;  // weighted sum, then mse: 1 / the number of elements
    const Call* partner = nullptr;  // a pair of weighted sums (pair_kernel): the second
};
using Kernel = void (*)(const Call&);  // a step's forward or backward half

// ---- Kernels ------------------------------------------------------------------------------

// A plain step: the node's fast-path kernel, or the core's generic evaluator (tape.hpp) on
// the plan's arenas where the kernel declines (it returns false, and has done nothing).
template <class T>
void plain_forward(const Call& c) {
    if (!kernels::forward_node<T>(*c.arenas, *c.node)) [[unlikely]]
        evaluate(*c.arenas, *c.node);
}
template <class T>
void plain_backward(const Call& c) {
    if (!kernels::backward_node<T>(*c.arenas, *c.node)) [[unlikely]]
        sweep(*c.arenas, *c.node);
}
// A node of an op without kernels (kernels::has_kernels), known when compiling: the
// generic evaluator straight away.
void generic_forward(const Call& c) { evaluate(*c.arenas, *c.node); }
void generic_backward(const Call& c) { sweep(*c.arenas, *c.node); }

// z_i = sum_k s_k c_ki and the scalar addends, each term added in the order the tape adds
// it (so an overflow, or inf - inf, happens where the tape's does), then y = f(z) when there
// is an activation. K > 0: exactly K column terms, kept in registers, then at most one
// scalar addend (the bias, last). K = 0: any terms in any order, columns or scalars.
template <class Activation, int K>
void weighted_sum_values(const Call& call, double* y) {
    double* z = call.z;
    const std::size_t n = call.n;
    if constexpr (K > 0) {
        const double bias = call.scalars ? *call.terms[K].s : 0.0;
        double s[K];
        const double* c[K];
        for (int k = 0; k < K; ++k) s[k] = *call.terms[k].s, c[k] = call.terms[k].c;
        for (std::size_t i = 0; i < n; ++i) {
            double sum = s[0] * c[0][i];
            for (int k = 1; k < K; ++k) sum += s[k] * c[k][i];
            z[i] = call.scalars ? sum + bias : sum;  // not sum + 0.0: that makes a sum of -0 +0
            if constexpr (!std::is_void_v<Activation>) y[i] = Activation::value(z[i], call.constant);
        }
        return;
    } else {
        for (std::uint32_t k = 0, count = call.columns + call.scalars; k < count; ++k) {
            const Term& t = call.terms[k];
            const double s = *t.s, *c = t.c;
            if (t.scalar && k == 0)
                for (std::size_t i = 0; i < n; ++i) z[i] = s;
            else if (t.scalar)
                for (std::size_t i = 0; i < n; ++i) z[i] += s;
            else if (k == 0)
                for (std::size_t i = 0; i < n; ++i) z[i] = s * c[i];
            else
                for (std::size_t i = 0; i < n; ++i) z[i] += s * c[i];
        }
    }
    if constexpr (!std::is_void_v<Activation>)
        for (std::size_t i = 0; i < n; ++i) y[i] = Activation::value(z[i], call.constant);
}
// Forwards: y = f(z), or (Mse: the output neuron and its loss in one step) the prediction
// f(z) and then the mean of its squared differences from the target.
template <class Activation, int K, bool Mse>
void weighted_sum_forward(const Call& call) {
    if constexpr (Mse) {
        weighted_sum_values<Activation, K>(call, call.prediction);
        call.y[0] = kernels::mean_of_squares(call.prediction, call.target, call.n, call.inv_n);
    } else {
        weighted_sum_values<Activation, K>(call, call.y);
    }
}

// dz_i = dy_i f'(z_i), the activation's share (none without one); an element with adjoint 0
// passes nothing on, as in the tape's sweep (so 0 * inf stays out).
template <class Activation>
double activation_share(const Call& call, const double* prediction, std::size_t i, double dy) {
    if constexpr (std::is_void_v<Activation>)
        return dy;
    else
        return dy != 0.0 ? dy * Activation::derivative(call.z[i], prediction[i], call.constant) : 0.0;
}

// Which of the column terms' c want their adjoints: a hidden neuron's output does, data not.
enum class Columns { none, all, some };
Columns columns_wanted(const Call& call) {
    std::uint32_t wanted = 0;
    for (std::uint32_t k = 0; k < call.columns + call.scalars; ++k) wanted += !call.terms[k].scalar && call.terms[k].dc;
    return wanted == 0 ? Columns::none : wanted == call.columns ? Columns::all : Columns::some;
}

// The backward half of K column terms (then at most the bias) in one pass over the elements,
// from g(i), the adjoint of the sum's element i: ds_k += sum_i g_i c_ki, dc_ki += g_i s_k,
// and the bias receives sum_i g_i. An element with adjoint 0 passes nothing on.
template <int K, Columns C, class Adjoint>
void terms_backward(const Call& call, Adjoint&& g) {
    double sum[K] = {}, s[K], sum_g = 0.0;
    const double* c[K];
    double* dc[K];
    for (int k = 0; k < K; ++k) c[k] = call.terms[k].c, dc[k] = call.terms[k].dc, s[k] = *call.terms[k].s;
    for (std::size_t i = 0; i < call.n; ++i) {
        const double gi = g(i);
        sum_g += gi;
        if (gi == 0.0) continue;
        for (int k = 0; k < K; ++k) {
            sum[k] += gi * c[k][i];
            if constexpr (C == Columns::all) dc[k][i] += gi * s[k];
            if constexpr (C == Columns::some)
                if (dc[k]) dc[k][i] += gi * s[k];
        }
    }
    for (int k = 0; k < K; ++k)
        if (call.terms[k].ds) *call.terms[k].ds += sum[k];
    if (call.scalars && call.terms[K].ds) *call.terms[K].ds += sum_g;
}
// Any terms in any order (K = 0), a loop per term.
void terms_backward_loop(const Call& call, const double* g) {
    double sum_g = 0.0;
    for (std::size_t i = 0; i < call.n; ++i) sum_g += g[i];
    for (std::uint32_t k = 0; k < call.columns + call.scalars; ++k) {
        const Term& t = call.terms[k];
        if (t.scalar) {
            if (t.ds) *t.ds += sum_g;
            continue;
        }
        if (t.ds) {
            double sum = 0.0;
            for (std::size_t i = 0; i < call.n; ++i) sum += g[i] != 0.0 ? g[i] * t.c[i] : 0.0;
            *t.ds += sum;
        }
        if (t.dc)
            for (std::size_t i = 0; i < call.n; ++i) t.dc[i] += g[i] != 0.0 ? g[i] * *t.s : 0.0;
    }
}

// Backwards: the adjoint of each element of the sum, through the activation, into the terms.
// Mse: from the loss, the mse's share 2 dy (p_i - t_i) / n of each element of the prediction
// (the target's, minus it), computed on the way instead of stored in the prediction's adjoint.
template <class Activation, int K, Columns C, bool Mse>
void weighted_sum_backward(const Call& call) {
    if constexpr (Mse) {
        const double scale = 2.0 * call.dy[0] * call.inv_n;
        if (scale == 0.0) return;  // nothing flows (and no 0 * inf)
        terms_backward<K, C>(call, [&](std::size_t i) {
            const double r = scale * (call.prediction[i] - call.target[i]);
            if (call.dtarget) call.dtarget[i] -= r;
            return activation_share<Activation>(call, call.prediction, i, r);
        });
    } else {
        const double* g = call.dy;
        if constexpr (!std::is_void_v<Activation>) {
            for (std::size_t i = 0; i < call.n; ++i) call.dz[i] = activation_share<Activation>(call, call.y, i, call.dy[i]);
            g = call.dz;
        }
        if constexpr (K > 0)
            terms_backward<K, C>(call, [g](std::size_t i) { return g[i]; });
        else
            terms_backward_loop(call, g);
    }
}

// The kernels of a weighted sum (Mse: and its loss): unrolled for 1 to 4 column terms and then
// at most one scalar addend (the bias), when `unrolled`; else the loop (fuse() takes a sum
// into an mse step only when it is unrolled).
template <class Activation, bool Mse>
void pick_weighted_sum(Call& call, bool unrolled) {
    const auto backward = [wanted = columns_wanted(call)]<int K>(std::integral_constant<int, K>) -> Kernel {
        return wanted == Columns::none  ? &weighted_sum_backward<Activation, K, Columns::none, Mse>
               : wanted == Columns::all ? &weighted_sum_backward<Activation, K, Columns::all, Mse>
                                        : &weighted_sum_backward<Activation, K, Columns::some, Mse>;
    };
    switch (unrolled ? call.columns : 0) {
#define TAPEGRAD_TERMS(K)                                                \
    case K:                                                              \
        call.forward = &weighted_sum_forward<Activation, K, Mse>;       \
        call.backward = backward(std::integral_constant<int, K>{});     \
        return;
        TAPEGRAD_TERMS(1) TAPEGRAD_TERMS(2) TAPEGRAD_TERMS(3) TAPEGRAD_TERMS(4)
#undef TAPEGRAD_TERMS
    }
    if constexpr (Mse) throw std::logic_error("OptimizedTape: a weighted sum fused with its mse has 1 to 4 columns");
    call.forward = &weighted_sum_forward<Activation, 0, false>;
    call.backward = &weighted_sum_backward<Activation, 0, Columns::some, false>;
}

// Two weighted sums over the same columns (the hidden neurons h1 and h2 of the same inputs)
// as a pair, one pass over the elements for both: the columns read once. Forwards, each sum
// added as weighted_sum_values adds it; backwards (data columns), the two sets of sums side by
// side, each as weighted_sum_backward would add it, the first's before the second's.
template <int K>
void weighted_sum_pair_forward(const Call& first) {
    const Call* call[2] = {&first, first.partner};
    double s[2][K], bias[2];
    const double* c[K];
    for (int k = 0; k < K; ++k) c[k] = first.terms[k].c;
    for (int j = 0; j < 2; ++j) {
        bias[j] = call[j]->scalars ? *call[j]->terms[K].s : 0.0;
        for (int k = 0; k < K; ++k) s[j][k] = *call[j]->terms[k].s;
    }
    for (std::size_t i = 0; i < first.n; ++i)
        for (int j = 0; j < 2; ++j) {
            double sum = s[j][0] * c[0][i];
            for (int k = 1; k < K; ++k) sum += s[j][k] * c[k][i];
            call[j]->z[i] = call[j]->scalars ? sum + bias[j] : sum;
        }
}
template <int K>
void weighted_sum_pair_backward(const Call& first) {
    const Call* call[2] = {&first, first.partner};
    double sum[2][K] = {}, sum_g[2] = {};
    const double* c[K];
    for (int k = 0; k < K; ++k) c[k] = first.terms[k].c;
    for (std::size_t i = 0; i < first.n; ++i)
        for (int j = 0; j < 2; ++j) {
            const double g = call[j]->dy[i];
            sum_g[j] += g;
            for (int k = 0; k < K; ++k) sum[j][k] += g != 0.0 ? g * c[k][i] : 0.0;
        }
    for (int j = 0; j < 2; ++j) {
        for (int k = 0; k < K; ++k)
            if (call[j]->terms[k].ds) *call[j]->terms[k].ds += sum[j][k];
        if (call[j]->scalars && call[j]->terms[K].ds) *call[j]->terms[K].ds += sum_g[j];
    }
}
// Whether a and b, neighbours in the plan's forward order or in the sweep, run as a pair: both
// sums of K columns and at most the bias, without activation, the same columns, and more
// than one element (so neither's output can be a scalar factor of the other); backwards, the
// columns data. The pair's kernel for that direction, or null.
template <bool Backward>
Kernel pair_kernel(const Call& a, const Call& b) {
    static constexpr Kernel single[2][5] = {
        {nullptr, &weighted_sum_forward<void, 1, false>, &weighted_sum_forward<void, 2, false>,
         &weighted_sum_forward<void, 3, false>, &weighted_sum_forward<void, 4, false>},
        {nullptr, &weighted_sum_backward<void, 1, Columns::none, false>,
         &weighted_sum_backward<void, 2, Columns::none, false>, &weighted_sum_backward<void, 3, Columns::none, false>,
         &weighted_sum_backward<void, 4, Columns::none, false>}};
    static constexpr Kernel pairs[2][5] = {
        {nullptr, &weighted_sum_pair_forward<1>, &weighted_sum_pair_forward<2>, &weighted_sum_pair_forward<3>,
         &weighted_sum_pair_forward<4>},
        {nullptr, &weighted_sum_pair_backward<1>, &weighted_sum_pair_backward<2>, &weighted_sum_pair_backward<3>,
         &weighted_sum_pair_backward<4>}};
    const std::uint32_t k = a.columns;
    const auto kernel = [](const Call& c) { return Backward ? c.backward : c.forward; };
    if (k < 1 || k > 4 || b.columns != k || kernel(a) != single[Backward][k] || kernel(b) != single[Backward][k] ||
        a.n != b.n || a.n < 2)
        return nullptr;
    for (std::uint32_t t = 0; t < k; ++t)
        if (a.terms[t].c != b.terms[t].c) return nullptr;
    return pairs[Backward][k];
}

// A small dense layer, Y = X W + b, straight to its register kernel (a = X, b = W).
template <int K, int M>
void linear_forward(const Call& c) {
    kernels::SmallLinear<K, M>::forward(c.a, c.b, c.bias, c.y, static_cast<Eigen::Index>(c.n));
}
template <int K, int M>
void linear_backward(const Call& c) {
    kernels::SmallLinear<K, M>::backward(c.a, c.b, c.dy, c.da, c.db, c.dbias, static_cast<Eigen::Index>(c.n));
}
// A small dense layer and the mean squared error of its output against a target, in one
// step (the output layer and the loss): dZ = 2 dy (Z - T) / n goes straight into the
// layer's backward pass. z, dz: the layer's output and its adjoint (only this step uses it).
template <int K, int M>
void linear_mse_forward(const Call& c) {
    kernels::SmallLinear<K, M>::forward(c.a, c.b, c.bias, c.z, static_cast<Eigen::Index>(c.n));
    c.y[0] = kernels::mean_of_squares(c.z, c.target, c.n * M, c.constant);
}
template <int K, int M>
void linear_mse_backward(const Call& c) {
    const double scale = 2.0 * c.dy[0] * c.constant;
    if (scale == 0.0) return;
    for (std::size_t i = 0, count = c.n * M; i < count; ++i) {
        const double g = scale * (c.z[i] - c.target[i]);
        c.dz[i] = g;  // the layer's output has no other use: its whole adjoint
        if (c.dtarget) c.dtarget[i] -= g;
    }
    kernels::SmallLinear<K, M>::backward(c.a, c.b, c.dz, c.da, c.db, c.dbias, static_cast<Eigen::Index>(c.n));
}

// Whether a k x m weight matrix has register kernels (SmallLinear): 1 <= k, m <= 4.
bool small_layer(std::size_t k, std::size_t m) { return k >= 1 && k <= 4 && m >= 1 && m <= 4; }

// The kernels for a k x m weight matrix (small_layer), the layer alone or with the mse
// after it; false for any other size.
template <bool WithMse>
bool pick_linear(Call& call, std::size_t k, std::size_t m) {
    if (!small_layer(k, m)) return false;
    static constexpr auto table = []<int... I>(std::integer_sequence<int, I...>) {
        if constexpr (WithMse)
            return std::array<std::array<Kernel, 2>, 16>{std::array<Kernel, 2>{
                &linear_mse_forward<I / 4 + 1, I % 4 + 1>, &linear_mse_backward<I / 4 + 1, I % 4 + 1>}...};
        else
            return std::array<std::array<Kernel, 2>, 16>{
                std::array<Kernel, 2>{&linear_forward<I / 4 + 1, I % 4 + 1>, &linear_backward<I / 4 + 1, I % 4 + 1>}...};
    }(std::make_integer_sequence<int, 16>{});
    call.forward = table[(k - 1) * 4 + (m - 1)][0];
    call.backward = table[(k - 1) * 4 + (m - 1)][1];
    return true;
}

// The mean squared error of a and b, and its backward half (kernels.hpp: one implementation).
void mse_forward(const Call& c) { c.y[0] = kernels::mean_of_squares(c.a, c.b, c.n, c.constant); }  // constant = 1/n
void mse_backward(const Call& c) { kernels::mse_gradient(c.dy[0], c.a, c.b, c.da, c.db, c.n, c.constant); }

// y = (a_1 - b_1)^2 + (a_2 - b_2)^2 + ..., element by element, each square added in the
// tape's order; a term's s and c are a_k and b_k here, ds and dc their adjoints. The
// per-person loss: a subtract and a square for each person, and the adds between them.
void squared_differences_forward(const Call& call) {
    const Term* t = call.terms;
    for (std::size_t i = 0; i < call.n; ++i) {
        double x = t[0].s[i] - t[0].c[i];
        double y = x * x;
        for (std::uint32_t k = 1; k < call.columns; ++k) {
            x = t[k].s[i] - t[k].c[i];
            y += x * x;
        }
        call.y[i] = y;
    }
}
// da_k += dy 2 (a_k - b_k), db_k -= the same, as the square and the subtract pass it on (an
// element whose adjoint is 0 passing nothing on).
void squared_differences_backward(const Call& call) {
    for (std::size_t i = 0; i < call.n; ++i) {
        const double g = call.dy[i];
        if (g == 0.0) continue;
        for (std::uint32_t k = 0; k < call.columns; ++k) {
            const Term& t = call.terms[k];
            const double d = g * (2.0 * (t.s[i] - t.c[i]));
            if (d == 0.0) continue;
            if (t.ds) t.ds[i] += d;
            if (t.dc) t.dc[i] -= d;
        }
    }
}

// ---- The pass's view of the tape ------------------------------------------------------------

constexpr std::uint32_t none = 0xffffffffu;  // no node: the factor `one`

bool is_sum(Op op) { return op == Op::add; }
bool is_elementwise_unary(Op op) {
    return op != Op::identity && visit(op, []<class T>(T) { return std::is_base_of_v<ops::Unary, T>; });
}

// A weighted sum's term before layout: node indices (none: the factor `one`).
struct TermSpec {
    std::uint32_t s, c;
    bool column;
};
// A step before layout.
struct Plan {
    enum Kind { plain, weighted_sum, mse, linear_mse, weighted_sum_mse, squared_differences } kind = plain;
    std::uint32_t node = 0;          // the output
    std::uint32_t z = none;          // weighted sum: the root add (== node without activation)
    std::uint32_t a = none, b = none;  // mse: prediction and target
    std::vector<TermSpec> terms;
    std::vector<std::uint32_t> fused;
};

struct Analysis {
    std::vector<Node> nodes;                 // the tape's
    std::vector<std::uint32_t> parent_list;  // the tape's, with parents through identity resolved
    std::vector<char> live, active, absorbed;
    std::vector<std::uint32_t> uses;

    std::span<std::uint32_t> parents(std::uint32_t k) {
        return {parent_list.data() + nodes[k].first_parent, nodes[k].parent_count};
    }
    std::span<const std::uint32_t> parents(std::uint32_t k) const { return const_cast<Analysis&>(*this).parents(k); }
    std::uint32_t parent(const Node& n, int p) const { return parent_list[n.first_parent + p]; }
};

Analysis analyse(const Tape& tape, std::uint32_t loss) {
    Analysis g;
    const std::size_t count = tape.size();
    g.nodes.resize(count);
    std::vector<std::uint32_t> same(count);  // identity(x) is x
    for (std::uint32_t k = 0; k < count; ++k) {
        g.nodes[k] = tape.node(k);
        const auto list = tape.parents(k);
        g.nodes[k].first_parent = static_cast<std::uint32_t>(g.parent_list.size());
        for (std::uint32_t p : list) g.parent_list.push_back(same[p]);
        same[k] = g.nodes[k].op == Op::identity ? g.parents(k)[0] : k;
    }
    g.live.assign(count, 0);
    g.active.assign(count, 0);
    g.absorbed.assign(count, 0);
    g.uses.assign(count, 0);
    g.live[same[loss]] = 1;
    for (std::uint32_t k = count; k-- > 0;) {
        if (!g.live[k] || g.nodes[k].op == Op::identity) continue;
        for (std::uint32_t p : g.parents(k)) {
            g.live[p] = 1;
            ++g.uses[p];
        }
    }
    for (std::uint32_t k = 0; k < count; ++k) {
        g.active[k] = g.nodes[k].op == Op::variable;
        for (std::uint32_t p : g.parents(k)) g.active[k] |= g.active[p];
    }
    return g;
}

// Can node c be taken into a fused step whose output has `shape`: used once, not taken yet?
// (An op without kernels is never taken in: its node is a step of its own, done generically.)
bool single_use(const Analysis& g, std::uint32_t c, Shape shape) {
    return !g.absorbed[c] && g.uses[c] == 1 && !is_leaf(g.nodes[c].op) && g.nodes[c].shape == shape &&
           kernels::has_kernels(g.nodes[c].op);
}

// One node of an add tree as expand() meets it: its weighted sum's terms, its product's
// one term, or (an add) its two children, each taken in or kept as a term of its own.
struct Pending {  // a node on expand()'s work stack: to expand, or to keep as a term as it is
    std::uint32_t node;
    bool term;
};
bool expand_node(const Analysis& g, std::uint32_t k, Shape out, Plan& plan, std::vector<Pending>& work) {
    const Node& n = g.nodes[k];
    plan.fused.push_back(k);
    if (n.op == Op::multiply) {  // s * c or c * s (checked when it was taken in)
        const bool left_scalar = g.nodes[g.parent(n, 0)].shape.is_scalar();
        plan.terms.push_back({g.parent(n, left_scalar ? 0 : 1), g.parent(n, left_scalar ? 1 : 0), true});
        return true;
    }
    for (int p = 1; p >= 0; --p) {  // an add: the right child below the left on the stack, so the left comes first
        const std::uint32_t c = g.parent(n, p);
        const Node& child = g.nodes[c];
        const bool product = child.op == Op::multiply &&
                             ((g.nodes[g.parent(child, 0)].shape.is_scalar() && g.nodes[g.parent(child, 1)].shape == out) ||
                              (g.nodes[g.parent(child, 1)].shape.is_scalar() && g.nodes[g.parent(child, 0)].shape == out));
        // An add is taken in on the left only: the tape adds one on the right, p + (q + r), as a
        // whole, and (p + q) + r is another number in doubles (1 + (1e17 - 1e17) is 1, not 0).
        if (single_use(g, c, out) && ((is_sum(child.op) && p == 0) || product))
            work.push_back({c, false});  // taken in: expanded in its turn
        else if (child.shape == out || child.shape.is_scalar())
            work.push_back({c, true});
        else
            return false;
    }
    return true;
}

// The terms of the add tree under `k`, left to right as the tape adds them; false when a
// leaf of the tree is neither the output's shape nor one number. A loop over a work stack,
// not a recursion: `loss = loss + term` makes a tree as deep as the loop is long.
bool expand(const Analysis& g, std::uint32_t k, Shape out, Plan& plan) {
    std::vector<Pending> work{{k, false}};
    while (!work.empty()) {
        const Pending next = work.back();
        work.pop_back();
        if (next.term) {
            const std::uint32_t c = next.node;
            plan.terms.push_back(g.nodes[c].shape == out ? TermSpec{none, c, true} : TermSpec{c, none, false});
        } else if (!expand_node(g, next.node, out, plan, work)) {
            return false;
        }
    }
    return true;
}

// A sum whose every term is the square of a difference used nowhere else, (a1 - b1)^2 +
// (a2 - b2)^2 + ... (the per-person loss), becomes one step of squared differences: its
// terms the pairs (a_k, b_k), the squares and subtracts taken in. Else the sum is left as is.
void squared_differences(const Analysis& g, Plan& sum) {
    const Shape out = g.nodes[sum.node].shape;
    if (sum.z != sum.node || sum.terms.size() < 2) return;
    std::vector<TermSpec> pairs;
    std::vector<std::uint32_t> taken;
    for (const TermSpec& t : sum.terms) {
        if (t.s != none || !t.column || g.nodes[t.c].op != Op::square || !single_use(g, t.c, out)) return;
        const std::uint32_t d = g.parent(g.nodes[t.c], 0);
        const Node& diff = g.nodes[d];
        if (diff.op != Op::subtract || !single_use(g, d, out) || g.nodes[g.parent(diff, 0)].shape != out ||
            g.nodes[g.parent(diff, 1)].shape != out)
            return;
        pairs.push_back({g.parent(diff, 0), g.parent(diff, 1), true});
        taken.insert(taken.end(), {t.c, d});
    }
    sum.kind = Plan::squared_differences;
    sum.terms = std::move(pairs);
    sum.fused.insert(sum.fused.end(), taken.begin(), taken.end());
}

// The mse of a weighted sum (with its activation) used nowhere else, when the sum is one the
// unrolled kernels cover: 1 to 4 column terms, then at most a scalar addend, the columns'
// adjoints wanted all or none. The output neuron and its loss become one step.
void weighted_sum_mse(const Analysis& g, Plan& plan) {
    const Node& p = g.nodes[plan.a];
    if (!single_use(g, plan.a, p.shape)) return;
    const bool activated = is_elementwise_unary(p.op) && is_sum(g.nodes[g.parent(p, 0)].op) &&
                           single_use(g, g.parent(p, 0), p.shape);
    if (!is_sum(p.op) && !activated) return;
    Plan sum;
    sum.z = activated ? g.parent(p, 0) : plan.a;
    if (!expand(g, sum.z, p.shape, sum)) return;
    std::size_t columns = 0, wanted = 0;
    while (columns < sum.terms.size() && sum.terms[columns].column) wanted += g.active[sum.terms[columns++].c];
    const std::size_t scalars = sum.terms.size() - columns;
    if (columns < 1 || columns > 4 || scalars > 1 || (wanted != 0 && wanted != columns)) return;
    plan.kind = Plan::weighted_sum_mse;
    plan.z = sum.z;
    plan.terms = std::move(sum.terms);
    plan.fused.insert(plan.fused.end(), sum.fused.begin(), sum.fused.end());
    if (activated) plan.fused.push_back(plan.a);
}

// The step rooted at live node k, taking in the single-use nodes below it that fit a pattern.
// A node whose op has no kernels (kernels::has_kernels) is a plain step of its own.
Plan fuse(Analysis& g, std::uint32_t k) {
    const Node& n = g.nodes[k];
    Plan plan;
    plan.node = k;
    if (!kernels::has_kernels(n.op)) {
        // plain: emit() gives it the generic evaluator
    } else if (n.op == Op::mean_squared_error) {
        plan = {Plan::mse, k, none, g.parent(n, 0), g.parent(n, 1), {}, {k}};
    } else if (n.op == Op::mean && single_use(g, g.parent(n, 0), g.nodes[g.parent(n, 0)].shape) &&
               g.nodes[g.parent(n, 0)].op == Op::square) {
        const std::uint32_t sq = g.parent(n, 0), d = g.parent(g.nodes[sq], 0);
        const Node& diff = g.nodes[d];
        if (diff.op == Op::subtract && single_use(g, d, g.nodes[sq].shape) &&
            g.nodes[g.parent(diff, 0)].shape == diff.shape && g.nodes[g.parent(diff, 1)].shape == diff.shape)
            plan = {Plan::mse, k, none, g.parent(diff, 0), g.parent(diff, 1), {}, {d, sq, k}};
    } else if (is_sum(n.op) || (is_elementwise_unary(n.op) && is_sum(g.nodes[g.parent(n, 0)].op) &&
                                single_use(g, g.parent(n, 0), n.shape))) {
        Plan sum;
        sum.kind = Plan::weighted_sum;
        sum.node = k;
        sum.z = is_sum(n.op) ? k : g.parent(n, 0);
        if (expand(g, sum.z, g.nodes[sum.z].shape, sum)) {
            if (sum.z != k) sum.fused.push_back(k);
            squared_differences(g, sum);
            plan = std::move(sum);
        }
    }
    if (plan.kind == Plan::mse) {  // the output layer or neuron too, when it is small and used only here
        const Node& p = g.nodes[plan.a];
        const Shape w = p.op == Op::linear ? g.nodes[g.parent(p, 1)].shape : Shape{};
        if (p.op == Op::linear && single_use(g, plan.a, p.shape) && small_layer(w.rows, w.cols)) {
            plan.kind = Plan::linear_mse;
            plan.z = plan.a;
            plan.fused.push_back(plan.a);
        } else {
            weighted_sum_mse(g, plan);
        }
    }
    if (plan.fused.empty()) plan.fused = {k};
    for (std::uint32_t f : plan.fused) g.absorbed[f] = 1;
    std::sort(plan.fused.begin(), plan.fused.end());
    return plan;
}

std::string describe(const Plan& plan, const Analysis& g) {
    if (plan.kind == Plan::plain)
        return std::string(op_name(g.nodes[plan.node].op)) +
               (kernels::has_kernels(g.nodes[plan.node].op) ? "" : " (generic)");
    if (plan.kind == Plan::mse) return plan.fused.size() > 1 ? "mse (subtract, square, mean)" : "mse";
    if (plan.kind == Plan::linear_mse) return "linear, then mse";
    if (plan.kind == Plan::weighted_sum_mse) {
        Plan sum = plan;
        sum.kind = Plan::weighted_sum;
        sum.node = plan.a;
        return describe(sum, g) + ", then mse";
    }
    if (plan.kind == Plan::squared_differences)
        return "sum of " + std::to_string(plan.terms.size()) + " squared differences (subtract, square, add)";
    std::size_t products = 0, addends = 0;
    for (const TermSpec& t : plan.terms) (t.s != none && t.c != none ? products : addends) += 1;
    std::string what = "weighted sum: " + std::to_string(products) + " product" + (products == 1 ? "" : "s");
    if (addends) what += " + " + std::to_string(addends) + " addend" + (addends == 1 ? "" : "s");
    if (plan.z != plan.node) what += ", then " + std::string(op_name(g.nodes[plan.node].op));
    return what;
}

}  // namespace

// ---- The compiled program ----------------------------------------------------------------------

struct OptimizedTape::Program {
    const Tape* tape = nullptr;  // only compared, never read after compiling: which Vars are ours
    std::uint64_t first_stamp = 0;  // the tape's, when compiled: which Vars are ours
    std::size_t tape_nodes = 0, dead = 0;
    std::vector<Node> nodes;              // the tape's nodes; offsets into the arenas below
    std::vector<std::uint32_t> parent_list;  // the nodes' parents (Analysis)
    std::vector<char> has_place;
    kernels::Arena values, adjoints;
    kernels::Arenas arenas{};
    std::vector<Term> terms;
    std::vector<Call> forward, backward;  // backward in sweep order (newest first)
    std::vector<Call> partners;           // the second of each pair of weighted sums (pair_kernel<>)
    std::size_t variable_elements = 0;
    std::size_t loss_offset = 0;
    std::size_t active_size = 0;  // the variables' and other active nodes' places: [0, active_size)
    std::vector<Step> steps;

    double* value(std::uint32_t k) { return k == none ? const_cast<double*>(&one) : values.data() + nodes[k].offset; }
    double* adjoint(std::uint32_t k, const Analysis& g) {
        return k != none && g.active[k] ? adjoints.data() + nodes[k].offset : nullptr;
    }
    void lay_out(const Analysis& g, const std::vector<Plan>& plans, const Tape& tape);
    Call emit(const Plan& plan, const Analysis& g);
    // A dense layer's X, W and bias with their adjoints (a, b, bias), and its rows (n).
    void layer_inputs(Call& call, const Node& layer, const Analysis& g) {
        call.a = value(g.parent(layer, 0));
        call.b = value(g.parent(layer, 1));
        call.bias = value(g.parent(layer, 2));
        call.da = adjoint(g.parent(layer, 0), g);
        call.db = adjoint(g.parent(layer, 1), g);
        call.dbias = adjoint(g.parent(layer, 2), g);
        call.n = layer.shape.rows;
    }
};

// Every node that keeps a value gets its place: the leaves the plan reads, every variable,
// each step's output and a weighted sum's value before its activation. The variables come
// first, in recording order, so they go in and their adjoints come out as one block; then
// the other nodes a variable reaches, whose adjoints are zeroed before each sweep; then the
// rest (data, and what is computed from data alone).
void OptimizedTape::Program::lay_out(const Analysis& g, const std::vector<Plan>& plans, const Tape& tape) {
    has_place.assign(nodes.size(), 0);
    for (std::uint32_t k = 0; k < nodes.size(); ++k)
        if (nodes[k].op == Op::variable || (g.live[k] && is_leaf(nodes[k].op))) has_place[k] = 1;
    for (const Plan& p : plans) {
        has_place[p.node] = 1;
        if (p.z != none) has_place[p.z] = 1;
        if (p.kind == Plan::weighted_sum_mse) has_place[p.a] = 1;  // the prediction
    }
    std::size_t used = 0;
    const auto place = [&](auto&& which) {
        for (std::uint32_t k = 0; k < nodes.size(); ++k)
            if (has_place[k] && which(k)) {
                nodes[k].offset = used;
                used += nodes[k].shape.size();
            }
    };
    place([&](std::uint32_t k) { return nodes[k].op == Op::variable; });
    place([&](std::uint32_t k) { return nodes[k].op != Op::variable && g.active[k]; });
    active_size = used;
    place([&](std::uint32_t k) { return !g.active[k]; });  // their adjoints are scratch: nobody reads them
    kernels::Arena(std::max<std::size_t>(used, 1)).swap(values);
    kernels::Arena(std::max<std::size_t>(used, 1)).swap(adjoints);
    for (std::uint32_t k = 0; k < nodes.size(); ++k)
        if (has_place[k] && is_leaf(nodes[k].op)) {
            const auto v = tape.value(k);
            std::copy_n(v.data(), v.size(), values.data() + nodes[k].offset);
        }
    arenas.nodes = nodes.data();
    arenas.parents = parent_list.data();
    arenas.values = values.data();
    arenas.adjoints = adjoints.data();
    arenas.constant_adjoints = false;
}

Call OptimizedTape::Program::emit(const Plan& plan, const Analysis& g) {
    Call call;
    const Node& out = nodes[plan.node];
    call.y = value(plan.node);
    call.dy = adjoints.data() + out.offset;
    call.n = out.shape.size();
    const bool generic = plan.kind == Plan::plain && !kernels::has_kernels(out.op);  // fuse() made it plain
    if (plan.kind == Plan::plain && out.op == Op::linear && !generic) {  // rows of the output: call.n
        const Shape w = nodes[g.parent(out, 1)].shape;
        layer_inputs(call, out, g);
        if (pick_linear<false>(call, w.rows, w.cols)) return call;
        call.n = out.shape.size();
    }
    if (plan.kind == Plan::linear_mse) {
        const Node& layer = nodes[plan.z];
        layer_inputs(call, layer, g);
        call.z = value(plan.z);
        call.dz = adjoints.data() + layer.offset;
        call.target = value(plan.b);
        call.dtarget = adjoint(plan.b, g);
        call.constant = 1.0 / static_cast<double>(layer.shape.size());
        if (!pick_linear<true>(call, nodes[g.parent(layer, 1)].shape.rows, nodes[g.parent(layer, 1)].shape.cols))
            throw std::logic_error("OptimizedTape: an output layer fused with its mse has no register kernel");
        return call;
    }
    if (plan.kind == Plan::plain) {
        call.arenas = &arenas;
        call.node = &out;
        if (generic) {
            call.forward = &generic_forward;
            call.backward = &generic_backward;
        } else {
            visit(out.op, [&]<class T>(T) {
                call.forward = &plain_forward<T>;
                call.backward = &plain_backward<T>;
            });
        }
    } else if (plan.kind == Plan::mse) {
        call.a = value(plan.a);
        call.b = value(plan.b);
        call.da = adjoint(plan.a, g);
        call.db = adjoint(plan.b, g);
        call.n = nodes[plan.a].shape.size();
        call.constant = 1.0 / static_cast<double>(call.n);
        call.forward = &mse_forward;
        call.backward = &mse_backward;
    } else {
        const Node& sum = plan.kind == Plan::weighted_sum_mse ? nodes[plan.a] : out;  // the sum's output
        call.z = value(plan.z);
        call.dz = adjoints.data() + nodes[plan.z].offset;
        call.constant = sum.constant;
        call.terms = terms.data() + terms.size();  // reserved: never moves
        for (const TermSpec& t : plan.terms) {     // in the tape's order of additions
            terms.push_back({value(t.s), adjoint(t.s, g), value(t.c), adjoint(t.c, g), !t.column});
            (t.column ? call.columns : call.scalars) += 1;
        }
        // The usual sum, w1 x1 + ... + b: its columns, then (at most) one scalar addend.
        const bool bias_last = call.scalars == 0 || (call.scalars == 1 && !plan.terms.back().column);
        if (plan.kind == Plan::squared_differences) {
            call.forward = &squared_differences_forward;
            call.backward = &squared_differences_backward;
        } else if (plan.kind == Plan::weighted_sum_mse) {
            call.prediction = value(plan.a);
            call.target = value(plan.b);
            call.dtarget = adjoint(plan.b, g);
            call.n = sum.shape.size();
            call.inv_n = 1.0 / static_cast<double>(call.n);
            if (plan.z == plan.a) {
                pick_weighted_sum<void, true>(call, true);
            } else {
                visit(sum.op, [&]<class T>(T) {
                    if constexpr (std::is_base_of_v<ops::Unary, T>) pick_weighted_sum<T, true>(call, true);
                });
            }
        } else if (plan.z == plan.node) {
            pick_weighted_sum<void, false>(call, bias_last);
        } else {
            visit(out.op, [&]<class T>(T) {
                if constexpr (std::is_base_of_v<ops::Unary, T>) pick_weighted_sum<T, false>(call, bias_last);
            });
        }
    }
    return call;
}

// The adjoints set to 0 one double at a time, not by memset: the first backward kernels read
// them back at once, and a load from a wider store waits for it to reach the cache.
#if defined(__clang__)
#define TAPEGRAD_NO_MEMSET
#else
#define TAPEGRAD_NO_MEMSET [[gnu::optimize("no-tree-loop-distribute-patterns")]]
#endif
TAPEGRAD_NO_MEMSET void zero(double* to, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) to[i] = 0.0;
}

// Each two neighbours of `calls` (the forward calls, or the backward ones in sweep order) that
// pair_kernel accepts become one call, its second in `partners` (reserved: never moves).
template <bool Backward>
void pair_up(std::vector<Call>& calls, std::vector<Call>& partners) {
    std::vector<Call> paired;
    for (std::size_t i = 0; i < calls.size(); ++i) {
        Call call = calls[i];
        if (i + 1 < calls.size())
            if (const Kernel kernel = pair_kernel<Backward>(call, calls[i + 1])) {
                partners.push_back(calls[++i]);
                (Backward ? call.backward : call.forward) = kernel;
                call.partner = &partners.back();
            }
        paired.push_back(call);
    }
    calls = std::move(paired);
}

OptimizedTape::OptimizedTape(const Tape& tape, Var loss) : program_(std::make_unique<Program>()) {
    tape.check(loss, "OptimizedTape");
    const std::uint32_t loss_index = tape.index_of(loss);
    if (!tape.node(loss_index).shape.is_scalar())
        throw TapeError("OptimizedTape: the loss must be a scalar (1x1), got " +
                        tape.node(loss_index).shape.to_string());
    Program& P = *program_;
    P.tape = &tape;
    P.first_stamp = tape.first_stamp();
    P.tape_nodes = tape.size();

    Analysis g = analyse(tape, loss_index);
    std::vector<Plan> plans;  // from the loss down, then put in recording order
    std::size_t term_count = 0;
    for (std::uint32_t k = static_cast<std::uint32_t>(tape.size()); k-- > 0;) {
        const Node& n = g.nodes[k];
        if (!g.live[k] || g.absorbed[k] || is_leaf(n.op) || n.op == Op::identity) continue;
        plans.push_back(fuse(g, k));
        term_count += plans.back().terms.size();
    }
    std::reverse(plans.begin(), plans.end());
    for (std::uint32_t k = 0; k < tape.size(); ++k) {
        const Op op = g.nodes[k].op;
        if (op == Op::variable) P.variable_elements += g.nodes[k].shape.size();
        P.dead += !g.live[k] && op != Op::identity && op != Op::variable;
    }

    P.nodes = g.nodes;
    P.parent_list = g.parent_list;
    P.lay_out(g, plans, tape);
    P.terms.reserve(term_count);
    for (const Plan& plan : plans) {
        const Call call = P.emit(plan, g);
        P.forward.push_back(call);
        if (g.active[plan.node]) P.backward.push_back(call);
        P.steps.push_back({describe(plan, g), plan.node, plan.fused, g.active[plan.node] != 0});
    }
    std::reverse(P.backward.begin(), P.backward.end());
    P.partners.reserve(P.forward.size() + P.backward.size());
    pair_up<false>(P.forward, P.partners);
    pair_up<true>(P.backward, P.partners);
    std::uint32_t last = loss_index;
    while (g.nodes[last].op == Op::identity) last = g.parent(g.nodes[last], 0);
    P.loss_offset = P.nodes[last].offset;
}

OptimizedTape::~OptimizedTape() = default;
OptimizedTape::OptimizedTape(OptimizedTape&&) noexcept = default;
OptimizedTape& OptimizedTape::operator=(OptimizedTape&&) noexcept = default;

double OptimizedTape::gradient(std::span<const double> variables, std::span<double> out) {
    Program& P = program("gradient");
    if (variables.size() != P.variable_elements || out.size() != P.variable_elements) [[unlikely]]
        throw TapeError("OptimizedTape::gradient: the variables hold " + std::to_string(P.variable_elements) +
                        " numbers, but " + std::to_string(variables.size()) + " were given and " +
                        std::to_string(out.size()) + " asked for");
    kernels::copy(variables.data(), variables.size(), P.values.data());  // the variables' block
    for (const Call& c : P.forward) c.forward(c);
    zero(P.adjoints.data(), P.active_size);
    P.adjoints[P.loss_offset] = 1.0;
    for (const Call& c : P.backward) c.backward(c);
    kernels::copy(P.adjoints.data(), out.size(), out.data());
    return P.values[P.loss_offset];
}

void OptimizedTape::set_value(Var leaf, const Eigen::Ref<const Eigen::MatrixXd>& value) {
    Program& P = program("set_value");
    if (!leaf.is_on(*P.tape) || leaf.stamp() - P.first_stamp >= P.tape_nodes)
        throw TapeError("OptimizedTape::set_value: the Var is not a node of the tape this plan was compiled from");
    const auto k = static_cast<std::uint32_t>(leaf.stamp() - P.first_stamp);
    const Node& n = P.nodes[k];
    if (!is_leaf(n.op))
        throw TapeError("OptimizedTape::set_value: node " + std::to_string(k) + " is " + std::string(op_name(n.op)) +
                        ", not a leaf (only variables and constants take new values)");
    const Shape given = Shape::of(value.rows(), value.cols(), "OptimizedTape::set_value");
    if (given != n.shape)
        throw TapeError("OptimizedTape::set_value: node " + std::to_string(k) + " is " + n.shape.to_string() +
                        " but the new value is " + given.to_string());
    if (!P.has_place[k]) return;  // the loss does not depend on it
    Eigen::Map<Eigen::MatrixXd>(P.values.data() + n.offset, given.rows, given.cols) = value;
}

std::size_t OptimizedTape::variable_elements() const { return program("variable_elements").variable_elements; }
const std::vector<OptimizedTape::Step>& OptimizedTape::steps() const { return program("steps").steps; }
std::size_t OptimizedTape::tape_nodes() const { return program("tape_nodes").tape_nodes; }
std::size_t OptimizedTape::dead_nodes() const { return program("dead_nodes").dead; }

OptimizedTape::Program& OptimizedTape::program(std::string_view where) const {
    if (!program_) [[unlikely]]
        throw TapeError("OptimizedTape::" + std::string(where) +
                        ": this plan was moved from and holds nothing (use the OptimizedTape it was moved to, or "
                        "compile the tape again)");
    return *program_;
}

}  // namespace tapegrad
