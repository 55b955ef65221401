#pragma once
// Distinct counts: an exact set of 64-bit hashes while it is small, then HyperLogLog with
// 2^14 registers (standard error 1.04/sqrt(16384) = 0.81%). A register holds the number of
// leading zeros of the hash's low 50 bits plus one (the top 14 bits pick the register). The
// estimate is Ertl's improved estimator (2017), which is linear counting in the small range and
// unbiased without HLL++'s empirical tables through the range where the classic switch from
// linear counting to the raw estimate (at 2.5 * 2^14) is biased. No large-range correction is
// needed with 64-bit hashes. Mergeable: exact + exact stays exact while small; otherwise the
// registers' maximum.
#include <array>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <vector>

namespace xferval {

class DistinctCounter {
 public:
  static constexpr int kPrecision = 14;
  // Hashes kept exactly before switching to registers. New hashes are buffered and folded into
  // the sorted set in batches of 1024, so a set can briefly hold up to 1023 more before switching.
  static constexpr size_t kExactLimit = 4096;

  void add_hash(uint64_t hash);
  // add_hash of each, in one call, for hashes of distinct keys (the runs of a sorted block): a
  // batch of more than the exact set can hold goes straight to the registers.
  void add_hashes(const uint64_t* hashes, size_t count);
  void merge(const DistinctCounter& other);
  double estimate() const;
  bool exact() const { return registers_.empty(); }
  // Standard relative error of estimate(): 0 while exact, else 1.04 / sqrt(2^14).
  double relative_error() const;

  nlohmann::json to_json() const;  // registers base64-encoded
  static DistinctCounter from_json(const nlohmann::json& state);

 private:
  void switch_to_registers();
  void add_to_registers(uint64_t hash);

  std::vector<uint64_t> exact_;         // sorted unique hashes while exact (kept small)
  std::vector<uint8_t> registers_;      // 2^kPrecision registers once approximate
  std::vector<uint64_t> pending_;       // unsorted recent hashes, folded into exact_ in batches
  std::array<uint64_t, 256> recent_{};  // hashes seen lately (not state: only skips repeats)
};

}  // namespace xferval
