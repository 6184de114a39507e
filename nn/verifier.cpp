// tapegrad/nn/verifier.cpp — the four gradients, the gate, and the verdicts.
#include "tapegrad/nn/verifier.hpp"

#include <cmath>
#include <cstdio>
#include <sstream>

#include "tapegrad/autodiff/format.hpp"
#include "tapegrad/nn/article.hpp"
#include "tapegrad/nn/training.hpp"

namespace tapegrad::nn {

std::string_view verdict_name(Verdict v) {
    switch (v) {
        case Verdict::agrees: return "agrees";
        case Verdict::agrees_up_to_factor: return "agrees-up-to-factor";
        case Verdict::differs: return "differs";
    }
    return "?";
}

namespace {

std::string fmt(const char* format, double x) { return format_number(x, format); }

bool near(double a, double b, double rtol) { return std::abs(a - b) <= rtol * std::max(std::abs(a), std::abs(b)); }

// The ratio article / tape that the most parameters share (ties: the first found).
double common_factor(const std::vector<ParameterVerdict>& rows, double rtol) {
    double best = 1.0;
    int best_count = 0;
    for (const auto& a : rows) {
        if (a.tape == 0) continue;
        const double r = a.article / a.tape;
        int count = 0;
        for (const auto& b : rows)
            if (b.tape != 0 && near(b.article / b.tape, r, rtol)) ++count;
        if (count > best_count) {
            best_count = count;
            best = r;
        }
    }
    return best;
}

// What a differing parameter's article value is instead, in words, from the numbers.
std::string explain_difference(const ParameterVerdict& row, std::size_t index,
                               const std::vector<ParameterVerdict>& rows, const Parameters& start, double factor,
                               double rtol) {
    std::string note = "article = tape x " + fmt("%.6g", row.tape == 0 ? NAN : row.article / row.tape) + ", not x " +
                       describe_factor(factor);
    for (std::size_t q = 0; q < rows.size(); ++q)
        if (q != index && rows[q].tape != 0 && near(row.article, factor * rows[q].tape, rtol))
            note += "; it equals " + describe_factor(factor) + " x the gradient of " + rows[q].name;
    // A missing weight: article = factor * tape / w for one of the weights w.
    for (std::size_t k = w1; k <= w8; ++k)
        if (row.tape != 0 && start[k] != 0 && near(row.article * start[k], factor * row.tape, rtol)) {
            note += "; the chain rule's factor " + std::string(parameter_names[k]) + " (= " + fmt("%.6g", start[k]) +
                    ") is missing";
            if ((index == b1 && k == w7) || (index == b2 && k == w8))
                note += ": back_propagation_layer_1 sets three = 1 for " + row.name + ", where dZ/dh" +
                        (index == b1 ? "1 = w7" : "2 = w8") + " belongs";
        }
    return note;
}

}  // namespace

std::string describe_factor(double factor) {
    if (factor != 0) {
        const double inverse = 1 / factor;
        const double whole = std::round(inverse);
        if (whole != 0 && std::abs(inverse - whole) <= 1e-9 * std::abs(whole))
            return whole == 1 ? "1" : "1/" + fmt("%.0f", whole);
    }
    return fmt("%.6g", factor);
}

Verification verify(const HealthNetwork& network, const Parameters& start, const VerifierOptions& options) {
    Verification v;
    v.activation = network.activation();
    v.people = network.people();

    Parameters tape, chain, article;
    gradient_function(network, GradientSource::tape)(start, tape);
    gradient_function(network, GradientSource::chain_rule)(start, chain);
    gradient_function(network, GradientSource::article)(start, article);

    std::vector<std::string> names(parameter_names.begin(), parameter_names.end());
    GradientCheckOptions chain_options;
    chain_options.rtol = options.chain_rule_rtol;
    chain_options.atol = options.chain_rule_atol;
    v.tape_vs_chain_rule = compare_gradients(names, tape.values, chain.values, chain_options);

    // Central differences of the loss judge the very tape gradient shown in the table,
    // allowing for the step's rounding error (gradient_check.hpp).
    const auto loss_at = [&network](std::span<const double> x) {
        Parameters p;
        std::copy(x.begin(), x.end(), p.values.begin());
        return network.loss(p);
    };
    std::vector<double> rounding;
    const std::vector<double> numeric =
        central_differences(loss_at, start.values, options.finite_difference.step, &rounding);
    v.tape_vs_finite_difference = compare_gradients(names, tape.values, numeric, options.finite_difference, rounding);

    for (std::size_t i = 0; i < parameter_count; ++i) {
        ParameterVerdict row;
        row.name = names[i];
        row.value = start[i];
        row.tape = tape[i];
        row.chain_rule = chain[i];
        row.finite_difference = v.tape_vs_finite_difference.parameters[i].numeric;
        row.article = article[i];
        row.ratio = article[i] != 0 ? tape[i] / article[i] : NAN;  // undefined when the article's is 0
        v.parameters.push_back(row);
    }
    v.common_factor = common_factor(v.parameters, options.factor_rtol);
    const double n = static_cast<double>(v.people);
    for (std::size_t i = 0; i < parameter_count; ++i) {
        ParameterVerdict& row = v.parameters[i];
        const double r = row.tape == 0 ? (row.article == 0 ? 1.0 : NAN) : row.article / row.tape;
        if (near(r, 1.0, options.factor_rtol)) {
            row.verdict = Verdict::agrees;
            row.note = row.tape == 0 && row.article == 0 ? "both are 0 at this point"
                                                         : "the article's function gives the true gradient";
        } else if (near(r, v.common_factor, options.factor_rtol)) {
            row.verdict = Verdict::agrees_up_to_factor;
            row.note = "article = tape x " + describe_factor(v.common_factor);
            if (near(v.common_factor, 1 / n, options.factor_rtol))
                row.note += ": d_MSE already divides by n = " + fmt("%.0f", n) +
                            ", then np.mean(gradient) in back_propagation_layer_" +
                            (i < w7 || i == b1 || i == b2 ? "1" : "2") + " divides by n again";
        } else {
            row.verdict = Verdict::differs;
            row.note = explain_difference(row, i, v.parameters, start, v.common_factor, options.factor_rtol);
        }
    }
    // Where the loss itself overflows at x +- h, central differences have nothing to say
    // (inf - inf): inconclusive, not a failed gradient. The gate then rests on the chain rule.
    bool finite_differences_hold = true;
    for (const ParameterCheck& p : v.tape_vs_finite_difference.parameters) {
        if (p.passed) continue;
        if (!std::isfinite(p.numeric) && std::isfinite(p.analytic))
            v.inconclusive.push_back(p.name);
        else
            finite_differences_hold = false;
    }
    v.passed = v.tape_vs_chain_rule.passed && finite_differences_hold;
    return v;
}

std::string Verification::to_text() const {
    std::ostringstream out;
    out << "Gradient of the MSE at the starting parameters (" << activation_name(activation) << " output, " << people
        << " people), from four sources:\n\n";
    char line[512];
    std::snprintf(line, sizeof line, "%-5s %10s %15s %15s %15s %15s %12s  %s\n", "param", "value", "tape", "chain rule",
                  "finite diff.", "article", "tape/article", "verdict");
    out << line;
    for (const auto& p : parameters) {
        const std::string ratio = std::isfinite(p.ratio) ? fmt("%.6g", p.ratio) : "n/a";
        // The value in fixed point while it fits its 10 characters, else in scientific
        // notation: 1e200 must not print a 200-digit column.
        const std::string value = fmt(std::abs(p.value) < 1e3 ? "%.6f" : "%.3e", p.value);
        std::snprintf(line, sizeof line, "%-5s %10s %15.8e %15.8e %15.8e %15.8e %12s  %s\n", p.name.c_str(),
                      value.c_str(), p.tape, p.chain_rule, p.finite_difference, p.article, ratio.c_str(),
                      std::string(verdict_name(p.verdict)).c_str());
        out << line;
    }
    out << "\nNotes on the article's functions:\n";
    for (const auto& p : parameters)
        out << "  " << p.name << ": " << verdict_name(p.verdict) << " - " << p.note << "\n";

    const auto& c = tape_vs_chain_rule.worst_parameter();
    const auto& f = tape_vs_finite_difference.worst_parameter();
    out << "\nGate: tape vs chain rule, worst " << c.name << " at " << fmt("%.2g", c.rel_error) << " relative (limit "
        << fmt("%.0e", tape_vs_chain_rule.options.rtol) << "): " << (tape_vs_chain_rule.passed ? "pass" : "FAIL")
        << "\n";
    if (!inconclusive.empty()) {
        out << "      tape vs central differences: inconclusive for";
        for (const auto& name : inconclusive) out << ' ' << name;
        out << " (the loss overflows at x +- h, so the difference is inf - inf); the gate rests on the chain rule "
               "there\n";
    }
    if (inconclusive.size() < tape_vs_finite_difference.parameters.size())
        out << "      tape vs central differences, worst " << f.name << " at " << fmt("%.2g", f.abs_error)
            << " absolute (limit " << fmt("%.0e", tape_vs_finite_difference.options.atol) << " + "
            << fmt("%.0e", tape_vs_finite_difference.options.rtol) << " x |numeric| + rounding "
            << fmt("%.0e", f.rounding) << "): " << (tape_vs_finite_difference.passed ? "pass" : "FAIL") << "\n";
    out << (passed ? "The tape's gradient is verified.\n"
                   : "The tape's gradient is NOT verified: training must not start.\n");
    return out.str();
}

}  // namespace tapegrad::nn
