-- calendars.sql: the streak calendar rows (SPEC §2 "Calendars") of the affected learners
-- only, from a calendars table in Athena, for `plan` to read instead of a whole export.
-- Athena engine v3 (Trino).
--
-- Parameters (Athena ExecutionParameters; a SQL literal: a string in single quotes):
--    1 learner_ids  the affected learners (those evidence.sql returned), plain decimal,
--                   comma-separated, no spaces, e.g. '1001,1002,18446744073709551557'.
--                   Athena caps each execution-parameter value at 1024 characters, so one
--                   run takes about 48 ids of 20 digits (more when they are shorter): the
--                   tool runs the query once per batch of ids that fits and concatenates the
--                   results (each learner's rows come back in one batch). Every run reads the
--                   whole calendars table, so this suits incidents with few learners; for a
--                   large one, join the calendars with a table of the affected ids instead.
-- Placeholders (identifiers, not parameters; each matches ^[a-z][a-z0-9_]{0,127}$):
--    {{database}}, {{calendars_table}}  the calendars table, with columns
--        learner_id  the learner id: STRING or DECIMAL(20,0) (a u64 can exceed BIGINT;
--                    BIGINT works while every id is below 2^63), leading zeros allowed
--        date        the learner's local date: DATE, or STRING as YYYY-MM-DD
--        kind        practice | freeze | repair
--
-- Result columns, sorted by learner (numerically), date, kind:
--    learner_id  VARCHAR  plain decimal without leading zeros, as evidence.sql returns it
--    date        VARCHAR  YYYY-MM-DD
--    kind        VARCHAR  as stored; the Rust reader validates and counts bad rows as it does
--                         for a CSV export (every row is returned: no date bound, since the
--                         calendar must reach back to the start of each current streak)
WITH
affected AS (
    SELECT DISTINCT id
    FROM UNNEST(split(CAST(? AS VARCHAR), ',')) AS ids (id)
),

calendar AS (
    SELECT
        -- The id as plain decimal text: a DECIMAL or BIGINT casts to it directly, a STRING
        -- of digits loses its leading zeros; anything else (empty, NULL, not digits) stays
        -- as it is and matches no learner.
        CASE WHEN id_text <> '' AND NOT regexp_like(id_text, '[^0-9]')
             THEN coalesce(nullif(regexp_replace(id_text, '^0+', ''), ''), '0')
             ELSE id_text
        END AS learner_id,
        "date",
        kind
    FROM (
        SELECT
            CAST(learner_id AS VARCHAR) AS id_text,
            CAST("date" AS VARCHAR) AS "date",
            CAST(kind AS VARCHAR) AS kind
        FROM "{{database}}"."{{calendars_table}}"
    ) t
)

SELECT c.learner_id, c."date", c.kind
FROM calendar c
JOIN affected a ON c.learner_id = a.id
ORDER BY length(c.learner_id), c.learner_id, c."date", c.kind
