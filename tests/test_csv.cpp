// tests/test_csv.cpp — the CSV reader: what it accepts (quotes, CRLF, a byte-order mark)
// and, for every kind of bad file, the message with the file, line and column at fault;
// then the traps of issue 28: the size limit held on devices and pipes, a million-column
// header, names that are not UTF-8, control bytes in messages.
#define BOOST_TEST_MODULE csv
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <thread>

#include "tapegrad/nn/csv.hpp"

using namespace tapegrad::nn;

namespace {
// The message of the CsvError that parsing `text` throws ("" if none).
std::string error_of(const std::string& text) {
    try {
        parse_csv(text, "data.csv");
    } catch (const CsvError& e) {
        return e.what();
    }
    return "";
}

std::filesystem::path temporary(const std::string& name, const std::string& text) {
    const auto path = std::filesystem::temp_directory_path() / ("tapegrad_test_csv_" + name);
    std::ofstream(path, std::ios::binary) << text;
    return path;
}
}  // namespace

BOOST_AUTO_TEST_CASE(a_plain_table) {
    const Table t = parse_csv("a,b,y\n1,2.5,-3\n4,5e-1,6\n", "t.csv");
    BOOST_TEST((t.columns == std::vector<std::string>{"a", "b", "y"}));
    BOOST_TEST(t.values.rows() == 2);
    BOOST_TEST(t.values(0, 1) == 2.5);
    BOOST_TEST(t.values(1, 1) == 0.5);
    BOOST_TEST(t.values(0, 2) == -3.0);
    BOOST_TEST(t.column("b") == 1);
    BOOST_TEST(t.column("z") == -1);
}

BOOST_AUTO_TEST_CASE(quotes_crlf_bom_spaces_and_no_final_newline) {
    const Table t =
        parse_csv("\xEF\xBB\xBF\"age\",\"say \"\"hi\"\", a,b\",y\r\n\"60\", 8 ,+7\r\n1,2,3\r\n\r\n", "t.csv");
    BOOST_TEST((t.columns == std::vector<std::string>{"age", "say \"hi\", a,b", "y"}));
    BOOST_TEST(t.values(0, 0) == 60.0);
    BOOST_TEST(t.values(0, 1) == 8.0);
    BOOST_TEST(t.values(0, 2) == 7.0);
    BOOST_TEST(t.values.rows() == 2);
    BOOST_TEST(parse_csv("x,y\n1,2", "t.csv").values(0, 1) == 2.0);
}

BOOST_AUTO_TEST_CASE(split_takes_the_target_out) {
    const Examples e = split(parse_csv("a,y,b\n1,2,3\n4,5,6\n", "t.csv"), "y");
    BOOST_TEST((e.feature_names == std::vector<std::string>{"a", "b"}));
    BOOST_TEST(e.features(1, 1) == 6.0);
    BOOST_TEST(e.targets(1, 0) == 5.0);
}

BOOST_AUTO_TEST_CASE(written_numbers_read_back_exactly) {
    Eigen::MatrixXd v(2, 3);
    v << 0.1, 1.0 / 3, -2, 1e-300, 12345678.875, 2.0 / 7;
    std::ostringstream out;
    write_csv(out, {"a", "b", "c"}, v);
    BOOST_TEST(out.str().substr(0, 12) == "a,b,c\n0.1,0.");
    BOOST_TEST((parse_csv(out.str(), "t.csv").values == v));
}

// ---- every bad file: the place and the reason ----

BOOST_AUTO_TEST_CASE(missing_file) {
    BOOST_CHECK_EXCEPTION(read_csv("/nonexistent/d.csv"), CsvError, [](const CsvError& e) {
        return std::string(e.what()) == "/nonexistent/d.csv: cannot open the file (No such file or directory)";
    });
}

BOOST_AUTO_TEST_CASE(empty_file) {
    BOOST_TEST(error_of("") == "data.csv:1:1: the file is empty (expected a header row naming the columns)");
    BOOST_TEST(error_of("\xEF\xBB\xBF\n\n").starts_with("data.csv:1:1: the file is empty"));
}

BOOST_AUTO_TEST_CASE(header_only) { BOOST_TEST(error_of("a,b\n") == "data.csv:2:1: no data rows after the header"); }

