// tapegrad/nn/csv.cpp — a strict reader of numeric CSV, and its writer.
//
// The text is read whole (at most the size limit, counted as it arrives), then walked
// line by line twice: once to count the rows, once to parse them straight into the
// table, so that apart from the text and the table nothing grows with the file. The
// header's names are checked for repeats by sorting, not by comparing every pair.
#include "tapegrad/nn/csv.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <ostream>
#include <system_error>

namespace tapegrad::nn {

Eigen::Index Table::column(std::string_view name) const {
    for (std::size_t j = 0; j < columns.size(); ++j)
        if (columns[j] == name) return static_cast<Eigen::Index>(j);
    return -1;
}

// ---- Bytes in, counted ----

namespace {
// Closes the descriptor however read_bytes leaves.
struct Descriptor {
    int fd;
    ~Descriptor() {
        if (fd >= 0) ::close(fd);
    }
};
}  // namespace

std::string read_bytes(const std::filesystem::path& path, std::uintmax_t size_limit, std::string_view kind) {
    const std::string file = path.string();
    const Descriptor in{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (in.fd < 0) throw ReadError(file + ": cannot open the file (" + std::strerror(errno) + ")");
    struct stat status {};
    if (::fstat(in.fd, &status) != 0) throw ReadError(file + ": cannot read the file (" + std::strerror(errno) + ")");
    if (S_ISDIR(status.st_mode)) throw ReadError(file + ": is a directory, not " + std::string(kind));
    std::string bytes;
    if (S_ISREG(status.st_mode)) {  // the size is known: refuse before reading, else read it in one piece
        const auto size = static_cast<std::uintmax_t>(status.st_size);
        if (size > size_limit)
            throw ReadError(file + ": the file is " + std::to_string(size) + " bytes, over the limit of " +
                            std::to_string(size_limit) + " bytes");
        bytes.reserve(static_cast<std::size_t>(size));
    }
    // Ask for one byte more than the limit allows: its arrival is the refusal.
    constexpr std::size_t piece = 64 << 10;
    char buffer[piece];
    while (true) {
        const std::uintmax_t left = size_limit - bytes.size();  // bytes.size() <= size_limit here
        const std::size_t ask = left >= piece ? piece : static_cast<std::size_t>(left) + 1;
        const ssize_t got = ::read(in.fd, buffer, ask);
        if (got < 0) {
            if (errno == EINTR) continue;
            throw ReadError(file + ": cannot read the file (" + std::strerror(errno) + ")");
        }
        if (got == 0) return bytes;
        if (static_cast<std::uintmax_t>(got) > size_limit - bytes.size())
            throw ReadError(file + ": longer than the limit of " + std::to_string(size_limit) +
                            " bytes (reading stopped there)");
        bytes.append(buffer, static_cast<std::size_t>(got));
    }
}

// ---- UTF-8, and text for messages ----

namespace {
// The length of the well-formed UTF-8 sequence that starts at text[i], or 0 if none does
// (the table of well-formed byte sequences in the Unicode standard, section 3.9).
std::size_t utf8_length(std::string_view text, std::size_t i) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char lead = byte(i);
    if (lead < 0x80) return 1;
    std::size_t length = 0;
    unsigned char low = 0x80, high = 0xBF;  // the range of the second byte
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        if (lead == 0xE0) low = 0xA0;   // not overlong
        if (lead == 0xED) high = 0x9F;  // not a surrogate
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        if (lead == 0xF0) low = 0x90;   // not overlong
        if (lead == 0xF4) high = 0x8F;  // not past U+10FFFF
    } else {
        return 0;  // a continuation byte, C0, C1 or F5..FF
    }
    if (text.size() - i < length || byte(i + 1) < low || byte(i + 1) > high) return 0;
    for (std::size_t k = 2; k < length; ++k)
        if ((byte(i + k) & 0xC0) != 0x80) return 0;
    return length;
}
}  // namespace

std::size_t invalid_utf8_at(std::string_view text) {
    for (std::size_t i = 0; i < text.size();) {
        const std::size_t length = utf8_length(text, i);
        if (length == 0) return i;
        i += length;
    }
    return std::string_view::npos;
}

std::string printable(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        const auto c = static_cast<unsigned char>(text[i]);
        const std::size_t length = utf8_length(text, i);
        if (c == 0) {
            out += "\\0";
        } else if (length == 0 || c < 0x20 || c == 0x7F) {
            char hex[5];
            std::snprintf(hex, sizeof hex, "\\x%02x", c);
            out += hex;
        } else {
            out.append(text.substr(i, length));
            i += length;
            continue;
        }
        ++i;
    }
    return out;
}

