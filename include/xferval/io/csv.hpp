#pragma once
// Streaming CSV reader: header row, RFC 4180 quoting (delimiters, doubled quotes and newlines
// inside quotes), LF or CRLF line ends, an optional UTF-8 BOM, a configurable delimiter and
// missing-value markers. Numbers are parsed straight from the memory-mapped file: plain decimals
// on an exact fast path, the rest with fast_float (both give the bits of a correctly rounded strtod).
//
// Columns are read as numbers until a token that is neither a number, a boolean literal nor a
// missing marker shows up; then next() throws ColumnKindConflict, and the caller marks the column
// as text with set_text_column(), rewinds and reads again. This keeps type inference exact over
// the whole file while memory stays bounded by one chunk.
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "xferval/io/table.hpp"

namespace xferval {

struct CsvOptions {
  char delimiter = ',';
  // Cells equal to one of these (after trimming spaces, outside quotes or not) are missing.
  // The empty cell is always missing.
  std::vector<std::string> missing_markers = {"NA", "N/A", "NaN", "nan", "null", "NULL", "None", "-nan"};
  size_t chunk_rows = 8192;
  // Plain records (no quotes, the header's field count) are read eight at a time with AVX-512
  // where the CPU has it; false keeps to the scalar path. Both give the same cells and errors.
  bool vector_parsing = true;
};

class ColumnKindConflict : public std::runtime_error {
 public:
  ColumnKindConflict(size_t column, uint64_t row)
      : std::runtime_error("column read as numbers holds text"), column(column), row(row) {}
  size_t column;  // 0-based
  uint64_t row;   // 0-based data row (the header is not a data row)
};

class CsvReader {
 public:
  // Opens and memory-maps the file and reads the header. Throws InputError for a missing or
  // unreadable path, an empty file, invalid UTF-8 in the header, or duplicate column names.
  CsvReader(const std::string& path, CsvOptions options = {});
  ~CsvReader();
  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  // Another reader of the same file with these options, sharing this one's memory map (the
  // segments of one file read on several threads map and fault its pages in once).
  std::unique_ptr<CsvReader> sibling(CsvOptions options) const;

  const std::string& path() const;
  const std::vector<std::string>& column_names() const;
  void set_text_column(size_t column);
  bool is_text_column(size_t column) const;

  // Fills chunk with up to options.chunk_rows rows; returns false when no row is left.
  // Throws InputError (file, "line L, column C" or "line L") for a ragged row, an unterminated
  // quote or invalid UTF-8, and ColumnKindConflict as described above. A file with a header and
  // no data rows reads as zero rows (the caller decides whether that is an error).
  bool next(TableChunk& chunk);
  void rewind();

  // Restricts reading to the records that start in [begin, end) (byte offsets in the file, begin
  // where a record starts) and rewinds to begin; for reading segments of one file on several
  // threads. In a range, line numbers count from the range's start (not the file's) and the
  // content hash is not computed.
  void set_byte_range(uint64_t begin, uint64_t end);
  uint64_t data_offset() const;  // where the first data row starts
  uint64_t position() const;     // where the next record starts
  // Just past the first line end at or after `offset`; the file's size when there is none.
  uint64_t line_start_after(uint64_t offset) const;

  uint64_t bytes_total() const;
  uint64_t bytes_consumed() const;  // for progress reporting
  uint64_t content_hash() const;    // xxh3-64 of the whole file's bytes

 private:
  struct Impl;
  explicit CsvReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace xferval
