#!/usr/bin/env python3
"""Benchmark actgrad against its baselines: start-up, throughput, peak memory.

Usage:  python benchmarks/run.py [--runs N] [--startup-runs N]
                                 [--sizes 1e6,1e7] [--quick] [--json]
                                 [--before "CMD PREFIX"] [--table-num N]
                                 [--only api,check,npy,table,startup] [--before-tree DIR]
                                 [--npy-size N]

--only startup --before-tree DIR runs the start-up commands of the tree DIR (a checkout of
main, say) in the same rounds.

--before gives an older actgrad (a command prefix, like ACTGRAD_CMD) to run side by side
with this one: every figure is then printed for both (the README's "before" column), and the
table figure's target (at least 3x faster) is judged against it. Example, with a checkout of
the older code in /tmp/old (python -P keeps the current directory off sys.path):
    python benchmarks/run.py --before "env PYTHONPATH=/tmp/old python3 -P -m actgrad"

Method
------
* Every command is spawned with subprocess.Popen and reaped with os.wait4();
  wall time is perf_counter around spawn..reap.
* Peak memory (max RSS) of one child: getrusage(RUSAGE_CHILDREN) is a max over
  *all* children so far, so it is not used.  os.wait4()'s ru_maxrss is
  per-child but on Linux it is inflated by the spawner: exec() folds the
  pre-exec address space (this Python's, via vfork/fork) into the child's
  maxrss, so even `true` reports this script's own peak RSS.  Hence, for the
  throughput runs, each command is wrapped in GNU ``/usr/bin/time -f %M``
  (a ~1 MiB C program whose forked child starts small; it adds ~1 ms of wall
  time, the same for every command) when it works; else os.wait4's ru_maxrss
  is used and the floor it implies (this script's own peak RSS) is printed.
* Start-up: ``actgrad deriv sigmoid 0`` vs ``python -c "import numpy"`` with
  the same interpreter (sys.executable), one warm-up each, then N runs
  alternating between the two; median wall time, ratio actgrad/numpy.
* Throughput (the commands of one size run in turn, a round at a time, so that a change of
  the machine's load hits all of them): input files are generated in a TemporaryDirectory (one value per
  line: a few specials such as 0 and 1e-300, then seeded uniform [-20, 20]
  written with repr).  Each command reads the file on stdin and writes to a
  file in the same directory (so output formatting really happens), median
  wall time over --runs runs.  Commands: actgrad ``deriv sigmoid``, awk
  (mawk, else gawk, else awk) computing s*(1-s) with %.17g, and a naive
  numpy script (loadtxt / savetxt) on the same interpreter.  Ratios are wall
  time relative to awk.  Cheap correctness check: the output line count must
  equal the input line count.
* Memory: the maximum peak RSS over the throughput runs, per command and size.
* The environment is passed through unchanged; whether OPENBLAS_CORETYPE /
  OPENBLAS_L2_SIZE are set is printed, as they can affect numpy.

actgrad is run as ``<dir of sys.executable>/actgrad`` if that exists, else
``sys.executable -m actgrad``; the env var ACTGRAD_CMD (a space-separated
command prefix) overrides both, e.g. ACTGRAD_CMD="python /tmp/fake.py".

* API (section 5, issue 15): per catalogue function, float64 and float32, 1e6 values,
  best of 5: ``f(z)`` + ``f.deriv(z)`` and ``f.value_and_deriv(z)`` against the naive
  numpy formula (benchmarks/api_speed.py), as a ratio; target 2x (4x for gelu, mish and
  the others of api_speed.EXTENDED, whose accuracy needs extended-precision steps).
* Start-up alone (``--only startup``, issue 15): the commands below taken in turn, --runs
  rounds (default 40) after one warm-up round, median wall time of each and its ratio to
  ``python -c "import numpy"``: ``deriv sigmoid 0`` (target 1.0x), ``deriv relu 1 2 3 4 5``
  and ``eval leaky_relu -1 0 1`` (a handful of values, target 0.5x), the five FEW_VALUES
  through sigmoid, ``deriv gelu 0`` (the fast path with numpy's import: gelu has no scalar
  path), ``--help`` and ``deriv --help`` (target 1.5x deriv gelu 0, the Typer-free path
  issue 15 measured help against; ``deriv sigmoid 0`` now imports neither numpy nor click
  where actgrad/scalar.py's exp gate opens); beside them ``python -c pass``
  and ``OPENBLAS_NUM_THREADS=1 python -c "import numpy"`` (what numpy's import costs
  without OpenBLAS's thread pool, which actgrad's command line does not start:
  cli/runtime.one_blas_thread), so the ratio can be read against either. actgrad is this
  tree's (the file's parent directory), run as the console script runs it (``import re,
  sys; from actgrad.cli.main import main``) unless ACTGRAD_CMD is set; its modules are
  compiled first (compileall), since with PYTHONDONTWRITEBYTECODE set every run would
  compile them again, which no installed copy does.
* check (section 6): ``actgrad check`` over the whole catalogue, wall time and CPU time
  (the child's and its workers', from os.wait4), median of --runs, alternating with the
  same command run from the tree --before DIR (e.g. a ``git archive`` of an older commit
  unpacked there) when given.

* npy, check, table (``--only npy,check,table``, issue 15): ``deriv sigmoid -i IN.npy -o
  OUT.npy`` on --npy-size (1e8) float64 values, against 50 M values/s, with the bound of the
  computation alone (sigmoid′ on the same blocks, 1 and 2 threads); ``check`` against the
  issue's 9.6 s and the last round's 2.54 s; ``table sigmoid --num 100000 -f csv`` against
  the issue's 38 s. Each from this tree and, alternating, from --before-tree (run as
  ``python -P -m actgrad`` with the tree on PYTHONPATH), one warm-up each, medians.

Targets are informational: the script exits 0 unless a command fails to run
(non-zero exit) or actgrad's output has the wrong number of lines.
"""
import argparse
import json
import math
import os
import random
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

