#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "xferval/report/report.hpp"

namespace xferval {

namespace {

std::string format_value(double value) {
  if (std::isnan(value)) return "n/a";
  if (value == 0) return "0";
  double magnitude = std::fabs(value);
  if (magnitude >= 1e6 || magnitude < 1e-3) return fmt::format("{:.3g}", value);
  if (magnitude >= 100) return fmt::format("{:.1f}", value);
  return fmt::format("{:.4g}", value);
}

std::string fit(const std::string& text, size_t width) {
  if (text.size() <= width) return text;
  return text.substr(0, width - 1) + "~";
}

int rank(const CheckResult& check) {
  if (check.outcome == Outcome::Fail) return static_cast<int>(check.severity);
  if (check.outcome == Outcome::Skipped) return 4;
  return 5;
}

}  // namespace

std::string render_terminal(const Report& report, bool colour, bool all) {
  auto paint = [&](const std::string& text, const char* code) {
    return colour ? fmt::format("\x1b[{}m{}\x1b[0m", code, text) : text;
  };
  std::vector<const CheckResult*> rows;
  for (const CheckResult& check : report.checks) {
    if (all || check.outcome == Outcome::Fail) rows.push_back(&check);
  }
  std::stable_sort(rows.begin(), rows.end(), [](auto* a, auto* b) { return rank(*a) < rank(*b); });

  std::string out;
  if (!rows.empty()) {
    size_t name_width = 10, feature_width = 7;
    for (const CheckResult* check : rows) {
      name_width = std::max(name_width, check->name.size());
      feature_width = std::max(feature_width, std::min<size_t>(check->feature.size(), 28));
    }
    out += fmt::format("{:<{}}  {:<{}}  {:>10}  {:>2} {:<9}  {:<8} {}\n", "check", name_width, "feature",
                       feature_width, "value", "", "threshold", "severity", "outcome");
    for (const CheckResult* check : rows) {
      std::string outcome(to_string(check->outcome));
      const char* code = check->outcome != Outcome::Fail ? "32" : check->severity == Severity::Error ? "1;31" : "33";
      if (check->outcome == Outcome::Skipped) code = "2";
      out += fmt::format("{:<{}}  {:<{}}  {:>10}  {:>2} {:<9}  {:<8} {}\n", check->name, name_width,
                         fit(check->feature.empty() ? "-" : check->feature, 28), feature_width,
                         format_value(check->value), to_string(check->fails_when), format_value(check->threshold),
                         to_string(check->severity), paint(outcome, code));
      if (check->outcome != Outcome::Pass && !check->message.empty()) {
        out += fmt::format("    {}\n", check->message);
      }
    }
  }
  const std::string verdict = report.verdict();
  out += fmt::format("{}: {} checks, {} passed, {} failed (error {}, warn {}, info {}), {} skipped\n",
                     paint(verdict, verdict == "PASS" ? "1;32" : "1;31"), report.checks.size(),
                     report.count(Outcome::Pass), report.count(Outcome::Fail),
                     report.count(Outcome::Fail, Severity::Error), report.count(Outcome::Fail, Severity::Warn),
                     report.count(Outcome::Fail, Severity::Info), report.count(Outcome::Skipped));
  return out;
}

}  // namespace xferval
