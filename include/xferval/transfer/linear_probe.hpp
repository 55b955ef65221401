#pragma once
// Linear probes: the baseline a fine-tuned model has to beat. A linear model fitted on a frozen
// embedding shows what the pretrained representation already gives without fine-tuning.
//
// Both probes are scikit-learn 1.2's defaults, solved to convergence, inside a pipeline with a
// StandardScaler fitted on each training fold (ddof 0; a constant feature keeps scale 1), and
// cross-validated on unshuffled folds so that every sample gets an out-of-fold prediction:
//   classification: LogisticRegression(C=1.0) (multinomial, lbfgs): minimises
//     sum_i -ln softmax(W x_i + b)[y_i] + ||W||_F^2 / (2 C), the intercept unpenalised;
//     folds of StratifiedKFold(n_splits);
//   regression: Ridge(alpha=1.0): minimises ||y - X w - b||^2 + alpha ||w||^2 in closed form;
//     folds of KFold(n_splits).
// The probes return the out-of-fold predictions (cross_val_predict); the caller scores them.
#include <Eigen/Core>
#include <cstddef>
#include <vector>

namespace xferval {

// StratifiedKFold(n_splits, shuffle=False).split's test fold of each sample: classes are
// numbered by first appearance, and class k's samples, in order, fill the folds in contiguous
// runs whose sizes are the counts of k in sorted(labels)[f::n_splits].
std::vector<int> stratified_folds(const std::vector<int>& labels, int splits);
// KFold(n_splits, shuffle=False): contiguous folds, the first n % splits one sample larger.
std::vector<int> contiguous_folds(size_t samples, int splits);

struct LogisticModel {
  Eigen::MatrixXd weights;  // classes x features
  Eigen::VectorXd intercept;
  int iterations = 0;
  double objective = 0;
  double gradient_norm = 0;  // max |gradient| at the solution
};

// Multinomial logistic regression on rows of `features` with labels in 0..classes-1 (every class
// present), by L-BFGS until the max |gradient| is 1e-9 * max(1, objective) or an iteration lowers
// the objective by a relative 64 eps or less (scikit-learn's ftol). std::invalid_argument on a
// size mismatch, a label out of range or non-finite features.
LogisticModel fit_logistic(const Eigen::MatrixXd& features, const std::vector<int>& labels, int classes,
                           double c = 1.0);
// Predicted class of each row (the first on ties).
std::vector<int> predict_logistic(const LogisticModel& model, const Eigen::MatrixXd& features);

// A probe fitted on training rows and applied to test rows (the scaler fitted on the training
// rows): predicted classes (every class 0..max(label) must have a training sample) or values.
// std::invalid_argument on sizes, non-finite values or an absent class.
std::vector<int> fit_predict_logistic_probe(const Eigen::MatrixXd& train, const std::vector<int>& labels,
                                            const Eigen::MatrixXd& test, double c = 1.0);
std::vector<double> fit_predict_ridge_probe(const Eigen::MatrixXd& train, const Eigen::VectorXd& targets,
                                            const Eigen::MatrixXd& test, double alpha = 1.0);

// Cross-validated probes as described above. std::invalid_argument when a class has fewer than
// `splits` samples (each training fold must hold every class) or there are fewer samples than
// splits.
std::vector<int> logistic_probe(const Eigen::MatrixXd& features, const std::vector<int>& labels,
                                int splits = 5, double c = 1.0);
std::vector<double> ridge_probe(const Eigen::MatrixXd& features, const Eigen::VectorXd& targets,
                                int splits = 5, double alpha = 1.0);

}  // namespace xferval
