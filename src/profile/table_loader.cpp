#include "xferval/profile/table_loader.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "xferval/core/error.hpp"
#include "xferval/io/csv_scan.hpp"
#include "xferval/profile/accumulate.hpp"

namespace xferval {

namespace {

void append_chunk(TableChunk& into, const TableChunk& chunk) {
  if (into.columns.empty()) into.columns.resize(chunk.columns.size());
  for (size_t c = 0; c < chunk.columns.size(); ++c) {
    const ColumnChunk& from = chunk.columns[c];
    ColumnChunk& to = into.columns[c];
    to.is_text = from.is_text;
    to.missing.insert(to.missing.end(), from.missing.begin(), from.missing.begin() + chunk.rows);
    if (from.is_text) {
      to.texts.insert(to.texts.end(), from.texts.begin(), from.texts.begin() + chunk.rows);
    } else {
      to.numbers.insert(to.numbers.end(), from.numbers.begin(), from.numbers.begin() + chunk.rows);
    }
    to.all_integral = to.all_integral && from.all_integral;
    to.saw_bool_literal = to.saw_bool_literal || from.saw_bool_literal;
    to.saw_number = to.saw_number || from.saw_number;
  }
  into.rows += chunk.rows;
}

Table read_csv_table(const std::string& path, const ProfileOptions& options) {
  CsvReader reader(path, options.csv);
  Table table;
  table.names = reader.column_names();
  table.label_column = label_column_index(path, table.names, options.label);
  scan_csv(
      reader, [&](const std::vector<bool>&) { table.data = TableChunk{}; },
      [&](const TableChunk& chunk) {
        append_chunk(table.data, chunk);
        if (options.progress) options.progress(chunk.end_byte, reader.bytes_total());
      });
  table.content_hash = fmt::format("xxh3:{:016x}", reader.content_hash());
  return table;
}

Table read_array_table(const std::string& path, const std::string& format, const ProfileOptions& options,
                       std::string_view purpose) {
  ArrayInput input = open_array_input(path, format, options);
  const auto& shape = input.data->shape();
  if (shape.size() > 2) {
    throw UsageError(fmt::format("{}: {} works on tabular data; this array's samples have shape {}", path,
                                 purpose, fmt::join(shape.begin() + 1, shape.end(), "x")));
  }
  std::vector<double> values;
  while (input.data->read(size_t{1} << 16, values) > 0) {
  }
  const size_t rows = static_cast<size_t>(shape[0]);
  const size_t width = shape.size() == 2 ? static_cast<size_t>(shape[1]) : 1;
  Table table;
  table.content_hash = fmt::format("xxh3:{:016x}", input.data->content_hash());
  table.names = array_column_names(width);
  fill_table_chunk(values.data(), rows, width, input.data->dtype(), table.data);
  if (input.labels) {
    table.label_column = static_cast<int>(width);
    table.names.push_back(options.label.value_or("label"));
    ColumnChunk labels;
    labels.is_text = true;
    labels.texts = std::move(*input.labels);
    labels.missing.assign(rows, 0);
    table.data.columns.push_back(std::move(labels));
  }
  return table;
}

}  // namespace

int Table::column_index(const std::string& name) const {
  for (size_t c = 0; c < names.size(); ++c) {
    if (names[c] == name) return static_cast<int>(c);
  }
  return -1;
}

Table load_table(const std::string& path, const std::string& format, const ProfileOptions& options,
                 std::string_view purpose) {
  Table table;
  if (format == "csv") {
    table = read_csv_table(path, options);
  } else if (format == "npy" || format == "npz" || format == "idx") {
    table = read_array_table(path, format, options, purpose);
  } else {
    throw UsageError(fmt::format("{}: {} works on tabular data (CSV, or 1-D and 2-D arrays), not on {}", path,
                                 purpose, format));
  }
  table.path = path;
  if (table.data.rows == 0) throw InputError(path, "", "no data rows");
  return table;
}

Profile profile_table(const Table& table, const std::string& format, size_t covariance_max_features) {
  Profile profile;
  profile.source.path = table.path;
  profile.source.format = format;
  profile.source.content_hash = table.content_hash;
  std::vector<bool> text_columns;
  for (const ColumnChunk& column : table.data.columns) text_columns.push_back(column.is_text);
  TabularAccumulator accumulator(table.names, text_columns, table.label_column, covariance_max_features);
  accumulator.observe_token_facts(table.data);
  accumulator.add(table.data, 0, table.data.rows);
  accumulator.finish(profile);
  return profile;
}

}  // namespace xferval
