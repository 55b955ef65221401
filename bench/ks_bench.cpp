// Times ks_2samp over many features: each feature's reference and current columns are sorted
// once and tested, features shared between worker threads. Prints "seconds <t>", then one line
// "<feature> <statistic> <p-value>" per feature for bench/ks_vs_scipy.py to check.
//
//   ks_bench [--rows N] [--features F] [--seed S] [--threads T]   data generated from the seed
//   ks_bench --npy reference.npy current.npy [--threads T]        float64 matrices, rows x features
//
// Generated data (reproduced by ks_vs_scipy.py with NumPy): u = splitmix64(seed + k * golden) as
// a 53-bit uniform in [0, 1), k = (side * F + feature) * N + row; reference = u, current =
// u^(1 + 0.002 feature), a drift that grows with the feature index.
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <thread>
#include <vector>

#include "xferval/io/array.hpp"
#include "xferval/stats/two_sample.hpp"

namespace {

using Columns = std::vector<std::vector<double>>;

uint64_t splitmix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

Columns generate(size_t rows, size_t features, uint64_t seed, int side) {
  constexpr uint64_t kGolden = 0x9E3779B97F4A7C15ULL;
  Columns columns(features, std::vector<double>(rows));
  for (size_t f = 0; f < features; ++f) {
    const double exponent = side == 0 ? 1.0 : 1.0 + 0.002 * static_cast<double>(f);
    for (size_t r = 0; r < rows; ++r) {
      const uint64_t k = (static_cast<uint64_t>(side) * features + f) * rows + r;
      const double u = static_cast<double>(splitmix64(seed + k * kGolden) >> 11) * 0x1.0p-53;
      columns[f][r] = side == 0 ? u : std::pow(u, exponent);
    }
  }
  return columns;
}

Columns read_npy_columns(const std::string& path) {
  auto source = xferval::open_npy(path);
  const auto& shape = source->shape();
  if (shape.size() != 2) throw std::runtime_error(path + ": expected a 2-d rows x features matrix");
  const size_t rows = static_cast<size_t>(shape[0]);
  const size_t features = static_cast<size_t>(shape[1]);
  std::vector<double> flat;
  flat.reserve(rows * features);
  while (source->read(65536, flat) > 0) {
  }
  Columns columns(features, std::vector<double>(rows));
  for (size_t r = 0; r < rows; ++r) {
    for (size_t f = 0; f < features; ++f) columns[f][r] = flat[r * features + f];
  }
  return columns;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    size_t rows = 1000000;
    size_t features = 64;
    uint64_t seed = 42;
    unsigned threads = 2;
    std::string npy_reference, npy_current;
    for (int i = 1; i < argc; ++i) {
      const std::string arg = argv[i];
      auto next = [&]() -> std::string {
        if (i + 1 >= argc) throw std::runtime_error("missing value after " + arg);
        return argv[++i];
      };
      if (arg == "--rows") {
        rows = std::stoull(next());
      } else if (arg == "--features") {
        features = std::stoull(next());
      } else if (arg == "--seed") {
        seed = std::stoull(next());
      } else if (arg == "--threads") {
        threads = static_cast<unsigned>(std::stoul(next()));
      } else if (arg == "--npy") {
        npy_reference = next();
        npy_current = next();
      } else {
        throw std::runtime_error("unknown argument " + arg);
      }
    }
    Columns reference, current;
    if (!npy_reference.empty()) {
      reference = read_npy_columns(npy_reference);
      current = read_npy_columns(npy_current);
      if (reference.size() != current.size())
        throw std::runtime_error("the matrices differ in feature count");
    } else {
      reference = generate(rows, features, seed, 0);
      current = generate(rows, features, seed, 1);
    }

    std::vector<xferval::TestResult> results(reference.size());
    std::atomic<size_t> next_feature{0};
    const auto start = std::chrono::steady_clock::now();
    auto worker = [&]() {
      for (size_t f = next_feature++; f < reference.size(); f = next_feature++) {
        // Sorted once per column; a caller testing one reference against several current
        // batches would keep the sorted reference.
        const std::vector<double> a = xferval::sorted_copy(reference[f]);
        const std::vector<double> b = xferval::sorted_copy(current[f]);
        results[f] = xferval::ks_2samp_sorted(a, b);
      }
    };
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < std::max(1u, threads); ++t) pool.emplace_back(worker);
    for (auto& t : pool) t.join();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    std::printf("seconds %.6f\n", seconds);
    for (size_t f = 0; f < results.size(); ++f) {
      std::printf("%zu %.17g %.17g\n", f, results[f].statistic, results[f].p_value);
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ks_bench: %s\n", e.what());
    return 1;
  }
}
