#include "xferval/stats/frequent_items.hpp"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "stats/base64.hpp"
#include "xferval/core/hash.hpp"

// Index structure: counters_ holds the tracked keys with their counts (and hashes_ their hashes)
// in insertion order; index_ is an open-addressing table with linear probing, a power of two of
// at least 4 * capacity slots, each -1 (empty) or the position of a counter. The table holds at
// most 2 * capacity + 1 counters, so it is at most about half full and misses end quickly. A
// reduction rebuilds the table from scratch (there are no deletions otherwise).

namespace xferval {

namespace {

constexpr const char* kName = "FrequentItems";

uint64_t key_hash(double key) { return hash_number(key); }
uint64_t key_hash(const std::string& key) { return hash_string(key); }

bool key_equal(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }
bool key_equal(const std::string& a, const std::string& b) { return a == b; }

// Increasing order, NaN last.
bool key_less(double a, double b) { return a < b || (!std::isnan(a) && std::isnan(b)); }
bool key_less(const std::string& a, const std::string& b) { return a < b; }

nlohmann::json key_to_json(double key) { return detail::encode_double(key); }
nlohmann::json key_to_json(const std::string& key) { return key; }

void key_from_json(const nlohmann::json& value, double& key) {
  key = detail::decode_double(value, "FrequentItems state: key");
}
void key_from_json(const nlohmann::json& value, std::string& key) {
  if (!value.is_string())
    throw std::invalid_argument("FrequentItems state: key must be a string, got " + value.dump());
  key = value.get<std::string>();
}

size_t table_size(size_t capacity) {
  size_t size = 8;
  while (size < 4 * capacity) size *= 2;
  return size;
}

}  // namespace

template <typename Key>
struct FrequentItems<Key>::Impl {
  using Self = FrequentItems<Key>;

  static size_t mask(const Self& self) { return self.index_.size() - 1; }

  // The position in counters_ of the key, or -1; `slot` receives where the probe ended.
  static int32_t find(const Self& self, const Key& key, uint64_t hash, size_t& slot) {
    const size_t m = mask(self);
    slot = static_cast<size_t>(hash) & m;
    while (true) {
      const int32_t at = self.index_[slot];
      if (at < 0) return -1;
      const auto position = static_cast<size_t>(at);
      if (self.hashes_[position] == hash && key_equal(self.counters_[position].first, key)) return at;
      slot = (slot + 1) & m;
    }
  }

  static void insert_at(Self& self, size_t slot, const Key& key, uint64_t hash, uint64_t count) {
    self.index_[slot] = static_cast<int32_t>(self.counters_.size());
    self.counters_.emplace_back(key, count);
    self.hashes_.push_back(hash);
  }

  static void rebuild_index(Self& self) {
    std::fill(self.index_.begin(), self.index_.end(), -1);
    const size_t m = mask(self);
    for (size_t i = 0; i < self.hashes_.size(); ++i) {
      size_t slot = static_cast<size_t>(self.hashes_[i]) & m;
      while (self.index_[slot] >= 0) slot = (slot + 1) & m;
      self.index_[slot] = static_cast<int32_t>(i);
    }
  }

  // Subtracts the (capacity + 1)-th largest count from every counter, drops those left at zero
  // or below, and adds it to max_error_.
  static void reduce(Self& self) {
    if (self.counters_.size() <= self.capacity_) return;
    const uint64_t cut = cut_count(self);
    size_t kept = 0;
    for (size_t i = 0; i < self.counters_.size(); ++i) {
      if (self.counters_[i].second <= cut) continue;
      if (kept != i) {
        self.counters_[kept] = std::move(self.counters_[i]);
        self.hashes_[kept] = self.hashes_[i];
      }
      self.counters_[kept].second -= cut;
      ++kept;
    }
    self.counters_.resize(kept);
    self.hashes_.resize(kept);
    self.max_error_ += cut;
    rebuild_index(self);
  }

  // The (capacity + 1)-th largest count.
  static uint64_t cut_count(const Self& self) {
    return largest(self.counters_.data(), self.counters_.size(), self.capacity_ + 1);
  }