BOOST_AUTO_TEST_CASE(ragged_rows) {
    BOOST_TEST(error_of("a,b,c\n1,2,3\n4,5\n") == "data.csv:3:4: the row has 2 cells, the header has 3");
    BOOST_TEST(error_of("a,b\n1,2,3\n") == "data.csv:2:5: the row has 3 cells, the header has 2");
    BOOST_TEST(error_of("a,b\n1,2\n\n3,4\n") == "data.csv:3:1: the row has 1 cell, the header has 2");
}

BOOST_AUTO_TEST_CASE(a_cell_that_is_not_a_number) {
    BOOST_TEST(error_of("a,b\n1,2\n3,4x\n") == "data.csv:3:3: '4x' in column 'b' is not a number");
    BOOST_TEST(error_of("a,b\n1,\n") == "data.csv:2:3: empty cell in column 'b' (expected a number)");
    BOOST_TEST(error_of("a,b\n1,1e999\n") == "data.csv:2:3: '1e999' in column 'b' is out of range for a double");
}

BOOST_AUTO_TEST_CASE(nan_and_inf_cells) {
    BOOST_TEST(error_of("a,b\nnan,1\n") == "data.csv:2:1: 'nan' in column 'a' is not a finite number");
    BOOST_TEST(error_of("a,b\n1,-inf\n") == "data.csv:2:3: '-inf' in column 'b' is not a finite number");
    BOOST_TEST(error_of("a,b\n1,\"Infinity\"\n") == "data.csv:2:3: 'Infinity' in column 'b' is not a finite number");
}

BOOST_AUTO_TEST_CASE(missing_target_column) {
    BOOST_CHECK_EXCEPTION(split(parse_csv("a,b\n1,2\n", "d.csv"), "y"), CsvError, [](const CsvError& e) {
        return std::string(e.what()) == "d.csv:1: no column 'y' (the columns are a, b)";
    });
}

BOOST_AUTO_TEST_CASE(duplicated_column) {
    BOOST_TEST(error_of("y,a,y\n1,2,3\n") == "data.csv:1:5: column 'y' appears twice in the header (also column 1)");
    BOOST_TEST(error_of("a,,b\n1,2,3\n") == "data.csv:1:3: empty column name in the header");
}

BOOST_AUTO_TEST_CASE(quotes_not_closed_or_followed_by_text) {
    BOOST_TEST(error_of("a,b\n1,\"2\n") == "data.csv:2:3: a quote is not closed on this line");
    BOOST_TEST(error_of("a,b\n\"1\"x,2\n") == "data.csv:2:4: expected a comma after the closing quote");
}

BOOST_AUTO_TEST_CASE(file_over_the_size_limit) {
    const auto path = temporary("big.csv", "a,b\n1,2\n3,4\n");
    BOOST_CHECK_EXCEPTION(read_csv(path, 10), CsvError, [&](const CsvError& e) {
        return std::string(e.what()) == path.string() + ": the file is 12 bytes, over the limit of 10 bytes";
    });
    BOOST_TEST(read_csv(path, 12).values.rows() == 2);
    std::filesystem::remove(path);
}

BOOST_AUTO_TEST_CASE(a_directory) {
    BOOST_CHECK_EXCEPTION(read_csv(std::filesystem::temp_directory_path()), CsvError, [](const CsvError& e) {
        return std::string(e.what()).ends_with("is a directory, not a CSV file");
    });
}

// ---- issue 28: limits that hold while reading, and what the messages show ----

namespace {
// A FIFO in the temporary folder, fed by a thread with `head`, then `text` repeated `times`
// times (or until the reader closes its end); removed, and the thread joined, at the end of
// scope.
class Fifo {
public:
    Fifo(const std::string& name, std::string head, std::string text, long times)
        : path_(std::filesystem::temp_directory_path() / ("tapegrad_test_csv_" + name)) {
        std::signal(SIGPIPE, SIG_IGN);  // a reader that stops early makes write() fail, not kill us
        std::filesystem::remove(path_);
        BOOST_REQUIRE(::mkfifo(path_.c_str(), 0600) == 0);
        writer_ = std::thread([this, head = std::move(head), text = std::move(text), times]() mutable {
            const int fd = ::open(path_.c_str(), O_WRONLY);  // waits for the reader
            if (fd >= 0 && ::write(fd, head.data(), head.size()) != static_cast<ssize_t>(head.size())) times = 0;
            for (long k = 0; fd >= 0 && k < times; ++k)
                if (::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) break;
            if (fd >= 0) ::close(fd);
        });
    }
    ~Fifo() {
        writer_.join();
        std::filesystem::remove(path_);
    }
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
    std::thread writer_;
};
}  // namespace

