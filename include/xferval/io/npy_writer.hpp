#pragma once
#include <cstdint>
#include <string>

namespace xferval {

// The bytes of a version 1.0 .npy file holding a C-order float64 matrix of rows x columns.
std::string npy_float64_matrix(const double* values, uint64_t rows, uint64_t columns);

}  // namespace xferval
