#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace xferval {

// What a feature holds, as the schema records it.
enum class FeatureKind { Numeric, Integer, Boolean, Categorical, Text, Image, Tensor };

std::string_view to_string(FeatureKind kind);
std::optional<FeatureKind> feature_kind_from_string(std::string_view name);
bool is_numeric_kind(FeatureKind kind);  // numeric, integer, boolean: statistics on numbers

}  // namespace xferval
