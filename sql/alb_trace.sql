-- alb_trace.sql: every logged hop of one trace, as raw lines, from the table that
-- alb_access_log_table.sql creates. Athena engine v3 (Trino). The tool wraps it in
--   UNLOAD (...) TO '{run folder}/trace/' WITH (format = 'PARQUET', compression = 'SNAPPY')
-- and reqtrace parses the lines with its own parser (src/logs/alb.rs and src/trace/), so
-- one grammar decides what a hop is, whether it came from a file, S3 or Athena.
--
-- Parameters, in this order (Athena ExecutionParameters; each a SQL string literal, at most
-- 1024 characters as Athena caps them; Athena takes `?` only in WHERE clauses):
--    1 first_day   partitions to read, yyyy/MM/dd: the UTC date of the Root's own epoch (its 8
--    2 last_day      hex digits are the entry hop's time in seconds, TRACING.md), and the day
--                    after it: a request may cross midnight, and a line sits in the folder of
--                    the day its object was written (the end of its 5-minute interval).
--                    Compared with the partition column so that partition projection prunes.
--    3 root        the trace's Root, `1-{8 hex}-{24 hex}`, lower case.
-- Placeholders (identifiers, validated as in alb_access_log_table.sql): {{database}}, {{table}}.
--
-- Result column, one row per line, in no order (reqtrace sorts):
--    line  VARCHAR  the log line as read, for `reqtrace` to parse.
--
-- Which lines: those the table's regex accepts (line IS NOT NULL) whose trace_id, quotes
-- stripped and split on `;`, holds a field that is `Root=` and the root, after the ASCII
-- spaces, tabs, CR, LF and form feeds around it are trimmed (src/trace/header.rs's rule). The
-- comparison is case-insensitive, key included: a line with `ROOT=` or an upper-case id
-- comes back too, and the parser decides (it reads hex in either case, and a key other than
-- `Root` as no Root). Nothing is de-duplicated: a log object delivered twice gives its lines
-- twice, as the files do, and the stitcher deals with repeats.
SELECT line
FROM "{{database}}"."{{table}}"
WHERE day BETWEEN CAST(? AS VARCHAR) AND CAST(? AS VARCHAR)
  AND line IS NOT NULL
  AND contains(
        transform(
          split(lower(CASE WHEN trace_id LIKE '"%' THEN substr(trace_id, 2, length(trace_id) - 2) ELSE trace_id END), ';'),
          f -> regexp_replace(f, '^[ \t\n\f\r]+|[ \t\n\f\r]+$', '')),
        'root=' || lower(CAST(? AS VARCHAR)))
