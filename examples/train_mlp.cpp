// examples/train_mlp.cpp — train a small network on your own CSV data, and save it.
//
//   train_mlp --data moons.csv --target label --test moons_test.csv --loss log --save moons.json
//   train_mlp --data friedman.csv --target y --hidden 32 --epochs 150 --plot friedman.svg
//   train_mlp --data iris.csv --target species --test iris_test.csv --loss cross-entropy
//
// With --loss cross-entropy the target column holds classes, whole numbers 0..K-1 or
// words; the network gets one output per class, the model keeps the classes' names, and
// the results add the confusion matrix of the test data (of the training data without
// one). A test label that the training data never had is an error naming its place.
// Steps: read and check every option and both data files (a bad one: one line naming the
// option and the place in the file, exit 2, nothing written); fit the scaler on the
// training rows; build the network (--hidden sizes, --activation for the hidden layers,
// an identity output: a value for mse, a logit for log loss); check the tape's gradient
// against central differences at the start, every parameter up to 1000 and along 8 random
// directions past that, so the check costs the same at any size (disagreement: exit 1, no
// training); train;
// print the final training (and test) RMSE for mse or accuracy for log loss, as text
// or with --json as one JSON object; write the model, the history, the predictions and
// the picture. A loss that becomes inf or NaN stops training: the history is written,
// no model, exit 3. A run longer than a second shows its epoch on stderr on a terminal.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <unistd.h>

#include <boost/program_options.hpp>

#include "json.hpp"
#include "mlp_cli.hpp"
#include "mlp_plot.hpp"
#include "tapegrad/autodiff/gradient_check.hpp"
#include "tapegrad/nn/mlp_training.hpp"

namespace po = boost::program_options;
using namespace tapegrad;
using cli::number;

