/// \file
/// Numeric tables in, from CSV files: the learner's own data.
///
///     age,exercise,diet,health          a header row naming each column (names unique)
///     60,8,7,7                          then one row per example, every cell a finite number
///     "63",2,2,3                        cells may be quoted ("" is a quote inside quotes)
///
/// Commas separate cells; lines may end in LF or CRLF; a UTF-8 byte-order mark at the
/// start is skipped; a last line without a newline is fine, blank lines at the end are
/// ignored. Anything else is a CsvError whose message starts with the place at fault,
/// "FILE:LINE:COLUMN: " (columns count bytes from 1), as compilers write it:
///     missing or unreadable file, a file over the size limit (64 MiB by default),
///     an empty file, a header with no data rows, an empty, duplicated or not UTF-8
///     column name, a row with more or fewer cells than the header, a cell that is not a
///     number, a NaN or infinite cell, an unterminated quote; and, in split(), a target
///     column that is missing.
/// One column may be named as text (class labels, "setosa"): its cells are kept as they
/// are, in Table::text, and only an empty cell is refused there.
///
/// The size limit holds while reading: bytes are counted as they arrive, so /dev/zero, a
/// pipe or a growing file is refused at the limit, never read whole (read_bytes, which
/// the model reader shares). Text from the file is quoted in messages with printable():
/// a NUL or another control byte shows as \\0 or \\x01, and the message is never cut short.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <Eigen/Core>

namespace tapegrad::nn {

class CsvError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct Table {
    std::string file;                  ///< where it was read from (for messages)
    std::vector<std::string> columns;  ///< the header's names
    Eigen::MatrixXd values;            ///< one row per data row, one column per name
    /// The cells of the text column, when one was named and is in the header: one per row,
    /// with the byte column each starts at (its line is the row's index + 2). Its column
    /// of `values` holds zeros.
    Eigen::Index text_column = -1;
    std::vector<std::string> text;
    std::vector<std::size_t> text_at;

    /// The index of column `name`, or -1.
    Eigen::Index column(std::string_view name) const;
};

inline constexpr std::uintmax_t default_csv_limit = 64u << 20;  ///< 64 MiB

/// A file that cannot be read whole: missing, a directory, unreadable, or over the limit.
class ReadError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// The bytes of `path` — a regular file, a device or a pipe alike — read piece by piece
/// and counted, so that no more than `size_limit` bytes are ever held. A regular file over
/// the limit is refused before reading ("FILE: the file is N bytes, over the limit of L
/// bytes"), anything else the moment its byte L + 1 arrives. `kind` names what the file
/// should be in the message for a directory ("a CSV file").
std::string read_bytes(const std::filesystem::path& path, std::uintmax_t size_limit, std::string_view kind);

/// Where the first byte of `text` that is not part of well-formed UTF-8 is (overlong forms,
/// surrogates and code points past U+10FFFF are not), or std::string_view::npos.
std::size_t invalid_utf8_at(std::string_view text);

/// `text` as it can be shown in a message: NUL as \\0, other control bytes and bytes that
/// are not UTF-8 as \\xhh, everything else as it is. The result has no NUL, so what() of an
/// error holding it is never cut short, and it is valid UTF-8.
std::string printable(std::string_view text);

/// Read `path`; see the file's description for what is accepted and what is an error.
/// The column named `text_column`, if any, is read as text (Table::text).
Table read_csv(const std::filesystem::path& path, std::uintmax_t size_limit = default_csv_limit,
               std::string_view text_column = {});
/// The same from text in memory; `file` names it in messages.
Table parse_csv(std::string_view text, const std::string& file, std::string_view text_column = {});

/// Write a table as CSV: the header, then each row, every number in the shortest form that
/// reads back as the same double (at most 17 significant digits; 3 for 3.0).
void write_csv(std::ostream& out, const std::vector<std::string>& columns, const Eigen::MatrixXd& values);

/// A table split into the features (every other column, in order) and one target column.
struct Examples {
    std::vector<std::string> feature_names;
    std::string target_name;
    Eigen::MatrixXd features;
    Eigen::MatrixXd targets;               ///< n x 1 (zeros when the target was read as text)
    std::vector<std::string> target_text;  ///< the target's cells, when read as text
    std::vector<std::size_t> target_at;    ///< the byte column of each (its line: row + 2)
};
/// CsvError "FILE:1: no column 'y' (the columns are a, b, c)" when `target` is missing.
Examples split(const Table& table, std::string_view target);

}  // namespace tapegrad::nn
