// tapegrad/nn/model.cpp — models to and from JSON (nlohmann/json, private to this file).
//
// Reading goes in steps, each refusing what the next could not take: the bytes (at most
// the limit, counted as read), the text (UTF-8, nested no deeper than a model), the JSON,
// the fields and sizes (chained, fitting the loss, and matching the numbers present), and
// only then the network is allocated and its numbers copied in.
#include "tapegrad/nn/model.hpp"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "tapegrad/nn/classes.hpp"
#include "tapegrad/nn/csv.hpp"  // read_bytes, invalid_utf8_at, printable: shared with the CSV reader

namespace tapegrad::nn {

using json = nlohmann::ordered_json;  // fields kept in the order written

Eigen::MatrixXd Model::predict(const Eigen::MatrixXd& raw) const {
    const Eigen::MatrixXd output = network.forward(scaler.transform(raw));
    if (loss == Loss::cross_entropy) return softmax(output);
    return loss == Loss::log ? probabilities(output) : output;
}

namespace {
// JSON holds neither names that are not UTF-8 nor NaN and infinities (the library would
// write null for them, which reads back as an error); the writer refuses them by name.
[[noreturn]] void refuse_to_write(const std::string& where, const std::string& what) {
    throw ModelError("model: " + where + ": " + what);
}

std::string checked_name(const std::string& name, const std::string& where) {
    if (const std::size_t bad = invalid_utf8_at(name); bad != std::string_view::npos)
        refuse_to_write(where, "'" + printable(name) + "' is not valid UTF-8 (byte " + std::to_string(bad + 1) +
                                   "), which JSON cannot hold");
    return name;
}

json numbers(const Eigen::Ref<const Eigen::RowVectorXd>& row, const std::string& where) {
    json a = json::array();
    for (Eigen::Index j = 0; j < row.size(); ++j) {
        if (!std::isfinite(row(j)))
            refuse_to_write(where + "[" + std::to_string(j) + "]",
                            "is " + std::to_string(row(j)) + ", which JSON cannot hold (a finite number)");
        a.push_back(row(j));
    }
    return a;
}
}  // namespace

std::string to_json(const Model& m) {
    json features = json::array();
    for (std::size_t j = 0; j < m.features.size(); ++j)
        features.push_back(checked_name(m.features[j], "features[" + std::to_string(j) + "]"));
    json layers = json::array();
    for (std::size_t l = 0; l < m.network.layers().size(); ++l) {
        const Dense& d = m.network.layers()[l];
        const std::string where = "layers[" + std::to_string(l) + "]";
        json weights = json::array();
        for (Eigen::Index i = 0; i < d.inputs; ++i)
            weights.push_back(numbers(m.network.weights(l).row(i), where + ".weights[" + std::to_string(i) + "]"));
        layers.push_back({{"inputs", d.inputs},
                          {"outputs", d.outputs},
                          {"activation", activation_name(d.activation)},
                          {"weights", weights},
                          {"bias", numbers(m.network.bias(l), where + ".bias")}});
    }
    json model = {{"format", "tapegrad-mlp"},
                  {"version", model_format_version},
                  {"features", features},
                  {"target", checked_name(m.target, "target")},
                  {"loss", loss_name(m.loss)}};
    if (m.loss == Loss::cross_entropy) {
        json classes = json::array();
        for (std::size_t k = 0; k < m.classes.size(); ++k)
            classes.push_back(checked_name(m.classes[k], "classes[" + std::to_string(k) + "]"));
        model["classes"] = classes;
    }
    model.update(json{{"scaler",
                       {{"kind", checked_name(m.scaler.name(), "scaler.kind")},
                        {"offset", numbers(m.scaler.offset(), "scaler.offset")},
                        {"scale", numbers(m.scaler.scale(), "scaler.scale")}}},
                      {"layers", layers}});
    try {
        return model.dump(2) + "\n";
    } catch (const json::exception& e) {  // not expected after the checks above; never the library's own
        throw ModelError(std::string("model: cannot be written as JSON (") + printable(e.what()) + ")");
    }
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
        if (!v.is_number_integer() || v.get<long long>() < 1 || v.get<long long>() > max_size)
            fail(where, "expected a whole number from 1 to " + std::to_string(max_size));
        return v.get<int>();
    }
    // An array of `size` entries: the shape of a row, before anything is allocated for it.
    void shape(const json& v, const std::string& where, int size) const {
        if (!v.is_array() || v.size() != static_cast<std::size_t>(size))
            fail(where, "expected an array of " + std::to_string(size) + " numbers");
    }
    Eigen::RowVectorXd row(const json& v, const std::string& where, Eigen::Index size) const {
        shape(v, where, static_cast<int>(size));
        Eigen::RowVectorXd r(size);
        for (Eigen::Index j = 0; j < size; ++j) {
            const json& x = v[static_cast<std::size_t>(j)];
            if (!x.is_number() || !std::isfinite(x.get<double>()))
                fail(where + "[" + std::to_string(j) + "]", "expected a finite number");
            r(j) = x.get<double>();
        }
        return r;
    }

