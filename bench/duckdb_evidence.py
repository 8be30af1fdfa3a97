#!/usr/bin/env python3
"""The peer: DuckDB doing streak-repair's evidence extraction over S3 access logs.

Its fastest approach here, the CSV reader splitting every line on spaces (no quote
handling, so `"GET /key?q HTTP/1.1"` is three columns; lines whose earlier fields hold
spaces are misread, which only flatters DuckDB's time): keep GET/HEAD of `brb/` keys with status 200/206/304 inside the windows, take the
learner id from the query string, and per learner the first and last second and the
distinct request ids. Usage: duckdb_evidence.py INCIDENT.toml OUT.parquet LOG...
"""
import sys
import tomllib
from datetime import datetime

import duckdb

incident = tomllib.load(open(sys.argv[1], "rb"))
windows = incident["window"] if isinstance(incident["window"], list) else [incident["window"]]
spans = [(int(datetime.fromisoformat(str(w["start"]).replace("Z", "+00:00")).timestamp()),
          int(datetime.fromisoformat(str(w["end"]).replace("Z", "+00:00")).timestamp())) for w in windows]
in_windows = " OR ".join(f"(t >= {s} AND t < {e})" for s, e in spans)
con = duckdb.connect()
con.execute(f"""
COPY (
  SELECT learner_id, min(t) AS first_time, max(t) AS last_time, count(DISTINCT request_id) AS hits
  FROM (
    SELECT epoch(try_strptime(column02 || ' ' || column03, '[%d/%b/%Y:%H:%M:%S %z]'))::BIGINT AS t,
           column06 AS request_id,
           regexp_extract(column10, '[?&]learner_id=([0-9]+)', 1) AS learner_id
    FROM read_csv($files, delim = ' ', quote = '', escape = '', header = false,
                  all_varchar = true, ignore_errors = true, null_padding = true,
                  strict_mode = false, auto_detect = false, columns = {{
                    {", ".join(f"'column{i:02d}': 'VARCHAR'" for i in range(40))}
                  }})
    WHERE column01 = 'duo-brb'
      AND column07 IN ('REST.GET.OBJECT', 'REST.HEAD.OBJECT')
      AND starts_with(column08, 'brb/')
      AND column12 IN ('200', '206', '304')
  )
  WHERE learner_id <> '' AND ({in_windows})
  GROUP BY learner_id
) TO '{sys.argv[2]}' (FORMAT parquet)
""", {"files": sys.argv[3:]})
print(con.execute(f"SELECT count(*), sum(hits) FROM '{sys.argv[2]}'").fetchone())
