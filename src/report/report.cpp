#include "xferval/report/report.hpp"

#include <fmt/format.h>

#include <cmath>
#include <fstream>

#include "xferval/core/atomic_file.hpp"
#include "xferval/core/error.hpp"

namespace xferval {

using nlohmann::json;

std::string_view to_string(Severity severity) {
  switch (severity) {
    case Severity::Error: return "error";
    case Severity::Warn: return "warn";
    case Severity::Info: return "info";
  }
  return "?";
}

std::optional<Severity> severity_from_string(std::string_view text) {
  if (text == "error") return Severity::Error;
  if (text == "warn" || text == "warning") return Severity::Warn;
  if (text == "info") return Severity::Info;
  return std::nullopt;
}

std::string_view to_string(Outcome outcome) {
  switch (outcome) {
    case Outcome::Pass: return "pass";
    case Outcome::Fail: return "fail";
    case Outcome::Skipped: return "skipped";
  }
  return "?";
}

std::string_view to_string(FailsWhen when) {
  switch (when) {
    case FailsWhen::Above: return ">";
    case FailsWhen::AtLeast: return ">=";
    case FailsWhen::Below: return "<";
  }
  return "?";
}

namespace {

std::optional<Outcome> outcome_from_string(std::string_view text) {
  if (text == "pass") return Outcome::Pass;
  if (text == "fail") return Outcome::Fail;
  if (text == "skipped") return Outcome::Skipped;
  return std::nullopt;
}

std::optional<FailsWhen> fails_when_from_string(std::string_view text) {
  if (text == ">") return FailsWhen::Above;
  if (text == ">=") return FailsWhen::AtLeast;
  if (text == "<") return FailsWhen::Below;
  return std::nullopt;
}

// JSON has no NaN or infinity: such values are written as null.
json number_or_null(double value) { return std::isfinite(value) ? json(value) : json(nullptr); }

}  // namespace

Outcome judge(double value, double threshold, FailsWhen when) {
  if (std::isnan(value)) return Outcome::Fail;
  switch (when) {
    case FailsWhen::Above: return value > threshold ? Outcome::Fail : Outcome::Pass;
    case FailsWhen::AtLeast: return value >= threshold ? Outcome::Fail : Outcome::Pass;
    case FailsWhen::Below: return value < threshold ? Outcome::Fail : Outcome::Pass;
  }
  return Outcome::Fail;
}

std::string Report::verdict() const { return count(Outcome::Fail, Severity::Error) > 0 ? "FAIL" : "PASS"; }

size_t Report::count(Outcome outcome, std::optional<Severity> severity) const {
  size_t n = 0;
  for (const CheckResult& check : checks) {
    if (check.outcome == outcome && (!severity || check.severity == *severity)) ++n;
  }
  return n;
}

json report_to_json(const Report& report) {
  json checks = json::array();
  for (const CheckResult& check : report.checks) {
    checks.push_back({{"name", check.name},
                      {"feature", check.feature.empty() ? json(nullptr) : json(check.feature)},
                      {"metric", check.metric},
                      {"value", number_or_null(check.value)},
                      {"threshold", number_or_null(check.threshold)},
                      {"fails_when", to_string(check.fails_when)},
                      {"severity", to_string(check.severity)},
                      {"outcome", to_string(check.outcome)},
                      {"message", check.message},
                      {"details", check.details}});
  }
  json summary = {{"checks", report.checks.size()},
                  {"failed",
                   {{"error", report.count(Outcome::Fail, Severity::Error)},
                    {"warn", report.count(Outcome::Fail, Severity::Warn)},
                    {"info", report.count(Outcome::Fail, Severity::Info)}}},
                  {"passed", report.count(Outcome::Pass)},
                  {"skipped", report.count(Outcome::Skipped)}};
  return {{"format", kReportFormat},
          {"verb", report.verb},
          {"verdict", report.verdict()},
          {"summary", summary},
          {"created", report.created},
          {"xferval_version", report.xferval_version},
          {"inputs", report.inputs},
          {"checks", checks},
          {"sections", report.sections}};
}

Report report_from_json(const json& document, const std::string& origin) {
  if (!document.is_object() || document.value("format", json()) != kReportFormat) {
    throw InputError(origin, "member \"format\"", fmt::format("not an {} document", kReportFormat));
  }
  Report report;
  try {
    report.verb = document.at("verb").get<std::string>();
    report.created = document.at("created").get<std::string>();
    report.xferval_version = document.at("xferval_version").get<std::string>();
    report.inputs = document.at("inputs");
    report.sections = document.value("sections", json::object());
    size_t index = 0;
    for (const json& item : document.at("checks")) {
      CheckResult check;
      check.name = item.at("name").get<std::string>();
      if (!item.at("feature").is_null()) check.feature = item.at("feature").get<std::string>();
      check.metric = item.at("metric").get<std::string>();
      check.value = item.at("value").is_null() ? std::nan("") : item.at("value").get<double>();
      check.threshold = item.at("threshold").is_null() ? std::nan("") : item.at("threshold").get<double>();
      auto when = fails_when_from_string(item.at("fails_when").get<std::string>());
      auto severity = severity_from_string(item.at("severity").get<std::string>());
      auto outcome = outcome_from_string(item.at("outcome").get<std::string>());
      if (!when || !severity || !outcome) {
        throw InputError(origin, fmt::format("checks[{}]", index), "unknown fails_when, severity or outcome");
      }
      check.fails_when = *when;
      check.severity = *severity;
      check.outcome = *outcome;
      check.message = item.at("message").get<std::string>();
      check.details = item.value("details", json::object());
      report.checks.push_back(std::move(check));
      ++index;
    }
  } catch (const json::exception& error) {
    throw InputError(origin, "", fmt::format("invalid report: {}", error.what()));
  }
  return report;
}

Report load_report(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, "", "cannot open the report; check the path");
  json document;
  try {
    document = json::parse(in);
  } catch (const json::parse_error& error) {
    throw InputError(path, fmt::format("byte {}", error.byte), "not valid JSON");
  }
  return report_from_json(document, path);
}

void save_report(const Report& report, const std::string& path) {
  write_file_atomically(path, report_to_json(report).dump(1) + "\n");
}

}  // namespace xferval
