// tests/test_model.cpp — models to JSON and back: the same predictions bit for bit, and a
// clear error for every kind of bad or mismatched model file.
#define BOOST_TEST_MODULE model
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>

#include "tapegrad/nn/model.hpp"

using namespace tapegrad::nn;

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
               "m.json: loss: unknown loss 'hinge' (expected mse or log)");
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
