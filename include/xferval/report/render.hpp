#pragma once
// Renderings of the report document for people and for CI, besides the terminal summary
// (render_terminal in report.hpp). Each is a pure function of the Report, so a report.json
// re-renders identically at any later time. Formats and mappings: docs/reports.md.
#include <string>
#include <vector>

#include "xferval/report/report.hpp"

namespace xferval {

// The checks in reading order: failed error, failed warn, failed info, skipped, passed; the
// report's order is kept within each group.
std::vector<const CheckResult*> checks_in_reading_order(const Report& report);

// GitHub-flavoured Markdown for a pull-request comment: the verdict, a summary line, the failed
// checks (error first) and every check in a collapsed <details> block.
std::string render_markdown(const Report& report);

// JUnit XML, one test case per check. A failed error-severity check is a <failure>; a failed warn
// or info check passes with its message in <system-out>, so the JUnit file goes red exactly when
// the verdict is FAIL; a skipped check is <skipped>.
std::string render_junit(const Report& report);

// One self-contained HTML page (inline CSS and SVG charts; no script, no URL): the verdict, the
// inputs, drift against thresholds, the verb's sections as charts, and every check.
std::string render_html(const Report& report);

}  // namespace xferval
