#include "xferval/profile/cleaning.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "xferval/core/atomic_file.hpp"
#include "xferval/core/error.hpp"
#include "xferval/core/hash.hpp"
#include "xferval/io/csv_scan.hpp"
#include "xferval/io/npy_writer.hpp"
#include "xferval/profile/accumulate.hpp"
#include "xferval/profile/profile_json.hpp"
#include "xferval/profile/table_loader.hpp"

namespace xferval {

namespace {

constexpr size_t kFirstRowsKept = 10;

struct LogBuilder {
  CleaningLog& log;
  CleaningLog::Entry& entry(const std::string& reason, const std::string& action,
                            const std::string& feature) {
    for (auto& existing : log.entries) {
      if (existing.reason == reason && existing.action == action && existing.feature == feature)
        return existing;
    }
    log.entries.push_back({reason, action, feature, 0, {}});
    return log.entries.back();
  }
  void record(const std::string& reason, const std::string& action, const std::string& feature, size_t row) {
    auto& e = entry(reason, action, feature);
    ++e.count;
    if (e.first_rows.size() < kFirstRowsKept) e.first_rows.push_back(row + 1);  // 1-based data rows
  }
};

// NaN and +-inf become missing cells, logged by reason.
void mark_non_finite(Table& table, LogBuilder& log) {
  for (size_t c = 0; c < table.data.columns.size(); ++c) {
    ColumnChunk& column = table.data.columns[c];
    if (column.is_text) continue;
    for (size_t r = 0; r < table.data.rows; ++r) {
      if (column.missing[r] || std::isfinite(column.numbers[r])) continue;
      log.record(std::isnan(column.numbers[r]) ? "nan" : "inf", "treated as missing", table.names[c], r);
      column.missing[r] = 1;
    }
  }
}

bool cells_equal(const ColumnChunk& column, size_t a, size_t b) {
  if (column.missing[a] || column.missing[b]) return column.missing[a] == column.missing[b];
  return column.is_text ? column.texts[a] == column.texts[b] : column.numbers[a] == column.numbers[b];
}

uint64_t row_hash(const TableChunk& data, size_t row) {
  uint64_t hash = 0x9e3779b97f4a7c15ULL;
  for (const ColumnChunk& column : data.columns) {
    uint64_t cell = column.missing[row] ? 0x6d697373696e67ULL
                                        : (column.is_text ? hash_string(column.texts[row])
                                                          : hash_number(column.numbers[row]));
    hash = (hash ^ cell) * 0x100000001b3ULL + (hash >> 29);
  }
  return hash;
}

void drop_duplicates(Table& table, std::vector<uint8_t>& keep, LogBuilder& log) {
  std::unordered_map<uint64_t, std::vector<size_t>> seen;
  seen.reserve(table.data.rows);
  for (size_t r = 0; r < table.data.rows; ++r) {
    auto& candidates = seen[row_hash(table.data, r)];
    bool duplicate = std::any_of(candidates.begin(), candidates.end(), [&](size_t earlier) {
      return std::all_of(table.data.columns.begin(), table.data.columns.end(),
                         [&](const ColumnChunk& column) { return cells_equal(column, earlier, r); });
    });
    if (duplicate) {
      keep[r] = 0;
      log.record("duplicate", "dropped row", "", r);
    } else {
      candidates.push_back(r);
    }
  }
}

// The value that replaces missing cells of a column, from its kept present values.
struct Fill {
  double number = 0.0;
  std::string text;
  bool available = false;
};

Fill fill_value(const ColumnChunk& column, const std::vector<uint8_t>& keep, CleaningPolicy::Missing how) {
  Fill fill;
  if (column.is_text || how == CleaningPolicy::Missing::Mode) {
    // Most frequent value; ties go to the smallest, as pandas' mode()[0].
    if (column.is_text) {
      std::map<std::string, uint64_t> counts;
      for (size_t r = 0; r < keep.size(); ++r) {
        if (keep[r] && !column.missing[r]) ++counts[column.texts[r]];
      }
      uint64_t best = 0;
      for (const auto& [value, count] : counts) {
        if (count > best) std::tie(best, fill.text, fill.available) = std::tuple(count, value, true);
      }
    } else {
      std::map<double, uint64_t> counts;
      for (size_t r = 0; r < keep.size(); ++r) {
        if (keep[r] && !column.missing[r]) ++counts[column.numbers[r]];
      }
      uint64_t best = 0;
      for (const auto& [value, count] : counts) {
        if (count > best) std::tie(best, fill.number, fill.available) = std::tuple(count, value, true);
      }
    }
    return fill;
  }
  std::vector<double> values;
  for (size_t r = 0; r < keep.size(); ++r) {
    if (keep[r] && !column.missing[r]) values.push_back(column.numbers[r]);
  }
  if (values.empty()) return fill;
  fill.available = true;
  if (how == CleaningPolicy::Missing::Mean) {
    Moments moments;
    moments.add_block(values.data(), values.size());
    fill.number = moments.mean();
  } else {  // median; the mean of the two middle values for an even count, as pandas
    size_t middle = values.size() / 2;
    std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(middle), values.end());
    fill.number = values[middle];
    if (values.size() % 2 == 0) {
      double lower = *std::max_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(middle));
      fill.number = lower + (fill.number - lower) / 2;
    }
  }
  return fill;
}

