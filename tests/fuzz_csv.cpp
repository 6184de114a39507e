// tests/fuzz_csv.cpp — libFuzzer's target for the CSV reader (parse_csv, the in-memory
// half of read_csv). Built only in the fuzz preset (clang, -fsanitize=fuzzer,address,
// undefined; see tests/CMakeLists.txt), where CTest runs it for a bounded time from the
// example data. Any crash, leak, sanitizer report or over-limit allocation is a failure;
// so is any exception other than CsvError, and a CsvError whose message holds a raw
// control byte or bytes that are not UTF-8 (messages show them as \0, \xhh). The same text
// is read again with a class column ("label", as the seeds name it) and its classes taken
// (nn/classes.hpp), whose ClassError messages are held to the same rule.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "tapegrad/nn/classes.hpp"
#include "tapegrad/nn/csv.hpp"

namespace {
void check_message(std::string_view message) {
    if (tapegrad::nn::invalid_utf8_at(message) != std::string_view::npos) std::abort();
    for (const char c : message)
        if (static_cast<unsigned char>(c) < 0x20) std::abort();  // a raw control byte
}

// The text with its "label" column read as classes: one label per row, each row a class.
void read_classes(std::string_view text) {
    using namespace tapegrad::nn;
    try {
        const Table table = parse_csv(text, "fuzz.csv", "label");
        if (table.text_column < 0) return;
        if (table.text.size() != static_cast<std::size_t>(table.values.rows())) std::abort();
        if (table.columns.size() < 2) return;
        const Examples e = split(table, "label");
        const std::vector<std::string> names = class_names(e, "fuzz.csv");
        const std::vector<int> classes = class_indices(e, names, "fuzz.csv");
        if (classes.size() != e.target_text.size()) std::abort();
    } catch (const CsvError& e) {
        check_message(e.what());
    } catch (const ClassError& e) {
        check_message(e.what());
    }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace tapegrad::nn;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    read_classes(text);
    try {
        const Table table = parse_csv(text, "fuzz.csv");
        // What was accepted has the shape it claims, and a first column to split on.
        if (table.values.cols() != static_cast<Eigen::Index>(table.columns.size()) || table.values.rows() < 1)
            std::abort();
        if (table.columns.size() >= 2) (void)split(table, table.columns.front());
    } catch (const CsvError& e) {
        check_message(e.what());
    }
    return 0;
}
