// Times logme_classification, the C++ side of bench/logme_vs_numpy.py. Usage:
//   logme_bench [features.npy labels.npy] [repeats]     or     logme_bench [repeats]
// Without files, seeded data is generated: N = 10,000 rows, D = 1,024 features, 10 classes (class-dependent
// means plus Gaussian noise). Prints "key value" lines for the script to parse; seconds is the best of
// `repeats` runs (default 3).
#include <Eigen/Core>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "xferval/io/array.hpp"
#include "xferval/transfer/logme.hpp"

namespace {

struct Data {
  Eigen::MatrixXd features;
  std::vector<int> labels;
};

// splitmix64 + Box-Muller: reproducible everywhere, no dependence on the standard library's distributions.
Data generate(Eigen::Index n, Eigen::Index d, int classes, uint64_t seed) {
  uint64_t state = seed;
  auto uniform = [&state] {
    uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return (static_cast<double>((z ^ (z >> 31)) >> 11) + 0.5) * 0x1.0p-53;
  };
  auto normal = [&] {
    return std::sqrt(-2.0 * std::log(uniform())) * std::cos(6.283185307179586 * uniform());
  };
  Eigen::MatrixXd class_means(classes, d);
  for (Eigen::Index i = 0; i < class_means.size(); ++i) class_means.data()[i] = 0.3 * normal();
  Data data{Eigen::MatrixXd(n, d), std::vector<int>(static_cast<size_t>(n))};
  for (Eigen::Index i = 0; i < n; ++i) data.labels[static_cast<size_t>(i)] = static_cast<int>(i % classes);
  for (Eigen::Index j = 0; j < d; ++j) {
    for (Eigen::Index i = 0; i < n; ++i) data.features(i, j) = class_means(i % classes, j) + normal();
  }
  return data;
}

std::vector<double> read_all(const std::string& path, std::vector<int64_t>& shape) {
  auto source = xferval::open_npy(path);
  shape = source->shape();
  std::vector<double> values;
  while (source->read(4096, values) > 0) {
  }
  return values;
}

Data load(const std::string& features_path, const std::string& labels_path) {
  std::vector<int64_t> shape, label_shape;
  std::vector<double> values = read_all(features_path, shape);
  std::vector<double> labels = read_all(labels_path, label_shape);
  if (shape.size() != 2 || label_shape.size() != 1 || label_shape[0] != shape[0]) {
    throw std::runtime_error("expected features N x D and labels N");
  }
  Data data{Eigen::Map<Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
                values.data(), shape[0], shape[1]),
            {}};
  for (double label : labels) data.labels.push_back(static_cast<int>(label));
  return data;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const bool from_files = argc >= 3;
    Data data = from_files ? load(argv[1], argv[2]) : generate(10000, 1024, 10, 42);
    const int repeats =
        argc >= 4 ? std::max(1, std::stoi(argv[3])) : (argc == 2 ? std::max(1, std::stoi(argv[1])) : 3);
    double best = 1e300;
    xferval::LogMeResult result;
    for (int r = 0; r < repeats; ++r) {
      const auto start = std::chrono::steady_clock::now();
      result = xferval::logme_classification(data.features, data.labels);
      best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    std::printf("rows %ld\ncols %ld\nclasses %zu\nscore %.17g\nseconds %.6f\n",
                static_cast<long>(data.features.rows()), static_cast<long>(data.features.cols()),
                result.per_target.size(), result.score, best);
    return 0;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "logme_bench: %s\n", error.what());
    return 1;
  }
}
