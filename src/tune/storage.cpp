// Storage's logic, written once against detail::SqlConnection; the engines live in
// storage_sqlite.cpp and postgres_storage.cpp.
#include "xferval/tune/storage.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string_view>
#include <type_traits>
#include <unordered_map>

#include "tune/sql_connection.hpp"
#include "xferval/core/error.hpp"

namespace xferval::tune {

namespace {

using detail::SqlParam;
using detail::TxKind;

const char* value_type(double value, bool allow_nan) {
  if (std::isnan(value)) {
    if (!allow_nan) throw std::invalid_argument("NaN is not a valid objective value");
    return "NAN";
  }
  if (std::isinf(value)) return value > 0 ? "INF_POS" : "INF_NEG";
  return "FINITE";
}

double decode_value(const detail::SqlValue& value, const std::string& type) {
  if (type == "INF_POS") return std::numeric_limits<double>::infinity();
  if (type == "INF_NEG") return -std::numeric_limits<double>::infinity();
  if (type == "NAN") return std::numeric_limits<double>::quiet_NaN();
  if (value.is_null()) throw std::runtime_error("a FINITE value is NULL in the study database");
  return value.real();
}

// Non-finite values are stored as NULL plus a type tag, as Optuna stores them.
SqlParam finite_or_null(double value) { return std::isfinite(value) ? SqlParam{value} : SqlParam{nullptr}; }
SqlParam text_or_null(const std::string& text) { return text.empty() ? SqlParam{nullptr} : SqlParam{text}; }

// PostgreSQL prints a timestamp's fraction without trailing zeros; Optuna's text has six digits.
std::string six_digit_fraction(std::string text) {
  const auto dot = text.find('.');
  if (dot != std::string::npos && text.size() - dot - 1 < 6) text.append(6 - (text.size() - dot - 1), '0');
  return text;
}

// DO NOTHING: Optuna keeps a step's first report, and a statement re-sent after a lost
// connection may already have been applied.
detail::SqlStatement intermediate_value_row(int64_t trial_id, int64_t step, double value) {
  return {
      "INSERT INTO trial_intermediate_values (trial_id, step, intermediate_value, intermediate_value_type) "
      "VALUES ($1, $2, $3, $4) ON CONFLICT (trial_id, step) DO NOTHING",
      {trial_id, step, finite_or_null(value), std::string(value_type(value, true))}};
}

// Which table a row of kReadTrials comes from: its first column, numbered as the parts there.
enum class TrialPart : int64_t { Trial, Param, Value, IntermediateValue, SystemAttr, UserAttr };

// The study's trials with trial_id >= $2 and everything attached to them in one statement: one
// snapshot without a transaction, one round trip, and the trials' rows found once. A row is
// (TrialPart, trial_id, number or step, text, text, text, real); trial_id >= $2 on each table lets
// the engines range-scan its (trial_id, ...) unique index.
constexpr const char* kReadTrials = R"(WITH recent AS (
  SELECT trial_id, number, state, datetime_start, datetime_complete FROM trials
  WHERE study_id = $1 AND trial_id >= $2)
SELECT 0, trial_id, number, CAST(state AS TEXT), CAST(datetime_start AS TEXT),
       CAST(datetime_complete AS TEXT), CAST(NULL AS DOUBLE PRECISION) FROM recent
UNION ALL
SELECT 1, p.trial_id, NULL, p.param_name, p.distribution_json, NULL, p.param_value
  FROM trial_params p JOIN recent r ON r.trial_id = p.trial_id WHERE p.trial_id >= $2
UNION ALL
SELECT 2, v.trial_id, NULL, CAST(v.value_type AS TEXT), NULL, NULL, v.value
  FROM trial_values v JOIN recent r ON r.trial_id = v.trial_id WHERE v.trial_id >= $2 AND v.objective = 0
UNION ALL
SELECT 3, i.trial_id, i.step, CAST(i.intermediate_value_type AS TEXT), NULL, NULL, i.intermediate_value
  FROM trial_intermediate_values i JOIN recent r ON r.trial_id = i.trial_id WHERE i.trial_id >= $2
UNION ALL
SELECT 4, a.trial_id, NULL, a."key", a.value_json, NULL, NULL
  FROM trial_system_attributes a JOIN recent r ON r.trial_id = a.trial_id WHERE a.trial_id >= $2
UNION ALL
SELECT 5, a.trial_id, NULL, a."key", a.value_json, NULL, NULL
  FROM trial_user_attributes a JOIN recent r ON r.trial_id = a.trial_id WHERE a.trial_id >= $2)";