std::string missing_name(CleaningPolicy::Missing how) {
  switch (how) {
    case CleaningPolicy::Missing::Drop:
      return "drop";
    case CleaningPolicy::Missing::Mean:
      return "mean";
    case CleaningPolicy::Missing::Median:
      return "median";
    case CleaningPolicy::Missing::Mode:
      return "mode";
    case CleaningPolicy::Missing::Keep:
      return "keep";
  }
  return "drop";
}

void handle_missing(Table& table, const CleaningPolicy& policy, std::vector<uint8_t>& keep, LogBuilder& log) {
  const size_t rows = table.data.rows;
  if (table.label_column >= 0) {  // a row without its label cannot be imputed
    const ColumnChunk& label = table.data.columns[static_cast<size_t>(table.label_column)];
    for (size_t r = 0; r < rows; ++r) {
      if (keep[r] && label.missing[r]) {
        keep[r] = 0;
        log.record("missing label", "dropped row", table.names[static_cast<size_t>(table.label_column)], r);
      }
    }
  }
  if (policy.missing == CleaningPolicy::Missing::Keep) return;
  for (size_t c = 0; c < table.data.columns.size(); ++c) {
    if (static_cast<int>(c) == table.label_column) continue;
    ColumnChunk& column = table.data.columns[c];
    if (policy.missing == CleaningPolicy::Missing::Drop) {
      for (size_t r = 0; r < rows; ++r) {
        if (keep[r] && column.missing[r]) log.record("missing", "dropped row", table.names[c], r);
      }
      continue;
    }
    CleaningPolicy::Missing how = column.is_text ? CleaningPolicy::Missing::Mode : policy.missing;
    Fill fill = fill_value(column, keep, how);
    for (size_t r = 0; r < rows; ++r) {
      if (!keep[r] || !column.missing[r] || !fill.available) continue;
      log.record("missing", "imputed:" + missing_name(how), table.names[c], r);
      column.missing[r] = 0;
      if (column.is_text) {
        column.texts[r] = fill.text;
      } else {
        column.numbers[r] = fill.number;
      }
    }
  }
  if (policy.missing == CleaningPolicy::Missing::Drop) {
    for (size_t r = 0; r < rows; ++r) {
      for (const ColumnChunk& column : table.data.columns) {
        if (column.missing[r]) keep[r] = 0;
      }
    }
  }
}

// Keeps the rows with keep[r] and the columns with keep_column[c].
Table compact(const Table& table, const std::vector<uint8_t>& keep, const std::vector<bool>& keep_column) {
  Table out;
  for (size_t c = 0; c < table.names.size(); ++c) {
    if (!keep_column[c]) continue;
    if (static_cast<int>(c) == table.label_column) out.label_column = static_cast<int>(out.names.size());
    out.names.push_back(table.names[c]);
    const ColumnChunk& from = table.data.columns[c];
    ColumnChunk to;
    to.is_text = from.is_text;
    to.all_integral = from.all_integral;
    to.saw_bool_literal = from.saw_bool_literal;
    to.saw_number = from.saw_number;
    for (size_t r = 0; r < table.data.rows; ++r) {
      if (!keep[r]) continue;
      to.missing.push_back(from.missing[r]);
      if (from.is_text) {
        to.texts.push_back(from.texts[r]);
      } else {
        to.numbers.push_back(from.numbers[r]);
      }
    }
    out.data.columns.push_back(std::move(to));
  }
  out.data.rows = static_cast<size_t>(std::count(keep.begin(), keep.end(), uint8_t{1}));
  return out;
}

