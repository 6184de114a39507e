// examples/train_health.cpp — the main job: verify the tape's gradient, then train the
// article's health network by gradient descent and predict health scores.
//
//   train_health                                   the article's settings, tape gradients
//   train_health --gradients article --init ...    the article's program, as printed
//   train_health --history run.csv --predict 45,3,6 --predict 70,8,8
//
// Order of work: read and check every option (a bad one: one line naming it, exit 2,
// nothing written); verify the tape against the chain rule and finite differences
// (disagreement: exit 1, no training); train; print the summary; write the history.
// A loss that becomes inf or NaN stops training: the history up to that iteration is
// written, and the exit status is 3.
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <optional>
#include <vector>

#include <boost/program_options.hpp>

#include "cli.hpp"
#include "nn/data.hpp"
#include "nn/scaler.hpp"
#include "nn/training.hpp"
#include "nn/verifier.hpp"

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
            ("quiet,q", "print only the training summary, not the verifier's table");
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
        std::optional<cli::AtomicFile> history_file;
        if (vm.count("history")) history_file.emplace("--history", vm["history"].as<std::string>());
        const bool quiet = vm.count("quiet") > 0;

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
        const nn::TrainingResult result = nn::train(network, start, training);
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();

        if (result.diverged) {
            std::cout << "Training " << result.divergence << "\n  RMSE " << number(result.initial_rmse)
                      << " at the start; " << result.history.rows.size() << " iterations completed\n";
        } else {
            std::cout << "Training: " << result.history.rows.size() << " iterations of gradient descent, learning rate "
                      << number(training.learning_rate) << ", gradients from "
                      << (training.source == nn::GradientSource::tape         ? "the tape"
                          : training.source == nn::GradientSource::chain_rule ? "the chain rule by hand"
                                                                              : "the article's functions")
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
        if (result.diverged) {
            std::cerr << "train_health: training " << result.divergence << '\n';
            return exit_diverged;
        }
        return 0;
    });
}
