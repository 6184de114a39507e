// tests/test_json.cpp — the programs' JSON (examples/json.hpp): the gradient checker's
// report and the verifier's result, with every field, escaped names and null for NaN.
// Built with the examples (the JSON writer lives with the programs that print it).
#define BOOST_TEST_MODULE json
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "health_fixtures.hpp"
#include "json.hpp"
#include "tapegrad/nn/verifier.hpp"

using namespace tapegrad;

namespace {
bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }
}  // namespace

BOOST_AUTO_TEST_CASE(report_names_the_worst_and_writes_null_for_nan) {
    const std::vector<std::string> names{"a", "b\"q"};
    const std::vector<double> analytic{1.0, std::numeric_limits<double>::quiet_NaN()}, numeric{1.0, 2.0};
    const std::string json = json::to_json(compare_gradients(names, analytic, numeric));
    BOOST_TEST(json.rfind("{\"passed\":false,\"worst\":\"b\\\"q\",\"parameters\":[", 0) == 0u, json);
    BOOST_TEST(contains(json, "\"analytic\":null"), json);
    BOOST_TEST(
        contains(json, "{\"name\":\"a\",\"analytic\":1,\"numeric\":1,\"abs_error\":0,\"rel_error\":0,\"passed\":true}"),
        json);
}

BOOST_AUTO_TEST_CASE(numbers_have_17_digits_and_strings_escape_control_characters) {
    BOOST_TEST(json::number(0.1) == "0.10000000000000001");
    BOOST_TEST(json::number(std::numeric_limits<double>::infinity()) == "null");
    BOOST_TEST(json::string("a\nb\\") == "\"a\\u000ab\\\\\"");
}

BOOST_AUTO_TEST_CASE(verification_has_every_parameter_and_the_gate) {
    using namespace tapegrad::nn;
    const Verification v = verify(tapegrad::testing::article_network(Activation::identity), initial_parameters(1));
    const std::string json = json::to_json(v);
    BOOST_TEST(json.rfind("{\"parameters\":[{\"name\":\"w1\",\"tape\":", 0) == 0u, json);
    for (const auto& name : parameter_names) BOOST_TEST(contains(json, "\"name\":\"" + std::string(name) + "\""));
    BOOST_TEST(contains(json, "\"verdict\":\"agrees-up-to-factor\""));
    BOOST_TEST(contains(json, "\"verdict\":\"differs\""));
    BOOST_TEST(contains(json, "\"chain_rule\":"));
    BOOST_TEST(contains(json, "\"finite_difference\":"));
    BOOST_TEST(contains(json, "\"ratio\":"));
    BOOST_TEST(json.substr(json.size() - 16) == "],\"passed\":true}");
}
