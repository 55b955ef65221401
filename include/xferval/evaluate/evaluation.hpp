#pragma once
// Evaluation of fine-tuned models on a labelled holdout, for `verify --data`: the tuned model's
// metrics (classifiers: accuracy, macro-F1, log-loss, expected calibration error, confusion matrix;
// regression models, whose card's task is "regression": MSE, MAE, R-squared), the base model's
// where both predict the same thing, a linear probe on the base model's frozen embedding,
// forgetting on the source data, and the holdout's OOD rate in the tuned model's embedding space.
// Results are added to a verify report as eval.* checks.
#include <string>
#include <vector>

#include "xferval/model/torch_model.hpp"
#include "xferval/params/verify.hpp"
#include "xferval/params/verify_policy.hpp"
#include "xferval/profile/builder.hpp"
#include "xferval/report/report.hpp"

namespace xferval {

struct ClassifierEvaluation {
  std::vector<std::string> labels;  // the head's labels, in its order
  size_t samples = 0;               // holdout samples whose label the head knows
  size_t unknown_labels = 0;        // samples with a label the head does not have
  double accuracy = 0, macro_f1 = 0, log_loss = 0, expected_calibration_error = 0;
  std::vector<std::vector<uint64_t>> confusion;  // rows: true label, columns: predicted
};

// Metrics of a classifier's logits against sample labels mapped onto the head's labels.
ClassifierEvaluation evaluate_classifier(const ModelOutputs& outputs,
                                         const std::vector<std::string>& sample_labels,
                                         const std::vector<std::string>& head_labels);

struct RegressionEvaluation {
  size_t samples = 0;          // holdout samples with a target
  size_t missing_targets = 0;  // samples without one
  double mse = 0, mae = 0, r2 = 0;
};

// Metrics of a one-output regression head against numeric sample targets ("" = missing);
// InputError for a head with other than one output or a target that is not a finite number.
RegressionEvaluation evaluate_regression(const ModelOutputs& outputs,
                                         const std::vector<std::string>& sample_targets);

struct EvaluationRequest {
  std::string base_model, tuned_model;
  std::string base_card, tuned_card;  // "" looks for MODEL.card.json beside the model
  std::string data_path;              // labelled holdout of the target
  std::string source_data_path;       // "" skips forgetting
  ProfileOptions data;                // how to read both (label column or member, format, CSV)
  std::string train_data_path;        // the tuned model's training data, for the linear probe
  ProfileOptions train_data;          // how to read it
  params::VerifyPolicy policy;
};

// Adds the eval.* checks and sections.evaluation to a verify report.
void add_evaluation(Report& report, const EvaluationRequest& request);

// What the tuned model's card says about its parameters: the frozen ones (its lineage) are held to
// bit-identity, and its head, unless --head named one, is the head whose replacement is expected.
void apply_tuned_card(params::VerifyOptions& options, const std::string& card_path);

// The parameters a tuned model's card says were frozen during fine-tuning (its lineage), so that
// verify holds them to bit-identity without --frozen; empty without such a card.
std::vector<std::string> frozen_in_lineage(const std::string& card_path);

}  // namespace xferval
