#include "input_options.hpp"

#include <fmt/format.h>

#include <sstream>

#include "xferval/core/error.hpp"

namespace xferval::cli {

namespace {

char parse_delimiter(const std::string& text) {
  if (text == "\\t" || text == "tab" || text == "\t") return '\t';
  if (text.size() != 1) throw UsageError(fmt::format("--delimiter '{}': give one character, or 'tab'", text));
  return text[0];
}

std::vector<std::string> split_markers(const std::string& text) {
  std::vector<std::string> markers;
  std::stringstream stream(text);
  std::string marker;
  while (std::getline(stream, marker, ',')) markers.push_back(marker);
  return markers;
}

}  // namespace

CsvOptions InputArguments::csv() const {
  CsvOptions options;
  options.delimiter = parse_delimiter(delimiter);
  if (missing_given) options.missing_markers = split_markers(missing);
  return options;
}

void add_input_options(CLI::App& command, const std::shared_ptr<InputArguments>& args, const std::string& label_help) {
  command.add_option("--label", args->label, label_help);
  command.add_option("--labels", args->labels_path, "Labels file for .npy or IDX data (.npy or IDX)");
  command.add_option("--member", args->member, "Data array of an .npz archive");
  command.add_option("--format", args->format, "Input format: csv, npy, npz, idx, image-folder (default: from the path)");
  command.add_option("--delimiter", args->delimiter, "CSV field delimiter (one character, or 'tab')");
  command
      .add_option("--missing", args->missing,
                  "Comma-separated missing-value markers, replacing the defaults NA,N/A,NaN,nan,null,NULL,None,-nan "
                  "(the empty cell is always missing)")
      ->each([args](const std::string&) { args->missing_given = true; });
}

}  // namespace xferval::cli
