-- affected_table.sql: a scratch table over the evidence query's UNLOAD folder, so that
-- calendars.sql and learners.sql read only the affected learners' rows in one query each.
-- Athena caps an execution parameter at 1024 characters (about 48 learner ids), so the
-- ids cannot travel as parameters; a table over the Parquet files already written needs
-- no copy and no size limit. The tool creates it after the evidence query succeeds and
-- drops it (drop_affected_table.sql) when the run ends, failed or not.
--
-- Placeholders (a DDL statement takes no execution parameters; each value is validated):
--   {{database}}        the incident's athena.database: ^[a-z][a-z0-9_]{0,127}$
--   {{affected_table}}  streak_repair_affected_<run id>, same pattern
--   {{location}}        the evidence UNLOAD folder, s3://bucket/prefix/ in S3's safe
--                       characters (no quote, backslash, space or `$`)
-- Columns: learner_id STRING, the evidence query's first column (Parquet columns are
-- matched by name, so the other columns of the files are ignored).
CREATE EXTERNAL TABLE `{{database}}`.`{{affected_table}}` (
  `learner_id` STRING
)
STORED AS PARQUET
LOCATION '{{location}}'