  // The rank-th largest count of `count` counted keys (1-based, rank <= count). Counts are mostly
  // small (all 1 for a continuous column), so a histogram of the counts below kSmall usually
  // answers in one pass without allocating; otherwise nth_element on a copy.
  static uint64_t largest(const std::pair<Key, uint64_t>* counted, size_t count, size_t rank) {
    constexpr uint64_t kSmall = 64;
    uint32_t histogram[kSmall] = {};
    size_t large = 0;
    size_t ones = 0;  // in a register: incrementing one histogram slot in a row waits on memory
    for (size_t i = 0; i < count; ++i) {
      const uint64_t value = counted[i].second;
      if (value == 1) {
        ++ones;
      } else if (value < kSmall) {
        ++histogram[value];
      } else {
        ++large;
      }
    }
    histogram[1] += static_cast<uint32_t>(ones);
    if (large < rank) {
      size_t seen = large;
      for (uint64_t value = kSmall - 1; value > 0; --value) {
        seen += histogram[value];
        if (seen >= rank) return value;
      }
    }
    std::vector<uint64_t> counts(count);
    for (size_t i = 0; i < count; ++i) counts[i] = counted[i].second;
    auto nth = counts.begin() + static_cast<std::ptrdiff_t>(rank - 1);
    std::nth_element(counts.begin(), nth, counts.end(), std::greater<uint64_t>());
    return *nth;
  }
};

template <typename Key>
FrequentItems<Key>::FrequentItems(size_t capacity) : capacity_(capacity) {
  if (capacity == 0 || capacity > (size_t{1} << 28)) {
    throw std::invalid_argument("FrequentItems: capacity must be in [1, 2^28]");
  }
  index_.assign(table_size(capacity), -1);
  counters_.reserve(2 * capacity + 1);
  hashes_.reserve(2 * capacity + 1);
}

template <typename Key>
void FrequentItems<Key>::update(const Key& key, uint64_t count) {
  if (count == 0) return;
  total_ += count;
  const uint64_t hash = key_hash(key);
  size_t slot;
  const int32_t at = Impl::find(*this, key, hash, slot);
  if (at >= 0) {
    counters_[static_cast<size_t>(at)].second += count;
    return;
  }
  Impl::insert_at(*this, slot, key, hash, count);
  if (counters_.size() > 2 * capacity_) Impl::reduce(*this);
}

template <typename Key>
void FrequentItems<Key>::merge(const FrequentItems& other) {
  if (other.capacity_ != capacity_) {
    throw std::invalid_argument("FrequentItems::merge: capacities differ (" + std::to_string(capacity_) +
                                " and " + std::to_string(other.capacity_) + ")");
  }
  if (&other == this) {
    const FrequentItems copy = other;
    merge(copy);
    return;
  }
  // The other summary's total also counts what its reductions took away.
  const uint64_t total = total_ + other.total_;
  max_error_ += other.max_error_;
  update_distinct(other.counters_.data(), other.hashes_.data(), other.counters_.size());
  total_ = total;
}

template <typename Key>
void FrequentItems<Key>::update_distinct(const std::pair<Key, uint64_t>* counted, const uint64_t* hashes,
                                         size_t count) {
  size_t repeated = 0;
  for (size_t i = 0; i < count; ++i) repeated += counted[i].second > 1 ? 1 : 0;
  update_distinct(counted, hashes, count, repeated);
}

template <typename Key>
void FrequentItems<Key>::update_distinct(const std::pair<Key, uint64_t>* counted, const uint64_t* hashes,
                                         size_t count, size_t repeated) {
  // A block of more than 2 * capacity keys is first reduced on its own: its (capacity + 1)-th
  // largest count comes off every key (an MG summary of the block, error at most its total /
  // (capacity + 1)), which for a continuous column's chunk (every count 1) leaves nothing to look
  // up. Then the union (Agarwal et al.): counts added, keys new to this summary after the existing
  // ones in the given order, and one more reduction if the union is over the bound.
  uint64_t block_cut = 0;
  if (count > 2 * capacity_) {
    // With at most capacity counts above 1, the (capacity + 1)-th largest is a 1.
    block_cut = repeated <= capacity_ ? 1 : Impl::largest(counted, count, capacity_ + 1);
    max_error_ += block_cut;
  }
  const size_t existing = counters_.size();
  uint64_t total = 0;  // in a register: adding to total_ in the loop would wait on memory
  for (size_t i = 0; i < count; ++i) {
    total += counted[i].second;
    if (counted[i].second <= block_cut) continue;
    const uint64_t kept = counted[i].second - block_cut;
    size_t slot;
    const int32_t at = Impl::find(*this, counted[i].first, hashes[i], slot);
    if (at >= 0) {
      counters_[static_cast<size_t>(at)].second += kept;
    } else {
      counters_.emplace_back(counted[i].first, kept);
      hashes_.push_back(hashes[i]);
    }
  }
  total_ += total;
  if (counters_.size() > 2 * capacity_) {
    Impl::reduce(*this);
  } else if (counters_.size() != existing) {
    Impl::rebuild_index(*this);
  }
}

template <typename Key>
size_t FrequentItems<Key>::size() const {
  return counters_.size();
}

template <typename Key>
std::vector<std::pair<Key, uint64_t>> FrequentItems<Key>::top(size_t limit) const {
  std::vector<std::pair<Key, uint64_t>> out = counters_;
  auto before = [](const std::pair<Key, uint64_t>& a, const std::pair<Key, uint64_t>& b) {
    if (a.second != b.second) return a.second > b.second;
    return key_less(a.first, b.first);
  };
  if (limit < out.size()) {
    std::partial_sort(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(limit), out.end(), before);
    out.resize(limit);
  } else {
    std::sort(out.begin(), out.end(), before);
  }
  return out;
}

template <typename Key>
std::vector<std::pair<Key, uint64_t>> FrequentItems<Key>::items() const {
  std::vector<std::pair<Key, uint64_t>> out = counters_;
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return key_less(a.first, b.first); });
  return out;
}