STARTUP_TARGET = 1.0   # actgrad start-up <= 1.0x `import numpy` (issue 15)
FEW_TARGET = 0.5       # ... and <= 0.5x for a handful of command-line values
HELP_TARGET = 1.5      # --help <= 1.5x the fast path with numpy (`actgrad deriv gelu 0`)
AWK_TARGET = 0.75      # actgrad deriv sigmoid <= 0.75x awk, at 1e7 values
FUNC_TARGETS = {"gelu": 1.0, "mish": 1.0}  # the same stream through these, against awk
FORMAT_TARGETS = {"csv": 1.2, "tsv": 1.2, "json": 1.5, "jsonl": 1.5}  # against plain
TABLE_NUM = 100_000    # table sigmoid --num N -f csv: at least 3x faster than --before
TABLE_TARGET = 1 / 3
FEW_VALUES = ["0", "1", "-2.5", "1e-3", "40"]
AWK_TARGET_SIZE = 10**7
MEM_TARGET_MIB = 64    # peak RSS < 64 MiB (at 1e7 values; checked at all sizes)
FLAT_TARGET = 1.25     # peak RSS at largest size <= 1.25x that at smallest

AWK_PROG = '{s=1/(1+exp(-$1)); printf "%.17g\\n", s*(1-s)}'
NUMPY_PROG = ("import sys, numpy as np; x = np.loadtxt(sys.stdin); "
              "s = 1/(1+np.exp(-x)); "
              "np.savetxt(sys.stdout, s*(1-s), fmt='%.17g')")
SPECIALS = ["0", "1e-300", "-1e-300", "1", "-1", "20", "-20", "0.5"]

failures = []


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def actgrad_cmd():
    if os.environ.get("ACTGRAD_CMD"):
        return shlex.split(os.environ["ACTGRAD_CMD"])
    exe = os.path.join(os.path.dirname(sys.executable), "actgrad")
    if os.access(exe, os.X_OK):
        return [exe]
    return [sys.executable, "-m", "actgrad"]


def find_awk():
    for name in ("mawk", "gawk", "awk"):
        path = shutil.which(name)
        if path:
            return name, path
    return None, None


def gnu_time():
    """'/usr/bin/time' if it is GNU time (supports -f %M -o FILE), else None."""
    exe = "/usr/bin/time"
    if not os.access(exe, os.X_OK):
        return None
    with tempfile.NamedTemporaryFile("r") as f:
        r = subprocess.run([exe, "-f", "%M", "-o", f.name, "true"],
                           capture_output=True)
        ok = r.returncode == 0 and f.read().strip().isdigit()
    return exe if ok else None


TIME = gnu_time()


def run(cmd, stdin=None, stdout=None, rss=False):
    """Run cmd once; return (wall seconds, max RSS KiB) or None on failure.

    With rss=True and GNU time available, cmd runs under /usr/bin/time and its
    figure is used; otherwise the RSS is os.wait4's (see module docstring).
    """
    fin = open(stdin, "rb") if stdin else subprocess.DEVNULL
    fout = open(stdout, "wb") if stdout else subprocess.DEVNULL
    with tempfile.NamedTemporaryFile() as ferr, \
            tempfile.NamedTemporaryFile("r") as frss:
        full = [TIME, "-f", "%M", "-o", frss.name, "--"] + cmd if rss and TIME else cmd
        t0 = time.perf_counter()
        try:
            p = subprocess.Popen(full, stdin=fin, stdout=fout, stderr=ferr)
        except OSError as e:             # e.g. command not found
            failures.append(f"{shlex.join(cmd)}: {e}")
            log(f"FAILED: {shlex.join(cmd)}: {e}")
            return None
        finally:
            for f in (fin, fout):
                if f is not subprocess.DEVNULL:
                    f.close()
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        if p.returncode != 0:
            ferr.seek(0)
            err = ferr.read().decode(errors="replace")[-1500:]
            failures.append(f"{shlex.join(cmd)}: exit {p.returncode}")
            log(f"FAILED (exit {p.returncode}): {shlex.join(cmd)}\n{err}")
            return None
        maxrss = int(frss.read().split()[-1]) if full is not cmd else ru.ru_maxrss
    return wall, maxrss


def count_lines(path):
    n = 0
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            n += block.count(b"\n")
    return n


def make_input(path, n, seed=12345):
    rnd = random.Random(seed)
    with open(path, "w") as f:
        head = SPECIALS[:n]
        if head:
            f.write("\n".join(head) + "\n")
        left = n - len(head)
        while left > 0:
            k = min(left, 10_000)  # small chunks: keep our own RSS low
            f.write("\n".join([repr(rnd.uniform(-20, 20)) for _ in range(k)]))
            f.write("\n")
            left -= k


def verdict(ok):
    return "-" if ok is None else ("pass" if ok else "FAIL")


def bench_startup(actgrad, runs):
    cmds = {"actgrad deriv sigmoid 0": actgrad + ["deriv", "sigmoid", "0"],
            "python -c 'import numpy'": [sys.executable, "-c", "import numpy"]}
    a, b = bench_alternating(cmds, runs).values()
    ratio = a / b if a and b else None
    return {"runs": runs, "actgrad_s": a, "numpy_import_s": b, "ratio": ratio,
            "target": STARTUP_TARGET,
            "pass": None if ratio is None else ratio <= STARTUP_TARGET}


def bench_alternating(cmds, runs):
    """Median wall time of each command, the commands run in turn (one warm-up round)."""
    times = {k: [] for k in cmds}
    for i in range(runs + 1):
        for k, cmd in cmds.items():
            if times[k] is None:
                continue
            r = run(cmd)
            if r is None:
                times[k] = None
            elif i > 0:
                times[k].append(r[0])
    return {k: statistics.median(v) if v else None for k, v in times.items()}


