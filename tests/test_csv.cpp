// tests/test_csv.cpp — the CSV reader: what it accepts (quotes, CRLF, a byte-order mark)
// and, for every kind of bad file, the message with the file, line and column at fault.
#define BOOST_TEST_MODULE csv
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

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
