// examples/train_health.cpp — the main job: verify the tape's gradient, then train the
// article's health network by gradient descent and predict health scores.
//
//   train_health                                   the article's settings, tape gradients
//   train_health --gradients article --init ...    the article's program, as printed
//   train_health --history run.csv --predict 45,3,6 --predict 70,8,8
//   train_health --plot grid.svg --compare-plot sources.png     pictures, by gnuplot
//
// Order of work, one function each in main: read and check every option (a bad one: one
// line naming it, exit 2, nothing written); open the output files; verify the tape
// against the chain rule and finite differences (disagreement: exit 1, no training);
// train, streaming the history to its file as it is made; print the summary; put the
// history in place; draw the pictures. Memory stays flat in --iterations unless a picture
// needs every iteration kept (--plot, --compare-plot: at most 1000000 iterations).
// A loss that becomes inf or NaN stops training: the history up to that iteration is
// written, and the exit status is 3. A plot asked for while gnuplot is missing: the
// history is still written, then a message naming the package, exit status 2.
// A run longer than a second shows a progress line on stderr when it is a terminal.
#include <algorithm>
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
#include "plot.hpp"
#include "tapegrad/autodiff/format.hpp"
#include "tapegrad/nn/curvature.hpp"
#include "tapegrad/nn/data.hpp"
#include "tapegrad/nn/scaler.hpp"
#include "tapegrad/nn/training.hpp"
#include "tapegrad/nn/verifier.hpp"

namespace po = boost::program_options;
using namespace tapegrad;