bool is_postgres_url(const std::string& url) {
  for (const char* scheme : {"postgresql://", "postgres://", "postgresql+"})
    if (url.rfind(scheme, 0) == 0) return true;
  return false;
}

// Inserts a trial ($1 study_id, $2 state, $3 datetime_start, $4 datetime_complete) numbered as
// Optuna numbers trials: the count of the study's trials with a smaller id. Under the study lock
// that is the count of all the study's trials, taken in the same statement: ids only grow, and
// every writer that adds trials to the study (xferval's and Optuna's) holds the lock meanwhile.
constexpr std::string_view kInsertNumberedTrial =
    "INSERT INTO trials (number, study_id, state, datetime_start, datetime_complete) "
    "SELECT census.trials, $1, $2, $3, $4 FROM (SELECT COUNT(*) AS trials, "
    "COUNT(*) FILTER (WHERE state = 'WAITING') AS waiting FROM trials WHERE study_id = $1) AS census";
constexpr std::string_view kReturningIdAndNumber = " RETURNING trial_id, number";

// start_trial's usual case in one statement: a new trial, unless a WAITING one is there to be
// claimed first or $5 trials have started already (the shared budget; WAITING ones not counted).
const std::string kInsertTrialWithinBudget =
    std::string(kInsertNumberedTrial) + " WHERE census.waiting = 0 AND census.trials - census.waiting < $5" +
    std::string(kReturningIdAndNumber);
const std::string kInsertTrial = std::string(kInsertNumberedTrial) + std::string(kReturningIdAndNumber);

}  // namespace

template <typename Work>
auto Storage::run(detail::TxKind kind, Work&& work) {
  std::lock_guard lock(mutex_);
  using Result = std::invoke_result_t<Work&>;
  if constexpr (std::is_void_v<Result>) {
    db_->run(kind, [&] { work(); });
  } else {
    std::optional<Result> result;
    db_->run(kind, [&] { result = work(); });
    return std::move(*result);
  }
}

Storage::Storage(const std::string& url, std::optional<int> timeout_ms) {
  if (url.rfind("sqlite:///", 0) == 0) {
    std::string path = url.substr(std::string("sqlite:///").size());
    if (path.empty()) throw UsageError(fmt::format("storage URL '{}' names no file", url));
    db_ = detail::open_sqlite(path, timeout_ms.value_or(60000));
  } else if (is_postgres_url(url)) {
    db_ = detail::open_postgres(url, timeout_ms.value_or(120000));
  } else {
    auto colon = url.find("://");
    throw UsageError(
        fmt::format("storage URL '{}': unknown scheme '{}' (expected sqlite:///path.db or "
                    "postgresql://USER@HOST:PORT/DB)",
                    url, colon == std::string::npos ? url : url.substr(0, colon)));
  }
  try {
    create_schema();
  } catch (const InputError&) {
    throw;
  } catch (const UsageError&) {
    throw;
  } catch (const std::runtime_error& e) {
    throw InputError(db_->name(), "", std::string("not an Optuna study database: ") + e.what());
  }
}

Storage::~Storage() = default;

const std::string& Storage::path() const { return db_->name(); }

void Storage::create_schema() {
  run(TxKind::Write, [&] {
    db_->create_tables();
    if (db_->query("SELECT COUNT(*) FROM version_info").rows.at(0).at(0).integer() == 0)
      db_->query(
          "INSERT INTO version_info (version_info_id, schema_version, library_version) VALUES (1, 12, "
          "'3.1.0')");
    std::vector<std::string> revisions;
    for (const auto& row : db_->query("SELECT version_num FROM alembic_version").rows)
      revisions.push_back(row.at(0).text());
    if (revisions.empty()) {
      db_->query("INSERT INTO alembic_version (version_num) VALUES ($1)", {std::string(kAlembicHead)});
    } else if (revisions.size() != 1 || (revisions[0] != kAlembicHead && revisions[0] != "v3.2.0.a")) {
      throw InputError(db_->name(), "alembic_version",
                       fmt::format("schema revision '{}' is not one xferval reads (expected {} or v3.2.0.a)",
                                   revisions[0], kAlembicHead));
    }
  });
}

