// tapegrad/bench/bench_scaling.cpp — how the tape's cost grows with width and samples.
//
// A 3 -> H -> 1 network (scaling_network.hpp) on N random samples, with an identity or
// a sigmoid hidden layer, H in {2, 32, 256} and N in {6, 600, 60000}. Per (activation,
// H, N) group, every case verifies its gradient against the hand-written loop first:
//   hand_written_loop   one pass per sample, nothing stored (a baseline)
//   hand_written_eigen  whole-matrix Eigen expressions, preallocated (a baseline)
//   tape                matmul and elementwise nodes on a cleared, reused tape (14 nodes)
//   tape_layers         linear and mean_squared_error nodes instead (10 nodes)
//   tape_layers_replay  the layers recorded once, then replayed at each gradient
//   compiled, compiled_layers   traced once, compiled (CompiledLoss), the plan run
// The two baselines are checked against each other, and against central differences
// of the loss where that is affordable (small H x N).
//
//     build/release/bench/bench_scaling --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//     build/release/bench/bench_scaling --crossover ...   H in 1..128, N in 6..6000: the crossover picture
#include <algorithm>
#include <string>
#include <string_view>

#include "bench/bench_common.hpp"
#include "bench/scaling_network.hpp"

namespace {

using namespace tapegrad;
using namespace tapegrad::bench;
using nn::Activation;

// Gradients of sums over 60000 samples, added in different orders, agree to ~1e-12
// relative; the checker's default tolerances (rtol 1e-6, atol 1e-8) leave ample room.
// A case is verified, timed and counted by time_gradient, then records its sample count.
template <class Gradient>
void time_scaling(benchmark::State& state, const ScalingProblem& problem, Gradient& gradient,
                  const Eigen::VectorXd& want, const Tape* tape = nullptr) {
    time_gradient(state, gradient, problem.start, want, tape);
    state.counters["samples"] = problem.samples();
}

// `crossover`: only the loop and the two tapes the crossover picture compares, in a group
// named crossover/... (bench_report_quick draws the picture from them).
void register_group(Activation activation, int hidden, int samples, bool crossover = false) {
    const std::string group = std::string(crossover ? "crossover/" : "scaling/") +
                              std::string(nn::activation_name(activation)) + "/H" + std::to_string(hidden) + "/N" +
                              std::to_string(samples) + "/";
    // The reference: the loop's gradient, itself checked against Eigen's and (when cheap)
    // against central differences of the loss.
    const auto reference = [=](benchmark::State& state, const ScalingProblem& problem, Eigen::VectorXd& want) {
        LoopGradient loop(problem);
        EigenGradient eigen(problem);
        Eigen::VectorXd other;
        loop(problem.start, want);
        eigen(problem.start, other);
        const std::span<const double> a{want.data(), static_cast<std::size_t>(want.size())};
        if (!verify(state, a, {other.data(), static_cast<std::size_t>(other.size())})) return false;
        if (static_cast<double>(problem.parameters()) * hidden * samples <= 2e7) {
            const auto loss = [&](std::span<const double> x) {
                return scaling_loss(problem, Eigen::Map<const Eigen::VectorXd>(x.data(), std::ssize(x)));
            };
            const std::vector<double> numeric = central_differences(loss, {problem.start.data(), a.size()});
            if (!verify(state, a, numeric)) return false;
        }
        return true;
    };
    const auto make = [=] { return make_scaling_problem(hidden, samples, activation); };
    const benchmark::TimeUnit unit =
        static_cast<double>(hidden) * samples >= 1e5 ? benchmark::kMicrosecond : benchmark::kNanosecond;

    benchmark::RegisterBenchmark((group + "hand_written_loop").c_str(), [=](benchmark::State& state) {
        const ScalingProblem problem = make();
        Eigen::VectorXd want;
        if (!reference(state, problem, want)) return;
        LoopGradient gradient(problem);
        time_scaling(state, problem, gradient, want);
    })->Unit(unit);
    if (!crossover) benchmark::RegisterBenchmark((group + "hand_written_eigen").c_str(), [=](benchmark::State& state) {
        const ScalingProblem problem = make();
        Eigen::VectorXd want;
        LoopGradient{problem}(problem.start, want);
        EigenGradient gradient(problem);
        time_scaling(state, problem, gradient, want);
    })->Unit(unit);
    const auto tape_case = [&](const char* name, ScalingForm form, nn::Reuse reuse) {
        benchmark::RegisterBenchmark((group + name).c_str(), [=](benchmark::State& state) {
            const ScalingProblem problem = make();
            Eigen::VectorXd want;
            LoopGradient{problem}(problem.start, want);
            TapeScalingGradient gradient(problem, form, reuse);
            time_scaling(state, problem, gradient, want, &gradient.tape());
        })->Unit(unit);
    };
    tape_case("tape", ScalingForm::elementwise, nn::Reuse::record_each_time);
    if (crossover) {
        tape_case("compiled_layers", ScalingForm::layers, nn::Reuse::compiled);
        return;
    }
    tape_case("tape_layers", ScalingForm::layers, nn::Reuse::record_each_time);
    tape_case("tape_layers_replay", ScalingForm::layers, nn::Reuse::replay);
    tape_case("compiled", ScalingForm::elementwise, nn::Reuse::compiled);
    tape_case("compiled_layers", ScalingForm::layers, nn::Reuse::compiled);
}

}  // namespace

// --crossover: instead of the table's groups, a finer grid of widths and sample counts
// (identity hidden layer) for the crossover picture of chapter 9.
int main(int argc, char** argv) {
    const auto end = std::remove(argv + 1, argv + argc, std::string_view("--crossover"));
    const bool crossover = end != argv + argc;
    argc = static_cast<int>(end - argv);
    if (crossover) {
        for (int hidden : {1, 2, 4, 8, 16, 32, 64, 128})
            for (int samples : {6, 60, 600, 6000}) register_group(Activation::identity, hidden, samples, true);
    } else {
        for (Activation a : {Activation::identity, Activation::sigmoid})
            for (int hidden : {2, 32, 256})
                for (int samples : {6, 600, 60000}) register_group(a, hidden, samples);
    }
    return run_benchmarks(argc, argv);
}
