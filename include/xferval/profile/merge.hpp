#pragma once
#include <string>
#include <vector>

#include "xferval/profile/profile.hpp"

namespace xferval {

// Combines profiles of disjoint parts of the data into the profile of the whole. Exact fields
// add up to floating-point rounding; sketches merge within their error bounds. Shards 1..N of
// one input merge back into that input's profile (same content hash); profiles of different
// inputs record every part's hash in source.merged_from. Profiles whose schemas differ (feature
// names or order, storage, label, tensor shape or dtype) are an InputError naming the
// difference and the file (origins[i]).
Profile merge_profiles(std::vector<Profile> profiles, const std::vector<std::string>& origins);

// Adds the statistics of `part` (a disjoint part of the same data, with the same schema) to
// `into`; the source information is left as it is.
void merge_profile_into(Profile& into, const Profile& part);

}  // namespace xferval
