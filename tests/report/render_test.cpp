#include "xferval/report/render.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <regex>

#include "test_support.hpp"

namespace xferval {
namespace {

CheckResult make_check(const std::string& name, const std::string& feature, Severity severity,
                       Outcome outcome, double value, double threshold, FailsWhen when,
                       const std::string& message) {
  CheckResult check;
  check.name = name;
  check.feature = feature;
  check.metric = "p-value";
  check.value = value;
  check.threshold = threshold;
  check.fails_when = when;
  check.severity = severity;
  check.outcome = outcome;
  check.message = message;
  return check;
}

// A check report with every outcome and severity, hostile text in names and messages, and every
// section the HTML page draws.
Report sample_report() {
  Report report;
  report.verb = "check";
  report.created = "2026-11-29T00:00:00Z";
  report.xferval_version = "0.1.0";
  report.inputs["data"] = {{"path", "target.csv"}, {"content_hash", "xxh3:00112233"}, {"rows", 200}};
  report.inputs["policy"] = "built-in defaults";
  report.checks = {
      make_check("drift.ks", "mean_radius", Severity::Warn, Outcome::Fail, 1e-4, 0.05, FailsWhen::Below,
                 "KS D 0.236 | p small"),
      make_check("multivariate.mmd", "", Severity::Error, Outcome::Fail, 0.004975, 0.01, FailsWhen::Below,
                 "MMD^2 0.016 & <b>bold</b>"),
      make_check("drift.ks", "<script>alert(1)</script>", Severity::Warn, Outcome::Pass, 0.6, 0.05,
                 FailsWhen::Below, "fine"),
      make_check("drift.wasserstein", "area", Severity::Warn, Outcome::Pass, 0.05, 0.1, FailsWhen::AtLeast,
                 "small"),
      make_check("multivariate.hotelling", "", Severity::Error, Outcome::Skipped, std::nan(""), 0.01,
                 FailsWhen::Below, "needs 2 rows"),
      make_check("schema.new_labels", "label", Severity::Info, Outcome::Fail, 2, 0, FailsWhen::Above,
                 "labels \"x\" and 'y'\x01 are new"),
      make_check("transfer.logme", "", Severity::Info, Outcome::Pass, 0.42, 0, FailsWhen::Below,
                 "margin 0.42"),
  };
  report.checks.back().details = {{"score", -0.09}, {"permuted_control", -0.51}};
  report.sections["mahalanobis"]["histogram"] = {{"edges", {0.0, 10.0, 20.0, 30.0}},
                                                 {"calibration", {5, 3, 1}},
                                                 {"target", {50, 60, 70}},
                                                 {"threshold", 25.0}};
  report.sections["ood"] = {{"target_scores_deciles", {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}},
                            {"threshold", 6.5}};
  report.sections["tune"] = {{"direction", "minimize"},
                             {"objective", "validation loss"},
                             {"trials",
                              {{{"number", 0},
                                {"value", 0.9},
                                {"state", "COMPLETE"},
                                {"params", {{"lr", 1e-4}, {"optimizer", "adam"}}}},
                               {{"number", 1},
                                {"value", 0.5},
                                {"state", "COMPLETE"},
                                {"params", {{"lr", 1e-2}, {"optimizer", "sgd"}}}},
                               {{"number", 2},
                                {"value", nullptr},
                                {"state", "FAIL"},
                                {"params", {{"lr", 1e-1}, {"optimizer", "sgd"}}}},
                               {{"number", 3},
                                {"value", 0.7},
                                {"state", "PRUNED"},
                                {"params", {{"lr", 1e-3}, {"optimizer", "adam"}}}}}}};
  report.sections["verify"]["layers"] = {{{"layer", "features.0"}, {"relative_change", 0.01}},
                                         {{"layer", "classifier"}, {"relative_change", 0.9}}};
  report.sections["evaluation"]["confusion_matrix"] = {{"labels", {"cat", "dog<"}},
                                                       {"matrix", {{8, 2}, {1, 9}}}};
  return report;
}

size_t count_of(const std::string& text, const std::string& needle) {
  size_t count = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size()))
    ++count;
  return count;
}

TEST(RenderOrder, FailedErrorsComeFirstThenWarnInfoSkippedPassed) {
  const Report report = sample_report();
  std::vector<std::string> names;
  for (const CheckResult* check : checks_in_reading_order(report)) names.push_back(check->name);
  EXPECT_EQ(names, (std::vector<std::string>{"multivariate.mmd", "drift.ks", "schema.new_labels",
                                             "multivariate.hotelling", "drift.ks", "drift.wasserstein",
                                             "transfer.logme"}));
}

