#pragma once
// <immintrin.h> for the files whose functions are compiled for AVX-512 by target attributes and
// run after a CPU check. GCC 12 reports the undefined pass-through operand inside its own AVX-512
// intrinsics (_mm512_undefined_epi32) as (maybe) used uninitialized; the intrinsics never read it,
// so those two warnings are off for the rest of such a file.
#include <immintrin.h>

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
