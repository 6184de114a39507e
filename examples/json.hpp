// examples/json.hpp — the programs' --json output: the gradient checker's report and the
// verifier's result as JSON. The libraries know nothing of JSON; the programs that print
// it own the format. Reports are small, so the text is built directly (no library):
// strings quoted and escaped, numbers with 17 significant digits (they read back as the
// same double), non-finite numbers as null.
//
//   std::cout << json::to_json(report) << '\n';
//   // {"passed":true,"worst":"x","parameters":[{"name":"x","analytic":...},...]}
#pragma once

#include <string>
#include <string_view>

#include "tapegrad/autodiff/gradient_check.hpp"
#include "tapegrad/nn/verifier.hpp"

namespace tapegrad::json {

std::string string(std::string_view text);  // quoted and escaped
std::string number(double x);               // 17 significant digits; null when not finite

/// {"passed":...,"worst":"name","parameters":[{"name","analytic","numeric","abs_error",
///  "rel_error","passed"},...]}
std::string to_json(const GradientReport& report);
/// {"parameters":[{"name","tape","chain_rule","finite_difference","article","ratio",
///  "verdict","note"},...],"passed":...}
std::string to_json(const nn::Verification& verification);

}  // namespace tapegrad::json
