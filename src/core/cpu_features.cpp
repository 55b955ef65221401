#include "xferval/core/cpu_features.hpp"

#include <cstdlib>

namespace xferval {

bool portable_only() {
  static const bool portable = std::getenv("XFERVAL_PORTABLE") != nullptr;
  return portable;
}

}  // namespace xferval