// ---- The reader ----

namespace {
[[noreturn]] void fail(const std::string& file, std::size_t line, std::size_t column, const std::string& what) {
    std::string where = file + ":" + std::to_string(line);
    if (column > 0) where += ":" + std::to_string(column);
    throw CsvError(where + ": " + what);
}

std::string in_quotes(std::string_view text) { return "'" + printable(text) + "'"; }

// Hands each cell of one line (without its line ending) to `cell(text, column)`, column
// being the 1-based byte offset of the cell in its line; returns how many there were.
// Quoted cells may hold commas and "" (a quote); their text is unquoted into `scratch`.
template <class CellFunction>
std::size_t for_each_cell(std::string_view line, const std::string& file, std::size_t number, std::string& scratch,
                          CellFunction&& cell) {
    std::size_t count = 0;
    std::size_t i = 0;
    while (true) {
        const std::size_t column = i + 1;
        std::string_view text;
        if (i < line.size() && line[i] == '"') {
            scratch.clear();
            for (++i;; ++i) {
                if (i >= line.size()) fail(file, number, column, "a quote is not closed on this line");
                if (line[i] != '"') {
                    scratch += line[i];
                } else if (i + 1 < line.size() && line[i + 1] == '"') {
                    scratch += '"';
                    ++i;
                } else {
                    break;
                }
            }
            ++i;  // past the closing quote
            if (i < line.size() && line[i] != ',')
                fail(file, number, i + 1, "expected a comma after the closing quote");
            text = scratch;
        } else {
            const std::size_t comma = std::min(line.find(',', i), line.size());
            text = line.substr(i, comma - i);
            i = comma;
        }
        cell(text, column);
        ++count;
        if (i >= line.size()) return count;
        ++i;  // past the comma
    }
}

double number_of(std::string_view cell, std::size_t column, const std::string& name, const std::string& file,
                 std::size_t line) {
    // "'4x' in column 'b' is not a number"; built only on failure, not for every cell.
    const auto refuse = [&](const std::string& subject, const char* what) {
        fail(file, line, column, subject + " in column " + in_quotes(name) + what);
    };
    std::string_view t = cell;
    while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
    while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
    if (!t.empty() && t.front() == '+') t.remove_prefix(1);
    if (t.empty()) refuse("empty cell", " (expected a number)");
    double value = 0;
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
    if (ec == std::errc::result_out_of_range) refuse(in_quotes(cell), " is out of range for a double");
    if (ec != std::errc() || end != t.data() + t.size()) refuse(in_quotes(cell), " is not a number");
    if (!std::isfinite(value)) refuse(in_quotes(cell), " is not a finite number");
    return value;
}

// The lines of a text one at a time, each without its LF or CRLF.
class Lines {
public:
    explicit Lines(std::string_view text) : text_(text) {}
    bool next(std::string_view& line) {
        if (start_ >= text_.size()) return false;
        const std::size_t end = std::min(text_.find('\n', start_), text_.size());
        line = text_.substr(start_, end - start_);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        start_ = end + 1;
        return true;
    }

private:
    std::string_view text_;
    std::size_t start_ = 0;
};

// How many lines there are once blank lines at the end are left out.
std::size_t line_count(std::string_view text) {
    Lines lines(text);
    std::size_t count = 0, kept = 0;
    for (std::string_view line; lines.next(line);) {
        ++count;
        if (!line.empty()) kept = count;
    }
    return kept;
}

// The first name that repeats an earlier one, as (its index, the earlier one's index), or
// (n, n) when all n are different. The indices are sorted by name, then by place, so the
// names that are equal lie together, in the order they come in the header.
std::pair<std::size_t, std::size_t> first_repeat(const std::vector<std::string>& names) {
    std::vector<std::size_t> order(names.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        const int c = names[a].compare(names[b]);
        return c != 0 ? c < 0 : a < b;
    });
    std::pair<std::size_t, std::size_t> repeat{names.size(), names.size()};
    for (std::size_t k = 1; k < order.size(); ++k)
        if (names[order[k]] == names[order[k - 1]] && (k < 2 || names[order[k - 2]] != names[order[k]]) &&
            order[k] < repeat.first)
            repeat = {order[k], order[k - 1]};
    return repeat;
}

