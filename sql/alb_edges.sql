-- alb_edges.sql: one window's service dependency edges, aggregated in Athena from the table
-- that alb_access_log_table.sql creates: per (caller, callee), how many calls, how many
-- failed, how long they took and how many bytes they moved. Athena engine v3 (Trino). The
-- tool wraps it in UNLOAD (...) TO '{run folder}/edges/' WITH (format = 'PARQUET', ...).
--
-- Parameters, in this order (Athena ExecutionParameters; each a SQL string literal; Athena
-- takes `?` only in WHERE clauses):
--    1 first_day   partitions to read, yyyy/MM/dd: the UTC date of window_start, and that of
--    2 last_day      window_end + 15 minutes (a line sits in the folder of the day its object
--                    was written, at the end of its 5-minute interval; AWS delivers within
--                    minutes). Compared with the partition column so that partition projection
--                    prunes.
--    3 window_start  the window, half-open [start, end), on each line's `time` (when the load
--    4 window_end      balancer sent the response), in Unix microseconds as decimal text.
-- Placeholders (identifiers, validated as in alb_access_log_table.sql): {{database}}, {{table}}.
--
-- Result columns, one row per (caller, callee), sorted by caller (NULL first), then callee:
--    caller          VARCHAR  the `Caller` field of trace_id: the calling service
--                             (TRACING.md); NULL when the line has no well-formed `Caller`
--                             (exactly one field, [a-z0-9][a-z0-9._-]{0,62}): entry hops, and
--                             hops whose caller is unknown (the 7 KB rule, or a client's header)
--    callee          VARCHAR  the hop's service: the target group's name (`targetgroup/{name}/`
--                             in target_group_arn), else domain_name, else the load balancer's
--                             name (the middle of elb's `app/{name}/{id}`, else elb as logged)
--    calls           BIGINT   hops: distinct lines (a log object delivered twice counts once;
--                             every hop's line is unique, by its Self or its entry Root)
--    errors          BIGINT   hops whose status is 500 or more (target_status_code when the
--                             target answered, else elb_status_code), or that the load balancer
--                             answered itself with a 4xx/5xx (no target status): Hop::outcome's rule
--    entries         BIGINT   hops without Self: entry hops (caller is then NULL, unless a
--                             header sent to the entry ALB named a Caller)
--    p50_ms, p99_ms  DOUBLE   approx_percentile of the hops' latency, time - request_creation_time
--                             in milliseconds (to the microsecond, negative clamped to 0 as
--                             src/trace/hop.rs does); NULL when no hop of the row logs a
--                             request_creation_time. Approximate (Trino's digest, rank error
--                             about 1%); tests/alb_sql_check.py checks the exact percentile
--                             (linear interpolation) of the same values
--    request_bytes   BIGINT   sum of received_bytes (`-` as 0)
--    response_bytes  BIGINT   sum of sent_bytes (`-` as 0)
--    gap_p50_ms      DOUBLE   approx_percentile(latency - target_processing_time * 1000, 0.5): the
--                             time a hop spent outside its target (the load balancer, the network
--                             between services); hops whose target_processing_time is -1 (no
--                             target answered) are left out; NULL when none is left
--
-- Which lines: those the table's regex accepts whose trace_id is a hop's header by
-- src/trace/header.rs: quotes stripped, split on `;`, each field trimmed of ASCII white space,
-- exactly one `Root` and at most one `Self`, each `1-{8 hex}-{24 hex}` (a line without is no
-- hop, and is in no row). `Caller` is read as the parser reads it, whatever `CallerSelf` says:
-- an edge says who called whom; CallerSelf only places the hop in its tree.
-- Integers are CAST, not try_cast: a byte count past BIGINT fails the query rather than
-- vanishing from a sum.
--
-- `reqtrace deps` computes the same edges locally from stitched hops (tests/alb_sql_check.py
-- holds the two equal on generated AWS-shaped traffic). On corrupt input they differ: deps
-- keeps one line per Self where this query counts distinct lines, and a line without
-- request_creation_time has latency 0 there and NULL here.
WITH
fields AS (
    SELECT DISTINCT
        line,
        CASE WHEN time LIKE '"%' THEN substr(time, 2, length(time) - 2) ELSE time END AS time,
        NULLIF(NULLIF(CASE WHEN request_creation_time LIKE '"%' THEN substr(request_creation_time, 2, length(request_creation_time) - 2) ELSE request_creation_time END, '-'), '') AS created,
        CASE WHEN elb LIKE '"%' THEN substr(elb, 2, length(elb) - 2) ELSE elb END AS elb,
        NULLIF(NULLIF(CASE WHEN target_group_arn LIKE '"%' THEN substr(target_group_arn, 2, length(target_group_arn) - 2) ELSE target_group_arn END, '-'), '') AS target_group_arn,
        NULLIF(NULLIF(CASE WHEN domain_name LIKE '"%' THEN substr(domain_name, 2, length(domain_name) - 2) ELSE domain_name END, '-'), '') AS domain_name,
        coalesce(CASE WHEN trace_id LIKE '"%' THEN substr(trace_id, 2, length(trace_id) - 2) ELSE trace_id END, '') AS trace_id,
        NULLIF(NULLIF(CASE WHEN elb_status_code LIKE '"%' THEN substr(elb_status_code, 2, length(elb_status_code) - 2) ELSE elb_status_code END, '-'), '') AS elb_status,
        NULLIF(NULLIF(CASE WHEN target_status_code LIKE '"%' THEN substr(target_status_code, 2, length(target_status_code) - 2) ELSE target_status_code END, '-'), '') AS target_status,
        CASE WHEN target_processing_time LIKE '"%' THEN substr(target_processing_time, 2, length(target_processing_time) - 2) ELSE target_processing_time END AS target_seconds,
        NULLIF(NULLIF(CASE WHEN received_bytes LIKE '"%' THEN substr(received_bytes, 2, length(received_bytes) - 2) ELSE received_bytes END, '-'), '') AS received_bytes,
        NULLIF(NULLIF(CASE WHEN sent_bytes LIKE '"%' THEN substr(sent_bytes, 2, length(sent_bytes) - 2) ELSE sent_bytes END, '-'), '') AS sent_bytes
    FROM "{{database}}"."{{table}}"
    WHERE day BETWEEN CAST(? AS VARCHAR) AND CAST(? AS VARCHAR)
      AND line IS NOT NULL
),

-- Times to Unix microseconds by hand (the regex checked the shape and the calendar):
-- from_iso8601_timestamp keeps milliseconds only. Digits past the sixth are dropped, as the
-- Rust parser drops them.
timed AS (
    SELECT
        fields.*,
        date_diff('second', TIMESTAMP '1970-01-01 00:00:00', date_parse(substr(time, 1, 19), '%Y-%m-%dT%H:%i:%s')) * 1000000
          + CAST(rpad(CASE WHEN length(time) > 20 THEN substr(time, 21, length(time) - 21) ELSE '' END, 6, '0') AS BIGINT) AS end_us,
        date_diff('second', TIMESTAMP '1970-01-01 00:00:00', date_parse(substr(created, 1, 19), '%Y-%m-%dT%H:%i:%s')) * 1000000
          + CAST(rpad(CASE WHEN length(created) > 20 THEN substr(created, 21, length(created) - 21) ELSE '' END, 6, '0') AS BIGINT) AS start_us,
        transform(split(trace_id, ';'), f -> regexp_replace(f, '^[ \t\n\f\r]+|[ \t\n\f\r]+$', '')) AS header
    FROM fields
),

hops AS (
    SELECT
        CASE WHEN cardinality(filter(header, f -> split_part(f, '=', 1) = 'Caller')) = 1
              AND regexp_like(element_at(filter(header, f -> split_part(f, '=', 1) = 'Caller'), 1),
                              '^Caller=[a-z0-9][a-z0-9._-]{0,62}$')
             THEN substr(element_at(filter(header, f -> split_part(f, '=', 1) = 'Caller'), 1), 8)
        END AS caller,
        coalesce(
            NULLIF(regexp_extract(target_group_arn, 'targetgroup/([^/]+)/', 1), ''),
            domain_name,
            CASE WHEN regexp_like(elb, '^[a-z]+/[^/]+/[^/]+$') THEN split_part(elb, '/', 2) ELSE elb END
        ) AS callee,
        cardinality(filter(header, f -> split_part(f, '=', 1) = 'Self')) = 1 AS has_self,
        CAST(coalesce(target_status, elb_status) AS INTEGER) AS status,
        target_status IS NULL AND CAST(elb_status AS INTEGER) >= 400 AS elb_made,
        CAST(CASE WHEN end_us > start_us THEN end_us - start_us WHEN start_us IS NOT NULL THEN 0 END AS DOUBLE) / 1000 AS latency_ms,
        CASE WHEN CAST(target_seconds AS DOUBLE) >= 0
             THEN CAST(CASE WHEN end_us > start_us THEN end_us - start_us WHEN start_us IS NOT NULL THEN 0 END AS DOUBLE) / 1000
                  - CAST(target_seconds AS DOUBLE) * 1000
        END AS gap_ms,
        coalesce(CAST(received_bytes AS BIGINT), 0) AS request_bytes,
        coalesce(CAST(sent_bytes AS BIGINT), 0) AS response_bytes
    FROM timed
    WHERE end_us >= CAST(? AS BIGINT)
      AND end_us < CAST(? AS BIGINT)
      AND cardinality(filter(header, f -> split_part(f, '=', 1) = 'Root')) = 1
      AND cardinality(filter(header, f -> split_part(f, '=', 1) = 'Self')) <= 1
      AND cardinality(filter(header, f -> split_part(f, '=', 1) IN ('Root', 'Self')
                                          AND NOT regexp_like(f, '^(Root|Self)=1-[0-9A-Fa-f]{8}-[0-9A-Fa-f]{24}$'))) = 0
)

SELECT
    caller,
    callee,
    CAST(count(*) AS BIGINT) AS calls,
    CAST(sum(CASE WHEN status >= 500 OR elb_made THEN 1 ELSE 0 END) AS BIGINT) AS errors,
    CAST(sum(CASE WHEN has_self THEN 0 ELSE 1 END) AS BIGINT) AS entries,
    approx_percentile(latency_ms, 0.5) AS p50_ms,
    approx_percentile(latency_ms, 0.99) AS p99_ms,
    CAST(sum(request_bytes) AS BIGINT) AS request_bytes,
    CAST(sum(response_bytes) AS BIGINT) AS response_bytes,
    approx_percentile(gap_ms, 0.5) AS gap_p50_ms
FROM hops
GROUP BY caller, callee
ORDER BY caller NULLS FIRST, callee
