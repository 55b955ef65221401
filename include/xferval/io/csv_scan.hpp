#pragma once
#include <functional>

#include "xferval/io/csv.hpp"

namespace xferval {

// Reads every chunk of the file from the start. When a column read as numbers turns out to
// hold text, the column becomes a text column and reading starts over: `start` runs before
// each pass (to reset what `consume` accumulated), `consume` once per chunk.
void scan_csv(CsvReader& reader, const std::function<void()>& start,
              const std::function<void(const TableChunk&)>& consume);

}  // namespace xferval
