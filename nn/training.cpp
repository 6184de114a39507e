// tapegrad/nn/training.cpp — the training loop and the history's CSV.
#include "tapegrad/nn/training.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <memory>
#include <ostream>
#include <stdexcept>

#include "tapegrad/nn/article.hpp"

namespace tapegrad::nn {

std::string_view gradient_source_name(GradientSource s) {
    switch (s) {
        case GradientSource::tape: return "tape";
        case GradientSource::chain_rule: return "chain-rule";
        case GradientSource::article: return "article";
    }
    return "?";
}

std::optional<GradientSource> parse_gradient_source(std::string_view name) {
    for (GradientSource s : {GradientSource::tape, GradientSource::chain_rule, GradientSource::article})
        if (name == gradient_source_name(s)) return s;
    return std::nullopt;
}

std::string History::csv_header() {
    std::string h = "iteration,rmse";
    for (auto name : parameter_names) h += "," + std::string(name) + "_gradient";
    for (auto name : parameter_names) h += "," + std::string(name);
    return h;
}

void History::write_csv_row(std::ostream& out, const IterationRecord& row) {
    char line[24 * 26 + 16];
    char* end = std::to_chars(line, line + 16, row.iteration).ptr;
    auto put = [&](double x) {
        *end++ = ',';
        end = std::to_chars(end, line + sizeof line, x, std::chars_format::general, 17).ptr;
    };
    put(row.rmse);
    for (double g : row.gradient.values) put(g);
    for (double p : row.parameters.values) put(p);
    *end++ = '\n';
    out.write(line, end - line);
}

void History::write_csv(std::ostream& out) const {
    out << csv_header() << '\n';
    for (const auto& r : rows) write_csv_row(out, r);
}

GradientFunction gradient_function(const HealthNetwork& network, GradientSource source, Recording recording,
                                   Reuse reuse) {
    switch (source) {
        case GradientSource::tape: {
            auto tape = std::make_shared<TapeGradient>(network, recording, reuse);
            return [tape](const Parameters& p, Parameters& g) { return (*tape)(p, g); };
        }
        case GradientSource::chain_rule:
            return [&network](const Parameters& p, Parameters& g) {
                double loss = 0;
                g = network.chain_rule_gradient(p, &loss);
                return loss;
            };
        case GradientSource::article:
            return [&network](const Parameters& p, Parameters& g) { return article::gradient(network, p, g); };
    }
    throw std::invalid_argument("unknown gradient source");
}

TrainingResult train(const GradientFunction& gradient, const Parameters& start, const TrainingOptions& options,
                     const IterationCallback& each_iteration) {
    if (!(options.learning_rate > 0) || !std::isfinite(options.learning_rate))
        throw std::invalid_argument("learning rate must be a positive finite number");
    if (options.iterations <= 0) throw std::invalid_argument("iterations must be at least 1");

    TrainingResult result;
    result.initial = start;
    // Room for the usual run up front (no reallocation in a 2000-iteration loop); longer
    // histories grow as they go.
    if (options.keep_history)
        result.history.rows.reserve(static_cast<std::size_t>(std::min(options.iterations, 100000)));
    Parameters p = start, g;
    IterationRecord row;
    for (int i = 0; i < options.iterations; ++i) {
        const double loss = gradient(p, g);
        if (i == 0) result.initial_rmse = std::sqrt(loss);
        if (!std::isfinite(loss)) {
            result.diverged = true;
            result.diverged_at = i;
            result.divergence = "diverged at iteration " + std::to_string(i) + ": the loss became " +
                                (std::isnan(loss) ? "NaN" : "infinite") +
                                (i == 0 ? " at the starting parameters" : " (try a smaller learning rate)");
            break;
        }
        row.iteration = i;
        row.rmse = std::sqrt(loss);
        row.gradient = g;
        for (std::size_t k = 0; k < parameter_count; ++k) p[k] -= options.learning_rate * g[k];
        row.parameters = p;
        result.iterations_done = i + 1;
        if (options.keep_history) result.history.rows.push_back(row);
        if (each_iteration) each_iteration(row);
    }
    result.final = p;
    Parameters unused;
    result.final_rmse = std::sqrt(gradient(p, unused));
    return result;
}

}  // namespace tapegrad::nn
