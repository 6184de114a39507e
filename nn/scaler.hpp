/// \file
/// Putting the features on comparable scales.
///
/// Age runs to 90 while exercise and diet stay below 10; fed raw, age would dominate
/// every weighted sum. Both scalers here are affine, feature by feature:
///     scaled = (raw - offset) / scale
///   min-max      offset = lower bound, scale = upper - lower bound. The article fixes
///                the bounds in advance (age over 0..101, exercise and diet over 0..11)
///                rather than taking them from the data, so a new person is scaled the
///                same way as the six it was trained on, and stays inside 0..1 unless
///                they are older than 101.
///   standard     offset = mean, scale = standard deviation (numpy's np.std: divide by
///                n, not n - 1) of the training data — the article's bonus alternative.
/// A scaler is fitted once and then applied unchanged to every later person.
#pragma once

#include <string>

#include <Eigen/Core>

namespace tapegrad::nn {

class Scaler {
public:
    /// Fixed bounds per feature; each upper bound must exceed its lower bound.
    static Scaler min_max(const Eigen::RowVectorXd& lower, const Eigen::RowVectorXd& upper);
    /// The article's bounds: age 0..101, exercise 0..11, diet 0..11.
    static Scaler article_min_max();
    /// Mean and standard deviation of each column of `features` (one row per person).
    /// A feature with zero spread cannot be standardised: std::invalid_argument.
    static Scaler standard(const Eigen::MatrixXd& features);
    /// Any affine scaler by its parts (a model file's, or "none": offset 0, scale 1, which
    /// leaves every number as it is). Each scale must be positive and finite.
    static Scaler affine(std::string name, const Eigen::RowVectorXd& offset, const Eigen::RowVectorXd& scale);

    /// Scale each row (one person per row).
    Eigen::MatrixXd transform(const Eigen::MatrixXd& raw) const;

    const std::string& name() const { return name_; }  // "minmax", "standard" or "none"
    const Eigen::RowVectorXd& offset() const { return offset_; }
    const Eigen::RowVectorXd& scale() const { return scale_; }

private:
    Scaler(std::string name, Eigen::RowVectorXd offset, Eigen::RowVectorXd scale)
        : name_(std::move(name)), offset_(std::move(offset)), scale_(std::move(scale)) {}

    std::string name_;
    Eigen::RowVectorXd offset_;
    Eigen::RowVectorXd scale_;
};

}  // namespace tapegrad::nn