def bench_launch(actgrad, before, runs):
    """Start-up with a handful of values, and --help, beside their baselines (and --before's)."""
    cmds = {"numpy": [sys.executable, "-c", "import numpy"]}
    for tag, prefix in (("", actgrad), ("before ", before)):
        if prefix is None:
            continue
        cmds[tag + "fast"] = prefix + ["deriv", "sigmoid", "0"]
        cmds[tag + "numpy fast"] = prefix + ["deriv", "gelu", "0"]  # help's baseline
        cmds[tag + "few"] = prefix + ["deriv", "sigmoid"] + FEW_VALUES
        cmds[tag + "help"] = prefix + ["--help"]
        cmds[tag + "deriv help"] = prefix + ["deriv", "--help"]
    return bench_alternating(cmds, runs)


def loop_table(loop, runs, number=""):
    """bench_loop's figures as a table (the whole run's section 4, or --only loop)."""
    table(f"{number}a shell loop of {LOOP_VALUES} calls vs the same {LOOP_VALUES} values on stdin"
          f" (median of {runs})", ["what", "wall", "ratio"], [
              [f"{LOOP_VALUES} x actgrad deriv sigmoid Z", fmt(loop["loop_s"], ".3f", " s"),
               fmt(loop["ratio"], ".1f", "x")],
              ["printf ... | actgrad deriv sigmoid", fmt(loop["stdin_s"], ".3f", " s"), "1.0x"]])


def bench_table(tmp, actgrad, before, runs, num):
    """`table sigmoid --num N -f csv` (now and --before), and whether -f table refuses N rows."""
    out = os.path.join(tmp, "table.csv")
    args = ["table", "sigmoid", "--num", str(num), "-f", "csv"]
    res = {}
    for tag, prefix in (("now", actgrad), ("before", before)):
        if prefix is None:
            continue
        log(f"table: {tag} x{runs} at --num {num} ...")
        walls, rss = [], []
        for _ in range(runs):
            r = run(prefix + args, stdout=out, rss=True)
            if r is None:
                break
            walls.append(r[0])
            rss.append(r[1])
        res[tag] = {"median_s": statistics.median(walls) if walls else None,
                    "max_rss_mib": max(rss) / 1024 if rss else None,
                    "rows": count_lines(out) - 1 if walls else None}
    t0 = time.perf_counter()
    p = subprocess.run(actgrad + ["table", "sigmoid", "--num", str(num)], capture_output=True)
    res["table_format"] = {"exit": p.returncode, "wall_s": time.perf_counter() - t0,
                           "stderr": p.stderr.decode(errors="replace").strip()[:200]}
    now, old = res.get("now", {}).get("median_s"), res.get("before", {}).get("median_s")
    res["ratio"] = now / old if now and old else None
    res["pass"] = None if res["ratio"] is None else res["ratio"] <= TABLE_TARGET
    return res


LOOP_VALUES = 100


def bench_loop(tmp, actgrad, runs):
    """LOOP_VALUES calls of `actgrad deriv sigmoid Z`, one per value (as a shell loop makes
    them), against the same values on one call's stdin."""
    rng = random.Random(7)
    values = [repr(rng.uniform(-20, 20)) for _ in range(LOOP_VALUES)]
    inp = os.path.join(tmp, "loop.txt")
    with open(inp, "w") as f:
        f.write("\n".join(values) + "\n")
    loops, pipes = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        for v in values:
            if run(actgrad + ["deriv", "sigmoid", v]) is None:
                return None
        loops.append(time.perf_counter() - t0)
        r = run(actgrad + ["deriv", "sigmoid"], stdin=inp)
        if r is None:
            return None
        pipes.append(r[0])
    loop, pipe = statistics.median(loops), statistics.median(pipes)
    return {"values": LOOP_VALUES, "loop_s": loop, "stdin_s": pipe, "ratio": loop / pipe}


def bench_size(tmp, n, runs, cmds, extra=None):
    """Each command on n values; `extra` (other functions and formats, compared with awk and
    with plain output) run at this size too."""
    inp, out = os.path.join(tmp, f"in_{n}.txt"), os.path.join(tmp, "out.txt")
    log(f"generating {n} values ...")
    make_input(inp, n)
    res = {}
    every = {**cmds, **(extra or {})}
    walls = {k: [] for k in every}
    rss = {k: [] for k in every}
    lines = {k: None for k in every}
    for i in range(runs):  # in turn, a round at a time: a change of load hits every command
        log(f"  round {i + 1}/{runs}: {len(every)} commands on {n} values ...")
        for name, cmd in every.items():
            if walls[name] is None:
                continue
            r = run(cmd, stdin=inp, stdout=out, rss=True)
            if r is None:
                walls[name] = None
                continue
            walls[name].append(r[0])
            rss[name].append(r[1])
            lines[name] = count_lines(out)
    for name in every:
        w = walls[name]
        med = statistics.median(w) if w else None
        expect = n + (1 if name.endswith(("csv", "tsv")) else 2 if name.endswith(" json") else 0)
        res[name] = {"median_s": med, "values_per_s": n / med if med else None,
                     "max_rss_mib": max(rss[name]) / 1024 if w else None,
                     "out_lines": lines[name], "lines_ok": lines[name] == expect}
        if name.startswith("actgrad") and w and lines[name] != expect:
            failures.append(f"{name} printed {lines[name]} lines for {n} inputs")
    os.remove(inp)
    base = res.get("awk", {}).get("median_s")
    for name, r in res.items():
        r["ratio_vs_awk"] = r["median_s"] / base if base and r["median_s"] else None
    for name, r in res.items():
        plain = res.get("before" if name.startswith("before") else "actgrad", {}).get("median_s")
        words = name.split()[1:]
        fmt = words[1] if words[:1] == ["-f"] else None
        func = words[0] if words and words[0] != "-f" else None
        r["ratio_vs_plain"] = r["median_s"] / plain if fmt and plain and r["median_s"] else None
        r["target_vs_plain"] = FORMAT_TARGETS.get(fmt)
        r["target_vs_awk"] = FUNC_TARGETS.get(func)
    a = res["actgrad"]
    a["target_ratio"] = AWK_TARGET if n >= AWK_TARGET_SIZE else None
    a["pass_ratio"] = (a["ratio_vs_awk"] <= AWK_TARGET
                       if a["target_ratio"] and a["ratio_vs_awk"] else None)
    a["pass_mem"] = (a["max_rss_mib"] < MEM_TARGET_MIB
                     if a["max_rss_mib"] is not None else None)
    return res