TEST(RenderMarkdown, FailedTableListsErrorFirstAndEscapesCells) {
  const std::string markdown = render_markdown(sample_report());
  EXPECT_NE(markdown.find("## xferval check: FAIL"), std::string::npos);
  EXPECT_NE(markdown.find("`7 checks` `3 passed` `3 failed: error 1, warn 1, info 1` `1 skipped`"),
            std::string::npos);
  const std::string failed = markdown.substr(markdown.find("### Failed checks"),
                                             markdown.find("<details>") - markdown.find("### Failed checks"));
  // Three failed rows, error first, each with six cells.
  std::vector<std::string> rows;
  std::regex row_pattern(R"(\n(\| \*\*error\*\*|\| warn|\| info)[^\n]*)");
  for (std::sregex_iterator it(failed.begin(), failed.end(), row_pattern), end; it != end; ++it) {
    rows.push_back(it->str().substr(1));
  }
  ASSERT_EQ(rows.size(), 3u) << failed;
  EXPECT_EQ(rows[0],
            "| **error** | `multivariate.mmd` |  | 0.004975 | `< 0.01` | MMD^2 0.016 &amp; "
            "&lt;b&gt;bold&lt;/b&gt; |");
  EXPECT_EQ(rows[1], "| warn | `drift.ks` | `mean_radius` | 0.0001 | `< 0.05` | KS D 0.236 \\| p small |");
  EXPECT_EQ(rows[2], "| info | `schema.new_labels` | `label` | 2 | `> 0` | labels \"x\" and 'y' are new |");
  // An unescaped pipe would add a cell: every row splits into exactly 7 unescaped bars.
  for (const std::string& row : rows) {
    EXPECT_EQ(count_of(row, "|") - count_of(row, "\\|"), 7u) << row;
  }
  // Every check in the collapsed block, the script tag shown as code, not as HTML.
  EXPECT_NE(markdown.find("<summary>All 7 checks</summary>"), std::string::npos);
  EXPECT_NE(markdown.find("`<script>alert(1)</script>`"), std::string::npos);
  EXPECT_EQ(count_of(markdown, "\n| pass |"), 3u);
  EXPECT_EQ(count_of(markdown, "\n| skipped |"), 1u);
}

TEST(RenderMarkdown, APassingReportSaysNoCheckFailed) {
  Report report;
  report.verb = "verify";
  report.checks = {make_check("params.non_finite", "fc1.weight", Severity::Error, Outcome::Pass, 0, 0,
                              FailsWhen::Above, "")};
  const std::string markdown = render_markdown(report);
  EXPECT_NE(markdown.find("## xferval verify: PASS"), std::string::npos);
  EXPECT_NE(markdown.find("No check failed."), std::string::npos);
  EXPECT_EQ(markdown.find("### Failed checks"), std::string::npos);
}

TEST(RenderJunit, ParsesWithElementTreeWithCountsNamesAndMessages) {
  testing::TempDir folder;
  const auto path = folder.write("junit.xml", render_junit(sample_report()));
  const std::string out = testing::run_python(
      "import xml.etree.ElementTree as ET\n"
      "root = ET.parse(" +
      testing::shell_quote(path.string()) +
      ").getroot()\n"
      "print(root.tag, len(root.findall('testsuite')))\n"
      "suite = root.find('testsuite')\n"
      "print(suite.get('name'), suite.get('tests'), suite.get('failures'), suite.get('skipped'), "
      "suite.get('errors'))\n"
      "props = {p.get('name'): p.get('value') for p in suite.iter('property')}\n"
      "print(props['verdict'], props['input.data.path'], props['input.data.rows'])\n"
      "for case in suite.findall('testcase'):\n"
      "    failure, skipped, out = case.find('failure'), case.find('skipped'), case.find('system-out')\n"
      "    kind = 'failure:' + failure.get('type') if failure is not None else "
      "'skipped' if skipped is not None else 'out' if out is not None else 'pass'\n"
      "    print(repr(case.get('classname')), repr(case.get('name')), kind)\n"
      "    if failure is not None: print(repr(failure.get('message'))); print('text' , 'value: 0.004975' in "
      "failure.text, 'fails when: value < 0.01' in failure.text)\n"
      "    if out is not None: print(repr(out.text.splitlines()[0]))\n");
  EXPECT_EQ(out,
            "testsuites 1\n"
            "xferval.check 7 1 1 0\n"
            "FAIL target.csv 200\n"
            "'drift.ks' 'mean_radius' out\n"
            "'WARN: KS D 0.236 | p small'\n"
            "'multivariate.mmd' 'dataset' failure:error\n"
            "'MMD^2 0.016 & <b>bold</b> (value 0.004975 below threshold 0.01)'\n"
            "text True True\n"
            "'drift.ks' '<script>alert(1)</script>' pass\n"
            "'drift.wasserstein' 'area' pass\n"
            "'multivariate.hotelling' 'dataset' skipped\n"
            "'schema.new_labels' 'label' out\n"
            "'INFO: labels \"x\" and \\'y\\' are new'\n"
            "'transfer.logme' 'dataset' pass\n");
}

