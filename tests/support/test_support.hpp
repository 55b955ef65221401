#pragma once
// Shared helpers for the GoogleTest suites: temporary folders, files, and running the binary
// or Debian's python3 (NumPy, pandas, SciPy) as an independent reference.
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

namespace xferval::testing {

// The IEEE-754 bits of a double, to compare values bit for bit (-0.0 and +0.0 differ).
inline uint64_t bits_of(double value) {
  uint64_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

// A fresh folder under the system temp dir, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }
  // Writes bytes to a file in the folder and returns its path.
  std::filesystem::path write(const std::string& name, const std::string& bytes) const;
  // Number of entries in the folder (to prove nothing was left behind).
  size_t entry_count() const;

 private:
  std::filesystem::path path_;
};

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs a shell command line and captures stdout and stderr.
CommandResult run_command(const std::string& command_line);
// Runs the xferval binary under test with the given arguments (already shell-quoted).
CommandResult run_xferval(const std::string& arguments);
// Runs a Python snippet with Debian's python3 and returns its stdout; fails the test on error.
std::string run_python(const std::string& code);

std::string shell_quote(const std::string& text);
std::string read_file(const std::filesystem::path& path);
// Path of a file in the source tree, e.g. source_path("data/iris.csv").
std::filesystem::path source_path(const std::string& relative);

// The numeric columns of a CSV in the source tree (header row; a column is numeric when every
// cell parses as a number), read with strtod: an independent reading of the bundled datasets.
struct NumericColumns {
  std::vector<std::string> names;
  std::vector<std::vector<double>> values;
};
NumericColumns read_numeric_columns(const std::string& relative);

}  // namespace xferval::testing
