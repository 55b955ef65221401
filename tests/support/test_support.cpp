#include "test_support.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace xferval::testing {

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "xferval-test-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::filesystem::path TempDir::write(const std::string& name, const std::string& bytes) const {
  std::filesystem::path file = path_ / name;
  std::filesystem::create_directories(file.parent_path());
  std::ofstream out(file, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return file;
}

size_t TempDir::entry_count() const {
  size_t count = 0;
  for (auto it = std::filesystem::recursive_directory_iterator(path_);
       it != std::filesystem::recursive_directory_iterator(); ++it) {
    ++count;
  }
  return count;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string shell_quote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

CommandResult run_command(const std::string& command_line) {
  TempDir scratch;
  std::string out_path = (scratch / "stdout").string();
  std::string err_path = (scratch / "stderr").string();
  std::string full =
      "( " + command_line + " ) >" + shell_quote(out_path) + " 2>" + shell_quote(err_path) + " </dev/null";
  int status = std::system(full.c_str());
  CommandResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = read_file(out_path);
  result.err = read_file(err_path);
  return result;
}

CommandResult run_xferval(const std::string& arguments) {
  return run_command(shell_quote(XFERVAL_BINARY) + " " + arguments);
}

std::string run_python(const std::string& code) {
  TempDir scratch;
  std::filesystem::path script = scratch.write("snippet.py", code);
  CommandResult result = run_command(shell_quote(XFERVAL_PYTHON) + " " + shell_quote(script.string()));
  EXPECT_EQ(result.exit_code, 0) << "python failed:\n" << result.err;
  return result.out;
}

std::filesystem::path source_path(const std::string& relative) {
  return std::filesystem::path(XFERVAL_SOURCE_DIR) / relative;
}

NumericColumns read_numeric_columns(const std::string& relative) {
  std::ifstream in(source_path(relative));
  EXPECT_TRUE(in) << relative;
  std::string line;
  std::getline(in, line);
  std::vector<std::string> header;
  std::stringstream head(line);
  for (std::string cell; std::getline(head, cell, ',');) header.push_back(cell);
  std::vector<std::vector<double>> columns(header.size());
  std::vector<bool> numeric(header.size(), true);
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::stringstream row(line);
    size_t c = 0;
    for (std::string cell; std::getline(row, cell, ','); ++c) {
      char* end = nullptr;
      double v = std::strtod(cell.c_str(), &end);
      if (cell.empty() || *end != '\0') numeric[c] = false;
      columns[c].push_back(v);
    }
  }
  NumericColumns out;
  for (size_t c = 0; c < header.size(); ++c) {
    if (!numeric[c]) continue;
    out.names.push_back(header[c]);
    out.values.push_back(std::move(columns[c]));
  }
  return out;
}

}  // namespace xferval::testing
