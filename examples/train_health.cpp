// examples/train_health.cpp — the main job: verify the tape's gradient, then train the
// article's health network by gradient descent and predict health scores.
//
//   train_health                                   the article's settings, tape gradients
//   train_health --gradients article --init ...    the article's program, as printed
//   train_health --history run.csv --predict 45,3,6 --predict 70,8,8
//   train_health --plot grid.svg --compare-plot sources.png     pictures, by gnuplot
//
// Order of work: read and check every option (a bad one: one line naming it, exit 2,
// nothing written); verify the tape against the chain rule and finite differences
// (disagreement: exit 1, no training); train; print the summary; write the history.
// A loss that becomes inf or NaN stops training: the history up to that iteration is
// written, and the exit status is 3. A plot asked for while gnuplot is missing: the
// history is still written, then a message naming the package, exit status 2.
// A run longer than a second shows a progress line on stderr when it is a terminal.
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <unistd.h>

#include <boost/program_options.hpp>

#include "cli.hpp"
#include "tapegrad/nn/data.hpp"
#include "tapegrad/nn/scaler.hpp"
#include "tapegrad/nn/training.hpp"
#include "tapegrad/nn/verifier.hpp"
#include "plot.hpp"

namespace po = boost::program_options;
using namespace tapegrad;

namespace {
constexpr int exit_not_verified = 1;
constexpr int exit_diverged = 3;

std::string number(double x, const char* format = "%.6g") {
    char buf[64];
    std::snprintf(buf, sizeof buf, format, x);
    return buf;
}

// A live line on stderr — iteration, RMSE, iterations per second — for runs that take
// longer than a second, so that a long run shows it is alive. Only on a terminal: a log
// file or a pipe gets nothing. The line is rewritten in place and cleared at the end.
// TAPEGRAD_PROGRESS_AFTER=SECONDS changes the one second (the tests set it to 0).
class ProgressLine {
public:
    ProgressLine(bool enabled, std::string label, int iterations)
        : enabled_(enabled), label_(std::move(label)), iterations_(iterations) {
        if (const char* after = std::getenv("TAPEGRAD_PROGRESS_AFTER")) after_ = std::atof(after);
    }
    ProgressLine(const ProgressLine&) = delete;
    ProgressLine& operator=(const ProgressLine&) = delete;
    ~ProgressLine() {
        if (shown_) std::fputs("\r\033[K", stderr);  // back to the start, erase the line
    }

    void operator()(int iteration, double rmse) {
        if (!enabled_) return;
        const auto now = std::chrono::steady_clock::now();
        const double elapsed = std::chrono::duration<double>(now - began_).count();
        if (elapsed < after_ || std::chrono::duration<double>(now - last_shown_).count() < 0.1) return;
        last_shown_ = now;
        shown_ = true;
        std::fprintf(stderr, "\r\033[Ktrain_health: %siteration %d of %d, RMSE %.6g, %.0f iterations/s", label_.c_str(),
                     iteration + 1, iterations_, rmse, (iteration + 1) / elapsed);
        std::fflush(stderr);
    }

private:
    bool enabled_;
    std::string label_;
    int iterations_;
    double after_ = 1.0;  // seconds of training before the line appears
    bool shown_ = false;
    std::chrono::steady_clock::time_point began_ = std::chrono::steady_clock::now(), last_shown_{};
};

nn::TrainingResult train_with_progress(const nn::HealthNetwork& network, const nn::Parameters& start,
                                       const nn::TrainingOptions& options, bool show_progress,
                                       const std::string& label = "") {
    ProgressLine progress(show_progress, label, options.iterations);
    return nn::train(network, start, options, std::ref(progress), 1000);
}

std::string gradient_source_words(nn::GradientSource source) {
    return source == nn::GradientSource::tape         ? "the tape"
           : source == nn::GradientSource::chain_rule ? "the chain rule by hand"
                                                      : "the article's functions";
}

std::string missing_gnuplot(std::string_view option) {
    return std::string(option) +
           ": gnuplot is not installed (no gnuplot on PATH); install the Debian package gnuplot-nox "
           "(apt-get install gnuplot-nox)";
}
}  // namespace

