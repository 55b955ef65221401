#pragma once
// The narrow SQL interface that Storage's logic is written against, so that SQLite and PostgreSQL
// share every statement that decides trial numbers, claims, budgets and states. Statements use
// PostgreSQL's $1, $2 placeholders and the SQL both engines accept (INSERT ... RETURNING,
// ON CONFLICT ... DO UPDATE); what differs is in Dialect and in the connection classes.
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace xferval::tune::detail {

using SqlParam = std::variant<std::nullptr_t, int64_t, double, std::string>;

// One cell. SQLite hands back typed values; libpq hands back text, parsed on access.
class SqlValue {
 public:
  SqlValue() = default;
  explicit SqlValue(int64_t value) : value_(std::in_place_type<int64_t>, value) {}
  explicit SqlValue(double value) : value_(std::in_place_type<double>, value) {}
  explicit SqlValue(std::string value) : value_(std::in_place_type<std::string>, std::move(value)) {}
  bool is_null() const { return std::holds_alternative<std::nullptr_t>(value_); }
  int64_t integer() const;
  double real() const;
  std::string text() const;

 private:
  SqlParam value_;
};

struct SqlResult {
  std::vector<std::vector<SqlValue>> rows;
  int64_t changed = 0;  // rows inserted, updated or deleted
};

// The statements the engines spell differently.
struct Dialect {
  // Locks the study row ($1 = study_id) until the transaction ends; empty where the whole
  // transaction already holds the database's write lock (SQLite's BEGIN IMMEDIATE).
  std::string lock_study;
  // The database clock as heartbeats store it.
  std::string heartbeat_now;
  // Seconds since the heartbeat column h.heartbeat, on the same clock.
  std::string heartbeat_age;
};

// Thrown by a connection when the server went away; a transaction that ends with it is retried.
struct ConnectionLost : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct SqlStatement {
  std::string sql;
  std::vector<SqlParam> params;
};

// Read: a consistent snapshot. Write: serialised with other writers where the engine needs it;
// re-run whole after a lost connection unless it is known to have committed. LockedWrite: a
// Write that takes the study lock (Dialect::lock_study), which every other writer of the study
// queues on; PostgreSQL releases it without waiting for the commit to reach the disk and waits
// for that afterwards, before run() returns. Idempotent: statements that may simply be sent
// again, each committed on its own (a single read is one snapshot by itself).
enum class TxKind : int { Read, Write, LockedWrite, Idempotent };

class SqlConnection {
 public:
  virtual ~SqlConnection() = default;
  virtual SqlResult query(std::string_view sql, const std::vector<SqlParam>& params = {}) = 0;
  SqlResult query(const SqlStatement& statement) { return query(statement.sql, statement.params); }
  // A statement whose answer nobody reads: PostgreSQL sends it in the round trip of the next
  // query, of the COMMIT or of the end of run(), whichever comes first, so it costs no round trip
  // of its own; SQLite runs it at once. Its error fails that round trip (and so the transaction).
  virtual void defer(SqlStatement statement) = 0;
  // Runs `work` (which calls query) as `kind`; work may run more than once, so it assigns its
  // results rather than accumulating them.
  virtual void run(TxKind kind, const std::function<void()>& work) = 0;
  // Creates whatever of Optuna's tables is missing; called inside a Write.
  virtual void create_tables() = 0;
  virtual const Dialect& dialect() const = 0;
  // The path or the URL without its password, for messages.
  virtual const std::string& name() const = 0;
};

std::unique_ptr<SqlConnection> open_sqlite(const std::string& path, int busy_timeout_ms);
// `url` is postgresql://, postgres:// or postgresql+DRIVER://; `retry_timeout_ms` bounds the
// reconnection attempts of one operation (the URL's retry_timeout=SECONDS overrides it).
std::unique_ptr<SqlConnection> open_postgres(const std::string& url, int retry_timeout_ms);

}  // namespace xferval::tune::detail
