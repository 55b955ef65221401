#include "xferval/core/cpu_features.hpp"

#include <cstdlib>

namespace xferval {

namespace {

bool cpu_has(VectorIsa isa) {
#if defined(__x86_64__)
  const bool f = __builtin_cpu_supports("avx512f");
  if (isa == VectorIsa::Avx512F) return f;
  return f && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512cd") &&
         __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
         __builtin_cpu_supports("avx512vbmi2") && __builtin_cpu_supports("bmi2");
#else
  (void)isa;
  return false;
#endif
}

}  // namespace

bool vector_isa_available(VectorIsa isa) {
  static const bool portable = std::getenv("XFERVAL_PORTABLE") != nullptr;
  static const bool f = !portable && cpu_has(VectorIsa::Avx512F);
  static const bool full = !portable && cpu_has(VectorIsa::Avx512Full);
  return isa == VectorIsa::Avx512F ? f : full;
}

}  // namespace xferval
