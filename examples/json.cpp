// examples/json.cpp — reports as JSON for the programs' --json.
#include "json.hpp"

#include <cmath>

#include "tapegrad/autodiff/format.hpp"

namespace tapegrad::json {

std::string string(std::string_view text) {
    std::string e = "\"";
    for (char ch : text) {
        if (ch == '"' || ch == '\\') e += '\\';
        if (const auto c = static_cast<unsigned char>(ch); c < 0x20) {
            static constexpr char hex[] = "0123456789abcdef";
            e += std::string("\\u00") + hex[c >> 4] + hex[c & 15];
            continue;
        }
        e += ch;
    }
    return e + "\"";
}

std::string number(double x) { return std::isfinite(x) ? format_number(x, "%.17g") : "null"; }

std::string to_json(const GradientReport& report) {
    const auto& parameters = report.parameters;
    std::string s = std::string("{\"passed\":") + (report.passed ? "true" : "false") +
                    ",\"worst\":" + (parameters.empty() ? "null" : string(report.worst_parameter().name)) +
                    ",\"parameters\":[";
    for (std::size_t i = 0; i < parameters.size(); ++i) {
        const auto& p = parameters[i];
        s += std::string(i ? "," : "") + "{\"name\":" + string(p.name) + ",\"analytic\":" + number(p.analytic) +
             ",\"numeric\":" + number(p.numeric) + ",\"abs_error\":" + number(p.abs_error) +
             ",\"rel_error\":" + number(p.rel_error) + ",\"passed\":" + (p.passed ? "true" : "false") + "}";
    }
    return s + "]}";
}

std::string to_json(const nn::Verification& verification) {
    std::string s = "{\"parameters\":[";
    for (std::size_t i = 0; i < verification.parameters.size(); ++i) {
        const auto& p = verification.parameters[i];
        if (i) s += ",";
        s += "{\"name\":" + string(p.name) + ",\"tape\":" + number(p.tape) + ",\"chain_rule\":" + number(p.chain_rule) +
             ",\"finite_difference\":" + number(p.finite_difference) + ",\"article\":" + number(p.article) +
             ",\"ratio\":" + number(p.ratio) + ",\"verdict\":" + string(std::string(nn::verdict_name(p.verdict))) +
             ",\"note\":" + string(p.note) + "}";
    }
    s += "],\"passed\":";
    s += verification.passed ? "true" : "false";
    return s + "}";
}

}  // namespace tapegrad::json
