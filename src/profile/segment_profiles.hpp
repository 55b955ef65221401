#pragma once
// The profile of a CSV file read in segments (io/csv_segments.hpp): an accumulator per segment,
// made when the segment starts, finished when it ends, and merged in segment order as soon as
// every earlier segment is merged. The result depends on the file only, and at most the segments
// being read or waiting for an earlier one hold state, however large the file.
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "xferval/io/csv_segments.hpp"
#include "xferval/profile/accumulate.hpp"
#include "xferval/profile/profile.hpp"

namespace xferval {

class SegmentProfiles final : public CsvSegmentConsumer {
 public:
  SegmentProfiles(std::vector<std::string> names, int label_column, size_t covariance_max_features);

  void begin_pass(size_t segments, const std::vector<bool>& text_columns) override;
  void consume(size_t segment, const TableChunk& chunk) override;
  void end_segment(size_t segment) override;

  // The whole file's profile statistics, once a scan completed.
  Profile take();

 private:
  TabularAccumulator& accumulator(size_t segment);

  std::vector<std::string> names_;
  int label_column_;
  size_t covariance_max_features_;
  std::vector<bool> text_columns_;
  std::vector<std::unique_ptr<TabularAccumulator>> accumulators_;  // of segments being read
  std::mutex mutex_;                                               // guards what follows
  std::map<size_t, Profile> finished_;                             // waiting for an earlier segment
  std::optional<Profile> merged_;                                  // segments [0, next_to_merge_)
  size_t next_to_merge_ = 0;
};

}  // namespace xferval