TEST(RenderJunit, ControlCharactersAreDroppedAndNewlinesInAttributesKept) {
  Report report;
  report.verb = "check";
  report.checks = {
      make_check("a\x02", "f\x1b", Severity::Error, Outcome::Fail, 1, 0, FailsWhen::Above, "two\nlines")};
  const std::string xml = render_junit(report);
  EXPECT_EQ(xml.find('\x02'), std::string::npos);
  EXPECT_EQ(xml.find('\x1b'), std::string::npos);
  EXPECT_NE(xml.find("message=\"two&#10;lines"), std::string::npos);
}

TEST(RenderHtml, SelfContainedWithEverySectionAndClosedCharts) {
  const std::string html = render_html(sample_report());
  EXPECT_TRUE(html.starts_with("<!DOCTYPE html>"));
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  for (const char* fetch : {"<script", "<link", "<img", "<iframe", "src=", "@import", "url("}) {
    EXPECT_EQ(html.find(fetch), std::string::npos) << fetch;
  }
  EXPECT_EQ(count_of(html, "<svg"), count_of(html, "</svg>"));
  // drift, Mahalanobis, OOD, transfer, tune history + 2 parameters, layers, confusion.
  EXPECT_EQ(count_of(html, "<svg"), 9u);
  for (const char* id : {"verdict", "inputs", "overview", "drift", "mahalanobis", "ood", "transfer", "tune",
                         "layers", "confusion", "checks"}) {
    EXPECT_NE(html.find(std::string("<section id=\"") + id + "\">"), std::string::npos) << id;
  }
  EXPECT_NE(html.find("<div class=\"verdict FAIL\">FAIL</div>"), std::string::npos);
  EXPECT_NE(html.find("xxh3:00112233"), std::string::npos);
  EXPECT_NE(html.find("lr (log scale)"), std::string::npos);
  EXPECT_NE(html.find("Accuracy 0.85 on 20 samples"), std::string::npos);
}

TEST(RenderHtml, EscapesEveryTextValue) {
  const std::string html = render_html(sample_report());
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_EQ(html.find("<b>bold</b>"), std::string::npos);
  EXPECT_NE(html.find("dog&lt;"), std::string::npos);
  EXPECT_EQ(html.find('\x01'), std::string::npos);
}

TEST(RenderHtml, UrlsInTextStayText) {
  Report report = sample_report();
  report.checks[0].message = "see https://example.org/x?a=1&b=\"2\"";
  const std::string html = render_html(report);
  EXPECT_NE(html.find("see https://example.org/x?a=1&amp;b=&quot;2&quot;"), std::string::npos);
  EXPECT_EQ(html.find("href=\"http"), std::string::npos);
}

TEST(RenderHtml, AMinimalReportAndMalformedSectionsStillRender) {
  Report report;
  report.verb = "verify";
  report.sections["mahalanobis"] = {{"histogram", {{"edges", "oops"}, {"calibration", 3}}}};
  report.sections["tune"] = {{"trials", {1, "x", nullptr}}};
  report.sections["evaluation"] = {{"confusion_matrix", {{"labels", {"a"}}, {"matrix", {{1, 2}}}}}};
  const std::string html = render_html(report);
  EXPECT_NE(html.find("<div class=\"verdict PASS\">PASS</div>"), std::string::npos);
  EXPECT_EQ(count_of(html, "<svg"), count_of(html, "</svg>"));
  EXPECT_NE(html.find("no data to plot"), std::string::npos);
}

TEST(RenderHtml, VerifyLayersFromTheParamsSection) {
  Report report;
  report.verb = "verify";
  report.sections["params"]["layers"] = {{{"layer", "fc1"}, {"relative_l2", 0.07}},
                                         {{"layer", "fc2"}, {"relative_l2", 0.7}}};
  CheckResult check = make_check("params.relative_change", "fc2.weight", Severity::Warn, Outcome::Fail, 0.7,
                                 0.5, FailsWhen::Above, "moved");
  report.checks = {check};
  const std::string html = render_html(report);
  EXPECT_NE(html.find("<section id=\"layers\">"), std::string::npos);
  EXPECT_NE(html.find("threshold 0.5"), std::string::npos);
  EXPECT_NE(html.find(">fc2<"), std::string::npos);
}

}  // namespace
}  // namespace xferval
