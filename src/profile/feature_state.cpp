#include <fast_float/fast_float.h>

#include <algorithm>

#include "xferval/profile/profile.hpp"

namespace xferval {

FeatureKind FeatureState::kind() const {
  if (storage == Storage::Text) {
    // Categorical: few distinct values, or values that repeat (at most half as many distinct
    // values as present cells) up to 1000 distinct; otherwise free text.
    double distinct_values = distinct.estimate();
    bool repeats = distinct_values * 2 <= static_cast<double>(present());
    return distinct_values <= 100 || (distinct_values <= 1000 && repeats) ? FeatureKind::Categorical
                                                                          : FeatureKind::Text;
  }
  if (saw_bool_literal && !saw_number) return FeatureKind::Boolean;
  if (saw_number && all_integral) return FeatureKind::Integer;
  return FeatureKind::Numeric;
}

std::vector<std::pair<std::string, uint64_t>> LabelState::ordered_counts() const {
  auto items = counts.items();
  std::vector<std::pair<double, size_t>> keys;
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string& text = items[i].first;
    double value = 0;
    auto [end, error] = fast_float::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size()) return items;
    keys.emplace_back(value, i);
  }
  std::sort(keys.begin(), keys.end());
  std::vector<std::pair<std::string, uint64_t>> ordered;
  for (const auto& [value, index] : keys) ordered.push_back(items[index]);
  return ordered;
}

const FeatureState* Profile::find_feature(const std::string& name) const {
  auto found =
      std::find_if(features.begin(), features.end(), [&](const FeatureState& f) { return f.name == name; });
  return found == features.end() ? nullptr : &*found;
}

}  // namespace xferval
