// examples/plot.cpp — gnuplot scripts for the training pictures, and running a drawing
// program as a filter (script in on standard input, image out on standard output).
#include "plot.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "cli.hpp"
#include "tapegrad/autodiff/format.hpp"

extern char** environ;

namespace tapegrad::pictures {

std::optional<std::filesystem::path> find_program(std::string_view name) {
    const char* path = std::getenv("PATH");
    if (!path) return std::nullopt;
    std::string_view dirs(path);
    while (true) {
        const std::size_t colon = dirs.find(':');
        std::string_view dir = dirs.substr(0, colon);
        if (dir.empty()) dir = ".";  // an empty PATH entry means the current folder
        std::filesystem::path candidate = std::filesystem::path(dir) / name;
        std::error_code ec;
        if (std::filesystem::is_regular_file(candidate, ec) && ::access(candidate.c_str(), X_OK) == 0) return candidate;
        if (colon == std::string_view::npos) return std::nullopt;
        dirs.remove_prefix(colon + 1);
    }
}

namespace {
std::string system_error_text(int error) { return std::error_code(error, std::generic_category()).message(); }

// Closes a file descriptor when it goes out of scope.
struct Descriptor {
    int fd = -1;
    ~Descriptor() { reset(); }
    void reset() {
        if (fd >= 0) ::close(fd);
        fd = -1;
    }
};
}  // namespace

std::string run_filter(const std::string& program, const std::vector<std::string>& args, std::string_view input) {
    // A program that dies early would otherwise kill us with SIGPIPE while we write its
    // input; ignored, the write fails with EPIPE and the exit status tells the story.
    ::signal(SIGPIPE, SIG_IGN);
    int in_pipe[2], out_pipe[2];
    if (::pipe2(in_pipe, O_CLOEXEC) != 0 || ::pipe2(out_pipe, O_CLOEXEC) != 0)
        throw std::runtime_error("cannot run " + program + ": " + system_error_text(errno));
    Descriptor in_read{in_pipe[0]}, in_write{in_pipe[1]}, out_read{out_pipe[0]}, out_write{out_pipe[1]};

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in_read.fd, STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, out_write.fd, STDOUT_FILENO);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(program.c_str()));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    pid_t pid = 0;
    const int spawned = ::posix_spawnp(&pid, program.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0) throw std::runtime_error("cannot run " + program + ": " + system_error_text(spawned));
    in_read.reset();
    out_write.reset();

    // Write the input from a second thread while this one reads the output, so that
    // neither side can block the other on a full pipe.
    std::thread writer([&] {
        std::size_t done = 0;
        while (done < input.size()) {
            const ssize_t n = ::write(in_write.fd, input.data() + done, input.size() - done);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            done += static_cast<std::size_t>(n);
        }
        in_write.reset();
    });
    std::string output;
    char buffer[65536];
    while (true) {
        const ssize_t n = ::read(out_read.fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        output.append(buffer, static_cast<std::size_t>(n));
    }
    writer.join();
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFSIGNALED(status))
        throw std::runtime_error(program + " was killed by signal " + std::to_string(WTERMSIG(status)));
    if (WEXITSTATUS(status) != 0)
        throw std::runtime_error(program + " failed (exit status " + std::to_string(WEXITSTATUS(status)) + ")");
    return output;
}

ImageFormat image_format(std::string_view option, const std::filesystem::path& file) {
    const std::string extension = file.extension().string();
    if (extension == ".svg") return ImageFormat::svg;
    if (extension == ".png") return ImageFormat::png;
    throw cli::UsageError(option, "'" + file.string() + "': the file name must end in .svg or .png");
}

std::string run_gnuplot(const std::string& script) { return run_filter("gnuplot", {}, script); }

// A newline ends a gnuplot command even inside quotes, and a line starting with ! runs in a
// shell: a file name "d\n!touch PWNED\n#.csv" in a title would run `touch PWNED`. So the
// text is shown with its control characters as \xNN (cli::printable), and inside single
// quotes the only other special character is the quote itself, written twice. (Backquotes
// and @macros are not expanded in single-quoted strings.)
std::string gnuplot_string(std::string_view text) {
    std::string q = "'";
    for (char c : cli::printable(text)) {
        if (c == '\'') q += '\'';
        q += c;
    }
    return q + "'";
}

namespace {

std::string number(double x, const char* format = "%.10g") {
    if (!std::isfinite(x)) return "?";  // gnuplot's missing value: the point is left out
    return format_number(x, format);
}

}  // namespace

