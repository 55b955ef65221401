// The orchestration of `xferval tune`: study, trials, fine-tuning, and the best model with its card.
// No LibTorch header here: the training loop is behind xferval/model/fine_tune.hpp.
#include "xferval/tune/tune_run.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <set>
#include <stop_token>
#include <thread>

#include "xferval/card/card.hpp"
#include "xferval/core/error.hpp"
#include "xferval/core/hash.hpp"
#include "xferval/model/model_card.hpp"
#include "xferval/tune/study.hpp"

namespace xferval::tune {

namespace {

namespace fs = std::filesystem;
constexpr const char* kWorkerAttr = "xferval_worker";

double number_of(const ParamValue& value, const std::string& name) {
  if (auto* d = std::get_if<double>(&value)) return *d;
  if (auto* i = std::get_if<int64_t>(&value)) return static_cast<double>(*i);
  if (auto* b = std::get_if<bool>(&value)) return *b ? 1.0 : 0.0;
  throw UsageError(
      fmt::format("search-space parameter '{}' must be a number, not {}", name, to_string(value)));
}

std::string text_of(const ParamValue& value, const std::string& name) {
  if (auto* s = std::get_if<std::string>(&value)) return *s;
  throw UsageError(
      fmt::format("search-space parameter '{}' must be a string, not {}", name, to_string(value)));
}

nlohmann::json param_json(const ParamValue& value) {
  return std::visit(
      [](const auto& v) -> nlohmann::json {
        if constexpr (std::is_same_v<std::decay_t<decltype(v)>, std::monostate>)
          return nullptr;
        else
          return v;
      },
      value);
}

std::unique_ptr<Sampler> sampler_named(const std::string& name, std::optional<uint64_t> seed) {
  if (name == "tpe") {
    TpeOptions options;
    options.seed = seed;
    return std::make_unique<TpeSampler>(options);
  }
  if (name == "random") return std::make_unique<RandomSampler>(seed);
  throw UsageError(fmt::format("unknown sampler '{}': tpe or random", name));
}

std::unique_ptr<Pruner> pruner_named(const std::string& name) {
  if (name == "median") return std::make_unique<MedianPruner>();
  if (name == "asha") return std::make_unique<SuccessiveHalvingPruner>();
  if (name == "hyperband") return std::make_unique<HyperbandPruner>();
  if (name == "none") return std::make_unique<NopPruner>();
  throw UsageError(fmt::format("unknown pruner '{}': median, asha, hyperband or none", name));
}

std::string host_name() {
  char buffer[256] = {};
  if (gethostname(buffer, sizeof buffer - 1) != 0) return "unknown";
  return buffer;
}

// A RUNNING trial started on this machine by a process that no longer exists was killed: it can
// be failed at once instead of after the heartbeat grace period.
std::vector<int64_t> fail_dead_local_trials(Study& study) {
  std::vector<int64_t> failed;
  const std::string host = host_name();
  for (const FrozenTrial& trial : study.trials()) {
    if (trial.state != TrialState::Running) continue;
    auto attr = trial.user_attrs.find(kWorkerAttr);
    if (attr == trial.user_attrs.end()) continue;
    nlohmann::json worker = nlohmann::json::parse(attr->second, nullptr, false);
    if (!worker.is_object() || worker.value("host", "") != host || !worker.contains("pid")) continue;
    const auto pid = worker["pid"].get<int64_t>();
    if (pid == getpid() || kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;
    if (study.storage().finish_trial(trial.trial_id, TrialState::Fail, std::nullopt))
      failed.push_back(trial.number);
  }
  return failed;
}

// The tuned model takes inputs standardised as the parent's were (it was trained on them), so
// the new card keeps the parent's input standardisation. For tabular data the Gaussian reference,
// fitted on the target's own z-scores, is mapped affinely onto the parent's.
void adopt_parent_standardisation(Card& card, const Card& parent) {
  if (card.input.kind == "tensor" && card.input.tensor && parent.input.tensor) {
    card.input.tensor->channel_mean = parent.input.tensor->channel_mean;
    card.input.tensor->channel_std = parent.input.tensor->channel_std;
    return;
  }
  if (card.input.kind != "tabular") return;
  std::map<std::string, std::pair<double, double>> affine;  // z_parent = a * z_target + b
  for (FeatureSpec& spec : card.input.features) {
    const FeatureSpec* from = parent.input.find(spec.name);
    if (!from || from->kind != spec.kind) continue;
    affine[spec.name] = {spec.scale / from->scale, (spec.mean - from->mean) / from->scale};
    spec.mean = from->mean;
    spec.scale = from->scale;
  }
  if (!card.reference) return;
  GaussianReference& reference = *card.reference;
  for (size_t j = 0; j < reference.features.size(); ++j) {
    auto found = affine.find(reference.features[j]);
    if (found == affine.end()) continue;
    const auto [a, b] = found->second;
    const auto column = static_cast<Eigen::Index>(j);
    if (reference.mean.size() > column) reference.mean(column) = a * reference.mean(column) + b;
    if (reference.ml_covariance.rows() > column) {
      reference.ml_covariance.row(column) *= a;
      reference.ml_covariance.col(column) *= a;
    }
    if (reference.holdout.cols() > column)
      reference.holdout.col(column) = (reference.holdout.col(column).array() * a + b).matrix();
    if (reference.fit_sample.cols() > column)
      reference.fit_sample.col(column) = (reference.fit_sample.col(column).array() * a + b).matrix();
  }
}

CardOptions card_options(const ProfileOptions& data) {
  CardOptions options;
  options.label = data.label;
  options.labels_path = data.labels_path;
  options.npz_member = data.npz_member;
  options.format = data.format;
  options.csv = data.csv;
  options.task = "classification";
  return options;
}

std::string describe(const std::map<std::string, ParamValue>& params) {
  std::vector<std::string> parts;
  for (const auto& [name, value] : params) parts.push_back(name + "=" + to_string(value));
  return fmt::format("{}", fmt::join(parts, " "));
}

std::optional<double> best_complete_value(const std::vector<FrozenTrial>& trials, int64_t except_number,
                                          int64_t* number = nullptr) {
  std::optional<double> best;
  for (const FrozenTrial& trial : trials) {
    if (trial.state != TrialState::Complete || !trial.value || trial.number == except_number) continue;
    if (!best || *trial.value > *best) {
      best = trial.value;
      if (number) *number = trial.number;
    }
  }
  return best;
}

std::optional<int64_t> saved_trial_number(const fs::path& card_path) {
  if (!fs::exists(card_path)) return std::nullopt;
  try {
    Card card = load_card(card_path.string());
    return card.model.at("lineage").at("trial_number").get<int64_t>();
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace

const std::vector<std::string>& tunable_parameters() {
  static const std::vector<std::string> names{
      "learning_rate", "weight_decay",  "epochs",          "batch_size",    "optimizer",  "momentum",
      "nesterov",      "freeze",        "label_smoothing", "l2sp_strength", "l2sp_alpha", "l2sp_beta",
      "schedule",      "warmup_epochs", "warmup_fraction", "patience"};
  return names;
}

FineTuneConfig trial_config(const FineTuneConfig& base, const std::map<std::string, ParamValue>& params) {
  FineTuneConfig config = base;
  std::optional<double> warmup_epochs;
  for (const auto& [name, value] : params) {
    if (name == "learning_rate")
      config.learning_rate = number_of(value, name);
    else if (name == "weight_decay")
      config.weight_decay = number_of(value, name);
    else if (name == "epochs")
      config.epochs = std::llround(number_of(value, name));
    else if (name == "batch_size")
      config.batch_size = std::llround(number_of(value, name));
    else if (name == "optimizer")
      config.optimizer = text_of(value, name);
    else if (name == "momentum")
      config.momentum = number_of(value, name);
    else if (name == "nesterov")
      config.nesterov = std::holds_alternative<std::string>(value) ? text_of(value, name) == "true"
                                                                   : number_of(value, name) != 0;
    else if (name == "freeze")
      config.freeze = text_of(value, name);
    else if (name == "label_smoothing")
      config.label_smoothing = number_of(value, name);
    else if (name == "l2sp_strength")
      config.l2sp_alpha = config.l2sp_beta = number_of(value, name);
    else if (name == "l2sp_alpha")
      config.l2sp_alpha = number_of(value, name);
    else if (name == "l2sp_beta")
      config.l2sp_beta = number_of(value, name);
    else if (name == "schedule")
      config.schedule = text_of(value, name);
    else if (name == "warmup_epochs")
      warmup_epochs = number_of(value, name);
    else if (name == "warmup_fraction")
      config.warmup_fraction = number_of(value, name);
    else if (name == "patience")
      config.patience = std::llround(number_of(value, name));
    else
      throw UsageError(fmt::format("unknown search-space parameter '{}'; the training loop understands {}",
                                   name, fmt::join(tunable_parameters(), ", ")));
  }
  // Warm-up in epochs becomes a share of the steps once the number of epochs is known.
  if (warmup_epochs)
    config.warmup_fraction = std::min(1.0, *warmup_epochs / static_cast<double>(config.epochs));
  return config;
}

TuneResult run_tune(const TuneOptions& options) {
  auto log = [&](const std::string& line) {
    if (options.log) options.log(line);
  };
  if (options.trials < 1) throw UsageError(fmt::format("--trials must be >= 1, not {}", options.trials));
  auto sampler = sampler_named(options.sampler, options.seed);
  auto pruner = pruner_named(options.pruner);
  SearchSpace space =
      options.space_path.empty() ? default_fine_tuning_space() : load_search_space(options.space_path);
  std::set<std::string> known(tunable_parameters().begin(), tunable_parameters().end());
  for (const auto& [name, distribution] : space.params) {
    if (!known.count(name)) {
      throw UsageError(
          fmt::format("{}: unknown search-space parameter '{}'; the training loop understands {}",
                      options.space_path.empty() ? "default space" : options.space_path, name,
                      fmt::join(tunable_parameters(), ", ")));
    }
  }
  FineTuneConfig base = options.base;
  base.seed = options.seed.value_or(0);
  validate(base);

  // The target, standardised as the parent's card says (the parent was trained on such inputs).
  const Card parent = load_card(options.card_path);
  if (!options.data.label && options.data.labels_path.empty()) {
    throw UsageError("tune needs --label (the target's label column or .npz member) or --labels FILE");
  }
  const std::string label_column = options.data.label.value_or("");
  ModelInputs inputs = assemble_model_inputs(options.data_path, options.data, parent.input, label_column);
  std::vector<std::string> present;
  for (const std::string& label : inputs.labels) {
    if (!label.empty()) present.push_back(label);
  }
  std::vector<std::string> target_labels = ordered_label_set(present);
  if (target_labels.size() < 2) {
    throw InputError(
        options.data_path, "",
        fmt::format("the label '{}' has {} class{} in the target data; fine-tuning a classifier needs "
                    "at least 2",
                    label_column, target_labels.size(), target_labels.size() == 1 ? "" : "es"));
  }
  // The pretrained head is kept only for the very same label set; any other set gets a new head.
  std::set<std::string> parent_set(parent.output.labels.begin(), parent.output.labels.end());
  std::set<std::string> target_set(target_labels.begin(), target_labels.end());
  const bool reset_head = parent_set != target_set;
  const std::vector<std::string> class_names = reset_head ? target_labels : parent.output.labels;
  std::vector<int> classes = label_indices(inputs.labels, class_names);
  const DataSplit split = stratified_split(classes, options.validation_fraction, base.seed);

  int64_t largest_batch = base.batch_size;
  if (const Distribution* batch = space.find("batch_size")) {
    if (auto* ints = std::get_if<IntDistribution>(batch)) largest_batch = ints->high;
    if (auto* floats = std::get_if<FloatDistribution>(batch))
      largest_batch = static_cast<int64_t>(floats->high);
  }
  if (static_cast<int64_t>(split.train.size()) < largest_batch) {
    throw InputError(
        options.data_path, "",
        fmt::format("{} labelled rows leave {} for training after the {:g}% validation split, fewer "
                    "than the batch size {}; lower batch_size (in --space) or add data",
                    split.train.size() + split.validation.size(), split.train.size(),
                    100 * options.validation_fraction, largest_batch));
  }

  fs::create_directories(options.output_dir);
  const fs::path out_dir(options.output_dir);
  const fs::path model_out = out_dir / "model.pt", card_out = out_dir / "model.card.json";
  TuneResult result;
  result.storage = options.storage.empty() ? "sqlite:///" + (out_dir / "study.db").string() : options.storage;
  result.study_name = options.study_name;
  result.budget = options.trials;
  result.model_path = model_out.string();
  result.card_path = card_out.string();
  for (const auto& [name, distribution] : space.params) result.space.push_back(name);

  Study study = Study::create_or_load(result.storage, options.study_name, StudyDirection::Maximize,
                                      std::move(sampler), std::move(pruner));
  // Before the run and before each trial, as Optuna does: fail the trials of dead workers and
  // re-queue them when asked to.
  auto reap = [&] {
    std::vector<int64_t> failed = fail_dead_local_trials(study);
    for (int64_t number : failed) log(fmt::format("trial {} failed: its worker died", number));
    for (int64_t number : study.fail_stale_trials(options.heartbeat_grace_seconds)) {
      log(fmt::format("trial {} failed: no heartbeat for {:g} s", number, options.heartbeat_grace_seconds));
      failed.push_back(number);
    }
    if (!options.retry_failed || failed.empty()) return;
    for (const FrozenTrial& trial : study.trials()) {
      if (std::find(failed.begin(), failed.end(), trial.number) == failed.end()) continue;
      if (study.storage().requeue_failed_trial(study.study_id(), trial, *options.retry_failed))
        log(fmt::format("trial {} re-queued with the same parameters", trial.number));
    }
  };
  reap();
  log(fmt::format("study '{}' in {}: {} of {} trials done; {} training / {} validation samples, {} classes{}",
                  options.study_name, result.storage, study.trials().size(), options.trials,
                  split.train.size(), split.validation.size(), class_names.size(),
                  reset_head ? " (new head)" : ""));

  const std::string parent_card_hash = hash_file(options.card_path);
  std::optional<Card> data_card;  // built once, at the first model worth saving
  const nlohmann::json worker = {{"host", host_name()}, {"pid", static_cast<int64_t>(getpid())}};

  for (bool first = true;; first = false) {
    if (!first) reap();
    auto trial = study.ask_within_budget(options.trials, &space);
    if (!trial) break;
    trial->set_user_attr(kWorkerAttr, worker.dump());
    trial->heartbeat();
    // An epoch can outlast the grace period; this thread keeps the trial alive meanwhile.
    std::jthread beating;
    if (options.heartbeat_seconds > 0) {
      beating = std::jthread(
          [&study, id = trial->trial_id(), seconds = options.heartbeat_seconds, &log](std::stop_token stop) {
            std::mutex mutex;
            std::condition_variable_any wake;
            std::unique_lock lock(mutex);
            while (!wake.wait_for(lock, stop, std::chrono::duration<double>(seconds),
                                  [&stop] { return stop.stop_requested(); })) {
              try {
                study.storage().record_heartbeat(id);
              } catch (const std::exception& e) {
                log(fmt::format("heartbeat: {}", e.what()));
              }
            }
          });
    }
    const auto params = trial->params();
    const std::string heading = fmt::format("trial {} of {}", trial->number() + 1, options.trials);
    log(fmt::format("{}: {}", heading, describe(params)));
    int64_t best_number = -1;
    std::optional<double> best_before = best_complete_value(study.trials(), trial->number(), &best_number);
    const std::string best_text =
        best_before ? fmt::format("best so far {:.4f} (trial {})", *best_before, best_number + 1)
                    : "no best yet";
    FineTuneResult outcome;
    FineTuneConfig config;
    std::optional<FineTuner> tuner;
    try {
      config = trial_config(base, params);
      tuner.emplace(options.model_path, static_cast<int64_t>(class_names.size()), reset_head, config,
                    options.model);
      outcome = tuner->train(inputs, classes, split, [&](const EpochMetrics& epoch) {
        trial->report(epoch.validation_accuracy, epoch.epoch);
        trial->heartbeat();
        log(fmt::format("{} epoch {}/{}: loss {:.4f}, validation accuracy {:.4f}, {:.2f} s; {}", heading,
                        epoch.epoch + 1, config.epochs, epoch.train_loss, epoch.validation_accuracy,
                        epoch.seconds, best_text));
        return !trial->should_prune();
      });
    } catch (...) {
      study.tell(*trial, TrialState::Fail);
      throw;
    }
    if (outcome.diverged) {
      study.tell(*trial, TrialState::Fail);
      log(fmt::format("{}: FAIL (the loss diverged)", heading));
      continue;
    }
    if (outcome.stopped_by_caller) {
      study.tell(*trial, TrialState::Pruned);
      log(fmt::format("{}: PRUNED after epoch {}", heading, outcome.epochs.size()));
      continue;
    }
    const double value = outcome.best_validation_accuracy;
    trial->set_user_attr("best_epoch", std::to_string(outcome.best_epoch));
    study.tell(*trial, value);
    log(fmt::format("{}: COMPLETE, validation accuracy {:.4f} (epoch {}){}", heading, value,
                    outcome.best_epoch + 1, outcome.stopped_early ? ", stopped early" : ""));
    // Only a new best is written; other workers may be writing too, so compare with the study now.
    if (best_complete_value(study.trials(), trial->number()).value_or(-1.0) >= value) continue;
    tuner->save(model_out.string());
    if (!data_card) {
      data_card = build_data_card(options.data_path, card_options(options.data));
      adopt_parent_standardisation(*data_card, parent);
    }
    Card card = *data_card;
    TorchModel tuned(model_out.string(), options.model);
    ModelInputs card_inputs =
        assemble_model_inputs(options.data_path, options.data, card.input, label_column);
    attach_model(card, tuned, card_inputs, ModelCardOptions{base.seed, 0.2, 2000, "ledoit-wolf"});
    nlohmann::json hyperparameters = nlohmann::json::object();
    for (const auto& [name, param] : params) hyperparameters[name] = param_json(param);
    nlohmann::json& lineage = card.model["lineage"];
    lineage["parent_model_hash"] = hash_file(options.model_path);
    lineage["parent_model_path"] = options.model_path;
    lineage["parent_card_hash"] = parent_card_hash;
    lineage["target_data_hash"] = inputs.content_hash;
    lineage["hyperparameters"] = hyperparameters;
    lineage["validation_metric"] = {{"name", "accuracy"},
                                    {"value", value},
                                    {"epoch", outcome.best_epoch},
                                    {"fraction", options.validation_fraction},
                                    {"samples", split.validation.size()}};
    lineage["study_name"] = options.study_name;
    lineage["storage"] = result.storage;
    lineage["trial_number"] = trial->number();
    lineage["freeze"] = config.freeze;
    lineage["frozen_parameters"] = tuner->frozen_parameters();
    lineage["head_reset"] = reset_head;
    lineage["labels"] = class_names;
    save_card(card, card_out.string());
    log(fmt::format("{}: new best, saved {} and {}", heading, model_out.string(), card_out.string()));
  }

  std::vector<FrozenTrial> complete;
  for (FrozenTrial& trial : study.trials()) {
    if (trial.state == TrialState::Complete && trial.value) complete.push_back(std::move(trial));
  }
  std::stable_sort(complete.begin(), complete.end(),
                   [](const FrozenTrial& a, const FrozenTrial& b) { return *a.value > *b.value; });
  if (complete.size() > 5) complete.resize(5);
  result.best = std::move(complete);
  result.saved_trial = saved_trial_number(card_out);
  return result;
}

}  // namespace xferval::tune
