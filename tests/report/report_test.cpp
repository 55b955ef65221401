#include "xferval/report/report.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "test_support.hpp"
#include "xferval/core/error.hpp"

namespace xferval {
namespace {

CheckResult result(const std::string& name, Severity severity, Outcome outcome, double value = 0.5) {
  CheckResult check;
  check.name = name;
  check.metric = "p-value";
  check.value = value;
  check.threshold = 0.05;
  check.fails_when = FailsWhen::Below;
  check.severity = severity;
  check.outcome = outcome;
  check.message = "because";
  return check;
}

TEST(Report, JudgeComparesInTheStatedDirection) {
  EXPECT_EQ(judge(0.01, 0.05, FailsWhen::Below), Outcome::Fail);
  EXPECT_EQ(judge(0.05, 0.05, FailsWhen::Below), Outcome::Pass);
  EXPECT_EQ(judge(0.1, 0.1, FailsWhen::AtLeast), Outcome::Fail);
  EXPECT_EQ(judge(0.1, 0.1, FailsWhen::Above), Outcome::Pass);
  EXPECT_EQ(judge(std::nan(""), 0.1, FailsWhen::Above), Outcome::Fail);
}

TEST(Report, VerdictFailsOnlyOnAFailedErrorCheck) {
  Report report;
  report.checks = {result("a", Severity::Warn, Outcome::Fail), result("b", Severity::Error, Outcome::Pass),
                   result("c", Severity::Info, Outcome::Fail), result("d", Severity::Error, Outcome::Skipped)};
  EXPECT_EQ(report.verdict(), "PASS");
  report.checks.push_back(result("e", Severity::Error, Outcome::Fail));
  EXPECT_EQ(report.verdict(), "FAIL");
  EXPECT_EQ(report.count(Outcome::Fail), 3u);
  EXPECT_EQ(report.count(Outcome::Fail, Severity::Error), 1u);
}

TEST(Report, JsonRoundTripKeepsEveryFieldAndWritesNaNAsNull) {
  Report report;
  report.verb = "check";
  report.created = "2026-11-29T00:00:00Z";
  report.xferval_version = "0.1.0";
  report.inputs["data"] = {{"path", "x.csv"}};
  report.checks = {result("drift.ks", Severity::Warn, Outcome::Fail, 0.001),
                   result("multivariate.mmd", Severity::Error, Outcome::Skipped, std::nan(""))};
  report.checks[0].feature = "alcohol";
  report.checks[0].details = {{"statistic", 0.4}};
  nlohmann::json document = report_to_json(report);
  EXPECT_EQ(document["format"], "xferval.report/1");
  EXPECT_EQ(document["verdict"], "PASS");
  EXPECT_TRUE(document["checks"][1]["value"].is_null());
  EXPECT_EQ(document["summary"]["failed"]["warn"], 1);
  Report back = report_from_json(document, "r.json");
  ASSERT_EQ(back.checks.size(), 2u);
  EXPECT_EQ(back.checks[0].feature, "alcohol");
  EXPECT_EQ(back.checks[0].value, 0.001);
  EXPECT_EQ(back.checks[0].fails_when, FailsWhen::Below);
  EXPECT_EQ(back.checks[0].details["statistic"], 0.4);
  EXPECT_TRUE(std::isnan(back.checks[1].value));
  EXPECT_EQ(back.checks[1].outcome, Outcome::Skipped);
  EXPECT_EQ(report_to_json(back).dump(), document.dump());
}

TEST(Report, OtherFormatsAreInputErrors) {
  EXPECT_THROW(report_from_json({{"format", "xferval.report/2"}}, "r.json"), InputError);
  nlohmann::json bad = {{"format", "xferval.report/1"}, {"verb", "check"}, {"created", ""}, {"xferval_version", ""},
                        {"inputs", nlohmann::json::object()},
                        {"checks", {{{"name", "x"}, {"feature", nullptr}, {"metric", ""}, {"value", 1},
                                     {"threshold", 1}, {"fails_when", "~"}, {"severity", "warn"},
                                     {"outcome", "pass"}, {"message", ""}}}}};
  EXPECT_THROW(report_from_json(bad, "r.json"), InputError);
}

TEST(Report, TerminalSummaryListsFailuresFirstWithoutColourWhenAsked) {
  Report report;
  report.checks = {result("drift.ks", Severity::Warn, Outcome::Fail, 0.001),
                   result("multivariate.mmd", Severity::Error, Outcome::Fail, 0.004),
                   result("drift.chi2", Severity::Warn, Outcome::Pass)};
  std::string text = render_terminal(report, false);
  EXPECT_EQ(text.find("\x1b["), std::string::npos);
  EXPECT_LT(text.find("multivariate.mmd"), text.find("drift.ks"));
  EXPECT_EQ(text.find("drift.chi2"), std::string::npos);
  EXPECT_NE(text.find("FAIL: 3 checks, 1 passed, 2 failed (error 1, warn 1, info 0)"), std::string::npos) << text;
  EXPECT_NE(render_terminal(report, true, true).find("drift.chi2"), std::string::npos);
}

}  // namespace
}  // namespace xferval