BOOST_AUTO_TEST_CASE(dev_zero_stops_at_the_limit) {
    // /dev/zero has no size: before, it was read until memory ran out.
    BOOST_CHECK_EXCEPTION(read_csv("/dev/zero"), CsvError, [](const CsvError& e) {
        return std::string(e.what()) == "/dev/zero: longer than the limit of 67108864 bytes (reading stopped there)";
    });
    BOOST_CHECK_EXCEPTION(read_csv("/dev/zero", 1000), CsvError, [](const CsvError& e) {
        return std::string(e.what()).starts_with("/dev/zero: longer than the limit of 1000 bytes");
    });
}

BOOST_AUTO_TEST_CASE(endless_fifo_stops_at_the_limit) {
    const Fifo fifo("endless.fifo", "a,b\n", "1,2\n", 1'000'000);
    BOOST_CHECK_EXCEPTION(read_csv(fifo.path(), 4096), CsvError, [&](const CsvError& e) {
        return std::string(e.what()) ==
               fifo.path().string() + ": longer than the limit of 4096 bytes (reading stopped there)";
    });
}

BOOST_AUTO_TEST_CASE(fifo_within_the_limit_is_read) {
    const Fifo fifo("short.fifo", "a,b\n", "1,2\n", 100);  // 404 bytes, the limit exactly
    const Table t = read_csv(fifo.path(), 404);
    BOOST_TEST(t.values.rows() == 100);
    BOOST_TEST(t.values(99, 1) == 2.0);
}

BOOST_AUTO_TEST_CASE(read_bytes_counts_to_the_limit_exactly) {
    const auto path = temporary("exact.csv", "0123456789");
    BOOST_TEST(read_bytes(path, 10, "a CSV file") == "0123456789");
    BOOST_CHECK_THROW(read_bytes(path, 9, "a CSV file"), ReadError);
    BOOST_TEST(read_bytes(path, std::numeric_limits<std::uintmax_t>::max(), "a CSV file") == "0123456789");
    std::filesystem::remove(path);
}

namespace {
// A header of `n` names c0, c1, ... (the last replaced by `last` when given), and one row.
std::string wide_table(std::size_t n, const std::string& last = "") {
    std::string text;
    for (std::size_t j = 0; j < n; ++j)
        text += (j ? "," : "") + (j + 1 == n && !last.empty() ? last : "c" + std::to_string(j));
    text += '\n';
    for (std::size_t j = 0; j < n; ++j) text += j ? ",2" : "1";
    return text + '\n';
}
}  // namespace

BOOST_AUTO_TEST_CASE(million_column_header_no_quadratic_check) {
    // Every pair compared took about 20 minutes for this header; sorted, it is a second.
    const std::size_t n = 1'000'000;
    const Table t = parse_csv(wide_table(n), "wide.csv");
    BOOST_TEST(t.columns.size() == n);
    BOOST_TEST(t.columns.back() == "c999999");
    BOOST_TEST(t.values.cols() == static_cast<Eigen::Index>(n));
    BOOST_TEST(t.values(0, 0) == 1.0);
    BOOST_TEST(t.values(0, n - 1) == 2.0);
    // A repeat at the far end names both places: c7 is column 8; the last cell starts at
    // byte 7888883 (before it 10 names of 2 bytes, 90 of 3, ..., 899999 of 7, each with its
    // comma: 10*3 + 90*4 + 900*5 + 9000*6 + 90000*7 + 899999*8 = 7888882 bytes).
    const std::string repeat = error_of(wide_table(n, "c7"));
    BOOST_TEST(repeat == "data.csv:1:7888883: column 'c7' appears twice in the header (also column 8)");
}

BOOST_AUTO_TEST_CASE(repeats_reported_in_header_order) {
    // The first cell that repeats an earlier name is the one named, however the names sort.
    BOOST_TEST(error_of("z,b,a,b,z\n1,2,3,4,5\n") ==
               "data.csv:1:7: column 'b' appears twice in the header (also column 2)");
    BOOST_TEST(error_of("a,a,a\n1,2,3\n") == "data.csv:1:3: column 'a' appears twice in the header (also column 1)");
    BOOST_TEST(error_of("a,,b,a\n1,2,3,4\n") == "data.csv:1:3: empty column name in the header");
    BOOST_TEST(error_of("a,b,a,\n1,2,3,4\n") == "data.csv:1:5: column 'a' appears twice in the header (also column 1)");
}

