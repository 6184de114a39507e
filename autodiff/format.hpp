/// \file
/// The one number formatter: one double through one printf conversion, as a string.
///
///     format_number(0.1234567)          "0.123457"   (the default, %.6g)
///     format_number(1e-6, "%.0e")       "1e-06"
///     format_number(x, "%.*g", 17)      17 significant digits (the precision as an argument)
///
/// Every printed number of tapegrad's reports and programs goes through it, so that a
/// table never overflows a fixed buffer (the string is as long as the number needs).
#pragma once

#include <cstdio>
#include <string>

namespace tapegrad {

/// `printf_format` holds exactly one conversion for a double (with `precision` first
/// when it says %.*).
inline std::string format_number(double x, const char* printf_format = "%.6g", int precision = -1) {
    char buf[64];
    const auto print = [&](char* to, std::size_t size) {
        return precision < 0 ? std::snprintf(to, size, printf_format, x)
                             : std::snprintf(to, size, printf_format, precision, x);
    };
    const int n = print(buf, sizeof buf);
    if (n < 0) return "?";
    if (static_cast<std::size_t>(n) < sizeof buf) return std::string(buf, static_cast<std::size_t>(n));
    std::string long_text(static_cast<std::size_t>(n) + 1, '\0');
    print(long_text.data(), long_text.size());
    long_text.resize(static_cast<std::size_t>(n));
    return long_text;
}

}  // namespace tapegrad
