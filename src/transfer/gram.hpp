#pragma once
// FᵀF for a tall feature matrix: the one O(N D²) step of LogME, so it gets its own kernel.
#include <Eigen/Core>

namespace xferval::transfer_detail {

// The D x D Gram matrix FᵀF (symmetric, both triangles filled) of an N x D matrix. Uses AVX-512 or
// AVX2 when the CPU has them (chosen at run time, so the build stays portable) and a few threads for
// large inputs.
Eigen::MatrixXd gram_of_columns(const Eigen::MatrixXd& features);

}  // namespace xferval::transfer_detail
