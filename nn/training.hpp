/// \file
/// Full-batch gradient descent, recorded like the article's data frame.
///
/// Each iteration: compute the loss and the gradient at the current parameters (from the
/// chosen source), then step every parameter against its gradient:
///     parameter -= learning_rate * gradient
/// The article's settings are the defaults: learning rate 0.005, 2000 iterations. Its
/// data frame stored one row per iteration; `History` does the same — the RMSE and the
/// gradient at the parameters *before* that iteration's update, and the parameters
/// *after* it — and writes it as CSV.
///
/// Every source of the gradient has one signature, `GradientFunction`: the loss at the
/// parameters returned, the gradient written into `Parameters`. `train()` takes any of
/// them: the tape (`TapeGradient`), the chain rule by hand, the article's functions, or a
/// caller's own (the benchmarks' hand-written baseline).
///
/// Memory stays flat in the number of iterations: the rows are kept in `History` only
/// when `keep_history` asks for them; `each_iteration` sees every row as it is made (the
/// programs stream the CSV to its file that way).
///
/// A loss that becomes inf or NaN (too large a learning rate) stops training at that
/// iteration; the rows before it are kept and the result says where and why.
#pragma once

#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tapegrad/nn/health_network.hpp"
#include "tapegrad/nn/parameters.hpp"

namespace tapegrad::nn {

enum class GradientSource { tape, chain_rule, article };
std::string_view gradient_source_name(GradientSource s);  // "tape", "chain-rule", "article"
std::optional<GradientSource> parse_gradient_source(std::string_view name);

/// The loss at `p` returned, its gradient written into `gradient`.
using GradientFunction = std::function<double(const Parameters& p, Parameters& gradient)>;

/// The network's gradient from `source`. With the tape: how the loss is recorded, and
/// whether later calls replay the first recording (health_network.hpp); the defaults are
/// the article's numpy lines, recorded afresh each time. The network must outlive it.
GradientFunction gradient_function(const HealthNetwork& network, GradientSource source,
                                   Recording recording = Recording::batched, Reuse reuse = Reuse::record_each_time);

struct TrainingOptions {
    double learning_rate = 0.005;
    int iterations = 2000;
    bool keep_history = true;  ///< keep every row in TrainingResult::history (memory grows with iterations)
};

struct IterationRecord {
    int iteration = 0;      ///< 0-based, like the article's data frame
    double rmse = 0;        ///< at the parameters before this iteration's update
    Parameters gradient;    ///< likewise
    Parameters parameters;  ///< after the update
};

struct History {
    std::vector<IterationRecord> rows;

    /// iteration,rmse,w1_gradient,...,b3_gradient,w1,...,b3 — then one row per iteration,
    /// every number with 17 significant digits so that it reads back as the same double.
    static std::string csv_header();
    static void write_csv_row(std::ostream& out, const IterationRecord& row);
    void write_csv(std::ostream& out) const;
};

struct TrainingResult {
    Parameters initial;
    Parameters final;  ///< after the last completed update
    double initial_rmse = 0;
    double final_rmse = 0;  ///< at the final parameters
    History history;        ///< empty unless TrainingOptions::keep_history
    int iterations_done = 0;
    bool diverged = false;
    int diverged_at = -1;    ///< the iteration whose loss was not finite
    std::string divergence;  ///< what happened: "diverged at iteration 5: the loss became infinite ..."
};

/// Called with every row as soon as it is made.
using IterationCallback = std::function<void(const IterationRecord& row)>;

/// Gradient descent from `start` with any gradient source. The initial and final RMSE
/// come from `gradient` too (one more call at the final parameters).
TrainingResult train(const GradientFunction& gradient, const Parameters& start, const TrainingOptions& options,
                     const IterationCallback& each_iteration = {});

}  // namespace tapegrad::nn
