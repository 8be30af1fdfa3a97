-- learners.sql: the zone of each affected learner (SPEC §2 "Learners"), from a learners
-- table in Athena, for `plan` to read instead of a whole export. Athena engine v3 (Trino).
--
-- Parameters: none.
-- Placeholders (identifiers, each ^[a-z][a-z0-9_]{0,127}$):
--    {{database}}        the incident's athena.database
--    {{learners_table}}  athena.learners_table, with columns learner_id (as in
--                        calendars.sql) and tz (STRING, an IANA zone name or empty)
--    {{affected_table}}  the run's scratch table (affected_table.sql)
--
-- Result columns, one row per affected learner listed in the table, sorted by learner
-- (numerically):
--    learner_id  VARCHAR  plain decimal without leading zeros
--    tz          VARCHAR  the zone name, trimmed; NULL when no row gives one. A learners
--                         FILE that lists a learner twice counts its first row; a table
--                         has no first row, so of several non-empty names this takes the
--                         smallest (byte order) - deterministic, and a repeated learner
--                         with different zones is a data problem to fix upstream. (So
--                         run.json's learners_file_repeated_rows is 0 for this source.)
WITH
affected AS (
    SELECT DISTINCT learner_id AS id
    FROM "{{database}}"."{{affected_table}}"
),

learner AS (
    SELECT
        CASE WHEN id_text <> '' AND NOT regexp_like(id_text, '[^0-9]')
             THEN coalesce(nullif(regexp_replace(id_text, '^0+', ''), ''), '0')
             ELSE id_text
        END AS learner_id,
        nullif(trim(tz_text), '') AS tz
    FROM (
        SELECT trim(CAST(learner_id AS VARCHAR)) AS id_text, CAST(tz AS VARCHAR) AS tz_text
        FROM "{{database}}"."{{learners_table}}"
    ) t
)

SELECT l.learner_id, min(l.tz) AS tz
FROM learner l
JOIN affected a ON l.learner_id = a.id
GROUP BY l.learner_id
ORDER BY length(l.learner_id), l.learner_id
