-- access_log_table.sql: the Athena table over S3 server access logs delivered with
-- date-based partitioning, read with partition projection (no crawler, no MSCK REPAIR).
--
-- Log objects are keyed  prefix/account/region/bucket/YYYY/MM/DD/YYYY-MM-DD-hh-mm-ss-Unique
-- (AWS "PartitionedPrefix"; EventTime or DeliveryTime as the date source). The partition
-- column `dt` is that YYYY/MM/DD text; queries must restrict it (evidence.sql does).
--
-- Placeholders. A DDL statement cannot take execution parameters, so the tool writes these
-- values into the text, each only after validating it; anything else is a usage error:
--   {{database}}, {{table}}  the Glue database and table names, each matching
--                     ^[a-z][a-z0-9_]{0,127}$ (Athena folds names to lower case), written
--                     inside backquotes.
--   {{log_location}}  the S3 URI of the date-partitioned folder, ending in the source
--                     bucket's folder and a slash, e.g.
--                     s3://duo-logs/s3/123456789012/us-east-1/duo-brb/
--                     It must match ^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/([A-Za-z0-9!_.*()/-]+/)?$
--                     (an S3 bucket name, then a key prefix of S3's "safe" characters with
--                     no quote, backslash, space or `$`, so it cannot leave the string literal
--                     or inject a `${...}` projection variable).
--   {{first_day}}     the earliest partition to project, yyyy/MM/dd (^[0-9]{4}/[0-9]{2}/[0-9]{2}$,
--                     a real date): when the bucket's partitioned logging began, or earlier.
-- The tool submits the statement from its CREATE keyword on, without this comment block
-- (DDL goes to Athena's Hive-based DDL parser, not to the query engine), once per log
-- location.
--
-- Columns. One per field that AWS documents, in log order, snake_case as in SPEC §2 (`time`
-- is `request_time`), all STRING and holding the text as logged: quoted fields KEEP their
-- quotes (request_uri is `"GET /k?q HTTP/1.1"`), `-` stays `-`, and request_time is the text
-- inside the brackets (`20/Nov/2026:08:05:12 -0500`). Fields absent from an older, shorter
-- record are NULL; extra_fields holds any fields after the 27th, space-separated. evidence.sql
-- strips quotes, maps `-` to NULL and converts times and integers.
--
-- The regex (Java syntax in the SerDe; it uses nothing that RE2 or Python `re` reads
-- differently, so tests/sql_check.py runs the same text in DuckDB): it follows the grammar
-- of src/logs/s3.rs, so a line is a row here exactly when the Rust parser makes it a record:
--   * leading and trailing spaces are allowed, and fields are separated by ONE OR MORE spaces;
--   * a field that starts with `"` is quoted and ends at the first later `"` followed by a
--     space or the end of the line, so a value may hold spaces and quotes:
--       "[^"]*(?:"+[^" ][^"]*)*"*"      (no `" ` inside; written as runs of a character
--                                        class, not as (?:[^"]|"[^ ])*, which Java's regex
--                                        engine runs one recursion per character and can
--                                        overflow its stack on a long value)
--     any other field runs to the next space:  [^ "][^ ]*
--   * the time is [dd/Mon/yyyy:HH:MM:SS +hhmm] with an English month abbreviation;
--   * http_status, bytes_sent, object_size, total_time, turn_around_time are `-` or digits,
--     quoted or not (a line with anything else is rejected by the Rust parser too);
--   * the request URI, quoted, ends at the first `"`-then-space after a token starting `HTTP/`
--     that a status follows, since AWS does not escape a quote in the target:
--       "[^"]*?(?:"+[^"][^"]*?)*?(?: |"+ )HTTP/[^ "]*"     ("GET /" HTTP/1.1" is one field);
--     else it is quoted as any other field;
--   * unlike the Rust parser, a Host Id logged as two tokens (older records) is not rejoined:
--     on such a row the columns from signature_version on are one place to the right (the
--     evidence query reads none of them);
--   * the user agent ends at the first `"`-then-space that is followed by a token without
--     quotes (the version id, which AWS never quotes), so real agents like
--     ""Mozilla/5.0 (...)"  or  "Mozilla "Foo" Bar"  keep every later field in place;
--   * 18 fields (the 2015 layout) up to 27, then any number of extra fields.
-- AWS's published regex (S3 User Guide, Athena example: `... ("[^"]*"|-) ([^ ]*)(?: ([^ ]*)
-- x9)?.*$`) differs where real logs need it. Its user-agent group cannot match an agent that
-- starts with a quote or holds a quote-space (sample S3-DA-H01), its referer group cannot
-- hold a space, and it takes exactly one space between fields: such a line comes back as a
-- row whose every column is NULL, silently. Its nine newer fields are one all-or-nothing
-- optional group followed by `.*$`, so on a 19- to 26-field line (most of the samples)
-- host_id, TLS version and the rest are all NULL, silently. It does not check the integers.
-- Here too a line that does not match is an all-NULL row (the SerDe's rule); count them with
--   SELECT count(*) FROM <table> WHERE dt = '...' AND bucket_owner IS NULL
-- (blank lines are among them) and compare with `streak-repair scan --all`'s rejections.
-- Known gaps against the Rust parser, none reachable with AWS-written logs: a time of the
-- right shape that names no instant (31/Nov, 24:00:00, :60, +2400) is a row here, whose time
-- evidence.sql reads as NULL, so it is never evidence (the Rust parser rejects the line);
-- integers are not checked against the u64/u16 range; a user agent followed by a quoted
-- version id is rejected here (the Rust parser falls back to the first closing quote);
-- Hadoop's line reader also ends a line at a lone `\r`.
--
-- The SerDe needs exactly one capturing group per column: the 28 groups below are the
-- columns in order; every other group is non-capturing. Inside this SQL string literal a
-- backslash is written twice (\\[ is the regex \[).
CREATE EXTERNAL TABLE IF NOT EXISTS `{{database}}`.`{{table}}` (
    bucket_owner STRING,
    bucket STRING,
    request_time STRING,
    remote_ip STRING,
    requester STRING,
    request_id STRING,
    operation STRING,
    key STRING,
    request_uri STRING,
    http_status STRING,
    error_code STRING,
    bytes_sent STRING,
    object_size STRING,
    total_time STRING,
    turn_around_time STRING,
    referer STRING,
    user_agent STRING,
    version_id STRING,
    host_id STRING,
    signature_version STRING,
    cipher_suite STRING,
    authentication_type STRING,
    host_header STRING,
    tls_version STRING,
    access_point_arn STRING,
    acl_required STRING,
    source_region STRING,
    extra_fields STRING
)
PARTITIONED BY (dt STRING)
ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.RegexSerDe'
WITH SERDEPROPERTIES (
    'input.regex' = '^ *("[^"]*(?:"+[^" ][^"]*)*"*"|[^ "][^ ]*) +("[^"]*(?:"+[^" ][^"]*)*"*"|[^ "][^ ]*) +\\[([0-9]{2}/(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)/[0-9]{4}:[0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4})\\] +("[^"]*(?:"+[^" ][^"]*)*"*"|[^ "][^ ]*) +("[^"]*(?:"+[^" ][^"]*)*"*"|[^ "][^ ]*) +("[^"]*(?:"+[^" ][^"]*)*"*"|[^ "][^ ]*) +("[^"]*(?:"+[^" ][^"]*)*"*"|[^ "][^ ]*) +("[^"]*(?:"+[^" ][^"]*)*"*"|[^ "][^ ]*) +("[^"]*?(?:"+[^"][^"]*?)*?(?: |"+ )HTTP/[^ "]*"|"[^"]*(?:"+[^" ][^"]*)*"*"|[^ "][^ ]*) +(-|[0-9]+|"-"|"[0-9]+") +("[^"]*(?:"+[^" ][^"]*)*"*"|[^ "][^ ]*) +(-|[0-9]+|"-"|"[0-9]+") +(-|[0-9]+|"-"|"[0-9]+") +(-|[0-9]+|"-"|"[0-9]+") +(-|[0-9]+|"-"|"[0-9]+") +("[^"]*(?:"+[^" ][^"]*)*"*"|[^ "][^ ]*) +("[^"]*(?:"[^"]*)*?"|[^ "][^ ]*) +([^ "]+)(?: +("[^"]*(?:"+[^" ][^"]*)*"*"|[^ "][^ ]*)(?: +("[^"]*(?:"+[^" ][^"]*)*"*"|[^ "][^ ]*)(?: +("[^"]*(?:"+[^" ][^"]*)*"*"|[^ "][^ ]*)(?: +("[^"]*(?:"+[^" ][^"]*)*"*"|[^ "][^ ]*)(?: +("[^"]*(?:"+[^" ][^"]*)*"*"|[^ "][^ ]*)(?: +("[^"]*(?:"+[^" ][^"]*)*"*"|[^ "][^ ]*)(?: +("[^"]*(?:"+[^" ][^"]*)*"*"|[^ "][^ ]*)(?: +("[^"]*(?:"+[^" ][^"]*)*"*"|[^ "][^ ]*)(?: +("[^"]*(?:"+[^" ][^"]*)*"*"|[^ "][^ ]*)(?: +((?:"[^"]*(?:"+[^" ][^"]*)*"*"|[^ "][^ ]*)(?: +(?:"[^"]*(?:"+[^" ][^"]*)*"*"|[^ "][^ ]*))*))?)?)?)?)?)?)?)?)?)? *$'
)
STORED AS INPUTFORMAT 'org.apache.hadoop.mapred.TextInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION '{{log_location}}'
TBLPROPERTIES (
    'projection.enabled' = 'true',
    'projection.dt.type' = 'date',
    'projection.dt.format' = 'yyyy/MM/dd',
    'projection.dt.range' = '{{first_day}},NOW',
    'projection.dt.interval' = '1',
    'projection.dt.interval.unit' = 'DAYS',
    'storage.location.template' = '{{log_location}}${dt}'
)
