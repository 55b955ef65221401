#!/usr/bin/python3
"""Trials per second on one PostgreSQL study: 8 xferval workers (bench/postgres_bench) against 8
Optuna 3.1 processes, both with a random sampler and a trivial objective, so the figure is the
storage path; the same private server (initdb + pg_ctl on a free loopback port) serves both.

usage: /usr/bin/python3 bench/postgres_vs_optuna.py [POSTGRES_BENCH] [--trials N] [--workers W]
Needs postgresql-15 and python3-psycopg2 (scripts/setup.sh).
"""
import json, multiprocessing, os, shutil, socket, subprocess, sys, tempfile, time

PG_BIN = "/usr/lib/postgresql/15/bin"


class PrivateServer:
    """A throw-away PostgreSQL server; initdb refuses root, so it runs as postgres then."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="xferval-pg-bench-")
        self.root = os.geteuid() == 0
        if self.root:
            shutil.chown(self.dir, "postgres")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        data = os.path.join(self.dir, "data")
        self._run([f"{PG_BIN}/initdb", "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"])
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=60"
        self._run([f"{PG_BIN}/pg_ctl", "-D", data, "-w", "-l", os.path.join(self.dir, "log"), "-o", options, "start"])

    def _run(self, command):
        if self.root:
            command = ["runuser", "-u", "postgres", "--"] + command
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)

    def createdb(self, name):
        self._run([f"{PG_BIN}/createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name])
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self):
        self._run([f"{PG_BIN}/pg_ctl", "-D", os.path.join(self.dir, "data"), "-m", "immediate", "-w", "stop"])
        shutil.rmtree(self.dir, ignore_errors=True)


def optuna_worker(url, trials, seed, barrier, out):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.load_study(study_name="bench", storage=url, sampler=optuna.samplers.RandomSampler(seed=seed))
    barrier.wait()
    study.optimize(lambda t: (t.suggest_float("x", -10, 10) - 2) ** 2, n_trials=trials)
    out.put(time.perf_counter())


def optuna_rate(url, workers, trials):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    optuna.create_study(study_name="bench", storage=url)
    barrier, out = multiprocessing.Barrier(workers + 1), multiprocessing.Queue()
    share = [trials // workers + (w < trials % workers) for w in range(workers)]
    procs = [multiprocessing.Process(target=optuna_worker, args=(url, share[w], w, barrier, out)) for w in range(workers)]
    for p in procs:
        p.start()
    barrier.wait()
    start = time.perf_counter()
    ends = [out.get() for _ in procs]
    for p in procs:
        p.join()
    seconds = max(ends) - start
    done = len(optuna.load_study(study_name="bench", storage=url).trials)
    return {"workers": workers, "trials": done, "seconds": round(seconds, 3), "trials_per_second": done / seconds}


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    here = os.path.dirname(os.path.abspath(__file__))
    binary = args[0] if args else os.path.join(here, "..", "build", "bench", "postgres_bench")
    trials = int(sys.argv[sys.argv.index("--trials") + 1]) if "--trials" in sys.argv else 800
    workers = int(sys.argv[sys.argv.index("--workers") + 1]) if "--workers" in sys.argv else 8
    server = PrivateServer()
    try:
        url = server.createdb("xferval_bench")
        ours = json.loads(subprocess.run([binary, url, "bench", str(workers), str(trials)], check=True,
                                         capture_output=True, text=True).stdout)
        theirs = optuna_rate(server.createdb("optuna_bench").replace("postgresql://", "postgresql+psycopg2://"),
                             workers, trials)
    finally:
        server.stop()
    print(f"PostgreSQL study, {workers} worker processes, {trials} trials, random sampler, trivial objective, "
          f"{os.cpu_count()} CPUs")
    print(f"  xferval   {ours['trials_per_second']:8.1f} trials/s  ({ours['trials']} trials in {ours['seconds']:.2f} s)")
    print(f"  Optuna    {theirs['trials_per_second']:8.1f} trials/s  ({theirs['trials']} trials in {theirs['seconds']:.2f} s)")
    print(f"  ratio     {ours['trials_per_second'] / theirs['trials_per_second']:8.1f}x  (target >= 10x)")


if __name__ == "__main__":
    main()
