#include "xferval/core/cpu_features.hpp"

#include <algorithm>
#include <cstdlib>
#include <string_view>

namespace xferval {

namespace {

constexpr std::string_view kLevels[] = {"portable", "avx512f", "avx512", "avx512vbmi2"};
constexpr int kTop = 3;

// The level XFERVAL_VECTOR allows; -1 when it names none of them.
int allowed_level() {
  const char* text = std::getenv("XFERVAL_VECTOR");
  if (text == nullptr) return kTop;
  for (int level = 0; level <= kTop; ++level) {
    if (kLevels[level] == text) return level;
  }
  return -1;
}

int cpu_level() {
#if defined(__x86_64__)
  if (!__builtin_cpu_supports("avx512f")) return 0;
  if (!(__builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512cd") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl"))) {
    return 1;
  }
  if (!(__builtin_cpu_supports("avx512vbmi2") && __builtin_cpu_supports("bmi2"))) return 2;
  return 3;
#else
  return 0;
#endif
}

}  // namespace

bool vector_isa_available(VectorIsa isa) {
  static const int level = std::min(std::max(allowed_level(), 0), cpu_level());
  return static_cast<int>(isa) <= level;
}

std::string vector_setting_error() {
  if (allowed_level() >= 0) return "";
  return "XFERVAL_VECTOR='" + std::string(std::getenv("XFERVAL_VECTOR")) +
         "': expected portable, avx512f, avx512 or avx512vbmi2 (or leave it unset)";
}

}  // namespace xferval
