// tapegrad/nn/model.cpp — models to and from JSON (nlohmann/json, private to this file).
#include "tapegrad/nn/model.hpp"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace tapegrad::nn {

using json = nlohmann::ordered_json;  // fields kept in the order written

Eigen::MatrixXd Model::predict(const Eigen::MatrixXd& raw) const {
    const Eigen::MatrixXd output = network.forward(scaler.transform(raw));
    return loss == Loss::log ? probabilities(output) : output;
}

namespace {
json numbers(const Eigen::Ref<const Eigen::RowVectorXd>& row) {
    json a = json::array();
    for (Eigen::Index j = 0; j < row.size(); ++j) a.push_back(row(j));
    return a;
}
}  // namespace

std::string to_json(const Model& m) {
    json layers = json::array();
    for (std::size_t l = 0; l < m.network.layers().size(); ++l) {
        const Dense& d = m.network.layers()[l];
        json weights = json::array();
        for (Eigen::Index i = 0; i < d.inputs; ++i) weights.push_back(numbers(m.network.weights(l).row(i)));
        layers.push_back({{"inputs", d.inputs},
                          {"outputs", d.outputs},
                          {"activation", activation_name(d.activation)},
                          {"weights", weights},
                          {"bias", numbers(m.network.bias(l))}});
    }
    const json model = {
        {"format", "tapegrad-mlp"},
        {"version", model_format_version},
        {"features", m.features},
        {"target", m.target},
        {"loss", loss_name(m.loss)},
        {"scaler",
         {{"kind", m.scaler.name()}, {"offset", numbers(m.scaler.offset())}, {"scale", numbers(m.scaler.scale())}}},
        {"layers", layers}};
    return model.dump(2) + "\n";
}

namespace {
// Reading with every failure named: "FILE: layers[1].bias: expected an array of 16 numbers".
class Reader {
public:
    explicit Reader(std::string file) : file_(std::move(file)) {}

    [[noreturn]] void fail(const std::string& where, const std::string& what) const {
        throw ModelError(file_ + ": " + (where.empty() ? "" : where + ": ") + what);
    }
    const json& field(const json& object, const std::string& where, const char* name) const {
        if (!object.is_object()) fail(where, "expected an object");
        const auto it = object.find(name);
        if (it == object.end()) fail(where.empty() ? "" : where, std::string("missing field \"") + name + "\"");
        return *it;
    }
    std::string text(const json& v, const std::string& where) const {
        if (!v.is_string()) fail(where, "expected a string");
        return v.get<std::string>();
    }
    int count(const json& v, const std::string& where) const {
        if (!v.is_number_integer() || v.get<long long>() < 1 || v.get<long long>() > 1'000'000)
            fail(where, "expected a whole number from 1 to 1000000");
        return v.get<int>();
    }
    Eigen::RowVectorXd row(const json& v, const std::string& where, Eigen::Index size) const {
        if (!v.is_array() || static_cast<Eigen::Index>(v.size()) != size)
            fail(where, "expected an array of " + std::to_string(size) + " numbers");
        Eigen::RowVectorXd r(size);
        for (Eigen::Index j = 0; j < size; ++j) {
            const json& x = v[static_cast<std::size_t>(j)];
            if (!x.is_number() || !std::isfinite(x.get<double>()))
                fail(where + "[" + std::to_string(j) + "]", "expected a finite number");
            r(j) = x.get<double>();
        }
        return r;
    }

private:
    std::string file_;
};

// "line 3, column 7" of byte `offset` in `text` (nlohmann reports bytes).
std::string place(std::string_view text, std::size_t offset) {
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
    }
    return std::to_string(line) + ":" + std::to_string(column);
}

Scaler read_scaler(const Reader& r, const json& s, Eigen::Index features) {
    const std::string kind = r.text(r.field(s, "scaler", "kind"), "scaler.kind");
    if (kind != "minmax" && kind != "standard" && kind != "none")
        r.fail("scaler.kind", "unknown scaler '" + kind + "' (expected minmax, standard or none)");
    const Eigen::RowVectorXd offset = r.row(r.field(s, "scaler", "offset"), "scaler.offset", features);
    const Eigen::RowVectorXd scale = r.row(r.field(s, "scaler", "scale"), "scaler.scale", features);
    for (Eigen::Index j = 0; j < features; ++j)
        if (!(scale(j) > 0)) r.fail("scaler.scale[" + std::to_string(j) + "]", "must be positive");
    return Scaler::affine(kind, offset, scale);
}

