// The CSV reader's fast path and its chunks. A structural index lists the offsets of every
// delimiter, newline and quote in a window of the mapped file, found 64 bytes at a time. A record
// without quotes and with the header's field count then splits into cells by lookups in that
// index, and its numbers parse straight from the mapped bytes, independently of each other (no
// chain of data-dependent scans). Everything else goes to the general parser in csv_reader.cpp.
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
  index.resize(kWindow + 64 + 16);  // append_bit_offsets writes up to 16 entries past the count
  const char* limit = static_cast<size_t>(end - from) > kWindow ? from + kWindow : end;
  const char* p = from;
  size_t count = 0;
  uint32_t* out = index.data();
  for (; limit - p >= 64; p += 64) {
    count = csv_detail::append_bit_offsets(csv_detail::structural_bits(p, delimiter),
                                           static_cast<uint32_t>(p - from), out, count);
  }
  for (; p < limit; ++p) {
    if (*p == delimiter || *p == '\n' || *p == '"') out[count++] = static_cast<uint32_t>(p - from);
  }
  index_base = from;
  index_limit = limit;
  index_count = count;
  index_next = 0;
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
