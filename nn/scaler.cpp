// tapegrad/nn/scaler.cpp — min-max and standard scaling.
#include "tapegrad/nn/scaler.hpp"

#include <cmath>
#include <stdexcept>

namespace tapegrad::nn {

Scaler Scaler::min_max(const Eigen::RowVectorXd& lower, const Eigen::RowVectorXd& upper) {
    if (lower.size() != upper.size())
        throw std::invalid_argument("min_max scaler: " + std::to_string(lower.size()) + " lower and " +
                                    std::to_string(upper.size()) + " upper bounds");
    for (Eigen::Index j = 0; j < lower.size(); ++j)
        if (!(upper(j) > lower(j)))
            throw std::invalid_argument("min_max scaler: feature " + std::to_string(j) +
                                        ": upper bound must exceed lower bound");
    return Scaler("minmax", lower, upper - lower);
}

Scaler Scaler::article_min_max() {
    Eigen::RowVectorXd lower(3), upper(3);
    lower << 0, 0, 0;
    upper << 101, 11, 11;
    return min_max(lower, upper);
}

Scaler Scaler::standard(const Eigen::MatrixXd& features) {
    const Eigen::RowVectorXd mean = features.colwise().mean();
    const Eigen::RowVectorXd centered_sq = (features.rowwise() - mean).array().square().colwise().sum();
    const Eigen::RowVectorXd sd = (centered_sq / static_cast<double>(features.rows())).array().sqrt();
    for (Eigen::Index j = 0; j < sd.size(); ++j)
        if (!(sd(j) > 0))
            throw std::invalid_argument("standard scaler: feature " + std::to_string(j) +
                                        " has zero standard deviation");
    return Scaler("standard", mean, sd);
}

Scaler Scaler::affine(std::string name, const Eigen::RowVectorXd& offset, const Eigen::RowVectorXd& scale) {
    if (offset.size() != scale.size())
        throw std::invalid_argument("scaler: " + std::to_string(offset.size()) + " offsets and " +
                                    std::to_string(scale.size()) + " scales");
    for (Eigen::Index j = 0; j < scale.size(); ++j)
        if (!(scale(j) > 0) || !std::isfinite(scale(j)) || !std::isfinite(offset(j)))
            throw std::invalid_argument("scaler: feature " + std::to_string(j) +
                                        ": the offset must be finite and the scale positive and finite");
    return Scaler(std::move(name), offset, scale);
}

Eigen::MatrixXd Scaler::transform(const Eigen::MatrixXd& raw) const {
    if (raw.cols() != offset_.size())
        throw std::invalid_argument("scaler: expected " + std::to_string(offset_.size()) + " features, got " +
                                    std::to_string(raw.cols()));
    Eigen::MatrixXd scaled(raw.rows(), raw.cols());
    // (raw - offset) / scale, element by element, as the article writes (age - 0) / (101 - 0)
    for (Eigen::Index i = 0; i < raw.rows(); ++i)
        for (Eigen::Index j = 0; j < raw.cols(); ++j) scaled(i, j) = (raw(i, j) - offset_(j)) / scale_(j);
    return scaled;
}

}  // namespace tapegrad::nn
