#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

#include "commands.hpp"
#include "xferval/core/atomic_file.hpp"
#include "xferval/report/render.hpp"

namespace xferval::cli {

namespace {

struct ReportArguments {
  std::string report;
  std::string html;
  std::string markdown;
  std::string junit;
  bool all = false;
  bool quiet = false;
};

int run_report_command(const ReportArguments& args) {
  const Report report = load_report(args.report);
  // Render everything before writing anything, so a failure leaves no partial set of files.
  std::vector<std::pair<std::string, std::string>> outputs;
  if (!args.html.empty()) outputs.emplace_back(args.html, render_html(report));
  if (!args.markdown.empty()) outputs.emplace_back(args.markdown, render_markdown(report));
  if (!args.junit.empty()) outputs.emplace_back(args.junit, render_junit(report));
  for (const auto& [path, content] : outputs) write_file_atomically(path, content);

  if (outputs.empty()) {
    fmt::print("{}", render_terminal(report, isatty(fileno(stdout)), args.all));
  } else if (!args.quiet) {
    for (const auto& [path, content] : outputs) fmt::print("written {}\n", path);
    fmt::print("verdict {}\n", report.verdict());
  }
  // The exit status is the report's verdict, so CI can gate on re-rendering a stored report.
  return report.verdict() == "PASS" ? 0 : 1;
}

}  // namespace

void add_report_command(CLI::App& root, Runner& run) {
  auto args = std::make_shared<ReportArguments>();
  CLI::App* command = root.add_subcommand(
      "report",
      "Render a report.json (from check or verify) as HTML, Markdown or JUnit XML, or summarise it");
  command->add_option("report", args->report, "The report: an xferval.report/1 JSON file")->required();
  command->add_option("--html", args->html,
                      "Write a self-contained HTML page (inline SVG charts, no network)");
  command->add_option("--md,--markdown", args->markdown, "Write Markdown for a pull-request comment");
  command->add_option("--junit", args->junit, "Write JUnit XML, one test case per check");
  command->add_flag("--all", args->all, "Without output files: list every check, not only the failed ones");
  command->add_flag("-q,--quiet", args->quiet, "Do not list the files written");
  command->footer(
      "With none of --html, --md, --junit: print the terminal summary.\n"
      "JUnit: a failed error check is a <failure>; a failed warn or info check passes with its message in\n"
      "<system-out>; a skipped check is <skipped>. See docs/reports.md.\n"
      "Exit status: the report's verdict: 0 PASS, 1 FAIL; 2 when the report cannot be read.\n"
      "Examples:\n"
      "  xferval report report.json\n"
      "  xferval report report.json --html report.html\n"
      "  xferval report report.json --md comment.md --junit junit.xml   # in CI; exit 1 fails the job");
  command->callback([args, &run]() { run = [args]() { return run_report_command(*args); }; });
}

}  // namespace xferval::cli
