#include "xferval/pipeline/pipeline.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <toml++/toml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "xferval/card/card.hpp"
#include "xferval/check/check.hpp"
#include "xferval/core/atomic_file.hpp"
#include "xferval/core/clock.hpp"
#include "xferval/core/error.hpp"
#include "xferval/core/hash.hpp"
#include "xferval/evaluate/evaluation.hpp"
#include "xferval/evaluate/model_parameters.hpp"
#include "xferval/model/model_card.hpp"
#include "xferval/model/rank.hpp"
#include "xferval/params/verify.hpp"
#include "xferval/profile/profile_json.hpp"
#include "xferval/report/render.hpp"
#include "xferval/tune/study.hpp"
#include "xferval/tune/tune_run.hpp"
#include "xferval/version.hpp"

namespace xferval {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// One dataset of the pipeline file: a path (relative to the file) and how to read it.
struct DataSpec {
  std::string path;
  ProfileOptions options;
  json identity;  // what the stamp hashes: the path and the options
};

struct Pipeline {
  std::string file;
  fs::path folder;  // the pipeline file's folder: relative paths start here
  std::string name;
  fs::path output;
  DataSpec source, target;
  std::optional<DataSpec> holdout;
  std::string model;
  std::vector<std::string> candidates;
  std::string check_policy, verify_policy;
  toml::table tune;
  std::vector<std::string> frozen;
};

std::string where(const toml::node& node) {
  return fmt::format("line {}, column {}", node.source().begin.line, node.source().begin.column);
}

std::string resolve(const Pipeline& p, const std::string& path) {
  if (path.empty() || fs::path(path).is_absolute()) return path;
  return (p.folder / path).lexically_normal().string();
}

std::string string_of(const Pipeline& p, const toml::table& table, const char* key,
                      const std::string& fallback = "") {
  const toml::node* node = table.get(key);
  if (!node) return fallback;
  auto value = node->value<std::string>();
  if (!value) throw InputError(p.file, where(*node), fmt::format("'{}' must be a string", key));
  return *value;
}

DataSpec data_spec(const Pipeline& p, const toml::table& document, const char* section, bool required) {
  DataSpec spec;
  const toml::table* table = document[section].as_table();
  if (!table) {
    if (required)
      throw InputError(p.file, "", fmt::format("needs a [{}] section with data = \"PATH\"", section));
    return spec;
  }
  spec.path = resolve(p, string_of(p, *table, "data"));
  if (spec.path.empty())
    throw InputError(p.file, where(*table), fmt::format("[{}] needs data = \"PATH\"", section));
  std::string label = string_of(p, *table, "label");
  if (!label.empty()) spec.options.label = label;
  spec.options.labels_path = resolve(p, string_of(p, *table, "labels"));
  spec.options.npz_member = string_of(p, *table, "member");
  spec.options.format = string_of(p, *table, "format");
  spec.identity = {{"path", spec.path},
                   {"label", label},
                   {"labels", spec.options.labels_path},
                   {"member", spec.options.npz_member},
                   {"format", spec.options.format}};
  return spec;
}

Pipeline load_pipeline(const std::string& path) {
  Pipeline p;
  p.file = path;
  p.folder = fs::absolute(path).parent_path();
  toml::table document;
  try {
    document = toml::parse_file(path);
  } catch (const toml::parse_error& error) {
    if (error.source().begin.line == 0)
      throw InputError(path, "", fmt::format("cannot read the pipeline: {}", error.description()));
    throw InputError(
        path, fmt::format("line {}, column {}", error.source().begin.line, error.source().begin.column),
        fmt::format("not valid TOML: {}", error.description()));
  }
  for (const auto& [key, node] : document) {
    static const std::vector<std::string> known = {"pipeline", "source", "model", "target",
                                                   "holdout",  "check",  "tune",  "verify"};
    if (std::find(known.begin(), known.end(), std::string(key.str())) == known.end()) {
      throw InputError(path, where(node),
                       fmt::format("unknown section [{}]; use {}", key.str(), fmt::join(known, ", ")));
    }
  }
  const toml::table* head = document["pipeline"].as_table();
  p.name = head ? string_of(p, *head, "name", "xferval pipeline") : "xferval pipeline";
  p.output = resolve(p, head ? string_of(p, *head, "output", "out") : "out");
  p.source = data_spec(p, document, "source", true);
  p.target = data_spec(p, document, "target", true);
  DataSpec holdout = data_spec(p, document, "holdout", false);
  if (!holdout.path.empty()) p.holdout = holdout;
  const toml::table* model = document["model"].as_table();
  if (!model) throw InputError(path, "", "needs a [model] section with path = \"MODEL.pt\"");
  p.model = resolve(p, string_of(p, *model, "path"));
  if (const toml::array* candidates = (*model)["candidates"].as_array()) {
    for (const auto& item : *candidates) {
      auto value = item.value<std::string>();
      if (!value) throw InputError(path, where(item), "candidates must be paths");
      p.candidates.push_back(resolve(p, *value));
    }
  }
  if (const toml::table* check = document["check"].as_table())
    p.check_policy = resolve(p, string_of(p, *check, "policy"));
  if (const toml::table* verify = document["verify"].as_table()) {
    p.verify_policy = resolve(p, string_of(p, *verify, "policy"));
    if (const toml::array* frozen = (*verify)["frozen"].as_array()) {
      for (const auto& item : *frozen) {
        if (auto value = item.value<std::string>()) p.frozen.push_back(*value);
      }
    }
  }
  if (const toml::table* tune = document["tune"].as_table()) p.tune = *tune;
  return p;
}

// A stage's inputs, hashed: files by content, settings by their JSON.
struct Stamp {
  json inputs = json::object();
  void file(const std::string& key, const std::string& path) {
    inputs[key] = path.empty() ? "" : (fs::is_directory(path) ? path : hash_file(path));
  }
  std::string digest() const { return fmt::format("xxh3:{:016x}", hash_string(inputs.dump())); }
};

class Runner {
 public:
  Runner(const PipelineOptions& options, Pipeline pipeline) : options_(options), p_(std::move(pipeline)) {
    auto index = [&](const std::string& stage, size_t fallback) {
      if (stage.empty()) return fallback;
      auto found = std::find(kPipelineStages.begin(), kPipelineStages.end(), stage);
      if (found == kPipelineStages.end()) {
        throw UsageError(
            fmt::format("unknown stage '{}'; stages: {}", stage, fmt::join(kPipelineStages, ", ")));
      }
      return static_cast<size_t>(found - kPipelineStages.begin());
    };
    first_ = index(options.from, 0);
    last_ = index(options.until, kPipelineStages.size() - 1);
    if (first_ > last_)
      throw UsageError(fmt::format("--from {} comes after --until {}", options.from, options.until));
    fs::create_directories(p_.output);
    fs::create_directories(p_.output / ".stamps");
  }

