// The PostgreSQL engine of Storage, through libpq: Optuna 3.1's schema as SQLAlchemy 1.4 creates
// it there, the study row locked FOR UPDATE by writers, statements sent several to a round trip
// (pipeline mode), and reconnection with back-off. Every value travels as a parameter of a
// prepared statement, never inside the statement text.
#include <fmt/format.h>
#include <libpq-fe.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <iterator>
#include <map>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>

#include "tune/sql_connection.hpp"
#include "xferval/core/error.hpp"

namespace xferval::tune::detail {

namespace {

using Clock = std::chrono::steady_clock;

// Created before the tables, in this order (SQLAlchemy's Enum columns on PostgreSQL).
const std::pair<const char*, const char*> kTypes[] = {
    {"studydirection", "CREATE TYPE studydirection AS ENUM ('NOT_SET', 'MINIMIZE', 'MAXIMIZE')"},
    {"trialstate", "CREATE TYPE trialstate AS ENUM ('RUNNING', 'COMPLETE', 'PRUNED', 'FAIL', 'WAITING')"},
    {"trialvaluetype", "CREATE TYPE trialvaluetype AS ENUM ('FINITE', 'INF_POS', 'INF_NEG')"},
    {"trialintermediatevaluetype",
     "CREATE TYPE trialintermediatevaluetype AS ENUM ('FINITE', 'INF_POS', 'INF_NEG', 'NAN')"},
};

// CREATE TABLE as SQLAlchemy 1.4 compiles Optuna 3.1's models for PostgreSQL; the unnamed
// constraints get PostgreSQL's default names, as they do under Optuna, so pg_dump --schema-only
// of an xferval database and of an Optuna one agree.
const std::pair<const char*, const char*> kTables[] = {
    {"studies", R"(CREATE TABLE studies (
	study_id SERIAL NOT NULL, 
	study_name VARCHAR(512) NOT NULL, 
	PRIMARY KEY (study_id)
);
CREATE UNIQUE INDEX ix_studies_study_name ON studies (study_name))"},
    {"version_info", R"(CREATE TABLE version_info (
	version_info_id INTEGER NOT NULL, 
	schema_version INTEGER, 
	library_version VARCHAR(256), 
	PRIMARY KEY (version_info_id), 
	CHECK (version_info_id=1)
))"},
    {"study_directions", R"(CREATE TABLE study_directions (
	study_direction_id SERIAL NOT NULL, 
	direction studydirection NOT NULL, 
	study_id INTEGER NOT NULL, 
	objective INTEGER NOT NULL, 
	PRIMARY KEY (study_direction_id), 
	UNIQUE (study_id, objective), 
	FOREIGN KEY(study_id) REFERENCES studies (study_id)
))"},
    {"study_system_attributes", R"(CREATE TABLE study_system_attributes (
	study_system_attribute_id SERIAL NOT NULL, 
	study_id INTEGER, 
	key VARCHAR(512), 
	value_json TEXT, 
	PRIMARY KEY (study_system_attribute_id), 
	UNIQUE (study_id, key), 
	FOREIGN KEY(study_id) REFERENCES studies (study_id)
))"},
    {"study_user_attributes", R"(CREATE TABLE study_user_attributes (
	study_user_attribute_id SERIAL NOT NULL, 
	study_id INTEGER, 
	key VARCHAR(512), 
	value_json TEXT, 
	PRIMARY KEY (study_user_attribute_id), 
	UNIQUE (study_id, key), 
	FOREIGN KEY(study_id) REFERENCES studies (study_id)
))"},
    {"trials", R"(CREATE TABLE trials (
	trial_id SERIAL NOT NULL, 
	number INTEGER, 
	study_id INTEGER, 
	state trialstate NOT NULL, 
	datetime_start TIMESTAMP WITHOUT TIME ZONE, 
	datetime_complete TIMESTAMP WITHOUT TIME ZONE, 
	PRIMARY KEY (trial_id), 
	FOREIGN KEY(study_id) REFERENCES studies (study_id)
))"},
    {"trial_heartbeats", R"(CREATE TABLE trial_heartbeats (
	trial_heartbeat_id SERIAL NOT NULL, 
	trial_id INTEGER NOT NULL, 
	heartbeat TIMESTAMP WITHOUT TIME ZONE NOT NULL, 
	PRIMARY KEY (trial_heartbeat_id), 
	UNIQUE (trial_id), 
	FOREIGN KEY(trial_id) REFERENCES trials (trial_id)
))"},
    {"trial_intermediate_values", R"(CREATE TABLE trial_intermediate_values (
	trial_intermediate_value_id SERIAL NOT NULL, 
	trial_id INTEGER NOT NULL, 
	step INTEGER NOT NULL, 
	intermediate_value FLOAT(53), 
	intermediate_value_type trialintermediatevaluetype NOT NULL, 
	PRIMARY KEY (trial_intermediate_value_id), 
	UNIQUE (trial_id, step), 
	FOREIGN KEY(trial_id) REFERENCES trials (trial_id)
))"},
    {"trial_params", R"(CREATE TABLE trial_params (
	param_id SERIAL NOT NULL, 
	trial_id INTEGER, 
	param_name VARCHAR(512), 
	param_value FLOAT(53), 
	distribution_json TEXT, 
	PRIMARY KEY (param_id), 
	UNIQUE (trial_id, param_name), 
	FOREIGN KEY(trial_id) REFERENCES trials (trial_id)
))"},
    {"trial_system_attributes", R"(CREATE TABLE trial_system_attributes (
	trial_system_attribute_id SERIAL NOT NULL, 
	trial_id INTEGER, 
	key VARCHAR(512), 
	value_json TEXT, 
	PRIMARY KEY (trial_system_attribute_id), 
	UNIQUE (trial_id, key), 
	FOREIGN KEY(trial_id) REFERENCES trials (trial_id)
))"},
    {"trial_user_attributes", R"(CREATE TABLE trial_user_attributes (
	trial_user_attribute_id SERIAL NOT NULL, 
	trial_id INTEGER, 
	key VARCHAR(512), 
	value_json TEXT, 
	PRIMARY KEY (trial_user_attribute_id), 
	UNIQUE (trial_id, key), 
	FOREIGN KEY(trial_id) REFERENCES trials (trial_id)
))"},
    {"trial_values", R"(CREATE TABLE trial_values (
	trial_value_id SERIAL NOT NULL, 
	trial_id INTEGER NOT NULL, 
	objective INTEGER NOT NULL, 
	value FLOAT(53), 
	value_type trialvaluetype NOT NULL, 
	PRIMARY KEY (trial_value_id), 
	UNIQUE (trial_id, objective), 
	FOREIGN KEY(trial_id) REFERENCES trials (trial_id)
))"},
    {"alembic_version", R"(CREATE TABLE alembic_version (
	version_num VARCHAR(32) NOT NULL, 
	CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
))"},
};

