#!/usr/bin/env python3
"""`make bench-trace`: reqtrace against the machine's limit, same data, same machine, one
run, interleaved rounds, median of --runs (default 5).

Data (made by `make bench-trace-data` with examples/gen_traffic.rs, deterministic):
  bench/data/traces/all/logs/   about 1 GiB of plain ALB access logs, one hour through 30
                                services; root.txt holds one request's Root
  bench/data/traces/half/logs/  every other line of each of those files (does deps' peak
                                memory grow with the lines read?)

Cases: `grep -rF ROOT` against `reqtrace show ROOT` (issue 14: within 2×), `wc -l` against
`reqtrace deps` over the whole hour (within 4×), and deps' peak RSS on all the lines
against half of them (bounded by services and edges, not lines). Wall time from
time.monotonic around the process, peak RSS from os.wait4. Prints a table and writes it to
bench/results-reqtrace.md (bench/results.md belongs to bench.py).
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
DATA = ROOT / "bench" / "data" / "traces"
BIN = ROOT / "target" / "release" / "reqtrace"
WINDOW = ["--from", "2025-06-02T08:59:00Z", "--to", "2025-06-02T10:05:00Z"]


def log_files(d: Path) -> list[str]:
    return sorted(str(p) for p in d.rglob("*.log") if p.is_file())


def measure(argv: list[str], ok_codes=(0,)) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one run; a failure stops the benchmark."""
    started = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = proc.stderr.read().decode(errors="replace")
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - started
    if os.waitstatus_to_exitcode(status) not in ok_codes:
        sys.exit(f"bench-trace: {' '.join(argv[:3])}... failed:\n{err[-2000:]}")
    return wall, usage.ru_maxrss


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--baseline", type=Path,
                    help="another reqtrace binary (an earlier commit's): each reqtrace case also "
                         "runs with it, in the same rounds")
    args = ap.parse_args()
    all_dir, half_dir = DATA / "all" / "logs", DATA / "half" / "logs"
    root = (DATA / "all" / "root.txt").read_text().strip()
    logs, half = log_files(all_dir), log_files(half_dir)
    size = sum(os.path.getsize(f) for f in logs)
    half_size = sum(os.path.getsize(f) for f in half)
    cases = {
        "grep -rF ROOT": (["grep", "-rF", root, str(all_dir)], size),
        "reqtrace show ROOT": ([str(BIN), "show", root, "--logs", str(all_dir)], size),
        "wc -l": (["wc", "-l", *logs], size),
        "reqtrace deps (all)": ([str(BIN), "deps", *WINDOW, "--logs", str(all_dir)], size),
        "reqtrace deps (half the lines)": ([str(BIN), "deps", *WINDOW, "--logs", str(half_dir)], half_size),
    }
    if args.baseline:
        for name, (argv, nbytes) in list(cases.items()):
            if argv[0] == str(BIN):
                cases[f"{name} [baseline]"] = ([str(args.baseline), *argv[1:]], nbytes)
    for f in logs + half:  # warm the page cache
        with open(f, "rb") as fh:
            while fh.read(1 << 24):
                pass
    results: dict[str, list[tuple[float, int]]] = {name: [] for name in cases}
    for r in range(args.runs):
        for name, (argv, _) in cases.items():
            results[name].append(measure(argv))
        print(f"round {r + 1}/{args.runs} done", file=sys.stderr)

    med = {name: statistics.median(w for w, _ in runs) for name, runs in results.items()}
    rss = {name: max(m for _, m in runs) for name, runs in results.items()}
    lines = [
        f"# reqtrace benchmark ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})",
        "",
        f"Machine: {os.cpu_count()} cores, {platform.machine()}, Linux {platform.release()}; "
        f"page cache warm; median of {args.runs} interleaved runs; peak RSS is the largest of the runs.",
        f"Data: `bench/data/traces/all` {len(logs)} plain ALB log objects, {size / 1e9:.2f} GB; "
        f"`half` {half_size / 1e9:.2f} GB (`make bench-trace-data`).",
        "",
        "| what | wall (s) | GB/s | peak RSS (MB) |" + (" × baseline |" if args.baseline else ""),
        "|---|---:|---:|---:|" + ("---:|" if args.baseline else ""),
    ]
    for name, (_, nbytes) in cases.items():
        w = med[name]
        row = f"| {name} | {w:.2f} | {nbytes / w / 1e9:.2f} | {rss[name] / 1024:.0f} |"
        base = f"{name} [baseline]"
        if args.baseline:
            row += f" {w / med[base]:.2f} (RSS {rss[name] / rss[base]:.2f}) |" if base in med else " |"
        lines.append(row)
    deps, deps_half = "reqtrace deps (all)", "reqtrace deps (half the lines)"
    lines += [
        "",
        "Targets (issue 14), from this run:",
        f"- show ROOT: {med['reqtrace show ROOT'] / med['grep -rF ROOT']:.2f} × grep -rF (target ≤ 2)",
        f"- deps: {med[deps] / med['wc -l']:.2f} × wc -l (target ≤ 4)",
        f"- deps peak RSS, all the lines against half of them: {rss[deps] / rss[deps_half]:.2f} ×"
        " (bounded by services and edges: near 1)",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    (ROOT / "bench" / "results-reqtrace.md").write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