// The terminal: white background, no "enhanced" text (so w1_gradient stays as written
// and the SVG's text is the title itself), UTF-8 for the arrows.
std::string terminal(ImageFormat format, int width, int height, int font_size) {
    const std::string size = std::to_string(width) + "," + std::to_string(height);
    const std::string font = "'Helvetica," + std::to_string(font_size) + "'";
    std::string s = "set encoding utf8\n";
    if (format == ImageFormat::svg)
        s += "set terminal svg size " + size + " font " + font + " noenhanced background rgb 'white'\n";
    else  // cairo's points come out larger than SVG's: scaled, the two look alike
        s += "set terminal pngcairo size " + size + " font " + font +
             " fontscale 0.8 noenhanced background rgb 'white'\n";
    return s + "set datafile missing '?'\n";
}

namespace {

// At most about `max_points` points per curve (about two per pixel of a panel): a
// million iterations still draw as a curve, and the file stays small. The first and
// the last point are always kept.
std::vector<std::size_t> sample(std::size_t last, std::size_t max_points) {
    const std::size_t step = last / max_points + 1;
    std::vector<std::size_t> ks;
    for (std::size_t k = 0; k < last; k += step) ks.push_back(k);
    ks.push_back(last);
    return ks;
}

// After k iterations (k = 0 is the start): the RMSE and the parameters.
double rmse_after(const nn::TrainingResult& r, std::size_t k) {
    return k < r.history.rows.size() ? r.history.rows[k].rmse : r.final_rmse;
}
const nn::Parameters& parameters_after(const nn::TrainingResult& r, std::size_t k) {
    return k == 0 ? r.initial : r.history.rows[k - 1].parameters;
}

std::string short_number(double x) { return number(x, "%.4g"); }
std::string rmse_number(double x) { return std::isfinite(x) ? number(x, "%.6g") : "not finite"; }

// A log axis for RMSEs. gnuplot labels only the powers of ten; over a few decades, 2
// and 5 in between let the eye read off values like 0.5 without counting minor ticks
// (over many, as when training diverges, they would pile up on each other).
std::string log_y_axis(const std::vector<const nn::TrainingResult*>& runs) {
    double low = INFINITY, high = 0;
    for (const nn::TrainingResult* r : runs)
        for (std::size_t k = 0; k <= r->history.rows.size(); ++k)
            if (const double e = rmse_after(*r, k); std::isfinite(e) && e > 0) {
                low = std::min(low, e);
                high = std::max(high, e);
            }
    std::string s = "set logscale y\n";
    if (high > 0 && high / low < 1e4)
        s += "set ytics add ('0.0002' 2e-4, '0.0005' 5e-4, '0.002' 2e-3, '0.005' 5e-3, '0.02' 0.02, '0.05' 0.05, "
             "'0.2' 0.2, '0.5' 0.5, '2' 2, '5' 5, '20' 20, '50' 50, '200' 200, '500' 500)\n";
    return s;
}

}  // namespace

std::string training_grid_script(const nn::TrainingResult& result, ImageFormat format, const std::string& title) {
    std::string s = terminal(format, 1400, 960, 14);
    const std::size_t last = result.history.rows.size();
    s += "$history << EOD\n";
    for (std::size_t k : sample(last, 700)) {
        s += std::to_string(k) + " " + number(rmse_after(result, k));
        for (double p : parameters_after(result, k).values) s += " " + number(p);
        s += '\n';
    }
    s += "EOD\n";
    // Fixed margins and spacing: room under the main title, for the tick labels between
    // panels, and for the last tick label at the right edge.
    s += "set multiplot layout 3,4 title " + gnuplot_string(title) +
         " font ',18' margins 0.05,0.975,0.065,0.9 spacing 0.065,0.09\n";
    s += "set grid lc rgb '#d0d0d0'\nset key off\nset format y '%g'\nset xtics nomirror\nset ytics nomirror\n";
    s += "set xrange [0:" + std::to_string(std::max<std::size_t>(last, 1)) + "]\n";
    // Each panel's title says where the curve starts and ends, so the grid reads
    // without hovering over axes.
    auto panel = [&](const std::string& name, int column, const std::string& from, const std::string& to,
                     const char* colour) {
        s += "set title " + gnuplot_string(name + ":  " + from + " → " + to) + " font ',14'\n";
        s += "plot $history using 1:" + std::to_string(column) + " with lines lw 2 lc rgb '" + colour + "'\n";
    };
    // The RMSE on a log scale: after its first plunge it keeps falling by factors, which a
    // linear axis flattens into a line on the floor.
    s += log_y_axis({&result});
    // The RMSE's numbers as train_health prints them (6 digits), so they can be compared.
    panel("RMSE (log scale)", 2, rmse_number(rmse_after(result, 0)), rmse_number(rmse_after(result, last)), "#c0392b");
    s += "unset logscale y\nset ytics autofreq\n";
    for (std::size_t i = 0; i < nn::parameter_count; ++i) {
        if (i == 7) s += "set xlabel 'iterations'\n";  // the bottom row says what the x axis counts
        panel(std::string(nn::parameter_names[i]), static_cast<int>(i) + 3,
              short_number(parameters_after(result, 0)[i]), short_number(parameters_after(result, last)[i]),
              i < 8 ? "#2166ac" : "#1b7837");
    }
    s += "unset multiplot\n";
    return s;
}