const SqlStatement kBeginRead{"BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", {}};
const SqlStatement kCommit{"COMMIT", {}};

// Waits until every commit before it is on disk: a transaction that writes WAL and commits with
// the session's synchronous_commit flushes the WAL up to its own commit record, and so past every
// earlier one. A transactional logical message is the smallest such write (one WAL record, no
// table, no lock); logical decoding clients would see it under the prefix 'xferval'.
const SqlStatement kWaitForDisk{"SELECT pg_logical_emit_message(true, 'xferval', 'durable')", {}};

// What opens a transaction of each kind. A write's second statement answers the transaction's
// id. The study lock's holder (LockedWrite) commits without waiting for the disk, since every
// other writer of the study queues behind it; run() sends kWaitForDisk after its COMMIT instead,
// outside the lock, so its caller still returns only once the commit is durable.
const std::vector<SqlStatement>& opening_of(TxKind kind) {
  static const std::vector<SqlStatement> read{kBeginRead};
  static const std::vector<SqlStatement> write{{"BEGIN", {}}, {"SELECT txid_current()", {}}};
  static const std::vector<SqlStatement> locked_write{
      {"BEGIN", {}}, {"SELECT txid_current(), set_config('synchronous_commit', 'off', true)", {}}};
  return kind == TxKind::Read ? read : kind == TxKind::LockedWrite ? locked_write : write;
}

// Serialises schema creation among xferval workers that start at once on an empty database.
constexpr int64_t kSchemaLock = 0x78666572'76616c31;  // "xfervall"

// A deadlock or serialization failure: the transaction is simply run again.
struct TransientConflict : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string trimmed(const char* text) {
  std::string s = text ? text : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  std::replace(s.begin(), s.end(), '\n', ' ');
  return s;
}