template <typename Key>
nlohmann::json FrequentItems<Key>::to_json() const {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [key, count] : items()) list.push_back(nlohmann::json::array({key_to_json(key), count}));
  return {{"capacity", capacity_}, {"total", total_}, {"max_error", max_error_}, {"items", std::move(list)}};
}

template <typename Key>
FrequentItems<Key> FrequentItems<Key>::from_json(const nlohmann::json& state) {
  const uint64_t capacity =
      detail::decode_count(detail::member(state, "capacity", kName), "FrequentItems state: capacity");
  if (capacity == 0 || capacity > (uint64_t{1} << 28)) {
    throw std::invalid_argument("FrequentItems state: capacity must be in [1, 2^28]");
  }
  FrequentItems out(static_cast<size_t>(capacity));
  out.total_ = detail::decode_count(detail::member(state, "total", kName), "FrequentItems state: total");
  out.max_error_ =
      detail::decode_count(detail::member(state, "max_error", kName), "FrequentItems state: max_error");
  const nlohmann::json& list = detail::member(state, "items", kName);
  if (!list.is_array()) throw std::invalid_argument("FrequentItems state: items must be an array");
  if (list.size() > 2 * capacity) {
    throw std::invalid_argument("FrequentItems state: more than 2 * capacity items");
  }
  uint64_t sum = 0;
  for (const nlohmann::json& entry : list) {
    if (!entry.is_array() || entry.size() != 2) {
      throw std::invalid_argument("FrequentItems state: each item must be a [key, count] pair");
    }
    Key key;
    key_from_json(entry[0], key);
    const uint64_t count = detail::decode_count(entry[1], "FrequentItems state: count");
    if (count == 0) throw std::invalid_argument("FrequentItems state: an item has count 0");
    const uint64_t hash = key_hash(key);
    size_t slot;
    if (Impl::find(out, key, hash, slot) >= 0)
      throw std::invalid_argument("FrequentItems state: duplicate key");
    Impl::insert_at(out, slot, key, hash, count);
    sum += count;
    if (sum < count) throw std::invalid_argument("FrequentItems state: counts overflow");
  }
  if (sum > out.total_ || (out.max_error_ == 0 && sum != out.total_)) {
    throw std::invalid_argument("FrequentItems state: the counts do not add up to total");
  }
  return out;
}

template class FrequentItems<double>;
template class FrequentItems<std::string>;

}  // namespace xferval
