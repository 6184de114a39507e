// tests/fuzz_model.cpp — libFuzzer's target for the model reader (model_from_json, the
// in-memory half of load_model). Built only in the fuzz preset (see tests/CMakeLists.txt).
// Any crash, leak, sanitizer report or over-limit allocation is a failure (a small file
// must not make the reader allocate a big network); so is any exception other than
// ModelError, a message with a raw control byte or bytes that are not UTF-8, and a model
// that is accepted but does not write back to JSON that reads as the same model.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "tapegrad/nn/csv.hpp"  // invalid_utf8_at
#include "tapegrad/nn/model.hpp"

namespace {
void check_message(std::string_view message) {
    if (tapegrad::nn::invalid_utf8_at(message) != std::string_view::npos) std::abort();
    for (const char c : message)
        if (static_cast<unsigned char>(c) < 0x20) std::abort();  // a raw control byte
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace tapegrad::nn;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    std::optional<Model> model;
    try {
        model.emplace(model_from_json(text, "fuzz.json"));
    } catch (const ModelError& e) {
        check_message(e.what());
        return 0;
    }
    // Accepted: it writes back, and reads back as the same model, to the bit.
    const std::string written = to_json(*model);
    const Model again = model_from_json(written, "written.json");
    if (to_json(again) != written) std::abort();
    const std::span<const double> a = model->network.parameters(), b = again.network.parameters();
    if (a.size() != b.size()) std::abort();
    for (std::size_t k = 0; k < a.size(); ++k)
        if (a[k] != b[k]) std::abort();
    return 0;
}
