/// \file
/// The compiler's kernels: the numbers of the core's generic evaluate() and sweep(), by
/// faster means. Part of the compiler (optimized_tape.hpp); the core never includes this.
///   - elementwise kernels with plain loops for the shapes that dominate real graphs
///     (both parents of the output's shape, or one a broadcast scalar: the article's
///     `w1 * x1`), a strided loop for the rest; elements whose adjoint is 0 are skipped;
///   - register kernels for small dense layers (SmallLinear, up to 4 x 4), Eigen's
///     blocked products for the rest; a product skips the half of its backward pass whose
///     parent is data nobody reads (Arenas::constant_adjoints); where an input is not
///     finite, they too pass nothing on from an element of dY that is 0, as the core does
///     (Eigen's dY B^T would make 0 * inf = NaN off the loss's path);
///   - the mean squared error, once, for the mse op and the compiler's fused steps;
///   - arenas on cache lines (CacheLineAllocator), so where they land does not change speed.
/// A kernel is opt-in per op: an op without one (a new op of TAPEGRAD_OPS, before anyone
/// writes it a kernel) declines every node, and so does an op switched off for a test
/// (set_declining_for_testing); the compiler then calls the core's evaluate() and sweep().
/// tests/test_kernels.cpp runs every op and shape class both ways and compares.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <type_traits>

#include <Eigen/Core>
#include <vector>

#include "tapegrad/autodiff/operations.hpp"
#include "tapegrad/autodiff/tape.hpp"