    static constexpr long long max_size = 1'000'000;  // of any one layer, and of the features

private:
    std::string file_;
};

std::string in_quotes(std::string_view text) { return "'" + printable(text) + "'"; }

// "3:7", the line and column of byte `offset` in `text` (columns count bytes from 1).
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

// A model nests five deep (the document, layers, a layer, weights, a row); a file of a
// million '[' would become a million nested arrays in the JSON library, 80 bytes each.
constexpr int max_depth = 16;

// What the JSON library must not be given: text that is not UTF-8 (its message would
// quote the bad bytes raw), and nesting deeper than any model.
void check_text(std::string_view text, const std::string& file) {
    if (const std::size_t bad = invalid_utf8_at(text); bad != std::string_view::npos)
        throw ModelError(file + ":" + place(text, bad) + ": not valid UTF-8 (byte " + printable(text.substr(bad, 1)) +
                         ")");
    int depth = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            if (c == '\\')
                ++i;  // whatever is escaped, it does not end the string
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > max_depth)
                throw ModelError(file + ":" + place(text, i) + ": not a tapegrad model (nested deeper than " +
                                 std::to_string(max_depth) + " levels)");
        } else if (c == ']' || c == '}') {
            --depth;
        }
    }
}

Scaler read_scaler(const Reader& r, const json& s, Eigen::Index features) {
    const std::string kind = r.text(r.field(s, "scaler", "kind"), "scaler.kind");
    if (kind != "minmax" && kind != "standard" && kind != "none")
        r.fail("scaler.kind", "unknown scaler " + in_quotes(kind) + " (expected minmax, standard or none)");
    const Eigen::RowVectorXd offset = r.row(r.field(s, "scaler", "offset"), "scaler.offset", features);
    const Eigen::RowVectorXd scale = r.row(r.field(s, "scaler", "scale"), "scaler.scale", features);
    for (Eigen::Index j = 0; j < features; ++j)
        if (!(scale(j) > 0)) r.fail("scaler.scale[" + std::to_string(j) + "]", "must be positive");
    return Scaler::affine(kind, offset, scale);
}

// A cross-entropy model's classes: two or more different names (none for other losses).
std::vector<std::string> read_classes(const Reader& r, const json& doc, Loss loss) {
    if (loss != Loss::cross_entropy) {
        if (doc.contains("classes")) r.fail("classes", "only a cross-entropy model has classes");
        return {};
    }
    const json& list = r.field(doc, "", "classes");
    if (!list.is_array() || list.size() < 2 || list.size() > Reader::max_size)
        r.fail("classes", "expected an array of 2 to " + std::to_string(Reader::max_size) + " class names");
    std::vector<std::string> names;
    for (std::size_t k = 0; k < list.size(); ++k) {
        const std::string where = "classes[" + std::to_string(k) + "]";
        names.push_back(r.text(list[k], where));
        if (std::find(names.begin(), names.end() - 1, names.back()) != names.end() - 1)
            r.fail(where, in_quotes(names.back()) + " is listed twice");
    }
    return names;
}

