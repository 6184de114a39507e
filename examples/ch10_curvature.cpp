// examples/ch10_curvature.cpp — tutorial chapter 10: the curvature of the health loss.
// The tape gives the gradient; recording its own sweep (autodiff/hessian.hpp) gives second
// derivatives too, the Hessian H. Its eigenvalues say how steeply the loss curves in each
// direction, and they answer questions chapter 6 left open:
//   - how large can the learning rate be? Gradient descent is stable while the rate stays
//     below 2 / lambda_max. The program predicts that limit at the default start (seed 1)
//     and then scans learning rates to see where training really diverges;
//   - how does the sharpness lambda_max change while training runs, at the article's rate
//     and at rates near the limit;
//   - why do different starts end with different parameters but the same predictions: at
//     the minimum seven of the eleven directions are flat;
//   - what does dividing by the curvature buy (Newton's method, plain and damped)?
// Deterministic: fixed starts and seeds, counts instead of timings. Identity output, the
// article's min-max scaling, the chain rule by hand for gradient descent's gradients.
//
//   ch10_curvature [--scan-plot FILE.svg] [--eigen-plot FILE.svg]
#include <algorithm>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <boost/program_options.hpp>
#include <Eigen/Dense>

#include "cli.hpp"
#include "plot.hpp"
#include "tapegrad/autodiff/format.hpp"
#include "tapegrad/autodiff/hessian.hpp"
#include "tapegrad/nn/curvature.hpp"
#include "tapegrad/nn/data.hpp"
#include "tapegrad/nn/scaler.hpp"
#include "tapegrad/nn/training.hpp"

namespace po = boost::program_options;
using namespace tapegrad;
using namespace tapegrad::nn;

