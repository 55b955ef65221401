// Study storage on PostgreSQL: Optuna's schema, concurrent worker processes, killed workers, a
// server restart, Optuna 3.1 reading and extending the study, hostile study names and clear
// errors. Each test process starts a private server (initdb + pg_ctl, trust auth on 127.0.0.1, a
// free port, a temporary folder) and stops it at the end, also when a test fails.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "test_support.hpp"
#include "xferval/core/error.hpp"
#include "xferval/tune/study.hpp"

namespace {

using namespace xferval::tune;
using xferval::InputError;
using xferval::UsageError;
using xferval::testing::run_command;
using xferval::testing::run_python;
using xferval::testing::shell_quote;
namespace fs = std::filesystem;

const fs::path kPgBin = "/usr/lib/postgresql/15/bin";

int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

// initdb refuses to run as root, so the server runs as the postgres system user then.
class PostgresServer {
 public:
  static PostgresServer& instance() {
    static PostgresServer server;
    started_ = &server;
    return server;
  }
  static PostgresServer* started() { return started_; }
  bool running() const { return running_; }
  const std::string& why_not() const { return why_not_; }
  int port() const { return port_; }

  // A new, empty database; its URL for xferval (or for SQLAlchemy with psycopg2).
  std::string create_database(const std::string& name, bool psycopg2 = false) {
    sql("postgres", fmt::format("CREATE DATABASE {}", name));
    return url(name, psycopg2);
  }
  std::string url(const std::string& name, bool psycopg2 = false) const {
    return fmt::format("postgresql{}://postgres@127.0.0.1:{}/{}", psycopg2 ? "+psycopg2" : "", port_, name);
  }
  // Runs SQL as the superuser; returns the first column of every row.
  std::vector<std::string> sql(const std::string& database, const std::string& statement) {
    std::string conninfo = fmt::format("host=127.0.0.1 port={} user=postgres dbname={}", port_, database);
    PGconn* conn = PQconnectdb(conninfo.c_str());
    std::vector<std::string> rows;
    if (PQstatus(conn) != CONNECTION_OK) {
      ADD_FAILURE() << PQerrorMessage(conn);
      PQfinish(conn);
      return rows;
    }
    PGresult* result = PQexec(conn, statement.c_str());
    if (PQresultStatus(result) != PGRES_COMMAND_OK && PQresultStatus(result) != PGRES_TUPLES_OK)
      ADD_FAILURE() << statement << ": " << PQresultErrorMessage(result);
    for (int r = 0; r < PQntuples(result); ++r) rows.emplace_back(PQgetvalue(result, r, 0));
    PQclear(result);
    PQfinish(conn);
    return rows;
  }
  std::string dump_schema(const std::string& database) {
    auto dumped = run_command(as_owner(fmt::format("{} -h 127.0.0.1 -p {} -U postgres --schema-only {}",
                                                   (kPgBin / "pg_dump").string(), port_, database)));
    EXPECT_EQ(dumped.exit_code, 0) << dumped.err;
    std::string kept;
    std::istringstream lines(dumped.out);
    // \restrict carries a random key; comments name the dump's versions.
    for (std::string line; std::getline(lines, line);)
      if (line.rfind("\\restrict", 0) != 0 && line.rfind("\\unrestrict", 0) != 0 && line.rfind("--", 0) != 0)
        kept += line + "\n";
    return kept;
  }
  void restart() {
    auto restarted = run_command(
        as_owner(fmt::format("{} -D {} -m fast -w restart -l {}/log -o {}", (kPgBin / "pg_ctl").string(),
                             (dir_ / "data").string(), dir_.string(), shell_quote(options()))));
    ASSERT_EQ(restarted.exit_code, 0) << restarted.out << restarted.err;
  }
  // As a power cut: the server loses what it had not written out and recovers from its WAL.
  void crash_and_restart() {
    auto crashed = run_command(as_owner(fmt::format("{} -D {} -m immediate -w stop",
                                                    (kPgBin / "pg_ctl").string(), (dir_ / "data").string())));
    ASSERT_EQ(crashed.exit_code, 0) << crashed.out << crashed.err;
    auto started = run_command(
        as_owner(fmt::format("{} -D {} -w -t 30 start -l {}/log -o {}", (kPgBin / "pg_ctl").string(),
                             (dir_ / "data").string(), dir_.string(), shell_quote(options()))));
    ASSERT_EQ(started.exit_code, 0) << started.out << started.err;
  }
  ~PostgresServer() { stop(); }
  void stop() {
    if (!running_) return;
    run_command(as_owner(fmt::format("{} -D {} -m immediate -w stop", (kPgBin / "pg_ctl").string(),
                                     (dir_ / "data").string())));
    running_ = false;
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

 private:
  PostgresServer() {
    if (!fs::exists(kPgBin / "initdb")) {
      why_not_ = "PostgreSQL 15 is not installed (scripts/setup.sh installs it)";
      return;
    }
    char pattern[] = "/tmp/xferval-pg-XXXXXX";
    if (!mkdtemp(pattern)) {
      why_not_ = "no temporary folder";
      return;
    }
    dir_ = pattern;
    if (geteuid() == 0) run_command("chown postgres " + dir_.string());
    auto init = run_command(as_owner(fmt::format("{} -D {} -A trust -U postgres -E UTF8 --no-sync",
                                                 (kPgBin / "initdb").string(), (dir_ / "data").string())));
    if (init.exit_code != 0) {
      why_not_ = "initdb failed: " + init.err;
      return;
    }
    for (int attempt = 0; attempt < 5 && !running_; ++attempt) {
      port_ = free_port();
      auto started = run_command(
          as_owner(fmt::format("{} -D {} -w -t 30 start -l {}/log -o {}", (kPgBin / "pg_ctl").string(),
                               (dir_ / "data").string(), dir_.string(), shell_quote(options()))));
      running_ = started.exit_code == 0;
      if (!running_) why_not_ = "pg_ctl start failed: " + started.out + started.err;
    }
  }
  std::string options() const {
    return fmt::format("-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60", port_,
                       dir_.string());
  }
  std::string as_owner(const std::string& command) const {
    return geteuid() == 0 ? "runuser -u postgres -- " + command : command;
  }

  static inline PostgresServer* started_ = nullptr;
  fs::path dir_;
  int port_ = 0;
  bool running_ = false;
  std::string why_not_;
};

// Stops the server after the last test, failed or not.
class StopServer : public ::testing::Environment {
 public:
  void TearDown() override {
    if (auto* server = PostgresServer::started()) server->stop();
  }
};
const auto* const kStopServer = ::testing::AddGlobalTestEnvironment(new StopServer);

// scripts/setup.sh installs PostgreSQL, so a server that cannot start is a failure, not a skip.
#define REQUIRE_SERVER()                     \
  auto& server = PostgresServer::instance(); \
  if (!server.running()) FAIL() << "no private PostgreSQL server: " << server.why_not()

struct WorkerPlan {
  std::string url;
  std::string study = "workers";
  int64_t budget = 200;
  std::chrono::milliseconds trial_time{0};
  double grace_seconds = 0;  // > 0: fail stale trials (and retry them once) before each ask
  int report_fd = -1;        // >= 0: write the first trial's number there, then hang
  uint64_t seed = 0;
};

// A worker process with a trivial objective; exits 0 when the budget is reached.
pid_t start_worker(const WorkerPlan& plan) {
  fflush(nullptr);
  pid_t pid = fork();
  if (pid != 0) return pid;
  int code = 0;
  try {
    auto study = Study::create_or_load(plan.url, plan.study, StudyDirection::Minimize,
                                       std::make_unique<RandomSampler>(plan.seed));
    for (;;) {
      if (plan.grace_seconds > 0) {
        auto failed = study.fail_stale_trials(plan.grace_seconds);
        for (const FrozenTrial& trial : study.trials())
          if (std::find(failed.begin(), failed.end(), trial.number) != failed.end())
            study.storage().requeue_failed_trial(study.study_id(), trial, 1);
      }
      auto trial = study.ask_within_budget(plan.budget);
      if (!trial) break;
      double x = trial->suggest_float("x", -5, 5);
      trial->heartbeat();
      if (plan.report_fd >= 0) {
        int64_t number = trial->number();
        if (write(plan.report_fd, &number, sizeof number) != sizeof number) _exit(3);
        for (;;) pause();  // mid-trial until kill -9
      }
      if (plan.trial_time.count() > 0) {
        std::this_thread::sleep_for(plan.trial_time / 2);
        trial->report(x, 0);
        trial->heartbeat();
        std::this_thread::sleep_for(plan.trial_time / 2);
      }
      study.tell(*trial, (x - 1) * (x - 1));
    }
  } catch (const std::exception& e) {
    fprintf(stderr, "worker %d: %s\n", getpid(), e.what());
    code = 1;
  }
  fflush(nullptr);
  _exit(code);
}

int wait_for(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void expect_numbers_once(const std::vector<FrozenTrial>& trials, int64_t count) {
  std::set<int64_t> numbers;
  for (const FrozenTrial& t : trials) numbers.insert(t.number);
  EXPECT_EQ(numbers.size(), trials.size()) << "a number was given twice";
  ASSERT_EQ(trials.size(), static_cast<size_t>(count));
  EXPECT_EQ(*numbers.begin(), 0);
  EXPECT_EQ(*numbers.rbegin(), count - 1);
}

TEST(PostgresStorage, SchemaIsOptunasOnPostgres) {
  REQUIRE_SERVER();
  std::string ours = server.create_database("schema_xferval");
  Storage storage(ours);
  storage.create_or_load_study("s", StudyDirection::Minimize);
  std::string theirs = server.create_database("schema_optuna", true);
  run_python(fmt::format(R"(
import optuna
optuna.logging.set_verbosity(optuna.logging.WARNING)
optuna.create_study(storage="{}", study_name="s")
)",
                         theirs));
  EXPECT_EQ(server.dump_schema("schema_xferval"), server.dump_schema("schema_optuna"));
  EXPECT_EQ(server.sql("schema_xferval", "SELECT version_num FROM alembic_version"),
            std::vector<std::string>{"v3.0.0.d"});
  EXPECT_EQ(server.sql("schema_xferval", "SELECT schema_version || ' ' || library_version FROM version_info"),
            server.sql("schema_optuna", "SELECT schema_version || ' ' || library_version FROM version_info"));
}

TEST(PostgresStorage, EightWorkersNumberTwoHundredTrialsOnce) {
  REQUIRE_SERVER();
  // Workers start together on an empty database: schema and study creation race as well.
  std::string url = server.create_database("workers");
  std::vector<pid_t> workers;
  for (int w = 0; w < 8; ++w) workers.push_back(start_worker({url, "workers", 100, {}, 0, -1, uint64_t(w)}));
  for (pid_t pid : workers) EXPECT_EQ(wait_for(pid), 0);
  // Enqueued trials are handed out once each while new ones are created around them.
  {
    auto study = Study::load(url, "workers");
    for (int i = 0; i < 40; ++i) study.enqueue_trial({{"x", ParamValue{i / 10.0}}});
  }
  workers.clear();
  for (int w = 0; w < 8; ++w)
    workers.push_back(start_worker({url, "workers", 200, {}, 0, -1, uint64_t(100 + w)}));
  for (pid_t pid : workers) EXPECT_EQ(wait_for(pid), 0);

  auto study = Study::load(url, "workers");
  auto trials = study.trials();
  expect_numbers_once(trials, 200);
  std::multiset<double> enqueued;
  for (const FrozenTrial& t : trials) {
    EXPECT_EQ(t.state, TrialState::Complete) << "trial " << t.number;
    if (t.system_attrs.count("fixed_params")) enqueued.insert(std::get<double>(t.param("x")));
  }
  ASSERT_EQ(enqueued.size(), 40u);
  for (int i = 0; i < 40; ++i) EXPECT_EQ(enqueued.count(i / 10.0), 1u) << i / 10.0;
  EXPECT_EQ(server.sql("workers", "SELECT COUNT(*) FROM studies"), std::vector<std::string>{"1"});
}

TEST(PostgresStorage, KilledWorkersTrialsFailAndTheOthersReachTheBudget) {
  REQUIRE_SERVER();
  std::string url = server.create_database("killed");
  Study::create_or_load(url, "killed", StudyDirection::Minimize);
  int pipes[2][2];
  std::vector<pid_t> victims, workers;
  for (auto& p : pipes) {
    ASSERT_EQ(pipe(p), 0);
    victims.push_back(start_worker({url, "killed", 90, {}, 0, p[1], 7}));
  }
  std::set<int64_t> killed_numbers;
  for (size_t v = 0; v < victims.size(); ++v) {
    int64_t number = -1;
    ASSERT_EQ(read(pipes[v][0], &number, sizeof number), static_cast<ssize_t>(sizeof number));
    killed_numbers.insert(number);
    kill(victims[v], SIGKILL);
    EXPECT_EQ(wait_for(victims[v]), 128 + SIGKILL);
  }
  for (int w = 0; w < 6; ++w)
    workers.push_back(
        start_worker({url, "killed", 90, std::chrono::milliseconds(100), 0.5, -1, uint64_t(w)}));
  for (pid_t pid : workers) EXPECT_EQ(wait_for(pid), 0);

  auto trials = Study::load(url, "killed").trials();
  std::set<int64_t> failed, retried_from;
  int64_t complete = 0, waiting = 0;
  for (const FrozenTrial& t : trials) {
    if (t.state == TrialState::Fail) failed.insert(t.number);
    if (t.state == TrialState::Complete) ++complete;
    if (t.state == TrialState::Waiting) ++waiting;
    if (auto from = t.system_attrs.find("failed_trial"); from != t.system_attrs.end()) {
      int64_t original = std::stoll(from->second);
      retried_from.insert(original);
      EXPECT_EQ(t.system_attrs.at("retry_history"), fmt::format("[{}]", original));
      EXPECT_EQ(t.params.at("x"), trials.at(original).params.at("x")) << "a retry keeps the parameters";
    }
  }
  EXPECT_EQ(failed, killed_numbers);
  EXPECT_EQ(retried_from, killed_numbers);
  EXPECT_EQ(complete, 88);
  EXPECT_EQ(static_cast<int64_t>(trials.size()) - waiting, 90) << "the budget counts the failed trials";
}

// Four workers share a budget of 150 trials; `interrupt` takes the server away under them once 30
// are complete. Every trial must still be numbered once, finished and valued: none lost, none
// made twice by a retried transaction.
void expect_workers_carry_on(PostgresServer& server, const std::string& database,
                             const std::function<void()>& interrupt) {
  std::string url = server.create_database(database);
  Study::create_or_load(url, database, StudyDirection::Minimize);
  std::vector<pid_t> workers;
  for (int w = 0; w < 4; ++w)
    workers.push_back(start_worker({url, database, 150, std::chrono::milliseconds(10), 0, -1, uint64_t(w)}));
  for (int i = 0; i < 200; ++i) {
    auto done = server.sql(database, "SELECT COUNT(*) FROM trials WHERE state = 'COMPLETE'");
    if (!done.empty() && std::stoi(done[0]) >= 30) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  auto before = server.sql(database, "SELECT COUNT(*) FROM trials WHERE state = 'COMPLETE'");
  interrupt();
  ASSERT_FALSE(before.empty());
  EXPECT_LT(std::stoi(before[0]), 150) << "the interruption came too late to test anything";
  for (pid_t pid : workers) EXPECT_EQ(wait_for(pid), 0);
  auto trials = Study::load(url, database).trials();
  expect_numbers_once(trials, 150);
  for (const FrozenTrial& t : trials) {
    EXPECT_EQ(t.state, TrialState::Complete) << "trial " << t.number;
    EXPECT_EQ(t.params.size(), 1u) << "trial " << t.number;
  }
  EXPECT_EQ(server.sql(database, "SELECT COUNT(*) FROM trial_values"), std::vector<std::string>{"150"});
}

TEST(PostgresStorage, WorkersReconnectAfterAServerRestart) {
  REQUIRE_SERVER();
  expect_workers_carry_on(server, "restart", [&] { server.restart(); });
}

// The study lock's holder commits without waiting for the disk and waits afterwards: a crash in
// between loses the commit, and the worker must find that out and start its trial again.
TEST(PostgresStorage, WorkersCarryOnAfterAServerCrash) {
  REQUIRE_SERVER();
  expect_workers_carry_on(server, "crash", [&] { server.crash_and_restart(); });
}

TEST(PostgresStorage, OptunaLoadsTheStudyAndAddsTrialsThatXfervalContinues) {
  REQUIRE_SERVER();
  std::string url = server.create_database("interop");
  const std::string name = R"(x'); DROP TABLE trials; --" $1 \)";
  {
    auto study =
        Study::create_or_load(url, name, StudyDirection::Minimize, std::make_unique<RandomSampler>(3));
    for (int i = 0; i < 6; ++i) {
      Trial trial = study.ask();
      double lr = trial.suggest_float("lr", 1e-5, 1e-1, true);
      int64_t batch = trial.suggest_int("batch", 16, 256, 16);
      auto optimizer = std::get<std::string>(
          trial.suggest_categorical("optimizer", {std::string("sgd"), std::string("adam")}));
      trial.report(lr * 2, 0);
      trial.report(i == 2 ? std::nan("") : lr, 1);
      if (i == 3)
        study.tell(trial, TrialState::Pruned);
      else if (i == 4)
        study.tell(trial, TrialState::Fail);
      else
        study.tell(trial, i == 5 ? INFINITY : lr + static_cast<double>(batch) + (optimizer == "adam"));
    }
  }
  // Optuna sees the same trials, then runs 4 of its own.
  std::string seen = run_python(fmt::format(R"(
import json, math, optuna
optuna.logging.set_verbosity(optuna.logging.WARNING)
study = optuna.load_study(study_name={}, storage="{}")
def enc(v):
    return None if v is None else (repr(v) if isinstance(v, float) and not math.isfinite(v) else v)
print(json.dumps([[t.number, t.state.name, enc(t.value), t.params, {{k: repr(d) for k, d in t.distributions.items()}},
                   {{str(k): enc(v) for k, v in t.intermediate_values.items()}}] for t in study.trials]))
def objective(trial):
    return trial.suggest_float("lr", 1e-5, 1e-1, log=True) + trial.suggest_int("batch", 16, 256, step=16)
study.sampler = optuna.samplers.RandomSampler(seed=1)
study.optimize(objective, n_trials=4)
)",
                                            nlohmann::json(name).dump(), server.url("interop", true)));
  auto optuna = nlohmann::json::parse(seen);
  auto study = Study::load(url, name);
  auto trials = study.trials();
  ASSERT_EQ(optuna.size(), 6u);
  for (size_t i = 0; i < 6; ++i) {
    const FrozenTrial& t = trials[i];
    const auto& o = optuna[i];
    EXPECT_EQ(o[0].get<int64_t>(), t.number);
    EXPECT_EQ(o[1].get<std::string>(), state_name(t.state));
    if (t.value && std::isfinite(*t.value)) {
      EXPECT_EQ(o[2].get<double>(), *t.value);
    } else if (t.value) {
      EXPECT_EQ(o[2].get<std::string>(), "inf");
    }
    EXPECT_EQ(o[3]["lr"].get<double>(), std::get<double>(t.param("lr")));
    EXPECT_EQ(o[3]["batch"].get<int64_t>(), std::get<int64_t>(t.param("batch")));
    EXPECT_EQ(o[3]["optimizer"].get<std::string>(), std::get<std::string>(t.param("optimizer")));
    EXPECT_EQ(o[4]["lr"].get<std::string>(), "FloatDistribution(high=0.1, log=True, low=1e-05, step=None)");
    EXPECT_EQ(o[4]["batch"].get<std::string>(), "IntDistribution(high=256, log=False, low=16, step=16)");
    EXPECT_EQ(o[5]["0"].get<double>(), t.intermediate_values.at(0));
    if (i == 2) {
      EXPECT_EQ(o[5]["1"].get<std::string>(), "nan");
    } else {
      EXPECT_EQ(o[5]["1"].get<double>(), t.intermediate_values.at(1));
    }
  }
  // xferval continues after Optuna's trials, on the same numbering.
  ASSERT_EQ(trials.size(), 10u);
  for (size_t i = 6; i < 10; ++i) EXPECT_EQ(trials[i].state, TrialState::Complete);
  while (auto trial = study.ask_within_budget(13)) {
    trial->suggest_float("lr", 1e-5, 1e-1, true);
    study.tell(*trial, 1.0);
  }
  trials = study.trials();
  expect_numbers_once(trials, 13);
  EXPECT_EQ(study.storage().study_names(), std::vector<std::string>{name});
  EXPECT_EQ(server.sql("interop", "SELECT study_name FROM studies"), std::vector<std::string>{name});
}

// add_trial sends most of its rows with the COMMIT: all of them land, or none when one fails.
TEST(PostgresStorage, AddedTrialsArriveWholeOrNotAtAll) {
  REQUIRE_SERVER();
  Storage storage(server.create_database("added"));
  const int64_t study = storage.create_or_load_study("added", StudyDirection::Minimize);
  FrozenTrial trial;
  trial.state = TrialState::Complete;
  trial.datetime_start = "2026-11-29 10:00:00.000001";
  trial.datetime_complete = "2026-11-29 10:00:01.500000";
  trial.params["x"] = 0.25;
  trial.distributions.emplace("x", make_float(0, 1));
  trial.intermediate_values = {{0, 1.5}, {1, std::nan("")}, {2, -INFINITY}};
  trial.system_attrs["fixed_params"] = R"({"x": 0.25})";
  trial.user_attrs["note"] = R"("imported")";
  trial.value = INFINITY;
  const FrozenTrial added = storage.load_trial(storage.add_trial(study, trial));
  EXPECT_EQ(added.number, 0);
  EXPECT_EQ(added.state, TrialState::Complete);
  EXPECT_EQ(added.datetime_start, trial.datetime_start);
  EXPECT_EQ(added.datetime_complete, trial.datetime_complete);
  EXPECT_EQ(added.params, trial.params);
  EXPECT_EQ(added.value, trial.value);
  ASSERT_EQ(added.intermediate_values.size(), 3u);
  EXPECT_EQ(added.intermediate_values.at(0), 1.5);
  EXPECT_TRUE(std::isnan(added.intermediate_values.at(1)));
  EXPECT_EQ(added.intermediate_values.at(2), -INFINITY);
  EXPECT_EQ(added.system_attrs, trial.system_attrs);
  EXPECT_EQ(added.user_attrs, trial.user_attrs);

  FrozenTrial refused = trial;
  refused.user_attrs[std::string(600, 'k')] = "1";  // the key column is VARCHAR(512)
  EXPECT_THROW(storage.add_trial(study, refused), std::runtime_error);
  EXPECT_EQ(server.sql("added", "SELECT COUNT(*) FROM trials"), std::vector<std::string>{"1"});
  EXPECT_EQ(server.sql("added", "SELECT COUNT(*) FROM trial_params"), std::vector<std::string>{"1"});
  EXPECT_EQ(server.sql("added", "SELECT COUNT(*) FROM trial_values"), std::vector<std::string>{"1"});
  auto next = storage.start_trial(study);  // the connection is fine afterwards
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->number, 1);
}

