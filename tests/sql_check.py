#!/usr/bin/env python3
"""Runs the Athena SQL in sql/ for real, in DuckDB, and holds it to the Rust scanner.

(a) The DDL's regex (sql/access_log_table.sql) must split every line exactly as
    src/logs/s3.rs does: every sample in shared/reference/logs/s3_access_log_samples.txt,
    every line of testdata/*/logs and a set of hand-made edge lines. A line is a row
    exactly when `streak-repair scan --all` makes it a record, with the same 27 fields
    and extras. The regex runs as written in the DDL (Java syntax, Hive string escapes
    undone) in two engines: DuckDB's RE2 (`regexp_full_match`, the engine part (b) uses) and
    Python's backtracking `re` (closer to Java's); the regex uses nothing those read
    differently from Java.
(b) For testdata/small, testdata/generated and an edge case built here, the raw log lines
    are loaded into DuckDB, the DDL's regex makes the table's columns (a line it does not
    match is an all-NULL row, as RegexSerDe makes it), sql/evidence.sql is transpiled by
    sqlglot (read="athena", write="duckdb") and run with the incident's values bound as
    parameters; its rows must equal, per (learner_id, bucket_start), the same aggregation of
    `streak-repair scan --incident` output. sql/calendars.sql is run the same way over each
    case's calendars.csv.

Athena semantics that DuckDB lacks are modelled, not papered over:
  * url_decode is Trino's (Java URLDecoder): `+` becomes a space and a malformed escape
    fails the query. DuckDB's keeps `+` and malformed escapes, so the transpiled SQL calls
    the macro athena_url_decode instead, which does what Trino does (and fails on decoded
    bytes that are not UTF-8, where Trino substitutes U+FFFD: stricter, never laxer).
  * regexp_replace's replacement refers to groups as `$1` in Trino and `\\1` in DuckDB;
    sqlglot leaves it alone, so the harness rewrites it.
  * DuckDB's regexp_extract gives '' for a group that did not take part; the SerDe gives
    NULL. Every column's group matches at least one character when it takes part, so ''
    is read as NULL.

Prints one line per check and closes with `N passed, M failed`; exits 1 on any failure.
Needs target/debug/streak-repair (`cargo build`) and the .venv of `make sql-test`.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import tomllib
import traceback
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import sqlglot
from sqlglot import exp

ROOT = Path(__file__).resolve().parent.parent
SQL = Path(os.environ.get("STREAK_SQL_DIR", ROOT / "sql"))
BIN = Path(os.environ.get("STREAK_REPAIR_BIN", ROOT / "target" / "debug" / "streak-repair"))
CASES = [ROOT / "testdata" / "small", ROOT / "testdata" / "generated"]
DELIVERY_LAG_SECONDS = 24 * 3600  # the CLI's --delivery-lag-hours default
SKEW_SECONDS = 15 * 60  # src/source/s3.rs: records vs key clock skew

COLUMNS = [
    "bucket_owner", "bucket", "request_time", "remote_ip", "requester", "request_id",
    "operation", "key", "request_uri", "http_status", "error_code", "bytes_sent",
    "object_size", "total_time", "turn_around_time", "referer", "user_agent", "version_id",
    "host_id", "signature_version", "cipher_suite", "authentication_type", "host_header",
    "tls_version", "access_point_arn", "acl_required", "source_region", "extra_fields",
]
# The Rust record's names for the same fields (SPEC §2); `time` is request_time here.
RUST_FIELDS = ["time" if c == "request_time" else c for c in COLUMNS[:27]]
INTEGER_FIELDS = {"http_status", "bytes_sent", "object_size", "total_time", "turn_around_time"}
# One field as the DDL's regex splits them (for cutting extra_fields back into a list).
FIELD = r'"[^"]*(?:"+[^" ][^"]*)*"*"|[^ "][^ ]*'
# AWS's published regex (S3 User Guide, "Querying access logs for requests by using Amazon
# Athena"), Hive escapes undone. Kept only to show why the DDL has its own.
AWS_REGEX = (
    r'([^ ]*) ([^ ]*) \[(.*?)\] ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ("[^"]*"|-) (-|[0-9]*) '
    r'([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ("[^"]*"|-) ([^ ]*)(?: ([^ ]*) ([^ ]*) '
    r'([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*))?.*$'
)
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


# ----------------------------------------------------------------------------- checks

class Checks:
    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0

    def run(self, name: str, fn) -> None:
        """Runs one check: fn returns None (pass) or a list of problem lines (fail)."""
        started = time.monotonic()
        try:
            problems = fn()
        except Exception:  # a crash is a failure with its traceback, never an abort
            problems = traceback.format_exc().rstrip().splitlines()
        took = time.monotonic() - started
        if problems:
            self.failed += 1
            print(f"FAIL {name} ({took:.2f}s)")
            for line in problems[:20]:
                print(f"     {line}")
            if len(problems) > 20:
                print(f"     ... and {len(problems) - 20} more")
        else:
            self.passed += 1
            print(f"ok   {name} ({took:.2f}s)")
        sys.stdout.flush()


# ------------------------------------------------------------------------ inputs

def shared_dir() -> Path:
    """shared/ sits beside the clone in CI; a worktree may be nested deeper."""
    if os.environ.get("STREAK_SHARED_DIR"):
        return Path(os.environ["STREAK_SHARED_DIR"])
    for parent in ROOT.parents:
        candidate = parent / "shared"
        if (candidate / "reference" / "logs" / "s3_access_log_samples.txt").is_file():
            return candidate
    raise SystemExit("sql_check: cannot find shared/reference/logs beside the repository "
                     "(set STREAK_SHARED_DIR)")


def ddl_regex() -> tuple[str, list[str]]:
    """The SerDe's input.regex with Hive's string escapes undone, and the column names."""
    text = (SQL / "access_log_table.sql").read_text()
    body = text[text.index("CREATE EXTERNAL TABLE"):]
    literal = re.search(r"'input\.regex'\s*=\s*'((?:[^'\\]|\\.)*)'", body).group(1)
    regex = re.sub(r"\\(.)", r"\1", literal)
    columns_block = body[body.index("(") + 1:body.index("PARTITIONED BY")]
    columns = re.findall(r"^\s*(\w+)\s+STRING,?\s*$", columns_block, re.M)
    return regex, columns


def hadoop_lines(data: bytes) -> list[str]:
    """Lines as Hadoop's LineRecordReader cuts them (LF, CRLF or CR), read as UTF-8 with
    U+FFFD for bad bytes, as Athena reads text."""
    lines = re.split(rb"\r\n|\r|\n", data)
    if lines and lines[-1] == b"":
        lines.pop()
    return [line.decode("utf-8", errors="replace") for line in lines]


def read_maybe_gzip(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def log_files(logs: Path) -> list[Path]:
    return sorted(p for p in logs.rglob("*") if p.is_file())


def partition_of(path: Path) -> str:
    """The yyyy/MM/dd partition a log object would sit in: its key's date."""
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})-", path.name)
    if not m:
        raise ValueError(f"{path}: not a YYYY-MM-DD-... access-log object name")
    return "/".join(m.groups())


