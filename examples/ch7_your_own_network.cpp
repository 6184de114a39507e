// examples/ch7_your_own_network.cpp — tutorial chapter 7: an MLP in a few lines of C++.
//
// First the article's network again, as MLP({3, 2, 1}) with the parameters of chapter 2:
// the same loss as HealthNetwork, from dense layers instead of the article's lines. Then
// a wider network, 2 -> 16 -> 16 -> 1 with tanh, trained on two moons with log loss,
// Adam and mini-batches, and its accuracy on a fresh test set. Last, the yardstick of
// the Friedman #1 regression: the least-squares linear fit and its test RMSE, which the
// chapter's networks must beat. Deterministic: every random number comes from a seed.
#include <cstdio>

#include <Eigen/QR>
#include <iostream>

#include "cli.hpp"
#include "tapegrad/nn/data.hpp"
#include "tapegrad/nn/datasets.hpp"
#include "tapegrad/nn/health_network.hpp"
#include "tapegrad/nn/mlp_training.hpp"
#include "tapegrad/nn/scaler.hpp"

using namespace tapegrad;

int show_chapter() {
    // ---- The article's network is MLP({3, 2, 1}) ----
    const nn::Dataset people = nn::article_people();
    const Eigen::MatrixXd x_people = nn::Scaler::article_min_max().transform(people.features);
    const nn::HealthNetwork article(x_people, people.targets);
    nn::Parameters p;
    p.values = {0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0, 0, 0};
    // clang-format off
    // [health]
    nn::MLP health({3, 2, 1});  // 3 inputs, 2 hidden neurons, 1 output; identity activations
    health.weights(0) << p[nn::w1], p[nn::w4],  // W1: one row per input, one column per neuron
                         p[nn::w2], p[nn::w5],
                         p[nn::w3], p[nn::w6];
    health.bias(0) << p[nn::b1], p[nn::b2];
    health.weights(1) << p[nn::w7], p[nn::w8];
    health.bias(1) << p[nn::b3];
    const double mse = health.loss(x_people, people.targets, nn::Loss::mse);
    // [health]
    // clang-format on
    std::printf("MLP({3, 2, 1}):  MSE %.10f\nHealthNetwork:  MSE %.10f\n\n", mse, article.loss(p));

    // ---- A wider network on two moons ----
    // [moons]
    const nn::SyntheticData train = nn::make_dataset(nn::DatasetKind::moons, 1000, 0.1, /*seed*/ 1);
    const nn::SyntheticData test = nn::make_dataset(nn::DatasetKind::moons, 1000, 0.1, /*seed*/ 2);
    const nn::Scaler scaler = nn::Scaler::standard(train.values.leftCols(2));  // fitted on training rows only
    const Eigen::MatrixXd x = scaler.transform(train.values.leftCols(2)), y = train.values.col(2);
    const Eigen::MatrixXd test_x = scaler.transform(test.values.leftCols(2)), test_y = test.values.col(2);

    nn::MLP network({2, 16, 16, 1}, nn::Activation::tanh);  // tanh hidden layers, identity output: a logit
    network.initialize(/*seed*/ 1);                         // Glorot uniform weights, zero biases
    nn::MlpTrainingOptions options;
    options.loss = nn::Loss::log;  // cross-entropy from the logit
    options.optimizer = nn::OptimizerKind::adam;
    options.learning_rate = 0.01;
    options.epochs = 20;
    options.batch_size = 32;  // shuffled by options.seed each epoch
    const nn::MlpTrainingResult result = nn::train(network, x, y, options, test_x, test_y);

    const double accuracy = nn::accuracy(network.forward(test_x), test_y, /*logit threshold*/ 0.0);
    // [moons]
    std::printf("2 -> 16 -> 16 -> 1 tanh, %zu parameters, %ld Adam steps\n", network.parameter_count(), result.steps);
    for (const nn::EpochRecord& r : result.history.epochs)
        if (r.epoch % 5 == 0)
            std::printf("  epoch %2d: log loss %.6f (test %.6f)\n", r.epoch, r.train_loss, r.test_loss);
    std::printf("test accuracy: %.1f%%\n\n", 100 * accuracy);

    // ---- The yardstick for Friedman #1: the least-squares linear fit ----
    // [linear-fit]
    const nn::SyntheticData f_train = nn::make_dataset(nn::DatasetKind::friedman1, 1000, 1.0, /*seed*/ 1);
    const nn::SyntheticData f_test = nn::make_dataset(nn::DatasetKind::friedman1, 1000, 1.0, /*seed*/ 2);
    Eigen::MatrixXd a(1000, 11), t(1000, 11);  // the ten features and a column of ones (the intercept)
    a << f_train.values.leftCols(10), Eigen::VectorXd::Ones(1000);
    t << f_test.values.leftCols(10), Eigen::VectorXd::Ones(1000);
    const Eigen::VectorXd coefficients = a.colPivHouseholderQr().solve(f_train.values.col(10));
    const double linear_rmse = nn::rmse(t * coefficients, f_test.values.col(10));
    // [linear-fit]
    std::printf("Friedman #1, least-squares linear fit: test RMSE %.4f\n", linear_rmse);
    return 0;
}

int main(int argc, char** argv) { return tapegrad::cli::run_chapter(argc, argv, show_chapter); }
