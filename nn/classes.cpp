// tapegrad/nn/classes.cpp — class labels, one-hot rows, softmax, accuracy, confusion.
#include "tapegrad/nn/classes.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace tapegrad::nn {

namespace {
// The label as a whole number 0, 1, 2, ... (digits only), or -1.
long whole_number(const std::string& label) {
    long n = -1;
    const auto [end, ec] = std::from_chars(label.data(), label.data() + label.size(), n);
    if (ec != std::errc() || end != label.data() + label.size() || n < 0 || label.front() == '+') return -1;
    return n;
}

constexpr long most_classes = 10'000;

std::string listed(const std::vector<std::string>& names) {
    std::string s;
    for (const auto& n : names) s += (s.empty() ? "" : ", ") + printable(n);
    return s;
}
}  // namespace

std::vector<std::string> class_names(const Examples& e, const std::string& file) {
    if (e.target_text.empty())
        throw ClassError(file + ": column '" + printable(e.target_name) + "' was not read as class labels");
    long largest = -1;
    bool numbers = true;
    for (const std::string& label : e.target_text) {
        const long n = whole_number(label);
        numbers = numbers && n >= 0;
        largest = std::max(largest, n);
    }
    std::vector<std::string> names;
    if (numbers) {
        if (largest >= most_classes)
            throw ClassError(file + ": column '" + printable(e.target_name) + "' holds the label " +
                             std::to_string(largest) + "; class numbers run from 0 to " +
                             std::to_string(most_classes - 1));
        for (long k = 0; k <= largest; ++k) names.push_back(std::to_string(k));
    } else {
        names = e.target_text;
        std::sort(names.begin(), names.end());
        names.erase(std::unique(names.begin(), names.end()), names.end());
        if (static_cast<long>(names.size()) > most_classes)
            throw ClassError(file + ": column '" + printable(e.target_name) + "' holds " +
                             std::to_string(names.size()) + " different labels, more than " +
                             std::to_string(most_classes) + " classes");
    }
    if (names.size() < 2)
        throw ClassError(file + ": column '" + printable(e.target_name) + "' holds one class only ('" +
                         printable(names.front()) + "'); cross-entropy needs two or more");
    return names;
}

std::vector<int> class_indices(const Examples& e, const std::vector<std::string>& names, const std::string& file) {
    if (e.target_text.empty())
        throw ClassError(file + ": column '" + printable(e.target_name) + "' was not read as class labels");
    std::vector<int> indices;
    indices.reserve(e.target_text.size());
    for (std::size_t r = 0; r < e.target_text.size(); ++r) {
        const auto found = std::find(names.begin(), names.end(), e.target_text[r]);
        if (found == names.end())
            throw ClassError(file + ":" + std::to_string(r + 2) + ":" + std::to_string(e.target_at[r]) + ": label '" +
                             printable(e.target_text[r]) + "' in column '" + printable(e.target_name) +
                             "' is not a class of the model (its classes are " + listed(names) + ")");
        indices.push_back(static_cast<int>(found - names.begin()));
    }
    return indices;
}

Eigen::MatrixXd one_hot(const std::vector<int>& classes, int count) {
    Eigen::MatrixXd y = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(classes.size()), count);
    for (std::size_t i = 0; i < classes.size(); ++i) {
        if (classes[i] < 0 || classes[i] >= count)
            throw std::invalid_argument("one_hot: class " + std::to_string(classes[i]) + " of row " +
                                        std::to_string(i) + " is not in 0.." + std::to_string(count - 1));
        y(static_cast<Eigen::Index>(i), classes[i]) = 1.0;
    }
    return y;
}

Eigen::MatrixXd softmax(const Eigen::MatrixXd& logits) {
    Eigen::MatrixXd p(logits.rows(), logits.cols());
    for (Eigen::Index i = 0; i < logits.rows(); ++i) {
        const double largest = logits.row(i).maxCoeff();
        p.row(i) = (logits.row(i).array() - largest).exp();
        p.row(i) /= p.row(i).sum();
    }
    return p;
}

std::vector<int> predicted_classes(const Eigen::MatrixXd& probabilities) {
    std::vector<int> classes(static_cast<std::size_t>(probabilities.rows()));
    for (Eigen::Index i = 0; i < probabilities.rows(); ++i) {
        Eigen::Index best = 0;
        for (Eigen::Index j = 1; j < probabilities.cols(); ++j)
            if (probabilities(i, j) > probabilities(i, best)) best = j;
        classes[static_cast<std::size_t>(i)] = static_cast<int>(best);
    }
    return classes;
}

double class_accuracy(const std::vector<int>& predicted, const std::vector<int>& actual) {
    if (predicted.size() != actual.size() || actual.empty())
        throw std::invalid_argument("class_accuracy: " + std::to_string(predicted.size()) + " predictions for " +
                                    std::to_string(actual.size()) + " labels");
    std::size_t right = 0;
    for (std::size_t i = 0; i < actual.size(); ++i) right += predicted[i] == actual[i];
    return static_cast<double>(right) / static_cast<double>(actual.size());
}

Eigen::MatrixXi confusion_matrix(const std::vector<int>& predicted, const std::vector<int>& actual, int count) {
    if (predicted.size() != actual.size())
        throw std::invalid_argument("confusion_matrix: predictions and labels differ in number");
    Eigen::MatrixXi m = Eigen::MatrixXi::Zero(count, count);
    for (std::size_t i = 0; i < actual.size(); ++i) {
        if (actual[i] < 0 || actual[i] >= count || predicted[i] < 0 || predicted[i] >= count)
            throw std::invalid_argument("confusion_matrix: a class outside 0.." + std::to_string(count - 1));
        ++m(actual[i], predicted[i]);
    }
    return m;
}

}  // namespace tapegrad::nn
