#include "xferval/tune/storage.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <limits>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include "xferval/core/error.hpp"

namespace xferval::tune {

namespace {

// Optuna 3.1's tables as SQLAlchemy 1.4 emits them for SQLite (optuna-storage.md section 3).
const char* const kSchema[] = {
    R"(CREATE TABLE IF NOT EXISTS studies (
	study_id INTEGER NOT NULL, 
	study_name VARCHAR(512) NOT NULL, 
	PRIMARY KEY (study_id)
))",
    "CREATE UNIQUE INDEX IF NOT EXISTS ix_studies_study_name ON studies (study_name)",
    R"(CREATE TABLE IF NOT EXISTS version_info (
	version_info_id INTEGER NOT NULL, 
	schema_version INTEGER, 
	library_version VARCHAR(256), 
	PRIMARY KEY (version_info_id), 
	CHECK (version_info_id=1)
))",
    R"(CREATE TABLE IF NOT EXISTS study_directions (
	study_direction_id INTEGER NOT NULL, 
	direction VARCHAR(8) NOT NULL, 
	study_id INTEGER NOT NULL, 
	objective INTEGER NOT NULL, 
	PRIMARY KEY (study_direction_id), 
	UNIQUE (study_id, objective), 
	FOREIGN KEY(study_id) REFERENCES studies (study_id)
))",
    R"(CREATE TABLE IF NOT EXISTS study_user_attributes (
	study_user_attribute_id INTEGER NOT NULL, 
	study_id INTEGER, 
	"key" VARCHAR(512), 
	value_json TEXT, 
	PRIMARY KEY (study_user_attribute_id), 
	UNIQUE (study_id, "key"), 
	FOREIGN KEY(study_id) REFERENCES studies (study_id)
))",
    R"(CREATE TABLE IF NOT EXISTS study_system_attributes (
	study_system_attribute_id INTEGER NOT NULL, 
	study_id INTEGER, 
	"key" VARCHAR(512), 
	value_json TEXT, 
	PRIMARY KEY (study_system_attribute_id), 
	UNIQUE (study_id, "key"), 
	FOREIGN KEY(study_id) REFERENCES studies (study_id)
))",
    R"(CREATE TABLE IF NOT EXISTS trials (
	trial_id INTEGER NOT NULL, 
	number INTEGER, 
	study_id INTEGER, 
	state VARCHAR(8) NOT NULL, 
	datetime_start DATETIME, 
	datetime_complete DATETIME, 
	PRIMARY KEY (trial_id), 
	FOREIGN KEY(study_id) REFERENCES studies (study_id)
))",
    R"(CREATE TABLE IF NOT EXISTS trial_user_attributes (
	trial_user_attribute_id INTEGER NOT NULL, 
	trial_id INTEGER, 
	"key" VARCHAR(512), 
	value_json TEXT, 
	PRIMARY KEY (trial_user_attribute_id), 
	UNIQUE (trial_id, "key"), 
	FOREIGN KEY(trial_id) REFERENCES trials (trial_id)
))",
    R"(CREATE TABLE IF NOT EXISTS trial_system_attributes (
	trial_system_attribute_id INTEGER NOT NULL, 
	trial_id INTEGER, 
	"key" VARCHAR(512), 
	value_json TEXT, 
	PRIMARY KEY (trial_system_attribute_id), 
	UNIQUE (trial_id, "key"), 
	FOREIGN KEY(trial_id) REFERENCES trials (trial_id)
))",
    R"(CREATE TABLE IF NOT EXISTS trial_params (
	param_id INTEGER NOT NULL, 
	trial_id INTEGER, 
	param_name VARCHAR(512), 
	param_value FLOAT, 
	distribution_json TEXT, 
	PRIMARY KEY (param_id), 
	UNIQUE (trial_id, param_name), 
	FOREIGN KEY(trial_id) REFERENCES trials (trial_id)
))",
    R"(CREATE TABLE IF NOT EXISTS trial_values (
	trial_value_id INTEGER NOT NULL, 
	trial_id INTEGER NOT NULL, 
	objective INTEGER NOT NULL, 
	value FLOAT, 
	value_type VARCHAR(7) NOT NULL, 
	PRIMARY KEY (trial_value_id), 
	UNIQUE (trial_id, objective), 
	FOREIGN KEY(trial_id) REFERENCES trials (trial_id)
))",
    R"(CREATE TABLE IF NOT EXISTS trial_intermediate_values (
	trial_intermediate_value_id INTEGER NOT NULL, 
	trial_id INTEGER NOT NULL, 
	step INTEGER NOT NULL, 
	intermediate_value FLOAT, 
	intermediate_value_type VARCHAR(7) NOT NULL, 
	PRIMARY KEY (trial_intermediate_value_id), 
	UNIQUE (trial_id, step), 
	FOREIGN KEY(trial_id) REFERENCES trials (trial_id)
))",
    R"(CREATE TABLE IF NOT EXISTS trial_heartbeats (
	trial_heartbeat_id INTEGER NOT NULL, 
	trial_id INTEGER NOT NULL, 
	heartbeat DATETIME NOT NULL, 
	PRIMARY KEY (trial_heartbeat_id), 
	UNIQUE (trial_id), 
	FOREIGN KEY(trial_id) REFERENCES trials (trial_id)
))",
    R"(CREATE TABLE IF NOT EXISTS alembic_version (
	version_num VARCHAR(32) NOT NULL, 
	CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
))",
};

