// examples/ch6_many_starts.cpp — tutorial chapter 6: what the article's 5.59 can and cannot be.
// The article trains once, from an unseeded random start, and reports 5.59 for the person
// aged 30 with exercise 2 and diet 5. This program repeats that training from 1000 seeded
// starts (the article's settings: weights uniform in [0.1, 0.9], biases 0, learning rate
// 0.005, 2000 iterations, identity output, min-max scaling) for each source of the
// gradient, and prints how the prediction for that person spreads. Beside it, the best any
// network of this shape can do: with identity activations the 3-2-1 network is a linear
// function of its inputs, so no choice of its eleven parameters beats the least-squares
// line through the six people, which Eigen solves directly.
// Deterministic: seeds 1 to 1000. The tape replays one recording of the two-layer loss
// (the fastest path, chapter 9), so the whole run takes a few seconds.
#include <algorithm>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <string>
#include <vector>

#include <Eigen/Dense>

#include "cli.hpp"
#include "tapegrad/autodiff/format.hpp"
#include "tapegrad/nn/data.hpp"
#include "tapegrad/nn/scaler.hpp"
#include "tapegrad/nn/training.hpp"

using namespace tapegrad;
using namespace tapegrad::nn;

namespace {
constexpr int starts = 1000;
constexpr double age = 30, exercise = 2, diet = 5;
constexpr double article_prediction = 5.59;

std::string number(double x, const char* format = "%.3f") { return format_number(x, format); }

// The prediction for the example person after training from each of the starts.
std::vector<double> predictions_after_training(const Scaler& scaler, const GradientFunction& gradient) {
    TrainingOptions options;  // the article's: learning rate 0.005, 2000 iterations
    options.keep_history = false;
    std::vector<double> predictions;
    for (int seed = 1; seed <= starts; ++seed) {
        const TrainingResult result = train(gradient, initial_parameters(seed), options);
        predictions.push_back(predict(result.final, Activation::identity, scaler, age, exercise, diet));
    }
    return predictions;
}

// The value below which `fraction` of the sorted numbers lie (the nearest rank).
double percentile(const std::vector<double>& sorted, double fraction) {
    const auto rank = static_cast<std::size_t>(std::ceil(fraction * static_cast<double>(sorted.size())));
    return sorted[std::max<std::size_t>(rank, 1) - 1];
}

void print_spread(const std::string& source, std::vector<double> predictions) {
    std::sort(predictions.begin(), predictions.end());
    const auto near_article = std::count_if(predictions.begin(), predictions.end(),
                                            [](double p) { return std::abs(p - article_prediction) < 0.005; });
    std::cout << std::left << std::setw(22) << source << std::right;
    for (double x : {predictions.front(), percentile(predictions, 0.05), percentile(predictions, 0.5),
                     percentile(predictions, 0.95), predictions.back()})
        std::cout << std::setw(8) << number(x);
    std::cout << std::setw(16) << near_article << "\n";
}

// The least-squares line through the six people, on the scaled inputs:
//     health = a1 x1 + a2 x2 + a3 x3 + c
// Its prediction for the example person and its RMSE on the six.
void print_least_squares(const Eigen::MatrixXd& scaled, const Eigen::VectorXd& targets, const Scaler& scaler) {
    // [least_squares]
    Eigen::MatrixXd X(scaled.rows(), 4);
    X << scaled, Eigen::VectorXd::Ones(scaled.rows());  // a column of ones for c
    const Eigen::Vector4d fit = X.colPivHouseholderQr().solve(targets);
    const double rmse = std::sqrt((X * fit - targets).squaredNorm() / static_cast<double>(targets.size()));
    Eigen::MatrixXd person(1, 3);
    person << age, exercise, diet;
    const double prediction = scaler.transform(person).row(0).dot(fit.head<3>()) + fit(3);
    // [least_squares]
    std::cout << "The least-squares line through the six people (no network can do better):\n"
              << "  health = " << number(fit(0)) << " x1 + " << number(fit(1)) << " x2 + " << number(fit(2)) << " x3 + "
              << number(fit(3)) << "\n"
              << "  RMSE on the six people " << number(rmse, "%.4f") << ", prediction for (30, 2, 5) "
              << number(prediction) << "\n";
}

// Seed 1 with the tape, trained for longer: the prediction walks towards the line's. Then
// the first 20 starts trained that long: they all end there.
void print_longer_training(const Scaler& scaler, const GradientFunction& gradient) {
    const auto prediction = [&](const TrainingResult& r) {
        return predict(r.final, Activation::identity, scaler, age, exercise, diet);
    };
    std::cout << "\nSeed 1 with the tape, trained for longer:\n";
    TrainingOptions options;
    options.keep_history = false;
    for (int iterations : {2000, 20000, 200000}) {
        options.iterations = iterations;
        const TrainingResult result = train(gradient, initial_parameters(1), options);
        std::cout << "  " << std::setw(6) << iterations << " iterations: RMSE " << number(result.final_rmse, "%.4f")
                  << ", prediction for (30, 2, 5) " << number(prediction(result)) << "\n";
    }
    std::vector<double> predictions, rmses;
    for (int seed = 1; seed <= 20; ++seed) {
        const TrainingResult result = train(gradient, initial_parameters(seed), options);
        predictions.push_back(prediction(result));
        rmses.push_back(result.final_rmse);
    }
    const auto [low, high] = std::minmax_element(predictions.begin(), predictions.end());
    const auto [best, worst] = std::minmax_element(rmses.begin(), rmses.end());
    std::cout << "Seeds 1 to 20, " << options.iterations << " iterations each: RMSE " << number(*best, "%.4f") << " to "
              << number(*worst, "%.4f") << ", prediction for (30, 2, 5) " << number(*low) << " to " << number(*high)
              << "\n";
}
}  // namespace

int show_chapter() {
    const Dataset people = article_people();
    const Scaler scaler = Scaler::article_min_max();
    const Eigen::MatrixXd scaled = scaler.transform(people.features);
    const HealthNetwork network(scaled, people.targets);
    const GradientFunction tape = gradient_function(network, GradientSource::tape, Recording::layers, Reuse::replay);

    std::cout << "The prediction for age 30, exercise 2, diet 5 after the article's training\n"
              << "(2000 iterations at learning rate 0.005) from " << starts << " starts, seeds 1 to " << starts
              << ":\n\n"
              << "gradient source           min      5%  median     95%     max  rounds to 5.59\n";
    print_spread("tape", predictions_after_training(scaler, tape));
    print_spread("chain rule by hand",
                 predictions_after_training(scaler, gradient_function(network, GradientSource::chain_rule)));
    print_spread("article's functions",
                 predictions_after_training(scaler, gradient_function(network, GradientSource::article)));
    std::cout << "\n";
    print_least_squares(scaled, people.targets, scaler);
    print_longer_training(scaler, tape);
    return 0;
}

// The chapter takes no arguments; any is refused, and lost output is an error.
int main(int argc, char** argv) { return tapegrad::cli::run_chapter(argc, argv, show_chapter); }