std::vector<bool> constant_columns(const Table& table, const CleaningPolicy& policy,
                                   const std::vector<uint8_t>& keep, LogBuilder& log) {
  std::vector<bool> keep_column(table.names.size(), true);
  for (size_t c = 0; c < table.names.size(); ++c) {
    if (static_cast<int>(c) == table.label_column) continue;
    const ColumnChunk& column = table.data.columns[c];
    std::optional<size_t> first;
    bool varies = false;
    for (size_t r = 0; r < table.data.rows && !varies; ++r) {
      if (!keep[r] || column.missing[r]) continue;
      if (!first) {
        first = r;
      } else {
        varies = !cells_equal(column, *first, r);
      }
    }
    if (varies) continue;
    bool drop = policy.constant == CleaningPolicy::Constant::Drop;
    auto& entry = log.entry("constant", drop ? "dropped column" : "flagged column", table.names[c]);
    entry.count = 1;
    if (drop) keep_column[c] = false;
  }
  return keep_column;
}

Standardization own_standardization(const Table& table, const std::vector<size_t>& columns) {
  Standardization result;
  result.origin = "this data";
  for (size_t c : columns) {
    const ColumnChunk& column = table.data.columns[c];
    Moments moments;
    for (size_t r = 0; r < table.data.rows; ++r) {
      if (!column.missing[r]) moments.add(column.numbers[r]);
    }
    double scale = std::sqrt(moments.variance(0));
    result.features.push_back(table.names[c]);
    result.mean.push_back(moments.mean());
    result.scale.push_back(scale > 0 && std::isfinite(scale) ? scale : 1.0);
  }
  return result;
}

void write_clean_matrix(const Table& table, const std::string& path, const std::string& standardize_from) {
  std::vector<size_t> columns;
  std::vector<std::string> names;
  for (size_t c = 0; c < table.names.size(); ++c) {
    if (static_cast<int>(c) == table.label_column || table.data.columns[c].is_text) continue;
    columns.push_back(c);
    names.push_back(table.names[c]);
  }
  Standardization z = standardize_from.empty() ? own_standardization(table, columns)
                                               : standardization_from_file(standardize_from, names);
  const size_t rows = table.data.rows;
  std::vector<double> matrix(rows * columns.size());
  for (size_t j = 0; j < columns.size(); ++j) {
    const ColumnChunk& column = table.data.columns[columns[j]];
    for (size_t r = 0; r < rows; ++r) {
      matrix[r * columns.size() + j] =
          column.missing[r] ? std::nan("") : (column.numbers[r] - z.mean[j]) / z.scale[j];
    }
  }
  nlohmann::json sidecar = {{"format", "xferval.clean-matrix/1"},
                            {"matrix", std::filesystem::path(path).filename().string()},
                            {"rows", rows},
                            {"columns", names},
                            {"mean", z.mean},
                            {"scale", z.scale},
                            {"standardized_with", z.origin},
                            {"labels", nullptr}};
  if (table.label_column >= 0) {
    const ColumnChunk& label = table.data.columns[static_cast<size_t>(table.label_column)];
    nlohmann::json labels = nlohmann::json::array();
    for (size_t r = 0; r < rows; ++r) {
      labels.push_back(label.is_text ? label.texts[r] : number_label(label.numbers[r]));
    }
    sidecar["label"] = table.names[static_cast<size_t>(table.label_column)];
    sidecar["labels"] = std::move(labels);
  }
  std::string npy = npy_float64_matrix(matrix.data(), rows, columns.size());
  std::string sidecar_path = std::filesystem::path(path).replace_extension(".columns.json").string();
  AtomicFile matrix_file(path);
  matrix_file.write(npy);
  AtomicFile sidecar_file(sidecar_path);
  sidecar_file.write(sidecar.dump(1) + "\n");
  matrix_file.commit();
  sidecar_file.commit();
}

}  // namespace

