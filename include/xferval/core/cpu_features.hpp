#pragma once
// The profile's vector kernels (CSV parsing, chunk sorting, runs, co-moments) run where the CPU has
// the AVX-512 features they need, checked at run time, unless XFERVAL_PORTABLE is set (to
// anything) in the environment: then they all take their portable paths, which give the same
// results (the co-moments to rounding), to compare the two or to rule the vector code out.
namespace xferval {

enum class VectorIsa {
  Avx512F,     // AVX-512 Foundation
  Avx512Full,  // AVX-512 F, DQ, CD, BW, VL and VBMI2, and BMI2 (Ice Lake, Zen 4 and later)
};

// Whether kernels written for `isa` may run here.
bool vector_isa_available(VectorIsa isa);

}  // namespace xferval
