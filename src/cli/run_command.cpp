#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

#include "commands.hpp"
#include "xferval/pipeline/pipeline.hpp"

namespace xferval::cli {

namespace {

struct RunArguments {
  std::string pipeline;
  std::string from;
  std::string until;
  bool force = false;
  bool quiet = false;
};

int run_run(const RunArguments& args) {
  PipelineOptions options;
  options.pipeline_path = args.pipeline;
  options.from = args.from;
  options.until = args.until;
  options.force = args.force;
  options.log = [&](const std::string& line) {
    if (!args.quiet) fmt::print(stderr, "run: {}\n", line);
  };
  PipelineResult result = run_pipeline(options);
  fmt::print("stages:\n");
  for (const auto& [stage, what] : result.stages) fmt::print("  {:<8} {}\n", stage, what);
  const bool colour = isatty(fileno(stdout));
  const char* code = result.verdict == "PASS" ? "1;32" : "1;31";
  fmt::print("{}\nreport: {}\nHTML report: {}\n",
             colour ? fmt::format("\x1b[{}m{}\x1b[0m", code, result.verdict) : result.verdict, result.report_path,
             result.html_path);
  return result.verdict == "PASS" ? 0 : 1;
}

}  // namespace

void add_run_command(CLI::App& root, Runner& run) {
  auto args = std::make_shared<RunArguments>();
  CLI::App* command = root.add_subcommand(
      "run", "Run the whole pipeline from a PIPELINE.toml: profile, card, check, rank, tune, verify, report");
  command->add_option("pipeline", args->pipeline, "Pipeline file (see docs/pipeline.md)")->required();
  command->add_option("--from", args->from, "First stage to run: profile, card, check, rank, tune, verify, report");
  command->add_option("--until", args->until, "Last stage to run");
  command->add_flag("--force", args->force, "Tune and verify even after a failed data check");
  command->add_flag("-q,--quiet", args->quiet, "No progress on standard error");
  command->footer(
      "Stages whose inputs are unchanged (by content hash) are skipped, so a stopped run resumes.\n"
      "Exit status: 0 PASS, 1 FAIL (an error-severity check failed), 2 bad input.\n"
      "Examples:\n"
      "  xferval run examples/fashion-mnist/pipeline.toml\n"
      "  xferval run examples/fashion-mnist/pipeline.toml --until check\n"
      "  xferval run examples/fashion-mnist/shifted.toml --force");
  command->callback([args, &run]() { run = [args]() { return run_run(*args); }; });
}

}  // namespace xferval::cli