def epoch(rfc3339: str) -> int:
    return int(datetime.fromisoformat(rfc3339.replace("Z", "+00:00")).timestamp() // 1)


def utc_day(t: int) -> str:
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y/%m/%d")


def rfc3339(t: int) -> str:
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def rust(*args: str) -> list[dict]:
    out = subprocess.run([str(BIN), *args], capture_output=True, check=True)
    return [json.loads(line) for line in out.stdout.decode().splitlines() if line]


# ------------------------------------------------------- field normalisation (part a)

def unquote(value: str | None) -> str | None:
    """The Rust parser's value: quotes stripped, `-` as None."""
    if value is None:
        return None
    if value.startswith('"'):
        value = value[1:-1]
    return None if value == "-" else value


def log_time(text: str) -> str | None:
    """`dd/Mon/yyyy:HH:MM:SS +hhmm` -> RFC 3339 UTC, None when impossible."""
    m = re.fullmatch(r"(\d\d)/(\w{3})/(\d{4}):(\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)", text)
    if not m or m.group(2) not in MONTHS:
        return None
    d, mon, y, hh, mi, ss, sign, oh, om = m.groups()
    if int(oh) > 23 or int(om) > 59 or not 1 <= int(y) <= 9998:
        return None
    try:
        local = datetime(int(y), MONTHS.index(mon) + 1, int(d), int(hh), int(mi), int(ss),
                         tzinfo=timezone.utc)
    except ValueError:
        return None
    offset = (1 if sign == "+" else -1) * (int(oh) * 3600 + int(om) * 60)
    return rfc3339(int(local.timestamp()) - offset)


def as_record(groups: dict[str, str | None]) -> dict:
    """The regex's columns as `scan --all` would print the record."""
    record = {}
    for column, name in zip(COLUMNS[:27], RUST_FIELDS):
        value = groups[column]
        if column == "request_time":
            record[name] = log_time(value)
            continue
        value = unquote(value)
        if column in INTEGER_FIELDS and value is not None:
            value = int(value)
        record[name] = value
    extras = groups["extra_fields"]
    record["extra_fields"] = [unquote(m.group(0)) for m in re.finditer(FIELD, extras)] if extras else []
    return record


def compare_record(rust_record: dict, ours: dict) -> list[str]:
    return [f"{k}: rust {rust_record.get(k)!r} != regex {ours.get(k)!r}"
            for k in RUST_FIELDS + ["extra_fields"] if rust_record.get(k) != ours.get(k)]


class RegexEngines:
    """The DDL's regex in RE2 (DuckDB) and in Python's `re`."""

    def __init__(self, regex: str) -> None:
        self.regex = regex
        self.py = re.compile(regex)
        self.con = duckdb.connect()

    def split_all(self, lines: list[str]) -> list[tuple[dict | None, dict | None]]:
        """For each line: (RE2 groups or None, Python groups or None)."""
        rows = self.con.execute(
            "SELECT n, regexp_full_match(line, $rx), regexp_extract(line, $rx, $names) "
            "FROM unnest($lines) WITH ORDINALITY AS t (line, n) ORDER BY n",
            {"rx": self.regex, "names": COLUMNS, "lines": lines}).fetchall()
        out = []
        for (n, matched, groups), line in zip(rows, lines):
            re2 = {k: (v if v != "" else None) for k, v in groups.items()} if matched else None
            m = self.py.fullmatch(line)
            py = dict(zip(COLUMNS, m.groups())) if m else None
            out.append((re2, py))
        return out


def regex_vs_rust(engines: RegexEngines, lines: list[str], labels: list[str],
                  records: list[dict]) -> list[str]:
    """records[i] is `scan --all`'s output for lines[i]."""
    problems = []
    for line, label, rec, (re2, py) in zip(lines, labels, records, engines.split_all(lines)):
        rejected = "rejected" in rec
        if re2 != py:
            problems.append(f"{label}: RE2 and Python re split the line differently")
        if rejected:
            # A time of the right shape naming no instant (31/Nov, 24:00, :60, +2400) is a
            # row here, but one whose time every query reads as NULL: never evidence.
            unreadable_time = rec["rejected"] == "bad_time" and re2 is not None and \
                log_time(re2["request_time"]) is None
            if re2 is not None and not unreadable_time:
                problems.append(f"{label}: Rust rejects it ({rec['rejected']}) but the regex matches")
            continue
        if re2 is None:
            problems.append(f"{label}: the Rust parser reads it but the regex does not match: {line[:160]}")
            continue
        problems += [f"{label}: {p}" for p in compare_record(rec, as_record(re2))]
    return problems


# ----------------------------------------------------------- hand-made edge lines

OWNER = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"


def line(time_: str = "20/Nov/2026:13:05:00 +0000", rid: str = "REQ1", op: str = "REST.GET.OBJECT",
         key: str = "brb/c.json", uri: str | None = None, query: str = "learner_id=1",
         status: str = "200", bucket: str = "duo-brb", ua: str = '"Duolingo/6.12.0 (iPhone)"',
         tail: str = "- HOSTID= - TLS_AES_128_GCM_SHA256 - duo-brb.s3.us-east-1.amazonaws.com TLSv1.3 - - us-east-1",
         sep: str = " ") -> str:
    if uri is None:
        uri = f'"GET /{key}?{query} HTTP/1.1"'
    fields = [OWNER, bucket, f"[{time_}]", "192.0.2.3", "-", rid, op, key, uri, status, "-",
              "47", "47", "9", "8", '"-"', ua]
    return sep.join(fields) + " " + tail


EDGE_LINES = [
    line(sep="  "),                                            # doubled spaces everywhere
    "   " + line() + "   ",                                   # leading and trailing spaces
    line(status='"200"'),                                      # quoted integer
    line(status='"-"'),                                        # quoted dash
    line(ua='"Mozilla "Foo" Bar"'),                           # quotes inside the agent
    line(ua='""Mozilla/5.0 (X11)"'),                          # agent opening with a quote
    line(ua='"a" b" c"'),                                       # candidate closing quotes
    line(ua="-"),                                              # bare agent
    line(uri='"-"'),                                           # quoted dash URI
    line(uri="-"),                                             # bare dash URI
    line(uri='"GET /brb/c.json?x="a b" HTTP/1.1"'),            # quote-space inside the URI
    line(uri='"GET /" HTTP/1.1"'),                             # a probe for /": raw quote, then the protocol
    line(key='"brb/quoted key.json"'),                         # quoted key with a space
    line(tail="- HOSTID= SigV4 ECDHE AuthHeader host TLSv1.2 arn - us-east-1 X Y \"z w\" -"),
    line(tail="-"),                                            # 18 fields, the 2015 layout
    line(tail="- HOSTID=\tx"),                                 # a tab is an ordinary byte
    line(time_="31/Nov/2026:13:05:00 +0000"),                  # no such date: rejected
    line(time_="20/Nov/2026:24:05:00 +0000"),                  # hour 24: rejected
    line(time_="20/Nov/2026:13:05:60 +0000"),                  # leap second: rejected
    line(time_="20/Nov/2026:13:05:00 +2400"),                  # offset hours 24: rejected
    line(time_="20/nov/2026:13:05:00 +0000"),                  # month case: rejected
    line(status="2x0"),                                        # not an integer: rejected
    line(ua='"never closed'),                                  # unterminated quote: rejected
    line(tail=""),                                             # 17 fields: rejected
    "",                                                        # blank: rejected
    "     ",                                                   # spaces only: rejected
]


# ------------------------------------------------------------- SQL in DuckDB (part b)

def athena_to_duckdb(sql: str) -> str:
    """sqlglot's transpilation plus the two Athena semantics it does not carry over."""
    tree = sqlglot.parse_one(sql, read="athena")
    for node in tree.find_all(exp.RegexpReplace):
        repl = node.args.get("replacement")
        if isinstance(repl, exp.Literal) and repl.is_string:
            node.set("replacement", exp.Literal.string(re.sub(r"\$(\d)", r"\\\1", repl.this)))
    for node in tree.find_all(exp.Anonymous):
        if node.name.lower() == "url_decode":
            node.set("this", "athena_url_decode")
    return tree.sql(dialect="duckdb")


# Trino's url_decode: Java's URLDecoder.decode(s, UTF-8).
ATHENA_URL_DECODE = r"""
CREATE OR REPLACE MACRO athena_url_decode(s) AS
  CASE WHEN regexp_matches(s, '%([^0-9A-Fa-f]|[0-9A-Fa-f][^0-9A-Fa-f]|[0-9A-Fa-f]?$)')
       THEN error('URLDecoder: Illegal hex characters in escape (%) pattern: ' || s)
       ELSE url_decode(replace(s, '+', ' '))
  END
"""


# The [athena] table sql_check gives an incident that has none (names as in
# testdata/small/incident.toml).
ATHENA_TABLE = """
[athena]
database = "streak_repair"
table = "brb_access_logs"
calendars_table = "streak_calendars"
learners_table = "learner_zones"
output_location = "s3://athena-results/streak-repair/"
log_location = "s3://duo-logs/s3/123456789012/us-east-1/duo-brb/"
log_first_day = "2026/01/01"
"""


def rendered(incident: Path, query: str) -> tuple[str, list]:
    """A statement as `streak-repair sql` renders it for `plan --source athena`: the
    SELECT inside UNLOAD, and its execution parameters as Python values."""
    text = incident.read_text()
    if "[athena]" not in text:
        with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
            f.write(text + ATHENA_TABLE)
        incident = Path(f.name)
    out = subprocess.run([str(BIN), "sql", "--incident", str(incident), "--query", query,
                          "--format", "json"], capture_output=True, check=True)
    [statement] = json.loads(out.stdout)
    sql = statement["query"]
    if sql.startswith("UNLOAD ("):
        sql = sql[len("UNLOAD ("):sql.rindex("\n)\nTO '")]
    return sql, [sql_literal(p) for p in statement["parameters"]]


def sql_literal(text: str):
    """An execution parameter (a SQL literal) as the value DuckDB binds."""
    if text == "NULL":
        return None
    assert text.startswith("'") and text.endswith("'"), text
    return text[1:-1].replace("''", "'")


def athena_schema(con: duckdb.DuckDBPyConnection) -> None:
    """The Glue database of the [athena] table, as a DuckDB schema."""
    con.execute("CREATE SCHEMA IF NOT EXISTS streak_repair")


def load_case_logs(con: duckdb.DuckDBPyConnection, logs: Path, regex: str) -> None:
    """The access-log table as Athena would read the files: one row per line, the DDL's
    regex making the columns, NULL everywhere when it does not match."""
    partitions, lines = [], []
    for path in log_files(logs):
        text = hadoop_lines(read_maybe_gzip(path))
        partitions += [partition_of(path)] * len(text)
        lines += text
    con.execute("CREATE OR REPLACE TABLE raw_lines AS SELECT unnest($dt) AS dt, unnest($line) AS line",
                {"dt": partitions, "line": lines})
    columns = ",\n".join(
        f"CASE WHEN m THEN nullif(g['{c}'], '') END AS {c}" for c in COLUMNS)
    con.execute(
        f"""CREATE OR REPLACE TABLE streak_repair.brb_access_logs AS
            SELECT {columns}, dt FROM (
                SELECT dt, regexp_full_match(line, $rx) AS m,
                       regexp_extract(line, $rx, $names) AS g
                FROM raw_lines)""",
        {"rx": regex, "names": COLUMNS})


def incident_params(incident: dict) -> list:
    """The 9 execution parameters of evidence.sql, in its order, from an incident file."""
    ev = incident["evidence"]
    windows = incident["window"] if isinstance(incident["window"], list) else [incident["window"]]
    spans = [(epoch(str(w["start"])), epoch(str(w["end"]))) for w in windows]
    return [
        utc_day(min(s for s, _ in spans) - SKEW_SECONDS),
        utc_day(max(e for _, e in spans) + DELIVERY_LAG_SECONDS),
        ev.get("bucket"),
        ",".join(ev.get("operations", ["REST.GET.OBJECT", "REST.HEAD.OBJECT"])),
        ",".join(str(s) for s in ev.get("statuses", [200, 206, 304])),
        ",".join(f"{s}/{e}" for s, e in spans),
        ev["key_prefix"],
        ev.get("learner_param", "learner_id"),
        ev.get("tz_param", "tz"),
    ]


def aggregate_rust(records: list[dict]) -> dict:
    """`scan --incident` records (de-duplicated, in learner/time/request-id order) grouped
    as evidence.sql groups them."""
    buckets: dict[tuple[str, int], dict] = {}
    for r in records:
        t = epoch(r["time"])
        b = buckets.setdefault((str(r["learner_id"]), t - t % 900),
                               {"first": t, "last": t, "hits": 0, "tz_order": [], "tz_hits": {}})
        b["first"], b["last"] = min(b["first"], t), max(b["last"], t)
        b["hits"] += 1
        if r["tz_param"] is not None:  # later records come later: keep the last position
            if r["tz_param"] in b["tz_order"]:
                b["tz_order"].remove(r["tz_param"])
            b["tz_order"].append(r["tz_param"])
            b["tz_hits"][r["tz_param"]] = b["tz_hits"].get(r["tz_param"], 0) + 1
    return {k: (v["first"], v["last"], v["hits"],
                v["tz_order"][-1] if v["tz_order"] else None, v["tz_order"][::-1],
                [v["tz_hits"][tz] for tz in v["tz_order"][::-1]])
            for k, v in buckets.items()}


def aggregate_sql(rows: list[tuple]) -> dict:
    return {(learner, int(bucket)): (int(first), int(last), int(hits), latest,
                                     json.loads(tz_params) if tz_params else [],
                                     json.loads(tz_hits) if tz_hits else [])
            for learner, bucket, first, last, hits, latest, tz_params, tz_hits in rows}


def diff(rust_rows: dict, sql_rows: dict) -> list[str]:
    problems = []
    for key in sorted(set(rust_rows) | set(sql_rows), key=lambda k: (len(k[0]), k)):
        a, b = rust_rows.get(key), sql_rows.get(key)
        if a != b:
            problems.append(f"learner {key[0]} bucket {rfc3339(key[1])}: rust {a} != sql {b}")
    return problems


def case_connection(case: Path, regex: str) -> duckdb.DuckDBPyConnection:
    """The case's logs, calendars and learners as the [athena] table's tables."""
    con = duckdb.connect()
    con.execute(ATHENA_URL_DECODE)
    athena_schema(con)
    load_case_logs(con, case / "logs", regex)
    for table, name in [("streak_calendars", "calendars.csv"), ("learner_zones", "learners.csv")]:
        if (case / name).is_file():
            con.execute(f"CREATE TABLE streak_repair.{table} AS "
                        "SELECT * FROM read_csv($p, all_varchar = true, header = true)",
                        {"p": str(case / name)})
    return con


def evidence_rows(con: duckdb.DuckDBPyConnection, case: Path) -> tuple[str, list]:
    """Runs evidence.sql as rendered by the tool; checks its parameters on the way."""
    sql, params = rendered(case / "incident.toml", "evidence")
    incident = tomllib.loads((case / "incident.toml").read_text())
    expected = incident_params(incident)
    assert params == expected, f"the tool renders parameters {params}, SPEC gives {expected}"
    return athena_to_duckdb(sql), params


def run_evidence(case: Path, regex: str) -> tuple[dict, dict, int, duckdb.DuckDBPyConnection]:
    con = case_connection(case, regex)
    sql, params = evidence_rows(con, case)
    rows = con.execute(sql, params).fetchall()
    # The run's scratch table over the evidence results (sql/affected_table.sql).
    con.execute('CREATE TABLE streak_repair."streak_repair_affected_{run_id}" AS '
                "SELECT unnest($ids) AS learner_id", {"ids": [r[0] for r in rows] or ["none"]})
    ours = aggregate_sql(rows)
    theirs = aggregate_rust(rust("scan", "--incident", str(case / "incident.toml"),
                                 "--logs", str(case / "logs")))
    return theirs, ours, len(rows), con


def affected_ids(learner_ids) -> set[str]:
    """Ids as the SQL and the file readers normalise them: trimmed, no leading zeros."""
    ids = [(x or "").strip() if x is not None else None for x in learner_ids]
    return {(x.lstrip("0") or "0") if re.fullmatch("[0-9]+", x or "") else x for x in ids}


def run_calendars(case: Path, con: duckdb.DuckDBPyConnection, learners: list[str]) -> list[str]:
    sql, _ = rendered(case / "incident.toml", "calendars")
    got = con.execute(athena_to_duckdb(sql)).fetchall()
    wanted = set(learners)
    expected = []
    for row in con.execute("SELECT learner_id, date, kind FROM streak_repair.streak_calendars").fetchall():
        [lid] = affected_ids([row[0]])
        if lid in wanted:
            expected.append((lid, row[1], row[2]))
    expected.sort(key=lambda r: (len(r[0]), r))
    problems = []
    if got != expected:
        problems.append(f"{len(got)} rows from SQL, {len(expected)} from the CSV (or not in order)")
        problems += [f"sql only: {r}" for r in sorted(set(got) - set(expected))[:10]]
        problems += [f"csv only: {r}" for r in sorted(set(expected) - set(got))[:10]]
    if not expected:
        problems.append("no calendar rows for the affected learners: the check would be vacuous")
    return problems


def run_learners(case: Path, con: duckdb.DuckDBPyConnection, learners: list[str]) -> list[str]:
    sql, _ = rendered(case / "incident.toml", "learners")
    got = con.execute(athena_to_duckdb(sql)).fetchall()
    wanted = set(learners)
    zones: dict[str, list] = {}
    for lid, tz in con.execute("SELECT learner_id, tz FROM streak_repair.learner_zones").fetchall():
        [lid] = affected_ids([lid])
        if lid in wanted:
            zones.setdefault(lid, []).append((tz or "").strip() or None)
    expected = [(lid, min((z for z in tzs if z), default=None))
                for lid, tzs in sorted(zones.items(), key=lambda kv: (len(kv[0]), kv[0]))]
    problems = [] if got == expected else [f"sql {got[:5]}... != csv {expected[:5]}..."]
    if not expected:
        problems.append("no learner rows for the affected learners: the check would be vacuous")
    return problems


def write_results(case: Path, regex: str, out: Path) -> None:
    """What Athena's UNLOADs write for the case, as Parquet files under out/<query>/:
    the fixture of the tool's Athena test (tests/aws.rs), kept current by this check."""
    con = case_connection(case, regex)
    sql, params = evidence_rows(con, case)
    con.execute(f"CREATE TABLE evidence AS {sql}", params)
    con.execute('CREATE TABLE streak_repair."streak_repair_affected_{run_id}" AS '
                "SELECT learner_id FROM evidence")
    # Athena's types (evidence.sql's header): DuckDB widens sum() beyond BIGINT.
    selects = {"evidence": "SELECT learner_id, CAST(bucket_start AS BIGINT) AS bucket_start, "
                           "CAST(first_time AS BIGINT) AS first_time, CAST(last_time AS BIGINT) AS last_time, "
                           "CAST(hits AS BIGINT) AS hits, latest_tz, tz_params, tz_hits FROM evidence"}
    for query in ["calendars", "learners"]:
        selects[query] = athena_to_duckdb(rendered(case / "incident.toml", query)[0])
    for query, select in selects.items():
        (out / query).mkdir(parents=True, exist_ok=True)
        con.execute(f"COPY ({select}) TO '{out / query / 'part-0.parquet'}' (FORMAT parquet)")


def same_results(case: Path, regex: str) -> list[str]:
    """The committed Athena fixture equals what the SQL writes now."""
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        write_results(case, regex, Path(tmp))
        con = duckdb.connect()
        for query in ["evidence", "calendars", "learners"]:
            read = "SELECT * FROM read_parquet($p)"
            fresh = con.execute(read, {"p": str(Path(tmp) / query / "part-0.parquet")}).fetchall()
            kept = con.execute(read, {"p": str(case / "athena" / query / "part-0.parquet")}).fetchall()
            if fresh != kept:
                problems.append(f"{case.name}/athena/{query}: the SQL now returns {len(fresh)} rows, "
                                f"the fixture has {len(kept)}: run `make testdata`")
    return problems


# ------------------------------------------------------------- the edge-case incident

def edge_case(root: Path) -> Path:
    """An incident whose lines exercise SPEC §2's matching rules one by one."""
    t = "20/Nov/2026:13:05:00 +0000"
    lines = [
        line(rid="E01", query="learner_id=007&tz=Europe%2FBerlin"),           # leading zeros
        line(rid="E02", query="learner_id=18446744073709551615&tz=UTC"),       # u64::MAX
        line(rid="E03", query="learner_id=18446744073709551616&tz=UTC"),       # overflow: no
        line(rid="E04", query="learner%5Fid=42&tz=Etc/GMT+12"),                # encoded name, raw +
        line(rid="E05", query="learner_id=%34%33&tz=GMT+5%3A30"),              # encoded digits
        line(rid="E06", query="learner_id=12%0A&tz=UTC"),                      # newline: no
        line(rid="E07", query="learner_id=&learner_id=5"),                     # first counts: no
        line(rid="E08", query="learner_id=44&learner_id=45&tz=%ZZbad"),        # malformed escape
        line(rid="E09", query="learner_id=46&tz=Europe%2"),                    # truncated escape
        line(rid="E10", query="learner_id=47&tz=&tz=UTC"),                     # empty first tz
        line(rid="E11", query="learner_id=48&tz=caf%C3%A9"),                   # UTF-8 escape
        line(rid="E12", key="brb%2Fx.json", query="learner_id=49"),            # encoded prefix
        line(rid="E13", key="brb/%ZZ.json", query="learner_id=50"),            # malformed key
        line(rid="E14", key="brb/a+b%2Bc.json", query="learner_id=51"),        # + in key
        line(rid="E15", key="brbx.json", query="learner_id=52"),               # wrong prefix: no
        line(rid="E16", query="learner_id=53#frag&tz=UTC"),                    # fragment
        line(rid="E17", uri='"/brb/c.json?learner_id=54"'),                    # no method/version
        line(rid="E18", uri='"GET /brb/c.json?learner_id=55"'),                # no version
        line(rid="E19", uri='"GET /brb/c.json HTTP/1.1"'),                     # no query: no
        line(rid="E20", query="learner_id=56", status='"304"'),                # quoted status
        line(rid="E21", query="learner_id=57", status="404"),                  # status: no
        line(rid="E22", query="learner_id=58", op="REST.PUT.OBJECT"),          # operation: no
        line(rid="E23", query="learner_id=59", bucket="other"),                # any bucket
        line(rid="E24", query="learner_id=60", sep="  "),                      # doubled spaces
        line(rid="E25", query="learner_id=61", ua='"Mozilla "Foo" Bar"'),     # quotes in agent
        line(rid="E26", query="learner_id=62", time_="21/Nov/2026:02:50:00 +1345"),  # Chatham
        line(rid="E27", query="learner_id=63", time_="31/Nov/2026:13:05:00 +0000"),  # bad date
        line(rid="E28", query="learner_id=64", time_="20/Nov/2026:13:05:00 +2400"),  # bad offset
        line(rid="E29", query="learner_id=65", time_="20/Nov/2026:12:59:59 +0000"),  # before
        line(rid="E30", query="learner_id=65", time_="20/Nov/2026:13:00:00 +0000"),  # start: in
        line(rid="E31", query="learner_id=65", time_="20/Nov/2026:14:00:00 +0000"),  # end: out
        line(rid="E32", query="learner_id=66", time_="20/Nov/2026:14:30:00 +0000"),  # 2nd window
        line(rid="-", query="learner_id=67", time_="20/Nov/2026:13:45:00 +0000"),    # both windows
        # Same request id twice with different learners: the smaller record is kept.
        line(rid="DUP1", query="learner_id=71&tz=UTC"),
        line(rid="DUP1", query="learner_id=70&tz=UTC", time_="20/Nov/2026:13:06:00 +0000"),
        # No request id: each record counts (twice the same line: hits 2).
        line(rid="-", query="learner_id=72"),
        line(rid="-", query="learner_id=72"),
        # One bucket, three zones: latest invalid, older valid, the order must survive.
        line(rid="Z1", query="learner_id=80&tz=Asia%2FTokyo", time_=t),
        line(rid="Z2", query="learner_id=80&tz=Europe%2FParis", time_="20/Nov/2026:13:07:00 +0000"),
        line(rid="Z3", query="learner_id=80&tz=Asia%2FTokyo", time_="20/Nov/2026:13:08:00 +0000"),
        line(rid="Z4", query="learner_id=80&tz=undefined", time_="20/Nov/2026:13:09:00 +0000"),
        line(rid="Z5", query="learner_id=80", time_="20/Nov/2026:13:10:00 +0000"),
        # Same second, tie broken by request id.
        line(rid="Y2", query="learner_id=81&tz=B", time_=t),
        line(rid="Y1", query="learner_id=81&tz=A", time_=t),
        # Bucket edges: 13:14:59 and 13:15:00 are in different buckets.
        line(rid="B1", query="learner_id=82", time_="20/Nov/2026:13:14:59 +0000"),
        line(rid="B2", query="learner_id=82", time_="20/Nov/2026:13:15:00 +0000"),
        line(rid="E33", query="learner_id=0&tz=UTC"),                           # learner 0
        line(rid="E34", query="learner_id=83", status='"-"'),                   # no status: no
        line(rid="E35", query="a=1&&learner_id=84&=x&tz"),                     # odd pairs
    ]
    case = root / "edge"
    (case / "logs").mkdir(parents=True)
    (case / "logs" / "2026-11-20-14-00-00-EDGE000000000001").write_text("\n".join(lines) + "\n")
    (case / "incident.toml").write_text(
        'id = "edge"\n'
        '[[window]]\nstart = "2026-11-20T13:00:00Z"\nend = "2026-11-20T14:00:00Z"\n'
        '[[window]]\nstart = "2026-11-20T13:30:00Z"\nend = "2026-11-20T15:00:00Z"\n'
        '[evidence]\nkey_prefix = "brb/"\n')
    (case / "calendars.csv").write_text(
        "learner_id,date,kind\n007,2026-11-19,practice\n0,2026-11-19,freeze\n00,2026-11-18,practice\n"
        "42,2026-11-19,practice\n99,2026-11-19,practice\nabc,2026-11-19,practice\n"
        "0018446744073709551615,2026-11-19,repair\n80,2026-11-20,freeze\n80,2026-11-20,practice\n"
        ",2026-11-19,practice\n")  # an empty id is no learner, not learner 0
    return case


# ----------------------------------------------------------------------------- main

def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--write-results":
        case = Path(sys.argv[2])
        write_results(case, ddl_regex()[0], case / "athena")
        return 0
    started = time.monotonic()
    checks = Checks()
    if not BIN.is_file():
        print(f"FAIL {BIN} is missing: run `cargo build` first")
        print("0 passed, 1 failed")
        return 1
    print(f"sql_check: duckdb {duckdb.__version__}, sqlglot {sqlglot.__version__}, {BIN}")
    regex, columns = ddl_regex()
    engines = RegexEngines(regex)

    def ddl_shape():
        problems = []
        if columns != COLUMNS:
            problems.append(f"DDL columns {columns} != {COLUMNS}")
        if re.compile(regex).groups != len(columns):
            problems.append(f"the regex has {re.compile(regex).groups} groups for {len(columns)} "
                            "columns (RegexSerDe needs one group per column)")
        return problems

    checks.run("DDL: one capturing group per column, columns named as SPEC §2", ddl_shape)

    # (a) the sample lines, each on its own
    samples_file = shared_dir() / "reference" / "logs" / "s3_access_log_samples.txt"
    samples, ident = [], None
    for text in samples_file.read_text(encoding="utf-8").split("\n"):
        if text.startswith("# id:"):
            ident = text[5:].split("|")[0].strip()
        elif text and not text.startswith("#"):
            samples.append((ident, text))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "samples.log"
        path.write_text("".join(t + "\n" for _, t in samples), encoding="utf-8")
        sample_records = rust("scan", "--all", "--logs", str(path))
    for (ident, text), rec in zip(samples, sample_records):
        def one(ident=ident, text=text, rec=rec):
            if "rejected" in rec:
                return [f"the Rust parser rejects the sample ({rec['rejected']})"]
            return regex_vs_rust(engines, [text], [ident], [rec])
        checks.run(f"regex splits sample {ident} as the Rust parser does", one)

    def aws_regex_fails():
        aws = re.compile(AWS_REGEX)
        missed = [i for i, t in samples if not aws.fullmatch(t)]
        # Lines with fields after the 18th whose 19th column AWS's regex leaves NULL.
        lost = [i for i, t in samples if (m := aws.fullmatch(t)) and m.group(19) is None
                and len(re.findall(FIELD, t[t.index("]") + 1:])) > 15]
        print(f"     AWS's published regex gives all-NULL rows for: {', '.join(missed) or 'none'}")
        print(f"     and NULL host_id and later fields for {len(lost)} of {len(samples)} samples")
        return None if missed and lost else ["AWS's regex reads the samples: the DDL header's claim is stale"]

    checks.run("AWS's published regex misses a sample line (why the DDL has its own)", aws_regex_fails)

    def edge_lines():
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "edge.log"
            path.write_text("".join(t + "\n" for t in EDGE_LINES), encoding="utf-8")
            records = rust("scan", "--all", "--logs", str(path))
        if len(records) != len(EDGE_LINES):
            return [f"{len(records)} records for {len(EDGE_LINES)} lines"]
        return regex_vs_rust(engines, EDGE_LINES, [f"edge line {i + 1}" for i in range(len(EDGE_LINES))],
                             records)

    checks.run(f"regex accepts and rejects {len(EDGE_LINES)} edge lines as the Rust parser does", edge_lines)

    for case in CASES:
        def every_line(case=case):
            lines, labels = [], []
            for path in log_files(case / "logs"):
                for n, text in enumerate(hadoop_lines(read_maybe_gzip(path)), 1):
                    lines.append(text)
                    labels.append(f"{path.name}:{n}")
            records = rust("scan", "--all", "--logs", *map(str, log_files(case / "logs")))
            if len(records) != len(lines):
                return [f"{len(records)} records for {len(lines)} lines"]
            print(f"     {len(lines)} lines, {sum('rejected' in r for r in records)} rejected by both")
            return regex_vs_rust(engines, lines, labels, records)

        checks.run(f"regex splits every line of {case.relative_to(ROOT)}/logs as the Rust parser does",
                   every_line)

    # (b) the evidence query against the Rust scanner, then the calendars and learners queries
    with tempfile.TemporaryDirectory() as tmp:
        for case in CASES + [edge_case(Path(tmp))]:
            name = case.relative_to(ROOT) if case.is_relative_to(ROOT) else "edge case (built here)"
            result = {}

            def evidence(case=case, result=result):
                theirs, ours, n, result["con"] = run_evidence(case, regex)
                result["learners"] = sorted({k[0] for k in theirs}, key=lambda s: (len(s), s))
                print(f"     {n} learner-buckets from SQL, {len(theirs)} from the Rust scanner, "
                      f"{len(result['learners'])} learners")
                problems = diff(theirs, ours)
                if not theirs:
                    problems.append("the Rust scanner found no evidence: the check would be vacuous")
                return problems

            checks.run(f"evidence.sql (as `streak-repair sql` renders it) equals the Rust scanner on {name}",
                       evidence)
            if (case / "calendars.csv").is_file() and result.get("learners"):
                checks.run(f"calendars.sql returns the affected learners' rows of {name}",
                           lambda case=case, result=result: run_calendars(case, result["con"],
                                                                          result["learners"]))
            if (case / "learners.csv").is_file() and result.get("learners"):
                checks.run(f"learners.sql returns the affected learners' zones of {name}",
                           lambda case=case, result=result: run_learners(case, result["con"],
                                                                         result["learners"]))
            if (case / "athena").is_dir():
                checks.run(f"{name}/athena (the Athena test's fixture) is what the SQL writes",
                           lambda case=case: same_results(case, regex))

    print(f"sql_check took {time.monotonic() - started:.1f}s")
    print(f"{checks.passed} passed, {checks.failed} failed")
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
