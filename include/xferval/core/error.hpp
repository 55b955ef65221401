#pragma once
// Errors that reach the user. Both map to exit status 2; the message names what to fix.
#include <stdexcept>
#include <string>

namespace xferval {

// Bad input data: names the file and, where it applies, the place in it
// ("line 12, column 3", "byte 4096", "member x.npy"). what() is "FILE: WHERE: MESSAGE".
class InputError : public std::runtime_error {
 public:
  InputError(std::string file, std::string where, const std::string& message);
  const std::string& file() const { return file_; }
  const std::string& where() const { return where_; }

 private:
  std::string file_;
  std::string where_;
};

// Bad command-line usage or options that contradict each other.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace xferval
