-- drop_affected_table.sql: removes the scratch table of affected_table.sql. The table is
-- external, so its files (the evidence results) stay where they are.
-- Placeholders: {{database}}, {{affected_table}} as in affected_table.sql.
DROP TABLE IF EXISTS `{{database}}`.`{{affected_table}}`
