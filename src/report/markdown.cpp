#include <fmt/format.h>

#include <algorithm>

#include "report/svg.hpp"
#include "xferval/report/render.hpp"

namespace xferval {

namespace {

// Long messages (drift.share lists every drifted feature) would make the comment unreadable.
constexpr size_t kMaxMessageChars = 240;

int reading_rank(const CheckResult& check) {
  if (check.outcome == Outcome::Fail) return static_cast<int>(check.severity);  // error 0, warn 1, info 2
  return check.outcome == Outcome::Skipped ? 3 : 4;
}

// One table line: breaks become spaces, other control characters go (they render as nothing or
// as boxes, and some break the comment).
std::string one_line(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\n' || c == '\r' || c == '\t') {
      out += ' ';
    } else if ((static_cast<unsigned char>(c) >= 0x20 && c != 0x7F) ||
               static_cast<unsigned char>(c) >= 0x80) {
      out += c;
    }
  }
  return out;
}

std::string shorten(const std::string& text, size_t limit) {
  if (text.size() <= limit) return text;
  size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // keep UTF-8 whole
  return text.substr(0, cut) + "...";
}

// Inline text in a table cell: HTML-significant characters become entities (GitHub renders HTML
// in comments), Markdown punctuation is backslash-escaped, and `|` cannot end the cell.
std::string cell_text(const std::string& text) {
  std::string out;
  for (char c : one_line(text)) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '|':
        out += "\\|";
        break;
      case '\\':
      case '`':
      case '*':
      case '_':
      case '[':
      case ']':
      case '~':
        out += '\\';
        out += c;
        break;
      default:
        out += c;
    }
  }
  return out;
}

// A code span shows its content literally (no entities needed); a backtick inside needs a longer
// fence, and `|` inside a table still needs its backslash (GFM splits cells before code spans).
std::string code(const std::string& text, bool in_table) {
  if (text.empty()) return "";
  std::string content = one_line(text);
  if (in_table) {
    std::string escaped;
    for (char c : content) escaped += c == '|' ? std::string("\\|") : std::string(1, c);
    content = escaped;
  }
  if (content.find('`') == std::string::npos) return "`" + content + "`";
  return "`` " + content + " ``";
}

std::string threshold_text(const CheckResult& check) {
  return fmt::format("{} {}", to_string(check.fails_when), svg::compact_number(check.threshold));
}

std::string inputs_line(const nlohmann::json& inputs) {
  std::vector<std::string> parts;
  for (const auto& [role, value] : inputs.items()) {
    if (value.is_object() && value.contains("path") && value["path"].is_string()) {
      std::string part = fmt::format("{} {}", role, code(value["path"].get<std::string>(), false));
      std::vector<std::string> facts;
      if (value.contains("content_hash") && value["content_hash"].is_string()) {
        facts.push_back(value["content_hash"].get<std::string>());
      }
      if (value.contains("rows") && value["rows"].is_number()) {
        facts.push_back(fmt::format("{} rows", value["rows"].dump()));
      }
      if (!facts.empty()) part += fmt::format(" ({})", cell_text(fmt::format("{}", fmt::join(facts, ", "))));
      parts.push_back(part);
    } else if (value.is_string()) {
      parts.push_back(fmt::format("{}: {}", role, cell_text(value.get<std::string>())));
    } else if (value.is_array() && !value.empty()) {
      parts.push_back(fmt::format("{}: {}", role, code(value.dump(), false)));
    }
  }
  return fmt::format("{}", fmt::join(parts, "; "));
}

std::string table_row(const CheckResult& check, bool with_outcome) {
  std::string row = "|";
  if (with_outcome) row += fmt::format(" {} |", to_string(check.outcome));
  const std::string severity(to_string(check.severity));
  const bool loud = check.outcome == Outcome::Fail && check.severity == Severity::Error;
  row += fmt::format(" {} | {} | {} | {} | {} | {} |\n", loud ? "**" + severity + "**" : severity,
                     code(check.name, true), code(check.feature, true), svg::compact_number(check.value),
                     code(threshold_text(check), true), cell_text(shorten(check.message, kMaxMessageChars)));
  return row;
}

}  // namespace

std::vector<const CheckResult*> checks_in_reading_order(const Report& report) {
  std::vector<const CheckResult*> ordered;
  for (const CheckResult& check : report.checks) ordered.push_back(&check);
  std::stable_sort(ordered.begin(), ordered.end(), [](const CheckResult* a, const CheckResult* b) {
    return reading_rank(*a) < reading_rank(*b);
  });
  return ordered;
}

std::string render_markdown(const Report& report) {
  const std::string verdict = report.verdict();
  std::string out = fmt::format("## xferval {}: {}\n\n", cell_text(report.verb), verdict);
  out +=
      fmt::format("`{}` `{} checks` `{} passed` `{} failed: error {}, warn {}, info {}` `{} skipped`\n\n",
                  verdict, report.checks.size(), report.count(Outcome::Pass), report.count(Outcome::Fail),
                  report.count(Outcome::Fail, Severity::Error), report.count(Outcome::Fail, Severity::Warn),
                  report.count(Outcome::Fail, Severity::Info), report.count(Outcome::Skipped));
  out += verdict == "FAIL"
             ? "An error-severity check failed: the model's assumptions do not hold for this input.\n\n"
             : "No error-severity check failed.\n\n";
  const std::string inputs = inputs_line(report.inputs);
  if (!inputs.empty()) out += fmt::format("Inputs: {}\n\n", inputs);

  const std::vector<const CheckResult*> ordered = checks_in_reading_order(report);
  const std::string header =
      "| severity | check | feature | value | threshold | message |\n"
      "|---|---|---|--:|---|---|\n";
  if (report.count(Outcome::Fail) > 0) {
    out += "### Failed checks\n\n" + header;
    for (const CheckResult* check : ordered) {
      if (check->outcome == Outcome::Fail) out += table_row(*check, false);
    }
    out += "\n";
  } else {
    out += "No check failed.\n\n";
  }
  out += fmt::format("<details>\n<summary>All {} checks</summary>\n\n", report.checks.size());
  if (!report.checks.empty()) {
    out +=
        "| outcome | severity | check | feature | value | threshold | message |\n"
        "|---|---|---|---|--:|---|---|\n";
    for (const CheckResult* check : ordered) out += table_row(*check, true);
    out += "\n";
  }
  out += "</details>\n";
  if (!report.created.empty() || !report.xferval_version.empty()) {
    out += fmt::format("\n<sub>xferval {}, {}</sub>\n", cell_text(report.xferval_version),
                       cell_text(report.created));
  }
  return out;
}

}  // namespace xferval
