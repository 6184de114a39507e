// tapegrad/autodiff/gradient_check.cpp — central differences and the report.
#include "tapegrad/autodiff/gradient_check.hpp"

#include "tapegrad/autodiff/format.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <ostream>
#include <random>
#include <stdexcept>
#include <sstream>

namespace tapegrad {

namespace {

// How far outside its threshold a parameter is: > 1 fails. NaN counts as infinitely far.
double excess(const ParameterCheck& p) {
    if (std::isnan(p.abs_error)) return std::numeric_limits<double>::infinity();
    return p.abs_error / p.tolerance;
}

// How many units of rounding (eps |f|) each of f(x + h) and f(x - h) is allowed: a loss
// summed from a few terms carries a few; 16 leaves room without hiding a wrong gradient
// (those are off by factors, not by eps).
constexpr double rounding_units = 16;

double step_for(double x, double step) { return step * std::max(1.0, std::abs(x)); }

}  // namespace

std::size_t GradientReport::failures() const {
    return static_cast<std::size_t>(
        std::count_if(parameters.begin(), parameters.end(), [](const ParameterCheck& p) { return !p.passed; }));
}

GradientReport compare_gradients(const std::vector<std::string>& names, std::span<const double> analytic,
                                 std::span<const double> numeric, const GradientCheckOptions& options,
                                 std::span<const double> rounding) {
    if (names.size() != analytic.size() || analytic.size() != numeric.size() ||
        (!rounding.empty() && rounding.size() != numeric.size()))
        throw std::invalid_argument("compare_gradients: " + std::to_string(names.size()) + " names, " +
                                    std::to_string(analytic.size()) + " analytic and " +
                                    std::to_string(numeric.size()) + " numeric values (must be equal)");
    GradientReport report;
    report.options = options;
    double worst_excess = -1;
    for (std::size_t i = 0; i < names.size(); ++i) {
        ParameterCheck p;
        p.name = names[i];
        p.analytic = analytic[i];
        p.numeric = numeric[i];
        p.abs_error = std::abs(p.analytic - p.numeric);
        p.rel_error = p.abs_error == 0 ? 0.0 : p.abs_error / std::abs(p.numeric);
        p.rounding = rounding.empty() ? 0.0 : rounding[i];
        p.tolerance = options.atol + options.rtol * std::abs(p.numeric) + p.rounding;
        p.passed = p.abs_error <= p.tolerance;  // false for NaN
        const double e = excess(p);
        if (e > worst_excess) {
            worst_excess = e;
            report.worst = i;
        }
        report.passed = report.passed && p.passed;
        report.parameters.push_back(std::move(p));
    }
    return report;
}

std::vector<double> central_differences(const std::function<double(std::span<const double>)>& f,
                                        std::span<const double> point, double step, std::vector<double>* rounding) {
    std::vector<double> x(point.begin(), point.end());
    std::vector<double> g(x.size());
    if (rounding) rounding->assign(x.size(), 0.0);
    for (std::size_t i = 0; i < x.size(); ++i) {
        const double x0 = x[i], h = step_for(x0, step);
        x[i] = x0 + h;
        const double xp = x[i], fp = f(x);
        x[i] = x0 - h;
        const double xm = x[i], fm = f(x);
        x[i] = x0;
        g[i] = (fp - fm) / (xp - xm);  // the step actually taken, after rounding
        if (rounding)
            (*rounding)[i] = rounding_units * std::numeric_limits<double>::epsilon() *
                             std::max(std::abs(fp), std::abs(fm)) / (xp - xm);
    }
    return g;
}

GradientReport check_directions(const std::function<double(std::span<const double>)>& f,
                                std::span<const double> point, std::span<const double> gradient,
                                const GradientCheckOptions& options, int directions, std::uint64_t seed,
                                const std::function<void(int)>& progress) {
    if (gradient.size() != point.size() || directions < 1)
        throw std::invalid_argument("check_directions: " + std::to_string(gradient.size()) + " gradient entries for " +
                                    std::to_string(point.size()) + " parameters, " + std::to_string(directions) +
                                    " directions (need equal sizes and at least one direction)");
    constexpr double eps = std::numeric_limits<double>::epsilon();
    // Every parameter moves, so every term of f rounds differently at x⁺ and x⁻: the two
    // values' rounding errors add up like a random walk over the terms, sqrt(n) times the
    // units the full check allows for one parameter (measured on sums of 1,000 and 200,000
    // terms, 20 directions each: at most 0.04 of this bound).
    const double units = rounding_units * std::sqrt(static_cast<double>(point.size()));
    std::mt19937_64 random(seed);  // one sign per bit: the same directions on every platform
    std::vector<double> plus(point.size()), minus(point.size());
    std::vector<std::string> names;
    std::vector<double> analytic, numeric, rounding;
    for (int k = 0; k < directions; ++k) {
        std::uint64_t bits = 0;
        double along = 0, along_size = 0;  // g·(x⁺ - x⁻), and the sum of its terms' sizes
        for (std::size_t i = 0; i < point.size(); ++i) {
            if (i % 64 == 0) bits = random();
            const double d = ((bits >> (i % 64)) & 1 ? 1.0 : -1.0) * std::max(1.0, std::abs(point[i]));
            plus[i] = point[i] + options.step * d;
            minus[i] = point[i] - options.step * d;
            along += gradient[i] * (plus[i] - minus[i]);
            along_size += std::abs(gradient[i] * (plus[i] - minus[i]));
        }
        const double fp = f(plus), fm = f(minus), width = 2 * options.step;
        names.push_back("direction " + std::to_string(k + 1));
        analytic.push_back(along / width);
        numeric.push_back((fp - fm) / width);
        rounding.push_back(units * eps * (std::max(std::abs(fp), std::abs(fm)) + along_size) / width);
        if (progress) progress(k + 1);
    }
    return compare_gradients(names, analytic, numeric, options, rounding);
}

GradientReport check_gradient(const TapeFunction& f, const std::vector<Eigen::MatrixXd>& point,
                              const GradientCheckOptions& options, const std::vector<std::string>& names) {
    if (!names.empty() && names.size() != point.size())
        throw std::invalid_argument("check_gradient: " + std::to_string(names.size()) + " names for " +
                                    std::to_string(point.size()) + " parameters");
    Tape tape;
    std::vector<Var> vars;
    auto record = [&](const std::vector<Eigen::MatrixXd>& at) {
        tape.clear();
        vars.clear();
        for (const auto& m : at) vars.push_back(tape.variable(m));
        const Var out = f(tape, vars);
        if (!out.shape().is_scalar())
            throw TapeError("check_gradient: the function must return a 1x1 Var, got " + out.shape().to_string());
        return out;
    };

    // Analytic: one recording, one sweep.
    std::vector<std::string> labels;
    std::vector<double> analytic;
    {
        const Var out = record(point);
        tape.gradient(out);
        for (std::size_t p = 0; p < point.size(); ++p) {
            const std::string base = names.empty() ? "x" + std::to_string(p) : names[p];
            const auto adj = vars[p].adjoint();
            for (Eigen::Index j = 0; j < adj.cols(); ++j)
                for (Eigen::Index i = 0; i < adj.rows(); ++i) {
                    analytic.push_back(adj(i, j));
                    labels.push_back(adj.size() == 1 ? base
                                                     : base + "(" + std::to_string(i) + "," + std::to_string(j) + ")");
                }
        }
    }

    // Numeric: the function of a flat vector of every element, re-recorded per call.
    std::vector<double> flat;
    for (const auto& m : point) flat.insert(flat.end(), m.data(), m.data() + m.size());
    std::vector<Eigen::MatrixXd> at = point;
    auto value_at = [&](std::span<const double> x) {
        std::size_t k = 0;
        for (auto& m : at)
            for (Eigen::Index e = 0; e < m.size(); ++e) m.data()[e] = x[k++];
        return record(at).scalar_value();
    };
    std::vector<double> rounding;
    const std::vector<double> numeric = central_differences(value_at, flat, options.step, &rounding);
    return compare_gradients(labels, analytic, numeric, options, rounding);
}

GradientReport check_gradient(const TapeFunction& f, const std::vector<double>& point,
                              const GradientCheckOptions& options, const std::vector<std::string>& names) {
    std::vector<Eigen::MatrixXd> matrices;
    for (double x : point) matrices.push_back(Eigen::MatrixXd::Constant(1, 1, x));
    return check_gradient(f, matrices, options, names);
}

std::string GradientReport::to_string() const {
    std::ostringstream out;
    const std::size_t failed = failures();
    out << "gradient check " << (passed ? "passed" : "FAILED") << ": " << parameters.size() - failed << " of "
        << parameters.size() << " within |analytic - numeric| <= " << format_number(options.atol, "%.3g") << " + "
        << format_number(options.rtol, "%.3g") << " * |numeric| + rounding\n";
    std::size_t width = 9;
    for (const auto& p : parameters) width = std::max(width, p.name.size());
    char line[256];
    std::snprintf(line, sizeof line, "  %-*s %18s %18s %10s %10s  %s\n", static_cast<int>(width), "parameter",
                  "analytic", "numeric", "abs error", "rel error", "result");
    out << line;
    for (const auto& p : parameters) {
        std::snprintf(line, sizeof line, "  %-*s %18.10g %18.10g %10.2e %10.2e  %s\n", static_cast<int>(width),
                      p.name.c_str(), p.analytic, p.numeric, p.abs_error, p.rel_error, p.passed ? "ok" : "FAIL");
        out << line;
    }
    if (!parameters.empty()) {
        const auto& w = worst_parameter();
        out << "worst: " << w.name << " (analytic " << format_number(w.analytic, "%.10g") << ", numeric "
            << format_number(w.numeric, "%.10g") << ", abs error " << format_number(w.abs_error, "%.3g") << ")\n";
    }
    if (failed > 0) {
        out << "failing:";
        for (const auto& p : parameters)
            if (!p.passed) out << ' ' << p.name;
        out << '\n';
    }
    return out.str();
}

std::ostream& operator<<(std::ostream& out, const GradientReport& report) { return out << report.to_string(); }

}  // namespace tapegrad