MLP read_network(const Reader& r, const json& layers, int inputs) {
    if (!layers.is_array() || layers.empty()) r.fail("layers", "expected a non-empty array of layers");
    std::vector<int> sizes{inputs};
    std::vector<Activation> activations;
    for (std::size_t l = 0; l < layers.size(); ++l) {
        const std::string where = "layers[" + std::to_string(l) + "]";
        const int in = r.count(r.field(layers[l], where, "inputs"), where + ".inputs");
        if (in != sizes.back())
            r.fail(where + ".inputs", "is " + std::to_string(in) + ", but the layer before gives " +
                                          std::to_string(sizes.back()) + (l == 0 ? " (the features)" : ""));
        sizes.push_back(r.count(r.field(layers[l], where, "outputs"), where + ".outputs"));
        const std::string name = r.text(r.field(layers[l], where, "activation"), where + ".activation");
        const auto a = parse_activation(name);
        if (!a) r.fail(where + ".activation", "unknown activation '" + name + "'");
        activations.push_back(*a);
    }
    MLP network(sizes, activations);
    for (std::size_t l = 0; l < layers.size(); ++l) {
        const std::string where = "layers[" + std::to_string(l) + "]";
        const json& w = r.field(layers[l], where, "weights");
        const Dense& d = network.layers()[l];
        if (!w.is_array() || static_cast<int>(w.size()) != d.inputs)
            r.fail(where + ".weights", "expected " + std::to_string(d.inputs) + " rows (one per input)");
        for (int i = 0; i < d.inputs; ++i)
            network.weights(l).row(i) =
                r.row(w[static_cast<std::size_t>(i)], where + ".weights[" + std::to_string(i) + "]", d.outputs);
        network.bias(l) = r.row(r.field(layers[l], where, "bias"), where + ".bias", d.outputs);
    }
    return network;
}
}  // namespace

Model model_from_json(std::string_view text, const std::string& file) {
    json doc;
    try {
        doc = json::parse(text);
    } catch (const json::parse_error& e) {
        std::string what = e.what();  // "[json.exception.parse_error.101] parse error at line 1, column 2: ..."
        const std::size_t colon = what.find(": ");
        throw ModelError(file + ":" + place(text, e.byte > 0 ? e.byte - 1 : 0) + ": not valid JSON (" +
                         (colon == what.npos ? what : what.substr(colon + 2)) + ")");
    } catch (const json::exception& e) {  // e.g. a number too large for a double
        throw ModelError(file + ": not valid JSON (" + e.what() + ")");
    }
    const Reader r(file);
    if (!doc.is_object()) r.fail("", "expected a JSON object (a tapegrad model)");
    const auto format = doc.find("format");
    if (format == doc.end() || *format != "tapegrad-mlp")
        r.fail("format", "not a tapegrad model (expected \"format\": \"tapegrad-mlp\")");
    const json& version = r.field(doc, "", "version");
    if (!version.is_number_integer() || version.get<long long>() != model_format_version)
        r.fail("version", "version " + version.dump() + " is not supported (this program reads version " +
                              std::to_string(model_format_version) + ")");
    const json& features = r.field(doc, "", "features");
    if (!features.is_array() || features.empty()) r.fail("features", "expected a non-empty array of column names");
    std::vector<std::string> names;
    for (std::size_t j = 0; j < features.size(); ++j)
        names.push_back(r.text(features[j], "features[" + std::to_string(j) + "]"));
    const std::string loss_text = r.text(r.field(doc, "", "loss"), "loss");
    const auto loss = parse_loss(loss_text);
    if (!loss) r.fail("loss", "unknown loss '" + loss_text + "' (expected mse or log)");
    Model m{read_network(r, r.field(doc, "", "layers"), static_cast<int>(names.size())),
            read_scaler(r, r.field(doc, "", "scaler"), static_cast<Eigen::Index>(names.size())), names,
            r.text(r.field(doc, "", "target"), "target"), *loss};
    if (m.loss == Loss::log &&
        (m.network.outputs() != 1 || m.network.layers().back().activation != Activation::identity))
        r.fail("layers", "a log-loss model needs one output with identity activation (the logit)");
    return m;
}

Model load_model(const std::filesystem::path& path) {
    const std::string file = path.string();
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) throw ModelError(file + ": is a directory, not a model file");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ModelError(file + ": cannot open the file (" + std::strerror(errno) + ")");
    std::ostringstream text;
    text << in.rdbuf();
    if (text.str().empty()) throw ModelError(file + ":1:1: the file is empty (expected a JSON model)");
    return model_from_json(text.str(), file);
}

}  // namespace tapegrad::nn
