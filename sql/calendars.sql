-- calendars.sql: the streak calendar rows (SPEC §2 "Calendars") of the affected learners
-- only, from a calendars table in Athena, for `plan` to read instead of a whole export.
-- Athena engine v3 (Trino).
--
-- Parameters: none.
-- Placeholders (identifiers, each ^[a-z][a-z0-9_]{0,127}$):
--    {{database}}         the incident's athena.database
--    {{calendars_table}}  athena.calendars_table, with columns
--        learner_id  the learner id: STRING or DECIMAL(20,0) (a u64 can exceed BIGINT;
--                    BIGINT works while every id is below 2^63), leading zeros allowed
--        date        the learner's local date: DATE, or STRING as YYYY-MM-DD
--        kind        practice | freeze | repair
--    {{affected_table}}   the run's scratch table (affected_table.sql): the learners the
--                         evidence query returned, plain decimal without leading zeros
--
-- Result columns, sorted by learner (numerically), date, kind:
--    learner_id  VARCHAR  plain decimal without leading zeros, as evidence.sql returns it
--    date        VARCHAR  YYYY-MM-DD
--    kind        VARCHAR  as stored; the Rust reader validates and counts bad rows as it does
--                         for a CSV export (every row is returned: no date bound, since the
--                         calendar must reach back to the start of each current streak)
WITH
affected AS (
    SELECT DISTINCT learner_id AS id
    FROM "{{database}}"."{{affected_table}}"
),

calendar AS (
    SELECT
        -- The id as plain decimal text: a DECIMAL or BIGINT casts to it directly, a STRING
        -- of digits loses surrounding spaces and leading zeros (as the file readers do); anything else (empty, NULL, not digits) stays
        -- as it is and matches no learner.
        CASE WHEN id_text <> '' AND NOT regexp_like(id_text, '[^0-9]')
             THEN coalesce(nullif(regexp_replace(id_text, '^0+', ''), ''), '0')
             ELSE id_text
        END AS learner_id,
        "date",
        kind
    FROM (
        SELECT
            trim(CAST(learner_id AS VARCHAR)) AS id_text,
            CAST("date" AS VARCHAR) AS "date",
            CAST(kind AS VARCHAR) AS kind
        FROM "{{database}}"."{{calendars_table}}"
    ) t
)

SELECT c.learner_id, c."date", c.kind
FROM calendar c
JOIN affected a ON c.learner_id = a.id
ORDER BY length(c.learner_id), c.learner_id, c."date", c.kind
