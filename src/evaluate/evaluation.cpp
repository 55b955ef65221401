#include "xferval/evaluate/evaluation.hpp"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <optional>
#include <stdexcept>

#include "xferval/card/card.hpp"
#include "xferval/core/error.hpp"
#include "xferval/model/model_card.hpp"
#include "xferval/model/model_inputs.hpp"
#include "xferval/params/metrics.hpp"
#include "xferval/transfer/linear_probe.hpp"
#include "xferval/transfer/logme.hpp"
#include "xferval/transfer/scores.hpp"

namespace xferval {

namespace {

// The head's probabilities, row-major.
std::vector<double> probabilities_row_major(const Eigen::MatrixXd& logits) {
  Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> p = softmax_rows(logits);
  return {p.data(), p.data() + p.size()};
}

// A model with its card, run on a data file.
struct Evaluated {
  Card card;
  std::vector<std::string> head_labels;
  ModelInputs inputs;
  ModelOutputs outputs;
};

Evaluated run_model(const std::string& model_path, const std::string& card_path, const std::string& data_path,
                    const ProfileOptions& data) {
  if (card_path.empty()) {
    throw UsageError(
        fmt::format("evaluating {} needs its card: write MODEL.card.json beside it with 'xferval card "
                    "--model', or give --base-card/--tuned-card",
                    model_path));
  }
  Evaluated e{load_card(card_path), {}, {}, {}};
  TorchModel model(model_path);
  require_card_model(e.card, card_path, model);
  if (!e.card.model.is_null() && !e.card.model["output"]["labels"].is_null()) {
    e.head_labels = e.card.model["output"]["labels"].get<std::vector<std::string>>();
  }
  e.inputs = assemble_model_inputs(data_path, data, e.card.input, e.card.output.label);
  e.outputs = model.run(e.inputs.values, e.inputs.count, e.inputs.sample_shape);
  return e;
}

nlohmann::json evaluation_json(const ClassifierEvaluation& e) {
  return {{"labels", e.labels},
          {"samples", e.samples},
          {"unknown_labels", e.unknown_labels},
          {"accuracy", e.accuracy},
          {"macro_f1", e.macro_f1},
          {"log_loss", e.log_loss},
          {"expected_calibration_error", e.expected_calibration_error},
          {"confusion_matrix", {{"labels", e.labels}, {"matrix", e.confusion}}}};
}

nlohmann::json evaluation_json(const RegressionEvaluation& e) {
  return {{"samples", e.samples},
          {"missing_targets", e.missing_targets},
          {"mse", e.mse},
          {"mae", e.mae},
          {"r2", e.r2}};
}

bool is_regression(const Evaluated& e) { return e.card.output.task == "regression"; }

RegressionEvaluation regression_of(const Evaluated& e) {
  return evaluate_regression(e.outputs, e.inputs.labels);
}

// The rows a metric is computed on: classification keeps samples whose label the head knows,
// regression those with a target.
std::vector<size_t> scored_rows(const std::vector<std::string>& labels,
                                const std::vector<std::string>& head_labels, bool regression) {
  std::vector<size_t> rows;
  std::vector<int> indices = regression ? std::vector<int>() : label_indices(labels, head_labels);
  for (size_t i = 0; i < labels.size(); ++i) {
    if (regression ? !labels[i].empty() : indices[i] >= 0) rows.push_back(i);
  }
  return rows;
}

struct Adder {
  Report& report;
  const params::VerifyPolicy& policy;
  void add(const std::string& name, double value, std::string message,
           nlohmann::json details = nlohmann::json::object()) {
    const CheckDefinition& definition = policy.at(name);
    if (!definition.enabled) return;
    CheckResult result{name,
                       "",
                       definition.metric,
                       value,
                       definition.threshold,
                       definition.fails_when,
                       definition.severity,
                       judge(value, definition.threshold, definition.fails_when),
                       std::move(message),
                       std::move(details)};
    report.checks.push_back(std::move(result));
  }
  void skip(const std::string& name, std::string reason) {
    const CheckDefinition& definition = policy.at(name);
    if (!definition.enabled) return;
    report.checks.push_back({name, "", definition.metric, std::nan(""), definition.threshold,
                             definition.fails_when, definition.severity, Outcome::Skipped, std::move(reason),
                             nlohmann::json::object()});
  }
};

double logme_on(const Evaluated& e) {
  std::vector<std::string> names = ordered_label_set(e.inputs.labels);
  std::vector<int> labels = label_indices(e.inputs.labels, names);
  return logme_classification(e.outputs.embeddings, labels).score;
}

void forgetting(Adder& adder, const EvaluationRequest& request, const std::string& base_card,
                const std::string& tuned_card) {
  if (request.source_data_path.empty()) {
    adder.skip("eval.forgetting", "give --source-data to measure forgetting on the source task");
    return;
  }
  if (base_card.empty()) {
    adder.skip("eval.forgetting", "no card for the base model");
    return;
  }
  Evaluated base = run_model(request.base_model, base_card, request.source_data_path, request.data);
  Evaluated tuned = run_model(request.tuned_model, tuned_card, request.source_data_path, request.data);
  if (is_regression(base) || is_regression(tuned)) {
    if (!is_regression(base) || !is_regression(tuned)) {
      adder.skip("eval.forgetting", "one model is a regression model and the other a classifier");
      return;
    }
    const double before = regression_of(base).r2, after = regression_of(tuned).r2;
    adder.add("eval.forgetting", before - after,
              fmt::format("source R-squared {:.4f} before, {:.4f} after fine-tuning", before, after),
              {{"measure", "source R-squared drop"}, {"base", before}, {"tuned", after}});
    return;
  }
  ClassifierEvaluation base_eval = evaluate_classifier(base.outputs, base.inputs.labels, base.head_labels);
  if (!tuned.head_labels.empty() && tuned.head_labels == base.head_labels) {
    ClassifierEvaluation tuned_eval =
        evaluate_classifier(tuned.outputs, tuned.inputs.labels, tuned.head_labels);
    adder.add(
        "eval.forgetting", base_eval.accuracy - tuned_eval.accuracy,
        fmt::format("source accuracy {:.4f} before, {:.4f} after fine-tuning", base_eval.accuracy,
                    tuned_eval.accuracy),
        {{"measure", "source accuracy drop"}, {"base", base_eval.accuracy}, {"tuned", tuned_eval.accuracy}});
    return;
  }
  // The head was replaced for new labels: what the representation forgot shows in how well a
  // linear model on it still separates the source labels (LogME, per sample, natural log).
  double before = logme_on(base), after = logme_on(tuned);
  adder.add("eval.forgetting", before - after,
            fmt::format(
                "the head was replaced, so forgetting is measured on the representation: source LogME {:.4f} "
                "before, {:.4f} after fine-tuning",
                before, after),
            {{"measure", "source LogME drop"},
             {"base", before},
             {"tuned", after},
             {"base_accuracy", base_eval.accuracy}});
}

// Tuned against base on the holdout, where both predict the same thing.
void improvement(Adder& adder, nlohmann::json& section, const Evaluated& tuned, const Evaluated* base,
                 bool regression, double tuned_score) {
  if (base == nullptr) {
    adder.skip("eval.improvement", "no card for the base model");
    return;
  }
  if (regression) {
    if (!is_regression(*base) || base->outputs.logits.cols() != 1) {
      adder.skip("eval.improvement", "the base model is not a regression model with one output");
      return;
    }
    RegressionEvaluation base_eval = regression_of(*base);
    section["base"] = evaluation_json(base_eval);
    adder.add("eval.improvement", tuned_score - base_eval.r2,
              fmt::format("holdout R-squared {:.4f} tuned, {:.4f} base", tuned_score, base_eval.r2),
              {{"metric", "r2"}, {"tuned", tuned_score}, {"base", base_eval.r2}});
    return;
  }
  if (base->head_labels != tuned.head_labels) {
    adder.skip("eval.improvement", "the base model's head predicts other labels than the tuned one's");
    return;
  }
  ClassifierEvaluation base_eval = evaluate_classifier(base->outputs, base->inputs.labels, base->head_labels);
  section["base"] = evaluation_json(base_eval);
  adder.add("eval.improvement", tuned_score - base_eval.accuracy,
            fmt::format("holdout accuracy {:.4f} tuned, {:.4f} base", tuned_score, base_eval.accuracy),
            {{"metric", "accuracy"}, {"tuned", tuned_score}, {"base", base_eval.accuracy}});
}

// The base embedding and the labels (class indices of the tuned head) or numeric targets of the
// samples a probe can use.
struct ProbeSamples {
  Eigen::MatrixXd features;
  std::vector<int> classes;
  Eigen::VectorXd targets;
};

ProbeSamples probe_samples(const Evaluated& base_run, const std::vector<std::string>& head_labels,
                           bool regression) {
  const std::vector<size_t> rows = scored_rows(base_run.inputs.labels, head_labels, regression);
  ProbeSamples out{base_run.outputs.embeddings(rows, Eigen::all),
                   {},
                   Eigen::VectorXd(static_cast<Eigen::Index>(rows.size()))};
  std::vector<std::string> kept;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (regression) out.targets(static_cast<Eigen::Index>(i)) = std::stod(base_run.inputs.labels[rows[i]]);
    kept.push_back(base_run.inputs.labels[rows[i]]);
  }
  if (!regression) out.classes = label_indices(kept, head_labels);
  return out;
}

// Fine-tuning has to beat a linear model on the base model's frozen embedding. Fitted on the data
// the tuned model was trained on (--train-data) it is the like-for-like baseline; without it, it
// is cross-validated on the holdout, which gives the probe more labelled samples than a small
// fine-tuning set had.
void linear_probe(Adder& adder, const EvaluationRequest& request, const std::string& base_card,
                  const Evaluated& tuned, const Evaluated* base, bool regression, double tuned_score) {
  if (base == nullptr) {
    adder.skip("eval.linear_probe", "no card for the base model: the probe runs on its embedding");
    return;
  }
  if (base->inputs.count != tuned.inputs.count) {
    adder.skip("eval.linear_probe", "the base and tuned cards read a different number of holdout samples");
    return;
  }
  constexpr int kFolds = 5;
  const ProbeSamples holdout = probe_samples(*base, tuned.head_labels, regression);
  std::optional<ProbeSamples> train;
  if (!request.train_data_path.empty()) {
    train =
        probe_samples(run_model(request.base_model, base_card, request.train_data_path, request.train_data),
                      tuned.head_labels, regression);
  }
  double probe = 0;
  try {
    if (regression) {
      std::vector<double> predicted =
          train ? fit_predict_ridge_probe(train->features, train->targets, holdout.features)
                : ridge_probe(holdout.features, holdout.targets, kFolds);
      probe = params::r2_score({holdout.targets.data(), holdout.targets.data() + holdout.targets.size()},
                               predicted);
    } else {
      std::vector<int> predicted =
          train ? fit_predict_logistic_probe(train->features, train->classes, holdout.features)
                : logistic_probe(holdout.features, holdout.classes, kFolds);
      probe = params::accuracy({holdout.classes.begin(), holdout.classes.end()},
                               {predicted.begin(), predicted.end()});
    }
  } catch (const std::invalid_argument& error) {
    adder.skip("eval.linear_probe", fmt::format("the linear probe cannot run ({})", error.what()));
    return;
  }
  const std::string fitted =
      train ? fmt::format("fitted on the {} samples of {}", train->features.rows(), request.train_data_path)
            : fmt::format("{}-fold cross-validated on the holdout", kFolds);
  adder.add(
      "eval.linear_probe", tuned_score - probe,
      fmt::format(
          "holdout {} {:.4f} tuned, {:.4f} for a linear probe on the base model's frozen embedding ({})",
          regression ? "R-squared" : "accuracy", tuned_score, probe, fitted),
      {{"metric", regression ? "r2" : "accuracy"},
       {"tuned", tuned_score},
       {"probe", probe},
       {"fitted", train ? "train data" : "cross-validated holdout"},
       {"folds", train ? 0 : kFolds},
       {"train_samples", train ? train->features.rows() : 0},
       {"probe_model",
        regression ? "StandardScaler + Ridge(alpha=1)" : "StandardScaler + LogisticRegression(C=1)"},
       {"samples", holdout.features.rows()}});
}

}  // namespace

