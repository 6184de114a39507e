/// \file
/// A trained network saved as JSON, and loaded back to predict.
///
///     {"format": "tapegrad-mlp", "version": 1,
///      "features": ["x1", "x2"], "target": "label", "loss": "log",
///      "scaler": {"kind": "standard", "offset": [0.5, 0.25], "scale": [0.87, 0.5]},
///      "layers": [{"inputs": 2, "outputs": 16, "activation": "tanh",
///                  "weights": [[...16 numbers...], [...]], "bias": [...16 numbers...]}, ...]}
///
/// A cross-entropy model also keeps its classes, in the order of its outputs:
///     "loss": "cross-entropy", "classes": ["setosa", "versicolor", "virginica"]
/// (whole-number labels are kept as the words "0", "1", ...), and its last layer has one
/// output, a logit, per class.
/// "weights" holds W row by row (one row per input). Every number is written in the
/// shortest form that reads back as the same double (at most 17 significant digits), so
/// a loaded model predicts bit for bit what the saved one did. The scaler fitted on the
/// training data travels with the model: predicting applies it to raw rows first.
/// A file that is not such a model — over the size limit (64 MiB by default, counted as it
/// is read, so a device or a pipe cannot run memory out), not UTF-8, bad JSON or nested
/// deeper than a model, another format or version, a missing or mistyped field, sizes that
/// do not chain or do not match the numbers present, an output count that does not fit the
/// loss, a non-finite number — is a ModelError whose message names the file and the field
/// (and line and column for bad JSON). The sizes are checked against the weights actually
/// in the file before the network is allocated: a small file cannot ask for gigabytes.
/// Writing never lets the JSON library's own exception out either. The JSON library
/// (nlohmann/json) is used only inside model.cpp.
#pragma once

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <Eigen/Core>

#include "tapegrad/nn/mlp.hpp"
#include "tapegrad/nn/scaler.hpp"

namespace tapegrad::nn {

class ModelError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

inline constexpr int model_format_version = 1;
inline constexpr std::uintmax_t default_model_limit = 64u << 20;  ///< 64 MiB

struct Model {
    MLP network;
    Scaler scaler;
    std::vector<std::string> features;  ///< the input columns, in the network's order
    std::string target;
    Loss loss = Loss::mse;
    std::vector<std::string> classes = {};  ///< cross-entropy: the class of each output, in order

    /// The network's output for raw rows (n x features): scaled, then forward — values for
    /// MSE, probabilities of class 1 for log loss, one probability per class (n x K, the
    /// softmax of the logits) for cross-entropy.
    Eigen::MatrixXd predict(const Eigen::MatrixXd& raw) const;
};

/// The model as JSON text (indented, ending in a newline); ModelError "model: features[1]:
/// ..." when a name is not UTF-8, which JSON cannot hold.
std::string to_json(const Model& model);
/// Parse a model from JSON text; `file` names it in messages.
Model model_from_json(std::string_view text, const std::string& file);
/// Read and parse `path` (ModelError when it cannot be read, or is over `size_limit` bytes).
Model load_model(const std::filesystem::path& path, std::uintmax_t size_limit = default_model_limit);

}  // namespace tapegrad::nn
