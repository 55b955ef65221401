#pragma once
// Frequent values with counts: the Misra-Gries summary with `capacity` counters, mergeable
// (Agarwal et al. 2012). While no counter has ever been decremented the counts are exact and
// complete, which also gives a categorical feature's domain. Otherwise each reported count is a
// lower bound, at most max_error() below the true count, and max_error() <= total() / (capacity + 1).
//
// Updates are O(1) amortised: up to 2 * capacity counters are kept; when a new key would make
// it 2 * capacity + 1, the (capacity + 1)-th largest count is subtracted from every counter and
// the counters left at zero or below are dropped (at least capacity + 1 of them hold that count,
// so the total drops by (capacity + 1) times what is added to max_error()). merge() adds the
// counts and reduces the same way when the union exceeds 2 * capacity keys, so merging shards
// stays exact exactly when one pass over the whole stream would.
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <utility>
#include <vector>

namespace xferval {

template <typename Key>  // double or std::string
class FrequentItems {
 public:
  static constexpr size_t kDefaultCapacity = 128;
  explicit FrequentItems(size_t capacity = kDefaultCapacity);

  void update(const Key& key, uint64_t count = 1);
  void merge(const FrequentItems& other);  // capacities must match
  // Adds `count` keys, each with its hash (key_hash) and count, no key twice: the merge of an
  // exact summary of a block (e.g. the runs of a sorted chunk), so one reduction at most.
  void update_distinct(const std::pair<Key, uint64_t>* counted, const uint64_t* hashes, size_t count);
  // The same, told how many of the counts exceed 1 (a sorted chunk's runs know): a block of
  // mostly single keys then needs no search for the count it is reduced by.
  void update_distinct(const std::pair<Key, uint64_t>* counted, const uint64_t* hashes, size_t count,
                       size_t repeated);

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
  std::vector<uint64_t> hashes_;                    // hashes_[i]: the hash of counters_[i].first
  std::vector<int32_t> index_;
};

extern template class FrequentItems<double>;
extern template class FrequentItems<std::string>;

}  // namespace xferval
