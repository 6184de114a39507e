// tests/counting_allocator.hpp — replaces the global operator new/delete of the test
// program that includes it (include it in exactly one file per program), counting every
// allocation, so a test can prove that a loop allocates nothing.
#pragma once

#include <atomic>
#include <cstdlib>
#include <new>

// GCC flags free() in a replacement operator delete as "mismatched" once it inlines
// both sides; replacing the global pair is exactly what the standard allows.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace tapegrad::testing {
inline std::atomic<long> allocations{0};
/// When >= 0: that many more over-aligned allocations succeed, then one throws bad_alloc
/// (a test of what a failed growth of the tape's arenas leaves behind). -1: never.
inline std::atomic<long> fail_aligned_after{-1};
/// The same for ordinary allocations (a tape's vectors growing): -1, never.
inline std::atomic<long> fail_after{-1};
}  // namespace tapegrad::testing

void* operator new(std::size_t n) {
    ++tapegrad::testing::allocations;
    if (tapegrad::testing::fail_after.load() >= 0 && tapegrad::testing::fail_after-- == 0) throw std::bad_alloc();
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
// The over-aligned forms (the tape's arenas are allocated on cache lines).
void* operator new(std::size_t n, std::align_val_t alignment) {
    ++tapegrad::testing::allocations;
    if (tapegrad::testing::fail_aligned_after.load() >= 0 && tapegrad::testing::fail_aligned_after-- == 0)
        throw std::bad_alloc();
    const auto a = static_cast<std::size_t>(alignment);
    if (void* p = std::aligned_alloc(a, (n + a - 1) / a * a)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
