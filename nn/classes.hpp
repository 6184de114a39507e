/// \file
/// Many classes: labels read from a CSV column, one-hot targets, the softmax, accuracy
/// and the confusion matrix.
///
/// A class column holds either whole numbers 0..K-1 or words ("setosa"). Whole numbers
/// name themselves ("0", "1", ...; K is the largest plus one); words are the classes
/// themselves, sorted by their bytes, so the order does not depend on the rows' order:
///
///     species: setosa, virginica, setosa, versicolor   ->  classes setosa, versicolor, virginica
///                                                          rows     0, 2, 0, 1
///
/// A network for K classes has K outputs, one logit per class; training compares the
/// softmax of a row of logits with the row's one-hot target (cross-entropy, mlp.hpp), and
/// a prediction is the class of the largest probability. A label that is not one of the
/// classes a model knows is a ClassError naming the file, line, column and label.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "tapegrad/nn/csv.hpp"

namespace tapegrad::nn {

class ClassError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// The classes of a target column read as text (Examples::target_text), in their order.
/// ClassError when there is no text, or fewer than two classes (`file` names the data).
std::vector<std::string> class_names(const Examples& examples, const std::string& file);

/// Each row's class index under `names`; ClassError "FILE:LINE:COLUMN: label 'x' in column
/// 'species' is not a class of the model (its classes are a, b, c)" for the first label
/// that is not one of them.
std::vector<int> class_indices(const Examples& examples, const std::vector<std::string>& names,
                               const std::string& file);

/// n x K: row i is 1 in column classes[i], 0 elsewhere.
Eigen::MatrixXd one_hot(const std::vector<int>& classes, int count);

/// Each row of logits to probabilities e^z_j / sum_k e^z_k, with the row's largest logit
/// subtracted first (so logits of 1000 give 1, not inf / inf).
Eigen::MatrixXd softmax(const Eigen::MatrixXd& logits);

/// The column of each row's largest entry (the first of equal ones): the predicted class.
std::vector<int> predicted_classes(const Eigen::MatrixXd& probabilities);

/// The share of rows where predicted and actual classes agree.
double class_accuracy(const std::vector<int>& predicted, const std::vector<int>& actual);

/// K x K counts: entry (a, p) is how many rows of class a were predicted as class p, so
/// the diagonal holds the rows classified right.
Eigen::MatrixXi confusion_matrix(const std::vector<int>& predicted, const std::vector<int>& actual, int count);

}  // namespace tapegrad::nn
