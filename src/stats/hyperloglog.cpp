#include "xferval/stats/hyperloglog.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "stats/base64.hpp"

namespace xferval {

namespace {

constexpr const char* kName = "DistinctCounter";
constexpr size_t kRegisters = size_t{1} << DistinctCounter::kPrecision;
constexpr int kRemainingBits = 64 - DistinctCounter::kPrecision;
constexpr uint8_t kMaxRegister = kRemainingBits + 1;
// Hashes buffered unsorted before they are folded into the sorted exact set.
constexpr size_t kPendingBatch = 1024;

// Sorted unique union of a sorted unique set and an unsorted batch (the batch is sorted in place).
std::vector<uint64_t> sorted_union(const std::vector<uint64_t>& sorted, std::vector<uint64_t>& batch) {
  std::sort(batch.begin(), batch.end());
  std::vector<uint64_t> out(sorted.size() + batch.size());
  auto end = std::set_union(sorted.begin(), sorted.end(), batch.begin(), batch.end(), out.begin());
  out.erase(std::unique(out.begin(), end), out.end());
  return out;
}

// Ertl's sigma(x) = x + sum_k x^(2^k) 2^(k-1) and tau(x), the corrections for registers at 0
// and at the maximum.
double ertl_sigma(double x) {
  if (x == 1.0) return std::numeric_limits<double>::infinity();
  double y = 1.0;
  double z = x;
  double previous;
  do {
    x *= x;
    previous = z;
    z += x * y;
    y += y;
  } while (z != previous);
  return z;
}

double ertl_tau(double x) {
  if (x == 0.0 || x == 1.0) return 0.0;
  double y = 1.0;
  double z = 1.0 - x;
  double previous;
  do {
    x = std::sqrt(x);
    previous = z;
    y *= 0.5;
    z -= (1.0 - x) * (1.0 - x) * y;
  } while (z != previous);
  return z / 3.0;
}

constexpr double kAlphaInfinity = 0.72134752044448170368;  // 1 / (2 ln 2)

// The top bits pick the register; it keeps the most leading zeros of the remaining 50 bits,
// plus one (all zero gives 51), seen so far.
inline void update_register(uint8_t* registers, uint64_t hash) {
  const uint64_t rest = hash << DistinctCounter::kPrecision;
  const uint8_t value =
      rest == 0 ? kMaxRegister : static_cast<uint8_t>(std::min<int>(__builtin_clzll(rest) + 1, kMaxRegister));
  uint8_t& reg = registers[hash >> kRemainingBits];
  reg = value > reg ? value : reg;
}

}  // namespace

void DistinctCounter::add_to_registers(uint64_t hash) { update_register(registers_.data(), hash); }

void DistinctCounter::switch_to_registers() {
  registers_.assign(kRegisters, 0);
  for (uint64_t hash : exact_) add_to_registers(hash);
  for (uint64_t hash : pending_) add_to_registers(hash);
  exact_.clear();
  exact_.shrink_to_fit();
  pending_.clear();
  pending_.shrink_to_fit();
}

void DistinctCounter::add_hash(uint64_t hash) {
  if (!registers_.empty()) {
    add_to_registers(hash);
    return;
  }
  // Repeated values (low-cardinality columns) are by far the common case: a direct-mapped
  // cache of recent hashes skips them before they reach the batch and its sort.
  uint64_t& recent = recent_[hash % recent_.size()];
  if (recent == hash && hash != 0) return;
  recent = hash;
  pending_.push_back(hash);
  if (pending_.size() >= kPendingBatch) {
    exact_ = sorted_union(exact_, pending_);
    pending_.clear();
    if (exact_.size() > kExactLimit) switch_to_registers();
  }
}

void DistinctCounter::add_hashes(const uint64_t* hashes, size_t count) {
  // Distinct hashes this many would overflow the exact set in any case: the registers take them
  // directly, without the batch sorts on the way.
  if (exact() && count >= kExactLimit + kPendingBatch) switch_to_registers();
  size_t i = 0;
  for (; i < count && registers_.empty(); ++i) add_hash(hashes[i]);
  uint8_t* registers = registers_.data();
  for (; i < count; ++i) update_register(registers, hashes[i]);
}

void DistinctCounter::merge(const DistinctCounter& other) {
  if (&other == this) return;
  if (exact() && other.exact()) {
    std::vector<uint64_t> batch = pending_;
    batch.insert(batch.end(), other.exact_.begin(), other.exact_.end());
    batch.insert(batch.end(), other.pending_.begin(), other.pending_.end());
    exact_ = sorted_union(exact_, batch);
    pending_.clear();
    if (exact_.size() > kExactLimit) switch_to_registers();
    return;
  }
  if (exact()) switch_to_registers();
  if (other.exact()) {
    for (uint64_t hash : other.exact_) add_to_registers(hash);
    for (uint64_t hash : other.pending_) add_to_registers(hash);
    return;
  }
  for (size_t i = 0; i < kRegisters; ++i) registers_[i] = std::max(registers_[i], other.registers_[i]);
}

double DistinctCounter::estimate() const {
  if (exact()) {
    if (pending_.empty()) return static_cast<double>(exact_.size());
    std::vector<uint64_t> batch = pending_;
    return static_cast<double>(sorted_union(exact_, batch).size());
  }
  // Ertl's improved estimator ("New cardinality estimation algorithms for HyperLogLog
  // sketches", 2017, algorithm 6): unbiased over the whole range without empirical bias tables;
  // with many empty registers it is linear counting, where the classic raw estimate (switching
  // to linear counting below 2.5 m) is biased by up to 2% around n = 2.5 m.
  const double m = static_cast<double>(kRegisters);
  uint64_t histogram[kMaxRegister + 1] = {};
  for (uint8_t reg : registers_) ++histogram[reg];
  const int q = kRemainingBits;
  double z = m * ertl_tau(1.0 - static_cast<double>(histogram[q + 1]) / m);
  for (int k = q; k >= 1; --k) z = 0.5 * (z + static_cast<double>(histogram[k]));
  z += m * ertl_sigma(static_cast<double>(histogram[0]) / m);
  return kAlphaInfinity * m * m / z;
}

double DistinctCounter::relative_error() const {
  return exact() ? 0.0 : 1.04 / std::sqrt(static_cast<double>(kRegisters));
}

nlohmann::json DistinctCounter::to_json() const {
  if (exact()) {
    std::vector<uint64_t> batch = pending_;
    return {{"mode", "exact"}, {"hashes", detail::encode_words(sorted_union(exact_, batch))}};
  }
  return {{"mode", "registers"},
          {"precision", kPrecision},
          {"registers", detail::base64_encode(registers_.data(), registers_.size())}};
}

DistinctCounter DistinctCounter::from_json(const nlohmann::json& state) {
  const nlohmann::json& mode = detail::member(state, "mode", kName);
  DistinctCounter out;
  if (mode == "exact") {
    const nlohmann::json& hashes = detail::member(state, "hashes", kName);
    if (!hashes.is_string())
      throw std::invalid_argument("DistinctCounter state: hashes must be a base64 string");
    out.exact_ = detail::decode_words(hashes.get_ref<const std::string&>());
    if (!std::is_sorted(out.exact_.begin(), out.exact_.end()) ||
        std::adjacent_find(out.exact_.begin(), out.exact_.end()) != out.exact_.end()) {
      throw std::invalid_argument("DistinctCounter state: hashes must be sorted and unique");
    }
    // Up to a pending batch over the limit: a state whose last batch was not yet folded in.
    if (out.exact_.size() > kExactLimit + kPendingBatch) {
      throw std::invalid_argument("DistinctCounter state: too many exact hashes");
    }
    return out;
  }
  if (mode == "registers") {
    const nlohmann::json& precision = detail::member(state, "precision", kName);
    if (precision != kPrecision) {
      throw std::invalid_argument("DistinctCounter state: precision must be " + std::to_string(kPrecision));
    }
    const nlohmann::json& registers = detail::member(state, "registers", kName);
    if (!registers.is_string())
      throw std::invalid_argument("DistinctCounter state: registers must be a base64 string");
    out.registers_ = detail::base64_decode(registers.get_ref<const std::string&>());
    if (out.registers_.size() != kRegisters) {
      throw std::invalid_argument("DistinctCounter state: expected " + std::to_string(kRegisters) +
                                  " registers, got " + std::to_string(out.registers_.size()));
    }
    if (*std::max_element(out.registers_.begin(), out.registers_.end()) > kMaxRegister) {
      throw std::invalid_argument("DistinctCounter state: a register exceeds " +
                                  std::to_string(kMaxRegister));
    }
    return out;
  }
  throw std::invalid_argument("DistinctCounter state: mode must be \"exact\" or \"registers\", got " +
                              mode.dump());
}

}  // namespace xferval
