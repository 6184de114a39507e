// tapegrad/bench/bench_common.hpp — what every benchmark program shares.
//
// A case times one way of computing a gradient. Before timing, it computes the gradient
// once and compares it with the hand-written one (`verify`); on a mismatch it calls
// SkipWithError, so a fast wrong answer is never reported. After timing it sets the
// counters every case reports (`set_counters`): tape nodes and bytes (0 without a tape),
// heap allocations per gradient in steady state, and gradients per second.
//
// Names are "group/case": within a group, the cases whose name starts with
// "hand_written" are the baseline. `run_benchmarks` installs reporters that add the
// counter `x_hand` to every run — its CPU time divided by the fastest hand-written
// case's CPU time for the same statistic (the median, with --benchmark_repetitions) in
// the same run — so the ratio is never computed across runs or typed by hand.
#pragma once

#include <benchmark/benchmark.h>

#include <Eigen/Core>

#include <span>
#include <string>
#include <vector>

#include "tapegrad/autodiff/gradient_check.hpp"
#include "tapegrad/autodiff/tape.hpp"
#include "bench/allocation_counter.hpp"

namespace tapegrad::bench {

// Heap allocations per call of `f` once warm: two calls to let buffers grow, then the
// average over `calls` more.
template <class F>
double allocations_per_call(F&& f, int calls = 20) {
    f();
    f();
    const long before = allocations();
    for (int i = 0; i < calls; ++i) f();
    return static_cast<double>(allocations() - before) / calls;
}

// Compare `got` with the reference gradient `want` (gradient_check's rule); on failure
// skip the case with the checker's report as the message and return false.
bool verify(benchmark::State& state, std::span<const double> got, std::span<const double> want,
            const GradientCheckOptions& options = {});

struct CaseCounters {
    const Tape* tape = nullptr;          // tape nodes and bytes, when the case has a tape
    double allocations = 0;              // per gradient, from allocations_per_call
    double gradients_per_iteration = 1;  // 2000 for a training run
};
void set_counters(benchmark::State& state, const CaseCounters& counters);

// A whole case for a gradient of a flat parameter vector (the scaling networks): verify
// `gradient` at `start` against `want`, count its allocations, time it, set the counters.
// `gradient(theta, g)` writes the gradient into g and returns the loss.
template <class Gradient>
void time_gradient(benchmark::State& state, Gradient&& gradient, const Eigen::VectorXd& start,
                   const Eigen::VectorXd& want, const Tape* tape = nullptr) {
    Eigen::VectorXd theta = start, g;
    gradient(theta, g);
    if (!verify(state, {g.data(), static_cast<std::size_t>(g.size())},
                {want.data(), static_cast<std::size_t>(want.size())}))
        return;
    const double allocations = allocations_per_call([&] { gradient(theta, g); }, 3);
    for (auto _ : state) {
        benchmark::DoNotOptimize(theta.data());
        double loss = gradient(theta, g);
        benchmark::DoNotOptimize(loss);
        benchmark::DoNotOptimize(g.data());
    }
    set_counters(state, {tape, allocations});
}

// Initialize Google Benchmark with the command line, run the registered cases with the
// ratio-adding reporters, and return the process's exit code.
int run_benchmarks(int argc, char** argv);

}  // namespace tapegrad::bench
