#pragma once
// The report (format xferval.report/1): every check that ran, with its figure, threshold,
// severity and outcome, and the verdict. The terminal summary (and later HTML, Markdown and
// JUnit) are renderings of this one document.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace xferval {

inline constexpr const char* kReportFormat = "xferval.report/1";

enum class Severity { Error, Warn, Info };
enum class Outcome { Pass, Fail, Skipped };
// How a check's value compares with its threshold to fail.
enum class FailsWhen { Above, AtLeast, Below };

std::string_view to_string(Severity severity);
std::optional<Severity> severity_from_string(std::string_view text);
std::string_view to_string(Outcome outcome);
std::string_view to_string(FailsWhen when);  // ">", ">=", "<"

struct CheckResult {
  std::string name;     // e.g. "drift.ks", "schema.missing_feature"
  std::string feature;  // empty for dataset-level checks
  std::string metric;   // what value measures, e.g. "p-value (Bonferroni-adjusted)"
  double value = 0.0;
  double threshold = 0.0;
  FailsWhen fails_when = FailsWhen::Above;
  Severity severity = Severity::Warn;
  Outcome outcome = Outcome::Pass;
  std::string message;       // one line a person reads
  nlohmann::json details = nlohmann::json::object();  // statistics behind the value
};

struct Report {
  std::string verb;  // "check", "verify", ...
  std::string created;
  std::string xferval_version;
  nlohmann::json inputs = nlohmann::json::object();  // files with their hashes, the policy
  std::vector<CheckResult> checks;
  nlohmann::json sections = nlohmann::json::object();  // per-verb data for the renderings

  // FAIL when an error-severity check failed, else PASS.
  std::string verdict() const;
  size_t count(Outcome outcome, std::optional<Severity> severity = std::nullopt) const;
};

// Decides pass or fail of a check from its value and threshold (NaN fails).
Outcome judge(double value, double threshold, FailsWhen when);

nlohmann::json report_to_json(const Report& report);
Report report_from_json(const nlohmann::json& document, const std::string& origin);
Report load_report(const std::string& path);
void save_report(const Report& report, const std::string& path);  // atomic

// The terminal summary: the verdict, counts, and a table of the failed checks (all checks with
// `all`); colour when `colour`.
std::string render_terminal(const Report& report, bool colour, bool all = false);

}  // namespace xferval