namespace {

std::string number(double x, const char* format = "%.4g") { return format_number(x, format); }

// Gradient descent at `rate` from `start` for the article's 2000 iterations, with the
// Hessian's eigenvalues after every iteration (and at the start): 2001 Hessians, each 11
// Hessian-vector products. Stops early if training diverges.
pictures::SharpnessRun sharpness_along_training(const HealthNetwork& network, const Parameters& start, double rate) {
    const auto eigenvalues = [&](const Parameters& p) {
        const Eigen::VectorXd e = curvature_at(network, p).eigenvalues;
        return std::vector<double>(e.begin(), e.end());
    };
    pictures::SharpnessRun run{rate, {{0, eigenvalues(start)}}};
    TrainingOptions options;
    options.learning_rate = rate;
    options.keep_history = false;
    train(gradient_function(network, GradientSource::chain_rule), start, options, [&](const IterationRecord& row) {
        if (std::isfinite(network.loss(row.parameters))) run.trace.push_back({row.iteration + 1, eigenvalues(row.parameters)});
    });
    return run;
}

// ---- 1. What a Hessian costs on the tape ----------------------------------------------
void print_costs(const HealthNetwork& network, const Parameters& start) {
    Tape tape;
    ParameterVars vars;
    const Var loss = network.record_loss(tape, start, vars);
    const std::size_t loss_nodes = tape.size();
    // [record_gradient]
    // The sweep recorded as nodes: g is now a computation on the tape like the loss.
    const std::vector<Var> g = record_gradient(loss, std::vector<Var>(vars.begin(), vars.end()));
    // [record_gradient]
    const std::size_t gradient_nodes = tape.size();
    Tape tape2;
    const Hessian hessian(network.record_loss(tape2, start, vars));
    const auto line = [](const char* what, std::size_t nodes) {
        std::cout << "  " << std::left << std::setw(58) << what << std::right << std::setw(4) << nodes << " nodes\n";
    };
    std::cout << "== What the Hessian costs on the tape ==\n";
    line("the loss (the batched MSE)", loss_nodes);
    line("the loss and its sweep recorded after it (record_gradient)", gradient_nodes);
    line("... and g . v, the number Hessian sweeps for H v", tape2.size());
    std::cout << "  one Hessian-vector product: one replay and one sweep of those " << tape2.size() << " nodes\n"
              << "  the whole Hessian: " << hessian.size() << " products, one per parameter\n\n";
}

// ---- 2. The Hessian at the start and its eigenvalues ----------------------------------
void print_hessian(const Eigen::MatrixXd& h) {
    std::cout << "== The Hessian of the loss at the default start (seed 1) ==\n       ";
    for (std::string_view name : parameter_names) std::cout << std::setw(7) << name;
    std::cout << "\n";
    for (Eigen::Index i = 0; i < h.rows(); ++i) {
        std::cout << "  " << std::left << std::setw(5) << parameter_names[static_cast<std::size_t>(i)] << std::right;
        for (Eigen::Index k = 0; k < h.cols(); ++k) std::cout << std::setw(7) << number(h(i, k), "%.2f");
        std::cout << "\n";
    }
    const bool symmetric = (h - h.transpose()).cwiseAbs().maxCoeff() <= 1e-12 * h.cwiseAbs().maxCoeff();
    std::cout << "  (symmetric to rounding: every |H(i,k) - H(k,i)| <= 1e-12 x the largest |H(i,k)|: "
              << (symmetric ? "yes" : "NO") << ")\n\n";
}

// Eigenvalues smaller than 1e-9 x the largest in size are zero to rounding: their digits are
// the noise of the solver (they differ from one compiler or library version to the next),
// so they are shown as ~0.
void print_eigenvalues(const std::string& title, const Curvature& c) {
    const double scale = c.eigenvalues.cwiseAbs().maxCoeff();
    std::cout << title << "\n ";
    for (double lambda : c.eigenvalues)
        std::cout << ' ' << (std::abs(lambda) <= 1e-9 * scale ? std::string("~0") : number(lambda, "%.3g"));
    std::cout << "   (~0: below 1e-9 x the largest in size)\n";
}

// ---- 3. The scan of learning rates ----------------------------------------------------
struct ScanRun {
    double rate;
    TrainingResult result;
};

std::vector<ScanRun> scan_learning_rates(const HealthNetwork& network, const Parameters& start) {
    TrainingOptions options;  // the article's 2000 iterations
    options.keep_history = false;
    std::vector<ScanRun> runs;
    for (int k = 5; k <= 160; ++k) {  // 0.005 (the article's) to 0.160
        options.learning_rate = k / 1000.0;
        runs.push_back({options.learning_rate,
                        train(gradient_function(network, GradientSource::chain_rule), start, options)});
    }
    return runs;
}

// The scan as stretches of neighbouring rates that end the same way.
void print_scan(const std::vector<ScanRun>& runs, double limit) {
    std::cout << "== Learning rates " << number(runs.front().rate, "%.3f") << " to " << number(runs.back().rate, "%.3f")
              << " in steps of 0.001, 2000 iterations each ==\n";
    for (std::size_t from = 0; from < runs.size();) {
        std::size_t to = from;
        while (to + 1 < runs.size() && runs[to + 1].result.diverged == runs[from].result.diverged) ++to;
        std::cout << "  " << number(runs[from].rate, "%.3f") << " - " << number(runs[to].rate, "%.3f") << "  ";
        if (runs[from].result.diverged) {
            std::cout << "diverge (the loss becomes infinite at iteration " << runs[from].result.diverged_at;
            for (std::size_t k = from + 1; k <= to; ++k) std::cout << ", " << runs[k].result.diverged_at;
            std::cout << ")\n";
        } else {
            double low = INFINITY, high = 0;
            for (std::size_t k = from; k <= to; ++k)
                low = std::min(low, runs[k].result.final_rmse), high = std::max(high, runs[k].result.final_rmse);
            std::cout << "converge (final RMSE " << number(low, "%.4f") << " to " << number(high, "%.4f") << ")\n";
        }
        from = to + 1;
    }
    const auto first = std::find_if(runs.begin(), runs.end(), [](const ScanRun& r) { return r.result.diverged; });
    if (first == runs.end()) return;
    const double distance = (limit - first->rate) / limit;
    std::cout << "First divergence at " << number(first->rate, "%.3f") << ", " << number(100 * std::abs(distance), "%.1f")
              << "% " << (distance > 0 ? "below" : "above") << " the predicted limit " << number(limit, "%.4f") << " ("
              << (std::abs(distance) <= 0.1 ? "within" : "NOT within") << " 10%).\n\n";
}

// ---- 4. Just below and just above the limit --------------------------------------------
void print_near_limit(const HealthNetwork& network, const Parameters& start, double limit) {
    const std::vector<double> factors{0.9, 0.95, 1.05};
    std::vector<std::vector<double>> losses;
    std::cout << "== The loss over the first 30 iterations, just below and just above the limit ==\n  iteration";
    for (double f : factors) {
        TrainingOptions options;
        options.learning_rate = f * limit;
        options.iterations = 30;
        const TrainingResult r = train(gradient_function(network, GradientSource::chain_rule), start, options);
        losses.emplace_back();
        for (const IterationRecord& row : r.history.rows) losses.back().push_back(row.rmse * row.rmse);
        std::cout << std::setw(22) << ("rate " + number(options.learning_rate, "%.4f") + " (" + number(f, "%.3g") + " x)");
    }
    std::cout << "\n";
    for (std::size_t k = 0; k < losses[0].size(); ++k) {
        std::cout << std::setw(11) << k;
        for (const auto& l : losses) std::cout << std::setw(22) << (k < l.size() ? number(l[k], "%.6g") : "-");
        std::cout << "\n";
    }
    std::cout << "\n";
}

// ---- 5. The sharpness along training ---------------------------------------------------
// lambda_max over stretches of iterations, lowest to highest: near the limit it swings from
// one iteration to the next (the parameters swing), so single samples would mislead.
void print_sharpness(const std::vector<pictures::SharpnessRun>& runs) {
    std::cout << "== lambda_max along training, beside 2 / rate ==\n";
    for (const pictures::SharpnessRun& run : runs) {
        const auto& trace = run.trace;
        std::cout << "  rate " << number(run.learning_rate, "%.3f") << " (2 / rate = "
                  << number(2 / run.learning_rate, "%.4g") << "): lambda_max " << number(trace[0].eigenvalues.back())
                  << " at the start\n";
        for (const auto& [from, to] : {std::pair{1, 10}, {11, 50}, {51, 200}, {201, 1000}, {1001, 2000}}) {
            double low = INFINITY, high = -INFINITY;
            for (const pictures::EigenvaluesAfter& e : trace)
                if (e.iteration >= from && e.iteration <= to)
                    low = std::min(low, e.eigenvalues.back()), high = std::max(high, e.eigenvalues.back());
            std::cout << "    iterations " << std::setw(4) << from << " - " << std::setw(4) << to << ": lambda_max "
                      << std::setw(6) << number(low) << " to " << std::setw(6) << number(high) << "\n";
        }
        std::cout << "    after " << trace.back().iteration << ": lambda_max " << number(trace.back().eigenvalues.back())
                  << ", lambda_min " << number(trace.back().eigenvalues.front(), "%.3g") << "\n";
    }
    std::cout << "\n";
}

// ---- 6. The minimum, and chapter 6's many starts ----------------------------------------
void print_minimum(const HealthNetwork& network, const Parameters& start) {
    const NewtonResult damped = newton(network, start);
    const Curvature c = curvature_at(network, damped.final);
    std::cout << "== At the minimum (where damped Newton ends, loss " << number(network.loss(damped.final), "%.10g")
              << ") ==\n";
    print_eigenvalues("  the Hessian's eigenvalues:", c);
    std::cout << "  flat (|lambda| <= 1e-9 lambda_max): " << c.flat_directions(1e-9) << " of 11; negative: "
              << c.negative_directions(1e-9) << "\n\n";
}

void print_many_starts(const HealthNetwork& network, const Scaler& scaler) {
    std::cout << "== Different starts, the same function: damped Newton from seeds 1 to 4 ==\n"
              << "  seed      w1      w2      w7      w8      b3      loss   prediction for (30, 2, 5)\n";
    for (std::uint64_t seed = 1; seed <= 4; ++seed) {
        const Parameters p = newton(network, initial_parameters(seed)).final;
        std::cout << std::setw(6) << seed;
        for (std::size_t k : {w1, w2, w7, w8, b3}) std::cout << std::setw(8) << number(p[k], "%.3f");
        std::cout << std::setw(13) << number(network.loss(p), "%.9f") << std::setw(16)
                  << number(predict(p, Activation::identity, scaler, 30, 2, 5), "%.7f") << "\n";
    }
    std::cout << "\n";
}

// ---- 7. Newton's method, plain and damped, against gradient descent -----------------------
void print_newton(const HealthNetwork& network, const Parameters& start) {
    NewtonOptions plain;
    plain.damping = 0;
    plain.adapt = false;
    const NewtonResult p = newton(network, start, plain), d = newton(network, start);
    TrainingOptions options;
    options.keep_history = false;
    const TrainingResult gd = train(gradient_function(network, GradientSource::chain_rule), start, options);
    std::cout << "== From the default start: Newton plain and damped, and gradient descent at 0.005 ==\n"
              << "  method              steps  Hessians (H v products)  gradients  final loss\n";
    const auto row = [](const char* name, int steps, int hessians, int gradients, double loss) {
        std::cout << "  " << std::left << std::setw(20) << name << std::right << std::setw(5) << steps << std::setw(10)
                  << hessians << " (" << std::setw(4) << 11 * hessians << ")" << std::setw(17) << gradients << "  "
                  << number(loss, "%.10g") << "\n";
    };
    row("plain Newton", static_cast<int>(p.steps.size()), p.hessians, p.hessians, network.loss(p.final));
    row("damped Newton", static_cast<int>(d.steps.size()), d.hessians, d.hessians, network.loss(d.final));
    row("gradient descent", gd.iterations_done, 0, gd.iterations_done + 1, gd.final_rmse * gd.final_rmse);
    if (p.failed) std::cout << "  plain Newton: " << p.why << "\n";
    std::cout << "  plain Newton's losses:";
    for (const NewtonStep& s : p.steps) std::cout << ' ' << number(s.loss, "%.6g");
    std::cout << "\n  damped Newton's losses:";
    for (const NewtonStep& s : d.steps) std::cout << ' ' << number(s.loss, "%.6g");
    NewtonOptions one = plain;
    one.iterations = 1;
    const Parameters after_one = newton(network, start, one).final;
    std::cout << "\n  after plain Newton's first step: loss " << number(network.loss(after_one), "%.10g")
              << ", lambda_max " << number(curvature_at(network, after_one).largest(), "%.4g") << ", w7 "
              << number(start[w7], "%.6f") << " -> " << number(after_one[w7], "%.6f") << ", w8 "
              << number(start[w8], "%.6f") << " -> " << number(after_one[w8], "%.6f") << "\n\n";
}

// 15 starts anywhere in [-2, 2]: where the Hessian is indefinite, plain Newton may go uphill.
void print_random_starts(const HealthNetwork& network) {
    std::mt19937 random(3);
    std::uniform_real_distribution<double> any(-2.0, 2.0);
    NewtonOptions first_step;
    first_step.damping = 0;
    first_step.adapt = false;
    first_step.iterations = 1;
    std::cout << "== 15 random starts, uniform in [-2, 2] (mt19937 seed 3) ==\n"
              << "                      plain Newton        damped Newton\n"
              << "  start   loss  neg.  1st step's loss     steps  final loss      |gradient|  neg. at the end\n";
    for (int trial = 1; trial <= 15; ++trial) {
        Parameters start;
        for (double& v : start.values) v = any(random);
        const double loss = network.loss(start);
        const NewtonResult plain = newton(network, start, first_step), damped = newton(network, start);
        const double step_loss = plain.steps.front().loss;
        const Parameters g = network.chain_rule_gradient(damped.final);
        const double gradient_norm = Eigen::Map<const Eigen::VectorXd>(g.values.data(), parameter_count).norm();
        std::cout << std::setw(7) << trial << std::setw(7) << number(loss, "%.3g") << std::setw(6)
                  << curvature_at(network, start).negative_directions() << std::setw(10)
                  << number(step_loss, "%.3g") << (step_loss > loss ? " uphill" : "       ") << std::setw(8)
                  << damped.steps.size() << "  " << std::left << std::setw(14)
                  << number(network.loss(damped.final), "%.10g") << std::right << std::setw(10)
                  << (gradient_norm < 1e-9 ? std::string("< 1e-9") : number(gradient_norm, "%.1e")) << std::setw(9)
                  << curvature_at(network, damped.final).negative_directions() << "\n";
    }
    const Eigen::VectorXd& y = network.targets();
    std::cout << "(neg. = negative eigenvalues of the Hessian there. The six health scores' variance, the loss of\n"
                 "predicting their mean for everyone: "
              << number((y.array() - y.mean()).square().mean(), "%.10g") << ")\n";
}

// The figures asked for: each file's format known, gnuplot found and the file opened before
// any work, so that a bad option or an unwritable path fails at once, naming the option.
struct Figures {
    std::optional<cli::OutputFile> scan, eigen;
    pictures::ImageFormat scan_format{}, eigen_format{};
};
void open_figures(const po::variables_map& vm, Figures& figures) {
    cli::check_file_options({}, cli::file_options(vm, {"scan-plot", "eigen-plot"}));
    for (const char* option : {"scan-plot", "eigen-plot"}) {
        if (!vm.count(option)) continue;
        const std::string flag = std::string("--") + option, file = vm[option].as<std::string>();
        const pictures::ImageFormat format = pictures::image_format(flag, file);
        if (!pictures::find_program("gnuplot"))
            throw cli::UsageError(flag, "gnuplot is not installed; install the Debian package gnuplot-nox");
        (option == std::string("scan-plot") ? figures.scan_format : figures.eigen_format) = format;
        (option == std::string("scan-plot") ? figures.scan : figures.eigen).emplace(flag, file);
    }
}

void draw_scan(Figures& figures, const std::vector<ScanRun>& runs, double limit) {
    if (!figures.scan) return;
    std::vector<pictures::RateOutcome> scan;
    for (const ScanRun& r : runs) scan.push_back({r.rate, r.result.diverged, r.result.final_rmse});
    figures.scan->stream() << pictures::run_gnuplot(pictures::learning_rate_scan_script(
        scan, limit, figures.scan_format,
        "Gradient descent from seed 1 at each learning rate: 2000 iterations, identity output"));
    cli::put_in_place("ch10_curvature", *figures.scan, "the final RMSE against the learning rate");
}

void draw_sharpness(Figures& figures, const std::vector<pictures::SharpnessRun>& runs) {
    if (!figures.eigen) return;
    figures.eigen->stream() << pictures::run_gnuplot(pictures::sharpness_script(
        runs[0], {runs[1], runs[2]}, figures.eigen_format,
        "The Hessian's eigenvalues along gradient descent from seed 1"));
    cli::put_in_place("ch10_curvature", *figures.eigen, "the eigenvalues along training");
}

// The curvature at the start: the matrix, its eigenvalues and the limit they predict.
Curvature print_start(const HealthNetwork& network, const Parameters& start) {
    print_costs(network, start);
    const Eigen::MatrixXd h = loss_hessian(network, start);
    print_hessian(h);
    const Curvature c = curvature_of(h);
    print_eigenvalues("The eigenvalues, smallest first:", c);
    std::cout << "  negative: " << c.negative_directions() << ", flat (|lambda| <= 1e-3 lambda_max): "
              << c.flat_directions() << "\nThe stability limit 2 / lambda_max = 2 / " << number(c.largest(), "%.4g")
              << " = " << number(c.stability_limit(), "%.4f") << "\n\n";
    return c;
}

}  // namespace

