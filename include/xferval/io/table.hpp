#pragma once
// Columnar chunks of tabular data, as every tabular reader hands them to the profiler.
#include <cstdint>
#include <string>
#include <vector>

namespace xferval {

// How one column of a chunk is stored. A numeric column holds doubles; a text column holds
// the cell strings. In both, missing[r] == 1 marks a missing cell (its number is NaN, its
// string empty).
struct ColumnChunk {
  bool is_text = false;
  std::vector<double> numbers;
  std::vector<std::string> texts;
  std::vector<uint8_t> missing;
  // Facts about the numeric tokens of this chunk, which decide integer and boolean kinds.
  bool all_integral = true;       // every number was written without a fraction or exponent
  bool saw_bool_literal = false;  // true/false tokens (stored as 1/0)
  bool saw_number = false;        // tokens that are numbers
};

struct TableChunk {
  uint64_t first_row = 0;  // index of this chunk's first data row (0-based, header excluded)
  size_t rows = 0;
  uint64_t end_byte = 0;  // input bytes consumed once this chunk was read (for progress)
  std::vector<ColumnChunk> columns;
};

}  // namespace xferval