namespace {
constexpr int exit_not_verified = 1;
constexpr int exit_diverged = 3;
// The pictures draw every iteration, so their runs keep the whole history in memory
// (about 200 bytes an iteration): bounded, so that a huge --iterations is refused up front.
constexpr int most_iterations_drawn = 1000000;

std::string number(double x, const char* format = "%.6g") { return format_number(x, format); }

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
        if (!enabled_ || (iteration + 1) % 1000 != 0) return;
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

std::string gradient_source_words(nn::GradientSource source) {
    return source == nn::GradientSource::tape         ? "the tape"
           : source == nn::GradientSource::chain_rule ? "the chain rule by hand"
                                                      : "the article's functions";
}

nn::Reuse parse_tape_reuse(std::string_view option, std::string_view text) {
    if (text == "record") return nn::Reuse::record_each_time;
    if (text == "replay") return nn::Reuse::replay;
    if (text == "compiled") return nn::Reuse::compiled;
    throw cli::UsageError(option, "unknown way '" + std::string(text) + "' (expected record, replay or compiled)");
}

constexpr const char* missing_gnuplot =
    "gnuplot is not installed (no gnuplot on PATH); install the Debian package gnuplot-nox "
    "(apt-get install gnuplot-nox)";

void declare_options(po::options_description& options) {
    cli::add_common_options(options);
    // clang-format off
    options.add_options()
        ("learning-rate", po::value<double>()->default_value(0.005, "0.005")->value_name("RATE"),
         "step size of gradient descent (positive)")
        ("iterations", po::value<int>()->default_value(2000)->value_name("N"), "number of iterations (at least 1)")
        ("gradients", po::value<std::string>()->default_value("tape")->value_name("SOURCE"),
         "gradient used for training: tape, chain-rule or article")
        ("tape", po::value<std::string>()->default_value("compiled")->value_name("HOW"),
         "with --gradients tape, how each step gets it: record (record the tape every step and sweep it), "
         "replay (record once, replay) or compiled (trace once, compile the tape into a fused plan, run it); "
         "the same gradient to rounding, compiled is the fastest")
        ("scaler", po::value<std::string>()->default_value("minmax")->value_name("NAME"),
         "feature scaling: minmax (the article's fixed bounds) or standard")
        ("history", po::value<std::string>()->value_name("FILE.csv"),
         "write every iteration's RMSE, gradients and parameters as CSV (streamed as training goes)")
        ("predict", po::value<std::vector<std::string>>()->composing()->value_name("AGE,EXERCISE,DIET"),
         "also predict the health score of this person (repeatable)")
        ("plot", po::value<std::string>()->value_name("FILE.svg|FILE.png"),
         "draw the article's grid: the RMSE and each parameter over the iterations (needs gnuplot; at most "
         "1000000 iterations)")
        ("compare-plot", po::value<std::string>()->value_name("FILE.svg|FILE.png"),
         "also train from the same start with the tape, the chain rule and the article's gradients, "
         "and draw their RMSE on one chart (needs gnuplot; at most 1000000 iterations)")
        ("curvature", "also print the curvature training goes through: the largest and smallest eigenvalue of "
         "the loss's Hessian at the start, along the way and at the end, and the stability limit 2 / largest "
         "beside the learning rate (chapter 10)")
        ("quiet,q", "print only the training summary, not the verifier's table, and no progress line");
    // clang-format on
}

// Everything the options ask for, checked.
struct Settings {
    nn::TrainingOptions training;
    nn::GradientSource source = nn::GradientSource::tape;
    nn::Reuse tape_reuse = nn::Reuse::compiled;  // --tape
    nn::Activation activation = nn::Activation::identity;
    std::string scaler_name;
    nn::Parameters start;
    std::string start_words;    // "random, seed 1 (...)" or "given by --init"
    std::string compare_start;  // "random start, seed 1" or "start given by --init"
    std::vector<std::array<double, 3>> people_to_predict{{30, 2, 5}};  // the article's example person
    std::optional<std::string> history, plot, compare_plot;
    std::optional<pictures::ImageFormat> plot_format, compare_format;
    bool gnuplot_missing = false;
    bool quiet = false, show_progress = false;
    bool curvature = false;  // --curvature
    const char* plot_option() const { return plot_format ? "--plot" : "--compare-plot"; }
};

std::optional<std::string> optional_string(const po::variables_map& vm, const char* name) {
    if (!vm.count(name)) return std::nullopt;
    return vm[name].as<std::string>();
}

// Every option is checked before any work is done or any file written.
Settings read_settings(const po::variables_map& vm) {
    Settings s;
    s.training.learning_rate = vm["learning-rate"].as<double>();
    if (!(s.training.learning_rate > 0) || !std::isfinite(s.training.learning_rate))
        throw cli::UsageError("--learning-rate",
                              "must be a positive finite number, got " + number(s.training.learning_rate));
    s.training.iterations = vm["iterations"].as<int>();
    if (s.training.iterations < 1)
        throw cli::UsageError("--iterations", "must be at least 1, got " + std::to_string(s.training.iterations));
    s.source = cli::parse_gradient_source("--gradients", vm["gradients"].as<std::string>());
    s.tape_reuse = parse_tape_reuse("--tape", vm["tape"].as<std::string>());
    s.activation = cli::parse_activation("--activation", vm["activation"].as<std::string>());
    s.scaler_name = vm["scaler"].as<std::string>();
    if (s.scaler_name != "minmax" && s.scaler_name != "standard")
        throw cli::UsageError("--scaler", "unknown scaler '" + s.scaler_name + "' (expected minmax or standard)");
    s.start = cli::starting_parameters(vm);
    s.start_words = cli::describe_start(vm);
    s.compare_start = vm.count("init") ? "start given by --init"
                                       : "random start, seed " +
                                             std::to_string(cli::parse_seed("--seed", vm["seed"].as<std::string>()));
    if (vm.count("predict"))
        for (const auto& text : vm["predict"].as<std::vector<std::string>>())
            s.people_to_predict.push_back(cli::parse_person("--predict", text));
    s.history = optional_string(vm, "history");
    s.plot = optional_string(vm, "plot");
    s.compare_plot = optional_string(vm, "compare-plot");
    cli::check_file_options({}, cli::file_options(vm, {"history", "plot", "compare-plot"}));
    // Pictures: the file names must say .svg or .png, and gnuplot must be there to draw
    // them. Without gnuplot, a run that keeps a history still trains and writes it.
    if (s.plot) s.plot_format = pictures::image_format("--plot", *s.plot);
    if (s.compare_plot) s.compare_format = pictures::image_format("--compare-plot", *s.compare_plot);
    s.training.keep_history = s.plot || s.compare_plot;
    if (s.training.keep_history && s.training.iterations > most_iterations_drawn)
        throw cli::UsageError(s.plot_option(), "draws every iteration, kept in memory: at most " +
                                                   std::to_string(most_iterations_drawn) + " iterations, got " +
                                                   std::to_string(s.training.iterations));
    s.gnuplot_missing = (s.plot || s.compare_plot) && !pictures::find_program("gnuplot");
    if (s.gnuplot_missing && !s.history) throw cli::UsageError(s.plot_option(), missing_gnuplot);
    s.quiet = vm.count("quiet") > 0;
    s.curvature = vm.count("curvature") > 0;
    s.show_progress = !s.quiet && ::isatty(STDERR_FILENO);
    return s;
}

// The output files, opened (so that an unwritable one fails before any work).
struct Outputs {
    std::optional<cli::OutputFile> history, plot, compare;
};
void open_outputs(const Settings& s, Outputs& out) {
    if (s.history) out.history.emplace("--history", *s.history);
    if (s.plot && !s.gnuplot_missing) out.plot.emplace("--plot", *s.plot);
    if (s.compare_plot && !s.gnuplot_missing) out.compare.emplace("--compare-plot", *s.compare_plot);
}

// The verifier's table (unless quiet) and its gate.
bool verify_start(const nn::HealthNetwork& network, const Settings& s) {
    const nn::Verification verification = nn::verify(network, s.start);
    if (!s.quiet) {
        std::cout << "Starting parameters, " << s.start_words << ":\n  " << s.start.to_string() << "\n\n";
        std::cout << verification.to_text() << '\n';
    }
    if (verification.passed) return true;
    if (s.quiet) std::cout << verification.to_text();
    std::cerr << "train_health: the tape's gradient disagrees with the chain rule or finite differences; "
                 "not training\n";
    return false;
}

// Gradient descent with one source; every row goes to `history` (when given) as it is made.
nn::TrainingResult train_with(const nn::HealthNetwork& network, const Settings& s, nn::GradientSource source,
                              std::ostream* history, const std::string& label = "",
                              const nn::IterationCallback& also = {}) {
    ProgressLine progress(s.show_progress, label, s.training.iterations);
    if (history) *history << nn::History::csv_header() << '\n';
    return nn::train(nn::gradient_function(network, source, nn::Recording::batched, s.tape_reuse), s.start, s.training, [&](const nn::IterationRecord& row) {
        if (history) nn::History::write_csv_row(*history, row);
        progress(row.iteration, row.rmse);
        if (also) also(row);
    });
}

void print_summary(const Settings& s, const nn::Scaler& scaler, const nn::TrainingResult& result, double seconds) {
    if (result.diverged) {
        std::cout << "Training " << result.divergence << "\n  RMSE " << number(result.initial_rmse) << " at the start; "
                  << result.iterations_done << " iterations completed\n";
        return;
    }
    std::cout << "Training: " << result.iterations_done << " iterations of gradient descent, learning rate "
              << number(s.training.learning_rate) << ", gradients from " << gradient_source_words(s.source) << ", "
              << nn::activation_name(s.activation) << " output, " << scaler.name() << " scaling\n";
    std::cout << "  RMSE " << number(result.initial_rmse) << " at the start, " << number(result.final_rmse)
              << " at the end\n";
    std::cout << "  final parameters:\n";
    for (std::size_t i = 0; i < nn::parameter_count; ++i)
        std::cout << "    " << nn::parameter_names[i] << " = " << number(result.final[i], "%.9g") << '\n';
    std::cout << "  predicted health score:\n";
    for (std::size_t k = 0; k < s.people_to_predict.size(); ++k) {
        const auto& [age, exercise, diet] = s.people_to_predict[k];
        std::cout << "    age " << number(age) << ", exercise " << number(exercise) << ", diet " << number(diet) << ": "
                  << number(nn::predict(result.final, s.activation, scaler, age, exercise, diet))
                  << (k == 0 ? "   (the article's example person)" : "") << '\n';
    }
    std::cout << "  training time: " << number(seconds * 1e3, "%.3f") << " ms\n";
}

// --curvature: the Hessian's eigenvalues (nn/curvature.hpp) at the start, at the end, and
// every `every` iterations on the way (about 200 Hessians in all, so long runs stay quick).
struct CurvatureLog {
    int every = 1;
    double largest = 0;  // the largest eigenvalue met along the way, and where
    int largest_at = 0;
    void see(const nn::HealthNetwork& network, const nn::IterationRecord& row) {
        if ((row.iteration + 1) % every != 0) return;
        const double l = nn::curvature_at(network, row.parameters).largest();
        if (l > largest) largest = l, largest_at = row.iteration + 1;  // NaN (diverging) never is
    }
};
void print_curvature(const nn::HealthNetwork& network, const Settings& s, const nn::TrainingResult& result,
                     const CurvatureLog& log) {
    const auto line = [](const nn::Curvature& c) {
        return "largest " + number(c.largest()) + ", smallest " + number(c.smallest()) +
               "; stability limit 2 / largest = " + number(c.stability_limit());
    };
    const double rate = s.training.learning_rate;
    const nn::Curvature start = nn::curvature_at(network, s.start);
    std::cout << "Curvature: eigenvalues of the loss's Hessian (chapter 10)\n";
    std::cout << "  at the start: " << line(start) << '\n';
    if (log.largest_at > 0)
        std::cout << "  along the way (every " << log.every << " iterations): largest " << number(log.largest)
                  << " after iteration " << log.largest_at << "; 2 / that = " << number(2.0 / log.largest)
                  << (2.0 / log.largest < rate ? ", below the learning rate: unstable there for a while\n"
                                               : ", above the learning rate\n");
    if (result.diverged)
        std::cout << "  at the end:   none (training diverged at iteration " << result.diverged_at << ")\n";
    else
        std::cout << "  at the end:   " << line(nn::curvature_at(network, result.final)) << '\n';
    std::cout << "  learning rate " << number(rate) << " is " << number(rate / start.stability_limit(), "%.3g")
              << " x the limit at the start (" << (rate < start.stability_limit() ? "below" : "above") << " it)\n";
}

// The pictures, after the history so that a drawing problem cannot lose it.
void draw_pictures(const nn::HealthNetwork& network, const Settings& s, const nn::Scaler& scaler,
                   const nn::TrainingResult& result, Outputs& out) {
    const std::string settings =
        std::string(nn::activation_name(s.activation)) + " output, learning rate " + number(s.training.learning_rate) +
        ", " + std::to_string(s.training.iterations) + " iterations" +
        (result.diverged ? " (diverged at iteration " + std::to_string(result.diverged_at) + ")" : "");
    if (out.plot) {
        const std::string title = "Training the health network: " + settings + ", gradients from " +
                                  gradient_source_words(s.source) + ", " + scaler.name() + " scaling";
        out.plot->stream() << pictures::run_gnuplot(pictures::training_grid_script(result, *s.plot_format, title));
        cli::put_in_place("train_health", *out.plot,
                     "RMSE and 11 parameters over " + std::to_string(result.iterations_done) + " iterations");
    }
    if (out.compare) {  // the same start and settings, once per gradient source
        std::vector<nn::TrainingResult> runs;
        runs.reserve(3);
        for (const nn::GradientSource source :
             {nn::GradientSource::tape, nn::GradientSource::chain_rule, nn::GradientSource::article})
            runs.push_back(source == s.source ? result
                                              : train_with(network, s, source, nullptr,
                                                           std::string(nn::gradient_source_name(source)) + ": "));
        const std::vector<pictures::RmseCurve> curves{
            {"tape", &runs[0]}, {"chain rule by hand", &runs[1]}, {"article's functions", &runs[2]}};
        const std::string title = "RMSE with each source of the gradient: " + settings + ", " + s.compare_start;
        out.compare->stream() << pictures::run_gnuplot(
            pictures::rmse_comparison_script(curves, *s.compare_format, title));
        cli::put_in_place("train_health", *out.compare, "RMSE of the tape, the chain rule and the article's gradients");
    }
}

int train_health(int argc, char** argv) {
    po::options_description options(
        "train_health: verify the tape's gradients, then train the article's health network\n\nOptions");
    declare_options(options);
    po::variables_map vm;
    if (!cli::parse_command_line(argc, argv, options, vm, cli::output_files_help)) return 0;
    const Settings s = read_settings(vm);
    Outputs out;
    open_outputs(s, out);

    const nn::Dataset people = nn::article_people();
    const nn::Scaler scaler =
        s.scaler_name == "standard" ? nn::Scaler::standard(people.features) : nn::Scaler::article_min_max();
    const nn::HealthNetwork network(scaler.transform(people.features), people.targets, s.activation);
    if (!verify_start(network, s)) return exit_not_verified;

    CurvatureLog curvature{std::max(1, s.training.iterations / 200)};
    const auto see_curvature = [&](const nn::IterationRecord& row) { curvature.see(network, row); };
    const auto began = std::chrono::steady_clock::now();
    const nn::TrainingResult result = train_with(network, s, s.source, out.history ? &out.history->stream() : nullptr,
                                                 "", s.curvature ? nn::IterationCallback(see_curvature) : nullptr);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
    print_summary(s, scaler, result, seconds);
    if (s.curvature) print_curvature(network, s, result, curvature);

    if (out.history) cli::put_in_place("train_health", *out.history, std::to_string(result.iterations_done) + " iterations");
    if (s.gnuplot_missing) {
        std::cerr << "train_health: " << s.plot_option() << ": " << missing_gnuplot << "; no picture drawn\n";
        return cli::exit_usage;
    }
    draw_pictures(network, s, scaler, result, out);
    if (result.diverged) {
        std::cerr << "train_health: training " << result.divergence << '\n';
        return exit_diverged;
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    return cli::run("train_health", [&] { return train_health(argc, argv); });
}
