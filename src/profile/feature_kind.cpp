#include "xferval/profile/feature_kind.hpp"

#include <array>
#include <utility>

namespace xferval {

namespace {
constexpr std::array<std::pair<FeatureKind, std::string_view>, 7> kNames{{
    {FeatureKind::Numeric, "numeric"},
    {FeatureKind::Integer, "integer"},
    {FeatureKind::Boolean, "boolean"},
    {FeatureKind::Categorical, "categorical"},
    {FeatureKind::Text, "text"},
    {FeatureKind::Image, "image"},
    {FeatureKind::Tensor, "tensor"},
}};
}  // namespace

std::string_view to_string(FeatureKind kind) {
  for (const auto& [value, name] : kNames) {
    if (value == kind) return name;
  }
  return "unknown";
}

std::optional<FeatureKind> feature_kind_from_string(std::string_view name) {
  for (const auto& [value, text] : kNames) {
    if (text == name) return value;
  }
  return std::nullopt;
}

bool is_numeric_kind(FeatureKind kind) {
  return kind == FeatureKind::Numeric || kind == FeatureKind::Integer || kind == FeatureKind::Boolean;
}

}  // namespace xferval
