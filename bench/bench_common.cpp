// tapegrad/bench/bench_common.cpp — verification, counters, and the reporters that add
// the ratio to the hand-written baseline.
//
// Google Benchmark reports the runs of one case at a time, in registration order, so a
// group's hand-written cases (registered first) are seen before the cases compared with
// them. The reporter remembers the fastest hand-written CPU time per group and statistic
// and divides every later run of the group by it. CPU time, not wall time: the machine
// is shared, and a descheduled thread inflates wall time but not CPU time.
#include "bench/bench_common.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <string_view>
#include <utility>

namespace tapegrad::bench {

bool verify(benchmark::State& state, std::span<const double> got, std::span<const double> want,
            const GradientCheckOptions& options) {
    std::vector<std::string> names;
    for (std::size_t i = 0; i < got.size(); ++i) names.push_back("g" + std::to_string(i));
    if (got.size() != want.size()) {
        state.SkipWithError("gradient has the wrong number of entries");
        return false;
    }
    const GradientReport report = compare_gradients(names, got, want, options);
    if (report.passed) return true;
    static std::string message;  // SkipWithError keeps the pointer until the run is reported
    const ParameterCheck& worst = report.worst_parameter();
    message = "gradient differs from the hand-written one: " + std::to_string(report.failures()) + " of " +
              std::to_string(got.size()) + " entries, worst " + worst.name + " = " + std::to_string(worst.analytic) +
              " vs " + std::to_string(worst.numeric);
    state.SkipWithError(message.c_str());
    return false;
}

void set_counters(benchmark::State& state, const CaseCounters& c) {
    state.counters["nodes"] = c.tape ? static_cast<double>(c.tape->size()) : 0.0;
    state.counters["tape_bytes"] = c.tape ? static_cast<double>(c.tape->memory_bytes()) : 0.0;
    state.counters["allocs"] = c.allocations;
    state.counters["grad/s"] =
        benchmark::Counter(c.gradients_per_iteration, benchmark::Counter::kIsIterationInvariantRate);
}

namespace {

using Run = benchmark::BenchmarkReporter::Run;

// "health/identity/tape_batched" -> group "health/identity", case "tape_batched".
std::pair<std::string, std::string> split_name(const std::string& name) {
    const auto slash = name.rfind('/');
    if (slash == std::string::npos) return {"", name};
    return {name.substr(0, slash), name.substr(slash + 1)};
}

class RatioBook {
public:
    void annotate(std::vector<Run>& runs) {
        for (Run& run : runs) {
            if (run.error_occurred) continue;
            if (run.run_type == Run::RT_Aggregate &&
                (run.aggregate_unit != benchmark::kTime || run.aggregate_name == "stddev"))
                continue;
            const auto [group, name] = split_name(run.run_name.function_name);
            const std::string key = group + '|' + run.aggregate_name + '|' +
                                    std::to_string(run.run_type == Run::RT_Iteration ? run.repetition_index : -1);
            const double seconds = run.GetAdjustedCPUTime() / benchmark::GetTimeUnitMultiplier(run.time_unit);
            if (name.rfind("hand_written", 0) == 0) {
                auto [it, fresh] = baseline_.try_emplace(key, seconds);
                if (!fresh) it->second = std::min(it->second, seconds);
            }
            if (const auto it = baseline_.find(key); it != baseline_.end() && it->second > 0)
                run.counters["x_hand"] = benchmark::Counter(seconds / it->second);
        }
    }

private:
    std::map<std::string, double> baseline_;
};

template <class Base>
class WithRatios : public Base {
public:
    using Base::Base;
    void ReportRuns(const std::vector<Run>& runs) override {
        std::vector<Run> copy = runs;
        book_.annotate(copy);
        Base::ReportRuns(copy);
    }

private:
    RatioBook book_;
};

std::string flag_value(int argc, char** argv, std::string_view flag) {
    std::string value;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg.size() > flag.size() && arg.substr(0, flag.size()) == flag && arg[flag.size()] == '=')
            value = std::string(arg.substr(flag.size() + 1));
    }
    return value;
}

}  // namespace

int run_benchmarks(int argc, char** argv) {
    // Read the output flags before Initialize removes them from argv.
    const std::string format = flag_value(argc, argv, "--benchmark_format");
    const std::string out = flag_value(argc, argv, "--benchmark_out");
    const std::string out_format = flag_value(argc, argv, "--benchmark_out_format");
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

    std::unique_ptr<benchmark::BenchmarkReporter> display, file;
    if (format.empty() || format == "console")
        display = std::make_unique<WithRatios<benchmark::ConsoleReporter>>(
            isatty(STDOUT_FILENO) ? benchmark::ConsoleReporter::OO_Defaults : benchmark::ConsoleReporter::OO_Tabular);
    else if (format == "json")
        display = std::make_unique<WithRatios<benchmark::JSONReporter>>();
    if (!out.empty() && (out_format.empty() || out_format == "json"))
        file = std::make_unique<WithRatios<benchmark::JSONReporter>>();
    // A null reporter means "Google Benchmark's default" (csv, or an output file in
    // another format): those runs have no x_hand counter.
    benchmark::RunSpecifiedBenchmarks(display.get(), file.get());
    benchmark::Shutdown();
    return 0;
}

}  // namespace tapegrad::bench
