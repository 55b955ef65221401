#pragma once
// The runs of equal values in a sorted block: what the profile feeds its distinct count and its
// frequent values, one entry per distinct value instead of one per value. With AVX-512 (chosen at
// run time) eight values at a time: the run ends found by comparing each value with the next,
// compressed, their counts the differences of their positions, their hashes hash_number's.
#include <cstddef>
#include <cstdint>
#include <utility>

namespace xferval {

struct SortedRuns {
  size_t count = 0;     // runs written
  uint64_t zeros = 0;   // values equal to 0.0 (either sign)
  size_t repeated = 0;  // runs of more than one value
};

// The runs of sorted[0, n) (ascending, no NaN) go to runs[0, count) as (value, how many) and their
// hash_number to hashes[0, count). Both need room for n + 8 entries.
SortedRuns sorted_runs(const double* sorted, size_t n, std::pair<double, uint64_t>* runs, uint64_t* hashes);

// The same, without the vector path (for comparisons).
SortedRuns sorted_runs_scalar(const double* sorted, size_t n, std::pair<double, uint64_t>* runs,
                              uint64_t* hashes);

}  // namespace xferval
