/// \file
/// The shape of a node's value, the broadcasting rule, and the one error type.
///
/// Every node holds a dense matrix of doubles, column-major: a scalar is 1 x 1, the article's
/// six people as one column 6 x 1. Elementwise operations broadcast like numpy, in two
/// dimensions: along each the two sizes must match, or one must be 1. So a scalar parameter
/// times a 6 x 1 column of ages is 6 x 1 (the article's `w1 * x1`), and a 1 x H row of biases
/// added to an N x H matrix is N x H.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace tapegrad {

/// Every misuse of a tape or a Var: the message says which operation and what was wrong.
class TapeError : public std::logic_error {
public:
    using std::logic_error::logic_error;
};

struct Shape {
    std::uint32_t rows = 1, cols = 1;
    std::size_t size() const { return static_cast<std::size_t>(rows) * cols; }
    bool is_scalar() const { return rows == 1 && cols == 1; }
    friend bool operator==(Shape, Shape) = default;

    /// The shape of a rows x cols matrix; TapeError naming `where` when a side does not fit 32 bits.
    static Shape of(std::size_t rows, std::size_t cols, std::string_view where) {
        constexpr std::size_t most = std::numeric_limits<std::uint32_t>::max();
        if (rows > most || cols > most) [[unlikely]]
            throw TapeError(std::string(where) + ": a " + std::to_string(rows) + "x" + std::to_string(cols) +
                            " matrix is too large (at most " + std::to_string(most) + " rows and columns)");
        return {static_cast<std::uint32_t>(rows), static_cast<std::uint32_t>(cols)};
    }

    /// "6x1": how shapes appear in tables and error messages.
    std::string to_string() const { return std::to_string(rows) + "x" + std::to_string(cols); }
    friend std::ostream& operator<<(std::ostream& out, Shape s) { return out << s.to_string(); }
};

/// The shape of an elementwise result of a and b, or nothing when they do not broadcast.
inline std::optional<Shape> broadcast(Shape a, Shape b) {
    auto dim = [](std::uint32_t x, std::uint32_t y) -> std::optional<std::uint32_t> {
        if (x == y || y == 1) return x;
        if (x == 1) return y;
        return std::nullopt;
    };
    const auto rows = dim(a.rows, b.rows), cols = dim(a.cols, b.cols);
    if (!rows || !cols) return std::nullopt;
    return Shape{*rows, *cols};
}

}  // namespace tapegrad