BOOST_AUTO_TEST_CASE(header_name_not_utf8) {
    // Before, such a name was taken, and train_mlp --save then failed inside the JSON library.
    BOOST_TEST(error_of("a,b\xff,y\n1,2,3\n") ==
               "data.csv:1:3: column name 'b\\xff' is not valid UTF-8 (byte 2 of the name)");
    BOOST_TEST(
        error_of("\"\xc0\xaf\",y\n1,2\n").starts_with("data.csv:1:1: column name '\\xc0\\xaf'"));  // overlong '/'
    BOOST_TEST(error_of("\xed\xa0\x80,y\n1,2\n").starts_with("data.csv:1:1: column name"));        // a surrogate
    BOOST_TEST(error_of("x\xe2\x82,y\n1,2\n").starts_with("data.csv:1:1: column name"));           // cut short
    const Table t = parse_csv("caf\xc3\xa9,\xe2\x82\xac,\xf0\x9f\x98\x80\n1,2,3\n", "u.csv");      // café,€,😀
    BOOST_TEST(t.columns[1] == "\xe2\x82\xac");
}

BOOST_AUTO_TEST_CASE(nul_byte_in_a_cell_shown_not_cut) {
    // what() is a C string: a raw NUL ended the message there.
    const std::string nul = error_of(std::string("a,b\n1,4\0x\n", 11));
    BOOST_TEST(nul == "data.csv:2:3: '4\\0x' in column 'b' is not a number");
    BOOST_TEST(std::string(CsvError(nul).what()).size() == nul.size());
    BOOST_TEST(error_of("a,\"b\x01\"\n1,\x7f\xfe\n") ==
               "data.csv:2:3: '\\x7f\\xfe' in column 'b\\x01' is not a number");
    BOOST_CHECK_EXCEPTION(
        split(parse_csv(std::string("a,b\n1,2\n"), "d.csv"), std::string("y\0z", 3)), CsvError,
        [](const CsvError& e) { return std::string(e.what()) == "d.csv:1: no column 'y\\0z' (the columns are a, b)"; });
}

BOOST_AUTO_TEST_CASE(printable_and_invalid_utf8_at) {
    BOOST_TEST(printable(std::string("a\0b\tc\x1f\x7f", 7)) == "a\\0b\\x09c\\x1f\\x7f");
    BOOST_TEST(printable("\xc3\xa9\xc3") == "\xc3\xa9\\xc3");
    BOOST_TEST(invalid_utf8_at("plain") == std::string_view::npos);
    BOOST_TEST(invalid_utf8_at("ab\x80") == 2u);
    BOOST_TEST(invalid_utf8_at("\xf4\x90\x80\x80") == 0u);                      // past U+10FFFF
    BOOST_TEST(invalid_utf8_at("\xf4\x8f\xbf\xbf") == std::string_view::npos);  // U+10FFFF itself
}

BOOST_AUTO_TEST_CASE(a_text_column_keeps_its_cells_and_their_places) {
    // Issue 26: class labels as words. The named column is text; every other must still be numbers.
    const Table t = parse_csv("a,species,b\n1,setosa,2\n3,\"vir,ginica\",4\n", "t.csv", "species");
    BOOST_TEST(t.text_column == 1);
    BOOST_TEST((t.text == std::vector<std::string>{"setosa", "vir,ginica"}));
    BOOST_TEST((t.text_at == std::vector<std::size_t>{3, 3}));
    BOOST_TEST(t.values(1, 2) == 4.0);
    const Examples e = split(t, "species");
    BOOST_TEST((e.target_text == t.text));
    BOOST_TEST((e.feature_names == std::vector<std::string>{"a", "b"}));
    BOOST_TEST(split(t, "a").target_text.empty());  // another column as the target: numbers
    try {
        parse_csv("a,species\nx,setosa\n", "t.csv", "species");
        BOOST_FAIL("a word in a number column was accepted");
    } catch (const CsvError& error) {
        BOOST_TEST(std::string(error.what()) == "t.csv:2:1: 'x' in column 'a' is not a number");
    }
    BOOST_TEST(parse_csv("a,b\n1,2\n", "t.csv", "nowhere").text_column == -1);  // split() names a missing target
}
