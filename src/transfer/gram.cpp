#include "gram.hpp"

#include <algorithm>
#include <cstring>
#include <thread>
#include <vector>

namespace xferval::transfer_detail {
namespace {

// The project builds for baseline x86-64 (SSE2), where Eigen's product runs at a quarter of what the
// CPUs here can do. This kernel is compiled three times with different target attributes and the best
// one the CPU supports is picked at run time. Accumulation order differs from Eigen's, so results agree
// to rounding (~1e-15 relative), not bit for bit.
constexpr Eigen::Index kPanelWidth = 16;    // Gram columns per tile: two 8-double vectors
constexpr Eigen::Index kTileRows = 8;       // Gram rows per tile
constexpr Eigen::Index kSampleBlock = 256;  // rows of F packed at a time (fits the packed block in L2)
constexpr double kParallelWork = 2e8;       // multiply-adds below which a second thread is not worth it

typedef double Vector8 __attribute__((vector_size(64)));

// Rows [first, first + count) of F as panels: panel p holds columns 16p..16p+15 row after row,
// zero-padded past the last column, so the kernel reads 16 contiguous doubles per row.
void pack_block(const Eigen::MatrixXd& features, Eigen::Index first, Eigen::Index count, Eigen::Index panels,
                std::vector<double>& packed) {
  packed.assign(static_cast<size_t>(panels * count * kPanelWidth), 0.0);
  for (Eigen::Index column = 0; column < features.cols(); ++column) {
    double* out = packed.data() + (column / kPanelWidth) * count * kPanelWidth + column % kPanelWidth;
    const double* in = features.col(column).data() + first;
    for (Eigen::Index row = 0; row < count; ++row) out[row * kPanelWidth] = in[row];
  }
}

// Adds the packed block's contribution to the lower block triangle of the padded row-major Gram matrix.
inline __attribute__((always_inline)) void accumulate_block_body(const double* packed, Eigen::Index count,
                                                                 Eigen::Index panels, double* gram,
                                                                 Eigen::Index padded) {
  for (Eigen::Index a_panel = 0; a_panel < panels; ++a_panel) {
    for (Eigen::Index a_offset = 0; a_offset < kPanelWidth; a_offset += kTileRows) {
      const double* a_base = packed + a_panel * count * kPanelWidth + a_offset;
      for (Eigen::Index b_panel = 0; b_panel <= a_panel; ++b_panel) {
        const double* b_base = packed + b_panel * count * kPanelWidth;
        Vector8 sums[kTileRows][2] = {};
        for (Eigen::Index row = 0; row < count; ++row) {
          Vector8 b_low, b_high;
          std::memcpy(&b_low, b_base + row * kPanelWidth, sizeof(Vector8));
          std::memcpy(&b_high, b_base + row * kPanelWidth + 8, sizeof(Vector8));
          const double* a = a_base + row * kPanelWidth;
          for (int i = 0; i < kTileRows; ++i) {
            sums[i][0] += a[i] * b_low;
            sums[i][1] += a[i] * b_high;
          }
        }
        for (int i = 0; i < kTileRows; ++i) {
          double* out = gram + (a_panel * kPanelWidth + a_offset + i) * padded + b_panel * kPanelWidth;
          for (int j = 0; j < 8; ++j) {
            out[j] += sums[i][0][j];
            out[8 + j] += sums[i][1][j];
          }
        }
      }
    }
  }
}

__attribute__((target("avx512f"))) void accumulate_block_avx512(const double* packed, Eigen::Index count,
                                                                Eigen::Index panels, double* gram,
                                                                Eigen::Index padded) {
  accumulate_block_body(packed, count, panels, gram, padded);
}

__attribute__((target("avx2,fma"))) void accumulate_block_avx2(const double* packed, Eigen::Index count,
                                                               Eigen::Index panels, double* gram,
                                                               Eigen::Index padded) {
  accumulate_block_body(packed, count, panels, gram, padded);
}

void accumulate_block_baseline(const double* packed, Eigen::Index count, Eigen::Index panels, double* gram,
                               Eigen::Index padded) {
  accumulate_block_body(packed, count, panels, gram, padded);
}

using BlockKernel = void (*)(const double*, Eigen::Index, Eigen::Index, double*, Eigen::Index);

BlockKernel best_kernel() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return accumulate_block_avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return accumulate_block_avx2;
  return accumulate_block_baseline;
}

// Gram contribution of sample blocks [first_block, last_block) into a padded row-major matrix.
void accumulate_blocks(const Eigen::MatrixXd& features, Eigen::Index first_block, Eigen::Index last_block,
                       Eigen::Index panels, std::vector<double>& gram) {
  const BlockKernel kernel = best_kernel();
  const Eigen::Index padded = panels * kPanelWidth;
  std::vector<double> packed;
  for (Eigen::Index block = first_block; block < last_block; ++block) {
    const Eigen::Index first = block * kSampleBlock;
    const Eigen::Index count = std::min(kSampleBlock, features.rows() - first);
    pack_block(features, first, count, panels, packed);
    kernel(packed.data(), count, panels, gram.data(), padded);
  }
}

}  // namespace

Eigen::MatrixXd gram_of_columns(const Eigen::MatrixXd& features) {
  const Eigen::Index n = features.rows(), d = features.cols();
  const Eigen::Index panels = (d + kPanelWidth - 1) / kPanelWidth;
  const Eigen::Index padded = panels * kPanelWidth;
  const Eigen::Index blocks = (n + kSampleBlock - 1) / kSampleBlock;
  const double work = static_cast<double>(n) * static_cast<double>(d) * static_cast<double>(d) / 2;
  const Eigen::Index threads = work < kParallelWork
                                   ? 1
                                   : std::clamp<Eigen::Index>(std::thread::hardware_concurrency(), 1,
                                                              std::min<Eigen::Index>(4, blocks));
  std::vector<std::vector<double>> partial(static_cast<size_t>(threads),
                                           std::vector<double>(static_cast<size_t>(padded * padded), 0.0));
  std::vector<std::thread> workers;
  for (Eigen::Index t = 1; t < threads; ++t) {
    workers.emplace_back([&, t] {
      accumulate_blocks(features, blocks * t / threads, blocks * (t + 1) / threads, panels, partial[t]);
    });
  }
  accumulate_blocks(features, 0, blocks / threads, panels, partial[0]);
  for (std::thread& worker : workers) worker.join();
  for (Eigen::Index t = 1; t < threads; ++t) {
    for (size_t i = 0; i < partial[0].size(); ++i) partial[0][i] += partial[t][i];
  }
  // Row-major lower block triangle -> full symmetric matrix.
  Eigen::MatrixXd gram(d, d);
  for (Eigen::Index row = 0; row < d; ++row) {
    for (Eigen::Index column = 0; column <= row; ++column) {
      const double value = partial[0][static_cast<size_t>(row * padded + column)];
      gram(row, column) = value;
      gram(column, row) = value;
    }
  }
  return gram;
}

}  // namespace xferval::transfer_detail
