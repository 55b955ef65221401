#include "xferval/core/error.hpp"

#include <fmt/format.h>

namespace xferval {

namespace {
std::string compose(const std::string& file, const std::string& where, const std::string& message) {
  return where.empty() ? fmt::format("{}: {}", file, message)
                       : fmt::format("{}: {}: {}", file, where, message);
}
}  // namespace

InputError::InputError(std::string file, std::string where, const std::string& message)
    : std::runtime_error(compose(file, where, message)), file_(std::move(file)), where_(std::move(where)) {}

}  // namespace xferval
