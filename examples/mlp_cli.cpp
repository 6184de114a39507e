// examples/mlp_cli.cpp — data files, models and the MLP programs' options.
#include "mlp_cli.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace tapegrad::cli {

nn::Table read_table(std::string_view option, const std::string& path, std::string_view text_column) {
    try {
        return nn::read_csv(path, nn::default_csv_limit, text_column);
    } catch (const nn::CsvError& e) {
        throw UsageError(option, e.what());
    }
}

nn::Examples split_table(std::string_view option, const nn::Table& table, const std::string& target) {
    try {
        return nn::split(table, target);
    } catch (const nn::CsvError& e) {
        throw UsageError(option, e.what());
    }
}

std::vector<std::string> read_class_names(std::string_view option, const nn::Examples& examples,
                                          const std::string& file) {
    try {
        return nn::class_names(examples, file);
    } catch (const nn::ClassError& e) {
        throw UsageError(option, e.what());
    }
}

std::vector<int> read_class_indices(std::string_view option, const nn::Examples& examples,
                                    const std::vector<std::string>& names, const std::string& file) {
    try {
        return nn::class_indices(examples, names, file);
    } catch (const nn::ClassError& e) {
        throw UsageError(option, e.what());
    }
}

nn::Model read_model(std::string_view option, const std::string& path) {
    try {
        return nn::load_model(path);
    } catch (const nn::ModelError& e) {
        throw UsageError(option, e.what());
    }
}

std::vector<int> parse_sizes(std::string_view option, std::string_view text) {
    std::vector<int> sizes;
    if (text.empty() || text == "none") return sizes;
    std::size_t start = 0;
    while (true) {
        const std::size_t comma = text.find(',', start);
        const std::string_view item = text.substr(start, comma == text.npos ? text.npos : comma - start);
        int size = 0;
        const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), size);
        if (item.empty() || ec != std::errc() || end != item.data() + item.size() || size < 1 || size > 10000)
            throw UsageError(option, "'" + std::string(item) +
                                         "' is not a layer size (expected comma-separated whole numbers from 1 to "
                                         "10000, e.g. 16,16)");
        sizes.push_back(size);
        if (comma == text.npos) return sizes;
        start = comma + 1;
    }
}

nn::Loss parse_loss(std::string_view option, std::string_view text) {
    if (const auto l = nn::parse_loss(text)) return *l;
    throw UsageError(option, "unknown loss '" + std::string(text) + "' (expected mse, log or cross-entropy)");
}

nn::OptimizerKind parse_optimizer(std::string_view option, std::string_view text) {
    if (const auto o = nn::parse_optimizer(text)) return *o;
    throw UsageError(option, "unknown optimizer '" + std::string(text) + "' (expected gd, momentum or adam)");
}

nn::Scaler fit_scaler(std::string_view option, std::string_view kind, const nn::Examples& examples,
                      const std::string& file) {
    const Eigen::MatrixXd& x = examples.features;
    if (kind == "none")
        return nn::Scaler::affine("none", Eigen::RowVectorXd::Zero(x.cols()), Eigen::RowVectorXd::Ones(x.cols()));
    if (kind != "minmax" && kind != "standard")
        throw UsageError(option, "unknown scaler '" + std::string(kind) + "' (expected minmax, standard or none)");
    for (Eigen::Index j = 0; j < x.cols(); ++j)
        if (x.col(j).minCoeff() == x.col(j).maxCoeff())
            throw UsageError(option, "column '" + examples.feature_names[static_cast<std::size_t>(j)] + "' of " + file +
                                         " has the same value in every row and cannot be scaled; "
                                         "remove it or use --scaler none");
    return kind == "minmax" ? nn::Scaler::min_max(x.colwise().minCoeff(), x.colwise().maxCoeff())
                            : nn::Scaler::standard(x);
}

namespace {
// A CSV cell: quoted when it holds a comma, a quote or a line break ("" for a quote).
std::string cell(const std::string& text) {
    if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
    std::string quoted = "\"";
    for (const char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
}

// The predicted class of each row, then its probabilities, each number exact.
void write_classes(std::ostream& out, const std::vector<std::string>& classes, const Eigen::MatrixXd& p) {
    out << "class";
    for (const std::string& name : classes) out << ',' << cell("p_" + name);
    out << '\n';
    const std::vector<int> predicted = nn::predicted_classes(p);
    char buf[40];
    for (Eigen::Index i = 0; i < p.rows(); ++i) {
        out << cell(classes[static_cast<std::size_t>(predicted[static_cast<std::size_t>(i)])]);
        for (Eigen::Index j = 0; j < p.cols(); ++j)
            out << ','
                << std::string_view(buf,
                                    static_cast<std::size_t>(std::to_chars(buf, buf + sizeof buf, p(i, j)).ptr - buf));
        out << '\n';
    }
}
}  // namespace

void write_predictions(std::ostream& out, const nn::Model& model, const Eigen::MatrixXd& raw,
                       const PredictionSource& from) {
    const Eigen::MatrixXd predictions = model.predict(raw);
    for (Eigen::Index r = 0; r < predictions.rows(); ++r)
        for (const double p : predictions.row(r))
            if (!std::isfinite(p))
                throw UsageError(from.option, from.model + " predicts " + number(p) + " for row " +
                                                  std::to_string(r + 1) + " (" + from.data_file + ":" +
                                                  std::to_string(r + 2) +
                                                  "), not a finite number: are its weights too large? Nothing written");
    if (model.loss == nn::Loss::cross_entropy)
        write_classes(out, model.classes, predictions);
    else
        nn::write_csv(out, {model.loss == nn::Loss::log ? "probability" : "prediction"}, predictions);
}

std::string number(double x, const char* format) {
    char buf[64];
    std::snprintf(buf, sizeof buf, format, x);
    return buf;
}

}  // namespace tapegrad::cli
