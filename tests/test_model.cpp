// tests/test_model.cpp — models to JSON and back: the same predictions bit for bit, and a
// clear error for every kind of bad or mismatched model file; then the traps of issue 28:
// the size limit on devices, small files that declare huge layers (the largest single
// allocation is measured: this program replaces the global operator new), names that are
// not UTF-8 on the way in and out, outputs that do not fit the loss.
#define BOOST_TEST_MODULE model
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <new>

#include "tapegrad/nn/model.hpp"

using namespace tapegrad::nn;

// GCC flags free() in a replacement operator delete as "mismatched" once it inlines both
// sides (as in counting_allocator.hpp); replacing the global pair is what the standard allows.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

// The largest block asked of operator new since the last reset (Eigen's own matrices use
// malloc, but MLP keeps its parameters in a std::vector, which comes through here).
namespace {
std::atomic<std::size_t> largest_allocation{0};
}
void* operator new(std::size_t n) {
    std::size_t seen = largest_allocation.load();
    while (n > seen && !largest_allocation.compare_exchange_weak(seen, n)) {
    }
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {
Model small_model(Loss loss) {
    MLP net({2, 5, 3, 1}, std::vector<Activation>{Activation::tanh, Activation::relu, Activation::identity});
    net.initialize(7);
    for (double& p : net.parameters()) p += 1.0 / 3;  // digits that need all 17 places
    Eigen::MatrixXd data(4, 2);
    data << 0.1, 2, 0.7, -3, 1.3, 5, 2.9, 1.25;
    return Model{net, Scaler::standard(data), {"x1", "x2"}, "label", loss};
}

std::string error_of(const std::string& text) {
    try {
        model_from_json(text, "m.json");
    } catch (const ModelError& e) {
        return e.what();
    }
    return "";
}

// The JSON of a good model with one piece of text replaced.
std::string with(const std::string& from, const std::string& to) {
    const std::string json = to_json(small_model(Loss::log));
    const std::size_t at = json.find(from);
    BOOST_REQUIRE(at != std::string::npos);
    return json.substr(0, at) + to + json.substr(at + from.size());
}

// `json` with its loss field set to `loss`.
std::string replace_loss(std::string json, const std::string& loss) {
    const std::size_t at = json.find("\"loss\": \"");
    BOOST_REQUIRE(at != std::string::npos);
    const std::size_t end = json.find('"', at + 9);
    return json.substr(0, at + 9) + loss + json.substr(end);
}
}  // namespace

BOOST_AUTO_TEST_CASE(save_load_predict_bit_for_bit) {
    for (const Loss loss : {Loss::mse, Loss::log}) {
        const Model saved = small_model(loss);
        const Model loaded = model_from_json(to_json(saved), "m.json");
        BOOST_TEST((std::vector<double>(saved.network.parameters().begin(), saved.network.parameters().end()) ==
                    std::vector<double>(loaded.network.parameters().begin(), loaded.network.parameters().end())));
        BOOST_TEST((loaded.scaler.offset() == saved.scaler.offset()));
        BOOST_TEST((loaded.scaler.scale() == saved.scaler.scale()));
        BOOST_TEST(loaded.scaler.name() == "standard");
        BOOST_TEST((loaded.features == saved.features));
        BOOST_TEST(loaded.target == "label");
        BOOST_TEST((loaded.loss == loss));
        Eigen::MatrixXd raw(3, 2);
        raw << 0.3, 1, -2, 4.5, 7, 0.001;
        BOOST_TEST((loaded.predict(raw) == saved.predict(raw)));  // exact, not close
        if (loss == Loss::log) BOOST_TEST((saved.predict(raw).array() > 0).all());
    }
}

BOOST_AUTO_TEST_CASE(the_file_names_its_format_and_version) {
    const std::string json = to_json(small_model(Loss::mse));
    BOOST_TEST(json.find("\"format\": \"tapegrad-mlp\"") != std::string::npos);
    BOOST_TEST(json.find("\"version\": 1") != std::string::npos);
    BOOST_TEST(json.find("\"activation\": \"relu\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(load_from_a_file_and_missing_or_empty_files) {
    const auto path = std::filesystem::temp_directory_path() / "tapegrad_test_model.json";
    std::ofstream(path) << to_json(small_model(Loss::mse));
    BOOST_TEST(load_model(path).network.parameter_count() == small_model(Loss::mse).network.parameter_count());
    std::ofstream(path, std::ios::trunc).close();
    BOOST_CHECK_EXCEPTION(load_model(path), ModelError, [&](const ModelError& e) {
        return std::string(e.what()) == path.string() + ":1:1: the file is empty (expected a JSON model)";
    });
    std::filesystem::remove(path);
    BOOST_CHECK_EXCEPTION(load_model("/nonexistent/m.json"), ModelError, [](const ModelError& e) {
        return std::string(e.what()) == "/nonexistent/m.json: cannot open the file (No such file or directory)";
    });
}

BOOST_AUTO_TEST_CASE(bad_json_names_line_and_column) {
    const std::string bad = error_of("{\n  \"format\": tapegrad\n}");
    BOOST_TEST(bad.starts_with("m.json:2:14: not valid JSON"), bad);
    BOOST_TEST(error_of("[1, 2]") == "m.json: expected a JSON object (a tapegrad model)");
}

BOOST_AUTO_TEST_CASE(another_format_or_version) {
    BOOST_TEST(error_of(with("tapegrad-mlp", "keras")) ==
               "m.json: format: not a tapegrad model (expected \"format\": \"tapegrad-mlp\")");
    BOOST_TEST(error_of(with("\"version\": 1", "\"version\": 2")) ==
               "m.json: version: version 2 is not supported (this program reads version 1)");
}

BOOST_AUTO_TEST_CASE(missing_or_mistyped_fields) {
    BOOST_TEST(error_of(with("\"target\"", "\"goal\"")) == "m.json: missing field \"target\"");
    BOOST_TEST(error_of(with("\"loss\": \"log\"", "\"loss\": \"hinge\"")) ==
               "m.json: loss: unknown loss 'hinge' (expected mse, log or cross-entropy)");
    BOOST_TEST(error_of(with("\"activation\": \"tanh\"", "\"activation\": \"swish\"")) ==
               "m.json: layers[0].activation: unknown activation 'swish'");
    BOOST_TEST(error_of(with("\"kind\": \"standard\"", "\"kind\": \"robust\"")) ==
               "m.json: scaler.kind: unknown scaler 'robust' (expected minmax, standard or none)");
    BOOST_TEST(error_of(with("\"outputs\": 5", "\"outputs\": \"5\"")) ==
               "m.json: layers[0].outputs: expected a whole number from 1 to 1000000");
}

BOOST_AUTO_TEST_CASE(sizes_that_do_not_chain) {
    BOOST_TEST(error_of(with("\"inputs\": 5", "\"inputs\": 4")) ==
               "m.json: layers[1].inputs: is 4, but the layer before gives 5");
    BOOST_TEST(error_of(with("\"features\": [\n    \"x1\",\n    \"x2\"\n  ]", "\"features\": [\"x1\"]")) ==
               "m.json: layers[0].inputs: is 2, but the layer before gives 1 (the features)");
    BOOST_TEST(error_of(with("\"outputs\": 3", "\"outputs\": 4")) ==
               "m.json: layers[2].inputs: is 3, but the layer before gives 4");
}

BOOST_AUTO_TEST_CASE(numbers_that_are_not_finite_or_not_numbers) {
    std::string json = to_json(small_model(Loss::mse));
    const std::size_t bias = json.find("\"bias\": [");
    const std::size_t first = json.find_first_of("-0123456789", bias + 9);
    const std::size_t end = json.find_first_of(",\n", first);
    BOOST_TEST(error_of(json.substr(0, first) + "null" + json.substr(end)) ==
               "m.json: layers[0].bias[0]: expected a finite number");
    BOOST_TEST(error_of(json.substr(0, first) + "1e999" + json.substr(end)).starts_with("m.json:"));
}

// ---- issue 28 ----

namespace {
// The largest single allocation while `text` is read as a model, and the error it gave.
std::pair<std::size_t, std::string> largest_allocation_reading(const std::string& text) {
    largest_allocation = 0;
    const std::string error = error_of(text);
    return {largest_allocation.load(), error};
}

std::string one_hidden_layer(int hidden, const std::string& loss = "mse") {
    return R"({"format": "tapegrad-mlp", "version": 1, "features": ["x"], "target": "y", "loss": ")" + loss +
           R"(", "scaler": {"kind": "none", "offset": [0], "scale": [1]}, "layers": [
      {"inputs": 1, "outputs": )" +
           std::to_string(hidden) + R"(, "activation": "tanh", "weights": [[0]], "bias": [0]},
      {"inputs": )" +
           std::to_string(hidden) + R"(, "outputs": 1, "activation": "identity", "weights": [[0]], "bias": [0]}]})";
}
}  // namespace

BOOST_AUTO_TEST_CASE(dev_zero_model_stops_at_the_limit) {
    BOOST_CHECK_EXCEPTION(load_model("/dev/zero"), ModelError, [](const ModelError& e) {
        return std::string(e.what()) == "/dev/zero: longer than the limit of 67108864 bytes (reading stopped there)";
    });
    const auto path = std::filesystem::temp_directory_path() / "tapegrad_test_model_limit.json";
    std::ofstream(path) << to_json(small_model(Loss::mse));
    const auto size = std::filesystem::file_size(path);
    BOOST_CHECK_EXCEPTION(load_model(path, size - 1), ModelError, [&](const ModelError& e) {
        return std::string(e.what()) == path.string() + ": the file is " + std::to_string(size) +
                                            " bytes, over the limit of " + std::to_string(size - 1) + " bytes";
    });
    BOOST_TEST(load_model(path, size).features.size() == 2u);
    std::filesystem::remove(path);
}

BOOST_AUTO_TEST_CASE(small_file_declaring_huge_layers_allocates_nothing_big) {
    // A file of a few hundred bytes declared 1 -> 1000000 -> 1: before, 16 MB (and with
    // 2000 outputs 16 GB) were allocated before the missing weights were noticed.
    largest_allocation = 0;
    { const MLP seen({1, 100'000, 1}); }  // the measure sees a network's parameters
    BOOST_TEST(largest_allocation.load() >= 300'001 * sizeof(double));
    const std::string huge = one_hidden_layer(1'000'000);
    BOOST_TEST(huge.size() < 400u);
    const auto [bytes, error] = largest_allocation_reading(huge);
    BOOST_TEST(error == "m.json: layers[0].weights[0]: expected an array of 1000000 numbers");
    BOOST_TEST(bytes < 100'000u);
    // The shape that fits is still read (the same checks pass for honest files).
    const auto [fine_bytes, fine] = largest_allocation_reading(one_hidden_layer(1));
    BOOST_TEST(fine == "");
    BOOST_TEST(fine_bytes < 100'000u);
    // The trap of the issue: 1 -> 100000 -> 1000 (768 MB), refused on its output count.
    std::string wide = one_hidden_layer(100'000);
    wide.replace(wide.rfind("\"outputs\": 1"), 12, "\"outputs\": 1000");
    const auto [wide_bytes, wide_error] = largest_allocation_reading(wide);
    BOOST_TEST(wide_error ==
               "m.json: layers[1].outputs: is 1000, but a model predicts one target: the last layer needs 1 output");
    BOOST_TEST(wide_bytes < 100'000u);
}

BOOST_AUTO_TEST_CASE(deep_nesting_refused_before_parsing) {
    // A million '[' would be a million nested arrays inside the JSON library.
    const auto [bytes, error] = largest_allocation_reading(std::string(1'000'000, '['));
    BOOST_TEST(error == "m.json:1:17: not a tapegrad model (nested deeper than 16 levels)");
    BOOST_TEST(bytes < 100'000u);
    BOOST_TEST(error_of("{\"format\": \"[[[[[[[[[[[[[[[[[[[[[[[[\"}") ==
               "m.json: format: not a tapegrad model (expected \"format\": \"tapegrad-mlp\")");  // in a string: text
}

BOOST_AUTO_TEST_CASE(outputs_that_do_not_fit_the_loss) {
    // Before, these loaded, and predict_mlp wrote a prediction file of two columns under one name.
    const std::string two = with("\"outputs\": 1", "\"outputs\": 2");
    BOOST_TEST(error_of(two) ==
               "m.json: layers[2].outputs: is 2, but a model predicts one target: the last layer needs 1 output");
    BOOST_TEST(error_of(replace_loss(two, "mse")) ==
               "m.json: layers[2].outputs: is 2, but a model predicts one target: the last layer needs 1 output");
    BOOST_TEST(error_of(with("\"activation\": \"identity\"", "\"activation\": \"sigmoid\"")) ==
               "m.json: layers[2].activation: is 'sigmoid', but a log-loss model's last layer gives the logit: it "
               "needs 'identity'");
    BOOST_TEST(error_of(replace_loss(with("\"activation\": \"identity\"", "\"activation\": \"sigmoid\""), "mse")) ==
               "");  // an mse model may squash its output
}

BOOST_AUTO_TEST_CASE(model_not_utf8_refused_with_its_place) {
    BOOST_TEST(error_of(with("\"x1\"", "\"x\xff\"")) == "m.json:5:7: not valid UTF-8 (byte \\xff)");
    BOOST_TEST(error_of(with("\"x1\"", "\"\xed\xa0\x80\"")) ==
               "m.json:5:6: not valid UTF-8 (byte \\xed)");                        // surrogate
    BOOST_TEST(error_of(with("\"x1\"", "\"\\ud800\"")).starts_with("m.json:5:"));  // an escaped lone surrogate
}

BOOST_AUTO_TEST_CASE(writer_refuses_what_json_cannot_hold) {
    // Before: a raw "[json.exception.type_error.316] invalid UTF-8 byte" from train_mlp --save.
    Model m = small_model(Loss::mse);
    m.features[1] = "b\xff";
    BOOST_CHECK_EXCEPTION(to_json(m), ModelError, [](const ModelError& e) {
        return std::string(e.what()) ==
               "model: features[1]: 'b\\xff' is not valid UTF-8 (byte 2), which JSON cannot hold";
    });
    m = small_model(Loss::mse);
    m.target = "\xc3";
    BOOST_CHECK_THROW(to_json(m), ModelError);
    m = small_model(Loss::mse);
    m.network.weights(1)(2, 0) = std::numeric_limits<double>::quiet_NaN();  // JSON would write null
    BOOST_CHECK_EXCEPTION(to_json(m), ModelError, [](const ModelError& e) {
        return std::string(e.what()).starts_with("model: layers[1].weights[2][0]: is ");
    });
}

BOOST_AUTO_TEST_CASE(control_bytes_in_model_messages_shown_not_cut) {
    BOOST_TEST(error_of(with("\"loss\": \"log\"", "\"loss\": \"\\u0000log\"")) ==
               "m.json: loss: unknown loss '\\0log' (expected mse, log or cross-entropy)");
    BOOST_TEST(error_of(with("\"activation\": \"tanh\"", "\"activation\": \"t\\u0001\"")) ==
               "m.json: layers[0].activation: unknown activation 't\\x01'");
    BOOST_TEST(error_of(with("\"version\": 1", "\"version\": [1]")) ==
               "m.json: version: version of type array is not supported (this program reads version 1)");
}

// ---- Issue 26: a model of K classes keeps the classes' names, in the order of its outputs ----

namespace {
Model class_model() {
    MLP net({2, 4, 3}, Activation::tanh);
    net.initialize(3);
    Eigen::MatrixXd data(3, 2);
    data << 0.1, 2, 0.7, -3, 1.3, 5;
    return Model{net,       Scaler::standard(data), {"x1", "x2"},
                 "species", Loss::cross_entropy,    {"setosa", "versicolor", "virginica"}};
}
std::string class_json_with(const std::string& from, const std::string& to) {
    const std::string json = to_json(class_model());
    const std::size_t at = json.find(from);
    BOOST_REQUIRE(at != std::string::npos);
    return json.substr(0, at) + to + json.substr(at + from.size());
}
}  // namespace

BOOST_AUTO_TEST_CASE(class_model_round_trips_with_its_classes_in_order) {
    const Model saved = class_model();
    const std::string json = to_json(saved);
    BOOST_TEST(json.find("\"loss\": \"cross-entropy\"") != std::string::npos);
    BOOST_TEST(json.find("\"classes\"") < json.find("\"scaler\""));  // read before the layers that need it
    const Model loaded = model_from_json(json, "m.json");
    BOOST_TEST((loaded.loss == Loss::cross_entropy));
    BOOST_TEST((loaded.classes == std::vector<std::string>{"setosa", "versicolor", "virginica"}));
    Eigen::MatrixXd raw(2, 2);
    raw << 0.3, 1, -2, 4.5;
    const Eigen::MatrixXd p = loaded.predict(raw);
    BOOST_TEST((p == saved.predict(raw)));  // exact
    BOOST_TEST(p.cols() == 3);
    for (Eigen::Index i = 0; i < p.rows(); ++i) BOOST_TEST(std::abs(p.row(i).sum() - 1.0) < 1e-15);
    BOOST_TEST(to_json(small_model(Loss::log)).find("classes") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(class_model_errors_name_the_field) {
    BOOST_TEST(error_of(class_json_with("\"classes\"", "\"kinds\"")) == "m.json: missing field \"classes\"");
    BOOST_TEST(error_of(class_json_with("\"versicolor\",", "")) ==
               "m.json: layers[1].outputs: is 3, but the model has 2 classes: the last layer needs one output each");
    BOOST_TEST(error_of(class_json_with("\"versicolor\"", "\"setosa\"")) ==
               "m.json: classes[1]: 'setosa' is listed twice");
    BOOST_TEST(
        error_of(class_json_with("\"setosa\",", "")).find("m.json: layers[1].outputs: is 3, but the model has 2") ==
        0u);
    BOOST_TEST(error_of(class_json_with("\"classes\": [", "\"classes\": [[], ")) ==
               "m.json: classes[0]: expected a string");
    BOOST_TEST(error_of(replace_loss(to_json(class_model()), "log")) ==
               "m.json: classes: only a cross-entropy model has classes");
    BOOST_TEST(error_of(class_json_with("\"activation\": \"identity\"", "\"activation\": \"relu\"")) ==
               "m.json: layers[1].activation: is 'relu', but a cross-entropy model's last layer gives the logits: it "
               "needs 'identity'");
}