const char* value_type(double value, bool allow_nan) {
  if (std::isnan(value)) {
    if (!allow_nan) throw std::invalid_argument("NaN is not a valid objective value");
    return "NAN";
  }
  if (std::isinf(value)) return value > 0 ? "INF_POS" : "INF_NEG";
  return "FINITE";
}

double decode_value(bool is_null, double value, const std::string& type) {
  if (type == "INF_POS") return std::numeric_limits<double>::infinity();
  if (type == "INF_NEG") return -std::numeric_limits<double>::infinity();
  if (type == "NAN") return std::numeric_limits<double>::quiet_NaN();
  if (is_null) throw std::runtime_error("a FINITE value is NULL in the study database");
  return value;
}

}  // namespace

// A prepared statement that finalises itself.
class Storage::Statement {
 public:
  Statement(sqlite3* db, const std::string& sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK)
      throw std::runtime_error(fmt::format("SQLite: {} in: {}", sqlite3_errmsg(db), sql));
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement& bind(int i, int64_t v) { return check(sqlite3_bind_int64(stmt_, i, v)); }
  Statement& bind(int i, double v) { return check(sqlite3_bind_double(stmt_, i, v)); }
  Statement& bind(int i, const std::string& v) {
    return check(sqlite3_bind_text(stmt_, i, v.c_str(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
  }
  Statement& bind_null(int i) { return check(sqlite3_bind_null(stmt_, i)); }
  // True while a row is available.
  bool step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw std::runtime_error(fmt::format("SQLite: {}", sqlite3_errmsg(db_)));
  }
  int64_t integer(int c) const { return sqlite3_column_int64(stmt_, c); }
  double real(int c) const { return sqlite3_column_double(stmt_, c); }
  bool is_null(int c) const { return sqlite3_column_type(stmt_, c) == SQLITE_NULL; }
  std::string text(int c) const {
    const unsigned char* t = sqlite3_column_text(stmt_, c);
    return t ? std::string(reinterpret_cast<const char*>(t)) : std::string();
  }

 private:
  Statement& check(int rc) {
    if (rc != SQLITE_OK) throw std::runtime_error(fmt::format("SQLite bind: {}", sqlite3_errmsg(db_)));
    return *this;
  }
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

template <typename Work>
auto Storage::in_transaction(Work&& work) {
  // BEGIN IMMEDIATE takes the write lock up front, so the reads that decide a trial number or a
  // budget cannot be invalidated by another writer before the commit.
  for (int attempt = 0;; ++attempt) {
    int rc = sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
    if (rc == SQLITE_BUSY && attempt < 100) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    if (rc != SQLITE_OK) throw std::runtime_error(fmt::format("SQLite: {}", sqlite3_errmsg(db_)));
    break;
  }
  try {
    auto result = work();
    exec("COMMIT");
    return result;
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

Storage::Storage(const std::string& url, int busy_timeout_ms) {
  const std::string scheme = "sqlite:///";
  if (url.rfind(scheme, 0) != 0) {
    auto colon = url.find("://");
    throw UsageError(fmt::format("storage URL '{}': unknown scheme '{}' (expected sqlite:///path.db)", url,
                                 colon == std::string::npos ? url : url.substr(0, colon)));
  }
  path_ = url.substr(scheme.size());
  if (path_.empty()) throw UsageError(fmt::format("storage URL '{}' names no file", url));
  if (sqlite3_open_v2(path_.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw InputError(path_, "", "cannot open the study database: " + message);
  }
  sqlite3_busy_timeout(db_, busy_timeout_ms);
  try {
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=NORMAL");
    create_schema();
  } catch (const std::runtime_error& e) {
    sqlite3_close(db_);
    db_ = nullptr;
    if (dynamic_cast<const InputError*>(&e)) throw;
    throw InputError(path_, "", std::string("not an Optuna study database: ") + e.what());
  }
}

Storage::~Storage() {
  if (db_) sqlite3_close(db_);
}

void Storage::exec(const std::string& sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    std::string message = error ? error : "unknown error";
    sqlite3_free(error);
    throw std::runtime_error(fmt::format("SQLite: {} in: {}", message, sql.substr(0, 60)));
  }
}

void Storage::create_schema() {
  in_transaction([&] {
    for (const char* sql : kSchema) exec(sql);
    Statement version(db_, "SELECT COUNT(*) FROM version_info");
    version.step();
    if (version.integer(0) == 0) exec("INSERT INTO version_info VALUES (1, 12, '3.1.0')");
    Statement alembic(db_, "SELECT version_num FROM alembic_version");
    std::vector<std::string> revisions;
    while (alembic.step()) revisions.push_back(alembic.text(0));
    if (revisions.empty()) {
      exec(std::string("INSERT INTO alembic_version VALUES ('") + kAlembicHead + "')");
    } else if (revisions.size() != 1 || (revisions[0] != kAlembicHead && revisions[0] != "v3.2.0.a")) {
      throw InputError(path_, "alembic_version",
                       fmt::format("schema revision '{}' is not one xferval reads (expected {} or v3.2.0.a)",
                                   revisions[0], kAlembicHead));
    }
    return 0;
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

std::optional<int64_t> Storage::find_study(const std::string& name) {
  Statement s(db_, "SELECT study_id FROM studies WHERE study_name = ?");
  s.bind(1, name);
  if (s.step()) return s.integer(0);
  return std::nullopt;
}

std::vector<std::string> Storage::study_names() {
  Statement s(db_, "SELECT study_name FROM studies ORDER BY study_id");
  std::vector<std::string> names;
  while (s.step()) names.push_back(s.text(0));
  return names;
}

StudyDirection Storage::study_direction(int64_t study_id) {
  Statement s(db_, "SELECT direction FROM study_directions WHERE study_id = ? ORDER BY objective");
  s.bind(1, study_id);
  std::vector<std::string> directions;
  while (s.step()) directions.push_back(s.text(0));
  if (directions.size() != 1)
    throw InputError(
        path_, fmt::format("study {}", study_id),
        fmt::format("has {} objectives; xferval tunes single-objective studies", directions.size()));
  if (directions[0] == "NOT_SET") return StudyDirection::Minimize;
  return parse_direction(directions[0]);
}

int64_t Storage::create_or_load_study(const std::string& name, StudyDirection direction) {
  int64_t id = in_transaction([&]() -> int64_t {
    if (auto existing = find_study(name)) return *existing;
    Statement insert(db_, "INSERT INTO studies (study_name) VALUES (?)");
    insert.bind(1, name).step();
    int64_t study_id = sqlite3_last_insert_rowid(db_);
    Statement dir(db_, "INSERT INTO study_directions (direction, study_id, objective) VALUES (?, ?, 0)");
    dir.bind(1, std::string(direction_name(direction))).bind(2, study_id).step();
    return study_id;
  });
  StudyDirection stored = study_direction(id);
  if (stored != direction)
    throw UsageError(fmt::format("study '{}' in {} exists with direction {}, not {}", name, path_,
                                 direction_name(stored), direction_name(direction)));
  return id;
}

std::optional<FrozenTrial> Storage::start_trial(int64_t study_id, std::optional<int64_t> budget) {
  std::string now = now_text();
  std::optional<int64_t> trial_id = in_transaction([&]() -> std::optional<int64_t> {
    if (budget) {
      Statement count(db_, "SELECT COUNT(*) FROM trials WHERE study_id = ? AND state != 'WAITING'");
      count.bind(1, study_id).step();
      if (count.integer(0) >= *budget) return std::nullopt;
    }
    // Claim the oldest WAITING trial with a compare-and-set; under the write lock it cannot race,
    // and it stays correct should Optuna's own workers claim trials between our transactions.
    Statement waiting(
        db_, "SELECT trial_id FROM trials WHERE study_id = ? AND state = 'WAITING' ORDER BY trial_id");
    waiting.bind(1, study_id);
    std::vector<int64_t> candidates;
    while (waiting.step()) candidates.push_back(waiting.integer(0));
    for (int64_t candidate : candidates) {
      Statement claim(
          db_,
          "UPDATE trials SET state = 'RUNNING', datetime_start = ? WHERE trial_id = ? AND state = 'WAITING'");
      claim.bind(1, now).bind(2, candidate).step();
      if (sqlite3_changes(db_) == 1) return candidate;
    }
    Statement insert(
        db_, "INSERT INTO trials (number, study_id, state, datetime_start) VALUES (NULL, ?, 'RUNNING', ?)");
    insert.bind(1, study_id).bind(2, now).step();
    int64_t id = sqlite3_last_insert_rowid(db_);
    Statement number(
        db_,
        "UPDATE trials SET number = (SELECT COUNT(*) FROM trials WHERE study_id = ? AND trial_id < ?) "
        "WHERE trial_id = ?");
    number.bind(1, study_id).bind(2, id).bind(3, id).step();
    return id;
  });
  if (!trial_id) return std::nullopt;
  return load_trial(*trial_id);
}

int64_t Storage::enqueue_trial(int64_t study_id, const std::string& fixed_params_json) {
  return in_transaction([&] {
    Statement insert(db_, "INSERT INTO trials (number, study_id, state) VALUES (NULL, ?, 'WAITING')");
    insert.bind(1, study_id).step();
    int64_t id = sqlite3_last_insert_rowid(db_);
    Statement number(
        db_,
        "UPDATE trials SET number = (SELECT COUNT(*) FROM trials WHERE study_id = ? AND trial_id < ?) "
        "WHERE trial_id = ?");
    number.bind(1, study_id).bind(2, id).bind(3, id).step();
    Statement attr(db_,
                   "INSERT INTO trial_system_attributes (trial_id, \"key\", value_json) VALUES (?, ?, ?)");
    attr.bind(1, id).bind(2, std::string("fixed_params")).bind(3, fixed_params_json).step();
    return id;
  });
}

int64_t Storage::add_trial(int64_t study_id, const FrozenTrial& trial) {
  return in_transaction([&] {
    Statement insert(db_,
                     "INSERT INTO trials (number, study_id, state, datetime_start, datetime_complete) "
                     "VALUES (NULL, ?, ?, ?, ?)");
    insert.bind(1, study_id).bind(2, std::string(state_name(trial.state)));
    if (trial.datetime_start.empty())
      insert.bind_null(3);
    else
      insert.bind(3, trial.datetime_start);
    if (trial.datetime_complete.empty())
      insert.bind_null(4);
    else
      insert.bind(4, trial.datetime_complete);
    insert.step();
    int64_t id = sqlite3_last_insert_rowid(db_);
    Statement number(
        db_,
        "UPDATE trials SET number = (SELECT COUNT(*) FROM trials WHERE study_id = ? AND trial_id < ?) "
        "WHERE trial_id = ?");
    number.bind(1, study_id).bind(2, id).bind(3, id).step();
    for (const auto& [name, internal] : trial.params)
      set_param(id, name, internal, trial.distributions.at(name));
    for (const auto& [step, value] : trial.intermediate_values) set_intermediate_value(id, step, value);
    for (const auto& [key, json] : trial.system_attrs) set_trial_system_attr(id, key, json);
    for (const auto& [key, json] : trial.user_attrs) set_trial_user_attr(id, key, json);
    if (trial.value) {
      Statement value(
          db_, "INSERT INTO trial_values (trial_id, objective, value, value_type) VALUES (?, 0, ?, ?)");
      value.bind(1, id);
      if (std::isfinite(*trial.value))
        value.bind(2, *trial.value);
      else
        value.bind_null(2);
      value.bind(3, std::string(value_type(*trial.value, false))).step();
    }
    return id;
  });
}

void Storage::set_param(int64_t trial_id, const std::string& name, double internal,
                        const Distribution& distribution) {
  Statement s(
      db_,
      "INSERT INTO trial_params (trial_id, param_name, param_value, distribution_json) VALUES (?, ?, ?, ?)");
  s.bind(1, trial_id).bind(2, name).bind(3, internal).bind(4, distribution_to_json(distribution)).step();
}

bool Storage::set_intermediate_value(int64_t trial_id, int64_t step, double value) {
  Statement s(db_,
              "INSERT OR IGNORE INTO trial_intermediate_values (trial_id, step, intermediate_value, "
              "intermediate_value_type) VALUES (?, ?, ?, ?)");
  s.bind(1, trial_id).bind(2, step);
  if (std::isfinite(value))
    s.bind(3, value);
  else
    s.bind_null(3);
  s.bind(4, std::string(value_type(value, true))).step();
  return sqlite3_changes(db_) == 1;
}

bool Storage::finish_trial(int64_t trial_id, TrialState state, std::optional<double> value) {
  if (!is_finished(state)) throw std::invalid_argument("finish_trial needs COMPLETE, PRUNED or FAIL");
  std::string now = now_text();
  return in_transaction([&] {
    Statement update(
        db_, "UPDATE trials SET state = ?, datetime_complete = ? WHERE trial_id = ? AND state = 'RUNNING'");
    update.bind(1, std::string(state_name(state))).bind(2, now).bind(3, trial_id).step();
    if (sqlite3_changes(db_) != 1) return false;
    if (value) {
      Statement v(
          db_,
          "INSERT OR REPLACE INTO trial_values (trial_id, objective, value, value_type) VALUES (?, 0, ?, ?)");
      v.bind(1, trial_id);
      if (std::isfinite(*value))
        v.bind(2, *value);
      else
        v.bind_null(2);
      v.bind(3, std::string(value_type(*value, false))).step();
    }
    return true;
  });
}

void Storage::set_trial_system_attr(int64_t trial_id, const std::string& key, const std::string& value_json) {
  Statement s(
      db_, "INSERT OR REPLACE INTO trial_system_attributes (trial_id, \"key\", value_json) VALUES (?, ?, ?)");
  s.bind(1, trial_id).bind(2, key).bind(3, value_json).step();
}

void Storage::set_trial_user_attr(int64_t trial_id, const std::string& key, const std::string& value_json) {
  Statement s(
      db_, "INSERT OR REPLACE INTO trial_user_attributes (trial_id, \"key\", value_json) VALUES (?, ?, ?)");
  s.bind(1, trial_id).bind(2, key).bind(3, value_json).step();
}

void Storage::set_study_user_attr(int64_t study_id, const std::string& key, const std::string& value_json) {
  Statement s(
      db_, "INSERT OR REPLACE INTO study_user_attributes (study_id, \"key\", value_json) VALUES (?, ?, ?)");
  s.bind(1, study_id).bind(2, key).bind(3, value_json).step();
}

void Storage::record_heartbeat(int64_t trial_id) {
  Statement s(db_,
              "INSERT INTO trial_heartbeats (trial_id, heartbeat) VALUES (?, CURRENT_TIMESTAMP) "
              "ON CONFLICT(trial_id) DO UPDATE SET heartbeat = CURRENT_TIMESTAMP");
  s.bind(1, trial_id).step();
}

std::vector<int64_t> Storage::fail_stale_trials(int64_t study_id, double grace_seconds) {
  std::string now = now_text();
  return in_transaction([&] {
    Statement stale(
        db_,
        "SELECT t.trial_id, t.number FROM trials t JOIN trial_heartbeats h ON h.trial_id = t.trial_id "
        "WHERE t.study_id = ? AND t.state = 'RUNNING' "
        "AND (julianday('now') - julianday(h.heartbeat)) * 86400.0 > ?");
    stale.bind(1, study_id).bind(2, grace_seconds);
    std::vector<std::pair<int64_t, int64_t>> found;
    while (stale.step()) found.emplace_back(stale.integer(0), stale.integer(1));
    std::vector<int64_t> failed;
    for (auto [id, number] : found) {
      Statement update(
          db_,
          "UPDATE trials SET state = 'FAIL', datetime_complete = ? WHERE trial_id = ? AND state = 'RUNNING'");
      update.bind(1, now).bind(2, id).step();
      if (sqlite3_changes(db_) == 1) failed.push_back(number);
    }
    return failed;
  });
}

std::vector<FrozenTrial> Storage::load_trials(int64_t study_id, int64_t from_trial_id) {
  std::vector<FrozenTrial> trials;
  std::unordered_map<int64_t, size_t> index;
  // One read transaction, so the tables agree with each other.
  exec("BEGIN");
  try {
    Statement t(db_,
                "SELECT trial_id, number, state, datetime_start, datetime_complete FROM trials "
                "WHERE study_id = ? AND trial_id >= ? ORDER BY trial_id");
    t.bind(1, study_id).bind(2, from_trial_id);
    while (t.step()) {
      FrozenTrial trial;
      trial.trial_id = t.integer(0);
      trial.number = t.integer(1);
      trial.state = parse_state(t.text(2));
      trial.datetime_start = t.text(3);
      trial.datetime_complete = t.text(4);
      index[trial.trial_id] = trials.size();
      trials.push_back(std::move(trial));
    }
    const std::string scope =
        " WHERE trial_id IN (SELECT trial_id FROM trials WHERE study_id = ? AND trial_id >= ?)";
    std::unordered_map<std::string, Distribution> parsed;
    Statement p(db_, "SELECT trial_id, param_name, param_value, distribution_json FROM trial_params" + scope);
    p.bind(1, study_id).bind(2, from_trial_id);
    while (p.step()) {
      auto it = index.find(p.integer(0));
      if (it == index.end()) continue;
      FrozenTrial& trial = trials[it->second];
      std::string json = p.text(3);
      auto cached = parsed.find(json);
      if (cached == parsed.end()) cached = parsed.emplace(json, json_to_distribution(json)).first;
      std::string name = p.text(1);
      trial.params[name] = p.real(2);
      trial.distributions.emplace(name, cached->second);
    }
    Statement v(db_, "SELECT trial_id, value, value_type FROM trial_values" + scope + " AND objective = 0");
    v.bind(1, study_id).bind(2, from_trial_id);
    while (v.step()) {
      auto it = index.find(v.integer(0));
      if (it != index.end()) trials[it->second].value = decode_value(v.is_null(1), v.real(1), v.text(2));
    }
    Statement iv(
        db_,
        "SELECT trial_id, step, intermediate_value, intermediate_value_type FROM trial_intermediate_values" +
            scope);
    iv.bind(1, study_id).bind(2, from_trial_id);
    while (iv.step()) {
      auto it = index.find(iv.integer(0));
      if (it != index.end())
        trials[it->second].intermediate_values[iv.integer(1)] =
            decode_value(iv.is_null(2), iv.real(2), iv.text(3));
    }
    for (const char* table : {"trial_system_attributes", "trial_user_attributes"}) {
      Statement a(db_, std::string("SELECT trial_id, \"key\", value_json FROM ") + table + scope);
      a.bind(1, study_id).bind(2, from_trial_id);
      bool system = std::string(table) == "trial_system_attributes";
      while (a.step()) {
        auto it = index.find(a.integer(0));
        if (it == index.end()) continue;
        (system ? trials[it->second].system_attrs : trials[it->second].user_attrs)[a.text(1)] = a.text(2);
      }
    }
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
  std::sort(trials.begin(), trials.end(),
            [](const FrozenTrial& a, const FrozenTrial& b) { return a.number < b.number; });
  return trials;
}

FrozenTrial Storage::load_trial(int64_t trial_id) {
  Statement s(db_, "SELECT study_id FROM trials WHERE trial_id = ?");
  s.bind(1, trial_id);
  if (!s.step()) throw std::runtime_error(fmt::format("no trial with id {}", trial_id));
  int64_t study_id = s.integer(0);
  for (auto& trial : load_trials(study_id, trial_id))
    if (trial.trial_id == trial_id) return trial;
  throw std::runtime_error(fmt::format("no trial with id {}", trial_id));
}

}  // namespace xferval::tune