void apply_tuned_card(params::VerifyOptions& options, const std::string& card_path) {
  for (const std::string& name : frozen_in_lineage(card_path)) options.frozen_patterns.push_back(name);
  if (!options.head_prefixes.empty() || card_path.empty()) return;
  Card card = load_card(card_path);
  if (card.model.is_null()) return;
  const nlohmann::json& head = card.model.value("head", nlohmann::json::object());
  if (head.contains("name") && head["name"].is_string() && !head["name"].get<std::string>().empty()) {
    options.head_prefixes.push_back(head["name"].get<std::string>());
  }
}

std::vector<std::string> frozen_in_lineage(const std::string& card_path) {
  if (card_path.empty()) return {};
  Card card = load_card(card_path);
  if (card.model.is_null()) return {};
  const nlohmann::json& lineage = card.model.value("lineage", nlohmann::json::object());
  const nlohmann::json& frozen = lineage.value("frozen_parameters", nlohmann::json::array());
  return frozen.is_array() ? frozen.get<std::vector<std::string>>() : std::vector<std::string>{};
}

ClassifierEvaluation evaluate_classifier(const ModelOutputs& outputs,
                                         const std::vector<std::string>& sample_labels,
                                         const std::vector<std::string>& head_labels) {
  ClassifierEvaluation e;
  e.labels = head_labels;
  const size_t classes = head_labels.size();
  if (classes == 0 || static_cast<size_t>(outputs.logits.cols()) != classes) {
    throw InputError("", "",
                     fmt::format("the head has {} outputs but {} labels are known for it",
                                 outputs.logits.cols(), classes));
  }
  std::vector<int> indices = label_indices(sample_labels, head_labels);
  std::vector<double> probabilities = probabilities_row_major(outputs.logits);
  std::vector<int64_t> truth, predicted;
  std::vector<double> kept;
  for (size_t i = 0; i < indices.size(); ++i) {
    if (indices[i] < 0) {
      ++e.unknown_labels;
      continue;
    }
    truth.push_back(indices[i]);
    Eigen::Index best = 0;
    outputs.logits.row(static_cast<Eigen::Index>(i)).maxCoeff(&best);
    predicted.push_back(best);
    kept.insert(kept.end(), probabilities.begin() + static_cast<std::ptrdiff_t>(i * classes),
                probabilities.begin() + static_cast<std::ptrdiff_t>((i + 1) * classes));
  }
  e.samples = truth.size();
  if (e.samples == 0) return e;
  e.accuracy = params::accuracy(truth, predicted);
  e.macro_f1 = params::macro_f1(truth, predicted);
  e.log_loss = params::log_loss(truth, kept, classes);
  e.expected_calibration_error = params::expected_calibration_error(truth, kept, classes);
  e.confusion = params::confusion_matrix(truth, predicted, classes);
  return e;
}

