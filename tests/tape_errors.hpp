// tests/tape_errors.hpp — what the tests of the tape ask of a misuse: the message of the
// TapeError it throws, and whether that message names what it should.
#pragma once

#include <string>

#include "tapegrad/autodiff/shape.hpp"

namespace tapegrad::testing {

/// The message of the TapeError that `f` throws, or "" when it throws none.
template <class F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const TapeError& e) {
        return e.what();
    }
    return "";
}
inline bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace tapegrad::testing