std::string Storage::now_text() {
  auto now = std::chrono::system_clock::now();
  std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() % 1000000;
  std::tm local{};
  localtime_r(&seconds, &local);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M:%S", &local);
  return fmt::format("{}.{:06d}", buffer, micros);
}

std::optional<int64_t> Storage::read_study(const std::string& name) {
  auto found = db_->query("SELECT study_id FROM studies WHERE study_name = $1", {name});
  if (found.rows.empty()) return std::nullopt;
  return found.rows[0].at(0).integer();
}

std::optional<int64_t> Storage::find_study(const std::string& name) {
  return run(TxKind::Read, [&] { return read_study(name); });
}

std::vector<std::string> Storage::study_names() {
  return run(TxKind::Read, [&] {
    std::vector<std::string> names;
    for (const auto& row : db_->query("SELECT study_name FROM studies ORDER BY study_id").rows)
      names.push_back(row.at(0).text());
    return names;
  });
}

StudyDirection Storage::read_direction(int64_t study_id) {
  std::vector<std::string> directions;
  for (const auto& row :
       db_->query("SELECT direction FROM study_directions WHERE study_id = $1 ORDER BY objective", {study_id})
           .rows)
    directions.push_back(row.at(0).text());
  if (directions.size() != 1)
    throw InputError(
        db_->name(), fmt::format("study {}", study_id),
        fmt::format("has {} objectives; xferval tunes single-objective studies", directions.size()));
  if (directions[0] == "NOT_SET") return StudyDirection::Minimize;
  return parse_direction(directions[0]);
}

StudyDirection Storage::study_direction(int64_t study_id) {
  return run(TxKind::Read, [&] { return read_direction(study_id); });
}

int64_t Storage::create_or_load_study(const std::string& name, StudyDirection direction) {
  auto [id, stored] = run(TxKind::Write, [&]() -> std::pair<int64_t, StudyDirection> {
    // Two workers creating the same study at once: the second waits for the first's commit and
    // then finds its row instead of failing on the unique index.
    auto inserted = db_->query(
        "INSERT INTO studies (study_name) VALUES ($1) ON CONFLICT (study_name) DO NOTHING RETURNING study_id",
        {name});
    if (inserted.rows.empty()) {
      int64_t existing = read_study(name).value();
      return {existing, read_direction(existing)};
    }
    int64_t study_id = inserted.rows[0].at(0).integer();
    db_->query("INSERT INTO study_directions (direction, study_id, objective) VALUES ($1, $2, 0)",
               {std::string(direction_name(direction)), study_id});
    return {study_id, direction};
  });
  if (stored != direction)
    throw UsageError(fmt::format("study '{}' in {} exists with direction {}, not {}", name, db_->name(),
                                 direction_name(stored), direction_name(direction)));
  return id;
}

// Deferred: the lock travels with the statement that follows it, which runs once it is granted.
void Storage::lock_study(int64_t study_id) {
  if (!db_->dialect().lock_study.empty()) db_->defer({db_->dialect().lock_study, {study_id}});
}

int64_t Storage::insert_trial(int64_t study_id, const std::string& state, const std::string& datetime_start,
                              const std::string& datetime_complete) {
  auto inserted = db_->query(
      kInsertTrial, {study_id, state, text_or_null(datetime_start), text_or_null(datetime_complete)});
  created_number_ = inserted.rows.at(0).at(1).integer();
  return inserted.rows.at(0).at(0).integer();
}

