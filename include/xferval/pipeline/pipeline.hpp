#pragma once
// `xferval run PIPELINE.toml`: the four stages as one gate. profile the target, card the source
// model, check the target against it (and rank candidates), tune, verify the tuned model, and
// report. Each stage writes its artifacts to the output folder with a stamp of its inputs' hashes;
// a stage whose inputs are unchanged is skipped, so a stopped run resumes.
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace xferval {

inline const std::vector<std::string> kPipelineStages = {"profile", "card", "check", "rank", "tune", "verify", "report"};

struct PipelineOptions {
  std::string pipeline_path;
  std::string from;   // first stage to run ("" from the start)
  std::string until;  // last stage to run ("" to the end)
  bool force = false;  // tune even after a failed data check
  std::function<void(const std::string&)> log;
};

struct PipelineResult {
  std::string verdict;  // PASS or FAIL
  std::string output_dir;
  std::string report_path;  // OUT/report.json
  std::string html_path;
  std::vector<std::pair<std::string, std::string>> stages;  // stage, what happened
};

// UsageError for a bad pipeline file or stage names; InputError for bad data.
PipelineResult run_pipeline(const PipelineOptions& options);

}  // namespace xferval