  std::string out(const std::string& name) const { return (p_.output / name).string(); }

  void log(const std::string& line) {
    if (options_.log) options_.log(line);
  }

  bool in_range(const std::string& stage) const {
    size_t i = static_cast<size_t>(std::find(kPipelineStages.begin(), kPipelineStages.end(), stage) -
                                   kPipelineStages.begin());
    return i >= first_ && i <= last_;
  }

  // Runs `work` unless the stamp of its inputs matches the last run and its outputs exist.
  bool stage(const std::string& name, const Stamp& stamp, const std::vector<std::string>& outputs,
             const std::function<void()>& work) {
    const std::string stamp_path = out(".stamps/" + name);
    const bool have =
        std::all_of(outputs.begin(), outputs.end(), [](const std::string& f) { return fs::exists(f); });
    if (!in_range(name)) {
      if (!have)
        throw UsageError(fmt::format("stage {} is outside --from/--until but its outputs are missing ({})",
                                     name, fmt::join(outputs, ", ")));
      result.stages.emplace_back(name, "not run (outside --from/--until)");
      return false;
    }
    std::string previous;
    if (std::ifstream in(stamp_path); in) std::getline(in, previous);
    if (have && previous == stamp.digest()) {
      log(fmt::format("{}: inputs unchanged, skipped", name));
      result.stages.emplace_back(name, "skipped (inputs unchanged)");
      return false;
    }
    log(fmt::format("{}: running", name));
    work();
    write_file_atomically(stamp_path, stamp.digest() + "\n");
    result.stages.emplace_back(name, "ran");
    return true;
  }

