// The SQLite engine of Storage: a WAL file, a busy timeout, BEGIN IMMEDIATE for writers.
#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "tune/sql_connection.hpp"
#include "xferval/core/error.hpp"

namespace xferval::tune::detail {

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

// Storage writes PostgreSQL's $N placeholders; SQLite spells a numbered parameter ?N. No
// statement has a '$' inside a string literal.
std::string sqlite_placeholders(std::string_view sql) {
  std::string out(sql);
  std::replace(out.begin(), out.end(), '$', '?');
  return out;
}

class SqliteConnection final : public SqlConnection {
 public:
  SqliteConnection(const std::string& path, int busy_timeout_ms) : path_(path) {
    if (sqlite3_open_v2(path.c_str(), &db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
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
    } catch (const std::runtime_error& e) {
      sqlite3_close(db_);
      db_ = nullptr;
      throw InputError(path_, "", std::string("not an Optuna study database: ") + e.what());
    }
  }
  ~SqliteConnection() override { sqlite3_close(db_); }

  SqlResult query(std::string_view sql, const std::vector<SqlParam>& params) override {
    const std::string text = sqlite_placeholders(sql);
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, text.c_str(), -1, &stmt, nullptr) != SQLITE_OK)
      throw std::runtime_error(fmt::format("SQLite: {} in: {}", sqlite3_errmsg(db_), text));
    std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> guard(stmt, sqlite3_finalize);
    for (size_t i = 0; i < params.size(); ++i) {
      const int n = static_cast<int>(i + 1);
      int rc = std::visit(
          [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::nullptr_t>)
              return sqlite3_bind_null(stmt, n);
            else if constexpr (std::is_same_v<T, int64_t>)
              return sqlite3_bind_int64(stmt, n, v);
            else if constexpr (std::is_same_v<T, double>)
              return sqlite3_bind_double(stmt, n, v);
            else
              return sqlite3_bind_text(stmt, n, v.c_str(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
          },
          params[i]);
      if (rc != SQLITE_OK) throw std::runtime_error(fmt::format("SQLite bind: {}", sqlite3_errmsg(db_)));
    }
    SqlResult result;
    for (;;) {
      int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) throw std::runtime_error(fmt::format("SQLite: {}", sqlite3_errmsg(db_)));
      std::vector<SqlValue>& row = result.rows.emplace_back();
      const int columns = sqlite3_column_count(stmt);
      for (int c = 0; c < columns; ++c) {
        switch (sqlite3_column_type(stmt, c)) {
          case SQLITE_NULL:
            row.emplace_back();
            break;
          case SQLITE_INTEGER:
            row.emplace_back(static_cast<int64_t>(sqlite3_column_int64(stmt, c)));
            break;
          case SQLITE_FLOAT:
            row.emplace_back(sqlite3_column_double(stmt, c));
            break;
          default: {
            const unsigned char* t = sqlite3_column_text(stmt, c);
            row.emplace_back(std::string(reinterpret_cast<const char*>(t), sqlite3_column_bytes(stmt, c)));
          }
        }
      }
    }
    // sqlite3_changes keeps the count of the last data change, so a SELECT must not report it.
    if (!sqlite3_stmt_readonly(stmt)) result.changed = sqlite3_changes(db_);
    return result;
  }

  // In-process: nothing to save by holding a statement back.
  void defer(SqlStatement statement) override { query(statement.sql, statement.params); }

  // LockedWrite is a Write here: BEGIN IMMEDIATE is the study lock, held until the commit.
  void run(TxKind kind, const std::function<void()>& work) override {
    if (kind == TxKind::Idempotent) return work();
    if (kind == TxKind::Read) {
      exec("BEGIN");
    } else {
      // BEGIN IMMEDIATE takes the write lock up front, so the reads that decide a trial number
      // or a budget cannot be invalidated by another writer before the commit.
      for (int attempt = 0;; ++attempt) {
        int rc = sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
        if (rc == SQLITE_BUSY && attempt < 100) {
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
          continue;
        }
        if (rc != SQLITE_OK) throw std::runtime_error(fmt::format("SQLite: {}", sqlite3_errmsg(db_)));
        break;
      }
    }
    try {
      work();
      exec("COMMIT");
    } catch (...) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
  }

  void create_tables() override {
    for (const char* sql : kSchema) exec(sql);
  }

  const Dialect& dialect() const override {
    static const Dialect sqlite{"", "CURRENT_TIMESTAMP",
                                "(julianday('now') - julianday(h.heartbeat)) * 86400.0"};
    return sqlite;
  }

  const std::string& name() const override { return path_; }

 private:
  void exec(const std::string& sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
      std::string message = error ? error : "unknown error";
      sqlite3_free(error);
      throw std::runtime_error(fmt::format("SQLite: {} in: {}", message, sql.substr(0, 60)));
    }
  }

  std::string path_;
  sqlite3* db_ = nullptr;
};

}  // namespace

std::unique_ptr<SqlConnection> open_sqlite(const std::string& path, int busy_timeout_ms) {
  return std::make_unique<SqliteConnection>(path, busy_timeout_ms);
}

}  // namespace xferval::tune::detail
