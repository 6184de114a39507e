// examples/gradient_check.cpp — the project's one gradient checker at work: on every
// operation of the tape, on the health network's loss, and on derivatives that are
// wrong, so that a failing report and what it names can be seen as well as a passing one.
//
//   gradient_check                       every case; exit 0 when each check meant to pass
//                                        passes and each check meant to fail fails
//   gradient_check --only wrong          just the deliberately wrong derivatives
//   gradient_check --sweep-eps           the error of central differences against the
//                                        tape over steps 1e-1 .. 1e-12: the V shape
//   gradient_check --eps 1e-4 --rtol 1e-8 --json
//
// The operations' cases come from TAPEGRAD_OPS (operation_checks.hpp), chosen by kind.
// The checker compares an analytic gradient with central differences,
//   (f(x + h) - f(x - h)) / 2h,  h = eps * max(1, |x|),
// and passes a parameter when |analytic - numeric| <= atol + rtol * |numeric|.
#include <cmath>
#include <cstdio>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "cli.hpp"
#include "json.hpp"
#include "operation_checks.hpp"
#include "plot.hpp"
#include "tapegrad/autodiff/format.hpp"
#include "tapegrad/autodiff/gradient_check.hpp"
#include "tapegrad/nn/article.hpp"
#include "tapegrad/nn/data.hpp"
#include "tapegrad/nn/scaler.hpp"

namespace po = boost::program_options;
using namespace tapegrad;
using Eigen::MatrixXd;

