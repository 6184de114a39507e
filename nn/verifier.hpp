/// \file
/// Check the tape before training: four sources, one table.
///
/// At the starting parameters the verifier computes the gradient of the MSE for all
/// eight weights and three biases from
///   tape               the reverse sweep over the recorded graph (autodiff/)
///   chain rule         the derivation by hand (HealthNetwork::chain_rule_gradient)
///   finite difference  central differences of the loss (autodiff/gradient_check.hpp)
///   article            the article's two functions, ported as printed (nn/article.hpp)
/// Every source is called through the one signature (nn/training.hpp's GradientFunction).
/// The gate: the tape must agree with the chain rule (relative 1e-10) and with finite
/// differences of the loss (the gradient checker's rtol 1e-6, atol 1e-8, plus the
/// step's rounding error, so a large loss is no false alarm); otherwise training must
/// not start. The finite differences judge the very tape gradient the table shows.
///
/// Against the article the verdict says what is true of each parameter:
///   agrees               the article's value is the tape's;
///   agrees-up-to-factor  it is the tape's times a factor that most parameters share
///                        (the note names the factor and where it comes from);
///   differs              it is neither (the note says what it is instead).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "tapegrad/autodiff/gradient_check.hpp"
#include "tapegrad/nn/health_network.hpp"
#include "tapegrad/nn/parameters.hpp"

namespace tapegrad::nn {

enum class Verdict { agrees, agrees_up_to_factor, differs };
std::string_view verdict_name(Verdict v);  // "agrees", "agrees-up-to-factor", "differs"

struct VerifierOptions {
    double chain_rule_rtol = 1e-10;          ///< tape against the chain rule (same math, other order)
    double chain_rule_atol = 1e-13;          ///< for gradients that are (nearly) zero
    GradientCheckOptions finite_difference;  ///< tape against central differences
    double factor_rtol = 1e-9;               ///< how closely article / tape must match a factor
};

struct ParameterVerdict {
    std::string name;
    double value = 0;  ///< the parameter itself
    double tape = 0, chain_rule = 0, finite_difference = 0, article = 0;
    double ratio = 0;  ///< tape / article (NaN when the article's value is 0)
    Verdict verdict = Verdict::differs;
    std::string note;
};

struct Verification {
    Activation activation = Activation::identity;
    Eigen::Index people = 0;
    std::vector<ParameterVerdict> parameters;  ///< w1..w8, b1..b3
    GradientReport tape_vs_chain_rule;
    GradientReport tape_vs_finite_difference;
    /// Parameters where central differences cannot judge: the loss overflows at x +- h
    /// while the tape's gradient is finite. Not failures: the gate rests on the chain rule.
    std::vector<std::string> inconclusive;
    double common_factor = 1;  ///< article = common_factor * tape, for most parameters
    bool passed = false;       ///< the gate

    std::string to_text() const;  ///< the table, the notes and the gate's verdict
};

Verification verify(const HealthNetwork& network, const Parameters& start, const VerifierOptions& options = {});

/// "1/6" for a factor that is the reciprocal of a whole number, else "%.6g".
std::string describe_factor(double factor);

}  // namespace tapegrad::nn