TEST(PostgresStorage, HeartbeatsUseTheDatabaseClockAsOptunaDoes) {
  REQUIRE_SERVER();
  std::string url = server.create_database("heartbeat");
  auto study = Study::create_or_load(url, "hb", StudyDirection::Minimize);
  Trial zombie = study.ask();
  zombie.heartbeat();
  Trial silent = study.ask();  // never beats: left alone, as Optuna does
  (void)silent;
  EXPECT_TRUE(study.fail_stale_trials(60).empty());
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  // Optuna 3.1 on the same rows finds the same stale trial (grace period 1 s).
  std::string optuna_stale = run_python(fmt::format(R"(
import optuna
storage = optuna.storages.RDBStorage("{}", heartbeat_interval=1, grace_period=1)
study_id = storage.get_study_id_from_name("hb")
print([storage.get_trial_number_from_id(t) for t in storage._get_stale_trial_ids(study_id)])
)",
                                                    server.url("heartbeat", true)));
  EXPECT_EQ(optuna_stale, fmt::format("[{}]\n", zombie.number()));
  auto failed = study.fail_stale_trials(1.0);
  ASSERT_EQ(failed, std::vector<int64_t>{zombie.number()});
  EXPECT_FALSE(study.storage().finish_trial(zombie.trial_id(), TrialState::Complete, 1.0))
      << "only a RUNNING trial is finished";
  EXPECT_EQ(study.trials()[0].state, TrialState::Fail);
  EXPECT_EQ(study.trials()[1].state, TrialState::Running);
}

