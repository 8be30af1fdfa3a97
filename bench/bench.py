#!/usr/bin/env python3
"""`make bench`: streak-repair against the machine's limit and against DuckDB, same data,
same machine, one run, interleaved rounds, median of --runs (default 5).

Data (made by `make bench-data` with the project's generator, deterministic):
  bench/data/single/      one 2 GiB log file (the first 2 GiB of a generated day, cut at a
                          line end), learners.parquet and calendars.parquet for 2 million
                          learners, incident.toml
  bench/data/half/        every other line of that file (~1 GiB): the same hours and nearly
                          the same learners with half the records (does plan's peak memory
                          grow with the logs?)
  bench/data/small-files/ 4,000 small log objects (~1.1 GB) as S3 delivers them

Each command's wall time comes from time.monotonic around the process, its peak RSS from
os.wait4. Prints a table and writes it to bench/results.md.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
BIN = ROOT / "target" / "release" / "streak-repair"
PY = ROOT / ".venv" / "bin" / "python"


def files(d: Path) -> list[str]:
    return sorted(str(p) for p in d.iterdir() if p.is_file())


def measure(argv: list[str], stdout=subprocess.DEVNULL) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one run; a failure stops the benchmark."""
    started = time.monotonic()
    proc = subprocess.Popen(argv, stdout=stdout, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - started
    err = proc.stderr.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"bench: {' '.join(argv[:3])}... failed:\n{err[-2000:]}")
    return wall, usage.ru_maxrss


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--baseline", type=Path,
                    help="another streak-repair binary (an earlier commit's): each streak-repair "
                         "case also runs with it, in the same rounds")
    args = ap.parse_args()
    single = DATA / "single"
    small = DATA / "small-files"
    log = files(single / "logs")
    half_log = files(DATA / "half" / "logs")
    half_size = sum(os.path.getsize(f) for f in half_log)
    small_logs = files(small / "logs")
    size = sum(os.path.getsize(f) for f in log)
    small_size = sum(os.path.getsize(f) for f in small_logs)
    out = Path("/tmp/streak-repair-bench")
    incident = str(single / "incident.toml")
    tables = ["--learners", str(single / "learners.parquet"), "--calendars", str(single / "calendars.parquet")]
    cases = {
        "cat (2 GiB file)": (["cat", *log], size),
        "wc -l (2 GiB file)": (["wc", "-l", *log], size),
        "DuckDB evidence (2 GiB file)": (
            [str(PY), str(ROOT / "bench" / "duckdb_evidence.py"), incident, str(out) + "-duck.parquet", *log],
            size),
        "streak-repair scan (2 GiB file)": ([str(BIN), "scan", "--incident", incident, "--logs", *log], size),
        "cat (4,000 files)": (["cat", *small_logs], small_size),
        "streak-repair scan (4,000 files)": (
            [str(BIN), "scan", "--incident", incident, "--logs", str(small / "logs")], small_size),
        "streak-repair plan (2 GiB file, 2M learners)": (
            [str(BIN), "plan", "--incident", incident, "--logs", *log, *tables, "--out", str(out) + "-plan"],
            size),
        "streak-repair plan (half the lines, 2M learners)": (
            [str(BIN), "plan", "--incident", incident, "--logs", *half_log, *tables, "--out", str(out) + "-half"],
            half_size),
    }
    if args.baseline:
        for name, (argv, nbytes) in list(cases.items()):
            if argv[0] == str(BIN):
                base = [str(args.baseline), *argv[1:]]
                if "--out" in base:  # its own output directory
                    at = base.index("--out") + 1
                    base[at] += "-base"
                cases[f"{name} [baseline]"] = (base, nbytes)
    # Warm the page cache, then interleave: every command once per round.
    for argv, _ in cases.values():
        if argv[0] == "cat":
            measure(argv)
    results: dict[str, list[tuple[float, int]]] = {name: [] for name in cases}
    for r in range(args.runs):
        for name, (argv, _) in cases.items():
            results[name].append(measure(argv))
        print(f"round {r + 1}/{args.runs} done", file=sys.stderr)

    med = {name: statistics.median(w for w, _ in runs) for name, runs in results.items()}
    rss = {name: max(m for _, m in runs) for name, runs in results.items()}
    wc, duck = med["wc -l (2 GiB file)"], med["DuckDB evidence (2 GiB file)"]
    lines = [
        f"# streak-repair benchmark ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})",
        "",
        f"Machine: {os.cpu_count()} cores, {platform.machine()}, Linux {platform.release()}; "
        f"page cache warm; median of {args.runs} interleaved runs; peak RSS is the largest of the runs.",
        f"Data: `bench/data/single` {size / 1e9:.2f} GB in one file; `bench/data/small-files` "
        f"{len(small_logs)} objects, {small_size / 1e9:.2f} GB (`make bench-data`).",
        "",
        "| what | wall (s) | GB/s | peak RSS (MB) | × wc -l | × DuckDB |" + (" × baseline |" if args.baseline else ""),
        "|---|---:|---:|---:|---:|---:|" + ("---:|" if args.baseline else ""),
    ]
    for name, (_, nbytes) in cases.items():
        w = med[name]
        row = (f"| {name} | {w:.2f} | {nbytes / w / 1e9:.2f} | {rss[name] / 1024:.0f} | "
               f"{w / wc:.2f} | {w / duck:.2f} |")
        base = f"{name} [baseline]"
        if args.baseline:
            row += f" {w / med[base]:.2f} (RSS {rss[name] / rss[base]:.2f}) |" if base in med else " |"
        lines.append(row)
    if args.baseline:
        lines += ["", f"Baseline: `{args.baseline}`; × baseline is this build's median over the baseline's "
                      "(peak RSS likewise), same rounds."]
    cat_small = med["cat (4,000 files)"]
    scan_small = med["streak-repair scan (4,000 files)"]
    lines += [
        "",
        "Targets (issue 5), from this run:",
        f"- scan, 2 GiB file: {med['streak-repair scan (2 GiB file)'] / wc:.2f} × wc -l (target ≤ 1.5), "
        f"{med['streak-repair scan (2 GiB file)'] / duck:.2f} × DuckDB (target ≤ 0.17)",
        f"- scan, 4,000 files: {scan_small / cat_small:.2f} × cat (target ≤ 1.5)",
        f"- plan end to end: {med['streak-repair plan (2 GiB file, 2M learners)'] / wc:.2f} × wc -l "
        f"(target ≤ 4), peak RSS {rss['streak-repair plan (2 GiB file, 2M learners)'] / 1024:.0f} MB "
        "(target ≤ 1536)",
        f"- plan peak RSS, all the lines against half of them: "
        f"{rss['streak-repair plan (2 GiB file, 2M learners)'] / rss['streak-repair plan (half the lines, 2M learners)']:.2f}"
        " × (target ≤ 1.10)",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    (ROOT / "bench" / "results.md").write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
