#pragma once
// Tail probabilities and quantiles of the reference distributions the drift tests need.
//
// The continuous families (normal, chi-square, F) are thin wrappers over boost::math, which
// agrees with SciPy's cephes routines to ~1e-14 relative. The Kolmogorov-Smirnov family has no
// Boost counterpart, so it is ported from SciPy 1.10 (scipy/special/cephes/kolmogorov.c and
// scipy/stats/_ksstats.py), keeping SciPy's choice of algorithm in every region so that p-values
// match SciPy's to ~1e-12.
//
// Arguments outside a distribution's domain (negative dof, p outside [0, 1], NaN) throw
// std::invalid_argument; tail probabilities at the edges of the support are 0 or 1 exactly.

namespace xferval::dist {

// P(Z > z) for a standard normal Z (scipy.stats.norm.sf). Accurate far into the upper tail,
// unlike 1 - cdf. z = +-inf gives 0 or 1.
double normal_sf(double z);

// Upper tail P(X > x) of chi-square with dof > 0 degrees of freedom (scipy.stats.chi2.sf);
// x <= 0 gives 1.
double chi2_sf(double x, double dof);

// Lower-tail quantile: the x with P(X <= x) = p (scipy.stats.chi2.ppf), p in [0, 1];
// chi2_quantile(0.99, 64) = 93.217.
double chi2_quantile(double p, double dof);

// Upper tail P(X > x) of Fisher's F with d1, d2 > 0 degrees of freedom (scipy.stats.f.sf);
// x <= 0 gives 1.
double f_sf(double x, double d1, double d2);

// Survival function of the limiting Kolmogorov distribution, P(sqrt(n) D_n > x) as n -> inf
// (scipy.special.kolmogorov); x <= 0 gives 1.
double kolmogorov_sf(double x);

// One-sided Smirnov survival function P(D_n^+ >= x) for a sample of size n >= 1
// (scipy.special.smirnov), x in [0, 1]; exact (Birnbaum-Tingey sum, evaluated in long double
// logarithms) for n <= 1,000,000, SciPy's exponential approximation above that.
double smirnov_sf(long long n, double x);

// Survival function of the exact two-sided one-sample statistic D_n (scipy.stats.kstwo.sf(x, n)),
// n >= 1: Durbin matrix, Pomeranz recursion, Pelz-Good approximation or 2 * smirnov_sf, chosen
// by region as Simard & L'Ecuyer (2011) and SciPy do.
double kstwo_sf(double x, long long n);

}  // namespace xferval::dist
