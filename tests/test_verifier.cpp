// tests/test_verifier.cpp — the verifier's gate and its verdicts on the article, pinned.
//
// For every activation and several starts: the gate passes (the tape agrees with the
// chain rule and finite differences); w1..w8 and b3 "agree-up-to-factor" 1/6, naming
// the double division by n; b1 and b2 "differ", naming the missing w7 / w8. If the tape
// broke, the gate or the factor would change; if the port were "fixed", b1 and b2 would
// stop differing: either fails here.
#define BOOST_TEST_MODULE verifier
#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <string>

#include "health_fixtures.hpp"
#include "tapegrad/nn/data.hpp"
#include "tapegrad/nn/scaler.hpp"
#include "tapegrad/nn/verifier.hpp"

namespace bdata = boost::unit_test::data;
using namespace tapegrad::nn;

namespace {
using tapegrad::testing::article_network;
bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }
const std::vector<Activation> activations{Activation::identity, Activation::sigmoid, Activation::relu,
                                          Activation::tanh};
const std::vector<std::uint64_t> seeds{1, 2, 3};
}  // namespace

BOOST_DATA_TEST_CASE(verdicts_on_the_article_are_pinned, bdata::make(activations) * bdata::make(seeds), activation,
                     seed) {
    const Verification v = verify(article_network(activation), initial_parameters(seed));
    BOOST_TEST(v.passed, v.to_text());
    BOOST_TEST(v.parameters.size() == 11u);
    BOOST_TEST(std::abs(v.common_factor - 1.0 / 6.0) < 1e-12);
    for (const auto& p : v.parameters) {
        BOOST_TEST_CONTEXT(p.name << ": " << p.note) {
            if (p.name == "b1" || p.name == "b2") {
                BOOST_TEST((p.verdict == Verdict::differs));
                BOOST_TEST(contains(p.note, "equals 1/6 x the gradient of b3"));
                BOOST_TEST(contains(p.note, p.name == "b1" ? "factor w7" : "factor w8"));
                BOOST_TEST(contains(p.note, "three = 1"));
            } else {
                BOOST_TEST((p.verdict == Verdict::agrees_up_to_factor));
                BOOST_TEST(contains(p.note, "1/6"));
                BOOST_TEST(contains(p.note, "np.mean"));
                BOOST_TEST(std::abs(p.ratio - 6.0) < 1e-9);
            }
            // the four sources themselves
            BOOST_TEST(std::abs(p.tape - p.chain_rule) <= 1e-10 * std::abs(p.chain_rule) + 1e-13);
            BOOST_TEST(std::abs(p.tape - p.finite_difference) <= 1e-8 + 1e-6 * std::abs(p.finite_difference));
        }
    }
}

BOOST_AUTO_TEST_CASE(gate_fails_at_a_kink_of_relu) {
    // All parameters 0: every Z is exactly 0, where relu has no derivative. The tape
    // takes relu'(0) = 0; central differences see the one-sided slope average 1/2. The
    // gate must refuse to pass such a point.
    const Verification v = verify(article_network(Activation::relu), Parameters{});
    BOOST_TEST(!v.passed);
    BOOST_TEST(!v.tape_vs_finite_difference.passed);
    BOOST_TEST(contains(v.to_text(), "NOT verified"));
}

BOOST_AUTO_TEST_CASE(a_large_loss_is_not_a_false_alarm) {
    // Issue 13, item 10: at this start the loss is large, tape and chain rule agree to
    // 1e-15, and the finite differences' rounding error (eps |f| / h) exceeds a fixed
    // tolerance; the gate must allow for it instead of failing a correct gradient.
    const Parameters start{
        {-4.34e-06, 2.0753, -0.1047, 0.7472, -1.6563, -1.4368, -0.0717, 668, -1.4391, 0.5138, 0.4267}};
    const Verification v = verify(article_network(Activation::identity), start);
    BOOST_TEST(v.tape_vs_chain_rule.passed);
    BOOST_TEST(v.tape_vs_finite_difference.passed, v.to_text());
    BOOST_TEST(v.passed);
}

BOOST_AUTO_TEST_CASE(an_overflowing_loss_is_inconclusive_not_a_failure) {
    // b3 = 1e200: the loss (1e200)^2 overflows to inf, the gradients (about 1e200) do not,
    // and tape and chain rule agree; central differences give inf - inf. Inconclusive,
    // said so, and not a failed gate.
    Parameters start = initial_parameters(1);
    start[b3] = 1e200;
    const Verification v = verify(article_network(Activation::identity), start);
    BOOST_TEST(v.tape_vs_chain_rule.passed);
    BOOST_TEST(v.inconclusive.size() == parameter_count);
    BOOST_TEST(v.passed, v.to_text());
    BOOST_TEST(contains(v.to_text(), "inconclusive for w1 w2"));
}

BOOST_AUTO_TEST_CASE(huge_values_keep_the_table_narrow) {
    Parameters start = initial_parameters(1);
    start[w1] = 1e200;
    start[w7] = 0;  // keeps the loss finite
    const Verification v = verify(article_network(Activation::identity), start);
    const std::string text = v.to_text();
    std::size_t longest = 0, begin = 0;
    for (std::size_t end; (end = text.find('\n', begin)) != std::string::npos; begin = end + 1)
        if (text.compare(begin, 3, "w1 ") == 0) longest = std::max(longest, end - begin);
    BOOST_TEST(longest > 0u);
    BOOST_TEST(longest < 140u, text);
}

BOOST_AUTO_TEST_CASE(finite_differences_judge_the_gradient_in_the_table) {
    const Verification v = verify(article_network(Activation::sigmoid), initial_parameters(3));
    for (std::size_t i = 0; i < parameter_count; ++i) {
        BOOST_TEST(v.tape_vs_finite_difference.parameters[i].analytic == v.parameters[i].tape);
        BOOST_TEST(v.tape_vs_finite_difference.parameters[i].numeric == v.parameters[i].finite_difference);
    }
}

BOOST_AUTO_TEST_CASE(factors_are_described_as_fractions) {
    BOOST_TEST(describe_factor(1.0 / 6.0) == "1/6");
    BOOST_TEST(describe_factor(1.0) == "1");
    BOOST_TEST(describe_factor(0.3) == "0.3");
}
