// examples/mlp_cli.hpp — what make_dataset, train_mlp and predict_mlp share beyond cli.hpp:
// data files read with their errors turned into option errors, the options naming
// network sizes, losses, optimizers and scalers, and numbers printed one way.
//
// A bad CSV file is a cli::UsageError naming the option and then the place in the file:
//     train_mlp: --data: moons.csv:17:9: 'abc' in column 'x2' is not a number
// so every program ends with exit status 2 and writes nothing, like any bad option.
#pragma once

#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include <Eigen/Core>

#include "cli.hpp"
#include "tapegrad/nn/classes.hpp"
#include "tapegrad/nn/csv.hpp"
#include "tapegrad/nn/health_network.hpp"
#include "tapegrad/nn/mlp.hpp"
#include "tapegrad/nn/model.hpp"
#include "tapegrad/nn/optimizer.hpp"
#include "tapegrad/nn/scaler.hpp"

namespace tapegrad::cli {

// read_csv, with its CsvError as a UsageError of `option`; `text_column` (class labels)
// is read as text.
nn::Table read_table(std::string_view option, const std::string& path, std::string_view text_column = {});
// split, with a missing target column as a UsageError of `option` (--target).
nn::Examples split_table(std::string_view option, const nn::Table& table, const std::string& target);
// load_model, with its ModelError as a UsageError of `option`.
nn::Model read_model(std::string_view option, const std::string& path);

// --hidden 16,16: layer sizes, each a whole number from 1 to 10000 (empty: no hidden layer).
std::vector<int> parse_sizes(std::string_view option, std::string_view text);
nn::Loss parse_loss(std::string_view option, std::string_view text);
nn::OptimizerKind parse_optimizer(std::string_view option, std::string_view text);
// --scaler minmax|standard|none, fitted on `features` (from `file`); a constant column
// cannot be scaled: a UsageError naming it.
nn::Scaler fit_scaler(std::string_view option, std::string_view kind, const nn::Examples& examples,
                      const std::string& file);

// Where predictions come from, for the message when one is not finite: the option to
// blame, the model (a file name, or "the trained model") and the data file of the rows.
struct PredictionSource {
    std::string_view option;
    std::string model, data_file;
};

// The target's classes as a model keeps them: the training data's (class_names) or the
// rows' class indices under `names` (class_indices), a ClassError as a UsageError of `option`.
std::vector<std::string> read_class_names(std::string_view option, const nn::Examples& examples,
                                          const std::string& file);
std::vector<int> read_class_indices(std::string_view option, const nn::Examples& examples,
                                    const std::vector<std::string>& names, const std::string& file);

// One prediction per row of `raw`: for a cross-entropy model the predicted class (its name,
// a word where the training data had words) and then one probability per class, headed
// "class,p_NAME,..."; otherwise a header ("prediction", or "probability" of class 1
// for a log-loss model), then each number in the shortest form that reads back exactly,
// so predict_mlp's file and train_mlp's --predictions compare byte for byte. A prediction
// that is not finite (a hand-edited weight of 1e308 overflows), which the project's own
// CSV reader would refuse, is a UsageError of `from.option` naming the model and the row's
// line in the data file, thrown before a byte is written.
void write_predictions(std::ostream& out, const nn::Model& model, const Eigen::MatrixXd& raw,
                       const PredictionSource& from);

// "%.6g", or another printf format.
std::string number(double x, const char* format = "%.6g");

}  // namespace tapegrad::cli