std::optional<FrozenTrial> Storage::start_trial(int64_t study_id, std::optional<int64_t> budget) {
  std::string now = now_text();
  std::optional<int64_t> trial_id = run(TxKind::LockedWrite, [&]() -> std::optional<int64_t> {
    // The study lock first: the budget count and the claim below then see every trial that
    // other workers committed, and no other worker decides until this commit.
    lock_study(study_id);
    auto created =
        db_->query(kInsertTrialWithinBudget, {study_id, std::string("RUNNING"), now, nullptr,
                                              budget.value_or(std::numeric_limits<int64_t>::max())});
    if (!created.rows.empty()) {
      created_number_ = created.rows[0].at(1).integer();
      return -created.rows[0].at(0).integer() - 1;  // negative: created, not claimed
    }
    // Nothing created: the budget is spent, or WAITING trials come first.
    // One scan answers both questions: how much of the budget is used, and the oldest WAITING.
    auto census = db_->query(
        "SELECT COUNT(*) FILTER (WHERE state <> 'WAITING'), MIN(trial_id) FILTER (WHERE state = 'WAITING') "
        "FROM trials WHERE study_id = $1",
        {study_id});
    if (budget && census.rows.at(0).at(0).integer() >= *budget) return std::nullopt;
    if (!census.rows.at(0).at(1).is_null()) {
      // Compare-and-set: Optuna's workers claim WAITING trials without the study lock, so a
      // candidate may be gone; that means the next candidate, never an error.
      auto waiting = db_->query(
          "SELECT trial_id FROM trials WHERE study_id = $1 AND state = 'WAITING' ORDER BY trial_id",
          {study_id});
      for (const auto& row : waiting.rows) {
        int64_t candidate = row.at(0).integer();
        auto claim = db_->query(
            "UPDATE trials SET state = 'RUNNING', datetime_start = $1 WHERE trial_id = $2 AND state = "
            "'WAITING'",
            {now, candidate});
        if (claim.changed == 1) return candidate;
      }
    }
    return -insert_trial(study_id, "RUNNING", now, "") - 1;  // negative: created, not claimed
  });
  if (!trial_id) return std::nullopt;
  if (*trial_id >= 0) return load_trial(*trial_id);  // a WAITING trial may hold parameters
  // A new trial holds nothing but its row: no second round of reads for it.
  FrozenTrial trial;
  trial.trial_id = -*trial_id - 1;
  trial.number = created_number_;
  trial.state = TrialState::Running;
  trial.datetime_start = now;
  return trial;
}

// upsert_attr, insert_param and write_value defer their statements (SqlConnection::defer): no
// caller reads their answers, so they travel with the transaction's next round trip.
void Storage::upsert_attr(const char* table, const char* owner, int64_t id, const std::string& key,
                          const std::string& value_json) {
  db_->defer({fmt::format("INSERT INTO {0} ({1}, \"key\", value_json) VALUES ($1, $2, $3) "
                          "ON CONFLICT ({1}, \"key\") DO UPDATE SET value_json = excluded.value_json",
                          table, owner),
              {id, key, value_json}});
}

int64_t Storage::enqueue_trial(int64_t study_id, const std::string& fixed_params_json) {
  return run(TxKind::LockedWrite, [&] {
    lock_study(study_id);
    int64_t id = insert_trial(study_id, "WAITING", "", "");
    upsert_attr("trial_system_attributes", "trial_id", id, "fixed_params", fixed_params_json);
    return id;
  });
}

void Storage::insert_param(int64_t trial_id, const std::string& name, double internal,
                           const Distribution& distribution) {
  // DO NOTHING: a statement re-sent after a lost connection may already have been applied.
  db_->defer(
      {"INSERT INTO trial_params (trial_id, param_name, param_value, distribution_json) "
       "VALUES ($1, $2, $3, $4) ON CONFLICT (trial_id, param_name) DO NOTHING",
       {trial_id, name, internal, distribution_to_json(distribution)}});
}

bool Storage::insert_intermediate_value(int64_t trial_id, int64_t step, double value) {
  return db_->query(intermediate_value_row(trial_id, step, value)).changed == 1;
}

void Storage::write_value(int64_t trial_id, double value) {
  db_->defer(
      {"INSERT INTO trial_values (trial_id, objective, value, value_type) VALUES ($1, 0, $2, $3) "
       "ON CONFLICT (trial_id, objective) DO UPDATE SET value = excluded.value, value_type = "
       "excluded.value_type",
       {trial_id, finite_or_null(value), std::string(value_type(value, false))}});
}

int64_t Storage::add_trial(int64_t study_id, const FrozenTrial& trial) {
  return run(TxKind::LockedWrite, [&] {
    lock_study(study_id);
    int64_t id =
        insert_trial(study_id, state_name(trial.state), trial.datetime_start, trial.datetime_complete);
    for (const auto& [name, internal] : trial.params)
      insert_param(id, name, internal, trial.distributions.at(name));
    // Whether a step was new does not matter here: deferred like the rest.
    for (const auto& [step, value] : trial.intermediate_values)
      db_->defer(intermediate_value_row(id, step, value));
    for (const auto& [key, json] : trial.system_attrs)
      upsert_attr("trial_system_attributes", "trial_id", id, key, json);
    for (const auto& [key, json] : trial.user_attrs)
      upsert_attr("trial_user_attributes", "trial_id", id, key, json);
    if (trial.value) write_value(id, *trial.value);
    return id;
  });
}

