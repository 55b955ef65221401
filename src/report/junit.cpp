#include <fmt/format.h>

#include "report/svg.hpp"
#include "xferval/report/render.hpp"

namespace xferval {

namespace {

using svg::escape;

// Attribute values are normalised by XML parsers (a newline becomes a space), so line breaks in
// an attribute are written as character references to survive.
std::string attribute(const std::string& text) {
  std::string out;
  for (char c : escape(text)) {
    if (c == '\n') {
      out += "&#10;";
    } else if (c == '\r') {
      out += "&#13;";
    } else if (c == '\t') {
      out += "&#9;";
    } else {
      out += c;
    }
  }
  return out;
}

std::string describe(const CheckResult& check) {
  std::string text = check.message.empty() ? check.metric : check.message;
  text += fmt::format("\nvalue: {} ({})\nfails when: value {} {}\nseverity: {}",
                      svg::compact_number(check.value), check.metric, to_string(check.fails_when),
                      svg::compact_number(check.threshold), to_string(check.severity));
  if (!check.details.empty()) text += "\ndetails: " + check.details.dump();
  return text;
}

std::string failure_message(const CheckResult& check) {
  std::string summary = fmt::format("value {} {} threshold {}", svg::compact_number(check.value),
                                    check.fails_when == FailsWhen::Below ? "below" : "above",
                                    svg::compact_number(check.threshold));
  return check.message.empty() ? summary : check.message + " (" + summary + ")";
}

// The inputs' scalar facts (path, content hash, rows) as flat properties: input.data.path, ...
void add_input_properties(const nlohmann::json& value, const std::string& name, std::string& out) {
  if (value.is_object()) {
    for (const auto& [key, member] : value.items()) add_input_properties(member, name + "." + key, out);
  } else if (!value.is_null()) {
    const std::string text = value.is_string() ? value.get<std::string>() : value.dump();
    out += fmt::format("      <property name=\"{}\" value=\"{}\"/>\n", attribute(name), attribute(text));
  }
}

}  // namespace

std::string render_junit(const Report& report) {
  const size_t tests = report.checks.size();
  const size_t failures = report.count(Outcome::Fail, Severity::Error);
  const size_t skipped = report.count(Outcome::Skipped);
  const std::string suite = attribute("xferval." + report.verb);
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out +=
      fmt::format("<testsuites name=\"xferval\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\">\n",
                  tests, failures, skipped);
  out += fmt::format(
      "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"0\">\n",
      suite, tests, failures, skipped);
  out += "    <properties>\n";
  out += fmt::format("      <property name=\"verdict\" value=\"{}\"/>\n", report.verdict());
  out += fmt::format("      <property name=\"created\" value=\"{}\"/>\n", attribute(report.created));
  out += fmt::format("      <property name=\"xferval_version\" value=\"{}\"/>\n",
                     attribute(report.xferval_version));
  add_input_properties(report.inputs, "input", out);
  out += "    </properties>\n";

  for (const CheckResult& check : report.checks) {
    out += fmt::format("    <testcase classname=\"{}\" name=\"{}\" time=\"0\"", attribute(check.name),
                       attribute(check.feature.empty() ? "dataset" : check.feature));
    if (check.outcome == Outcome::Pass) {
      out += "/>\n";
      continue;
    }
    out += ">\n";
    if (check.outcome == Outcome::Skipped) {
      out += fmt::format("      <skipped message=\"{}\"/>\n", attribute(check.message));
    } else if (check.severity == Severity::Error) {
      out +=
          fmt::format("      <failure message=\"{}\" type=\"{}\">{}</failure>\n",
                      attribute(failure_message(check)), to_string(check.severity), escape(describe(check)));
    } else {
      // A failed warn or info check does not fail the verdict, so it does not fail CI either;
      // its finding travels in the test case's output where CI systems show it.
      out += fmt::format("      <system-out>{}: {}</system-out>\n",
                         check.severity == Severity::Warn ? "WARN" : "INFO", escape(describe(check)));
    }
    out += "    </testcase>\n";
  }
  out += "  </testsuite>\n</testsuites>\n";
  return out;
}

}  // namespace xferval
