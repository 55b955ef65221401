#include "progress.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

namespace xferval::cli {

Progress::Progress(std::string label, bool enabled)
    : label_(std::move(label)),
      enabled_(enabled),
      terminal_(::isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()),
      last_(start_) {}

Progress::~Progress() { finish(); }

void Progress::update(uint64_t done, uint64_t total) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  auto since_start = now - start_;
  auto since_last = now - last_;
  if (since_start < std::chrono::seconds(1)) return;
  if (since_last < (terminal_ ? std::chrono::milliseconds(100) : std::chrono::seconds(5)) && shown_) return;
  last_ = now;
  double fraction = total == 0 ? 0.0 : static_cast<double>(done) / static_cast<double>(total);
  double seconds = std::chrono::duration<double>(since_start).count();
  std::string line = fmt::format("{}: {:5.1f}% ({:.1f} s)", label_, 100.0 * fraction, seconds);
  if (terminal_) {
    fmt::print(stderr, "\r{}\x1b[K", line);
  } else {
    fmt::print(stderr, "{}\n", line);
  }
  std::fflush(stderr);
  shown_ = true;
}

void Progress::finish() {
  if (shown_ && terminal_) fmt::print(stderr, "\r\x1b[K");
  shown_ = false;
}

}  // namespace xferval::cli