std::string rmse_comparison_script(const std::vector<RmseCurve>& curves, ImageFormat format, const std::string& title) {
    std::string s = terminal(format, 1000, 620, 14);
    std::size_t longest = 1;
    for (std::size_t c = 0; c < curves.size(); ++c) {
        const std::size_t last = curves[c].result->history.rows.size();
        longest = std::max(longest, last);
        s += "$curve" + std::to_string(c) + " << EOD\n";
        for (std::size_t k : sample(last, 2000))
            s += std::to_string(k) + " " + number(rmse_after(*curves[c].result, k)) + '\n';
        s += "EOD\n";
    }
    s += "set title " + gnuplot_string(title) + " font ',16'\n";
    s += "set xlabel 'iterations'\nset ylabel 'RMSE (log scale)'\nset grid lc rgb '#d0d0d0'\nset format y '%g'\n";
    std::vector<const nn::TrainingResult*> runs;
    for (const auto& c : curves) runs.push_back(c.result);
    s += log_y_axis(runs);
    s += "set xrange [0:" + std::to_string(longest) + "]\n";
    s += "set key top right box opaque spacing 1.3 width 2\n";
    // The first curves are drawn wide and pale, the later ones narrower and darker on
    // top, so two curves that coincide (the tape and the chain rule) both stay visible.
    static const char* const styles[] = {
        "lw 9 lc rgb '#9ecae1'",
        "lw 2.5 dt (8,6) lc rgb '#08306b'",
        "lw 3 lc rgb '#d95f02'",
        "lw 2 lc rgb '#7570b3'",
    };
    s += "plot ";
    for (std::size_t c = 0; c < curves.size(); ++c) {
        if (c > 0) s += ", \\\n     ";
        const std::size_t last = curves[c].result->history.rows.size();
        s += "$curve" + std::to_string(c) + " using 1:2 with lines " + styles[c % 4] + " title " +
             gnuplot_string(curves[c].label + " (RMSE " + rmse_number(rmse_after(*curves[c].result, last)) +
                            " at the end)");
    }
    s += "\n";
    return s;
}

std::string step_sweep_script(const std::vector<StepError>& sweep, ImageFormat format, const std::string& title) {
    std::string s = terminal(format, 900, 600, 14);
    s += "$sweep << EOD\n";
    for (const auto& p : sweep)
        // an error of exactly 0 has no place on a log axis: draw it at the floor
        s += number(p.step) + " " + number(std::max(p.error, 1e-17)) + '\n';
    s += "EOD\n";
    s += "set title " + gnuplot_string(title) + " font ',15'\n";
    s += "set logscale xy 10\nset format x '1e%L'\nset format y '1e%L'\n";
    s += "set xlabel 'step h (from large to small)'\nset ylabel '|central difference - tape|'\n";
    double largest = 0, smallest = 1;
    for (const auto& p : sweep) largest = std::max(largest, p.step), smallest = std::min(smallest, p.step);
    // largest step on the left: reading left to right is making the step smaller
    s += "set xrange [" + number(largest * 2) + ":" + number(smallest / 2) + "]\n";
    s += "set grid lc rgb '#d0d0d0'\nunset key\n";
    s += "plot $sweep using 1:2 with linespoints lw 2.5 pt 7 ps 1.2 lc rgb '#08519c'\n";
    return s;
}

