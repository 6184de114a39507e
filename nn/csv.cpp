// tapegrad/nn/csv.cpp — a strict reader of numeric CSV, and its writer.
#include "tapegrad/nn/csv.hpp"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <ostream>
#include <sstream>
#include <system_error>

namespace tapegrad::nn {

Eigen::Index Table::column(std::string_view name) const {
    for (std::size_t j = 0; j < columns.size(); ++j)
        if (columns[j] == name) return static_cast<Eigen::Index>(j);
    return -1;
}

namespace {
struct Cell {
    std::string text;
    std::size_t column;  // 1-based byte offset of the cell in its line
};

[[noreturn]] void fail(const std::string& file, std::size_t line, std::size_t column, const std::string& what) {
    std::string where = file + ":" + std::to_string(line);
    if (column > 0) where += ":" + std::to_string(column);
    throw CsvError(where + ": " + what);
}

// The cells of one line (without its line ending). Quoted cells may hold commas and "".
std::vector<Cell> cells_of(std::string_view line, const std::string& file, std::size_t number) {
    std::vector<Cell> cells;
    std::size_t i = 0;
    while (true) {
        Cell cell{"", i + 1};
        if (i < line.size() && line[i] == '"') {
            for (++i;; ++i) {
                if (i >= line.size()) fail(file, number, cell.column, "a quote is not closed on this line");
                if (line[i] == '"') {
                    if (i + 1 < line.size() && line[i + 1] == '"') {
                        cell.text += '"';
                        ++i;
                    } else {
                        break;
                    }
                } else {
                    cell.text += line[i];
                }
            }
            ++i;  // past the closing quote
            if (i < line.size() && line[i] != ',')
                fail(file, number, i + 1, "expected a comma after the closing quote");
        } else {
            const std::size_t comma = line.find(',', i);
            cell.text = std::string(line.substr(i, comma == line.npos ? line.npos : comma - i));
            i = comma == line.npos ? line.size() : comma;
        }
        cells.push_back(std::move(cell));
        if (i >= line.size()) return cells;
        ++i;  // past the comma
    }
}

double number_of(const Cell& cell, const std::string& column, const std::string& file, std::size_t line) {
    std::string_view t = cell.text;
    while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
    while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
    if (!t.empty() && t.front() == '+') t.remove_prefix(1);
    if (t.empty()) fail(file, line, cell.column, "empty cell in column '" + column + "' (expected a number)");
    double value = 0;
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
    if (ec == std::errc::result_out_of_range)
        fail(file, line, cell.column, "'" + cell.text + "' in column '" + column + "' is out of range for a double");
    if (ec != std::errc() || end != t.data() + t.size())
        fail(file, line, cell.column, "'" + cell.text + "' in column '" + column + "' is not a number");
    if (!std::isfinite(value))
        fail(file, line, cell.column, "'" + cell.text + "' in column '" + column + "' is not a finite number");
    return value;
}

// The lines of `text`, each without its LF or CRLF.
std::vector<std::string_view> lines_of(std::string_view text) {
    std::vector<std::string_view> lines;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == text.npos) end = text.size();
        std::string_view line = text.substr(start, end - start);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        lines.push_back(line);
        start = end + 1;
    }
    while (!lines.empty() && lines.back().empty()) lines.pop_back();  // blank lines at the end
    return lines;
}

std::vector<std::string> header_of(std::string_view line, const std::string& file) {
    std::vector<std::string> names;
    for (const Cell& cell : cells_of(line, file, 1)) {
        if (cell.text.empty()) fail(file, 1, cell.column, "empty column name in the header");
        for (std::size_t j = 0; j < names.size(); ++j)
            if (names[j] == cell.text)
                fail(file, 1, cell.column,
                     "column '" + cell.text + "' appears twice in the header (also column " + std::to_string(j + 1) +
                         ")");
        names.push_back(cell.text);
    }
    return names;
}
}  // namespace

Table parse_csv(std::string_view text, const std::string& file) {
    if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // the UTF-8 byte-order mark
    const std::vector<std::string_view> lines = lines_of(text);
    if (lines.empty()) fail(file, 1, 1, "the file is empty (expected a header row naming the columns)");
    Table table;
    table.file = file;
    table.columns = header_of(lines[0], file);
    if (lines.size() == 1) fail(file, 2, 1, "no data rows after the header");
    const std::size_t width = table.columns.size();
    table.values.resize(static_cast<Eigen::Index>(lines.size() - 1), static_cast<Eigen::Index>(width));
    for (std::size_t r = 1; r < lines.size(); ++r) {
        const std::size_t number = r + 1;
        const std::vector<Cell> cells = cells_of(lines[r], file, number);
        if (cells.size() != width)
            fail(file, number, cells.size() > width ? cells[width].column : lines[r].size() + 1,
                 "the row has " + std::to_string(cells.size()) + (cells.size() == 1 ? " cell" : " cells") +
                     ", the header has " + std::to_string(width));
        for (std::size_t j = 0; j < width; ++j)
            table.values(static_cast<Eigen::Index>(r - 1), static_cast<Eigen::Index>(j)) =
                number_of(cells[j], table.columns[j], file, number);
    }
    return table;
}

Table read_csv(const std::filesystem::path& path, std::uintmax_t size_limit) {
    const std::string file = path.string();
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) throw CsvError(file + ": is a directory, not a CSV file");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw CsvError(file + ": cannot open the file (" + std::strerror(errno) + ")");
    const std::uintmax_t size = std::filesystem::file_size(path, ec);
    if (!ec && size > size_limit)
        throw CsvError(file + ": the file is " + std::to_string(size) + " bytes, over the limit of " +
                       std::to_string(size_limit) + " bytes");
    std::ostringstream text;
    text << in.rdbuf();
    return parse_csv(text.str(), file);
}

void write_csv(std::ostream& out, const std::vector<std::string>& columns, const Eigen::MatrixXd& values) {
    for (std::size_t j = 0; j < columns.size(); ++j) out << (j ? "," : "") << columns[j];
    out << '\n';
    char buf[40];
    for (Eigen::Index i = 0; i < values.rows(); ++i) {
        for (Eigen::Index j = 0; j < values.cols(); ++j) {
            const auto end = std::to_chars(buf, buf + sizeof buf, values(i, j)).ptr;  // shortest exact form
            out << (j ? "," : "") << std::string_view(buf, static_cast<std::size_t>(end - buf));
        }
        out << '\n';
    }
}

Examples split(const Table& table, std::string_view target) {
    const Eigen::Index t = table.column(target);
    if (t < 0) {
        std::string names;
        for (const auto& c : table.columns) names += (names.empty() ? "" : ", ") + c;
        fail(table.file, 1, 0, "no column '" + std::string(target) + "' (the columns are " + names + ")");
    }
    if (table.columns.size() < 2)
        fail(table.file, 1, 0, "no feature columns besides the target '" + std::string(target) + "'");
    Examples e;
    e.target_name = target;
    e.targets = table.values.col(t);
    e.features.resize(table.values.rows(), table.values.cols() - 1);
    for (Eigen::Index j = 0, k = 0; j < table.values.cols(); ++j) {
        if (j == t) continue;
        e.feature_names.push_back(table.columns[static_cast<std::size_t>(j)]);
        e.features.col(k++) = table.values.col(j);
    }
    return e;
}

}  // namespace tapegrad::nn
