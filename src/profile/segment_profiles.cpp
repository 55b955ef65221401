#include "profile/segment_profiles.hpp"

#include <stdexcept>

#include "xferval/profile/merge.hpp"

namespace xferval {

SegmentProfiles::SegmentProfiles(std::vector<std::string> names, int label_column,
                                 size_t covariance_max_features)
    : names_(std::move(names)),
      label_column_(label_column),
      covariance_max_features_(covariance_max_features) {}

void SegmentProfiles::begin_pass(size_t segments, const std::vector<bool>& text_columns) {
  text_columns_ = text_columns;
  accumulators_.clear();
  accumulators_.resize(segments);
  finished_.clear();
  merged_.reset();
  next_to_merge_ = 0;
}

// Each segment's slot is only ever touched by the worker reading that segment.
TabularAccumulator& SegmentProfiles::accumulator(size_t segment) {
  std::unique_ptr<TabularAccumulator>& slot = accumulators_[segment];
  if (!slot) {
    slot =
        std::make_unique<TabularAccumulator>(names_, text_columns_, label_column_, covariance_max_features_);
    slot->set_feature_threads(false);  // the segments already keep every core busy
    // Segment 0 keeps the default seed, so a file of one segment profiles as before.
    if (segment > 0) slot->set_quantile_seed(KllSketch().seed() + 0x9e3779b97f4a7c15ULL * segment);
  }
  return *slot;
}

void SegmentProfiles::consume(size_t segment, const TableChunk& chunk) {
  TabularAccumulator& state = accumulator(segment);
  state.observe_token_facts(chunk);
  state.add(chunk, 0, chunk.rows);
}

void SegmentProfiles::end_segment(size_t segment) {
  Profile part;
  accumulator(segment).finish(part);
  accumulators_[segment].reset();
  std::lock_guard lock(mutex_);
  finished_.emplace(segment, std::move(part));
  for (auto next = finished_.find(next_to_merge_); next != finished_.end();
       next = finished_.find(next_to_merge_)) {
    if (merged_) {
      merge_profile_into(*merged_, next->second);
    } else {
      merged_ = std::move(next->second);
    }
    finished_.erase(next);
    ++next_to_merge_;
  }
}

Profile SegmentProfiles::take() {
  if (!merged_ || !finished_.empty() || next_to_merge_ != accumulators_.size()) {
    throw std::logic_error("SegmentProfiles::take: the scan did not end every segment");
  }
  Profile profile = std::move(*merged_);
  merged_.reset();
  return profile;
}

}  // namespace xferval