void Storage::set_param(int64_t trial_id, const std::string& name, double internal,
                        const Distribution& distribution) {
  run(TxKind::Idempotent, [&] { insert_param(trial_id, name, internal, distribution); });
}

bool Storage::set_intermediate_value(int64_t trial_id, int64_t step, double value) {
  return run(TxKind::Idempotent, [&] { return insert_intermediate_value(trial_id, step, value); });
}

bool Storage::finish_trial(int64_t trial_id, TrialState state, std::optional<double> value) {
  if (!is_finished(state)) throw std::invalid_argument("finish_trial needs COMPLETE, PRUNED or FAIL");
  if (value) value_type(*value, false);  // NaN is refused before anything is written
  std::string now = now_text();
  return run(TxKind::Write, [&] {
    auto update = db_->query(
        "UPDATE trials SET state = $1, datetime_complete = $2 WHERE trial_id = $3 AND state = 'RUNNING'",
        {std::string(state_name(state)), now, trial_id});
    if (update.changed != 1) return false;
    if (value) write_value(trial_id, *value);
    return true;
  });
}

void Storage::set_trial_system_attr(int64_t trial_id, const std::string& key, const std::string& value_json) {
  run(TxKind::Idempotent,
      [&] { upsert_attr("trial_system_attributes", "trial_id", trial_id, key, value_json); });
}

void Storage::set_trial_user_attr(int64_t trial_id, const std::string& key, const std::string& value_json) {
  run(TxKind::Idempotent,
      [&] { upsert_attr("trial_user_attributes", "trial_id", trial_id, key, value_json); });
}

void Storage::set_study_user_attr(int64_t study_id, const std::string& key, const std::string& value_json) {
  run(TxKind::Idempotent,
      [&] { upsert_attr("study_user_attributes", "study_id", study_id, key, value_json); });
}

std::optional<int64_t> Storage::requeue_failed_trial(int64_t study_id, const FrozenTrial& failed,
                                                     std::optional<int64_t> max_retry) {
  // {"failed_trial": number, "retry_history": [], **trial.system_attrs}, then the number appended.
  std::map<std::string, std::string> system = failed.system_attrs;
  system.emplace("failed_trial", std::to_string(failed.number));
  std::vector<int64_t> history;
  if (auto found = system.find("retry_history"); found != system.end()) {
    auto parsed = nlohmann::json::parse(found->second, nullptr, false);
    if (parsed.is_array())
      for (const auto& number : parsed)
        if (number.is_number_integer()) history.push_back(number.get<int64_t>());
  }
  history.push_back(failed.number);
  if (max_retry && *max_retry < static_cast<int64_t>(history.size())) return std::nullopt;
  std::string history_json = "[";
  for (size_t i = 0; i < history.size(); ++i) history_json += (i ? ", " : "") + std::to_string(history[i]);
  system["retry_history"] = history_json + "]";  // json.dumps spacing, as Optuna writes it

  FrozenTrial retry;
  retry.state = TrialState::Waiting;
  retry.params = failed.params;
  retry.distributions = failed.distributions;
  retry.user_attrs = failed.user_attrs;
  retry.system_attrs = std::move(system);
  return add_trial(study_id, retry);
}

void Storage::record_heartbeat(int64_t trial_id) {
  const std::string& now = db_->dialect().heartbeat_now;
  run(TxKind::Idempotent, [&] {
    db_->query(fmt::format("INSERT INTO trial_heartbeats (trial_id, heartbeat) VALUES ($1, {0}) "
                           "ON CONFLICT (trial_id) DO UPDATE SET heartbeat = {0}",
                           now),
               {trial_id});
  });
}

std::vector<int64_t> Storage::fail_stale_trials(int64_t study_id, double grace_seconds) {
  std::string now = now_text();
  return run(TxKind::Write, [&] {
    auto stale = db_->query(fmt::format("SELECT t.trial_id, t.number FROM trials t "
                                        "JOIN trial_heartbeats h ON h.trial_id = t.trial_id "
                                        "WHERE t.study_id = $1 AND t.state = 'RUNNING' AND {} > $2",
                                        db_->dialect().heartbeat_age),
                            {study_id, grace_seconds});
    std::vector<int64_t> failed;
    for (const auto& row : stale.rows) {
      // Compare-and-set: of several workers failing the same trial, one wins.
      auto update = db_->query(
          "UPDATE trials SET state = 'FAIL', datetime_complete = $1 WHERE trial_id = $2 AND state = "
          "'RUNNING'",
          {now, row.at(0).integer()});
      if (update.changed == 1) failed.push_back(row.at(1).integer());
    }
    return failed;
  });
}