namespace {
constexpr int exit_not_verified = 1;
constexpr int exit_diverged = 3;

struct Settings {
    std::string data_file, test_file, target, activation_name, scaler_name;
    std::vector<int> hidden;
    nn::Activation activation = nn::Activation::tanh;
    nn::MlpTrainingOptions training;
    std::uint64_t init_seed = 1;
    bool json = false, quiet = false;
};

po::options_description declare_options() {
    po::options_description options("train_mlp: train a small network on a CSV file\n\nOptions");
    // clang-format off
    options.add_options()
        ("help,h", "show this help and exit")
        ("data", po::value<std::string>()->value_name("FILE.csv"), "training data: a header row, then numbers")
        ("target", po::value<std::string>()->value_name("COLUMN"), "the column to predict; the others are inputs")
        ("test", po::value<std::string>()->value_name("FILE.csv"), "test data with the same columns (only evaluated)")
        ("hidden", po::value<std::string>()->default_value("16,16")->value_name("SIZES"),
         "hidden layer sizes, e.g. 16,16 (none: a linear model)")
        ("activation", po::value<std::string>()->default_value("tanh")->value_name("NAME"),
         "hidden layers' activation: identity, sigmoid, relu or tanh")
        ("loss", po::value<std::string>()->default_value("mse")->value_name("mse|log|cross-entropy"),
         "mse for regression, log for 0/1 labels, cross-entropy for classes (numbers 0..K-1 or words)")
        ("optimizer", po::value<std::string>()->default_value("adam")->value_name("gd|momentum|adam"), "update rule")
        ("learning-rate", po::value<double>()->default_value(0.01, "0.01")->value_name("RATE"), "step size (positive)")
        ("epochs", po::value<int>()->default_value(100)->value_name("N"), "passes over the training data")
        ("batch-size", po::value<int>()->default_value(32)->value_name("N"), "rows per step; 0 = all (full batch)")
        ("seed", po::value<std::string>()->default_value("1")->value_name("N"),
         "seed of the start and the shuffle, 0 to 2^64-1")
        ("scaler", po::value<std::string>()->default_value("standard")->value_name("NAME"),
         "input scaling fitted on the training data: minmax, standard or none")
        ("save", po::value<std::string>()->value_name("MODEL.json"), "write the trained model")
        ("history", po::value<std::string>()->value_name("FILE.csv"), "write the loss after every epoch")
        ("predictions", po::value<std::string>()->value_name("FILE.csv"),
         "write the model's prediction for each training row, as predict_mlp does")
        ("plot", po::value<std::string>()->value_name("FILE.svg|png"),
         "draw the loss curves (and the decision boundary for two inputs and log loss; the confusion matrix, and "
         "for two inputs the decision regions, for cross-entropy)")
        ("json", "print the results as one JSON object")
        ("quiet", "no progress line");
    // clang-format on
    return options;
}

Settings read_settings(const po::variables_map& vm) {
    Settings s;
    if (!vm.count("data")) throw cli::UsageError("--data", "give the training data file");
    if (!vm.count("target")) throw cli::UsageError("--target", "give the column to predict");
    s.data_file = vm["data"].as<std::string>();
    s.target = vm["target"].as<std::string>();
    if (vm.count("test")) s.test_file = vm["test"].as<std::string>();
    s.hidden = cli::parse_sizes("--hidden", vm["hidden"].as<std::string>());
    s.activation_name = vm["activation"].as<std::string>();
    s.activation = cli::parse_activation("--activation", s.activation_name);
    s.training.loss = cli::parse_loss("--loss", vm["loss"].as<std::string>());
    s.training.optimizer = cli::parse_optimizer("--optimizer", vm["optimizer"].as<std::string>());
    s.training.learning_rate = vm["learning-rate"].as<double>();
    if (!(s.training.learning_rate > 0) || !std::isfinite(s.training.learning_rate))
        throw cli::UsageError("--learning-rate", "must be a positive finite number");
    s.training.epochs = vm["epochs"].as<int>();
    if (s.training.epochs < 1) throw cli::UsageError("--epochs", "must be at least 1");
    s.training.batch_size = vm["batch-size"].as<int>();
    if (s.training.batch_size < 0) throw cli::UsageError("--batch-size", "must be 0 (full batch) or more");
    s.init_seed = s.training.seed = cli::parse_seed("--seed", vm["seed"].as<std::string>());
    s.scaler_name = vm["scaler"].as<std::string>();
    s.json = vm.count("json") > 0;
    s.quiet = vm.count("quiet") > 0;
    return s;
}

// The test file must have the training file's columns, in the same order.
void check_same_columns(const nn::Table& train, const nn::Table& test) {
    if (train.columns == test.columns) return;
    std::string a, b;
    for (const auto& c : train.columns) a += (a.empty() ? "" : ", ") + c;
    for (const auto& c : test.columns) b += (b.empty() ? "" : ", ") + c;
    throw cli::UsageError("--test", test.file + ":1: the columns are " + b + "; the training data's are " + a);
}

// Log loss needs labels 0 and 1: the first other value is named with its line.
void check_labels(const nn::Examples& e, const std::string& file) {
    for (Eigen::Index i = 0; i < e.targets.rows(); ++i)
        if (e.targets(i) != 0 && e.targets(i) != 1)
            throw cli::UsageError("--loss", file + ":" + std::to_string(i + 2) + ": column '" + e.target_name +
                                                "' holds " + number(e.targets(i)) +
                                                "; log loss needs labels 0 and 1 (use --loss mse for a value)");
}

// The class of each training and test row and their one-hot targets (cross-entropy), or
// the target column as it is (the other losses).
struct Targets {
    std::vector<std::string> classes;          // empty unless cross-entropy
    std::vector<int> train_class, test_class;  // each row's class index
    Eigen::MatrixXd train, test;               // what the network is trained and tested on
};

Targets targets_of(const Settings& s, const nn::Examples& train, const std::optional<nn::Examples>& test) {
    Targets t;
    if (s.training.loss != nn::Loss::cross_entropy) {
        t.train = train.targets;
        if (test) t.test = test->targets;
        return t;
    }
    t.classes = cli::read_class_names("--target", train, s.data_file);
    t.train_class = cli::read_class_indices("--target", train, t.classes, s.data_file);
    t.train = nn::one_hot(t.train_class, static_cast<int>(t.classes.size()));
    if (test) {
        t.test_class = cli::read_class_indices("--test", *test, t.classes, s.test_file);
        t.test = nn::one_hot(t.test_class, static_cast<int>(t.classes.size()));
    }
    return t;
}

// The confusion matrix as a table: a row per actual class, a column per predicted one.
void print_confusion(const std::vector<std::string>& classes, const Eigen::MatrixXi& m, const std::string& of) {
    std::size_t width = 6;
    for (const auto& c : classes) width = std::max(width, cli::printable(c).size());
    const auto pad = [](std::string text, std::size_t w) {
        return std::string(w - std::min(w, text.size()), ' ') + text;
    };
    std::cout << "  confusion matrix of " << of << " (rows: actual class, columns: predicted)\n  " << pad("", width);
    for (const auto& c : classes) std::cout << " " << pad(cli::printable(c), width);
    std::cout << "\n";
    for (Eigen::Index a = 0; a < m.rows(); ++a) {
        std::cout << "  " << pad(cli::printable(classes[static_cast<std::size_t>(a)]), width);
        for (Eigen::Index p = 0; p < m.cols(); ++p) std::cout << " " << pad(std::to_string(m(a, p)), width);
        std::cout << "\n";
    }
}

// Up to this many parameters the start-up check compares every one (two losses each);
// past it, the gradient along a few random directions (two losses each, whatever the size).
constexpr std::size_t full_check_limit = 1000;
constexpr int check_directions_count = 8;

// The tape's gradient of the loss on the first rows (at most 64), at the starting
// parameters, against central differences of the loss computed with plain doubles:
// parameter by parameter for a small network, along random directions for a large one.
// Rounding makes central differences err by about eps |loss| / step = 2.2e-10 |loss|, so
// the absolute tolerance grows with the loss: atol = 1e-8 max(1, |loss|), rtol 1e-6.
GradientReport check_start(const nn::MLP& network, const Eigen::MatrixXd& x, const Eigen::MatrixXd& y, nn::Loss loss,
                           const std::function<void(int)>& progress) {
    const Eigen::Index rows = std::min<Eigen::Index>(x.rows(), 64);
    const Eigen::MatrixXd xs = x.topRows(rows), ys = y.topRows(rows);
    nn::BatchGradient tape_gradient(network, loss);
    std::vector<double> g(network.parameter_count());
    tape_gradient(network.parameters(), xs, ys, g);
    nn::MLP moved = network;
    const auto f = [&](std::span<const double> p) {
        std::copy(p.begin(), p.end(), moved.parameters().begin());
        return moved.loss(xs, ys, loss);
    };
    const std::vector<double> start(network.parameters().begin(), network.parameters().end());
    GradientCheckOptions tolerance;
    tolerance.atol = 1e-8 * std::max(1.0, std::abs(network.loss(xs, ys, loss)));
    if (g.size() > full_check_limit)
        return check_directions(f, start, g, tolerance, check_directions_count, 1, progress);
    std::vector<std::string> names;
    for (std::size_t i = 0; i < g.size(); ++i) names.push_back("parameter " + std::to_string(i));
    return compare_gradients(names, g, central_differences(f, start), tolerance);
}

std::string describe_network(const nn::MLP& net, const Settings& s) {
    std::string sizes;
    for (int n : net.sizes()) sizes += (sizes.empty() ? "" : " -> ") + std::to_string(n);
    const std::string output = s.training.loss == nn::Loss::cross_entropy ? ", identity output (logits) into softmax ("
                                                                          : ", identity output (";
    return sizes + (s.hidden.empty() ? "" : ", " + s.activation_name + " hidden layers") + output +
           std::to_string(net.parameter_count()) + " parameters, Glorot/He uniform start, seed " +
           std::to_string(s.init_seed) + ")";
}

// A line on stderr with the epoch and the loss, rewritten in place, for runs longer than
// a second on a terminal (TAPEGRAD_PROGRESS_AFTER=SECONDS changes the second).
struct Progress {
    bool enabled;
    int epochs;
    std::chrono::steady_clock::time_point began = std::chrono::steady_clock::now();
    double after = std::getenv("TAPEGRAD_PROGRESS_AFTER") ? std::atof(std::getenv("TAPEGRAD_PROGRESS_AFTER")) : 1.0;
    bool shown = false;
    void operator()(int epoch, double loss) {
        show("epoch " + std::to_string(epoch) + " of " + std::to_string(epochs) + ", training loss " +
             number(loss, "%.6g"));
    }
    void show(const std::string& text) {
        if (!enabled || std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count() < after) return;
        std::fprintf(stderr, "\r\033[Ktrain_mlp: %s", text.c_str());
        std::fflush(stderr);
        shown = true;
    }
    ~Progress() {
        if (shown) std::fputs("\r\033[K", stderr);
    }
};

struct Scores {
    double train = 0, test = 0;  // RMSE for mse, accuracy for log loss and cross-entropy
    Eigen::MatrixXi confusion;   // cross-entropy: of the test data, or of the training data without
};

Scores score(const nn::Model& model, const nn::Examples& train, const std::optional<nn::Examples>& test,
             const Targets& t) {
    if (model.loss == nn::Loss::cross_entropy) {
        const auto classes = [&](const nn::Examples& e) { return nn::predicted_classes(model.predict(e.features)); };
        const std::vector<int> train_predicted = classes(train);
        Scores s{nn::class_accuracy(train_predicted, t.train_class), 0.0, {}};
        const int k = static_cast<int>(t.classes.size());
        if (!test) {
            s.confusion = nn::confusion_matrix(train_predicted, t.train_class, k);
            return s;
        }
        const std::vector<int> test_predicted = classes(*test);
        s.test = nn::class_accuracy(test_predicted, t.test_class);
        s.confusion = nn::confusion_matrix(test_predicted, t.test_class, k);
        return s;
    }
    const auto one = [&](const nn::Examples& e) {
        const Eigen::MatrixXd out = model.predict(e.features);
        return model.loss == nn::Loss::log ? nn::accuracy(out, e.targets, 0.5) : nn::rmse(out, e.targets);
    };
    return {one(train), test ? one(*test) : 0.0, {}};
}

void print_results(const nn::Model& model, const nn::MlpTrainingResult& result, const Scores& scores, bool has_test,
                   double seconds) {
    const auto& first = result.history.epochs.front();
    const auto& last = result.history.epochs.back();
    std::cout << "  " << nn::loss_name(model.loss) << " loss " << number(first.train_loss) << " at the start, "
              << number(last.train_loss) << " at the end" << (has_test ? " (test " + number(last.test_loss) + ")" : "")
              << "\n";
    if (model.loss != nn::Loss::mse)
        std::cout << "  training accuracy " << number(100 * scores.train, "%.2f") << "%"
                  << (has_test ? ", test accuracy " + number(100 * scores.test, "%.2f") + "%" : "") << "\n";
    else
        std::cout << "  training RMSE " << number(scores.train)
                  << (has_test ? ", test RMSE " + number(scores.test) : "") << "\n";
    if (model.loss == nn::Loss::cross_entropy)
        print_confusion(model.classes, scores.confusion, has_test ? "the test data" : "the training data");
    std::cout << "  training time: " << number(seconds * 1e3, "%.1f") << " ms\n";
}

void print_json(const nn::Model& model, const nn::MlpTrainingResult& result, const Scores& scores, bool has_test) {
    const std::string kind = model.loss == nn::Loss::mse ? "rmse" : "accuracy";
    std::cout << "{\"train_" << kind << "\": " << json::number(scores.train);
    if (has_test) std::cout << ", \"test_" << kind << "\": " << json::number(scores.test);
    std::cout << ", \"train_loss\": " << json::number(result.history.epochs.back().train_loss)
              << ", \"epochs\": " << result.history.epochs.size() - 1 << ", \"steps\": " << result.steps << "}\n";
}

// Put an output file in place, when it was asked for.
void commit(std::optional<cli::OutputFile>& file, const std::string& what) {
    if (!file) return;
    cli::put_in_place("train_mlp", *file, what);
}
}  // namespace