int main(int argc, char** argv) {
    return cli::run("ch10_curvature", [&] {
        po::options_description options(
            "ch10_curvature: the Hessian of the health loss, the stability limit of the learning rate, and "
            "Newton's method\n\nOptions");
        // clang-format off
        options.add_options()
            ("help", "show this help")
            ("scan-plot", po::value<std::string>()->value_name("FILE.svg|png"),
             "also draw the final RMSE against the learning rate, with the predicted limit (needs gnuplot)")
            ("eigen-plot", po::value<std::string>()->value_name("FILE.svg|png"),
             "also draw the Hessian's eigenvalues along training (needs gnuplot)");
        // clang-format on
        po::variables_map vm;
        if (!cli::parse_command_line(argc, argv, options, vm, cli::output_files_help)) return 0;
        Figures figures;
        open_figures(vm, figures);

        const Dataset people = article_people();
        const Scaler scaler = Scaler::article_min_max();
        const HealthNetwork network(scaler.transform(people.features), people.targets);
        const Parameters start = initial_parameters(1);

        const Curvature c = print_start(network, start);
        const std::vector<ScanRun> runs = scan_learning_rates(network, start);
        print_scan(runs, c.stability_limit());
        print_near_limit(network, start, c.stability_limit());
        const std::vector<pictures::SharpnessRun> sharpness{sharpness_along_training(network, start, 0.005),
                                                            sharpness_along_training(network, start, 0.12),
                                                            sharpness_along_training(network, start, 0.14)};
        print_sharpness(sharpness);
        print_minimum(network, start);
        print_many_starts(network, scaler);
        print_newton(network, start);
        print_random_starts(network);
        draw_scan(figures, runs, c.stability_limit());
        draw_sharpness(figures, sharpness);
        return 0;
    });
}