RegressionEvaluation evaluate_regression(const ModelOutputs& outputs,
                                         const std::vector<std::string>& sample_targets) {
  if (outputs.logits.cols() != 1) {
    throw InputError(
        "", "", fmt::format("a regression model needs one output; this head has {}", outputs.logits.cols()));
  }
  RegressionEvaluation e;
  std::vector<double> truth, predicted;
  for (size_t i = 0; i < sample_targets.size(); ++i) {
    if (sample_targets[i].empty()) {
      ++e.missing_targets;
      continue;
    }
    size_t used = 0;
    double value = 0;
    try {
      value = std::stod(sample_targets[i], &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != sample_targets[i].size() || !std::isfinite(value)) {
      throw InputError("", fmt::format("sample {}", i),
                       fmt::format("target '{}' is not a finite number", sample_targets[i]));
    }
    truth.push_back(value);
    predicted.push_back(outputs.logits(static_cast<Eigen::Index>(i), 0));
  }
  e.samples = truth.size();
  if (e.samples == 0) return e;
  e.mse = params::mean_squared_error(truth, predicted);
  e.mae = params::mean_absolute_error(truth, predicted);
  e.r2 = params::r2_score(truth, predicted);
  return e;
}

void add_evaluation(Report& report, const EvaluationRequest& request) {
  Adder adder{report, request.policy};
  const std::string tuned_card =
      request.tuned_card.empty() ? sibling_card_path(request.tuned_model) : request.tuned_card;
  const std::string base_card =
      request.base_card.empty() ? sibling_card_path(request.base_model) : request.base_card;
  Evaluated tuned = run_model(request.tuned_model, tuned_card, request.data_path, request.data);
  const bool regression = is_regression(tuned);
  report.inputs["holdout"] = {{"path", request.data_path},
                              {"content_hash", tuned.inputs.content_hash},
                              {"samples", tuned.inputs.count}};
  nlohmann::json section;
  double tuned_score = 0;  // accuracy, or R-squared for regression
  if (regression) {
    RegressionEvaluation tuned_eval = regression_of(tuned);
    if (tuned_eval.samples == 0)
      throw InputError(request.data_path, "", "no holdout sample has a target value");
    tuned_score = tuned_eval.r2;
    section = {{"task", "regression"}, {"tuned", evaluation_json(tuned_eval)}, {"base", nullptr}};
    adder.add("eval.r2", tuned_eval.r2,
              fmt::format("R-squared {:.4f}, MSE {:.6g}, MAE {:.6g} on {} holdout samples", tuned_eval.r2,
                          tuned_eval.mse, tuned_eval.mae, tuned_eval.samples),
              evaluation_json(tuned_eval));
    adder.skip("eval.accuracy", "a regression model: see eval.r2");
    adder.skip("eval.calibration", "a regression model has no class confidences");
  } else {
    if (tuned.head_labels.empty()) {
      throw InputError(tuned_card, "member \"model\"",
                       "the tuned card names no labels for the head; evaluation needs them");
    }
    ClassifierEvaluation tuned_eval =
        evaluate_classifier(tuned.outputs, tuned.inputs.labels, tuned.head_labels);
    if (tuned_eval.samples == 0) {
      throw InputError(request.data_path, "", "no holdout sample has a label the tuned model knows");
    }
    tuned_score = tuned_eval.accuracy;
    section = {{"task", "classification"},
               {"tuned", evaluation_json(tuned_eval)},
               {"base", nullptr},
               {"confusion_matrix", {{"labels", tuned_eval.labels}, {"matrix", tuned_eval.confusion}}}};
    adder.add("eval.accuracy", tuned_eval.accuracy,
              fmt::format("accuracy {:.4f}, macro-F1 {:.4f}, log-loss {:.4f} on {} holdout samples",
                          tuned_eval.accuracy, tuned_eval.macro_f1, tuned_eval.log_loss, tuned_eval.samples),
              evaluation_json(tuned_eval));
    adder.add(
        "eval.calibration", tuned_eval.expected_calibration_error,
        fmt::format("expected calibration error {:.4f} (15 bins)", tuned_eval.expected_calibration_error));
    adder.skip("eval.r2", "a classifier: see eval.accuracy");
  }

  std::optional<Evaluated> base;
  if (!base_card.empty()) base = run_model(request.base_model, base_card, request.data_path, request.data);
  improvement(adder, section, tuned, base ? &*base : nullptr, regression, tuned_score);
  linear_probe(adder, request, base_card, tuned, base ? &*base : nullptr, regression, tuned_score);
  forgetting(adder, request, base_card, tuned_card);

  EmbeddingReference reference = embedding_reference(tuned.card, tuned_card);
  if (reference.calibration_scores.size() >= 5) {
    Eigen::VectorXd scores = reference.gaussian.ood_scores(tuned.outputs.embeddings);
    OodSummary ood = summarize_ood(reference.calibration_scores, scores, 0.95);
    adder.add("eval.ood_rate", ood.target_rate,
              fmt::format("{:.1f}% of holdout samples above the tuned card's 95% OOD quantile",
                          100 * ood.target_rate),
              {{"threshold", ood.threshold}, {"ks_p_value", ood.ks_p_value}});
  } else {
    adder.skip("eval.ood_rate", "the tuned card holds fewer than 5 calibration scores");
  }
  report.sections["evaluation"] = section;
}

}  // namespace xferval
