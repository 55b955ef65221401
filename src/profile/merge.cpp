#include "xferval/profile/merge.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "xferval/core/error.hpp"
#include "xferval/core/hash.hpp"

namespace xferval {

namespace {

std::string storage_name(Storage storage) { return storage == Storage::Text ? "text" : "numbers"; }

void check_same_schema(const Profile& first, const Profile& other, const std::string& first_origin,
                       const std::string& origin) {
  auto differ = [&](const std::string& what) {
    throw InputError(origin, "",
                     fmt::format("cannot merge: its schema differs from {}: {}", first_origin, what));
  };
  if (first.features.size() != other.features.size()) {
    differ(fmt::format("{} features here, {} there", other.features.size(), first.features.size()));
  }
  for (size_t i = 0; i < first.features.size(); ++i) {
    const FeatureState& a = first.features[i];
    const FeatureState& b = other.features[i];
    if (a.name != b.name) differ(fmt::format("feature {} is '{}' here, '{}' there", i + 1, b.name, a.name));
    if (a.storage != b.storage) {
      differ(fmt::format("feature '{}' holds {} here, {} there", a.name, storage_name(b.storage),
                         storage_name(a.storage)));
    }
  }
  if (first.covariance_features != other.covariance_features) differ("the covariance features differ");
  if (first.label.has_value() != other.label.has_value() ||
      (first.label && first.label->name != other.label->name)) {
    differ(fmt::format("label '{}' here, '{}' there", other.label ? other.label->name : "none",
                       first.label ? first.label->name : "none"));
  }
  if (first.tensor.has_value() != other.tensor.has_value()) differ("one is tensor data, the other tabular");
  if (first.tensor) {
    if (first.tensor->sample_shape != other.tensor->sample_shape) {
      differ(fmt::format("sample shape {} here, {} there", fmt::join(other.tensor->sample_shape, "x"),
                         fmt::join(first.tensor->sample_shape, "x")));
    }
    if (first.tensor->dtype != other.tensor->dtype) {
      differ(fmt::format("dtype {} here, {} there", other.tensor->dtype, first.tensor->dtype));
    }
  }
}

void merge_feature(FeatureState& into, const FeatureState& from) {
  into.rows += from.rows;
  into.missing += from.missing;
  into.nan += from.nan;
  into.inf += from.inf;
  into.zeros += from.zeros;
  into.all_integral = into.all_integral && from.all_integral;
  into.saw_bool_literal = into.saw_bool_literal || from.saw_bool_literal;
  into.saw_number = into.saw_number || from.saw_number;
  into.moments.merge(from.moments);
  into.quantiles.merge(from.quantiles);
  into.distinct.merge(from.distinct);
  into.top_numbers.merge(from.top_numbers);
  into.top_texts.merge(from.top_texts);
}

void merge_tensor(TensorState& into, const TensorState& from) {
  for (size_t c = 0; c < into.channels.size(); ++c) into.channels[c].merge(from.channels[c]);
  into.values.merge(from.values);
  for (size_t b = 0; b < into.byte_histogram.size(); ++b) into.byte_histogram[b] += from.byte_histogram[b];
  into.samples += from.samples;
  into.nan += from.nan;
  into.inf += from.inf;
  into.zeros += from.zeros;
}

void merge_cleaning(CleaningLog& into, const CleaningLog& from) {
  into.applied = into.applied || from.applied;
  if (into.policy.empty()) into.policy = from.policy;
  into.rows_in += from.rows_in;
  into.rows_out += from.rows_out;
  for (const auto& entry : from.entries) {
    auto same = std::find_if(into.entries.begin(), into.entries.end(), [&](const CleaningLog::Entry& e) {
      return e.reason == entry.reason && e.action == entry.action && e.feature == entry.feature;
    });
    if (same == into.entries.end()) {
      into.entries.push_back(entry);
    } else {
      same->count += entry.count;
    }
  }
}

// Shards 1..N of one input, each exactly once, make that input whole again.
bool completes_one_input(const std::vector<Profile>& profiles) {
  const SourceInfo& first = profiles.front().source;
  if (first.shard_count == 0 || profiles.size() != first.shard_count) return false;
  std::set<uint32_t> indices;
  for (const Profile& profile : profiles) {
    const SourceInfo& source = profile.source;
    if (source.content_hash != first.content_hash || source.shard_count != first.shard_count) return false;
    indices.insert(source.shard_index);
  }
  return indices.size() == first.shard_count;
}

SourceInfo merged_source(const std::vector<Profile>& profiles) {
  SourceInfo source = profiles.front().source;
  if (completes_one_input(profiles)) {
    source.shard_index = 0;
    source.shard_count = 0;
    return source;
  }
  source.path = "(merged)";
  source.shard_index = 0;
  source.shard_count = 0;
  source.merged_from.clear();
  std::string concatenated;
  for (const Profile& profile : profiles) {
    const SourceInfo& part = profile.source;
    if (part.format != source.format) source.format = "mixed";
    std::vector<std::string> hashes = part.merged_from;
    if (hashes.empty()) {
      hashes.push_back(part.shard_count > 0 ? fmt::format("{}#shard{}/{}", part.content_hash,
                                                          part.shard_index, part.shard_count)
                                            : part.content_hash);
    }
    for (const auto& hash : hashes) {
      source.merged_from.push_back(hash);
      concatenated += hash + "\n";
    }
  }
  source.content_hash = fmt::format("xxh3:{:016x}", hash_string(concatenated));
  return source;
}

}  // namespace

Profile merge_profiles(std::vector<Profile> profiles, const std::vector<std::string>& origins) {
  if (profiles.empty()) throw UsageError("merge needs at least one profile");
  for (size_t i = 1; i < profiles.size(); ++i)
    check_same_schema(profiles[0], profiles[i], origins[0], origins[i]);
  SourceInfo source = merged_source(profiles);
  Profile merged = std::move(profiles[0]);
  for (size_t i = 1; i < profiles.size(); ++i) merge_profile_into(merged, profiles[i]);
  merged.source = std::move(source);
  return merged;
}

void merge_profile_into(Profile& into, const Profile& part) {
  into.rows += part.rows;
  for (size_t f = 0; f < into.features.size(); ++f) merge_feature(into.features[f], part.features[f]);
  if (into.covariance) into.covariance->merge(*part.covariance);
  if (into.tensor) merge_tensor(*into.tensor, *part.tensor);
  if (into.label) {
    into.label->missing += part.label->missing;
    into.label->counts.merge(part.label->counts);
  }
  merge_cleaning(into.cleaning, part.cleaning);
}

}  // namespace xferval