// user:password@ becomes user@ in anything shown to people.
std::string without_password(const std::string& url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return url;
  const auto at = url.find('@', scheme_end + 3);
  const auto slash = url.find('/', scheme_end + 3);
  if (at == std::string::npos || (slash != std::string::npos && slash < at)) return url;
  const auto colon = url.find(':', scheme_end + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon) + url.substr(at);
}

// Not worth waiting for: the server answered and refused (authentication, a missing database),
// or the host name does not resolve.
bool permanent_connect_failure(const std::string& message) {
  for (const char* transient : {"starting up", "shutting down", "in recovery", "too many clients",
                                "terminating connection", "not yet accepting"})
    if (message.find(transient) != std::string::npos) return false;
  return message.find("FATAL") != std::string::npos ||
         message.find("could not translate host name") != std::string::npos;
}

class PostgresConnection final : public SqlConnection {
 public:
  PostgresConnection(const std::string& url, int retry_timeout_ms) : timeout_(retry_timeout_ms) {
    parse(url);
    connect(Clock::now() + timeout_);
  }
  ~PostgresConnection() override {
    if (conn_) PQfinish(conn_);
  }

  SqlResult query(std::string_view sql, const std::vector<SqlParam>& params) override {
    const std::vector<SqlStatement> statement{{std::string(sql), params}};
    return std::move(exchange(statement).front());
  }

  void defer(SqlStatement statement) override { deferred_.push_back(std::move(statement)); }

  // A transaction costs two round trips: BEGIN goes out with the work's first statements, and the
  // COMMIT with the statements the work deferred. The COMMIT leaves only once the transaction's id
  // is known, so that a COMMIT whose answer is lost can be looked up (committed()).
  void run(TxKind kind, const std::function<void()>& work) override {
    const auto deadline = Clock::now() + timeout_;
    for (;;) {
      bool commit_sent = false;
      try {
        if (!conn_ || PQstatus(conn_) != CONNECTION_OK) connect(deadline);
        // Whatever an earlier run() that failed left behind is forgotten.
        deferred_.clear();
        xid_.clear();
        unopened_ = kind == TxKind::Idempotent ? std::nullopt : std::optional(kind);
        work();
        if (kind == TxKind::Idempotent) {
          if (!deferred_.empty()) exchange({});
          return;
        }
        if (unopened_ && deferred_.empty()) {  // the work sent nothing: there is no transaction
          unopened_.reset();
          return;
        }
        if (unopened_) exchange({});  // BEGIN and the id before the COMMIT, as always
        std::vector<SqlStatement> closing{kCommit};
        if (kind == TxKind::LockedWrite) closing.push_back(kWaitForDisk);
        commit_sent = true;
        exchange(closing);
        return;
      } catch (const ConnectionLost& lost) {
        last_error_ = lost.what();
        if (commit_sent && !xid_.empty()) {
          // committed() reconnected; if the COMMIT did not happen, nothing of it was written.
          if (committed(xid_, deadline)) return;
          continue;
        }
        drop();
        if (Clock::now() >= deadline) unreachable();
      } catch (const TransientConflict&) {
        rollback();
      } catch (...) {
        rollback();
        throw;
      }
    }
  }

  void create_tables() override {
    auto existing = [&](const char* sql) {
      std::vector<std::string> names;
      for (const auto& row : query(sql, {}).rows) names.push_back(row.at(0).text());
      return names;
    };
    const char* types_sql =
        "SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
        "WHERE n.nspname = current_schema()";
    const char* tables_sql = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()";
    auto tables = existing(tables_sql);
    auto has = [](const std::vector<std::string>& names, const char* name) {
      return std::find(names.begin(), names.end(), name) != names.end();
    };
    if (std::all_of(std::begin(kTables), std::end(kTables),
                    [&](const auto& t) { return has(tables, t.first); }))
      return;
    // Several workers starting on an empty database: one creates, the others find it created.
    query("SELECT pg_advisory_xact_lock($1)", {kSchemaLock});
    tables = existing(tables_sql);
    auto types = existing(types_sql);
    for (const auto& [name, ddl] : kTypes)
      if (!has(types, name)) take(PQexec(conn_, ddl), ddl);
    for (const auto& [name, ddl] : kTables)
      if (!has(tables, name)) take(PQexec(conn_, ddl), ddl);
  }

