-- evidence.sql: one incident's BRB evidence (SPEC §2), per learner and per 15-minute UTC
-- bucket, from the table that access_log_table.sql creates. Athena engine v3 (Trino).
--
-- Parameters, in this order (Athena ExecutionParameters; each value is a SQL literal: a
-- string in single quotes with every ' doubled, or NULL, at most 1024 characters as Athena
-- caps them). Athena takes `?` only in WHERE clauses, so each one sits in a filter. Lists are
-- one comma-separated string with no spaces, which every Athena client can pass (the windows
-- list fits 46 windows):
--    1 first_day      partitions to read, yyyy/MM/dd, from the UTC date of
--    2 last_day         (earliest start - 15 minutes) to that of (latest end + the delivery lag,
--                       24 hours by default), as the S3 source prunes object keys. They are
--                       compared with the partition column so that partition projection prunes.
--    3 bucket         the log's bucket field must equal it; NULL accepts any bucket
--    4 operations     e.g. 'REST.GET.OBJECT,REST.HEAD.OBJECT'
--    5 statuses       e.g. '200,206,304'
--    6 windows        half-open [start, end) windows in epoch seconds (UTC), start/end pairs,
--                     e.g. '1795179600/1795192200,1795356000/1795361400'; they may overlap
--    7 key_prefix     the key, percent-decoded, must start with it
--    8 learner_param  query parameter holding the learner id, e.g. 'learner_id'
--    9 tz_param       query parameter holding the IANA zone, e.g. 'tz'
-- Placeholders (identifiers, not parameters; validated as in access_log_table.sql):
--    {{database}}, {{table}}  the access-log table.
--
-- Result columns, one row per (learner_id, bucket_start), sorted by learner (numerically),
-- then bucket_start:
--    learner_id    VARCHAR  the learner id in plain decimal without leading zeros; a u64 can
--                           exceed BIGINT, so it stays text
--    bucket_start  BIGINT   epoch second of the bucket's start, a multiple of 900
--    first_time    BIGINT   epoch second of the bucket's earliest evidence record
--    last_time     BIGINT   epoch second of its latest
--    hits          BIGINT   distinct records: one per request id after de-duplication (a
--                           record without a request id counts on its own, as in the Rust
--                           scanner); each record is in exactly one bucket, so hits add up
--    latest_tz     VARCHAR  the tz parameter of the bucket's latest record that has a
--                           non-empty one (by time, then request id), NULL if none did
--    tz_params     VARCHAR  JSON array of the bucket's distinct non-empty tz parameters,
--                           latest first (latest_tz is its first element). The Rust side picks
--                           the first one that is a valid zone, newest bucket first, which
--                           is exactly "the latest record whose tz_param is a valid zone".
--    tz_hits       VARCHAR  JSON array of how many of the bucket's records carried each of
--                           tz_params, in the same order (run.json counts the records whose
--                           parameter is not a valid zone).
--
-- Why 15-minute UTC buckets are enough. Local days stay in Rust: this query returns epoch
-- seconds and never uses AT TIME ZONE (whose meaning differs between engines). The mapping
-- from a bucket to a local date is exact when every instant of a bucket has the same local
-- date, which holds when each zone's offset is a whole number of quarter hours and its
-- transitions fall on UTC quarter hours: then every local midnight, and every jump of the
-- local date, is at a bucket boundary. That is true of every zone's current offset and
-- rules (tzdata 2025b). It is not true of
--   * Antarctica/Casey, whose +08 -> +11 changes of 2020-2022 were at 00:01 local
--     (16:01Z), off the quarter hours (they jump forward within one date, so no bucket
--     straddles a date there);
--   * America/St_Johns and America/Goose_Bay (1987-2010) and America/Moncton (1993-2006),
--     which fell back at 00:01 local to 23:01 of the day before, so the bucket holding
--     each such change spans two local dates; Asia/Gaza and Asia/Hebron (2010-2011) and
--     Pacific/Guam and Pacific/Saipan (1976) changed at hh:01 within one date;
--   * Africa/Monrovia (-00:44:30 until 1972) and Pacific/Kiritimati (-10:40 until 1979),
--     and the local mean time (LMT) that 388 of the 447 zones used before standard time,
--     whose midnights are not on a quarter hour at all.
-- Since S3 access logs began (2006) that leaves the 00:01 fall-backs of St_Johns, Goose_Bay
-- and Moncton. As the tz database can change, the Rust side maps each bucket's first_time
-- and last_time to local dates and counts the buckets where the two differ (within 15
-- minutes the local date changes at most once, so first and last show it).
--
-- Matching follows src/evidence.rs and src/query.rs, step by step below. Deliberately not used:
--   * url_extract_parameter: Trino parses the whole URL with java.net.URI (NULL for any URL
--     with a space, `|`, `"` or a stray `%`), compares the name undecoded, and decodes the
--     value with URLDecoder, which turns `+` into a space (Etc/GMT+12 -> "Etc/GMT 12") and
--     fails the query on a malformed escape;
--   * url_decode on raw text, for the same URLDecoder reasons; see "decoded" below;
--   * regexp_extract to test for presence (NULL on no match in Trino, '' in DuckDB), and `$`
--     on decoded text, which may hold a newline (Trino's Joni also matches `$` before one).
-- Every question mark in this file is one of the 9 parameters, except the two string
-- literals in strpos(target, '?') below.
WITH
-- The fields the rules read, as the Rust parser returns them: surrounding quotes stripped,
-- `-` and `"-"` as NULL. Lines the table's regex rejected have NULL everywhere.
fields AS (
    SELECT
        NULLIF(CASE WHEN bucket LIKE '"%' THEN substr(bucket, 2, length(bucket) - 2) ELSE bucket END, '-') AS bucket,
        NULLIF(CASE WHEN request_id LIKE '"%' THEN substr(request_id, 2, length(request_id) - 2) ELSE request_id END, '-') AS request_id,
        NULLIF(CASE WHEN operation LIKE '"%' THEN substr(operation, 2, length(operation) - 2) ELSE operation END, '-') AS operation,
        NULLIF(CASE WHEN key LIKE '"%' THEN substr(key, 2, length(key) - 2) ELSE key END, '-') AS key,
        NULLIF(CASE WHEN request_uri LIKE '"%' THEN substr(request_uri, 2, length(request_uri) - 2) ELSE request_uri END, '-') AS request_uri,
        NULLIF(CASE WHEN http_status LIKE '"%' THEN substr(http_status, 2, length(http_status) - 2) ELSE http_status END, '-') AS http_status,
        request_time
    FROM "{{database}}"."{{table}}"
    WHERE dt BETWEEN CAST(? AS VARCHAR) AND CAST(? AS VARCHAR)
),

records AS (
    SELECT
        bucket,
        request_id,
        operation,
        key,
        try_cast(http_status AS INTEGER) AS http_status,
        -- `dd/Mon/yyyy:HH:MM:SS +hhmm` (the regex checked the shape): date_parse has no %z,
        -- so the offset is applied by hand; an impossible date, hour, minute, second or
        -- offset gives NULL, never a time in a window.
        date_diff('second', TIMESTAMP '1970-01-01 00:00:00',
                  try(date_parse(substr(request_time, 1, 20), '%d/%b/%Y:%H:%i:%s')))
          - CASE WHEN CAST(substr(request_time, 23, 2) AS INTEGER) <= 23
                  AND CAST(substr(request_time, 25, 2) AS INTEGER) <= 59
                 THEN CASE substr(request_time, 22, 1) WHEN '-' THEN -1 ELSE 1 END
                      * (CAST(substr(request_time, 23, 2) AS INTEGER) * 3600
                         + CAST(substr(request_time, 25, 2) AS INTEGER) * 60)
            END AS t,
        -- `METHOD target HTTP/x.y` -> target: drop a last token starting with HTTP/, then
        -- everything up to the first space.
        regexp_replace(regexp_replace(request_uri, ' HTTP/[^ ]*$', ''), '^[^ ]* ', '') AS target
    FROM fields
),

-- The cheap tests first, then the decoded key prefix.
--   decoded(x) = url_decode(replace(regexp_replace(replace(x, '%', '%25'),
--                                                  '%25([0-9A-Fa-f]{2})', '%$1'), '+', '%2B'))
-- is RFC 3986 percent-decoding as src/query.rs does it: every `%` is first escaped as %25,
-- then the ones that began a well-formed escape get their `%` back, and `+` becomes %2B, so
-- url_decode (Java's URLDecoder) sees only well-formed escapes and no `+`: a `+` stays a
-- plus, a malformed escape stays as written, and the query cannot fail on either.
candidates AS (
    SELECT r.*
    FROM records r
    WHERE coalesce(r.bucket, '') = coalesce(CAST(? AS VARCHAR), coalesce(r.bucket, ''))
      AND contains(split(CAST(? AS VARCHAR), ','), r.operation)
      AND contains(transform(split(CAST(? AS VARCHAR), ','), s -> CAST(s AS INTEGER)), r.http_status)
      AND cardinality(filter(
            transform(split(CAST(? AS VARCHAR), ','), w -> CAST(split(w, '/') AS ARRAY(BIGINT))),
            w -> r.t >= w[1] AND r.t < w[2])) > 0
      AND starts_with(
            url_decode(replace(regexp_replace(replace(r.key, '%', '%25'), '%25([0-9A-Fa-f]{2})', '%$1'), '+', '%2B')),
            CAST(? AS VARCHAR))
),

-- The query string: after the first question mark of the target, before any `#`; split on `&`;
-- a pair's name is up to its first `=` (the whole pair when it has none), its value the
-- rest (empty when none). Names and values are decoded separately.
query_pairs AS (
    SELECT
        c.*,
        transform(split(c.query, '&'), pair -> url_decode(replace(regexp_replace(replace(
            CASE WHEN strpos(pair, '=') > 0 THEN substr(pair, 1, strpos(pair, '=') - 1) ELSE pair END,
            '%', '%25'), '%25([0-9A-Fa-f]{2})', '%$1'), '+', '%2B'))) AS names,
        transform(split(c.query, '&'), pair -> url_decode(replace(regexp_replace(replace(
            CASE WHEN strpos(pair, '=') > 0 THEN substr(pair, strpos(pair, '=') + 1) ELSE '' END,
            '%', '%25'), '%25([0-9A-Fa-f]{2})', '%$1'), '+', '%2B'))) AS vals
    FROM (
        SELECT
            candidates.*,
            CASE WHEN strpos(target, '?') > 0
                 THEN split_part(substr(target, strpos(target, '?') + 1), '#', 1)
            END AS query
        FROM candidates
    ) c
),

-- The parameter names, as one-row tables (empty when no candidate carries the name): a
-- parameter may only filter, so the names are found among the decoded names by a WHERE.
learner_name AS (
    SELECT DISTINCT n AS name
    FROM query_pairs CROSS JOIN UNNEST(names) AS u (n)
    WHERE n = CAST(? AS VARCHAR)
),

tz_name AS (
    SELECT DISTINCT n AS name
    FROM query_pairs CROSS JOIN UNNEST(names) AS u (n)
    WHERE n = CAST(? AS VARCHAR)
),

-- The FIRST pair with the name counts, even when its value is unusable.
named AS (
    SELECT
        t, request_id, key, http_status,
        CASE WHEN array_position(names, l.name) > 0
             THEN element_at(vals, array_position(names, l.name)) END AS learner_value,
        NULLIF(CASE WHEN array_position(names, z.name) > 0
                    THEN element_at(vals, array_position(names, z.name)) END, '') AS tz
    FROM query_pairs
    CROSS JOIN learner_name l
    LEFT JOIN tz_name z ON true
),

-- A learner id is an unsigned 64-bit integer in plain decimal: digits only (leading zeros
-- allowed), at most 18446744073709551615. Compared as text, so it never overflows.
evidence AS (
    SELECT t, request_id, key, http_status, tz, learner_id
    FROM (
        SELECT
            named.*,
            CASE WHEN learner_value <> '' AND NOT regexp_like(learner_value, '[^0-9]')
                 THEN coalesce(nullif(regexp_replace(learner_value, '^0+', ''), ''), '0')
            END AS learner_id
        FROM named
    ) n
    WHERE length(learner_id) < 20
       OR (length(learner_id) = 20 AND learner_id <= '18446744073709551615')
),

-- One record per request id: of the copies, the one that sorts first by learner (numeric),
-- time, key, status, tz (NULL first), as src/evidence.rs keeps it. Records without a
-- request id are all kept.
deduped AS (
    SELECT *
    FROM (
        SELECT
            evidence.*,
            row_number() OVER (
                PARTITION BY request_id
                ORDER BY length(learner_id), learner_id, t, key, http_status, tz ASC NULLS FIRST
            ) AS copy
        FROM evidence
    ) e
    WHERE request_id IS NULL OR copy = 1
),

-- Recency inside a bucket: 1 = the record that sorts last by time, request id (NULL
-- first), key, status, tz, i.e. the latest one.
ranked AS (
    SELECT
        learner_id,
        t - t % 900 AS bucket_start,
        t,
        tz,
        row_number() OVER (
            PARTITION BY learner_id, t - t % 900
            ORDER BY t DESC, request_id DESC NULLS LAST, key DESC, http_status DESC, tz DESC NULLS LAST
        ) AS recency
    FROM deduped
),

per_tz AS (
    SELECT
        learner_id,
        bucket_start,
        tz,
        min(t) AS first_time,
        max(t) AS last_time,
        count(*) AS hits,
        min(recency) AS recency
    FROM ranked
    GROUP BY learner_id, bucket_start, tz
)

SELECT
    learner_id,
    bucket_start,
    min(first_time) AS first_time,
    max(last_time) AS last_time,
    sum(hits) AS hits,
    element_at(array_agg(tz ORDER BY recency) FILTER (WHERE tz IS NOT NULL), 1) AS latest_tz,
    json_format(CAST(array_agg(tz ORDER BY recency) FILTER (WHERE tz IS NOT NULL) AS JSON)) AS tz_params,
    json_format(CAST(array_agg(hits ORDER BY recency) FILTER (WHERE tz IS NOT NULL) AS JSON)) AS tz_hits
FROM per_tz
GROUP BY learner_id, bucket_start
ORDER BY length(learner_id), learner_id, bucket_start