int main(int argc, char** argv) {
    return cli::run("train_health", [&] {
        po::options_description options(
            "train_health: verify the tape's gradients, then train the article's health network\n\nOptions");
        cli::add_common_options(options);
        // clang-format off
        options.add_options()
            ("learning-rate", po::value<double>()->default_value(0.005, "0.005")->value_name("RATE"),
             "step size of gradient descent (positive)")
            ("iterations", po::value<int>()->default_value(2000)->value_name("N"), "number of iterations (at least 1)")
            ("gradients", po::value<std::string>()->default_value("tape")->value_name("SOURCE"),
             "gradient used for training: tape, chain-rule or article")
            ("scaler", po::value<std::string>()->default_value("minmax")->value_name("NAME"),
             "feature scaling: minmax (the article's fixed bounds) or standard")
            ("history", po::value<std::string>()->value_name("FILE.csv"),
             "write every iteration's RMSE, gradients and parameters as CSV")
            ("predict", po::value<std::vector<std::string>>()->composing()->value_name("AGE,EXERCISE,DIET"),
             "also predict the health score of this person (repeatable)")
            ("plot", po::value<std::string>()->value_name("FILE.svg|FILE.png"),
             "draw the article's grid: the RMSE and each parameter over the iterations (needs gnuplot)")
            ("compare-plot", po::value<std::string>()->value_name("FILE.svg|FILE.png"),
             "also train from the same start with the tape, the chain rule and the article's gradients, "
             "and draw their RMSE on one chart (needs gnuplot)")
            ("quiet,q", "print only the training summary, not the verifier's table, and no progress line");
        // clang-format on
        po::variables_map vm;
        if (!cli::parse_command_line(argc, argv, options, vm)) return 0;

        // ---- Every option is checked before any work is done or any file written ----
        nn::TrainingOptions training;
        training.learning_rate = vm["learning-rate"].as<double>();
        if (!(training.learning_rate > 0) || !std::isfinite(training.learning_rate))
            throw cli::UsageError("--learning-rate",
                                  "must be a positive finite number, got " + number(training.learning_rate));
        training.iterations = vm["iterations"].as<int>();
        if (training.iterations < 1)
            throw cli::UsageError("--iterations", "must be at least 1, got " + std::to_string(training.iterations));
        training.source = cli::parse_gradient_source("--gradients", vm["gradients"].as<std::string>());
        const nn::Activation activation = cli::parse_activation("--activation", vm["activation"].as<std::string>());
        const std::string scaler_name = vm["scaler"].as<std::string>();
        if (scaler_name != "minmax" && scaler_name != "standard")
            throw cli::UsageError("--scaler", "unknown scaler '" + scaler_name + "' (expected minmax or standard)");
        const nn::Parameters start = cli::starting_parameters(vm);
        std::vector<std::array<double, 3>> people_to_predict{{30, 2, 5}};  // the article's example person
        if (vm.count("predict"))
            for (const auto& text : vm["predict"].as<std::vector<std::string>>())
                people_to_predict.push_back(cli::parse_person("--predict", text));
        // Pictures: the file names must say .svg or .png, and gnuplot must be there to draw
        // them. Without gnuplot, a run that keeps a history still trains and writes it.
        std::optional<pictures::ImageFormat> plot_format, compare_format;
        if (vm.count("plot")) plot_format = pictures::image_format("--plot", vm["plot"].as<std::string>());
        if (vm.count("compare-plot"))
            compare_format = pictures::image_format("--compare-plot", vm["compare-plot"].as<std::string>());
        if (plot_format && compare_format) {
            std::error_code ec;
            if (std::filesystem::weakly_canonical(vm["plot"].as<std::string>(), ec) ==
                std::filesystem::weakly_canonical(vm["compare-plot"].as<std::string>(), ec))
                throw cli::UsageError("--compare-plot", "'" + vm["compare-plot"].as<std::string>() +
                                                            "' is also the file of --plot; give two files");
        }
        const char* plot_option = plot_format ? "--plot" : "--compare-plot";
        const bool gnuplot_missing = (plot_format || compare_format) && !pictures::find_program("gnuplot");
        if (gnuplot_missing && !vm.count("history")) throw cli::UsageError(plot_option, missing_gnuplot(plot_option));
        std::optional<cli::AtomicFile> history_file, plot_file, compare_file;
        if (vm.count("history")) history_file.emplace("--history", vm["history"].as<std::string>());
        if (plot_format && !gnuplot_missing) plot_file.emplace("--plot", vm["plot"].as<std::string>());
        if (compare_format && !gnuplot_missing)
            compare_file.emplace("--compare-plot", vm["compare-plot"].as<std::string>());
        const bool quiet = vm.count("quiet") > 0;
        const bool show_progress = !quiet && ::isatty(STDERR_FILENO);

        // ---- The data and the network ----
        const nn::Dataset people = nn::article_people();
        const nn::Scaler scaler =
            scaler_name == "standard" ? nn::Scaler::standard(people.features) : nn::Scaler::article_min_max();
        const nn::HealthNetwork network(scaler.transform(people.features), people.targets, activation);

        // ---- Verify before training ----
        const nn::Verification verification = nn::verify(network, start);
        if (!quiet) {
            std::cout << "Starting parameters, " << cli::describe_start(vm) << ":\n  " << start.to_string() << "\n\n";
            std::cout << verification.to_text() << '\n';
        }
        if (!verification.passed) {
            if (quiet) std::cout << verification.to_text();
            std::cerr << "train_health: the tape's gradient disagrees with the chain rule or finite differences; "
                         "not training\n";
            return exit_not_verified;
        }

        // ---- Train ----
        const auto began = std::chrono::steady_clock::now();
        const nn::TrainingResult result = train_with_progress(network, start, training, show_progress);
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();

        if (result.diverged) {
            std::cout << "Training " << result.divergence << "\n  RMSE " << number(result.initial_rmse)
                      << " at the start; " << result.history.rows.size() << " iterations completed\n";
        } else {
            std::cout << "Training: " << result.history.rows.size() << " iterations of gradient descent, learning rate "
                      << number(training.learning_rate) << ", gradients from " << gradient_source_words(training.source)
                      << ", " << nn::activation_name(activation) << " output, " << scaler.name() << " scaling\n";
            std::cout << "  RMSE " << number(result.initial_rmse) << " at the start, " << number(result.final_rmse)
                      << " at the end\n";
            std::cout << "  final parameters:\n";
            for (std::size_t i = 0; i < nn::parameter_count; ++i)
                std::cout << "    " << nn::parameter_names[i] << " = " << number(result.final[i], "%.9g") << '\n';
            std::cout << "  predicted health score:\n";
            for (std::size_t k = 0; k < people_to_predict.size(); ++k) {
                const auto& [age, exercise, diet] = people_to_predict[k];
                std::cout << "    age " << number(age) << ", exercise " << number(exercise) << ", diet " << number(diet)
                          << ": " << number(nn::predict(result.final, activation, scaler, age, exercise, diet))
                          << (k == 0 ? "   (the article's example person)" : "") << '\n';
            }
            std::cout << "  training time: " << number(seconds * 1e3, "%.3f") << " ms\n";
        }

        if (history_file) {
            result.history.write_csv(history_file->stream());
            const bool replaced = history_file->commit();
            std::cerr << "train_health: " << (replaced ? "replaced " : "wrote ") << history_file->path().string()
                      << " (" << result.history.rows.size() << " iterations)\n";
        }
        if (gnuplot_missing) {
            std::cerr << "train_health: " << missing_gnuplot(plot_option) << "; no picture drawn\n";
            return cli::exit_usage;
        }

        // ---- Pictures, after the history so that a drawing problem cannot lose it ----
        const std::string settings =
            std::string(nn::activation_name(activation)) + " output, learning rate " + number(training.learning_rate) +
            ", " + std::to_string(training.iterations) + " iterations" +
            (result.diverged ? " (diverged at iteration " + std::to_string(result.diverged_at) + ")" : "");
        if (plot_file) {
            const std::string title = "Training the health network: " + settings + ", gradients from " +
                                      gradient_source_words(training.source) + ", " + scaler.name() + " scaling";
            plot_file->stream() << pictures::run_gnuplot(pictures::training_grid_script(result, *plot_format, title));
            const bool replaced = plot_file->commit();
            std::cerr << "train_health: " << (replaced ? "replaced " : "wrote ") << plot_file->path().string()
                      << " (RMSE and 11 parameters over " << result.history.rows.size() << " iterations)\n";
        }
        if (compare_file) {
            // The same start and settings, once per gradient source.
            std::vector<nn::TrainingResult> runs;
            std::vector<pictures::RmseCurve> curves;
            runs.reserve(3);
            for (const nn::GradientSource source :
                 {nn::GradientSource::tape, nn::GradientSource::chain_rule, nn::GradientSource::article}) {
                nn::TrainingOptions options = training;
                options.source = source;
                runs.push_back(source == training.source
                                   ? result
                                   : train_with_progress(network, start, options, show_progress,
                                                         std::string(nn::gradient_source_name(source)) + ": "));
            }
            curves.push_back({"tape", &runs[0]});
            curves.push_back({"chain rule by hand", &runs[1]});
            curves.push_back({"article's functions", &runs[2]});
            const std::string title =
                "RMSE with each source of the gradient: " + settings + ", " +
                (vm.count("init") ? std::string("start given by --init")
                                  : "random start, seed " + std::to_string(vm["seed"].as<std::uint64_t>()));
            compare_file->stream() << pictures::run_gnuplot(
                pictures::rmse_comparison_script(curves, *compare_format, title));
            const bool replaced = compare_file->commit();
            std::cerr << "train_health: " << (replaced ? "replaced " : "wrote ") << compare_file->path().string()
                      << " (RMSE of the tape, the chain rule and the article's gradients)\n";
        }
        if (result.diverged) {
            std::cerr << "train_health: training " << result.divergence << '\n';
            return exit_diverged;
        }
        return 0;
    });
}
