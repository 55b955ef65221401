#pragma once
// The CSV reader's state, shared by csv_reader.cpp (header, fields with quotes, the general
// record parser, cells) and csv_records.cpp (the structural index, the fast record path, chunks).
#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "io/csv_text.hpp"
#include "xferval/core/hash.hpp"
#include "xferval/core/mapped_file.hpp"
#include "xferval/io/csv.hpp"

namespace xferval {

struct CsvReader::Impl {
  struct Column {
    bool text = false;
    // Kinds seen in the whole file since the last rewind (numbers and boolean literals conflict).
    bool file_number = false;
    bool file_bool = false;
    // Facts of the current chunk.
    bool all_integral = true;
    bool saw_number = false;
    bool saw_bool = false;
    // Storage of the current chunk, rows [0, capacity).
    double* numbers = nullptr;
    uint8_t* missing = nullptr;
    std::string* texts = nullptr;
  };

  // One field of a record. content is unescaped and points into the file or into scratch.
  struct Field {
    const char* raw_begin;
    const char* raw_end;
    std::string_view content;
    const char* terminator;  // end of file, the delimiter, '\n' or the '\r' of "\r\n"
  };

  Impl(std::shared_ptr<const MappedFile> mapped, CsvOptions opts);

  // csv_reader.cpp
  [[noreturn]] void fail(uint64_t at_line, size_t column, const std::string& message) const;
  Field read_field(const char* p, size_t column);
  Field read_quoted(const char* p, const char* quote, size_t column);
  void read_header();
  void rewind();
  void numeric_cell(Column& column, size_t c, size_t r, std::string_view content);
  void text_cell(Column& column, size_t c, size_t r, const char* raw_begin, const char* raw_end,
                 std::string_view content);
  [[noreturn]] void conflict(size_t column, size_t r) const;
  [[noreturn]] void too_many_fields(const char* q);
  [[noreturn]] void too_few_fields(size_t count, bool blank) const;
  void parse_record(size_t r);

  // csv_records.cpp
  bool at_end();
  void build_index(const char* from);
  enum class Outcome { Done, Exhausted, General };
  Outcome try_indexed_record(size_t r);
  bool try_plain_block(size_t r);
  void finish_plain_block(size_t r, size_t first_entry);
  void finish_fallback_fields(size_t r, size_t first_entry);
  void read_record(size_t r);
  [[gnu::always_inline]] void numeric_span(Column& column, size_t c, size_t r, const char* b, const char* e);
  void size_storage(TableChunk& chunk, size_t rows);
  void begin_chunk(TableChunk& chunk);
  void end_chunk(TableChunk& chunk, size_t rows);
  bool next(TableChunk& chunk);
  void hash_to(size_t offset) const;

  bool is_delimiter(const char* q) const { return q < end && *q == delimiter; }
  const char* past_line_end(const char* q) const {
    if (q < end && *q == '\r') ++q;
    if (q < end && *q == '\n') ++q;
    return q;
  }
  bool is_marker(std::string_view token) const {
    if (token.size() >= 64 || ((marker_lengths >> token.size()) & 1) == 0) return false;
    return std::find(markers.begin(), markers.end(), token) != markers.end();
  }
  void store_number(Column& column, size_t c, size_t r, double value) {
    column.numbers[r] = value;
    column.missing[r] = 0;
    if (!column.saw_number) {
      if (column.file_bool) conflict(c, r);
      column.saw_number = column.file_number = true;
    }
  }

  std::shared_ptr<const MappedFile> file;  // shared by the readers of one file's segments
  CsvOptions options;
  char delimiter = ',';
  size_t chunk_rows = 1;
  std::vector<std::string> markers;   // trimmed, not empty
  uint64_t marker_lengths = 0;        // bit n: some marker has n bytes
  std::vector<double> marker_values;  // of the markers that read as finite numbers
  const char* begin = nullptr;
  const char* end = nullptr;
  std::vector<std::string> names;
  std::vector<Column> columns;
  const char* data_start = nullptr;
  uint64_t data_start_line = 2;
  // The records read are those starting in [range_begin, limit): the whole data by default.
  const char* range_begin = nullptr;
  const char* limit = nullptr;
  bool hashing = true;

  const char* pos = nullptr;  // start of the next record
  uint64_t line = 1;          // physical line of pos
  uint64_t row = 0;           // data row index of pos
  uint64_t record_line = 1;   // physical line where the current record starts
  uint64_t quoted_newlines = 0;
  const char* blank_checked_until = nullptr;
  std::string scratch;

  uint64_t chunk_first_row = 0;
  size_t capacity = 0;
  size_t capacity_hint = 1024;

  std::vector<uint32_t> index;  // offsets from index_base of the structural bytes before index_limit
  const char* index_base = nullptr;
  const char* index_limit = nullptr;
  size_t index_count = 0;
  size_t index_next = 0;
  std::vector<uint32_t> newline_entries;  // positions in `index` of its '\n' entries
  size_t newline_count = 0;
  size_t newline_next = 0;
  bool index_quotes = false;  // whether the window holds a '"'

  // The vector path (csv_block.cpp): on when the options and the CPU allow and no missing marker
  // reads as a number (those cells need a look-up the vector path does not make).
  bool block_parsing = false;
  std::vector<uint32_t> block_columns;  // the numeric columns
  std::vector<double*> block_numbers;
  std::vector<uint8_t*> block_missing;
  std::vector<uint8_t> block_fallback;
  std::vector<uint8_t> block_points;

  mutable ContentHasher hasher;
  mutable size_t hashed = 0;
};

}  // namespace xferval
