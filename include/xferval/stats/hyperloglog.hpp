#pragma once
// Distinct counts: an exact set of 64-bit hashes while it is small, then HyperLogLog with
// 2^14 registers (standard error 1.04/sqrt(16384) = 0.81%), with the small-range (linear
// counting) correction. Mergeable: exact + exact stays exact while small.
#include <cstdint>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace xferval {

class DistinctCounter {
 public:
  static constexpr int kPrecision = 14;
  static constexpr size_t kExactLimit = 4096;  // hashes kept exactly before switching to registers

  void add_hash(uint64_t hash);
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

  std::vector<uint64_t> exact_;    // sorted unique hashes while exact (kept small)
  std::vector<uint8_t> registers_;  // 2^kPrecision registers once approximate
  std::vector<uint64_t> pending_;   // unsorted recent hashes, folded into exact_ in batches
};

}  // namespace xferval