namespace tapegrad::kernels {

/// Allocates on 64-byte boundaries (a cache line), so where the arenas land in memory
/// does not change how fast the same graph runs.
template <class T>
struct CacheLineAllocator {
    using value_type = T;
    CacheLineAllocator() = default;
    template <class U>
    CacheLineAllocator(const CacheLineAllocator<U>&) {}
    T* allocate(std::size_t n) { return static_cast<T*>(::operator new (n * sizeof(T), std::align_val_t{64})); }
    void deallocate(T* p, std::size_t) { ::operator delete (p, std::align_val_t{64}); }
    friend bool operator==(const CacheLineAllocator&, const CacheLineAllocator&) { return true; }
};
/// A compiled plan's arena of values or adjoints.
using Arena = std::vector<double, CacheLineAllocator<double>>;

/// Copies the few numbers of a parameter into an arena, or back out: a plain loop, no
/// call into the library (for a scalar or a small matrix the call costs more).
inline void copy(const double* from, std::size_t n, double* to) {
    for (std::size_t i = 0; i < n; ++i) to[i] = from[i];
}

/// What the kernels see: a tape's storage (the core's layout, tape.hpp), and whether the
/// adjoints of constants are wanted (a compiled plan never reads them).
struct Arenas : TapeData {
    bool constant_adjoints = true;
};
/// The index of node n's p-th parent.
inline std::uint32_t parent_index(const TapeData& t, const Node& n, int p) { return t.parents[n.first_parent + p]; }

/// The mean squared error (1/N) sum (p - t)^2 of N numbers, and its backward half
/// (dp += 2 dy (p - t) / N, dt -= the same; a null dp or dt is not wanted): the one
/// implementation, called by the mse op's kernel and by the compiler's fused steps.
double mean_of_squares(const double* p, const double* t, std::size_t count, double inv_n);
void mse_gradient(double dy, const double* p, const double* t, double* dp, double* dt, std::size_t count,
                  double inv_n);

/// Linear's register kernels for a layer of at most 4 inputs and 4 outputs (K, M known at
/// compile time), used by the linear op's kernel (kernels.cpp) and the fused steps of optimized_tape.cpp:
/// W stays in registers, one pass over the rows does all the work, and the sums over the
/// rows (dW, db) build up in registers, with no horizontal additions at the end. Inputs
/// are never written, so they are __restrict even when two of them are one node.
template <int K, int M>
struct SmallLinear {
    /// Y_i: = b + X_i: W, row by row
    static void forward(const double* __restrict x, const double* __restrict w, const double* __restrict b,
                        double* __restrict y, Eigen::Index n) {
        double wr[K][M];
        for (int l = 0; l < K; ++l)
            for (int j = 0; j < M; ++j) wr[l][j] = w[l + j * K];
        for (Eigen::Index i = 0; i < n; ++i) {
            double s[M];
            for (int j = 0; j < M; ++j) s[j] = b[j];
            for (int l = 0; l < K; ++l)
                for (int j = 0; j < M; ++j) s[j] += x[i + l * n] * wr[l][j];
            for (int j = 0; j < M; ++j) y[i + j * n] = s[j];
        }
    }
    /// dW += X^T dY, db += column sums of dY, dX += dY W^T; a null output is not wanted.
    /// The outputs may be one node (linear(A, A, b)): each only ever gets +=.
    /// As in the core's sweep, an element of dY that is 0 passes nothing on, so 0 * inf (an
    /// infinite input off the loss's path) is no NaN. Multiplying it out instead gives the
    /// same numbers, to the bit, whenever no product 0 * (inf or NaN) arises: then dX's
    /// products are exact when W is finite (checked first: K M numbers), and dW's sums are
    /// recomputed without the zeros when one of them came out NaN (checked last: K M numbers).
    static void backward(const double* __restrict x, const double* __restrict w, const double* __restrict dy,
                         double* dx, double* dw, double* db, Eigen::Index n) {
        double wr[K][M], sum_w[K][M] = {}, sum_b[M] = {};
        bool w_finite = true;
        for (int l = 0; l < K; ++l)
            for (int j = 0; j < M; ++j) wr[l][j] = w[l + j * K], w_finite &= std::isfinite(wr[l][j]);
        if (w_finite)
            rows_backward<false>(x, wr, dy, dx, sum_w, sum_b, n);
        else
            rows_backward<true>(x, wr, dy, dx, sum_w, sum_b, n);
        if (dw) {
            bool nan = false;
            for (int l = 0; l < K; ++l)
                for (int j = 0; j < M; ++j) nan |= std::isnan(sum_w[l][j]);
            if (nan) [[unlikely]]
                dw_skipping_zeros(x, dy, sum_w, n);
            for (int l = 0; l < K; ++l)
                for (int j = 0; j < M; ++j) dw[l + j * K] += sum_w[l][j];
        }
        if (db)
            for (int j = 0; j < M; ++j) db[j] += sum_b[j];
    }

private:
    // One pass over the rows: dX's rows, and the sums over the rows for dW and db.
    // SkipZeros: dX's products with an element of dY that is 0 are left out (W not finite).
    template <bool SkipZeros>
    static void rows_backward(const double* __restrict x, const double (&wr)[K][M], const double* __restrict dy,
                              double* dx, double (&sum_w)[K][M], double (&sum_b)[M], Eigen::Index n) {
        for (Eigen::Index i = 0; i < n; ++i) {
            double d[M];
            for (int j = 0; j < M; ++j) {
                d[j] = dy[i + j * n];
                sum_b[j] += d[j];
            }
            for (int l = 0; l < K; ++l) {
                double sx = 0;
                for (int j = 0; j < M; ++j) {
                    sum_w[l][j] += x[i + l * n] * d[j];
                    sx += SkipZeros && d[j] == 0.0 ? 0.0 : wr[l][j] * d[j];
                }
                if (dx) dx[i + l * n] += sx;
            }
        }
    }
    // dW's sums again, an element of dY that is 0 left out (the rare case: X not finite).
    static void dw_skipping_zeros(const double* x, const double* dy, double (&sum_w)[K][M], Eigen::Index n) {
        for (int l = 0; l < K; ++l)
            for (int j = 0; j < M; ++j) {
                double s = 0;
                for (Eigen::Index i = 0; i < n; ++i)
                    if (dy[i + j * n] != 0.0) s += x[i + l * n] * dy[i + j * n];
                sum_w[l][j] = s;
            }
    }
};

/// One op's kernels (kernels.cpp, instantiated for every op of TAPEGRAD_OPS): compute
/// node `n`'s value, or add its adjoint's contributions into its parents' adjoints.
/// False when there is no kernel for the case: the generic path does it.
template <class T>
bool forward_node(const Arenas& tape, const Node& n);
template <class T>
bool backward_node(const Arenas& tape, const Node& n);

/// Whether `op` has kernels at all: false when its kernels decline every node (it has none,
/// or set_declining_for_testing switched them off), so a caller can take the generic path
/// from the start (OptimizedTape decides so per node when it compiles).
bool has_kernels(Op op);

/// For tests only: make the kernels of `op` decline every node, forwards and backwards
/// (`declining` false gives them back), so that tests can check that every caller then
/// takes the generic path and gets the same numbers. Costs the kernels one test of a bit
/// that is never set outside tests. declines_for_testing(): how many times a kernel has
/// declined because of it.
void set_declining_for_testing(Op op, bool declining = true);
std::uint64_t declines_for_testing();

}  // namespace tapegrad::kernels