def bench_check(runs, before=None):
    """`actgrad check` (whole catalogue) from this tree and, alternating, from `before`:
    median wall and CPU (user + sys of the child and its workers) seconds."""
    trees = {"now": os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")}
    if before:
        trees["before"] = before
    res = {k: {"wall": [], "cpu": []} for k in trees}
    for _ in range(runs):
        for name, tree in trees.items():
            env = {**os.environ, "PYTHONPATH": os.path.abspath(tree)}
            t0 = time.perf_counter()
            p = subprocess.Popen([sys.executable, "-m", "actgrad", "check"], cwd=tree, env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            _, status, ru = os.wait4(p.pid, 0)
            wall = time.perf_counter() - t0
            if os.waitstatus_to_exitcode(status) != 0:
                failures.append(f"actgrad check ({name}): exit {os.waitstatus_to_exitcode(status)}")
            res[name]["wall"].append(wall)
            # wait4's rusage covers the child and the workers it waited for
            res[name]["cpu"].append(ru.ru_utime + ru.ru_stime)
    return {k: {m: statistics.median(v) for m, v in r.items()} for k, r in res.items()}


#: issue 15's baselines and targets of the parts --only npy, check, table
NPY_SIZE = 10**8          # deriv sigmoid -i IN.npy -o OUT.npy on this many float64 values
NPY_TARGET_RATE = 50e6    # values per second, end to end (<= 2 s at 1e8)
CHECK_BASELINES = {"issue 15 (\"today's\")": 9.6, "last round (main before)": 2.54}
TABLE_BASELINE = 38.0     # s, issue 15's table sigmoid --num 100000 -f csv
PART_TARGET = 1 / 3       # check and table: at most a third of the baseline


def tree_env_cmd(tree):
    """actgrad run from a source tree (python -P -m actgrad with that tree on PYTHONPATH):
    the command line and its environment."""
    env = {**os.environ, "PYTHONPATH": os.path.abspath(tree)}
    return [sys.executable, "-P", "-m", "actgrad"], env


def run_tree(tree, args, stdout=None):
    """One run of actgrad from `tree`: (wall s, CPU s of it and its children, max RSS MiB),
    the RSS by GNU time when there is one (see the module doc); None when it failed."""
    cmd, env = tree_env_cmd(tree)
    full = cmd + args
    with tempfile.NamedTemporaryFile("r") as frss:
        if TIME:
            full = [TIME, "-f", "%M", "-o", frss.name, "--"] + full
        fout = open(stdout, "wb") if stdout else subprocess.DEVNULL
        t0 = time.perf_counter()
        p = subprocess.Popen(full, env=env, stdout=fout, stderr=subprocess.PIPE)
        err = p.stderr.read()
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        if fout is not subprocess.DEVNULL:
            fout.close()
        code = os.waitstatus_to_exitcode(status)
        if code not in (0, 1):  # (check exits 1 when a function fails)
            failures.append(f"actgrad {shlex.join(args)} ({tree}): exit {code}:"
                            f" {err.decode(errors='replace')[-300:]}")
            return None
        rss = int(frss.read().split()[-1]) / 1024 if TIME else ru.ru_maxrss / 1024
    return wall, ru.ru_utime + ru.ru_stime, rss


def bench_trees(args, runs, before, stdout=None, setup=None):
    """`actgrad ARGS` from this tree and, alternating, from `before` (a tree, or None), one
    warm-up each: per tree the medians of wall and CPU and the max RSS over the runs.
    setup: called before each run (not timed)."""
    trees = {"now": os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")}
    if before:
        trees["before"] = before
    got = {k: [] for k in trees}
    for i in range(runs + 1):
        for name, tree in trees.items():
            if setup is not None:
                setup()
            r = run_tree(tree, args, stdout)
            if r is not None and i:
                got[name].append(r)
    return {k: {"wall": statistics.median(r[0] for r in v), "cpu": statistics.median(r[1] for r in v),
                "rss": max(r[2] for r in v), "runs": len(v)} if v else None
            for k, v in got.items()}


def npy_compute_bound(n, threads):
    """sigmoid′ alone, in float64 blocks of io.npy.BLOCK values as the command computes them
    (out=, on `threads` threads, no reading or writing), on n uniform(−20, 20) values:
    values per second, best of 3."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    import numpy as np
    from concurrent.futures import ThreadPoolExecutor

    import actgrad
    from actgrad.io import npy

    f = actgrad.get("sigmoid")
    x = np.random.default_rng(3).uniform(-20, 20, npy.BLOCK)
    outs = [np.empty_like(x) for _ in range(threads)]
    blocks = max(1, n // npy.BLOCK)
    best = math.inf
    with ThreadPoolExecutor(threads) as pool:
        for _ in range(3):
            t0 = time.perf_counter()
            list(pool.map(lambda k: f.deriv(x, out=outs[k % threads]), range(blocks)))
            best = min(best, time.perf_counter() - t0)
    return blocks * npy.BLOCK / best


def _unlink_settled(path):
    """path removed, and the removal's work done before the next timed run: the file
    system's freeing of its blocks (with the `discard` mount option, their TRIM) happens at
    the next journal commit, which would otherwise land inside the run that follows and be
    charged to it (a new 800 MB file's writes took 0.2 to 1.2 s of system time here, by
    whether such a commit overlapped them); a user writing a new file pays none of it."""
    if os.path.exists(path):
        os.unlink(path)
        os.sync()
        time.sleep(0.5)


def part_npy(runs, before, size):
    """deriv sigmoid -i IN.npy -o OUT.npy on `size` float64 values (this tree, and before)."""
    import numpy as np

    title = (f"npy. deriv sigmoid -i IN.npy -o OUT.npy, {size:.0e} float64 uniform(−20, 20)"
             f" values (median of {runs}; CPU: user + sys; target >= {NPY_TARGET_RATE / 1e6:.0f}"
             " M values/s end to end, flat memory)")
    load = [os.getloadavg()[0]]
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = os.path.join(tmp, "in.npy"), os.path.join(tmp, "out.npy")
        m = np.lib.format.open_memmap(src, mode="w+", dtype=np.float64, shape=(size,))
        rng = np.random.default_rng(12345)
        for i in range(0, size, 1 << 22):
            m[i:i + (1 << 22)] = rng.uniform(-20, 20, min(1 << 22, size - i))
        m.flush()
        del m
        log(f"npy: {runs} runs at {size:.0e} values ...")
        args = ["deriv", "sigmoid", "-i", src, "-o", dst]
        res = bench_trees(args, runs, before)
        # the same with no OUT.npy before each run (above, each run writes over the last
        # one's: an existing output is written in place, io/npy.py)
        log(f"npy: {runs} runs at {size:.0e} values into a new file ...")
        new = bench_trees(args, runs, before, setup=lambda: _unlink_settled(dst))
    rows = []
    for label, got in (("", res), (", new OUT.npy", new)):
        for k, v in got.items():
            if v:
                rate = size / v["wall"]
                rows.append([f"actgrad ({k}){label}", fmt(v["wall"], ".2f", " s"),
                             fmt(v["cpu"], ".2f", " s"), fmt(rate / 1e6, ".1f", " M/s"),
                             fmt(rate / NPY_TARGET_RATE, ".2f", "x"),
                             verdict(rate >= NPY_TARGET_RATE), fmt(v["rss"], ".1f", " MiB")])
    for threads in (1, 2):
        rate = npy_compute_bound(size, threads)
        rows.append([f"sigmoid′ alone, {threads} thread{'s' if threads > 1 else ''}",
                     fmt(size / rate, ".2f", " s"), "", fmt(rate / 1e6, ".1f", " M/s"),
                     fmt(rate / NPY_TARGET_RATE, ".2f", "x"), "", ""])
    load.append(os.getloadavg()[0])
    table(title, ["what", "wall", "CPU", "rate", "rate / 50 M/s", "pass/fail", "max RSS"], rows)
    print(f"(load average, 1 min, at the start and the end: {load[0]:.2f}, {load[1]:.2f};"
          f" {os.cpu_count()} cores)")


def part_check(runs, before):
    """actgrad check over the whole catalogue, against the issue's and last round's figures."""
    log(f"check: {runs} runs{' each, alternating with ' + before if before else ''} ...")
    res = bench_trees(["check"], runs, before)
    rows = []
    for k, v in res.items():
        if not v:
            continue
        ratios = [fmt(v["wall"] / b, ".2f", "x") for b in CHECK_BASELINES.values()]
        if "before" in res and res["before"]:
            ratios.append(fmt(v["wall"] / res["before"]["wall"], ".2f", "x"))
        rows.append([f"actgrad check ({k})", fmt(v["wall"], ".2f", " s"),
                     fmt(v["cpu"], ".2f", " s"), *ratios])
    head = [f"/ {b} s ({n})" for n, b in CHECK_BASELINES.items()]
    if "before" in res and res["before"]:
        head.append("/ before")
    table(f"check. actgrad check over the whole catalogue (median of {runs}; CPU: the"
          f" process and its workers; target <= {PART_TARGET:.2f}x)",
          ["what", "wall", "CPU", *head], rows)


def part_table(runs, before, num=TABLE_NUM):
    """table sigmoid --num N -f csv, against the issue's 38 s (and the tree before)."""
    log(f"table: {runs} runs at --num {num} ...")
    with tempfile.TemporaryDirectory() as tmp:
        res = bench_trees(["table", "sigmoid", "--num", str(num), "-f", "csv"], runs, before,
                          stdout=os.path.join(tmp, "t.csv"))
    rows = []
    for k, v in res.items():
        if not v:
            continue
        row = [f"table sigmoid --num {num} -f csv ({k})", fmt(v["wall"], ".2f", " s"),
               fmt(v["cpu"], ".2f", " s"), fmt(v["rss"], ".1f", " MiB"),
               fmt(v["wall"] / TABLE_BASELINE, ".3f", "x") if num == TABLE_NUM else "-"]
        if "before" in res and res["before"]:
            row.append(fmt(v["wall"] / res["before"]["wall"], ".2f", "x"))
        rows.append(row)
    head = ["what", "wall", "CPU", "max RSS", f"/ {TABLE_BASELINE:.0f} s (issue)"]
    if "before" in res and res["before"]:
        head.append("/ before")
    table(f"table. (median of {runs}; target <= {PART_TARGET:.2f}x)", head, rows)


def fmt(x, spec, unit=""):
    return "-" if x is None else format(x, spec) + unit


def table(title, header, rows):
    w = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    line = lambda r: "  ".join(str(c).ljust(w[i]) for i, c in enumerate(r)).rstrip()
    print(f"\n{title}\n" + line(header) + "\n" + line(["-" * x for x in w]))
    for r in rows:
        print(line(r))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, help="throughput runs per command (3)")
    ap.add_argument("--startup-runs", type=int, help="start-up runs (15)")
    ap.add_argument("--sizes", help="comma-separated value counts (1e6,1e7)")
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: sizes 1e4,1e5, 5 start-up runs")
    ap.add_argument("--json", action="store_true", help="print JSON only")
    ap.add_argument("--before", help="an older actgrad's command prefix, run side by side")
    ap.add_argument("--table-num", type=int, help=f"table --num (default {TABLE_NUM})")
    ap.add_argument("--only", help="run only these parts, comma-separated: api, check, loop,"
                                   " npy, table, startup (check, npy, table and startup from this"
                                   " tree, alternating with --before-tree when given); or"
                                   " stream alone (throughput, memory, functions, formats)")
    ap.add_argument("--npy-size", type=float, help=f"values of the npy part ({NPY_SIZE:.0e})")
    ap.add_argument("--before-tree", help="a source tree of an earlier version, for the API"
                                          " and check sections")
    args = ap.parse_args()
    stream_only = args.only == "stream"
    if args.only and not stream_only:
        parts = args.only.split(",")
        unknown = set(parts) - {"api", "check", "loop", "npy", "table", "startup"}
        if unknown:
            ap.error(f"--only: no part {', '.join(sorted(unknown))}"
                     " (api, check, loop, npy, table, startup; or stream alone)")
        if "startup" in parts:
            before = (shlex.split(args.before) if args.before else
                      tree_cmd(args.before_tree) if args.before_tree else None)
            code = startup_section(args.runs or 40, before)
            if parts == ["startup"]:
                return code
        runs = args.runs or 3
        if "loop" in parts:
            with tempfile.TemporaryDirectory() as tmp:
                loop = bench_loop(tmp, tree_cmd(), runs)
            if loop:
                loop_table(loop, runs)
        if "api" in parts:
            sections("api", runs, args.before_tree)
        if "npy" in parts:
            part_npy(runs, args.before_tree, int(args.npy_size or NPY_SIZE))
        if "check" in parts:
            part_check(runs, args.before_tree)
        if "table" in parts:
            part_table(runs, args.before_tree, args.table_num or TABLE_NUM)
        if failures:
            print("\nerrors:\n  " + "\n  ".join(failures))
        return 1 if failures else 0
    before = shlex.split(args.before) if args.before else None
    table_num = args.table_num or (10_000 if args.quick else TABLE_NUM)
    sizes = args.sizes or ("1e4,1e5" if args.quick else "1e6,1e7")
    sizes = [int(float(s)) for s in sizes.split(",")]
    runs = args.runs or 3
    srun = args.startup_runs or (5 if args.quick else 15)

    actgrad = actgrad_cmd()
    awk_name, awk_path = find_awk()
    env = {"python": sys.executable, "actgrad": shlex.join(actgrad),
           "awk": awk_path or "none found: awk baseline skipped",
           **{v: os.environ.get(v) for v in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}}
    cmds = {"actgrad": actgrad + ["deriv", "sigmoid"]}
    if awk_path:
        cmds["awk"] = [awk_path, AWK_PROG]
    else:
        log("no mawk/gawk/awk found: awk baseline skipped")
    cmds["numpy"] = [sys.executable, "-c", NUMPY_PROG]

    extra = {f"actgrad {f}": actgrad + ["deriv", f] for f in FUNC_TARGETS}
    extra.update({f"actgrad -f {f}": actgrad + ["deriv", "sigmoid", "-f", f] for f in FORMAT_TARGETS})
    if before:
        extra["before"] = before + ["deriv", "sigmoid"]
        extra.update({f"before {f}": before + ["deriv", f] for f in FUNC_TARGETS})
        extra.update({f"before -f {f}": before + ["deriv", "sigmoid", "-f", f]
                      for f in FORMAT_TARGETS})

    startup = launch = table_res = loop = None
    if not stream_only:
        log(f"start-up: {srun} runs each ...")
        startup = bench_startup(actgrad, srun)
        launch = bench_launch(actgrad, before, srun)
    with tempfile.TemporaryDirectory(prefix="actgrad-bench-") as tmp:
        through = {n: bench_size(tmp, n, runs, cmds, extra if n == max(sizes) else None)
                   for n in sizes}
        if not stream_only:
            table_res = bench_table(tmp, actgrad, before, min(runs, 3), table_num)
            log(f"loop: {LOOP_VALUES} calls vs one call with {LOOP_VALUES} values on stdin ...")
            loop = bench_loop(tmp, actgrad, runs)
    if TIME:
        env["rss_method"] = f"{TIME} -f %M"
    else:
        floor = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        env["rss_method"] = f"os.wait4 ru_maxrss (floor: this script's {floor:.1f} MiB)"
    flat = None
    if len(sizes) > 1:
        lo, hi = (through[n]["actgrad"]["max_rss_mib"] for n in (min(sizes), max(sizes)))
        flat = {"small": min(sizes), "large": max(sizes),
                "ratio": hi / lo if lo and hi else None, "target": FLAT_TARGET}
        flat["pass"] = flat["ratio"] <= FLAT_TARGET if flat["ratio"] else None

    if args.json:
        print(json.dumps({"env": env, "startup": startup,
                          "throughput": {str(n): r for n, r in through.items()},
                          "memory_flat": flat, "loop": loop, "launch": launch,
                          "table": table_res, "failures": failures}, indent=2))
        return 1 if failures else 0

    print("environment:")
    for k, v in env.items():
        print(f"  {k:18} {v if v is not None else '(not set)'}")
    if awk_name and awk_name != "mawk":
        print(f"  (mawk not found: using {awk_name})")

    hdr = ["what", "median time", "values/s", "ratio", "target", "pass/fail"]
    if startup:
        s = startup
        table(f"1. start-up (median of {srun} runs, wall)", hdr, [
            ["actgrad deriv sigmoid 0", fmt(s["actgrad_s"] and s["actgrad_s"] * 1e3, ".1f", " ms"),
             "-", fmt(s["ratio"], ".2f", "x"), f"<= {STARTUP_TARGET}x", verdict(s["pass"])],
            ["python -c 'import numpy'", fmt(s["numpy_import_s"] and s["numpy_import_s"] * 1e3, ".1f", " ms"),
             "-", "1.00x", "", ""]])

        L = launch
        def lrow(label, key, base, target, tag=""):
            a, b = L.get(tag + key), L.get(base)
            ratio = a / b if a and b else None
            return [tag + label, fmt(a and a * 1e3, ".1f", " ms"), fmt(ratio, ".2f", "x"),
                    f"<= {target}x" if not tag and target else "",
                    verdict(None if ratio is None or not target else ratio <= target)
                    if not tag else ""]
        lrows = []
        for tag in ("", "before ") if before else ("",):
            lrows += [lrow("deriv sigmoid 0 / import numpy", "fast", "numpy", STARTUP_TARGET, tag),
                      lrow(f"deriv sigmoid + {len(FEW_VALUES)} values / import numpy", "few", "numpy",
                           FEW_TARGET, tag),
                      lrow("deriv gelu 0 / import numpy", "numpy fast", "numpy", None, tag),
                      lrow("--help / deriv gelu 0", "help", tag + "numpy fast", HELP_TARGET, tag),
                      lrow("deriv --help / deriv gelu 0", "deriv help", tag + "numpy fast",
                           HELP_TARGET, tag)]
        lrows.append(["python -c 'import numpy'", fmt(L["numpy"] and L["numpy"] * 1e3, ".1f", " ms"),
                      "1.00x", "", ""])
        table(f"1b. start-up with values, and help (median of {srun} runs, wall, taken in turn)",
              ["what", "median time", "ratio", "target", "pass/fail"], lrows)

    rows, mrows = [], []
    for n, res in through.items():
        for name, r in res.items():
            if name not in cmds:
                continue
            label = f"{name} @ {n:.0e}" if name != "awk" else f"{awk_name} @ {n:.0e}"
            a = name == "actgrad"
            tgt = a and r["target_ratio"]
            rows.append([label, fmt(r["median_s"], ".3f", " s"),
                         fmt(r["values_per_s"], ".3g"), fmt(r["ratio_vs_awk"], ".2f", "x"),
                         f"<= {AWK_TARGET}x" if tgt else "", verdict(r["pass_ratio"]) if tgt else "",
                         "-" if r["median_s"] is None else "ok" if r["lines_ok"] else f"BAD ({r['out_lines']})"])
            mrows.append([label, fmt(r["max_rss_mib"], ".1f", " MiB"), "",
                          f"< {MEM_TARGET_MIB} MiB" if a else "",
                          verdict(r["pass_mem"]) if a else ""])
    table(f"2. throughput (median of {runs} runs, wall; ratio = time / {awk_name or 'awk'})",
          hdr + ["out lines"], rows)
    if flat:
        mrows.append([f"actgrad flat {flat['large']:.0e} / {flat['small']:.0e}", "",
                      fmt(flat["ratio"], ".2f", "x"), f"<= {FLAT_TARGET}x", verdict(flat["pass"])])
    table(f"3. peak memory (max RSS of each command over {runs} runs; {env['rss_method']})",
          ["what", "max RSS", "ratio", "target", "pass/fail"], mrows)
    if loop:
        loop_table(loop, runs, "4. ")
    big = max(sizes)
    frows = []
    for name, r in through[big].items():
        if name in cmds:
            continue
        if r["ratio_vs_plain"] is not None:
            base, ratio, target = "plain", r["ratio_vs_plain"], r["target_vs_plain"]
        else:
            base, ratio, target = awk_name or "awk", r["ratio_vs_awk"], r["target_vs_awk"]
        if name == "before":
            target = AWK_TARGET
        own = not name.startswith("before")
        frows.append([name, fmt(r["median_s"], ".3f", " s"), f"{fmt(ratio, '.2f', 'x')} of {base}",
                      f"<= {target}x" if target and own else "",
                      verdict(None if ratio is None or not target else ratio <= target) if own else "",
                      fmt(r["max_rss_mib"], ".1f", " MiB"),
                      "ok" if r["lines_ok"] else f"BAD ({r['out_lines']})"])
    table(f"5. other functions and formats at {big:.0e} values (median of {runs}; deriv"
          f" sigmoid unless named; formats against plain output)",
          ["what", "median time", "ratio", "target", "pass/fail", "max RSS", "out lines"], frows)

    if stream_only:
        if failures:
            print("\nerrors:\n  " + "\n  ".join(failures))
        return 1 if failures else 0
    T = table_res
    trows = []
    for tag in ("now", "before"):
        if tag in T:
            trows.append([f"{tag}: table sigmoid --num {table_num} -f csv",
                          fmt(T[tag]["median_s"], ".2f", " s"), fmt(T[tag]["max_rss_mib"], ".1f", " MiB"),
                          str(T[tag]["rows"])])
    trows.append([f"now / before", fmt(T["ratio"], ".2f", "x"), f"target <= {TABLE_TARGET:.2f}x",
                  verdict(T["pass"])])
    tf = T["table_format"]
    trows.append([f"table sigmoid --num {table_num} (-f table)", fmt(tf["wall_s"], ".2f", " s"),
                  f"exit {tf['exit']}", "refused (bounded)" if tf["exit"] == 2 else "drawn"])
    table(f"6. table (median of {min(runs, 3)})", ["what", "wall", "", ""], trows)
    sections("all", runs, args.before_tree)
    if failures:
        print("\nerrors:\n  " + "\n  ".join(failures))
    return 1 if failures else 0


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: the console script's own lines (pip's entry point), with this tree first on the path
TREE_LAUNCHER = ("import re, sys; sys.path.insert(0, {root!r}); "
                 "from actgrad.cli.main import main; sys.exit(main())")


def tree_cmd(root=None):
    """The actgrad of the source tree `root` (None: this one; ACTGRAD_CMD overrides it), run
    as the console script runs; its modules compiled first."""
    if root is None and os.environ.get("ACTGRAD_CMD"):
        return shlex.split(os.environ["ACTGRAD_CMD"])
    root = os.path.abspath(root or ROOT)
    subprocess.run([sys.executable, "-m", "compileall", "-q", os.path.join(root, "actgrad")],
                   stdout=subprocess.DEVNULL, check=False)
    return [sys.executable, "-c", TREE_LAUNCHER.format(root=root)]


def startup_section(runs, before=None):
    """Start-up figures of issue 15, every command taken in turn (see the module doc)."""
    py = sys.executable
    cmds = {"numpy": [py, "-c", "import numpy"],
            "numpy, 1 BLAS thread": ["env", "OPENBLAS_NUM_THREADS=1", py, "-c", "import numpy"],
            "pass": [py, "-c", "pass"]}
    rows = [("deriv sigmoid 0", ["deriv", "sigmoid", "0"], STARTUP_TARGET, "numpy"),
            ("deriv relu 1 2 3 4 5", ["deriv", "relu", "1", "2", "3", "4", "5"], FEW_TARGET,
             "numpy"),
            ("eval leaky_relu -1 0 1", ["eval", "leaky_relu", "-1", "0", "1"], FEW_TARGET, "numpy"),
            (f"deriv sigmoid {' '.join(FEW_VALUES)}", ["deriv", "sigmoid", *FEW_VALUES], FEW_TARGET,
             "numpy"),
            # help against the fast path that imports numpy (gelu has no scalar path): the
            # path issue 15 measured; sigmoid's scalar path needs neither numpy nor click
            ("deriv gelu 0", ["deriv", "gelu", "0"], None, "numpy"),  # (no target of its own)
            ("--help", ["--help"], HELP_TARGET, "deriv gelu 0"),
            ("deriv --help", ["deriv", "--help"], HELP_TARGET, "deriv gelu 0")]
    for tag, prefix in (("", tree_cmd()), ("before ", before)):
        if prefix is not None:
            for label, args, _, _ in rows:
                cmds[tag + label] = prefix + args
    log(f"start-up: {len(cmds)} commands in turn, {runs} rounds ...")
    med = bench_alternating(cmds, runs)
    out = []
    for tag in ("", "before ") if before else ("",):
        for label, _, target, base in rows:
            a, b = med.get(tag + label), med.get(tag + base if base != "numpy" else base)
            one = med.get("numpy, 1 BLAS thread") if base == "numpy" else None
            ratio = a / b if a and b else None
            out.append([tag + label, fmt(a and a * 1e3, ".1f", " ms"), fmt(ratio, ".2f", "x"),
                        fmt(a / one if a and one else None, ".2f", "x"),
                        f"<= {target}x {base}" if not tag and target else "",
                        verdict(None if ratio is None or not target else ratio <= target)
                        if not tag else ""])
    for k in ("numpy", "numpy, 1 BLAS thread", "pass"):
        out.append([f"python -c {'pass' if k == 'pass' else repr('import numpy')}"
                    f"{' (OPENBLAS_NUM_THREADS=1)' if 'BLAS' in k else ''}",
                    fmt(med[k] and med[k] * 1e3, ".1f", " ms"),
                    fmt(med[k] / med["numpy"] if med[k] and med["numpy"] else None, ".2f", "x"),
                    "", "", ""])
    table(f"start-up (median of {runs} rounds, wall, commands in turn; actgrad: "
          f"{'ACTGRAD_CMD' if os.environ.get('ACTGRAD_CMD') else 'this tree'})",
          ["what", "median", "ratio", "/ numpy 1 thread", "target", "pass/fail"], out)
    gate = subprocess.run([sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); "
                           "from actgrad import scalar; print(scalar.exp_is_libm())", ROOT],
                          capture_output=True, text=True).stdout.strip()
    print("(relu and leaky_relu take the scalar path without numpy; sigmoid does only where"
          " numpy's float64 exp is the C library's, scalar.exp_is_libm(), on this machine: "
          f"{gate or 'unknown'}; actgrad/scalar.py's docstring)")
    if failures:
        print("\nerrors:\n  " + "\n  ".join(failures))
    return 1 if failures else 0


def sections(which, runs, before):
    """Sections 5 (API against naive numpy) and 6 (check's wall time)."""
    if which in ("all", "api"):
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import api_speed

        log("API: 1e6 values per function and dtype, best of 5 ...")
        print("\n5. API: value and derivative on 1e6 uniform(−20, 20) values, best of 5;"
              " ratio = the faster of f+deriv and value_and_deriv / naive numpy")
        api_speed.print_table(api_speed.bench(10**6, 5))
    if which in ("all", "check"):
        log(f"check: {runs} runs{' each, alternating with ' + before if before else ''} ...")
        r = bench_check(runs, before)
        rows = [[f"actgrad check ({k})", fmt(v["wall"], ".2f", " s"), fmt(v["cpu"], ".2f", " s"),
                 fmt(v["wall"] / r["before"]["wall"], ".2f", "x") if "before" in r else "-"]
                for k, v in r.items()]
        table(f"6. check over the whole catalogue (median of {runs}; CPU: the process and its"
              " workers)", ["what", "wall", "CPU", "wall / before"], rows)
    if which != "all" and failures:
        print("\nerrors:\n  " + "\n  ".join(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