  PipelineResult run();

  PipelineResult result;

 private:
  const PipelineOptions& options_;
  Pipeline p_;
  size_t first_ = 0, last_ = 0;
};

CardOptions card_options(const DataSpec& data) {
  CardOptions options;
  options.label = data.options.label;
  options.labels_path = data.options.labels_path;
  options.npz_member = data.options.npz_member;
  options.format = data.options.format;
  return options;
}

tune::TuneOptions tune_options(const toml::table& table, const std::string& file) {
  tune::TuneOptions options;
  for (const auto& [key, node] : table) {
    const std::string name(key.str());
    auto bad = [&](const char* expected) {
      return InputError(file, where(node), fmt::format("[tune] {} must be {}", name, expected));
    };
    if (name == "trials") {
      options.trials = node.value<int64_t>().value_or(0);
      if (options.trials < 1) throw bad("a positive integer");
    } else if (name == "space") {
      options.space_path = node.value<std::string>().value_or("");
      if (options.space_path.empty()) throw bad("a path");
      options.space_path =
          (fs::absolute(file).parent_path() / options.space_path).lexically_normal().string();
    } else if (name == "sampler" || name == "pruner" || name == "study") {
      auto value = node.value<std::string>();
      if (!value) throw bad("a string");
      (name == "sampler" ? options.sampler : name == "pruner" ? options.pruner : options.study_name) = *value;
    } else if (name == "seed") {
      auto value = node.value<int64_t>();
      if (!value || *value < 0) throw bad("a non-negative integer");
      options.seed = static_cast<uint64_t>(*value);
    } else if (name == "epochs") {
      options.base.epochs = node.value<int64_t>().value_or(0);
      if (options.base.epochs < 1) throw bad("a positive integer");
    } else if (name == "batch_size") {
      options.base.batch_size = node.value<int64_t>().value_or(0);
      if (options.base.batch_size < 1) throw bad("a positive integer");
    } else if (name == "freeze") {
      options.base.freeze = node.value<std::string>().value_or("none");
    } else {
      throw InputError(
          file, where(node),
          fmt::format("unknown [tune] setting '{}'; use trials, space, sampler, pruner, study, seed, "
                      "epochs, batch_size, freeze",
                      name));
    }
  }
  return options;
}

// The study's trials for the report's search-history charts: number, value, state, parameters.
json search_history(const std::string& storage, const std::string& study_name) {
  tune::Study study = tune::Study::load(storage, study_name);
  json trials = json::array();
  for (const tune::FrozenTrial& trial : study.trials()) {
    json params = json::object();
    for (const auto& [name, internal] : trial.params) {
      tune::ParamValue value = trial.param(name);
      if (const double* number = std::get_if<double>(&value)) {
        params[name] = *number;
      } else if (const int64_t* integer = std::get_if<int64_t>(&value)) {
        params[name] = *integer;
      } else if (const bool* flag = std::get_if<bool>(&value)) {
        params[name] = *flag;
      } else {
        params[name] = tune::to_string(value);
      }
    }
    trials.push_back({{"number", trial.number},
                      {"value", trial.value ? json(*trial.value) : json(nullptr)},
                      {"state", tune::state_name(trial.state)},
                      {"params", params}});
  }
  return {{"study", study_name},
          {"direction", "maximize"},
          {"objective", "validation accuracy"},
          {"trials", trials}};
}

PipelineResult Runner::run() {
  result.output_dir = p_.output.string();
  const std::string profile_path = out("target.profile.json"), card_path = out("source.card.json"),
                    check_path = out("check.report.json"), rank_path = out("rank.json"),
                    tuned_model = out("tune/model.pt"), tuned_card = out("tune/model.card.json"),
                    verify_path = out("verify.report.json"), report_path = out("report.json");

  Stamp profile_stamp;
  profile_stamp.file("target", p_.target.path);
  profile_stamp.inputs["options"] = p_.target.identity;
  stage("profile", profile_stamp, {profile_path},
        [&] { save_profile(build_profile(p_.target.path, p_.target.options), profile_path); });

  Stamp card_stamp;
  card_stamp.file("source", p_.source.path);
  card_stamp.file("model", p_.model);
  card_stamp.inputs["options"] = p_.source.identity;
  stage("card", card_stamp, {card_path}, [&] {
    Card card = build_data_card(p_.source.path, card_options(p_.source));
    TorchModel model(p_.model);
    ModelInputs inputs =
        assemble_model_inputs(p_.source.path, p_.source.options, card.input, card.output.label);
    attach_model(card, model, inputs, {});
    save_card(card, card_path);
  });

  Stamp check_stamp;
  check_stamp.file("card", card_path);
  check_stamp.file("target", p_.target.path);
  check_stamp.file("policy", p_.check_policy);
  check_stamp.inputs["options"] = p_.target.identity;
  stage("check", check_stamp, {check_path}, [&] {
    CheckOptions options;
    options.data_path = p_.target.path;
    options.label = p_.target.options.label;
    options.labels_path = p_.target.options.labels_path;
    options.npz_member = p_.target.options.npz_member;
    options.format = p_.target.options.format;
    options.model_path = p_.model;
    options.policy = p_.check_policy.empty() ? Policy::defaults() : Policy::load(p_.check_policy);
    save_report(run_check(load_card(card_path), card_path, options), check_path);
  });
  Report check = load_report(check_path);
  log(fmt::format("check: {} ({} failed: error {}, warn {})", check.verdict(), check.count(Outcome::Fail),
                  check.count(Outcome::Fail, Severity::Error), check.count(Outcome::Fail, Severity::Warn)));

  if (!p_.candidates.empty()) {
    Stamp rank_stamp;
    rank_stamp.file("target", p_.target.path);
    for (size_t i = 0; i < p_.candidates.size(); ++i)
      rank_stamp.file(fmt::format("candidate{}", i), p_.candidates[i]);
    stage("rank", rank_stamp, {rank_path}, [&] {
      RankOptions options;
      options.data = p_.target.options;
      auto ranking = rank_models(p_.target.path, p_.candidates, options);
      write_file_atomically(rank_path, ranking_to_json(ranking, p_.target.path).dump(1) + "\n");
    });
  }

  const bool gate_closed = check.verdict() == "FAIL" && !options_.force;
  Report combined;
  combined.verb = "run";
  combined.created = utc_timestamp();
  combined.xferval_version = kVersion;
  combined.inputs = {{"pipeline", p_.file}, {"name", p_.name}, {"check", check.inputs}};
  for (CheckResult& c : check.checks) combined.checks.push_back(c);
  for (auto& [key, value] : check.sections.items()) combined.sections[key] = value;
  if (fs::exists(rank_path)) {
    std::ifstream in(rank_path);
    combined.sections["rank"] = json::parse(in);
  }

  if (gate_closed) {
    log("tune: not started, the data check failed (use --force to tune anyway)");
    result.stages.emplace_back("tune", "not started: the data check failed");
    result.stages.emplace_back("verify", "not started: the data check failed");
  } else {
    Stamp tune_stamp;
    tune_stamp.file("card", card_path);
    tune_stamp.file("model", p_.model);
    tune_stamp.file("target", p_.target.path);
    tune_stamp.inputs["options"] = p_.target.identity;
    std::stringstream settings;
    settings << p_.tune;
    tune_stamp.inputs["settings"] = settings.str();
    stage("tune", tune_stamp, {tuned_model, tuned_card}, [&] {
      tune::TuneOptions options = tune_options(p_.tune, p_.file);
      options.model_path = p_.model;
      options.card_path = card_path;
      options.data_path = p_.target.path;
      options.data = p_.target.options;
      options.output_dir = out("tune");
      options.log = [&](const std::string& line) { log("tune: " + line); };
      tune::TuneResult tuned = tune::run_tune(options);
      if (tuned.best.empty())
        throw InputError(p_.file, "[tune]", "no trial completed; see the study for the failures");
    });
    if (fs::exists(out("tune/study.db"))) {
      combined.inputs["study"] = out("tune/study.db");
      combined.sections["tune"] =
          search_history("sqlite:///" + out("tune/study.db"), tune_options(p_.tune, p_.file).study_name);
    }

    Stamp verify_stamp;
    verify_stamp.file("base", p_.model);
    verify_stamp.file("tuned", tuned_model);
    verify_stamp.file("holdout", p_.holdout ? p_.holdout->path : "");
    verify_stamp.file("train", p_.target.path);
    verify_stamp.file("policy", p_.verify_policy);
    verify_stamp.inputs["frozen"] = p_.frozen;
    stage("verify", verify_stamp, {verify_path}, [&] {
      params::VerifyOptions options;
      options.base_path = p_.model;
      options.tuned_path = tuned_model;
      options.frozen_patterns = p_.frozen;
      apply_tuned_card(options, tuned_card);
      options.policy = p_.verify_policy.empty() ? params::VerifyPolicy::defaults()
                                                : params::VerifyPolicy::load(p_.verify_policy);
      options.open = open_model_or_parameters;
      Report report = params::run_verify(options);
      if (p_.holdout) {
        EvaluationRequest request;
        request.base_model = p_.model;
        request.tuned_model = tuned_model;
        request.base_card = card_path;
        request.tuned_card = tuned_card;
        request.data_path = p_.holdout->path;
        request.data = p_.holdout->options;
        request.source_data_path = p_.source.path;
        request.train_data_path = p_.target.path;  // what the tune stage trained on
        request.train_data = p_.target.options;
        request.policy = options.policy;
        add_evaluation(report, request);
      }
      save_report(report, verify_path);
    });
    Report verify = load_report(verify_path);
    log(fmt::format("verify: {} ({} failed: error {}, warn {})", verify.verdict(),
                    verify.count(Outcome::Fail), verify.count(Outcome::Fail, Severity::Error),
                    verify.count(Outcome::Fail, Severity::Warn)));
    for (CheckResult& c : verify.checks) combined.checks.push_back(c);
    for (auto& [key, value] : verify.sections.items()) combined.sections[key] = value;
    combined.inputs["verify"] = verify.inputs;
  }
  combined.inputs["stages"] = json::object();
  for (const auto& [stage_name, what] : result.stages) combined.inputs["stages"][stage_name] = what;

  result.verdict = combined.verdict();
  result.report_path = report_path;
  result.html_path = out("report.html");
  if (in_range("report")) {
    save_report(combined, report_path);
    write_file_atomically(out("report.html"), render_html(combined));
    write_file_atomically(out("report.md"), render_markdown(combined));
    write_file_atomically(out("junit.xml"), render_junit(combined));
    result.stages.emplace_back("report", "ran");
  }
  return result;
}

}  // namespace

PipelineResult run_pipeline(const PipelineOptions& options) {
  Runner runner(options, load_pipeline(options.pipeline_path));
  return runner.run();
}

}  // namespace xferval
