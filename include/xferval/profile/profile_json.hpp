#pragma once
// (De)serialisation of profiles: the readable statistics plus the sketch state that lets
// profiles merge. Statistics derived from sketches (quantiles, histograms, kinds) are rendered
// from the state, so a loaded and re-written profile is identical.
#include <nlohmann/json.hpp>
#include <string>

#include "xferval/profile/profile.hpp"

namespace xferval {

inline constexpr double kProfileQuantiles[] = {0.0, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 1.0};
inline constexpr size_t kHistogramBins = 20;
inline constexpr size_t kTopValues = 10;
inline constexpr size_t kDomainLimit = 100;

nlohmann::json profile_to_json(const Profile& profile);
// Throws InputError naming `origin` when the document is not a valid xferval.profile/1.
Profile profile_from_json(const nlohmann::json& document, const std::string& origin);

Profile load_profile(const std::string& path);
void save_profile(const Profile& profile, const std::string& path);  // atomic

}  // namespace xferval
