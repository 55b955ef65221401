#pragma once
// `xferval verify` without a model: base and tuned parameters compared tensor by tensor and
// judged by the verify policy into a report (xferval.report/1, verb "verify").
//
// The head: tensors under a --head prefix, or, without one, the single layer (name before the
// last dot) holding every reshaped tensor when only their first dimension (PyTorch's output
// features) changed. Head tensors that were replaced, added or reshaped are reported by
// params.head_surgery (info) instead of the structure errors, and are not judged by
// params.relative_change. BatchNorm buffers are reported apart and are exempt from the frozen
// check unless frozen_buffers is set (reference §3.1).
#include <functional>
#include <string>
#include <vector>

#include "xferval/params/compare.hpp"
#include "xferval/params/parameter_set.hpp"
#include "xferval/params/verify_policy.hpp"
#include "xferval/report/report.hpp"

namespace xferval::params {

struct VerifyOptions {
  std::string base_path;
  std::string tuned_path;
  std::vector<std::string> frozen_patterns;  // globs (fnmatch: * and ? match dots too)
  std::vector<std::string> head_prefixes;
  bool frozen_buffers = false;
  VerifyPolicy policy = VerifyPolicy::defaults();
  CompareOptions compare;
  std::function<void(const std::string&)> stage;  // progress, may be empty
  // Opens base and tuned; the CLI passes one that also reads TorchScript models.
  std::function<std::unique_ptr<ParameterSet>(const std::string&)> open = open_parameters;
};

Report run_verify(const VerifyOptions& options);

// True when the glob `pattern` matches `name`.
bool matches_pattern(const std::string& pattern, const std::string& name);

}  // namespace xferval::params
