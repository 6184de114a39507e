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
///     an empty file, a header with no data rows, an empty or duplicated column name,
///     a row with more or fewer cells than the header, a cell that is not a number,
///     a NaN or infinite cell, an unterminated quote; and, in split(), a target column
///     that is missing.
#pragma once

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

    /// The index of column `name`, or -1.
    Eigen::Index column(std::string_view name) const;
};

inline constexpr std::uintmax_t default_csv_limit = 64u << 20;  ///< 64 MiB

/// Read `path`; see the file's description for what is accepted and what is an error.
Table read_csv(const std::filesystem::path& path, std::uintmax_t size_limit = default_csv_limit);
/// The same from text in memory; `file` names it in messages.
Table parse_csv(std::string_view text, const std::string& file);

/// Write a table as CSV: the header, then each row, every number in the shortest form that
/// reads back as the same double (at most 17 significant digits; 3 for 3.0).
void write_csv(std::ostream& out, const std::vector<std::string>& columns, const Eigen::MatrixXd& values);

/// A table split into the features (every other column, in order) and one target column.
struct Examples {
    std::vector<std::string> feature_names;
    std::string target_name;
    Eigen::MatrixXd features;
    Eigen::MatrixXd targets;  ///< n x 1
};
/// CsvError "FILE:1: no column 'y' (the columns are a, b, c)" when `target` is missing.
Examples split(const Table& table, std::string_view target);

}  // namespace tapegrad::nn
