// examples/mlp_plot.hpp — train_mlp's picture, drawn by gnuplot: the training (and test)
// loss over the epochs, and for a two-input classifier a second panel with the decision
// boundary: the predicted probability of class 1 over the plane as a colour, the data
// points on top, each coloured by its label. For a classifier of K classes (cross-entropy)
// the second panel is the confusion matrix (a cell per actual and predicted class, shaded
// by its share of the actual class's rows, its count written in it), and a two-input
// classifier gets a third: the decision regions, each point of the plane coloured by its
// predicted class, the data points on top coloured by their class.
//
// Like plot.hpp's scripts, the data travel inline, and the caller writes gnuplot's
// output through cli::OutputFile.
#pragma once

#include <string>
#include <vector>

#include <Eigen/Core>

#include "plot.hpp"
#include "tapegrad/nn/classes.hpp"
#include "tapegrad/nn/mlp_training.hpp"
#include "tapegrad/nn/model.hpp"

namespace tapegrad::pictures {

struct MlpPicture {
    const nn::MlpHistory* history = nullptr;
    bool with_test = false;
    std::string title;
    // For the boundary panel (two features, log loss): the model and the raw points.
    const nn::Model* model = nullptr;
    const Eigen::MatrixXd* points = nullptr;  ///< n x 2, raw
    const Eigen::MatrixXd* labels = nullptr;  ///< n x 1, 0 or 1
    // For a K-class model: the confusion matrix drawn (of `confusion_of`, e.g. "the test
    // data"), and for two features the regions, with the points' classes.
    const Eigen::MatrixXi* confusion = nullptr;
    std::string confusion_of;
    const std::vector<int>* classes = nullptr;  ///< each point's class index
};

std::string mlp_training_script(const MlpPicture& picture, ImageFormat format);

}  // namespace tapegrad::pictures