std::vector<std::string> header_of(std::string_view line, const std::string& file) {
    std::vector<std::string> names;
    std::vector<std::size_t> columns;
    std::string scratch;
    for_each_cell(line, file, 1, scratch, [&](std::string_view text, std::size_t column) {
        names.emplace_back(text);
        columns.push_back(column);
    });
    // The first fault in the header's order: an empty or not UTF-8 name before the repeat.
    const auto [twice, first] = first_repeat(names);
    for (std::size_t j = 0; j < twice; ++j) {
        if (names[j].empty()) fail(file, 1, columns[j], "empty column name in the header");
        if (const std::size_t bad = invalid_utf8_at(names[j]); bad != std::string_view::npos)
            fail(file, 1, columns[j],
                 "column name " + in_quotes(names[j]) + " is not valid UTF-8 (byte " + std::to_string(bad + 1) +
                     " of the name)");
    }
    if (twice < names.size())
        fail(file, 1, columns[twice],
             "column " + in_quotes(names[twice]) + " appears twice in the header (also column " +
                 std::to_string(first + 1) + ")");
    return names;
}
}  // namespace

Table parse_csv(std::string_view text, const std::string& file, std::string_view text_column) {
    if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // the UTF-8 byte-order mark
    const std::size_t count = line_count(text);
    if (count == 0) fail(file, 1, 1, "the file is empty (expected a header row naming the columns)");
    Lines lines(text);
    std::string_view line;
    lines.next(line);
    Table table;
    table.file = file;
    table.columns = header_of(line, file);
    if (count == 1) fail(file, 2, 1, "no data rows after the header");
    const std::size_t width = table.columns.size();
    table.values.resize(static_cast<Eigen::Index>(count - 1), static_cast<Eigen::Index>(width));
    if (!text_column.empty()) table.text_column = table.column(text_column);
    const auto as_text = static_cast<std::size_t>(table.text_column);  // past every column when -1
    std::string scratch;
    for (std::size_t number = 2; number <= count; ++number) {
        lines.next(line);
        // The cells are counted first: a row of the wrong width is refused before its numbers.
        std::size_t k = 0, past_the_header = 0;  // the column of the first cell past the header's width
        const std::size_t cells = for_each_cell(line, file, number, scratch, [&](std::string_view, std::size_t column) {
            if (k++ == width) past_the_header = column;
        });
        if (cells != width)
            fail(file, number, cells > width ? past_the_header : line.size() + 1,
                 "the row has " + std::to_string(cells) + (cells == 1 ? " cell" : " cells") + ", the header has " +
                     std::to_string(width));
        const auto row = static_cast<Eigen::Index>(number - 2);
        std::size_t j = 0;
        for_each_cell(line, file, number, scratch, [&](std::string_view cell, std::size_t column) {
            if (j == as_text) {
                if (cell.empty()) fail(file, number, column, "empty cell in column " + in_quotes(text_column));
                table.text.emplace_back(cell);
                table.text_at.push_back(column);
                table.values(row, static_cast<Eigen::Index>(j)) = 0.0;
            } else {
                table.values(row, static_cast<Eigen::Index>(j)) =
                    number_of(cell, column, table.columns[j], file, number);
            }
            ++j;
        });
    }
    return table;
}

Table read_csv(const std::filesystem::path& path, std::uintmax_t size_limit, std::string_view text_column) {
    std::string text;
    try {
        text = read_bytes(path, size_limit, "a CSV file");
    } catch (const ReadError& e) {
        throw CsvError(e.what());
    }
    return parse_csv(text, path.string(), text_column);
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
        for (const auto& c : table.columns) names += (names.empty() ? "" : ", ") + printable(c);
        fail(table.file, 1, 0, "no column " + in_quotes(target) + " (the columns are " + names + ")");
    }
    if (table.columns.size() < 2) fail(table.file, 1, 0, "no feature columns besides the target " + in_quotes(target));
    Examples e;
    e.target_name = target;
    e.targets = table.values.col(t);
    if (t == table.text_column) {
        e.target_text = table.text;
        e.target_at = table.text_at;
    }
    e.features.resize(table.values.rows(), table.values.cols() - 1);
    for (Eigen::Index j = 0, k = 0; j < table.values.cols(); ++j) {
        if (j == t) continue;
        e.feature_names.push_back(table.columns[static_cast<std::size_t>(j)]);
        e.features.col(k++) = table.values.col(j);
    }
    return e;
}

}  // namespace tapegrad::nn
