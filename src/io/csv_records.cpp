// The CSV reader's fast path and its chunks. A structural index lists the offsets of every
// delimiter, newline and quote in a window of the mapped file, found 64 bytes at a time. A record
// without quotes and with the header's field count then splits into cells by lookups in that
// index, and its numbers parse straight from the mapped bytes, independently of each other (no
// chain of data-dependent scans). Everything else goes to the general parser in csv_reader.cpp.
#include <algorithm>
#include <iterator>

#include "io/csv_reader_impl.hpp"

namespace xferval {

namespace {

constexpr size_t kWindow = size_t{1} << 16;  // bytes indexed at a time

}  // namespace

// Whether no data row is left: the end of the file, or only blank lines before it.
bool CsvReader::Impl::at_end() {
  if (pos >= limit) return true;
  char c = *pos;
  if (c != '\n' && c != '\r' && c != ' ' && c != '\t') return false;
  if (pos < blank_checked_until) return false;
  const char* s = pos;
  while (s < end && (*s == '\n' || *s == '\r' || *s == ' ' || *s == '\t')) ++s;
  if (s == end) {
    pos = end;
    return true;
  }
  blank_checked_until = s;
  return false;
}

void CsvReader::Impl::build_index(const char* from) {
  index.resize(kWindow + 128);  // the offsets are written up to 64 entries past the count
  newline_entries.resize(kWindow + 128);
  const char* limit = static_cast<size_t>(end - from) > kWindow ? from + kWindow : end;
  const char* p = from;
  size_t count = 0;
  uint32_t* out = index.data();
  newline_count = 0;
  index_quotes = false;
  if (block_parsing) {
    const auto blocks = static_cast<size_t>(limit - p) / 64;
    index_quotes =
        csv_detail::index_blocks(p, blocks, delimiter, out, count, newline_entries.data(), newline_count);
    p += 64 * blocks;
  }
  for (; limit - p >= 64; p += 64) {
    count = csv_detail::append_bit_offsets(csv_detail::structural_bits(p, delimiter),
                                           static_cast<uint32_t>(p - from), out, count);
  }
  for (; p < limit; ++p) {
    if (*p == delimiter || *p == '\n' || *p == '"') {
      if (*p == '\n') newline_entries[newline_count++] = static_cast<uint32_t>(count);
      index_quotes = index_quotes || *p == '"';
      out[count++] = static_cast<uint32_t>(p - from);
    }
  }
  index_base = from;
  index_limit = limit;
  index_count = count;
  index_next = 0;
  newline_next = 0;
}

// An unquoted numeric cell [b, e): plain decimals parse straight from the mapped bytes; the rest
// (spaces, exponents, markers, long tokens, the last bytes of the file) takes the general path.
inline void CsvReader::Impl::numeric_span(Column& column, size_t c, size_t r, const char* b, const char* e) {
  double value;
  bool point;
  if (end - b >= 32 &&
      (csv_detail::parse_short_decimal(b, e, value, point) ||
       csv_detail::parse_plain_decimal(b, e, value, point)) &&
      (marker_values.empty() ||
       std::find(marker_values.begin(), marker_values.end(), value) == marker_values.end())) {
    store_number(column, c, r, value);
    if (point) column.all_integral = false;
    return;
  }
  numeric_cell(column, c, r, std::string_view(b, static_cast<size_t>(e - b)));
}

// Reads the record at pos from the index when it has no quotes and the header's field count.
// A record left half done is read again whole by the general parser, which stores the same cells.
CsvReader::Impl::Outcome CsvReader::Impl::try_indexed_record(size_t r) {
  while (index_next < index_count && index_base + index[index_next] < pos) ++index_next;
  const char* b = pos;
  const size_t count = columns.size();
  size_t next_entry = index_next;
  for (size_t c = 0; c < count; ++c) {
    if (next_entry == index_count) return Outcome::Exhausted;
    const char* separator = index_base + index[next_entry++];
    const bool last = c + 1 == count;
    if (*separator != (last ? '\n' : delimiter)) return Outcome::General;
    const char* e = separator;
    if (last && e > b && e[-1] == '\r') --e;
    Column& column = columns[c];
    if (column.text) {
      text_cell(column, c, r, b, e, std::string_view(b, static_cast<size_t>(e - b)));
    } else {
      numeric_span(column, c, r, b, e);
    }
    b = separator + 1;
  }
  index_next = next_entry;
  pos = b;
  line += 1;
  return Outcome::Done;
}

// Reads the eight records at pos with the vector path when the index shows them plain: no quote
// in the window, and each record's line end exactly `fields` entries after the previous one.
bool CsvReader::Impl::try_plain_block(size_t r) {
  if (pos < index_base || pos >= index_limit || index_quotes) return false;
  const auto first_start = static_cast<uint32_t>(pos - index_base);
  while (index_next < index_count && index[index_next] < first_start) ++index_next;
  const size_t fields = columns.size();
  const size_t entries = 8 * fields;
  if (index_count - index_next < entries) return false;
  while (newline_next < newline_count && newline_entries[newline_next] < index_next) ++newline_next;
  if (newline_count - newline_next < 8) return false;
  for (size_t k = 0; k < 8; ++k) {
    if (newline_entries[newline_next + k] != index_next + (k + 1) * fields - 1) return false;
  }
  const char* last_line_end = index_base + index[index_next + entries - 1];
  if (end - last_line_end < 16) return false;  // the gathers read 16 bytes from each field's start
  if (index_base + index[index_next + entries - fields - 1] + 1 >= limit) return false;  // past the range

  for (size_t i = 0; i < block_columns.size(); ++i) {
    Column& column = columns[block_columns[i]];
    block_numbers[i] = column.numbers + r;
    block_missing[i] = column.missing + r;
  }
  const csv_detail::PlainBlock block{index_base, index.data() + index_next, first_start,
                                     fields,     block_columns.data(),      block_columns.size()};
  if (!block_columns.empty()) {
    csv_detail::parse_plain_block(block, block_numbers.data(), block_missing.data(), block_fallback.data(),
                                  block_points.data());
  }
  bool all_seen = true;
  bool any_fallback = false;
  for (size_t i = 0; i < block_columns.size(); ++i) {
    Column& column = columns[block_columns[i]];
    if (block_points[i] != 0) column.all_integral = false;
    all_seen = all_seen && column.saw_number;
    any_fallback = any_fallback || block_fallback[i] != 0;
  }
  if (block_columns.size() != fields || !all_seen) {  // text cells, or a column's first number
    finish_plain_block(r, index_next);
  } else if (any_fallback) {
    finish_fallback_fields(r, index_next);
  }
  index_next += entries;
  newline_next += 8;
  pos = last_line_end + 1;
  line += 8;
  return true;
}

// What the vector path leaves, record by record and field by field as the scalar path goes: text
// cells, the fields it did not parse, and the first number of a column in this chunk (a number
// after boolean literals is a conflict).
void CsvReader::Impl::finish_plain_block(size_t r, size_t first_entry) {
  const size_t fields = columns.size();
  const char* b = pos;
  for (size_t k = 0; k < 8; ++k) {
    record_line = line + k;
    size_t numeric = 0;
    for (size_t c = 0; c < fields; ++c) {
      const char* separator = index_base + index[first_entry + k * fields + c];
      const char* e = separator;
      if (c + 1 == fields && e > b && e[-1] == '\r') --e;
      Column& column = columns[c];
      if (column.text) {
        text_cell(column, c, r + k, b, e, std::string_view(b, static_cast<size_t>(e - b)));
      } else if (((block_fallback[numeric++] >> k) & 1) != 0) {
        numeric_span(column, c, r + k, b, e);
      } else if (!column.saw_number) {
        if (column.file_bool) conflict(c, r + k);
        column.saw_number = column.file_number = true;
      }
      b = separator + 1;
    }
  }
}

// The fields of an all-numeric block that the vector path did not parse (long or exotic numbers,
// missing markers), in the scalar path's order: record by record, then column by column.
void CsvReader::Impl::finish_fallback_fields(size_t r, size_t first_entry) {
  const size_t fields = columns.size();
  uint32_t fallbacks[8 * 64];
  size_t count = 0;
  for (size_t i = 0; i < block_columns.size(); ++i) {
    for (unsigned bits = block_fallback[i]; bits != 0; bits &= bits - 1) {
      if (count == std::size(fallbacks)) return finish_plain_block(r, first_entry);
      fallbacks[count++] =
          static_cast<uint32_t>(__builtin_ctz(bits)) * static_cast<uint32_t>(fields) + block_columns[i];
    }
  }
  std::sort(fallbacks, fallbacks + count);  // k * fields + c: the order of the records' fields
  for (size_t j = 0; j < count; ++j) {
    const size_t k = fallbacks[j] / fields;
    const size_t c = fallbacks[j] % fields;
    const size_t entry = first_entry + k * fields + c;
    const char* b = entry == first_entry ? pos : index_base + index[entry - 1] + 1;
    const char* e = index_base + index[entry];
    if (c + 1 == fields && e > b && e[-1] == '\r') --e;
    record_line = line + k;
    numeric_span(columns[c], c, r + k, b, e);
  }
}

void CsvReader::Impl::read_record(size_t r) {
  record_line = line;
  if (pos < index_base || pos >= index_limit) build_index(pos);
  Outcome outcome = try_indexed_record(r);
  if (outcome == Outcome::Exhausted && index_base != pos) {  // the record crosses the window's end
    build_index(pos);
    outcome = try_indexed_record(r);
  }
  if (outcome != Outcome::Done) parse_record(r);
}

// ---- chunks ---------------------------------------------------------------------------------

// Sizes every column's storage to `rows` (keeping what it holds and its capacity) and points the
// column state at it.
void CsvReader::Impl::size_storage(TableChunk& chunk, size_t rows) {
  for (size_t c = 0; c < columns.size(); ++c) {
    Column& column = columns[c];
    ColumnChunk& out = chunk.columns[c];
    out.missing.resize(rows);
    column.missing = out.missing.data();
    if (column.text) {
      out.texts.resize(rows);
      column.texts = out.texts.data();
    } else {
      out.numbers.resize(rows);
      column.numbers = out.numbers.data();
    }
  }
  capacity = rows;
}

void CsvReader::Impl::begin_chunk(TableChunk& chunk) {
  chunk.columns.resize(columns.size());
  for (size_t c = 0; c < columns.size(); ++c) {
    Column& column = columns[c];
    ColumnChunk& out = chunk.columns[c];
    out.is_text = column.text;
    if (column.text) {
      out.numbers.clear();
    } else {
      out.texts.clear();
    }
    column.all_integral = true;
    column.saw_number = column.saw_bool = false;
  }
  chunk_first_row = row;
  size_storage(chunk, std::min(chunk_rows, capacity_hint));
  block_columns.clear();
  for (size_t c = 0; c < columns.size(); ++c) {
    if (!columns[c].text) block_columns.push_back(static_cast<uint32_t>(c));
  }
  block_numbers.resize(block_columns.size());
  block_missing.resize(block_columns.size());
  block_fallback.resize(block_columns.size());
  block_points.resize(block_columns.size());
}

void CsvReader::Impl::end_chunk(TableChunk& chunk, size_t rows) {
  capacity_hint = std::max(capacity_hint, capacity);
  size_storage(chunk, rows);
  for (size_t c = 0; c < columns.size(); ++c) {
    const Column& column = columns[c];
    ColumnChunk& out = chunk.columns[c];
    out.all_integral = column.all_integral;
    out.saw_number = column.saw_number;
    out.saw_bool_literal = column.saw_bool;
  }
  chunk.first_row = chunk_first_row;
  chunk.rows = rows;
  row += rows;
  hash_to(static_cast<size_t>(pos - begin));
}

bool CsvReader::Impl::next(TableChunk& chunk) {
  begin_chunk(chunk);
  const char* chunk_start = pos;
  size_t rows = 0;
  while (rows < chunk_rows && !at_end()) {
    if (rows == capacity) {  // grow to the rows the rest of the file seems to hold, at least double
      const size_t read = static_cast<size_t>(pos - chunk_start) + 1;
      const size_t estimate = rows + rows * static_cast<size_t>(end - pos) / read + 16;
      size_storage(chunk, std::min(chunk_rows, std::max(capacity * 2, estimate)));
    }
    if (block_parsing && rows + 8 <= capacity && try_plain_block(rows)) {
      rows += 8;
      continue;
    }
    read_record(rows);
    ++rows;
  }
  end_chunk(chunk, rows);
  return rows > 0;
}

// The content hash follows the reading, so the bytes are hashed while they are still cached.
void CsvReader::Impl::hash_to(size_t offset) const {
  if (hashing && offset > hashed) {
    hasher.update(begin + hashed, offset - hashed);
    hashed = offset;
  }
}

}  // namespace xferval