  const Dialect& dialect() const override {
    // LOCALTIMESTAMP is what Optuna stores: now() in the session's time zone, without the zone.
    static const Dialect postgres{"SELECT study_id FROM studies WHERE study_id = $1 FOR UPDATE",
                                  "LOCALTIMESTAMP", "EXTRACT(EPOCH FROM (LOCALTIMESTAMP - h.heartbeat))"};
    return postgres;
  }

  const std::string& name() const override { return name_; }

 private:
  void parse(const std::string& url) {
    std::string uri = url;
    const auto scheme_end = uri.find("://");
    // postgresql+psycopg2:// (SQLAlchemy's driver suffix) is plain postgresql:// to libpq.
    if (uri.rfind("postgresql+", 0) == 0) uri = "postgresql" + uri.substr(scheme_end);
    // retry_timeout is xferval's; libpq would refuse it.
    if (auto question = uri.find('?'); question != std::string::npos) {
      std::string query_text = uri.substr(question + 1), kept;
      size_t start = 0;
      while (start <= query_text.size()) {
        size_t end = query_text.find('&', start);
        if (end == std::string::npos) end = query_text.size();
        std::string item = query_text.substr(start, end - start);
        if (item.rfind("retry_timeout=", 0) == 0) {
          char* rest = nullptr;
          const std::string value = item.substr(14);
          double seconds = std::strtod(value.c_str(), &rest);
          if (value.empty() || *rest != '\0' || !(seconds >= 0))
            throw UsageError(
                fmt::format("storage URL '{}': retry_timeout must be a number of seconds, not '{}'",
                            without_password(url), value));
          timeout_ = std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
        } else if (!item.empty()) {
          kept += (kept.empty() ? "" : "&") + item;
        }
        start = end + 1;
      }
      uri = uri.substr(0, question) + (kept.empty() ? "" : "?" + kept);
    }
    char* error = nullptr;
    PQconninfoOption* options = PQconninfoParse(uri.c_str(), &error);
    if (!options) {
      std::string message = trimmed(error ? error : "out of memory");
      PQfreemem(error);
      throw UsageError(fmt::format("storage URL '{}': {} (expected postgresql://USER@HOST:PORT/DB)",
                                   without_password(url), message));
    }
    std::map<std::string, std::string> values;
    for (PQconninfoOption* o = options; o->keyword; ++o)
      if (o->val) values[o->keyword] = o->val;
    PQconninfoFree(options);
    if (values["dbname"].empty())
      throw UsageError(
          fmt::format("storage URL '{}' names no database (expected postgresql://USER@HOST:PORT/DB)",
                      without_password(url)));
    uri_ = uri;
    server_ = fmt::format("{}:{}", values["host"].empty() ? "localhost" : values["host"],
                          values["port"].empty() ? "5432" : values["port"]);
    name_ = without_password(url);
  }

