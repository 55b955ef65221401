#pragma once
// A running trial handed out by Study::ask(): suggests parameters (through the study's sampler,
// written to storage at once, so other workers see them), reports per-step values and asks the
// pruner. Copies share the study.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "xferval/tune/distribution.hpp"
#include "xferval/tune/frozen_trial.hpp"

namespace xferval::tune {

namespace detail {
struct StudyState;
}

class Trial {
 public:
  int64_t number() const { return frozen_.number; }
  int64_t trial_id() const { return frozen_.trial_id; }

  double suggest_float(const std::string& name, double low, double high, bool log = false,
                       std::optional<double> step = std::nullopt);
  int64_t suggest_int(const std::string& name, int64_t low, int64_t high, int64_t step = 1, bool log = false);
  ParamValue suggest_categorical(const std::string& name, std::vector<ParamValue> choices);
  // Any distribution; a parameter asked twice returns the first value.
  ParamValue suggest(const std::string& name, const Distribution& distribution);

  // One value per step; a second report for the same step is ignored, as Optuna does.
  void report(double value, int64_t step);
  bool should_prune();
  void set_user_attr(const std::string& key, const std::string& value_json);
  // Tells other workers this trial's process is alive (see Study::fail_stale_trials).
  void heartbeat();

  // External values of the parameters suggested so far.
  std::map<std::string, ParamValue> params() const;
  const FrozenTrial& frozen() const { return frozen_; }

 private:
  friend class Study;
  Trial(std::shared_ptr<detail::StudyState> study, FrozenTrial frozen)
      : study_(std::move(study)), frozen_(std::move(frozen)) {}
  std::shared_ptr<detail::StudyState> study_;
  FrozenTrial frozen_;
};

}  // namespace xferval::tune
