// The CSV reader's general path: the header, fields with quotes, cells of every kind, the record
// parser that handles what the fast path in csv_records.cpp leaves to it, and the errors.
#include <fast_float/fast_float.h>
#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <unordered_map>

#include "io/csv_reader_impl.hpp"
#include "xferval/core/error.hpp"

namespace xferval {

using csv_detail::find_invalid_utf8;
using csv_detail::is_ascii;
using csv_detail::is_blank;
using csv_detail::scan_unquoted;
using csv_detail::trim;

namespace {

// A token with a fraction, an exponent, or inf/nan is not integral.
bool integral_token(std::string_view token, double value) {
  if (!std::isfinite(value)) return false;
  return token.find_first_of(".eE") == std::string_view::npos;
}

// The whole (trimmed) token as a number: fast_float plus an optional leading '+'.
bool parse_number(std::string_view token, double& value) {
  if (!token.empty() && token.front() == '+') {
    token.remove_prefix(1);
    if (token.empty() || token.front() == '+' || token.front() == '-') return false;
  }
  if (token.empty()) return false;
  auto result = fast_float::from_chars(token.data(), token.data() + token.size(), value);
  const bool parsed = result.ec == std::errc() || result.ec == std::errc::result_out_of_range;
  return parsed && result.ptr == token.data() + token.size();
}

int bool_literal(std::string_view token) {
  if (token == "true" || token == "True" || token == "TRUE") return 1;
  if (token == "false" || token == "False" || token == "FALSE") return 0;
  return -1;
}

}  // namespace

CsvReader::Impl::Impl(std::shared_ptr<const MappedFile> mapped, CsvOptions opts)
    : file(std::move(mapped)), options(std::move(opts)) {
  delimiter = options.delimiter;
  if (delimiter == '"' || delimiter == '\n' || delimiter == '\r') {
    throw UsageError("the CSV delimiter cannot be a double quote or a line end");
  }
  chunk_rows = std::max<size_t>(1, options.chunk_rows);
  for (const std::string& raw : options.missing_markers) {
    std::string_view marker = trim(raw, delimiter);
    if (marker.empty()) continue;
    markers.emplace_back(marker);
    if (marker.size() < 64) marker_lengths |= uint64_t{1} << marker.size();
    double value;
    if (parse_number(marker, value) && std::isfinite(value)) marker_values.push_back(value);
  }
  block_parsing = options.vector_parsing && csv_detail::plain_block_available() && marker_values.empty();
  begin = file->data();
  end = begin + file->size();
  read_header();
}

void CsvReader::Impl::fail(uint64_t at_line, size_t column, const std::string& message) const {
  std::string where = fmt::format("line {}", at_line);
  if (column > 0) where += fmt::format(", column {}", column);
  throw InputError(file->path(), where, message);
}

// ---- fields ---------------------------------------------------------------------------------

CsvReader::Impl::Field CsvReader::Impl::read_field(const char* p, size_t column) {
  const char* s = p;
  while (s < end && is_blank(*s, delimiter)) ++s;
  if (s < end && *s == '"') return read_quoted(p, s, column);
  const char* q = scan_unquoted(p, end, delimiter);
  if (q > p && q[-1] == '\r' && (q == end || *q == '\n')) --q;
  return {p, q, std::string_view(p, static_cast<size_t>(q - p)), q};
}

CsvReader::Impl::Field CsvReader::Impl::read_quoted(const char* p, const char* quote, size_t column) {
  const uint64_t open_line = line + quoted_newlines;
  auto closing_quote = [&](const char* from) {
    const char* found = static_cast<const char*>(std::memchr(from, '"', static_cast<size_t>(end - from)));
    if (found == nullptr) fail(open_line, column + 1, "quote opened here is never closed");
    quoted_newlines += static_cast<uint64_t>(std::count(from, found, '\n'));
    return found;
  };
  const char* x = quote + 1;
  const char* close = closing_quote(x);
  std::string_view content(x, static_cast<size_t>(close - x));
  bool in_scratch = false;
  while (close + 1 < end && close[1] == '"') {  // a doubled quote stands for one quote
    if (!in_scratch) scratch.clear();
    in_scratch = true;
    scratch.append(x, close + 1);
    x = close + 2;
    close = closing_quote(x);
  }
  if (in_scratch) scratch.append(x, close);
  const char* after = close + 1;
  const char* q = scan_unquoted(after, end, delimiter);
  if (q > after && q[-1] == '\r' && (q == end || *q == '\n')) --q;
  const char* rest = after;
  while (rest < q && is_blank(*rest, delimiter)) ++rest;
  if (rest < q) {  // text after the closing quote is kept as written
    if (!in_scratch) scratch.assign(content);
    in_scratch = true;
    scratch.append(after, q);
  }
  if (in_scratch) content = scratch;
  return {p, q, content, q};
}

// ---- header ---------------------------------------------------------------------------------

void CsvReader::Impl::read_header() {
  const char* p = begin;
  if (end - p >= 3 && std::memcmp(p, "\xEF\xBB\xBF", 3) == 0) p += 3;
  uint64_t header_line = 1;
  while (true) {  // blank lines before the header are skipped
    const char* s = p;
    while (s < end && (*s == ' ' || *s == '\t' || *s == '\r')) ++s;
    if (s == end) throw InputError(file->path(), "", "the file is empty; expected a header row");
    if (*s != '\n') break;
    p = s + 1;
    ++header_line;
  }
  line = header_line;
  quoted_newlines = 0;
  for (size_t c = 0;; ++c) {
    Field field = read_field(p, c);
    size_t size = static_cast<size_t>(field.raw_end - field.raw_begin);
    if (!is_ascii(field.raw_begin, size)) {
      size_t bad = find_invalid_utf8(field.raw_begin, size);
      if (bad < size) {
        fail(header_line, c + 1,
             fmt::format("invalid UTF-8 in the name of column {} at byte offset {}; save the file as UTF-8",
                         c + 1, field.raw_begin + bad - begin));
      }
    }
    names.emplace_back(trim(field.content, delimiter));
    if (is_delimiter(field.terminator)) {
      p = field.terminator + 1;
      continue;
    }
    p = past_line_end(field.terminator);
    break;
  }
  std::unordered_map<std::string_view, size_t> seen;
  for (size_t c = 0; c < names.size(); ++c) {
    auto [found, inserted] = seen.emplace(names[c], c);
    if (!inserted) {
      fail(header_line, 0,
           fmt::format("duplicate column name '{}' (columns {} and {}); give every column its own name",
                       names[c], found->second + 1, c + 1));
    }
  }
  columns.resize(names.size());
  data_start = p;
  data_start_line = header_line + 1 + quoted_newlines;
  range_begin = data_start;
  limit = end;
  rewind();
}

void CsvReader::Impl::rewind() {
  index_base = index_limit = nullptr;
  pos = range_begin;
  line = range_begin == data_start ? data_start_line : 1;
  row = 0;
  for (Column& column : columns) column.file_number = column.file_bool = false;
}

// ---- cells ----------------------------------------------------------------------------------

void CsvReader::Impl::conflict(size_t column, size_t r) const {
  throw ColumnKindConflict(column, chunk_first_row + r);
}

// A numeric column's cell, unquoted and unescaped: missing, a number, a boolean literal, or a
// conflict.
void CsvReader::Impl::numeric_cell(Column& column, size_t c, size_t r, std::string_view content) {
  std::string_view token = trim(content, delimiter);
  double value;
  if (token.empty() || is_marker(token)) {
    column.numbers[r] = std::numeric_limits<double>::quiet_NaN();
    column.missing[r] = 1;
  } else if (parse_number(token, value)) {
    store_number(column, c, r, value);
    if (column.all_integral && !integral_token(token, value)) column.all_integral = false;
  } else if (int literal = bool_literal(token); literal >= 0) {
    column.numbers[r] = literal;
    column.missing[r] = 0;
    if (!column.saw_bool) {
      if (column.file_number) conflict(c, r);
      column.saw_bool = column.file_bool = true;
    }
  } else {
    conflict(c, r);
  }
}

// A text column's cell: its raw bytes [raw_begin, raw_end) in the file, and its content unescaped.
void CsvReader::Impl::text_cell(Column& column, size_t c, size_t r, const char* raw_begin,
                                const char* raw_end, std::string_view content) {
  size_t size = static_cast<size_t>(raw_end - raw_begin);
  if (!is_ascii(raw_begin, size)) {
    size_t bad = find_invalid_utf8(raw_begin, size);
    if (bad < size) {
      fail(record_line, c + 1,
           fmt::format("invalid UTF-8 in column '{}' at byte offset {}; save the file as UTF-8", names[c],
                       raw_begin + bad - begin));
    }
  }
  std::string_view token = trim(content, delimiter);
  if (token.empty() || is_marker(token)) {
    column.texts[r].clear();
    column.missing[r] = 1;
  } else {
    column.texts[r].assign(content);
    column.missing[r] = 0;
  }
}

// ---- records --------------------------------------------------------------------------------

void CsvReader::Impl::too_many_fields(const char* q) {
  size_t count = columns.size();
  while (is_delimiter(q)) {
    q = read_field(q + 1, count).terminator;
    ++count;
  }
  fail(record_line, 0, fmt::format("has {} fields, the header has {}", count, columns.size()));
}

void CsvReader::Impl::too_few_fields(size_t count, bool blank) const {
  std::string message =
      fmt::format("has {} field{}, the header has {}", count, count == 1 ? "" : "s", columns.size());
  if (blank) message += "; a blank line is a row only in a file of one column";
  fail(record_line, 0, message);
}

// The general record parser: quotes, ragged rows, a last line without a newline.
void CsvReader::Impl::parse_record(size_t r) {
  const char* p = pos;
  record_line = line;
  quoted_newlines = 0;
  const size_t count = columns.size();
  for (size_t c = 0;; ++c) {
    Column& column = columns[c];
    Field field = read_field(p, c);
    if (column.text) {
      text_cell(column, c, r, field.raw_begin, field.raw_end, field.content);
    } else {
      numeric_cell(column, c, r, field.content);
    }
    const char* q = field.terminator;
    if (is_delimiter(q)) {
      if (c + 1 == count) too_many_fields(q);
      p = q + 1;
      continue;
    }
    if (c + 1 != count) too_few_fields(c + 1, c == 0 && q == pos);
    pos = past_line_end(q);
    line += 1 + quoted_newlines;
    return;
  }
}

// ---- the public face ------------------------------------------------------------------------

CsvReader::CsvReader(const std::string& path, CsvOptions options)
    : impl_(std::make_unique<Impl>(std::make_shared<const MappedFile>(path), std::move(options))) {}
CsvReader::CsvReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
std::unique_ptr<CsvReader> CsvReader::sibling(CsvOptions options) const {
  return std::unique_ptr<CsvReader>(new CsvReader(std::make_unique<Impl>(impl_->file, std::move(options))));
}
CsvReader::~CsvReader() = default;

const std::string& CsvReader::path() const { return impl_->file->path(); }
const std::vector<std::string>& CsvReader::column_names() const { return impl_->names; }
void CsvReader::set_text_column(size_t column) { impl_->columns.at(column).text = true; }
bool CsvReader::is_text_column(size_t column) const { return impl_->columns.at(column).text; }
bool CsvReader::next(TableChunk& chunk) { return impl_->next(chunk); }
void CsvReader::rewind() { impl_->rewind(); }
uint64_t CsvReader::bytes_total() const { return impl_->file->size(); }
uint64_t CsvReader::bytes_consumed() const { return static_cast<uint64_t>(impl_->pos - impl_->begin); }
void CsvReader::set_byte_range(uint64_t begin, uint64_t end) {
  Impl& impl = *impl_;
  const auto data = static_cast<uint64_t>(impl.data_start - impl.begin);
  const uint64_t size = impl.file->size();
  if (begin < data || begin > end || end > size) {
    throw std::invalid_argument("CsvReader::set_byte_range: the range is not within the data rows");
  }
  impl.range_begin = impl.begin + begin;
  impl.limit = impl.begin + end;
  impl.hashing = false;
  impl.blank_checked_until = nullptr;
  impl.rewind();
}
uint64_t CsvReader::data_offset() const { return static_cast<uint64_t>(impl_->data_start - impl_->begin); }
uint64_t CsvReader::position() const { return static_cast<uint64_t>(impl_->pos - impl_->begin); }
uint64_t CsvReader::line_start_after(uint64_t offset) const {
  const uint64_t size = impl_->file->size();
  if (offset >= size) return size;
  const void* found = std::memchr(impl_->begin + offset, '\n', size - offset);
  return found == nullptr ? size : static_cast<uint64_t>(static_cast<const char*>(found) - impl_->begin) + 1;
}
uint64_t CsvReader::content_hash() const {
  impl_->hash_to(impl_->file->size());
  return impl_->hasher.digest();
}

}  // namespace xferval
