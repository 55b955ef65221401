#include "xferval/core/error.hpp"

namespace xferval {

namespace {
std::string compose(const std::string& file, const std::string& where, const std::string& message) {
  std::string text = file;
  if (!where.empty()) text += ": " + where;
  return text + ": " + message;
}
}  // namespace

InputError::InputError(std::string file, std::string where, const std::string& message)
    : std::runtime_error(compose(file, where, message)), file_(std::move(file)), where_(std::move(where)) {}

}  // namespace xferval
