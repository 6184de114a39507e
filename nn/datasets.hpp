/// \file
/// Well-known synthetic data sets, made from a seed, so every example runs without downloads.
///
///   moons      two interleaving half circles, label 0 and 1 (scikit-learn's make_moons):
///              class 0 at (cos t, sin t), class 1 at (1 - cos t, 0.5 - sin t), t uniform
///              in [0, pi]; columns x1, x2, label
///   circles    a circle inside another, label 1 for the inner one (radius 0.5, outer 1);
///              columns x1, x2, label
///   friedman1  regression (Friedman, 1991): ten features uniform in [0, 1], of which
///              only five matter: y = 10 sin(pi x1 x2) + 20 (x3 - 0.5)^2 + 10 x4 + 5 x5;
///              columns x1..x10, y
/// `noise` is the standard deviation of Gaussian noise added to each point (moons,
/// circles) or to y (friedman1). Rows alternate between the two classes. The random
/// numbers come from std::mt19937_64 with 53-bit fractions and Box-Muller for the
/// Gaussian, never from std::*_distribution (whose algorithms differ between standard
/// libraries), so a seed gives the same file on every machine.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <Eigen/Core>

namespace tapegrad::nn {

enum class DatasetKind { moons, circles, friedman1 };
std::string_view dataset_name(DatasetKind kind);
std::optional<DatasetKind> parse_dataset(std::string_view name);

struct SyntheticData {
    std::vector<std::string> columns;  ///< features, then the target ("label" or "y")
    Eigen::MatrixXd values;            ///< one row per example, the target last
};

SyntheticData make_dataset(DatasetKind kind, int rows, double noise, std::uint64_t seed);

}  // namespace tapegrad::nn
