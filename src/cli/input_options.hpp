#pragma once
// The options every verb that reads a dataset shares: label, labels file, .npz member, format,
// CSV delimiter and missing markers.
#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "xferval/io/csv.hpp"

namespace xferval::cli {

struct InputArguments {
  std::string label;
  std::string labels_path;
  std::string member;
  std::string format;
  std::string delimiter = ",";
  std::string missing;
  bool missing_given = false;

  CsvOptions csv() const;  // UsageError on a bad delimiter
};

// Registers the shared options; `label_help` says what --label means for this verb.
void add_input_options(CLI::App& command, const std::shared_ptr<InputArguments>& args, const std::string& label_help);

}  // namespace xferval::cli
