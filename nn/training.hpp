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

struct TrainingOptions {
    double learning_rate = 0.005;
    int iterations = 2000;
    GradientSource source = GradientSource::tape;
    /// With the tape: how the loss is recorded, and whether later iterations replay the
    /// first recording (health_network.hpp). The defaults are the article's numpy lines,
    /// recorded afresh each iteration.
    Recording recording = Recording::batched;
    Reuse reuse = Reuse::record_each_time;
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
    void write_csv(std::ostream& out) const;
};

struct TrainingResult {
    Parameters initial;
    Parameters final;  ///< after the last completed update
    double initial_rmse = 0;
    double final_rmse = 0;  ///< at the final parameters
    History history;
    bool diverged = false;
    int diverged_at = -1;    ///< the iteration whose loss was not finite
    std::string divergence;  ///< what happened: "diverged at iteration 5: the loss became infinite ..."
};

/// Called every `progress_every` iterations with the iteration and its RMSE.
using ProgressCallback = std::function<void(int iteration, double rmse)>;

TrainingResult train(const HealthNetwork& network, const Parameters& start, const TrainingOptions& options,
                     const ProgressCallback& progress = {}, int progress_every = 100);

}  // namespace tapegrad::nn
