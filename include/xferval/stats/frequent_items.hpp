#pragma once
// Frequent values with counts: the Misra-Gries summary with `capacity` counters, mergeable
// (Agarwal et al. 2012). While no counter has ever been decremented the counts are exact and
// complete, which also gives a categorical feature's domain. Otherwise each reported count is a
// lower bound, at most max_error() below the true count.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace xferval {

template <typename Key>  // double or std::string
class FrequentItems {
 public:
  static constexpr size_t kDefaultCapacity = 128;
  explicit FrequentItems(size_t capacity = kDefaultCapacity);

  void update(const Key& key, uint64_t count = 1);
  void merge(const FrequentItems& other);  // capacities must match

  uint64_t total() const { return total_; }
  bool exact() const { return max_error_ == 0; }
  uint64_t max_error() const { return max_error_; }
  size_t capacity() const { return capacity_; }
  size_t size() const;
  // Up to `limit` keys by decreasing count (ties by increasing key).
  std::vector<std::pair<Key, uint64_t>> top(size_t limit) const;
  // Every tracked key with its count, sorted by key; the full domain when exact().
  std::vector<std::pair<Key, uint64_t>> items() const;

  nlohmann::json to_json() const;
  static FrequentItems from_json(const nlohmann::json& state);

 private:
  struct Impl;
  size_t capacity_;
  uint64_t total_ = 0;
  uint64_t max_error_ = 0;
  std::vector<std::pair<Key, uint64_t>> counters_;  // see the .cpp for the index structure
  std::vector<int32_t> index_;
};

extern template class FrequentItems<double>;
extern template class FrequentItems<std::string>;

}  // namespace xferval