int main(int argc, char** argv) {
    return cli::run("train_mlp", [&] {
        const po::options_description options = declare_options();
        po::variables_map vm;
        if (!cli::parse_command_line(argc, argv, options, vm, cli::output_files_help)) return 0;
        const Settings s = read_settings(vm);
        cli::check_file_options(cli::file_options(vm, {"data", "test"}),
                                cli::file_options(vm, {"save", "history", "predictions", "plot"}));

        // ---- The data, checked before anything is written ----
        const bool classes = s.training.loss == nn::Loss::cross_entropy;  // the target is read as text
        const nn::Table table = cli::read_table("--data", s.data_file, classes ? s.target : "");
        const nn::Examples train = cli::split_table("--target", table, s.target);
        std::optional<nn::Examples> test;
        if (!s.test_file.empty()) {
            const nn::Table test_table = cli::read_table("--test", s.test_file, classes ? s.target : "");
            check_same_columns(table, test_table);
            test = cli::split_table("--target", test_table, s.target);
        }
        if (s.training.loss == nn::Loss::log) {
            check_labels(train, s.data_file);
            if (test) check_labels(*test, s.test_file);
        }
        const Targets targets = targets_of(s, train, test);
        std::optional<pictures::ImageFormat> plot_format;
        if (vm.count("plot")) {
            plot_format = pictures::image_format("--plot", vm["plot"].as<std::string>());
            if (!pictures::find_program("gnuplot"))
                throw cli::UsageError("--plot",
                                      "gnuplot is not installed (no gnuplot on PATH); install the Debian "
                                      "package gnuplot-nox (apt-get install gnuplot-nox)");
        }
        std::optional<cli::OutputFile> save_file, history_file, predictions_file, plot_file;
        if (vm.count("save")) save_file.emplace("--save", vm["save"].as<std::string>());
        if (vm.count("history")) history_file.emplace("--history", vm["history"].as<std::string>());
        if (vm.count("predictions")) predictions_file.emplace("--predictions", vm["predictions"].as<std::string>());
        if (plot_format) plot_file.emplace("--plot", vm["plot"].as<std::string>());

        // ---- The scaler and the network ----
        nn::Model model{nn::MLP({1, 1}), cli::fit_scaler("--scaler", s.scaler_name, train, s.data_file),
                        train.feature_names, s.target, s.training.loss};
        model.classes = targets.classes;  // cross-entropy: the outputs' classes, in order
        std::vector<int> sizes{static_cast<int>(train.features.cols())};
        sizes.insert(sizes.end(), s.hidden.begin(), s.hidden.end());
        sizes.push_back(classes ? static_cast<int>(targets.classes.size()) : 1);
        model.network = nn::MLP(sizes, s.activation, nn::Activation::identity);
        model.network.initialize(s.init_seed);
        const Eigen::MatrixXd x = model.scaler.transform(train.features);
        const Eigen::MatrixXd test_x = test ? model.scaler.transform(test->features) : Eigen::MatrixXd();
        const Eigen::MatrixXd& test_y = targets.test;
        if (!s.json) {
            std::cout << "Data: " << cli::printable(s.data_file) << ", " << x.rows() << " rows, " << x.cols()
                      << " inputs -> " << cli::printable(s.target)
                      << (classes ? " (" + std::to_string(targets.classes.size()) + " classes)" : "")
                      << (test ? "; test: " + cli::printable(s.test_file) + ", " + std::to_string(test_x.rows()) +
                                     " rows"
                               : "")
                      << "\nNetwork: " << describe_network(model.network, s) << "\n";
        }

        // ---- Check the tape's gradient before training ----
        // (train() starts an mse network's output bias at the targets' mean: so does the check.)
        if (s.training.loss == nn::Loss::mse) model.network.bias(sizes.size() - 2) = targets.train.colwise().mean();
        const bool along_directions = model.network.parameter_count() > full_check_limit;
        Progress check_progress{!s.quiet && ::isatty(STDERR_FILENO), 0};
        const GradientReport check = check_start(model.network, x, targets.train, s.training.loss, [&](int done) {
            check_progress.show("gradient check, direction " + std::to_string(done) + " of " +
                                std::to_string(check_directions_count));
        });
        const std::string checked = along_directions ? "directions" : "parameters";
        const ParameterCheck& worst = check.worst_parameter();
        if (!check.passed) {
            std::cerr << "train_mlp: the tape's gradient disagrees with central differences at " << check.failures()
                      << " of " << check.parameters.size() << " " << checked << " (worst: " << worst.name << ", tape "
                      << number(worst.analytic, "%.10g") << ", central differences " << number(worst.numeric, "%.10g")
                      << "); not training\n";
            return exit_not_verified;
        }
        if (!s.json)
            std::cout << "Gradient check at the start: the tape against central differences on "
                      << std::min<Eigen::Index>(x.rows(), 64) << " rows, "
                      << (along_directions ? std::to_string(check.parameters.size()) + " random directions through " +
                                                 std::to_string(model.network.parameter_count()) + " parameters"
                                           : std::to_string(check.parameters.size()) + " parameters")
                      << ": all within rtol 1e-6, atol 1e-8 max(1, loss)\n";

        // ---- Train ----
        const Eigen::Index batch =
            s.training.batch_size == 0 ? x.rows() : std::min<Eigen::Index>(s.training.batch_size, x.rows());
        if (!s.json)
            std::cout << "Training: " << s.training.epochs << " epochs of " << nn::optimizer_name(s.training.optimizer)
                      << ", learning rate " << number(s.training.learning_rate)
                      << (batch == x.rows() ? std::string(", full batch")
                                            : ", mini-batches of " + std::to_string(batch) + " (shuffle seed " +
                                                  std::to_string(s.training.seed) + ")")
                      << ", " << model.scaler.name() << " scaling\n";
        const auto began = std::chrono::steady_clock::now();
        nn::MlpTrainingResult result;
        {
            Progress progress{!s.quiet && ::isatty(STDERR_FILENO), s.training.epochs};
            result = nn::train(model.network, x, targets.train, s.training, test_x, test_y, std::ref(progress));
        }
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
        if (history_file) result.history.write_csv(history_file->stream(), test.has_value());
        commit(history_file, std::to_string(result.history.epochs.size()) + " rows");
        if (result.diverged) {
            std::cerr << "train_mlp: training " << result.divergence << "; no model written\n";
            return exit_diverged;
        }

        // ---- Results and files ----
        const Scores scores = score(model, train, test, targets);
        if (s.json)
            print_json(model, result, scores, test.has_value());
        else
            print_results(model, result, scores, test.has_value(), seconds);
        if (save_file) save_file->stream() << nn::to_json(model);
        commit(save_file, std::to_string(model.network.parameter_count()) + " parameters");
        if (predictions_file)
            cli::write_predictions(predictions_file->stream(), model, train.features,
                                   {"--predictions", "the trained model", s.data_file});
        commit(predictions_file, std::to_string(train.features.rows()) + " predictions");
        if (plot_file) {
            const pictures::MlpPicture picture{
                &result.history,
                test.has_value(),
                "train_mlp on " + s.data_file + ": " + describe_network(model.network, s),
                s.training.loss != nn::Loss::mse ? &model : nullptr,
                &train.features,
                &train.targets,
                classes ? &scores.confusion : nullptr,
                test ? "the test data" : "the training data",
                &targets.train_class};
            plot_file->stream() << pictures::run_gnuplot(pictures::mlp_training_script(picture, *plot_format));
        }
        commit(plot_file, "loss curves" + std::string(classes ? ", confusion matrix" : "") +
                              std::string(x.cols() != 2                      ? ""
                                          : s.training.loss == nn::Loss::log ? " and decision boundary"
                                          : classes                          ? " and decision regions"
                                                                             : ""));
        return 0;
    });
}
