#pragma once
#include <functional>
#include <vector>

#include "xferval/io/csv.hpp"

namespace xferval {

// Before each pass, with text_columns[c] saying how column c is stored in that pass.
using StartPass = std::function<void(const std::vector<bool>& text_columns)>;

// Reads every chunk of the file from the start, parsing on another thread. When a column read as
// numbers turns out to hold text, the column becomes a text column and reading starts over:
// `start` runs before each pass (to reset what `consume` accumulated), `consume` once per chunk,
// both on the calling thread.
void scan_csv(CsvReader& reader, const StartPass& start,
              const std::function<void(const TableChunk&)>& consume);

}  // namespace xferval
