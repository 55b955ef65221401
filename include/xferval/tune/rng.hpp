#pragma once
// The samplers' random source. Seeded runs reproduce exactly; the stream is not NumPy's, so
// values differ from Optuna's for the same seed (see docs/tune.md).
#include <cstdint>
#include <random>
#include <vector>

namespace xferval::tune {

class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}
  Rng() : engine_(std::random_device{}()) {}
  // Uniform on [0, 1) with 53 random bits, like NumPy's random_sample.
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  double uniform(double low, double high) { return low + (high - low) * uniform(); }
  // An index drawn with the given (normalised) probabilities, as numpy's choice(p=...) does.
  size_t choice(const std::vector<double>& cumulative) {
    double u = uniform() * cumulative.back();
    size_t lo = 0, hi = cumulative.size() - 1;
    while (lo < hi) {  // first index whose cumulative weight exceeds u
      size_t mid = (lo + hi) / 2;
      if (cumulative[mid] > u)
        hi = mid;
      else
        lo = mid + 1;
    }
    return lo;
  }
  void reseed(uint64_t seed) { engine_.seed(seed); }
  uint64_t next() { return engine_(); }

 private:
  std::mt19937_64 engine_;
};

}  // namespace xferval::tune
