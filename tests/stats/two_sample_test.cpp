#include "xferval/stats/two_sample.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "test_support.hpp"
#include "xferval/stats/kll.hpp"

namespace xferval {
namespace {

using nlohmann::json;
using testing::NumericColumns;
using testing::read_numeric_columns;
using testing::run_python;
using testing::TempDir;

void expect_relative(double actual, double expected, double relative, const std::string& what) {
  const double tolerance = std::max(relative * std::abs(expected), 1e-300);
  EXPECT_NEAR(actual, expected, tolerance) << what;
}

// Hands float64 arrays to Python bit for bit: each is written as raw little-endian doubles and
// read back with np.fromfile.
class ArrayFiles {
 public:
  std::string add(const std::vector<double>& values) {
    const std::string name = "a" + std::to_string(count_++) + ".f8";
    const std::string bytes(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(double));
    const auto path = dir_.write(name, bytes);
    return "np.fromfile('" + path.string() + "', dtype='<f8')";
  }

 private:
  TempDir dir_;
  size_t count_ = 0;
};

std::vector<double> slice(const std::vector<double>& values, size_t begin, size_t end) {
  return {values.begin() + static_cast<std::ptrdiff_t>(begin),
          values.begin() + static_cast<std::ptrdiff_t>(end)};
}

std::vector<double> every_other(const std::vector<double>& values, size_t offset) {
  std::vector<double> out;
  for (size_t i = offset; i < values.size(); i += 2) out.push_back(values[i]);
  return out;
}

// A deterministic large sample from a real column: the column repeated, copy r scaled by
// (1 + r * step) so that copies do not tie unless step is 0 (then ties are kept on purpose).
std::vector<double> repeat_column(const std::vector<double>& column, size_t size, double step) {
  std::vector<double> out(size);
  for (size_t i = 0; i < size; ++i) {
    const double copy = static_cast<double>(i / column.size());
    out[i] = column[i % column.size()] * (1.0 + copy * step);
  }
  return out;
}

struct KsCase {
  std::string name;
  std::vector<double> a;
  std::vector<double> b;
};

// Runs every case through scipy.stats.ks_2samp in one Python process and compares statistic and
// p-value to 1e-9 relative.
void check_against_scipy(const std::vector<KsCase>& cases) {
  ArrayFiles files;
  std::string code = "import json, numpy as np\nfrom scipy import stats\nout = []\n";
  for (const auto& c : cases) {
    code += "r = stats.ks_2samp(" + files.add(c.a) + ", " + files.add(c.b) + ")\n";
    code += "out.append([float(r.statistic), float(r.pvalue)])\n";
  }
  code += "print(json.dumps(out))\n";
  const json expected = json::parse(run_python(code));
  ASSERT_EQ(expected.size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    const TestResult mine = ks_2samp(cases[i].a, cases[i].b);
    const std::string what = cases[i].name + " (" + std::to_string(cases[i].a.size()) + " vs " +
                             std::to_string(cases[i].b.size()) + ")";
    expect_relative(mine.statistic, expected[i][0].get<double>(), 1e-9, what + " statistic");
    expect_relative(mine.p_value, expected[i][1].get<double>(), 1e-9, what + " p-value");
    // The pre-sorted entry point must agree exactly with the copying one.
    const TestResult sorted = ks_2samp_sorted(sorted_copy(cases[i].a), sorted_copy(cases[i].b));
    EXPECT_EQ(sorted.statistic, mine.statistic) << what;
    EXPECT_EQ(sorted.p_value, mine.p_value) << what;
  }
}

TEST(TwoSampleKs, WineColumnsMatchScipyExact) {
  // Rows are ordered by cultivar: first half vs second half drifts strongly; even vs odd rows
  // does not. Sizes 89/89 (equal: the square formula) and 89/90 (the lattice-path band).
  const NumericColumns wine = read_numeric_columns("data/wine.csv");
  ASSERT_EQ(wine.values.size(), 13u);
  std::vector<KsCase> cases;
  for (size_t c = 0; c < wine.values.size(); ++c) {
    const auto& col = wine.values[c];
    const size_t half = col.size() / 2;
    cases.push_back({"wine halves " + wine.names[c], slice(col, 0, half), slice(col, half, col.size())});
    cases.push_back({"wine parity " + wine.names[c], every_other(col, 0), every_other(col, 1)});
    cases.push_back({"wine 40 vs 130 " + wine.names[c], slice(col, 0, 40), slice(col, 48, col.size())});
  }
  check_against_scipy(cases);
}

TEST(TwoSampleKs, BreastCancerAndDigitsMatchScipyExact) {
  const NumericColumns cancer = read_numeric_columns("data/breast_cancer.csv");
  const NumericColumns digits = read_numeric_columns("data/digits.csv");
  ASSERT_GE(cancer.values.size(), 30u);
  ASSERT_GE(digits.values.size(), 64u);
  std::vector<KsCase> cases;
  for (size_t c = 0; c < 30; c += 3) {
    const auto& col = cancer.values[c];
    cases.push_back({"cancer halves " + cancer.names[c], slice(col, 0, 285), slice(col, 285, col.size())});
    cases.push_back({"cancer 200/200 " + cancer.names[c], slice(col, 0, 200), slice(col, 369, col.size())});
  }
  // Pixel intensities 0..16: heavy ties, and columns that are all 0 in both halves (D = 0).
  for (size_t c = 0; c < 64; c += 5) {
    const auto& col = digits.values[c];
    cases.push_back({"digits halves " + digits.names[c], slice(col, 0, 900), slice(col, 900, col.size())});
  }
  // One sample of size 1, and a pair where the whole second sample is above the first.
  cases.push_back({"size one", {cancer.values[0][0]}, slice(cancer.values[0], 1, 60)});
  std::vector<double> shifted = slice(cancer.values[1], 0, 50);
  for (double& v : shifted) v += 1000;
  cases.push_back({"disjoint", slice(cancer.values[1], 50, 120), shifted});
  check_against_scipy(cases);
}

TEST(TwoSampleKs, LargestExactSizesMatchScipy) {
  // Near SciPy's 10000 limit the lattice-path recursion runs 1e8 steps; both p-value regimes.
  const NumericColumns cancer = read_numeric_columns("data/breast_cancer.csv");
  const auto& area = cancer.values[3];
  std::vector<KsCase> cases;
  cases.push_back({"exact 10000 vs 7001 similar", repeat_column(area, 10000, 1e-7),
                   repeat_column(slice(area, 1, area.size()), 7001, 1.3e-7)});
  cases.push_back({"exact 9000 vs 9000 similar", repeat_column(area, 9000, 1e-7),
                   repeat_column(every_other(area, 1), 9000, 1e-7)});
  std::vector<double> scaled = repeat_column(area, 7001, 2e-7);
  for (double& v : scaled) v *= 1.02;
  cases.push_back({"exact 10000 vs 7001 drifted", repeat_column(area, 10000, 1e-7), scaled});
  check_against_scipy(cases);
}

TEST(TwoSampleKs, AsymptoticPathMatchesScipy) {
  // max(n1, n2) > 10000 switches SciPy to kstwo.sf(D, round(n1 n2 / (n1 + n2))), whose own
  // algorithm depends on n and n D^2: these sizes reach Durbin, Pelz-Good and 2 * smirnov, and
  // (20000 vs 100) the small-n branches.
  const NumericColumns cancer = read_numeric_columns("data/breast_cancer.csv");
  const NumericColumns digits = read_numeric_columns("data/digits.csv");
  const auto& texture = cancer.values[1];
  const auto& area = cancer.values[3];
  std::vector<KsCase> cases;
  cases.push_back({"12000 vs 15000 similar", repeat_column(every_other(texture, 0), 12000, 1e-6),
                   repeat_column(every_other(texture, 1), 15000, 1e-6)});
  std::vector<double> drifted = repeat_column(area, 15000, 1e-6);
  for (double& v : drifted) v *= 1.05;
  cases.push_back({"12000 vs 15000 drifted", repeat_column(area, 12000, 1e-6), drifted});
  // Digits repeated without perturbation: ties everywhere.
  cases.push_back({"digits ties", repeat_column(digits.values[20], 12586, 0.0),
                   repeat_column(digits.values[21], 17980, 0.0)});
  cases.push_back({"digits ties same column", repeat_column(slice(digits.values[36], 0, 900), 11000, 0.0),
                   repeat_column(slice(digits.values[36], 900, 1797), 10800, 0.0)});
  cases.push_back({"20000 vs 100", repeat_column(texture, 20000, 1e-6), slice(texture, 100, 200)});
  cases.push_back({"20000 vs 100 drifted", repeat_column(texture, 20000, 1e-6), slice(area, 0, 100)});
  cases.push_back({"300000 vs 300000", repeat_column(every_other(area, 0), 300000, 1e-8),
                   repeat_column(every_other(area, 1), 300000, 1e-8)});
  check_against_scipy(cases);
}

TEST(TwoSampleKs, PValueHelperAgreesWithTheTest) {
  const NumericColumns wine = read_numeric_columns("data/wine.csv");
  const auto& col = wine.values[6];
  const auto a = slice(col, 0, 70);
  const auto b = slice(col, 70, col.size());
  const TestResult r = ks_2samp(a, b);
  EXPECT_EQ(ks_2samp_p_value(r.statistic, a.size(), b.size()), r.p_value);
  EXPECT_EQ(ks_2samp_p_value(0.0, 70, 108), 1.0);
  EXPECT_LT(r.p_value, 1e-10);  // flavanoids separate cultivar 0 from the rest
}

TEST(TwoSampleKs, SketchesOfExactSizeReproduceTheSampleTest) {
  const NumericColumns cancer = read_numeric_columns("data/breast_cancer.csv");
  const auto a = slice(cancer.values[0], 0, 300);
  const auto b = slice(cancer.values[0], 300, 569);
  KllSketch sa;
  KllSketch sb;
  sa.update_block(a.data(), a.size());
  sb.update_block(b.data(), b.size());
  ASSERT_TRUE(sa.exact());
  ASSERT_TRUE(sb.exact());
  const TestResult exact = ks_2samp(a, b);
  const SketchKsResult from_sketches = ks_from_sketches(sa, sb);
  // The exact method reports round(D lcm) / lcm; the raw D differs from it only by rounding.
  EXPECT_NEAR(from_sketches.statistic, exact.statistic, 1e-12);
  EXPECT_EQ(from_sketches.error_bound, 0.0);
  EXPECT_EQ(from_sketches.p_value, exact.p_value);
  const SketchKsResult vs_sample = ks_sketch_vs_sample(sa, sorted_copy(b));
  EXPECT_EQ(vs_sample.statistic, from_sketches.statistic);
  EXPECT_EQ(vs_sample.p_value, exact.p_value);
}

TEST(TwoSampleKs, CompactedSketchesStayWithinTheirErrorBound) {
  // 100,000 rows per side from breast-cancer columns; the sketches compact heavily (k = 400).
  const NumericColumns cancer = read_numeric_columns("data/breast_cancer.csv");
  struct Pair {
    std::vector<double> a, b;
  };
  std::vector<Pair> pairs;
  pairs.push_back({repeat_column(every_other(cancer.values[2], 0), 100000, 1e-6),
                   repeat_column(every_other(cancer.values[2], 1), 100000, 1e-6)});
  std::vector<double> drifted = repeat_column(cancer.values[2], 100000, 1e-6);
  for (double& v : drifted) v *= 1.03;
  pairs.push_back({repeat_column(cancer.values[2], 100000, 1e-6), drifted});

  ArrayFiles files;
  std::string code = "import json, numpy as np\nfrom scipy import stats\nout = []\n";
  std::vector<SketchKsResult> results;
  std::vector<SketchKsResult> sample_results;
  for (const auto& pair : pairs) {
    KllSketch sa;
    KllSketch sb;
    sa.update_block(pair.a.data(), pair.a.size());
    sb.update_block(pair.b.data(), pair.b.size());
    ASSERT_FALSE(sa.exact());
    results.push_back(ks_from_sketches(sa, sb));
    sample_results.push_back(ks_sketch_vs_sample(sa, sorted_copy(pair.b)));
    const double widened = std::max(results.back().statistic - results.back().error_bound, 0.0);
    code += "r = stats.ks_2samp(" + files.add(pair.a) + ", " + files.add(pair.b) + ")\n";
    // The p-value SciPy's asymptotic branch gives for the widened statistic.
    code += "out.append([float(r.statistic), float(stats.kstwo.sf(" + json(widened).dump() +
            ", np.round(1e5 * 1e5 / 2e5)))])\n";
  }
  code += "print(json.dumps(out))\n";
  const json expected = json::parse(run_python(code));
  for (size_t i = 0; i < pairs.size(); ++i) {
    const double exact = expected[i][0].get<double>();
    const SketchKsResult& r = results[i];
    EXPECT_NEAR(r.error_bound, 2 * KllSketch::normalized_rank_error_for(400), 1e-15);
    EXPECT_LE(std::abs(r.statistic - exact), r.error_bound) << "pair " << i;
    EXPECT_LE(std::abs(sample_results[i].statistic - exact), sample_results[i].error_bound) << "pair " << i;
    expect_relative(r.p_value, expected[i][1].get<double>(), 1e-9,
                    "sketch p-value pair " + std::to_string(i));
  }
  EXPECT_GT(expected[1][0].get<double>(), 0.05);  // the drifted pair really drifted
  EXPECT_LT(results[1].p_value, 1e-6);
}

TEST(TwoSampleDistance, WassersteinMatchesScipy) {
  const NumericColumns wine = read_numeric_columns("data/wine.csv");
  const NumericColumns cancer = read_numeric_columns("data/breast_cancer.csv");
  std::vector<std::pair<std::vector<double>, std::vector<double>>> cases;
  for (size_t c = 0; c < wine.values.size(); c += 2) {
    cases.push_back({slice(wine.values[c], 0, 89), slice(wine.values[c], 89, 178)});
  }
  cases.push_back(
      {repeat_column(cancer.values[3], 50000, 1e-6), repeat_column(cancer.values[23], 30000, 1e-6)});
  cases.push_back({{3.0}, {3.0}});
  ArrayFiles files;
  std::string code = "import json, numpy as np\nfrom scipy import stats\nout = []\n";
  for (const auto& [a, b] : cases) {
    code += "out.append(float(stats.wasserstein_distance(" + files.add(a) + ", " + files.add(b) + ")))\n";
  }
  code += "print(json.dumps(out))\n";
  const json expected = json::parse(run_python(code));
  for (size_t i = 0; i < cases.size(); ++i) {
    const double mine = wasserstein_distance(cases[i].first, cases[i].second);
    EXPECT_NEAR(mine, expected[i].get<double>(), 1e-9 * std::abs(expected[i].get<double>()) + 1e-300)
        << "case " << i;
  }
  EXPECT_EQ(wasserstein_distance(std::vector<double>{3.0}, std::vector<double>{3.0}), 0.0);
}

TEST(TwoSampleDistance, WassersteinOfSketchesMatchesScipyWeighted) {
  // Exact sketches give the sample distance; compacted ones the distance between their weighted
  // retained items, which SciPy computes with u_weights / v_weights.
  const NumericColumns cancer = read_numeric_columns("data/breast_cancer.csv");
  const auto a = repeat_column(cancer.values[5], 40000, 1e-6);
  const auto b = repeat_column(cancer.values[6], 25000, 1e-6);
  KllSketch sa;
  KllSketch sb;
  sa.update_block(a.data(), a.size());
  sb.update_block(b.data(), b.size());
  const auto small_a = slice(cancer.values[5], 0, 200);
  const auto small_b = slice(cancer.values[5], 200, 569);
  KllSketch ea;
  KllSketch eb;
  ea.update_block(small_a.data(), small_a.size());
  eb.update_block(small_b.data(), small_b.size());
  ASSERT_TRUE(ea.exact());
  ASSERT_TRUE(eb.exact());

  std::vector<double> va, wa, vb, wb;
  for (auto [v, w] : sa.weighted_items()) {
    va.push_back(v);
    wa.push_back(static_cast<double>(w));
  }
  for (auto [v, w] : sb.weighted_items()) {
    vb.push_back(v);
    wb.push_back(static_cast<double>(w));
  }
  ArrayFiles files;
  const std::string code =
      "import json, numpy as np\nfrom scipy import stats\nprint(json.dumps([\n"
      "  float(stats.wasserstein_distance(" +
      files.add(va) + ", " + files.add(vb) + ", " + files.add(wa) + ", " + files.add(wb) +
      ")),\n  float(stats.wasserstein_distance(" + files.add(a) + ", " + files.add(b) +
      ")),\n  float(stats.wasserstein_distance(" + files.add(small_a) + ", " + files.add(small_b) + "))]))\n";
  const json expected = json::parse(run_python(code));
  const double sketch_distance = wasserstein_distance(sa, sb);
  expect_relative(sketch_distance, expected[0].get<double>(), 1e-9, "weighted items");
  // Against the full samples the sketch is an approximation: a few percent here.
  EXPECT_NEAR(sketch_distance, expected[1].get<double>(), 0.05 * expected[1].get<double>());
  expect_relative(wasserstein_distance(ea, eb), expected[2].get<double>(), 1e-9, "exact sketches");
}

TEST(TwoSampleCategorical, Chi2HomogeneityMatchesScipyOnDigitCounts) {
  // Value counts 0..16 of pixel columns, first half of the rows vs second half; some values
  // never occur in either half and must be dropped as SciPy would refuse them.
  const NumericColumns digits = read_numeric_columns("data/digits.csv");
  std::vector<std::pair<std::vector<double>, std::vector<double>>> tables;
  for (size_t c : {2u, 10u, 19u, 27u, 33u, 42u, 53u, 60u}) {
    std::vector<double> first(17, 0.0), second(17, 0.0);
    const auto& col = digits.values[c];
    for (size_t r = 0; r < col.size(); ++r) (r < 900 ? first : second)[static_cast<size_t>(col[r])] += 1;
    tables.push_back({first, second});
  }
  tables.push_back({{10, 0, 5.5, 7}, {3, 0, 9, 12.25}});  // non-integer counts are allowed
  json input = json::array();
  for (const auto& [a, b] : tables) input.push_back({a, b});
  const json expected =
      json::parse(run_python("import json, numpy as np\n"
                             "from scipy import stats\n"
                             "out = []\n"
                             "for a, b in json.loads('" +
                             input.dump() +
                             "'):\n"
                             "    t = np.array([a, b])\n"
                             "    t = t[:, t.sum(axis=0) > 0]\n"
                             "    r = stats.chi2_contingency(t, correction=False)\n"
                             "    out.append([float(r[0]), float(r[1]), int(r[2])])\n"
                             "print(json.dumps(out))\n"));
  for (size_t i = 0; i < tables.size(); ++i) {
    const TestResult r = chi2_homogeneity(tables[i].first, tables[i].second);
    expect_relative(r.statistic, expected[i][0].get<double>(), 1e-9,
                    "chi2 statistic table " + std::to_string(i));
    expect_relative(r.p_value, expected[i][1].get<double>(), 1e-9, "chi2 p-value table " + std::to_string(i));
  }
  // A single non-empty category: no evidence either way.
  const TestResult single = chi2_homogeneity(std::vector<double>{0, 5, 0}, std::vector<double>{0, 9, 0});
  EXPECT_EQ(single.statistic, 0.0);
  EXPECT_EQ(single.p_value, 1.0);
}

TEST(TwoSampleCategorical, ZTestMatchesEvidentlyFormula) {
  // Share of rows above the overall median of a column, first rows vs the rest.
  const NumericColumns cancer = read_numeric_columns("data/breast_cancer.csv");
  json input = json::array();
  std::vector<TestResult> mine;
  for (size_t c = 0; c < 30; c += 4) {
    const auto& col = cancer.values[c];
    std::vector<double> sorted = sorted_copy(col);
    const double median = sorted[sorted.size() / 2];
    double sa = 0, sb = 0;
    const double na = 250, nb = static_cast<double>(col.size()) - 250;
    for (size_t r = 0; r < col.size(); ++r) (r < 250 ? sa : sb) += col[r] > median ? 1 : 0;
    input.push_back({sa, na, sb, nb});
    mine.push_back(z_test_proportions(sa, na, sb, nb));
  }
  const json expected = json::parse(
      run_python("import json, numpy as np\n"
                 "from scipy.stats import norm\n"
                 "out = []\n"
                 "for sa, na, sb, nb in json.loads('" +
                 input.dump() +
                 "'):\n"
                 "    p1, p2 = sa / na, sb / nb\n"
                 "    P = (p1 * na + p2 * nb) / (na + nb)\n"
                 "    z = (p1 - p2) / np.sqrt(P * (1 - P) * (1.0 / na + 1.0 / nb))\n"
                 "    out.append([float(z), float(2 * norm.sf(abs(z))), float(2 * (1 - norm.cdf(abs(z))))])\n"
                 "print(json.dumps(out))\n"));
  for (size_t i = 0; i < mine.size(); ++i) {
    expect_relative(mine[i].statistic, expected[i][0].get<double>(), 1e-9, "z " + std::to_string(i));
    expect_relative(mine[i].p_value, expected[i][1].get<double>(), 1e-9, "p " + std::to_string(i));
    EXPECT_NEAR(mine[i].p_value, expected[i][2].get<double>(), 1e-15);  // Evidently's own form
  }
  const TestResult constant = z_test_proportions(0, 10, 0, 20);
  EXPECT_EQ(constant.statistic, 0.0);
  EXPECT_EQ(constant.p_value, 1.0);
}

TEST(TwoSampleBinned, SturgesEdgesAndCountsMatchNumpy) {
  const NumericColumns wine = read_numeric_columns("data/wine.csv");
  const NumericColumns cancer = read_numeric_columns("data/breast_cancer.csv");
  std::vector<std::pair<std::vector<double>, std::vector<double>>> cases;
  for (size_t c = 0; c < wine.values.size(); c += 3) {
    cases.push_back({slice(wine.values[c], 0, 100), slice(wine.values[c], 100, 178)});
  }
  cases.push_back({repeat_column(cancer.values[7], 20000, 1e-6), slice(cancer.values[7], 0, 300)});
  cases.push_back({{2.5, 2.5}, {2.5}});  // zero range: one bin [2, 3]
  ArrayFiles files;
  std::string code = "import json, numpy as np\nout = []\n";
  for (const auto& [a, b] : cases) {
    code += "a, b = " + files.add(a) + ", " + files.add(b) + "\n";
    code += "e = np.histogram_bin_edges(np.concatenate([a, b]), bins='sturges')\n";
    code += "out.append([e.tolist(), np.histogram(a, e)[0].tolist(), np.histogram(b, e)[0].tolist()])\n";
  }
  code += "print(json.dumps(out))\n";
  const json expected = json::parse(run_python(code));
  for (size_t i = 0; i < cases.size(); ++i) {
    const auto edges = sturges_bin_edges(cases[i].first, cases[i].second);
    const auto expected_edges = expected[i][0].get<std::vector<double>>();
    ASSERT_EQ(edges.size(), expected_edges.size()) << "case " << i;
    for (size_t e = 0; e < edges.size(); ++e)
      EXPECT_EQ(edges[e], expected_edges[e]) << "case " << i << " edge " << e;
    EXPECT_EQ(histogram_counts(cases[i].first, edges), expected[i][1].get<std::vector<double>>())
        << "case " << i;
    EXPECT_EQ(histogram_counts(cases[i].second, edges), expected[i][2].get<std::vector<double>>())
        << "case " << i;
  }
  // Outside values are dropped; the last edge is inclusive.
  const std::vector<double> edges = {0.0, 1.0, 2.0};
  EXPECT_EQ(histogram_counts(std::vector<double>{-1, 0, 0.5, 1, 2, 3}, edges), (std::vector<double>{2, 2}));
}

TEST(TwoSampleBinned, DivergencesMatchScipyAndEvidentlyFormulas) {
  // Sturges histograms of wine columns, first 100 rows as reference vs the rest.
  const NumericColumns wine = read_numeric_columns("data/wine.csv");
  json input = json::array();
  std::vector<std::vector<double>> mine;
  for (size_t c = 0; c < wine.values.size(); ++c) {
    const auto ref = slice(wine.values[c], 0, 100);
    const auto cur = slice(wine.values[c], 100, 178);
    const auto edges = sturges_bin_edges(ref, cur);
    const auto p = histogram_counts(ref, edges);
    const auto q = histogram_counts(cur, edges);
    input.push_back({p, q});
    mine.push_back(
        {jensen_shannon_distance(p, q), population_stability_index(p, q), hellinger_distance(p, q)});
  }
  const json expected = json::parse(
      run_python("import json, numpy as np\n"
                 "from scipy.spatial import distance\n"
                 "out = []\n"
                 "for p, q in json.loads('" +
                 input.dump() +
                 "'):\n"
                 "    p, q = np.array(p), np.array(q)\n"
                 "    pp, qq = p / p.sum(), q / q.sum()\n"
                 "    pz, qz = np.where(pp == 0, 1e-4, pp), np.where(qq == 0, 1e-4, qq)\n"
                 "    psi = float(np.sum((pz - qz) * np.log(pz / qz)))\n"
                 "    hel = float(np.sqrt(np.sum((np.sqrt(pp) - np.sqrt(qq)) ** 2)) / np.sqrt(2))\n"
                 "    out.append([float(distance.jensenshannon(p, q)), psi, hel])\n"
                 "print(json.dumps(out))\n"));
  size_t with_empty_bins = 0;
  for (size_t i = 0; i < mine.size(); ++i) {
    expect_relative(mine[i][0], expected[i][0].get<double>(), 1e-9, "JS column " + std::to_string(i));
    expect_relative(mine[i][1], expected[i][1].get<double>(), 1e-9, "PSI column " + std::to_string(i));
    expect_relative(mine[i][2], expected[i][2].get<double>(), 1e-9, "Hellinger column " + std::to_string(i));
    const auto& p = input[i][0];
    const auto& q = input[i][1];
    for (size_t k = 0; k < p.size(); ++k) with_empty_bins += (p[k] == 0.0 || q[k] == 0.0) ? 1 : 0;
  }
  EXPECT_GT(with_empty_bins, 0u);  // the empty-bin rule was exercised
  // Identical distributions: all zero; disjoint ones: the maxima.
  const std::vector<double> x = {1, 2, 3};
  EXPECT_EQ(jensen_shannon_distance(x, x), 0.0);
  EXPECT_EQ(hellinger_distance(x, x), 0.0);
  EXPECT_NEAR(jensen_shannon_distance(std::vector<double>{1, 0}, std::vector<double>{0, 1}),
              std::sqrt(std::log(2.0)), 1e-15);
  EXPECT_NEAR(hellinger_distance(std::vector<double>{1, 0}, std::vector<double>{0, 1}), 1.0, 1e-15);
}

TEST(TwoSampleMultipleTesting, BonferroniAndBenjaminiHochbergMatchNumpy) {
  // p-values of KS tests over the breast-cancer columns (first half vs second half), plus ties.
  const NumericColumns cancer = read_numeric_columns("data/breast_cancer.csv");
  std::vector<double> ps;
  for (size_t c = 0; c < 30; ++c) {
    const auto& col = cancer.values[c];
    ps.push_back(ks_2samp(slice(col, 0, 285), slice(col, 285, col.size())).p_value);
  }
  ps.push_back(0.04);
  ps.push_back(0.04);
  ps.push_back(1.0);
  const json expected =
      json::parse(run_python("import json, numpy as np\n"
                             "p = np.array(json.loads('" +
                             json(ps).dump() +
                             "'))\n"
                             "m = len(p)\n"
                             "order = np.argsort(p)\n"
                             "adj = p[order] * m / np.arange(1, m + 1)\n"
                             "adj = np.minimum.accumulate(adj[::-1])[::-1]\n"
                             "bh = np.empty(m); bh[order] = np.clip(adj, 0, 1)\n"
                             "print(json.dumps([np.minimum(1, p * m).tolist(), bh.tolist()]))\n"));
  const auto bonferroni = bonferroni_adjust(ps);
  const auto bh = benjamini_hochberg_adjust(ps);
  for (size_t i = 0; i < ps.size(); ++i) {
    expect_relative(bonferroni[i], expected[0][i].get<double>(), 1e-12, "bonferroni " + std::to_string(i));
    expect_relative(bh[i], expected[1][i].get<double>(), 1e-12, "bh " + std::to_string(i));
  }
  EXPECT_TRUE(bonferroni_adjust(std::vector<double>{}).empty());
  // Hand-checked: p = (0.01, 0.04, 0.03) -> BH (0.03, 0.04, 0.04).
  const auto small = benjamini_hochberg_adjust(std::vector<double>{0.01, 0.04, 0.03});
  EXPECT_NEAR(small[0], 0.03, 1e-15);
  EXPECT_NEAR(small[1], 0.04, 1e-15);
  EXPECT_NEAR(small[2], 0.04, 1e-15);
}

TEST(TwoSampleBadInput, EmptyNanAndMismatchedInputsThrow) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<double> empty;
  const std::vector<double> ok = {1, 2, 3};
  const std::vector<double> with_nan = {1, nan, 3};
  EXPECT_THROW(ks_2samp(empty, ok), std::invalid_argument);
  EXPECT_THROW(ks_2samp(ok, empty), std::invalid_argument);
  EXPECT_THROW(ks_2samp(with_nan, ok), std::invalid_argument);
  EXPECT_THROW(ks_2samp_sorted(ok, with_nan), std::invalid_argument);
  EXPECT_THROW(ks_2samp_p_value(1.5, 3, 3), std::invalid_argument);
  EXPECT_THROW(ks_2samp_p_value(0.5, 0, 3), std::invalid_argument);
  EXPECT_THROW(sorted_copy(with_nan), std::invalid_argument);
  KllSketch empty_sketch;
  KllSketch sketch;
  sketch.update(1.0);
  EXPECT_THROW(ks_from_sketches(empty_sketch, sketch), std::invalid_argument);
  EXPECT_THROW(ks_sketch_vs_sample(sketch, empty), std::invalid_argument);
  EXPECT_THROW(wasserstein_distance(empty_sketch, sketch), std::invalid_argument);
  EXPECT_THROW(wasserstein_distance(ok, std::vector<double>{1, inf}), std::invalid_argument);
  EXPECT_THROW(wasserstein_distance(with_nan, ok), std::invalid_argument);
  EXPECT_THROW(chi2_homogeneity(ok, std::vector<double>{1, 2}), std::invalid_argument);
  EXPECT_THROW(chi2_homogeneity(ok, std::vector<double>{1, -2, 3}), std::invalid_argument);
  EXPECT_THROW(chi2_homogeneity(ok, std::vector<double>{0, 0, 0}), std::invalid_argument);
  EXPECT_THROW(chi2_homogeneity(ok, with_nan), std::invalid_argument);
  EXPECT_THROW(z_test_proportions(5, 4, 1, 10), std::invalid_argument);
  EXPECT_THROW(z_test_proportions(1, 0, 1, 10), std::invalid_argument);
  EXPECT_THROW(z_test_proportions(nan, 4, 1, 10), std::invalid_argument);
  EXPECT_THROW(jensen_shannon_distance(ok, std::vector<double>{1, 2}), std::invalid_argument);
  EXPECT_THROW(jensen_shannon_distance(empty, empty), std::invalid_argument);
  EXPECT_THROW(population_stability_index(ok, with_nan), std::invalid_argument);
  EXPECT_THROW(hellinger_distance(ok, std::vector<double>{0, 0, 0}), std::invalid_argument);
  EXPECT_THROW(sturges_bin_edges(empty, ok), std::invalid_argument);
  EXPECT_THROW(sturges_bin_edges(ok, with_nan), std::invalid_argument);
  EXPECT_THROW(histogram_counts(ok, std::vector<double>{1.0}), std::invalid_argument);
  EXPECT_THROW(histogram_counts(ok, std::vector<double>{2.0, 1.0}), std::invalid_argument);
  EXPECT_THROW(histogram_counts(with_nan, std::vector<double>{0.0, 5.0}), std::invalid_argument);
  EXPECT_THROW(bonferroni_adjust(std::vector<double>{0.5, 1.5}), std::invalid_argument);
  EXPECT_THROW(benjamini_hochberg_adjust(std::vector<double>{nan}), std::invalid_argument);
}

}  // namespace
}  // namespace xferval
