#pragma once
// A snapshot of one trial as storage holds it (Optuna's FrozenTrial), and the enums that storage
// writes as upper-case names.
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "xferval/tune/distribution.hpp"

namespace xferval::tune {

enum class TrialState { Running, Complete, Pruned, Fail, Waiting };
enum class StudyDirection { Minimize, Maximize };

const char* state_name(TrialState state);  // "RUNNING", "COMPLETE", ...
TrialState parse_state(const std::string& name);
const char* direction_name(StudyDirection direction);     // "MINIMIZE", "MAXIMIZE"
StudyDirection parse_direction(const std::string& name);  // also accepts "minimize", "maximize"
inline bool is_finished(TrialState s) { return s != TrialState::Running && s != TrialState::Waiting; }

struct FrozenTrial {
  int64_t trial_id = -1;  // storage key
  int64_t number = -1;    // 0-based within the study
  TrialState state = TrialState::Running;
  std::optional<double> value;
  std::string datetime_start;            // "YYYY-MM-DD HH:MM:SS.ffffff", empty when unset
  std::string datetime_complete;         // empty when unset
  std::map<std::string, double> params;  // internal representation
  std::map<std::string, Distribution> distributions;
  std::map<int64_t, double> intermediate_values;
  std::map<std::string, std::string> user_attrs;    // key -> JSON text
  std::map<std::string, std::string> system_attrs;  // key -> JSON text

  std::optional<int64_t> last_step() const {
    if (intermediate_values.empty()) return std::nullopt;
    return intermediate_values.rbegin()->first;
  }
  // The external value of a parameter (throws std::out_of_range when absent).
  ParamValue param(const std::string& name) const {
    return to_external(distributions.at(name), params.at(name));
  }
};

}  // namespace xferval::tune
