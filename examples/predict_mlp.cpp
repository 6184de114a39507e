// examples/predict_mlp.cpp — predictions from a model that train_mlp saved.
//
//   predict_mlp --model moons.json --data new_points.csv --output predictions.csv
//
// The data file needs the model's input columns by name (in any order); the target column
// may be there too and is ignored; any other column is an error, as is a model file that
// is not a tapegrad model, a model that predicts inf or NaN for a row, and an --output
// that names the model or the data (exit 2, nothing written). The output has one row
// per data row: "prediction" for an mse model, "probability" of class 1 for a log-loss
// model, each number exact (it reads back as the same double), on standard output
// without --output. A cross-entropy model writes "class" (the class's name: the word, where
// the training data had words) and "p_NAME", one probability per class. When the data
// also hold a classifier's target column, each label must be one of the model's classes
// (else exit 2 naming the file, line and label, nothing written), and the accuracy on
// those rows is reported on standard error.
#include <iostream>
#include <optional>

#include <boost/program_options.hpp>

#include "mlp_cli.hpp"

namespace po = boost::program_options;
using namespace tapegrad;

namespace {
// The model's input columns taken from the table, in the model's order.
Eigen::MatrixXd inputs_for(const nn::Model& model, const nn::Table& table) {
    for (const std::string& name : table.columns)
        if (name != model.target &&
            std::find(model.features.begin(), model.features.end(), name) == model.features.end())
            throw cli::UsageError(
                "--data", table.file + ":1: column '" + name + "' is not an input of the model (its inputs are " + [&] {
                    std::string s;
                    for (const auto& f : model.features) s += (s.empty() ? "" : ", ") + f;
                    return s;
                }() + ")");
    Eigen::MatrixXd x(table.values.rows(), static_cast<Eigen::Index>(model.features.size()));
    for (std::size_t j = 0; j < model.features.size(); ++j) {
        const Eigen::Index column = table.column(model.features[j]);
        if (column < 0)
            throw cli::UsageError("--data",
                                  table.file + ":1: no column '" + model.features[j] + "', an input of the model");
        x.col(static_cast<Eigen::Index>(j)) = table.values.col(column);
    }
    return x;
}
// The share of rows whose predicted class is their label.
double accuracy_of(const nn::Model& model, const Eigen::MatrixXd& x, const std::vector<int>& labels) {
    return nn::class_accuracy(nn::predicted_classes(model.predict(x)), labels);
}
}  // namespace

int main(int argc, char** argv) {
    return cli::run("predict_mlp", [&] {
        po::options_description options("predict_mlp: predict with a model saved by train_mlp\n\nOptions");
        // clang-format off
        options.add_options()
            ("help,h", "show this help and exit")
            ("model", po::value<std::string>()->value_name("MODEL.json"), "the model (train_mlp --save)")
            ("data", po::value<std::string>()->value_name("FILE.csv"), "rows to predict, with the model's input columns")
            ("output", po::value<std::string>()->value_name("FILE.csv"), "file to write (default: standard output)");
        // clang-format on
        po::variables_map vm;
        if (!cli::parse_command_line(argc, argv, options, vm, cli::output_files_help)) return 0;
        if (!vm.count("model")) throw cli::UsageError("--model", "give the model file (train_mlp --save)");
        if (!vm.count("data")) throw cli::UsageError("--data", "give the data file");
        cli::check_file_options(cli::file_options(vm, {"model", "data"}), cli::file_options(vm, {"output"}));

        const std::string model_file = vm["model"].as<std::string>();
        const nn::Model model = cli::read_model("--model", model_file);
        const bool classes = model.loss == nn::Loss::cross_entropy;
        const nn::Table table = cli::read_table("--data", vm["data"].as<std::string>(), classes ? model.target : "");
        const Eigen::MatrixXd x = inputs_for(model, table);
        std::vector<int> labels;  // the rows' classes, when the data hold the target column
        if (classes && table.text_column >= 0)
            labels = cli::read_class_indices("--data", nn::split(table, model.target), model.classes, table.file);
        std::optional<cli::OutputFile> file;
        if (vm.count("output")) file.emplace("--output", vm["output"].as<std::string>());
        cli::write_predictions(file ? file->stream() : std::cout, model, x, {"--model", model_file, table.file});
        if (file) cli::put_in_place("predict_mlp", *file, std::to_string(x.rows()) + " predictions");
        if (!labels.empty())
            std::cerr << "predict_mlp: accuracy " << cli::number(100 * accuracy_of(model, x, labels), "%.2f")
                      << "% on the " << labels.size() << " rows of " << cli::printable(table.file) << " (their column '"
                      << cli::printable(model.target) << "')\n";
        return 0;
    });
}
