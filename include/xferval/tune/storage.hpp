#pragma once
// Study storage in Optuna 3.1's relational schema on SQLite or PostgreSQL, so `optuna.load_study(
// storage=URL)` reads and continues an xferval study and the reverse. Every multi-statement change
// runs in one transaction that serialises the study's writers (SQLite: BEGIN IMMEDIATE on a WAL
// file; PostgreSQL: the study row locked FOR UPDATE), so trial numbers, WAITING claims and the
// trial budget are race-free across processes and machines.
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "xferval/tune/frozen_trial.hpp"

namespace xferval::tune {

namespace detail {
class SqlConnection;
enum class TxKind : int;
}  // namespace detail

// The alembic head that Optuna 3.0-3.1 require; a 3.2+ file (v3.2.0.a) is read and written too.
inline constexpr const char* kAlembicHead = "v3.0.0.d";

class Storage {
 public:
  // `url` is sqlite:///relative/path.db, sqlite:////absolute/path.db, or
  // postgresql://USER[:PASSWORD]@HOST[:PORT]/DB[?retry_timeout=SECONDS&libpq options] (also
  // postgres:// and postgresql+psycopg2://, as Optuna users write it); any other scheme is a
  // UsageError. `timeout_ms` is how long a SQLite writer waits for another process's lock, and
  // how long a PostgreSQL operation keeps reconnecting to a lost server (default 120 s there)
  // before it ends in an InputError naming the server.
  explicit Storage(const std::string& url, std::optional<int> timeout_ms = std::nullopt);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  // The SQLite file, or the PostgreSQL URL without its password.
  const std::string& path() const;

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

  // Optuna's RetryFailedTrialCallback(max_retry): re-adds a FAIL trial as WAITING with its
  // parameters, distributions and user attributes, system attributes `failed_trial` (the first
  // trial of the series) and `retry_history`; nothing when the series has been retried
  // `max_retry` times already. Returns the new trial's id.
  std::optional<int64_t> requeue_failed_trial(int64_t study_id, const FrozenTrial& failed,
                                              std::optional<int64_t> max_retry);

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
  template <typename Work>
  auto run(detail::TxKind kind, Work&& work);
  void create_schema();
  void lock_study(int64_t study_id);
  int64_t insert_trial(int64_t study_id, const std::string& state, const std::string& datetime_start,
                       const std::string& datetime_complete);
  void insert_param(int64_t trial_id, const std::string& name, double internal,
                    const Distribution& distribution);
  bool insert_intermediate_value(int64_t trial_id, int64_t step, double value);
  void upsert_attr(const char* table, const char* owner, int64_t id, const std::string& key,
                   const std::string& value_json);
  void write_value(int64_t trial_id, double value);
  std::vector<FrozenTrial> read_trials(int64_t study_id, int64_t from_trial_id);
  std::optional<int64_t> read_study(const std::string& name);
  StudyDirection read_direction(int64_t study_id);

  std::unique_ptr<detail::SqlConnection> db_;
  int64_t created_number_ = -1;  // the number insert_trial gave its trial
  // One connection serves the trial's heartbeat thread and the worker, one operation at a time.
  std::recursive_mutex mutex_;
};

}  // namespace xferval::tune
