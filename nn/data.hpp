/// \file
/// The article's six people, built in.
///
/// Each person has three features — age (years), exercise and diet (scores out of 10) —
/// and a made-up health score from 1 to 10 to predict. The article invented the data to
/// show how a small network learns, so the numbers mean nothing medically; they are
/// exact, small and known, which is what a worked example needs.
///
///   person  age  exercise  diet  health
///        1   60         8     7       7
///        2   63         2     2       3
///        3   17         7     7       9
///        4   35         4     5       6
///        5   90         1     1       1
///        6   10         9     7      10
#pragma once

#include <array>
#include <string_view>

#include <Eigen/Core>

namespace tapegrad::nn {

inline constexpr std::array<std::string_view, 3> feature_names{"age", "exercise", "diet"};

struct Dataset {
    Eigen::MatrixXd features;  ///< one row per person: age, exercise, diet (raw, unscaled)
    Eigen::VectorXd targets;   ///< the health score of each person

    Eigen::Index people() const { return features.rows(); }
};

/// The article's six people.
Dataset article_people();

}  // namespace tapegrad::nn