  void connect(Clock::time_point deadline) {
    auto pause = std::chrono::milliseconds(50);
    for (;;) {
      if (conn_) PQfinish(conn_);
      prepared_.clear();  // they lived in the old session
      const char* keywords[] = {"dbname", "fallback_application_name", nullptr};
      const char* values[] = {uri_.c_str(), "xferval", nullptr};
      conn_ = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
      if (conn_ && PQstatus(conn_) == CONNECTION_OK) {
        // CREATE TABLE's notices are not the user's business.
        PQsetNoticeProcessor(
            conn_, [](void*, const char*) {}, nullptr);
        return;
      }
      last_error_ = trimmed(conn_ ? PQerrorMessage(conn_) : "out of memory");
      if (permanent_connect_failure(last_error_)) {
        drop();
        throw InputError(
            name_, "",
            fmt::format("the PostgreSQL server at {} refused the connection: {}; check the user, "
                        "password and database in the storage URL (the database must exist: "
                        "createdb -h HOST -p PORT -U USER DB)",
                        server_, last_error_));
      }
      if (Clock::now() + pause >= deadline) unreachable();
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::milliseconds(2000));
    }
  }

  // A failed connection still holds memory; a constructor that throws never runs the destructor.
  void drop() {
    if (conn_) PQfinish(conn_);
    conn_ = nullptr;
  }

  [[noreturn]] void unreachable() {
    drop();
    throw InputError(
        name_, "",
        fmt::format("no answer from the PostgreSQL server at {} within {:g} s ({}); check that the server "
                    "runs and accepts TCP connections from this machine, or wait longer with "
                    "?retry_timeout=SECONDS in the storage URL",
                    server_, timeout_.count() / 1000.0, last_error_));
  }

  // After a COMMIT whose answer was lost: did it happen? Waits while the server still works on it.
  bool committed(const std::string& xid, Clock::time_point deadline) {
    // The wait for the disk comes first: a study lock holder's COMMIT does not wait for it, and
    // counts only once it is there. An id beyond the server's current one (its WAL lost in a
    // crash) never committed; txid_status would refuse it as "in the future".
    const std::vector<SqlStatement> check{
        kWaitForDisk,
        {"SELECT CASE WHEN $1 < txid_current() THEN txid_status($1) ELSE 'aborted' END", {std::stoll(xid)}}};
    for (;;) {
      try {
        connect(deadline);
        std::string status = exchange(check).at(1).rows.at(0).at(0).text();
        if (status != "in progress") return status == "committed";
      } catch (const ConnectionLost&) {
      }
      if (Clock::now() >= deadline) unreachable();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  // Parameters as text: libpq's text format; PostgreSQL infers their types from the statement.
  struct Texts {
    explicit Texts(const std::vector<SqlParam>& params)
        : texts(params.size()), values(params.size(), nullptr) {
      for (size_t i = 0; i < params.size(); ++i) {
        if (std::holds_alternative<std::nullptr_t>(params[i])) continue;
        if (auto* s = std::get_if<std::string>(&params[i]))
          texts[i] = *s;
        else if (auto* n = std::get_if<int64_t>(&params[i]))
          texts[i] = std::to_string(*n);
        else
          texts[i] = fmt::format("{}", std::get<double>(params[i]));  // shortest text that round-trips
        values[i] = texts[i].c_str();
      }
    }
    std::vector<std::string> texts;
    std::vector<const char*> values;
  };

  // Each statement is parsed and planned once per connection: Storage sends the same few texts
  // over and over, and planning them dominated the server's time per trial.
  const std::string& prepared(const std::string& sql, size_t parameters) {
    auto found = prepared_.find(sql);
    if (found == prepared_.end()) {
      std::string id = fmt::format("xferval_{}", prepared_.size());
      take(PQprepare(conn_, id.c_str(), sql.c_str(), static_cast<int>(parameters), nullptr), sql);
      found = prepared_.emplace(sql, std::move(id)).first;
    }
    return found->second;
  }

  struct Exchange {
    std::vector<SqlResult> answers;  // to the statements before the first error
    std::exception_ptr error;
  };

  // Sends the statements at once in libpq's pipeline mode, ended by one Sync, and takes every
  // answer: one round trip. After an error the server skips the rest up to the Sync.
  Exchange pipeline(const std::vector<const SqlStatement*>& statements) {
    std::vector<const std::string*> ids;
    for (const SqlStatement* statement : statements)
      ids.push_back(&prepared(statement->sql, statement->params.size()));
    auto lost = [&] { return ConnectionLost(trimmed(PQerrorMessage(conn_))); };
    if (PQenterPipelineMode(conn_) != 1) throw lost();
    bool sent = true;
    for (size_t i = 0; i < statements.size() && sent; ++i) {
      Texts texts(statements[i]->params);
      sent = PQsendQueryPrepared(conn_, ids[i]->c_str(), static_cast<int>(statements[i]->params.size()),
                                 texts.values.data(), nullptr, nullptr, 0) == 1;
    }
    if (!sent || PQpipelineSync(conn_) != 1) throw lost();
    Exchange exchanged;
    for (const SqlStatement* statement : statements) {
      PGresult* result = PQgetResult(conn_);
      if (!result) throw lost();
      if (PQresultStatus(result) == PGRES_PIPELINE_ABORTED) {
        PQclear(result);  // skipped after the error
      } else {
        try {
          SqlResult answer = take(result, statement->sql);
          if (!exchanged.error) exchanged.answers.push_back(std::move(answer));
        } catch (...) {
          if (!exchanged.error) exchanged.error = std::current_exception();
        }
      }
      while (PGresult* rest = PQgetResult(conn_)) PQclear(rest);  // the NULL that ends each answer
    }
    PGresult* sync = PQgetResult(conn_);
    const bool synced = sync && PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
    PQclear(sync);
    if (!synced || PQexitPipelineMode(conn_) != 1) throw lost();
    return exchanged;
  }

  // One round trip inside run(): the opening of its transaction if that has not gone out yet, the
  // deferred statements, then `statements`, whose answers it returns.
  std::vector<SqlResult> exchange(const std::vector<SqlStatement>& statements) {
    if (!conn_ || PQstatus(conn_) != CONNECTION_OK) throw ConnectionLost("no connection");
    const std::optional<TxKind> opening = std::exchange(unopened_, std::nullopt);
    const std::vector<SqlStatement> deferred = std::exchange(deferred_, {});
    std::vector<const SqlStatement*> all;
    if (opening)
      for (const SqlStatement& statement : opening_of(*opening)) all.push_back(&statement);
    for (const SqlStatement& statement : deferred) all.push_back(&statement);
    for (const SqlStatement& statement : statements) all.push_back(&statement);
    Exchange exchanged = pipeline(all);
    // A write's opening answers its id second, after BEGIN.
    if (opening && *opening != TxKind::Read && exchanged.answers.size() >= 2)
      xid_ = exchanged.answers[1].rows.at(0).at(0).text();
    if (exchanged.error) std::rethrow_exception(exchanged.error);
    return {std::make_move_iterator(exchanged.answers.end() - static_cast<std::ptrdiff_t>(statements.size())),
            std::make_move_iterator(exchanged.answers.end())};
  }

  void rollback() {
    unopened_.reset();
    deferred_.clear();
    if (conn_ && PQstatus(conn_) == CONNECTION_OK && PQtransactionStatus(conn_) != PQTRANS_IDLE)
      PQclear(PQexec(conn_, "ROLLBACK"));
  }

  SqlResult take(PGresult* raw, const std::string& sql) {
    std::unique_ptr<PGresult, void (*)(PGresult*)> result(raw, PQclear);
    const ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      const char* state = result ? PQresultErrorField(result.get(), PG_DIAG_SQLSTATE) : nullptr;
      const std::string code = state ? state : "";
      const std::string message =
          trimmed(result ? PQresultErrorMessage(result.get()) : PQerrorMessage(conn_));
      // 08: connection exceptions; 57P01-3: the server shuts down or restarts.
      if (PQstatus(conn_) != CONNECTION_OK || code.empty() || code.rfind("08", 0) == 0 ||
          code.rfind("57P0", 0) == 0)
        throw ConnectionLost(message);
      if (code == "40001" || code == "40P01") throw TransientConflict(message);
      if (code == "42501")
        throw InputError(
            name_, "",
            fmt::format("{}; the user needs CREATE on the schema to create Optuna's tables (GRANT "
                        "CREATE ON SCHEMA public TO USER) and SELECT, INSERT, UPDATE on them and "
                        "their sequences afterwards",
                        message));
      throw std::runtime_error(fmt::format("PostgreSQL: {} in: {}", message, sql.substr(0, 80)));
    }
    SqlResult out;
    const int rows = PQntuples(result.get()), columns = PQnfields(result.get());
    out.rows.resize(rows);
    for (int r = 0; r < rows; ++r) {
      out.rows[r].reserve(columns);
      for (int c = 0; c < columns; ++c) {
        if (PQgetisnull(result.get(), r, c))
          out.rows[r].emplace_back();
        else
          out.rows[r].emplace_back(std::string(PQgetvalue(result.get(), r, c),
                                               static_cast<size_t>(PQgetlength(result.get(), r, c))));
      }
    }
    const char* changed = PQcmdTuples(result.get());
    out.changed = changed && *changed ? std::strtoll(changed, nullptr, 10) : 0;
    return out;
  }

  std::chrono::milliseconds timeout_;
  std::string uri_;     // what libpq connects to
  std::string name_;    // the URL without its password
  std::string server_;  // host:port
  std::string last_error_;
  PGconn* conn_ = nullptr;
  std::unordered_map<std::string, std::string> prepared_;  // statement text -> prepared name
  // Inside run(): the kind of transaction begun but not sent yet (it goes out with the first
  // statements), the statements deferred until the next round trip, and the transaction's id.
  std::optional<TxKind> unopened_;
  std::vector<SqlStatement> deferred_;
  std::string xid_;
};

}  // namespace

std::unique_ptr<SqlConnection> open_postgres(const std::string& url, int retry_timeout_ms) {
  return std::make_unique<PostgresConnection>(url, retry_timeout_ms);
}

}  // namespace xferval::tune::detail
