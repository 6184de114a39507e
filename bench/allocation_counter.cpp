// tapegrad/bench/allocation_counter.cpp — counting replacements of the C allocator.
//
// glibc exports its own allocator under __libc_* names; a definition of malloc in the
// program takes precedence over the one in libc.so for every library loaded with it, so
// these functions see all allocations (operator new calls malloc). The count is an
// atomic with relaxed order: only its total matters, not ordering between threads.
#include "bench/allocation_counter.hpp"

#include <atomic>
#include <cerrno>
#include <cstddef>

extern "C" {
void* __libc_malloc(std::size_t size);
void* __libc_calloc(std::size_t count, std::size_t size);
void* __libc_realloc(void* p, std::size_t size);
void* __libc_memalign(std::size_t alignment, std::size_t size);
void __libc_free(void* p);
}

namespace {
std::atomic<long> counted{0};
void count() { counted.fetch_add(1, std::memory_order_relaxed); }
}  // namespace

namespace tapegrad::bench {
long allocations() { return counted.load(std::memory_order_relaxed); }
}  // namespace tapegrad::bench

extern "C" {
void* malloc(std::size_t size) {
    count();
    return __libc_malloc(size);
}
void* calloc(std::size_t n, std::size_t size) {
    count();
    return __libc_calloc(n, size);
}
void* realloc(void* p, std::size_t size) {
    count();
    return __libc_realloc(p, size);
}
void free(void* p) { __libc_free(p); }
void* memalign(std::size_t alignment, std::size_t size) {
    count();
    return __libc_memalign(alignment, size);
}
void* aligned_alloc(std::size_t alignment, std::size_t size) {
    count();
    return __libc_memalign(alignment, size);
}
int posix_memalign(void** out, std::size_t alignment, std::size_t size) {
    count();
    void* p = __libc_memalign(alignment, size);
    if (p == nullptr) return ENOMEM;
    *out = p;
    return 0;
}
}