CleaningPolicy CleaningPolicy::parse(std::string_view text) {
  CleaningPolicy policy;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view part = text.substr(start, end - start);
    start = end + 1;
    if (part.empty()) continue;
    size_t equals = part.find('=');
    std::string key(part.substr(0, equals));
    std::string value(equals == std::string_view::npos ? "" : part.substr(equals + 1));
    bool ok = true;
    if (key == "missing") {
      static const std::map<std::string, Missing> kMissing = {{"drop", Missing::Drop},
                                                              {"mean", Missing::Mean},
                                                              {"median", Missing::Median},
                                                              {"mode", Missing::Mode},
                                                              {"keep", Missing::Keep}};
      auto found = kMissing.find(value);
      ok = found != kMissing.end();
      if (ok) policy.missing = found->second;
    } else if (key == "duplicates") {
      ok = value == "drop" || value == "keep";
      policy.drop_duplicates = value == "drop";
    } else if (key == "constant") {
      ok = value == "flag" || value == "drop";
      policy.constant = value == "drop" ? Constant::Drop : Constant::Flag;
    } else {
      ok = false;
    }
    if (!ok) {
      throw UsageError(
          fmt::format("--clean: cannot use '{}'; expected missing=drop|mean|median|mode|keep, "
                      "duplicates=drop|keep, constant=flag|drop, separated by commas",
                      part));
    }
  }
  return policy;
}

std::string CleaningPolicy::to_string() const {
  return fmt::format("missing={},duplicates={},constant={}", missing_name(missing),
                     drop_duplicates ? "drop" : "keep", constant == Constant::Drop ? "drop" : "flag");
}

Standardization standardization_from_file(const std::string& path, const std::vector<std::string>& features) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, "", "cannot open the reference for --standardize-from; check the path");
  nlohmann::json document;
  try {
    document = nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& error) {
    throw InputError(path, fmt::format("byte {}", error.byte), "not valid JSON");
  }
  if (document.is_object() && document.value("format", "") == "xferval.card/1") {
    if (!document.contains("profile"))
      throw InputError(path, "", "the model card holds no profile to standardise with");
    document = document["profile"];
  }
  Profile reference = profile_from_json(document, path);
  Standardization result;
  result.origin = path;
  for (const std::string& name : features) {
    const FeatureState* feature = reference.find_feature(name);
    if (feature == nullptr || feature->storage != Storage::Numbers) {
      throw InputError(path, "",
                       fmt::format("has no numeric feature '{}' to standardise with; it was profiled from "
                                   "different data",
                                   name));
    }
    double scale = std::sqrt(feature->moments.variance(0));
    result.features.push_back(name);
    result.mean.push_back(feature->moments.mean());
    result.scale.push_back(scale > 0 && std::isfinite(scale) ? scale : 1.0);
  }
  return result;
}

Profile clean_and_profile(const std::string& path, const ProfileOptions& options,
                          const CleaningRequest& request) {
  const std::string format = options.format.empty() ? detect_format(path) : options.format;
  Table table = load_table(path, format, options, "--clean");
  CleaningLog log_state;
  log_state.applied = true;
  log_state.policy = request.policy.to_string();
  log_state.rows_in = table.data.rows;
  LogBuilder log{log_state};

  std::vector<uint8_t> keep(table.data.rows, 1);
  mark_non_finite(table, log);
  if (request.policy.drop_duplicates) drop_duplicates(table, keep, log);
  handle_missing(table, request.policy, keep, log);
  std::vector<bool> keep_column = constant_columns(table, request.policy, keep, log);
  Table cleaned = compact(table, keep, keep_column);
  log_state.rows_out = cleaned.data.rows;
  if (cleaned.data.rows == 0) {
    throw InputError(path, "",
                     fmt::format("cleaning ({}) dropped every row; try --clean missing=median or "
                                 "missing=keep",
                                 log_state.policy));
  }
  cleaned.path = path;
  cleaned.content_hash = table.content_hash;
  Profile profile = profile_table(cleaned, format, options.covariance_max_features);
  profile.cleaning = std::move(log_state);
  if (!request.clean_out.empty()) write_clean_matrix(cleaned, request.clean_out, request.standardize_from);
  return profile;
}

}  // namespace xferval
