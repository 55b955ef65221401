// Times a Ledoit-Wolf Gaussian fit plus the squared Mahalanobis distances of every row, the C++ side of
// bench/mahalanobis_vs_sklearn.py. Usage: mahalanobis_bench [rows.npy]; without a file, seeded correlated
// data of 100,000 x 256 float64 is generated. Prints "key value" lines for the script to parse.
#include <Eigen/Core>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

#include "xferval/io/array.hpp"
#include "xferval/stats/mahalanobis.hpp"
#include "xferval/stats/shrinkage.hpp"

namespace {

// Correlated Gaussian rows: independent normals (splitmix64 + Box-Muller) mixed by a fixed matrix.
Eigen::MatrixXd generate(Eigen::Index n, Eigen::Index p, uint64_t seed) {
  uint64_t state = seed;
  auto uniform = [&state] {
    uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return (static_cast<double>((z ^ (z >> 31)) >> 11) + 0.5) * 0x1.0p-53;
  };
  auto normals = [&](Eigen::Index rows, Eigen::Index cols) {
    Eigen::MatrixXd out(rows, cols);
    for (Eigen::Index i = 0; i < out.size(); ++i) {
      out.data()[i] = std::sqrt(-2.0 * std::log(uniform())) * std::cos(6.283185307179586 * uniform());
    }
    return out;
  };
  const Eigen::MatrixXd mixing = Eigen::MatrixXd::Identity(p, p) + normals(p, p) / std::sqrt(double(p));
  Eigen::MatrixXd rows = normals(n, p) * mixing;
  rows.rowwise() += Eigen::RowVectorXd::LinSpaced(p, 0.0, 1.0);
  return rows;
}

Eigen::MatrixXd read_npy(const std::string& path) {
  auto source = xferval::open_npy(path);
  const std::vector<int64_t>& shape = source->shape();
  if (shape.size() != 2) throw std::runtime_error(path + ": expected a 2-d array");
  std::vector<double> values;
  values.reserve(static_cast<size_t>(shape[0] * shape[1]));
  while (source->read(4096, values) > 0) {
  }
  // The file is in C order (row-major); Eigen's default is column-major.
  return Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
      values.data(), shape[0], shape[1]);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Eigen::MatrixXd rows = argc > 1 ? read_npy(argv[1]) : generate(100000, 256, 42);
    const auto start = std::chrono::steady_clock::now();
    const xferval::GaussianFit fit = xferval::fit_gaussian(rows);
    const double fit_seconds = seconds_since(start);
    const xferval::MahalanobisScorer scorer(fit.mean, fit.covariance(xferval::ShrinkageMethod::LedoitWolf));
    const Eigen::VectorXd distances = scorer.squared_distances(rows);
    const double total_seconds = seconds_since(start);
    std::printf("rows %lld\ncolumns %lld\n", static_cast<long long>(rows.rows()),
                static_cast<long long>(rows.cols()));
    std::printf("fit_seconds %.6f\nscore_seconds %.6f\nseconds %.6f\n", fit_seconds,
                total_seconds - fit_seconds, total_seconds);
    std::printf("shrinkage %.17g\nchecksum %.17g\nmean %.17g\n", fit.ledoit_wolf, distances.sum(),
                distances.mean());
    for (Eigen::Index i = 0; i < std::min<Eigen::Index>(5, distances.size()); ++i) {
      std::printf("row_%lld %.17g\n", static_cast<long long>(i), distances[i]);
    }
    std::printf("row_last %.17g\n", distances[distances.size() - 1]);
    return 0;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "mahalanobis_bench: %s\n", error.what());
    return 1;
  }
}
