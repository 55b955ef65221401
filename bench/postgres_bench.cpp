// Trials per second of N xferval worker processes on one study in PostgreSQL (or SQLite), with a
// trivial objective, so that the figure is the storage's: bench/postgres_vs_optuna.py runs it
// next to Optuna 3.1 on the same server.
//
//   postgres_bench URL STUDY WORKERS TRIALS
//
// Workers connect and open the study first; the clock runs from the moment all are ready until
// the last one has seen the shared budget reached. Prints one JSON line.
#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "xferval/tune/study.hpp"

int main(int argc, char** argv) {
  using namespace xferval::tune;
  if (argc != 5) {
    fmt::print(stderr, "usage: postgres_bench URL STUDY WORKERS TRIALS\n");
    return 2;
  }
  const std::string url = argv[1], name = argv[2];
  const int workers = std::stoi(argv[3]);
  const int64_t trials = std::stoll(argv[4]);
  Study::create_or_load(url, name, StudyDirection::Minimize);

  int ready[2], go[2];
  if (pipe(ready) != 0 || pipe(go) != 0) return 1;
  std::vector<pid_t> pids;
  for (int w = 0; w < workers; ++w) {
    fflush(nullptr);
    pid_t pid = fork();
    if (pid == 0) {
      close(go[1]);
      int code = 0;
      try {
        auto study = Study::create_or_load(url, name, StudyDirection::Minimize,
                                           std::make_unique<RandomSampler>(static_cast<uint64_t>(w)));
        char byte = 1;
        if (write(ready[1], &byte, 1) != 1) _exit(1);
        if (read(go[0], &byte, 1) != 0) _exit(1);  // EOF: the parent closed it, everyone starts
        while (auto trial = study.ask_within_budget(trials)) {
          double x = trial->suggest_float("x", -10, 10);
          study.tell(*trial, (x - 2) * (x - 2));
        }
      } catch (const std::exception& e) {
        fmt::print(stderr, "worker {}: {}\n", w, e.what());
        code = 1;
      }
      fflush(nullptr);
      _exit(code);
    }
    pids.push_back(pid);
  }
  close(go[0]);
  for (int w = 0; w < workers; ++w) {
    char byte;
    if (read(ready[0], &byte, 1) != 1) return 1;
  }
  const auto start = std::chrono::steady_clock::now();
  close(go[1]);
  int failures = 0;
  for (pid_t pid : pids) {
    int status = 0;
    waitpid(pid, &status, 0);
    failures += !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto done = Study::load(url, name).trials().size();
  fmt::print("{{\"workers\": {}, \"trials\": {}, \"seconds\": {:.3f}, \"trials_per_second\": {:.1f}}}\n",
             workers, done, seconds, static_cast<double>(done) / seconds);
  return failures == 0 && static_cast<int64_t>(done) == trials ? 0 : 1;
}