std::vector<FrozenTrial> Storage::read_trials(int64_t study_id, int64_t from_trial_id) {
  auto rows = run(TxKind::Idempotent, [&] {
    return db_->query(kReadTrials, {study_id, from_trial_id}).rows;
  });
  auto part_of = [](const std::vector<detail::SqlValue>& row) {
    return static_cast<TrialPart>(row.at(0).integer());
  };
  std::vector<FrozenTrial> trials;
  std::unordered_map<int64_t, size_t> index;
  for (const auto& row : rows) {
    if (part_of(row) != TrialPart::Trial) continue;
    FrozenTrial trial;
    trial.trial_id = row.at(1).integer();
    trial.number = row.at(2).integer();
    trial.state = parse_state(row.at(3).text());
    trial.datetime_start = six_digit_fraction(row.at(4).text());
    trial.datetime_complete = six_digit_fraction(row.at(5).text());
    index[trial.trial_id] = trials.size();
    trials.push_back(std::move(trial));
  }
  std::unordered_map<std::string, Distribution> parsed;
  for (const auto& row : rows) {
    const TrialPart part = part_of(row);
    auto found = index.find(row.at(1).integer());
    if (part == TrialPart::Trial || found == index.end()) continue;
    FrozenTrial& trial = trials[found->second];
    const std::string text = row.at(3).text();
    switch (part) {
      case TrialPart::Param: {
        std::string json = row.at(4).text();
        auto cached = parsed.find(json);
        if (cached == parsed.end()) cached = parsed.emplace(json, json_to_distribution(json)).first;
        trial.params[text] = row.at(6).real();
        trial.distributions.emplace(text, cached->second);
        break;
      }
      case TrialPart::Value:
        trial.value = decode_value(row.at(6), text);
        break;
      case TrialPart::IntermediateValue:
        trial.intermediate_values[row.at(2).integer()] = decode_value(row.at(6), text);
        break;
      case TrialPart::SystemAttr:
        trial.system_attrs[text] = row.at(4).text();
        break;
      case TrialPart::UserAttr:
        trial.user_attrs[text] = row.at(4).text();
        break;
      case TrialPart::Trial:
        break;
    }
  }
  std::sort(trials.begin(), trials.end(),
            [](const FrozenTrial& a, const FrozenTrial& b) { return a.number < b.number; });
  return trials;
}

std::vector<FrozenTrial> Storage::load_trials(int64_t study_id, int64_t from_trial_id) {
  std::lock_guard lock(mutex_);
  return read_trials(study_id, from_trial_id);
}

FrozenTrial Storage::load_trial(int64_t trial_id) {
  std::lock_guard lock(mutex_);
  auto study = run(TxKind::Idempotent,
                   [&] { return db_->query("SELECT study_id FROM trials WHERE trial_id = $1", {trial_id}); });
  if (study.rows.empty()) throw std::runtime_error(fmt::format("no trial with id {}", trial_id));
  for (auto& trial : read_trials(study.rows[0].at(0).integer(), trial_id))
    if (trial.trial_id == trial_id) return trial;
  throw std::runtime_error(fmt::format("no trial with id {}", trial_id));
}

namespace detail {

int64_t SqlValue::integer() const {
  if (auto* i = std::get_if<int64_t>(&value_)) return *i;
  if (auto* d = std::get_if<double>(&value_)) return static_cast<int64_t>(*d);
  if (auto* s = std::get_if<std::string>(&value_)) return std::strtoll(s->c_str(), nullptr, 10);
  return 0;
}

double SqlValue::real() const {
  if (auto* d = std::get_if<double>(&value_)) return *d;
  if (auto* i = std::get_if<int64_t>(&value_)) return static_cast<double>(*i);
  if (auto* s = std::get_if<std::string>(&value_)) return std::strtod(s->c_str(), nullptr);
  return 0;
}

std::string SqlValue::text() const {
  if (auto* s = std::get_if<std::string>(&value_)) return *s;
  if (auto* i = std::get_if<int64_t>(&value_)) return std::to_string(*i);
  if (auto* d = std::get_if<double>(&value_)) return fmt::format("{}", *d);
  return "";
}

}  // namespace detail

}  // namespace xferval::tune