std::string learning_rate_scan_script(const std::vector<RateOutcome>& scan, double predicted_limit,
                                      ImageFormat format, const std::string& title) {
    std::string s = terminal(format, 1000, 560, 14);
    double highest = 0, lowest = INFINITY;
    for (const RateOutcome& r : scan)
        if (!r.diverged) highest = std::max(highest, r.final_rmse), lowest = std::min(lowest, r.final_rmse);
    // the diverged rates sit in a band above the highest final RMSE
    const double band = highest + 0.12 * (highest - lowest);
    s += "$converged << EOD\n";
    for (const RateOutcome& r : scan)
        if (!r.diverged) s += number(r.learning_rate) + " " + number(r.final_rmse) + '\n';
    s += "EOD\n$diverged << EOD\n";
    for (const RateOutcome& r : scan)
        if (r.diverged) s += number(r.learning_rate) + " " + number(band) + '\n';
    s += "EOD\n";
    s += "set title " + gnuplot_string(title) + " font ',15'\n";
    s += "set xlabel 'learning rate'\nset ylabel 'RMSE after 2000 iterations'\nset grid lc rgb '#d0d0d0'\n";
    s += "set yrange [" + number(lowest - 0.08 * (highest - lowest)) + ":" + number(band + 0.1 * (highest - lowest)) +
         "]\n";
    s += "set arrow from " + number(predicted_limit) + ", graph 0 to " + number(predicted_limit) +
         ", graph 1 nohead lw 2 dt (10,6) lc rgb '#555555'\n";
    s += "set label " + gnuplot_string("predicted limit 2 / λmax = " + number(predicted_limit, "%.4f")) + " at " +
         number(predicted_limit) + ", graph 0.5 right offset -1,0 textcolor rgb '#333333'\n";
    s += "set key top left box opaque\nset xrange [0:" + number(scan.back().learning_rate + 0.005) + "]\n";
    s += "plot $converged using 1:2 with points pt 7 ps 0.8 lc rgb '#08519c' title 'converged: final RMSE', \\\n"
         "     $diverged using 1:2 with points pt 2 ps 1.2 lw 2 lc rgb '#cb181d' title 'diverged: the loss became infinite'\n";
    return s;
}

namespace {
// The points of a trace worth drawing on a log axis of iterations: every one of the first
// hundred, then every tenth (the curves change slowly by then).
bool drawn(const EigenvaluesAfter& e) { return e.iteration >= 1 && (e.iteration <= 100 || e.iteration % 10 == 0); }
}  // namespace

std::string sharpness_script(const SharpnessRun& slow, const std::vector<SharpnessRun>& near_limit,
                             ImageFormat format, const std::string& title) {
    std::string s = terminal(format, 1300, 560, 14);
    s += "$slow << EOD\n";
    for (const EigenvaluesAfter& e : slow.trace)
        if (drawn(e)) {
            s += std::to_string(e.iteration);
            for (double lambda : e.eigenvalues) s += " " + number(lambda);
            s += '\n';
        }
    s += "EOD\n";
    for (std::size_t r = 0; r < near_limit.size(); ++r) {
        s += "$run" + std::to_string(r) + " << EOD\n";
        for (const EigenvaluesAfter& e : near_limit[r].trace)
            if (drawn(e)) s += std::to_string(e.iteration) + " " + number(e.eigenvalues.back()) + '\n';
        s += "EOD\n";
    }
    s += "set multiplot layout 1,2 title " + gnuplot_string(title) + " font ',16'\n";
    s += "set grid lc rgb '#d0d0d0'\nset logscale x 10\nset xlabel 'iterations (log scale)'\nset xrange [1:2000]\n";
    s += "set title " + gnuplot_string("all eleven eigenvalues at the article's rate " +
                                       number(slow.learning_rate, "%g") + " (2 / rate = " +
                                       number(2 / slow.learning_rate, "%g") + "), λmax in red") + " font ',14'\n";
    s += "set ylabel 'eigenvalue'\nunset key\n";
    const std::size_t n = slow.trace.empty() ? 0 : slow.trace.front().eigenvalues.size();
    s += "plot ";
    for (std::size_t k = 0; k < n; ++k)
        s += std::string(k ? ", " : "") + "$slow using 1:" + std::to_string(k + 2) + " with lines lw 2 lc rgb '" +
             (k + 1 == n ? "#cb181d" : "#4292c6") + "'";
    s += "\n";
    s += "set title 'λmax near the stability limit, beside 2 / rate (dashed)' font ',14'\n";
    s += "set ylabel 'λmax'\nset key top right box opaque\n";
    static const char* const colours[] = {"#d95f02", "#1b9e77", "#7570b3"};
    s += "plot ";
    for (std::size_t r = 0; r < near_limit.size(); ++r) {
        const std::string colour = colours[r % 3], rate = number(near_limit[r].learning_rate, "%g");
        s += std::string(r ? ", \\\n     " : "") + "$run" + std::to_string(r) + " using 1:2 with lines lw 2 lc rgb '" +
             colour + "' title " + gnuplot_string("rate " + rate) + ", " + number(2 / near_limit[r].learning_rate) +
             " with lines lw 2 dt (8,6) lc rgb '" + colour + "' title " + gnuplot_string("2 / " + rate);
    }
    s += "\nunset multiplot\n";
    return s;
}

}  // namespace tapegrad::pictures
