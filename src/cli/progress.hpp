#pragma once
// Progress on standard error for work that takes more than a second: a redrawn line on a
// terminal, a plain line every few seconds otherwise.
#include <chrono>
#include <cstdint>
#include <string>

namespace xferval::cli {

class Progress {
 public:
  explicit Progress(std::string label, bool enabled = true);
  ~Progress();
  void update(uint64_t done, uint64_t total);
  void finish();

 private:
  std::string label_;
  bool enabled_;
  bool terminal_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace xferval::cli