// Three passes: the sizes (chained, the last fitting the loss), then the shapes of the
// arrays present, and only then the network, allocated and filled. A 300-byte file that
// declares a layer of 1000000 x 2000 is refused at its first short row, not after 16 GB.
MLP read_network(const Reader& r, const json& layers, int inputs, Loss loss, int classes) {
    if (!layers.is_array() || layers.empty()) r.fail("layers", "expected a non-empty array of layers");
    const auto where = [](std::size_t l) { return "layers[" + std::to_string(l) + "]"; };
    std::vector<int> sizes{inputs};
    std::vector<Activation> activations;
    for (std::size_t l = 0; l < layers.size(); ++l) {
        const int in = r.count(r.field(layers[l], where(l), "inputs"), where(l) + ".inputs");
        if (in != sizes.back())
            r.fail(where(l) + ".inputs", "is " + std::to_string(in) + ", but the layer before gives " +
                                             std::to_string(sizes.back()) + (l == 0 ? " (the features)" : ""));
        sizes.push_back(r.count(r.field(layers[l], where(l), "outputs"), where(l) + ".outputs"));
        const std::string name = r.text(r.field(layers[l], where(l), "activation"), where(l) + ".activation");
        const auto a = parse_activation(name);
        if (!a) r.fail(where(l) + ".activation", "unknown activation " + in_quotes(name));
        activations.push_back(*a);
    }
    // A model predicts its one target: one output, for log loss the logit (identity), so
    // that a prediction file has one column of values or probabilities.
    const std::size_t last = layers.size() - 1;
    if (loss == Loss::cross_entropy && sizes.back() != classes)
        r.fail(where(last) + ".outputs", "is " + std::to_string(sizes.back()) + ", but the model has " +
                                             std::to_string(classes) +
                                             " classes: the last layer needs one output each");
    if (loss == Loss::cross_entropy && activations.back() != Activation::identity)
        r.fail(where(last) + ".activation",
               "is '" + std::string(activation_name(activations.back())) +
                   "', but a cross-entropy model's last layer gives the logits: it needs 'identity'");
    if (loss != Loss::cross_entropy && sizes.back() != 1)
        r.fail(where(last) + ".outputs", "is " + std::to_string(sizes.back()) +
                                             ", but a model predicts one target: the last layer needs 1 output");
    if (loss == Loss::log && activations.back() != Activation::identity)
        r.fail(where(last) + ".activation",
               "is '" + std::string(activation_name(activations.back())) +
                   "', but a log-loss model's last layer gives the logit: it needs 'identity'");
    for (std::size_t l = 0; l < layers.size(); ++l) {
        const json& w = r.field(layers[l], where(l), "weights");
        if (!w.is_array() || w.size() != static_cast<std::size_t>(sizes[l]))
            r.fail(where(l) + ".weights", "expected " + std::to_string(sizes[l]) + " rows (one per input)");
        for (std::size_t i = 0; i < w.size(); ++i)
            r.shape(w[i], where(l) + ".weights[" + std::to_string(i) + "]", sizes[l + 1]);
        r.shape(r.field(layers[l], where(l), "bias"), where(l) + ".bias", sizes[l + 1]);
    }
    MLP network(sizes, activations);  // the numbers are all there: this allocates no more than the file holds
    for (std::size_t l = 0; l < layers.size(); ++l) {
        const json& w = layers[l]["weights"];
        const Dense& d = network.layers()[l];
        for (int i = 0; i < d.inputs; ++i)
            network.weights(l).row(i) =
                r.row(w[static_cast<std::size_t>(i)], where(l) + ".weights[" + std::to_string(i) + "]", d.outputs);
        network.bias(l) = r.row(layers[l]["bias"], where(l) + ".bias", d.outputs);
    }
    return network;
}
}  // namespace

Model model_from_json(std::string_view text, const std::string& file) {
    check_text(text, file);
    json doc;
    try {
        doc = json::parse(text);
    } catch (const json::parse_error& e) {
        std::string what = e.what();  // "[json.exception.parse_error.101] parse error at line 1, column 2: ..."
        const std::size_t colon = what.find(": ");
        throw ModelError(file + ":" + place(text, e.byte > 0 ? e.byte - 1 : 0) + ": not valid JSON (" +
                         printable(colon == what.npos ? what : what.substr(colon + 2)) + ")");
    } catch (const json::exception& e) {  // e.g. a number too large for a double
        throw ModelError(file + ": not valid JSON (" + printable(e.what()) + ")");
    }
    const Reader r(file);
    if (!doc.is_object()) r.fail("", "expected a JSON object (a tapegrad model)");
    const auto format = doc.find("format");
    if (format == doc.end() || *format != "tapegrad-mlp")
        r.fail("format", "not a tapegrad model (expected \"format\": \"tapegrad-mlp\")");
    const json& version = r.field(doc, "", "version");
    if (!version.is_number_integer() || version.get<long long>() != model_format_version)
        r.fail("version",
               "version " + (version.is_number() ? version.dump() : std::string("of type ") + version.type_name()) +
                   " is not supported (this program reads version " + std::to_string(model_format_version) + ")");
    const json& features = r.field(doc, "", "features");
    if (!features.is_array() || features.empty() || features.size() > Reader::max_size)
        r.fail("features", "expected an array of 1 to " + std::to_string(Reader::max_size) + " column names");
    std::vector<std::string> names;
    for (std::size_t j = 0; j < features.size(); ++j)
        names.push_back(r.text(features[j], "features[" + std::to_string(j) + "]"));
    const std::string loss_text = r.text(r.field(doc, "", "loss"), "loss");
    const auto loss = parse_loss(loss_text);
    if (!loss) r.fail("loss", "unknown loss " + in_quotes(loss_text) + " (expected mse, log or cross-entropy)");
    const std::vector<std::string> classes = read_classes(r, doc, *loss);
    return Model{read_network(r, r.field(doc, "", "layers"), static_cast<int>(names.size()), *loss,
                              static_cast<int>(classes.size())),
                 read_scaler(r, r.field(doc, "", "scaler"), static_cast<Eigen::Index>(names.size())),
                 names,
                 r.text(r.field(doc, "", "target"), "target"),
                 *loss,
                 classes};
}

Model load_model(const std::filesystem::path& path, std::uintmax_t size_limit) {
    std::string text;
    try {
        text = read_bytes(path, size_limit, "a model file");
    } catch (const ReadError& e) {
        throw ModelError(e.what());
    }
    if (text.empty()) throw ModelError(path.string() + ":1:1: the file is empty (expected a JSON model)");
    return model_from_json(text, path.string());
}

}  // namespace tapegrad::nn
