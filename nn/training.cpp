// tapegrad/nn/training.cpp — the training loop and the history's CSV.
#include "tapegrad/nn/training.hpp"

#include <cmath>
#include <cstdio>
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

void History::write_csv(std::ostream& out) const {
    out << csv_header() << '\n';
    char buf[40];
    auto put = [&](double x) {
        std::snprintf(buf, sizeof buf, ",%.17g", x);
        out << buf;
    };
    for (const auto& r : rows) {
        out << r.iteration;
        put(r.rmse);
        for (double g : r.gradient.values) put(g);
        for (double p : r.parameters.values) put(p);
        out << '\n';
    }
}

TrainingResult train(const HealthNetwork& network, const Parameters& start, const TrainingOptions& options,
                     const ProgressCallback& progress, int progress_every) {
    if (!(options.learning_rate > 0) || !std::isfinite(options.learning_rate))
        throw std::invalid_argument("learning rate must be a positive finite number");
    if (options.iterations <= 0) throw std::invalid_argument("iterations must be at least 1");

    TrainingResult result;
    result.initial = start;
    result.history.rows.reserve(static_cast<std::size_t>(options.iterations));
    TapeGradient tape_gradient(network, options.recording, options.reuse);

    Parameters p = start, g;
    for (int i = 0; i < options.iterations; ++i) {
        double loss = 0;
        switch (options.source) {
            case GradientSource::tape: loss = tape_gradient(p, g); break;
            case GradientSource::chain_rule: g = network.chain_rule_gradient(p, &loss); break;
            case GradientSource::article: loss = article::gradient(network, p, g); break;
        }
        if (!std::isfinite(loss)) {
            result.diverged = true;
            result.diverged_at = i;
            result.divergence = "diverged at iteration " + std::to_string(i) + ": the loss became " +
                                (std::isnan(loss) ? "NaN" : "infinite") + " (try a smaller learning rate)";
            break;
        }
        IterationRecord row;
        row.iteration = i;
        row.rmse = std::sqrt(loss);
        row.gradient = g;
        for (std::size_t k = 0; k < parameter_count; ++k) p[k] -= options.learning_rate * g[k];
        row.parameters = p;
        result.history.rows.push_back(row);
        if (progress && (i + 1) % progress_every == 0) progress(i, row.rmse);
    }
    result.final = p;
    result.initial_rmse = std::sqrt(network.loss(start));
    result.final_rmse = std::sqrt(network.loss(p));
    return result;
}

}  // namespace tapegrad::nn
