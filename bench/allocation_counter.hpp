// tapegrad/bench/allocation_counter.hpp — how many heap allocations a gradient makes.
//
// allocation_counter.cpp replaces malloc, calloc, realloc and the aligned allocators of
// the benchmark program (glibc lets a program interpose them) with versions that count
// each call and then hand it to glibc. Counting malloc rather than operator new also
// catches Eigen's temporaries (Eigen allocates with malloc) and libtorch's buffers.
//
//     const long before = tapegrad::bench::allocations();
//     gradient(p, g);
//     const long made = tapegrad::bench::allocations() - before;   // 0 in steady state
//
// Link allocation_counter.cpp into a program to use it; every bench program does.
#pragma once

namespace tapegrad::bench {

// Heap allocations made by this program so far (all threads).
long allocations();

}  // namespace tapegrad::bench
