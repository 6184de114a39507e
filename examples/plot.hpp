// examples/plot.hpp — pictures for the example programs: the article's grid of training
// curves and the RMSE of the three gradient sources, drawn by gnuplot; and the helpers
// that run an external drawing program (gnuplot, Graphviz's dot) as a filter.
//
// The programs stay in charge of files: a plot is rendered to bytes in memory
// (gnuplot writes to its standard output, the data travels inline in the script as a
// datablock), and the caller writes the bytes through cli::OutputFile, so a failed
// drawing leaves no half-written image behind.
//
//   if (!pictures::find_program("gnuplot")) ...  // say which Debian package to install
//   const auto format = pictures::image_format("--plot", "run.svg");
//   file.stream() << pictures::run_gnuplot(pictures::training_grid_script(result, format, title));
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tapegrad/nn/training.hpp"

namespace tapegrad::pictures {

// The full path of `name` found on PATH (an executable regular file), or nothing.
std::optional<std::filesystem::path> find_program(std::string_view name);

// Run `program` (looked up on PATH) with `args`, feed it `input` on standard input and
// return what it writes to standard output. Its standard error passes through to ours.
// Throws std::runtime_error naming the program when it cannot start or fails.
std::string run_filter(const std::string& program, const std::vector<std::string>& args, std::string_view input);

enum class ImageFormat { svg, png };

// The format for `file`'s extension, .svg or .png; otherwise a cli::UsageError naming
// `option` (checked before any work is done).
ImageFormat image_format(std::string_view option, const std::filesystem::path& file);

// The article's grid, 3 x 4 panels: the RMSE and each of the 11 parameters against the
// number of iterations done (0 = the start), under `title`.
std::string training_grid_script(const nn::TrainingResult& result, ImageFormat format, const std::string& title);

// One curve of the comparison chart: a label and the run it comes from.
struct RmseCurve {
    std::string label;
    const nn::TrainingResult* result;
};
// The RMSE of several runs on one chart, one labelled curve each.
std::string rmse_comparison_script(const std::vector<RmseCurve>& curves, ImageFormat format, const std::string& title);

// One step of a finite-difference sweep and the error it gave.
struct StepError {
    double step, error;
};
// The error of central differences against the step, both axes logarithmic: the V of
// truncation error (falling as the step shrinks) and rounding error (rising).
std::string step_sweep_script(const std::vector<StepError>& sweep, ImageFormat format, const std::string& title);

// How gradient descent ended at one learning rate of a scan.
struct RateOutcome {
    double learning_rate;
    bool diverged;
    double final_rmse;  // when it did not diverge
};
// The final RMSE against the learning rate, the diverged rates marked along the top, and
// the predicted stability limit as a vertical line (chapter 10).
std::string learning_rate_scan_script(const std::vector<RateOutcome>& scan, double predicted_limit,
                                      ImageFormat format, const std::string& title);

// The Hessian's eigenvalues after some iterations of one training run.
struct EigenvaluesAfter {
    int iteration;
    std::vector<double> eigenvalues;  // smallest first
};
struct SharpnessRun {
    double learning_rate;
    std::vector<EigenvaluesAfter> trace;
};
// Two panels: every eigenvalue along `slow` (the article's rate), and the largest one along
// each of `near_limit` beside its own 2 / learning rate (chapter 10's edge of stability).
std::string sharpness_script(const SharpnessRun& slow, const std::vector<SharpnessRun>& near_limit,
                             ImageFormat format, const std::string& title);

// The pieces every script starts from (the MLP's pictures in mlp_plot.cpp use them too):
// a string quoted for gnuplot, and the terminal line for a format, size and font size.
// Every text a user chose (a file name, a column name) reaches gnuplot only through
// gnuplot_string, which shows control characters as \xNN: no text can end the command
// and start another.
std::string gnuplot_string(std::string_view text);
std::string terminal(ImageFormat format, int width, int height, int font_size);

// Run gnuplot on `script` and return the image it draws.
std::string run_gnuplot(const std::string& script);

}  // namespace tapegrad::pictures
