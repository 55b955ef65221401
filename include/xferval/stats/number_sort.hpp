#pragma once
// Sorting doubles by their bits: the profile sorts every column chunk once, and the sorted chunk
// then feeds the quantile sketch, the frequent values and the distinct count in one pass over
// its runs of equal values. On the ~8,000-value chunks, integers that span fewer than 4096 values
// (coded and count columns) sort by counting; other values by an AVX-512 quicksort where the CPU
// has AVX-512 (about 1.3x faster than the radix sort on real-valued data), else by a radix sort
// (about a fifth of the time of std::sort).
//
// Every function sorts ascending in place, -0.0 just before +0.0, -inf first, +inf last, and
// gives the same bits. No value may be NaN. `scratch` is working memory, reused across calls.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace xferval {

// Counting sort, then vector_sort or radix_sort: the fastest this CPU has.
void sort_numbers(double* values, size_t count, std::vector<uint64_t>& scratch);

// Portable: three 11-bit radix passes over the top 33 bits of the keys, then the groups that
// share them.
void radix_sort(double* values, size_t count, std::vector<uint64_t>& scratch);

// Whether vector_sort can run on this CPU (AVX-512F).
bool vector_sort_available();
// The AVX-512 quicksort; only where vector_sort_available().
void vector_sort(double* values, size_t count, std::vector<uint64_t>& scratch);

}  // namespace xferval