TEST(PostgresStorage, BadUrlsAndUnreachableServersAreClearErrors) {
  REQUIRE_SERVER();
  EXPECT_THROW(Storage(fmt::format("postgresql://postgres@127.0.0.1:{}/", server.port())), UsageError);
  EXPECT_THROW(Storage(server.url("x") + "?retry_timeout=soon"), UsageError);
  EXPECT_THROW(Storage(server.url("x") + "?no_such_option=1"), UsageError);

  const int closed = free_port();
  const auto start = std::chrono::steady_clock::now();
  try {
    Storage(fmt::format("postgresql+psycopg2://postgres:secret@127.0.0.1:{}/db?retry_timeout=1", closed));
    FAIL() << "no error";
  } catch (const InputError& e) {
    std::string message = e.what();
    EXPECT_NE(message.find(fmt::format("127.0.0.1:{}", closed)), std::string::npos) << message;
    EXPECT_NE(message.find("retry_timeout"), std::string::npos) << message;
    EXPECT_EQ(message.find("secret"), std::string::npos) << message;
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));

  try {
    Storage(server.url("no_such_database"));
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos) << e.what();
  }

  // PostgreSQL 15 lets only the owner create in schema public.
  server.create_database("locked");
  server.sql("postgres", "CREATE ROLE visitor LOGIN");
  try {
    Storage(fmt::format("postgresql://visitor@127.0.0.1:{}/locked", server.port()));
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("GRANT CREATE ON SCHEMA public"), std::string::npos) << e.what();
  }
}

}  // namespace
