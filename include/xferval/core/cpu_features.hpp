#pragma once
// The profile's vector kernels (CSV parsing, chunk sorting, runs, co-moments) each check at run
// time that the CPU has the AVX-512 features they need, and this switch: with XFERVAL_PORTABLE set
// (to anything) in the environment they all take their portable paths, which give the same
// results (the co-moments to rounding), to compare the two or to rule the vector code out.
namespace xferval {

bool portable_only();

}  // namespace xferval
