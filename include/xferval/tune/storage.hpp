#pragma once
// Study storage in Optuna 3.1's relational schema on SQLite, so `optuna.load_study(storage=
// "sqlite:///study.db")` reads and continues an xferval study and the reverse. WAL journal, a
// busy timeout, and every multi-statement change in a BEGIN IMMEDIATE transaction so that trial
// numbers, WAITING claims and the trial budget are race-free across processes.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "xferval/tune/frozen_trial.hpp"

struct sqlite3;

namespace xferval::tune {

// The alembic head that Optuna 3.0-3.1 require; a 3.2+ file (v3.2.0.a) is read and written too.
inline constexpr const char* kAlembicHead = "v3.0.0.d";

class Storage {
 public:
  // `url` is sqlite:///relative/path.db or sqlite:////absolute/path.db; any other scheme is a
  // UsageError. `busy_timeout_ms` is how long a writer waits for another process's lock.
  explicit Storage(const std::string& url, int busy_timeout_ms = 60000);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  const std::string& path() const { return path_; }

  // The study's id; creates it when absent. A study of that name with the other direction is a
  // UsageError naming both directions.
  int64_t create_or_load_study(const std::string& name, StudyDirection direction);
  std::optional<int64_t> find_study(const std::string& name);
  StudyDirection study_direction(int64_t study_id);
  std::vector<std::string> study_names();

  // Claims the oldest WAITING trial or creates a RUNNING one, numbered as Optuna numbers trials.
  // With a budget, returns nothing once the study holds `budget` trials that are running or
  // finished (WAITING ones do not count): the budget is shared by every worker.
  std::optional<FrozenTrial> start_trial(int64_t study_id, std::optional<int64_t> budget = std::nullopt);
  // A WAITING trial whose parameters are fixed (Optuna's enqueue_trial: system attribute
  // fixed_params holds the external values as JSON).
  int64_t enqueue_trial(int64_t study_id, const std::string& fixed_params_json);
  // A finished trial written whole (Optuna's add_trial), for imports and tests.
  int64_t add_trial(int64_t study_id, const FrozenTrial& trial);

  void set_param(int64_t trial_id, const std::string& name, double internal,
                 const Distribution& distribution);
  // False when the step was already reported (Optuna ignores the second report).
  bool set_intermediate_value(int64_t trial_id, int64_t step, double value);
  // Finishes a RUNNING trial; false (and nothing written) if it had already finished.
  bool finish_trial(int64_t trial_id, TrialState state, std::optional<double> value);
  void set_trial_system_attr(int64_t trial_id, const std::string& key, const std::string& value_json);
  void set_trial_user_attr(int64_t trial_id, const std::string& key, const std::string& value_json);
  void set_study_user_attr(int64_t study_id, const std::string& key, const std::string& value_json);

  // Records that the trial's worker is alive (database clock, as Optuna does).
  void record_heartbeat(int64_t trial_id);
  // Marks FAIL every RUNNING trial whose last heartbeat is older than `grace_seconds` (full
  // duration, not Python timedelta.seconds); trials that never beat are left alone. Returns the
  // numbers this call failed.
  std::vector<int64_t> fail_stale_trials(int64_t study_id, double grace_seconds);

  // Trials of the study with trial_id >= from_trial_id, in number order.
  std::vector<FrozenTrial> load_trials(int64_t study_id, int64_t from_trial_id = 0);
  FrozenTrial load_trial(int64_t trial_id);

  // Local time as Optuna writes datetime_start/complete: "YYYY-MM-DD HH:MM:SS.ffffff".
  static std::string now_text();

 private:
  class Statement;
  void exec(const std::string& sql);
  void create_schema();
  template <typename Work>
  auto in_transaction(Work&& work);

  std::string path_;
  sqlite3* db_ = nullptr;
};

}  // namespace xferval::tune
