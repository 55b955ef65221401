#pragma once
// The profile's vector kernels (CSV parsing and indexing, chunk sorting, runs, co-moments) run
// where the CPU has the instruction set they are written for, checked at run time. XFERVAL_VECTOR
// in the environment caps what they may use, to compare paths or to rule the vector code out:
//   portable      none: every kernel takes its portable path
//   avx512f       AVX-512 Foundation
//   avx512        AVX-512 F, DQ, CD, BW and VL (Skylake-SP and later)
//   avx512vbmi2   those, VBMI2 and BMI2 (Ice Lake, Zen 4 and later); the default: no cap
// Every path gives the same results (the co-moments to rounding: another summation order).
#include <string>

namespace xferval {

enum class VectorIsa {
  Avx512F = 1,
  Avx512 = 2,
  Avx512Vbmi2 = 3,
};

// Whether kernels written for `isa` may run here: the CPU has it and XFERVAL_VECTOR allows it.
bool vector_isa_available(VectorIsa isa);

// "" when XFERVAL_VECTOR is unset or names a level above, else what is wrong with it.
std::string vector_setting_error();

}  // namespace xferval