namespace {

std::string number(double x, const char* format = "%.6g") { return format_number(x, format); }

// One check: its name, what it is meant to do, and the checker's report.
struct Check {
    std::string kind, name;
    bool expect_pass = true;
    GradientReport report;
    bool as_expected() const { return report.passed == expect_pass; }
};

// ---- ops: every operation of the tape at a few points, from TAPEGRAD_OPS ------------
std::vector<Check> check_operations(const GradientCheckOptions& options) {
    std::vector<Check> checks;
    // [ops]
    for (const examples::OperationCheck& op : examples::operation_checks())
        checks.push_back({"ops", op.name, true, check_gradient(op.loss, op.point, options)});
    // [ops]
    return checks;
}

nn::HealthNetwork article_network(nn::Activation activation) {
    const nn::Dataset people = nn::article_people();
    return nn::HealthNetwork(nn::Scaler::article_min_max().transform(people.features), people.targets, activation);
}

const std::vector<std::string> names(nn::parameter_names.begin(), nn::parameter_names.end());

// ---- health: the tape's gradient of the MSE, for each activation ---------------------
std::vector<Check> check_health(const nn::Parameters& start, const std::vector<nn::Activation>& activations,
                                const GradientCheckOptions& options) {
    std::vector<Check> checks;
    for (nn::Activation activation : activations) {
        const nn::HealthNetwork network = article_network(activation);
        // [health]
        const auto loss = [&network](Tape& tape, const std::vector<Var>& p) {
            nn::ParameterVars vars;
            std::copy(p.begin(), p.end(), vars.begin());
            return network.record_loss(tape, vars);
        };
        const GradientReport report =
            check_gradient(loss, std::vector<double>(start.values.begin(), start.values.end()), options, names);
        // [health]
        checks.push_back({"health", "health network MSE, " + std::string(nn::activation_name(activation)) + " output",
                          true, report});
    }
    return checks;
}

// ---- wrong: hand-written derivatives that are wrong ---------------------------------
std::vector<Check> check_wrong(const nn::Parameters& start, const GradientCheckOptions& options) {
    std::vector<Check> checks;
    {
        // [wrong-article]
        // The article's functions as the "analytic" gradient, against central differences.
        const nn::HealthNetwork network = article_network(nn::Activation::identity);
        nn::Parameters article;
        nn::article::gradient(network, start, article);
        const auto loss = [&network](std::span<const double> x) {
            nn::Parameters p;
            std::copy(x.begin(), x.end(), p.values.begin());
            return network.loss(p);
        };
        const std::vector<double> numeric = central_differences(loss, start.values, options.step);
        const GradientReport report = compare_gradients(names, article.values, numeric, options);
        // [wrong-article]
        checks.push_back({"wrong", "the article's functions against central differences", false, report});
    }
    {
        // [wrong-typo]
        // f(x, y) = x sin(y), with a typo in the hand-written df/dy: sin where cos belongs.
        const std::vector<double> point{1.5, 0.8};
        const auto f = [](std::span<const double> v) { return v[0] * std::sin(v[1]); };
        const std::vector<double> by_hand{std::sin(point[1]), point[0] * std::sin(point[1])};  // should be x cos(y)
        const GradientReport report =
            compare_gradients({"x", "y"}, by_hand, central_differences(f, point, options.step), options);
        // [wrong-typo]
        checks.push_back({"wrong", "df/dy of x sin(y) written as x sin(y)", false, report});
    }
    return checks;
}

void print_checks(const std::vector<Check>& checks) {
    std::string kind;
    for (const Check& c : checks) {
        if (c.kind != kind) {
            kind = c.kind;
            std::cout << (kind == "ops"      ? "\n== Every operation of the tape (analytic = the tape's sweep) ==\n"
                          : kind == "health" ? "\n== The health network's loss (analytic = the tape's sweep) ==\n"
                                             : "\n== Wrong derivatives, which the checker must catch ==\n");
        }
        if (c.kind == "ops" && c.as_expected()) {  // one line each while all is well
            const auto& w = c.report.worst_parameter();
            char line[256];
            std::snprintf(line, sizeof line,
                          "  ok    %-36s worst %-6s analytic %14.10g  numeric %14.10g  abs error %.1e\n",
                          c.name.c_str(), w.name.c_str(), w.analytic, w.numeric, w.abs_error);
            std::cout << line;
            continue;
        }
        std::cout << "\n"
                  << c.name << " (meant to " << (c.expect_pass ? "pass" : "fail") << "; "
                  << (c.as_expected() ? "as expected" : "NOT as expected") << ")\n"
                  << c.report;
    }
}

std::string checks_json(const std::vector<Check>& checks, bool ok) {
    std::string s = "{\"checks\":[";
    for (std::size_t i = 0; i < checks.size(); ++i) {
        const Check& c = checks[i];
        s += std::string(i ? "," : "") + "{\"kind\":" + json::string(c.kind) + ",\"name\":" + json::string(c.name) +
             ",\"expect\":" + (c.expect_pass ? "\"pass\"" : "\"fail\"") +
             ",\"as_expected\":" + (c.as_expected() ? "true" : "false") + ",\"report\":" + json::to_json(c.report) +
             "}";
    }
    return s + "],\"passed\":" + (ok ? "true" : "false") + "}";
}

// ---- --sweep-eps: the V of central differences --------------------------------------
// Options that do nothing in the mode chosen are errors, so that nobody believes they
// changed the result.
void refuse_unused_options(const po::variables_map& vm) {
    if (vm.count("sweep-eps")) {
        for (const char* option : {"--eps", "--rtol", "--atol", "--only"})
            cli::refuse_unused(vm, option, "with --sweep-eps (the sweep tries steps 1e-1 .. 1e-12 and judges none)");
        return;
    }
    cli::refuse_unused(vm, "--parameter", "without --sweep-eps");
    if (vm.count("only") && vm["only"].as<std::string>() == "ops")
        for (const char* option : {"--init", "--seed", "--activation"})
            cli::refuse_unused(vm, option, "with --only ops (the operations do not use the health network)");
    if (vm.count("only") && vm["only"].as<std::string>() == "wrong")
        cli::refuse_unused(vm, "--activation", "with --only wrong (its cases use the identity output)");
}

int sweep_eps(const nn::Parameters& start, nn::Activation activation, const std::string& parameter, bool as_json,
              std::optional<cli::OutputFile>& plot) {
    std::size_t k = 0;
    while (k < nn::parameter_count && nn::parameter_names[k] != parameter) ++k;
    if (k == nn::parameter_count)
        throw cli::UsageError("--parameter", "unknown parameter '" + parameter + "' (w1..w8, b1..b3)");

    const nn::HealthNetwork network = article_network(activation);
    nn::Parameters tape_gradient;
    nn::gradient_function(network, nn::GradientSource::tape)(start, tape_gradient);
    const double exact = tape_gradient[k];
    // [sweep]
    const auto along = [&](std::span<const double> x) {
        nn::Parameters p = start;
        p[k] = x[0];
        return network.loss(p);
    };
    struct Row {
        double step, numeric, error;
    };
    std::vector<Row> rows;
    for (int e = 1; e <= 12; ++e) {
        const double step = std::pow(10.0, -e);
        const double numeric = central_differences(along, std::vector<double>{start[k]}, step)[0];
        rows.push_back({step, numeric, std::abs(numeric - exact)});
    }
    // [sweep]
    std::size_t best = 0;
    for (std::size_t i = 1; i < rows.size(); ++i)
        if (rows[i].error < rows[best].error) best = i;

    if (plot) {
        std::vector<pictures::StepError> sweep;
        for (const Row& r : rows) sweep.push_back({r.step, r.error});
        const auto format = pictures::image_format("--plot", plot->path());
        plot->stream() << pictures::run_gnuplot(pictures::step_sweep_script(
            sweep, format,
            "Central differences for d MSE / d " + parameter + " (" + std::string(nn::activation_name(activation)) +
                " output): error against the step"));
        plot->commit();
        std::cerr << "gradient_check: wrote " << plot->path().string() << '\n';
    }

    if (as_json) {
        std::string s = "{\"parameter\":" + json::string(parameter) +
                        ",\"activation\":" + json::string(std::string(nn::activation_name(activation))) +
                        ",\"tape\":" + json::number(exact) + ",\"steps\":[";
        for (std::size_t i = 0; i < rows.size(); ++i)
            s += std::string(i ? "," : "") + "{\"step\":" + json::number(rows[i].step) +
                 ",\"numeric\":" + json::number(rows[i].numeric) + ",\"abs_error\":" + json::number(rows[i].error) +
                 "}";
        std::cout << s << "],\"best_step\":" << json::number(rows[best].step) << "}\n";
        return 0;
    }
    std::cout << "Central differences for d MSE / d " << parameter << " (" << nn::activation_name(activation)
              << " output) against the tape's " << number(exact, "%.15g") << ":\n\n";
    std::cout << "      step               numeric    abs error\n";
    for (std::size_t i = 0; i < rows.size(); ++i) {
        char line[160];
        std::snprintf(
            line, sizeof line, "  %8.0e  %20.15g  %11.3e  %s\n", rows[i].step, rows[i].numeric, rows[i].error,
            std::string(static_cast<std::size_t>(std::max(0.0, 14 + std::log10(rows[i].error + 1e-300))), '#').c_str());
        std::cout << line;
    }
    std::cout << "\nSmallest error at step " << number(rows[best].step, "%.0e")
              << ". Larger steps: truncation error, about h^2 f'''/6, falls as h shrinks.\n"
                 "Smaller steps: rounding error, about eps |f| / h, grows as h shrinks.\n";
    if (activation == nn::Activation::identity)
        std::cout << "(With the identity output the loss is a quadratic in each parameter, so central differences\n"
                     "have no truncation error at all; use --activation sigmoid to see both sides of the V.)\n";
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    return cli::run("gradient_check", [&] {
        po::options_description options(
            "gradient_check: the gradient checker on every tape operation, on the health network, and on wrong "
            "derivatives\n\nOptions");
        cli::add_common_options(options);
        // clang-format off
        options.add_options()
            ("only", po::value<std::string>()->value_name("CASES"), "run only ops, health or wrong")
            ("eps", po::value<double>()->default_value(1e-6, "1e-06")->value_name("STEP"),
             "relative step of the central differences: h = eps * max(1, |x|)")
            ("rtol", po::value<double>()->default_value(1e-6, "1e-06")->value_name("R"),
             "pass when |analytic - numeric| <= atol + rtol * |numeric|")
            ("atol", po::value<double>()->default_value(1e-8, "1e-08")->value_name("A"), "see --rtol")
            ("sweep-eps", "instead: the error of central differences over steps 1e-1 .. 1e-12 for one parameter")
            ("parameter", po::value<std::string>()->default_value("w1")->value_name("NAME"),
             "the parameter of --sweep-eps (w1..w8, b1..b3)")
            ("plot", po::value<std::string>()->value_name("FILE.svg|png"),
             "with --sweep-eps: also draw the error against the step (needs gnuplot)")
            ("json", "print the results as JSON");
        // clang-format on
        po::variables_map vm;
        if (!cli::parse_command_line(argc, argv, options, vm, cli::output_files_help)) return 0;
        refuse_unused_options(vm);

        GradientCheckOptions check;
        check.step = vm["eps"].as<double>();
        check.rtol = vm["rtol"].as<double>();
        check.atol = vm["atol"].as<double>();
        if (!(check.step > 0) || !std::isfinite(check.step))
            throw cli::UsageError("--eps", "must be a positive finite number, got " + number(check.step));
        if (!(check.rtol >= 0) || !std::isfinite(check.rtol))
            throw cli::UsageError("--rtol", "must be a finite number >= 0, got " + number(check.rtol));
        if (!(check.atol >= 0) || !std::isfinite(check.atol))
            throw cli::UsageError("--atol", "must be a finite number >= 0, got " + number(check.atol));
        const std::string only = vm.count("only") ? vm["only"].as<std::string>() : "";
        if (vm.count("only") && only != "ops" && only != "health" && only != "wrong")
            throw cli::UsageError("--only", "unknown case '" + only + "' (expected ops, health or wrong)");
        const nn::Parameters start = cli::starting_parameters(vm);
        const bool activation_given = !vm["activation"].defaulted();
        const nn::Activation activation = cli::parse_activation("--activation", vm["activation"].as<std::string>());
        const bool as_json = vm.count("json") > 0;

        std::optional<cli::OutputFile> plot;
        if (vm.count("plot")) {
            if (!vm.count("sweep-eps")) throw cli::UsageError("--plot", "draws the sweep: give --sweep-eps too");
            pictures::image_format("--plot", vm["plot"].as<std::string>());
            if (!pictures::find_program("gnuplot"))
                throw cli::UsageError("--plot", "gnuplot is not installed; install the Debian package gnuplot-nox");
            plot.emplace("--plot", vm["plot"].as<std::string>());
        }
        if (vm.count("sweep-eps"))
            return sweep_eps(start, activation_given ? activation : nn::Activation::sigmoid,
                             vm["parameter"].as<std::string>(), as_json, plot);

        std::vector<Check> checks;
        auto append = [&](std::vector<Check> more) { checks.insert(checks.end(), more.begin(), more.end()); };
        if (only.empty() || only == "ops") append(check_operations(check));
        if (only.empty() || only == "health")
            append(check_health(start,
                                activation_given
                                    ? std::vector<nn::Activation>{activation}
                                    : std::vector<nn::Activation>{nn::Activation::identity, nn::Activation::sigmoid,
                                                                  nn::Activation::relu, nn::Activation::tanh},
                                check));
        if (only.empty() || only == "wrong") append(check_wrong(start, check));

        std::size_t unexpected = 0;
        for (const Check& c : checks) unexpected += !c.as_expected();
        if (as_json) {
            std::cout << checks_json(checks, unexpected == 0) << '\n';
        } else {
            std::cout << "Gradient checks: central differences with step " << number(check.step)
                      << " x max(1, |x|); pass when |analytic - numeric| <= " << number(check.atol) << " + "
                      << number(check.rtol) << " x |numeric|.\n";
            print_checks(checks);
            std::cout << "\n"
                      << checks.size() - unexpected << " of " << checks.size()
                      << " checks ended as expected (each meant to pass passed, each meant to fail failed).\n";
        }
        return unexpected == 0 ? 0 : 1;
    });
}
