-- alb_access_log_table.sql: the Athena table over Application Load Balancer access logs as
-- AWS delivers them, read with partition projection (no crawler, no MSCK REPAIR).
--
-- Log objects are keyed  prefix/AWSLogs/{account}/elasticloadbalancing/{region}/yyyy/MM/dd/
-- {account}_elasticloadbalancing_{region}_app.{alb}.{id}_{yyyymmddTHHMMZ}_{ip}_{random}.log.gz
-- (the date is the end of the 5-minute interval the object covers, UTC). The partition column
-- `day` is that yyyy/MM/dd text, projected as a date; queries must restrict it (alb_trace.sql
-- and alb_edges.sql do). One table per account and region, as AWS lays the folders out.
--
-- Placeholders. A DDL statement cannot take execution parameters, so the tool writes these
-- values into the text, each only after validating it; anything else is a usage error:
--   {{database}}, {{table}}  the Glue database and table names, each matching
--                     ^[a-z][a-z0-9_]{0,127}$ (Athena folds names to lower case), written
--                     inside backquotes.
--   {{log_location}}  the S3 URI of the region's folder, ending in a slash, e.g.
--                     s3://duo-alb-logs/prod/AWSLogs/123456789012/elasticloadbalancing/us-east-1/
--                     It must match
--                     ^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/([A-Za-z0-9!_.*()/-]+/)?AWSLogs/[0-9]{12}/elasticloadbalancing/[a-z0-9-]+/$
--                     (an S3 bucket name, a key prefix of S3's "safe" characters with no quote,
--                     backslash, space or `$`, so it cannot leave the string literal or inject a
--                     `${...}` projection variable, then AWS's own folders).
--   {{first_day}}     the earliest partition to project, yyyy/MM/dd (^[0-9]{4}/[0-9]{2}/[0-9]{2}$,
--                     a real date): when the load balancer's logging began, or earlier.
-- The tool submits the statement from its CREATE keyword on, without this comment block
-- (DDL goes to Athena's Hive-based DDL parser, not to the query engine).
--
-- Columns, all STRING, holding the text as logged: quoted fields KEEP their quotes
-- (request is `"GET https://h:443/p HTTP/1.1"`), `-` stays `-`; the queries strip quotes and
-- map `-` to NULL. Fields absent from an older, shorter line are NULL.
--   line         the whole line as read (leading and trailing spaces included): what
--                alb_trace.sql returns, for reqtrace to parse with src/logs/alb.rs, so one
--                grammar serves local files, S3 and Athena. NULL when the regex rejects the
--                line, like every column.
--   type ... request_transform_status  the 33 documented fields in log order, named as
--                src/logs/alb.rs's Field::name, except that client:port is client_ip and
--                client_port, and target:port is target_ip and target_port. The ip columns
--                keep IPv6 brackets when the line has them (`[2001:db8::1]`); target_ip and
--                target_port are NULL when the target is `-`.
--   extra_fields any fields after the 33rd, space-separated as logged (AWS appends new
--                fields at the end: this column keeps them until the table learns their names).
--
-- The regex (Java syntax in the SerDe; it uses nothing that RE2 or Python `re` reads
-- differently, so tests/alb_sql_check.py runs the same text in DuckDB and Python): it follows
-- the grammar of src/logs/alb.rs, so a line is a row here exactly when `reqtrace scan` makes it
-- a record, and each column holds that record's field (quotes and brackets aside):
--   * leading and trailing spaces are allowed, and fields are separated by ONE OR MORE spaces;
--   * a field that starts with `"` is quoted and ends at the first later `"` followed by a space
--     or the end of the line:  "[^"]*(?:"+[^" ][^"]*)*"*"  (runs of a character class rather
--     than (?:[^"]|"[^ ])*, which Java's engine runs one recursion per character and can
--     overflow its stack on a long value); any other field runs to the next space: [^ "][^ ]*
--   * the user agent ends at the first `"`-then-space that is followed by a token without
--     quotes (ssl_cipher, which AWS never quotes), so real agents holding quotes keep every
--     later field in place. The regex pins that choice rather than searching for one that
--     fits: the agent's text may not hold a `"`, spaces, a quote-free token and a space
--     (written as the automaton's regular expression), so a line whose later fields are
--     wrong is no row, never a row with its fields shifted;
--   * type is http, https, h2, grpcs, ws or wss (a Classic Load Balancer line, which starts
--     with its time, is no row);
--   * time and request_creation_time are yyyy-MM-ddTHH:mm:ss, 0 to 9 fraction digits, Z, with
--     year 0001 to 9998 and a real date (month lengths and leap years are in the regex) and time
--     of day; request_creation_time may also be `-` (older layouts have no such field);
--   * client is ip:port and target ip:port or `-`: an IPv4 address in dotted decimal without
--     leading zeros, or IPv6 in any RFC 4291 text form Rust's std::net accepts (`::`
--     compression, an IPv4 tail, no zone id), bare or in brackets; the port is decimal up to
--     65535 (leading zeros allowed, as the Rust parser allows them);
--   * the three processing times are -1 or unsigned decimal seconds;
--   * elb_status_code and target_status_code are `-` or decimal up to 65535; received_bytes,
--     sent_bytes and matched_rule_priority `-` or decimal up to 18446744073709551615;
--     a typed field may be quoted ("200"), as the Rust parser strips quotes before checking;
--   * 17 fields (the 2016 layout, ending at target_group_arn) up to 33, then any number of
--     extra fields.
-- AWS's published regex (Athena User Guide, "Create the table for ALB access logs":
--   ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*):([0-9]*) ([^ ]*)[:-]([0-9]*) ([-.0-9]*) ([-.0-9]*)
--   ([-.0-9]*) (|[-0-9]*) (-|[-0-9]*) ([-0-9]*) ([-0-9]*) "([^ ]*) (.*) (- |[^ ]*)"
--   "([^"]*)" ([A-Z0-9-_]+) ([A-Za-z0-9.-]*) ([^ ]*) "([^"]*)" "([^"]*)" "([^"]*)"
--   ([-.0-9]*) ([^ ]*) "([^"]*)" "([^"]*)" "([^ ]*)" "([^\s]+?)" "([^\s]+)" "([^ ]*)"
--   "([^ ]*)" ?([^ ]*)? ?( .*)?   with Hive's escapes undone) differs where real logs need it:
--   * it requires every field up to classification_reason, each quoted field quoted: a line of
--     an older layout (the 2016-2018 ones of 17 to 21 fields, AWS's own launch-era examples),
--     or one whose target:port_list is logged without quotes, is a row whose every column is
--     NULL, silently;
--   * its user-agent group cannot hold a quote, its request groups need exactly three
--     space-separated parts (`"- - - "` passes, but a request line whose URL holds a raw space
--     shifts them), and it takes exactly one space between fields;
--   * it splits request into verb, url and protocol; this table keeps request whole, as the Rust
--     parser does (reqtrace reads the request line itself);
--   * `([^ ]*):([0-9]*)` keeps IPv6 brackets and accepts any text as an address; times,
--     numbers and status codes are checked only as runs of `-.0-9`, and types not at all;
--   * `[:-]` for the target also accepts `-80` or `1.2.3.4-80`;
--   * it has no column for the whole line, which reqtrace needs to parse hops with its own
--     grammar.
-- Here too a line that does not match is an all-NULL row (the SerDe's rule); count them with
--   SELECT count(*) FROM <table> WHERE day = '...' AND line IS NULL
-- (blank lines are among them) and compare with `reqtrace scan`'s rejections.
-- Known gaps against the Rust parser, none reachable with AWS-written logs:
--   * a quoted address ("10.0.0.1:80", which the Rust parser accepts with its quotes
--     stripped) is no row here: one capturing group per column cannot pair the quotes;
--   * ssl_cipher must hold no quote: after an unquoted user agent the Rust parser takes a
--     quoted or quote-holding cipher, and after a quoted agent with no closing quote followed by
--     a quote-free token it falls back to the first closing quote; both are no row here;
--   * a line longer than 1 MiB is a row here (the Rust parser rejects it as line_too_long);
--   * Hadoop's line reader also ends a line at a lone `\r`, and Athena reads bytes that are not
--     UTF-8 as U+FFFD (line then holds the replacement character where the file did not).
--
-- The SerDe needs exactly one capturing group per column: the 37 groups below are the
-- columns in order (the outer one is `line`: Java numbers groups by their opening
-- parenthesis); every other group is non-capturing. Inside this SQL string literal a
-- backslash is written twice (\\. is the regex \.). The regex is generated (ports, integers,
-- dates and IPv6 forms are long alternations); tests/alb_sql_check.py holds it to the parser.
CREATE EXTERNAL TABLE IF NOT EXISTS `{{database}}`.`{{table}}` (
    line STRING,
    type STRING,
    time STRING,
    elb STRING,
    client_ip STRING,
    client_port STRING,
    target_ip STRING,
    target_port STRING,
    request_processing_time STRING,
    target_processing_time STRING,
    response_processing_time STRING,
    elb_status_code STRING,
    target_status_code STRING,
    received_bytes STRING,
    sent_bytes STRING,
    request STRING,
    user_agent STRING,
    ssl_cipher STRING,
    ssl_protocol STRING,
    target_group_arn STRING,
    trace_id STRING,
    domain_name STRING,
    chosen_cert_arn STRING,
    matched_rule_priority STRING,
    request_creation_time STRING,
    actions_executed STRING,
    redirect_url STRING,
    error_reason STRING,
    target_port_list STRING,
    target_status_code_list STRING,
    classification STRING,
    classification_reason STRING,
    conn_trace_id STRING,
    transformed_host STRING,
    transformed_uri STRING,
    request_transform_status STRING,
    extra_fields STRING
)
PARTITIONED BY (day STRING)
ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.RegexSerDe'
WITH SERDEPROPERTIES (
    'input.regex' = '^( *((?:(?:(?:https?|h2|grpcs|wss?))|"(?:(?:https?|h2|grpcs|wss?))")) +((?:(?:(?:(?:000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))|(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)-02-29)T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\\.[0-9]{1,9})?Z)|"(?:(?:(?:000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))|(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)-02-29)T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\\.[0-9]{1,9})?Z)")) +("[^"]*(?:"+[^" ][^"]*)*"*"|[^ "][^ ]*) +((?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?:\\.(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}|(?:(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}|(?:[0-9A-Fa-f]{1,4}:){6}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?:\\.(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}|::(?:(?:[0-9A-Fa-f]{1,4}:){0,6}[0-9A-Fa-f]{1,4}|(?:[0-9A-Fa-f]{1,4}:){0,5}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?:\\.(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3})?|[0-9A-Fa-f]{1,4}::(?:(?:[0-9A-Fa-f]{1,4}:){0,5}[0-9A-Fa-f]{1,4}|(?:[0-9A-Fa-f]{1,4}:){0,4}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?:\\.(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3})?|(?:[0-9A-Fa-f]{1,4}:){1}[0-9A-Fa-f]{1,4}::(?:(?:[0-9A-Fa-f]{1,4}:){0,4}[0-9A-Fa-f]{1,4}|(?:[0-9A-Fa-f]{1,4}:){0,3}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?:\\.(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3})?|(?:[0-9A-Fa-f]{1,4}:){2}[0-9A-Fa-f]{1,4}::(?:(?:[0-9A-Fa-f]{1,4}:){0,3}[0-9A-Fa-f]{1,4}|(?:[0-9A-Fa-f]{1,4}:){0,2}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?:\\.(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3})?|(?:[0-9A-Fa-f]{1,4}:){3}[0-9A-Fa-f]{1,4}::(?:(?:[0-9A-Fa-f]{1,4}:){0,2}[0-9A-Fa-f]{1,4}|(?:[0-9A-Fa-f]{1,4}:){0,1}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?:\\.(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3})?|(?:[0-9A-Fa-f]{1,4}:){4}[0-9A-Fa-f]{1,4}::(?:(?:[0-9A-Fa-f]{1,4}:){0,1}[0-9A-Fa-f]{1,4}|(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?:\\.(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3})?|(?:[0-9A-Fa-f]{1,4}:){5}[0-9A-Fa-f]{1,4}::(?:[0-9A-Fa-f]{1,4})?|(?:[0-9A-Fa-f]{1,4}:){6}[0-9A-Fa-f]{1,4}::(?:)?)|\\[(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?:\\.(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}\\]|\\[(?:(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}|(?:[0-9A-Fa-f]{1,4}:){6}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?:\\.(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}|::(?:(?:[0-9A-Fa-f]{1,4}:){0,6}[0-9A-Fa-f]{1,4}|(?:[0-9A-Fa-f]{1,4}:){0,5}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?:\\.(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3})?|[0-9A-Fa-f]{1,4}::(?:(?:[0-9A-Fa-f]{1,4}:){0,5}[0-9A-Fa-f]{1,4}|(?:[0-9A-Fa-f]{1,4}:){0,4}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?:\\.(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3})?|(?:[0-9A-Fa-f]{1,4}:){1}[0-9A-Fa-f]{1,4}::(?:(?:[0-9A-Fa-f]{1,4}:){0,4}[0-9A-Fa-f]{1,4}|(?:[0-9A-Fa-f]{1,4}:){0,3}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?:\\.(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3})?|(?:[0-9A-Fa-f]{1,4}:){2}[0-9A-Fa-f]{1,4}::(?:(?:[0-9A-Fa-f]{1,4}:){0,3}[0-9A-Fa-f]{1,4}|(?:[0-9A-Fa-f]{1,4}:){0,2}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?:\\.(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3})?|(?:[0-9A-Fa-f]{1,4}:){3}[0-9A-Fa-f]{1,4}::(?:(?:[0-9A-Fa-f]{1,4}:){0,2}[0-9A-Fa-f]{1,4}|(?:[0-9A-Fa-f]{1,4}:){0,1}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?:\\.(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3})?|(?:[0-9A-Fa-f]{1,4}:){4}[0-9A-Fa-f]{1,4}::(?:(?:[0-9A-Fa-f]{1,4}:){0,1}[0-9A-Fa-f]{1,4}|(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?:\\.(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3})?|(?:[0-9A-Fa-f]{1,4}:){5}[0-9A-Fa-f]{1,4}::(?:[0-9A-Fa-f]{1,4})?|(?:[0-9A-Fa-f]{1,4}:){6}[0-9A-Fa-f]{1,4}::(?:)?)\\])):(0*(?:[0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-4]|65535)) +(?:((?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?:\\.(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}|(?:(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}|(?:[0-9A-Fa-f]{1,4}:){6}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?:\\.(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}|::(?:(?:[0-9A-Fa-f]{1,4}:){0,6}[0-9A-Fa-f]{1,4}|(?:[0-9A-Fa-f]{1,4}:){0,5}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?:\\.(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3})?|[0-9A-Fa-f]{1,4}::(?:(?:[0-9A-Fa-f]{1,4}:){0,5}[0-9A-Fa-f]{1,4}|(?:[0-9A-Fa-f]{1,4}:){0,4}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?:\\.(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3})?|(?:[0-9A-Fa-f]{1,4}:){1}[0-9A-Fa-f]{1,4}::(?:(?:[0-9A-Fa-f]{1,4}:){0,4}[0-9A-Fa-f]{1,4}|(?:[0-9A-Fa-f]{1,4}:){0,3}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?:\\.(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3})?|(?:[0-9A-Fa-f]{1,4}:){2}[0-9A-Fa-f]{1,4}::(?:(?:[0-9A-Fa-f]{1,4}:){0,3}[0-9A-Fa-f]{1,4}|(?:[0-9A-Fa-f]{1,4}:){0,2}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?:\\.(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3})?|(?:[0-9A-Fa-f]{1,4}:){3}[0-9A-Fa-f]{1,4}::(?:(?:[0-9A-Fa-f]{1,4}:){0,2}[0-9A-Fa-f]{1,4}|(?:[0-9A-Fa-f]{1,4}:){0,1}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?:\\.(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3})?|(?:[0-9A-Fa-f]{1,4}:){4}[0-9A-Fa-f]{1,4}::(?:(?:[0-9A-Fa-f]{1,4}:){0,1}[0-9A-Fa-f]{1,4}|(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?:\\.(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3})?|(?:[0-9A-Fa-f]{1,4}:){5}[0-9A-Fa-f]{1,4}::(?:[0-9A-Fa-f]{1,4})?|(?:[0-9A-Fa-f]{1,4}:){6}[0-9A-Fa-f]{1,4}::(?:)?)|\\[(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?:\\.(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}\\]|\\[(?:(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}|(?:[0-9A-Fa-f]{1,4}:){6}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?:\\.(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}|::(?:(?:[0-9A-Fa-f]{1,4}:){0,6}[0-9A-Fa-f]{1,4}|(?:[0-9A-Fa-f]{1,4}:){0,5}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?:\\.(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3})?|[0-9A-Fa-f]{1,4}::(?:(?:[0-9A-Fa-f]{1,4}:){0,5}[0-9A-Fa-f]{1,4}|(?:[0-9A-Fa-f]{1,4}:){0,4}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?:\\.(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3})?|(?:[0-9A-Fa-f]{1,4}:){1}[0-9A-Fa-f]{1,4}::(?:(?:[0-9A-Fa-f]{1,4}:){0,4}[0-9A-Fa-f]{1,4}|(?:[0-9A-Fa-f]{1,4}:){0,3}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?:\\.(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3})?|(?:[0-9A-Fa-f]{1,4}:){2}[0-9A-Fa-f]{1,4}::(?:(?:[0-9A-Fa-f]{1,4}:){0,3}[0-9A-Fa-f]{1,4}|(?:[0-9A-Fa-f]{1,4}:){0,2}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?:\\.(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3})?|(?:[0-9A-Fa-f]{1,4}:){3}[0-9A-Fa-f]{1,4}::(?:(?:[0-9A-Fa-f]{1,4}:){0,2}[0-9A-Fa-f]{1,4}|(?:[0-9A-Fa-f]{1,4}:){0,1}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?:\\.(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3})?|(?:[0-9A-Fa-f]{1,4}:){4}[0-9A-Fa-f]{1,4}::(?:(?:[0-9A-Fa-f]{1,4}:){0,1}[0-9A-Fa-f]{1,4}|(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?:\\.(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3})?|(?:[0-9A-Fa-f]{1,4}:){5}[0-9A-Fa-f]{1,4}::(?:[0-9A-Fa-f]{1,4})?|(?:[0-9A-Fa-f]{1,4}:){6}[0-9A-Fa-f]{1,4}::(?:)?)\\])):(0*(?:[0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-4]|65535))|-|"-") +((?:(?:-1|[0-9]+(?:\\.[0-9]+)?)|"(?:-1|[0-9]+(?:\\.[0-9]+)?)")) +((?:(?:-1|[0-9]+(?:\\.[0-9]+)?)|"(?:-1|[0-9]+(?:\\.[0-9]+)?)")) +((?:(?:-1|[0-9]+(?:\\.[0-9]+)?)|"(?:-1|[0-9]+(?:\\.[0-9]+)?)")) +((?:-|"-"|""|0*(?:[0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-4]|65535)|"0*(?:[0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-4]|65535)")) +((?:-|"-"|""|0*(?:[0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-4]|65535)|"0*(?:[0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-4]|65535)")) +((?:-|"-"|""|0*(?:[0-9]{1,19}|1[0-7][0-9]{18}|18[0-3][0-9]{17}|184[0-3][0-9]{16}|1844[0-5][0-9]{15}|18446[0-6][0-9]{14}|184467[0-3][0-9]{13}|1844674[0-3][0-9]{12}|184467440[0-6][0-9]{10}|1844674407[0-2][0-9]{9}|18446744073[0-6][0-9]{8}|1844674407370[0-8][0-9]{6}|18446744073709[0-4][0-9]{5}|184467440737095[0-4][0-9]{4}|18446744073709550[0-9]{3}|18446744073709551[0-5][0-9]{2}|1844674407370955160[0-9]|1844674407370955161[0-4]|18446744073709551615)|"0*(?:[0-9]{1,19}|1[0-7][0-9]{18}|18[0-3][0-9]{17}|184[0-3][0-9]{16}|1844[0-5][0-9]{15}|18446[0-6][0-9]{14}|184467[0-3][0-9]{13}|1844674[0-3][0-9]{12}|184467440[0-6][0-9]{10}|1844674407[0-2][0-9]{9}|18446744073[0-6][0-9]{8}|1844674407370[0-8][0-9]{6}|18446744073709[0-4][0-9]{5}|184467440737095[0-4][0-9]{4}|18446744073709550[0-9]{3}|18446744073709551[0-5][0-9]{2}|1844674407370955160[0-9]|1844674407370955161[0-4]|18446744073709551615)")) +((?:-|"-"|""|0*(?:[0-9]{1,19}|1[0-7][0-9]{18}|18[0-3][0-9]{17}|184[0-3][0-9]{16}|1844[0-5][0-9]{15}|18446[0-6][0-9]{14}|184467[0-3][0-9]{13}|1844674[0-3][0-9]{12}|184467440[0-6][0-9]{10}|1844674407[0-2][0-9]{9}|18446744073[0-6][0-9]{8}|1844674407370[0-8][0-9]{6}|18446744073709[0-4][0-9]{5}|184467440737095[0-4][0-9]{4}|18446744073709550[0-9]{3}|18446744073709551[0-5][0-9]{2}|1844674407370955160[0-9]|1844674407370955161[0-4]|18446744073709551615)|"0*(?:[0-9]{1,19}|1[0-7][0-9]{18}|18[0-3][0-9]{17}|184[0-3][0-9]{16}|1844[0-5][0-9]{15}|18446[0-6][0-9]{14}|184467[0-3][0-9]{13}|1844674[0-3][0-9]{12}|184467440[0-6][0-9]{10}|1844674407[0-2][0-9]{9}|18446744073[0-6][0-9]{8}|1844674407370[0-8][0-9]{6}|18446744073709[0-4][0-9]{5}|184467440737095[0-4][0-9]{4}|18446744073709550[0-9]{3}|18446744073709551[0-5][0-9]{2}|1844674407370955160[0-9]|1844674407370955161[0-4]|18446744073709551615)")) +("[^"]*(?:"+[^" ][^"]*)*"*"|[^ "][^ ]*) +("[^"]*(?:"+(?: +[^ "]*"+)*[^ "][^"]*)*(?:"+(?: +[^ "]*"+)*(?: +[^ "]*)?)?"|[^ "][^ ]*) +([^ "]+) +("[^"]*(?:"+[^" ][^"]*)*"*"|[^ "][^ ]*) +("[^"]*(?:"+[^" ][^"]*)*"*"|[^ "][^ ]*)(?: +("[^"]*(?:"+[^" ][^"]*)*"*"|[^ "][^ ]*)(?: +("[^"]*(?:"+[^" ][^"]*)*"*"|[^ "][^ ]*)(?: +("[^"]*(?:"+[^" ][^"]*)*"*"|[^ "][^ ]*)(?: +((?:-|"-"|""|0*(?:[0-9]{1,19}|1[0-7][0-9]{18}|18[0-3][0-9]{17}|184[0-3][0-9]{16}|1844[0-5][0-9]{15}|18446[0-6][0-9]{14}|184467[0-3][0-9]{13}|1844674[0-3][0-9]{12}|184467440[0-6][0-9]{10}|1844674407[0-2][0-9]{9}|18446744073[0-6][0-9]{8}|1844674407370[0-8][0-9]{6}|18446744073709[0-4][0-9]{5}|184467440737095[0-4][0-9]{4}|18446744073709550[0-9]{3}|18446744073709551[0-5][0-9]{2}|1844674407370955160[0-9]|1844674407370955161[0-4]|18446744073709551615)|"0*(?:[0-9]{1,19}|1[0-7][0-9]{18}|18[0-3][0-9]{17}|184[0-3][0-9]{16}|1844[0-5][0-9]{15}|18446[0-6][0-9]{14}|184467[0-3][0-9]{13}|1844674[0-3][0-9]{12}|184467440[0-6][0-9]{10}|1844674407[0-2][0-9]{9}|18446744073[0-6][0-9]{8}|1844674407370[0-8][0-9]{6}|18446744073709[0-4][0-9]{5}|184467440737095[0-4][0-9]{4}|18446744073709550[0-9]{3}|18446744073709551[0-5][0-9]{2}|1844674407370955160[0-9]|1844674407370955161[0-4]|18446744073709551615)"))(?: +(-|"-"|""|(?:(?:(?:(?:000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))|(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)-02-29)T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\\.[0-9]{1,9})?Z)|"(?:(?:(?:000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))|(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)-02-29)T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\\.[0-9]{1,9})?Z)"))(?: +("[^"]*(?:"+[^" ][^"]*)*"*"|[^ "][^ ]*)(?: +("[^"]*(?:"+[^" ][^"]*)*"*"|[^ "][^ ]*)(?: +("[^"]*(?:"+[^" ][^"]*)*"*"|[^ "][^ ]*)(?: +("[^"]*(?:"+[^" ][^"]*)*"*"|[^ "][^ ]*)(?: +("[^"]*(?:"+[^" ][^"]*)*"*"|[^ "][^ ]*)(?: +("[^"]*(?:"+[^" ][^"]*)*"*"|[^ "][^ ]*)(?: +("[^"]*(?:"+[^" ][^"]*)*"*"|[^ "][^ ]*)(?: +("[^"]*(?:"+[^" ][^"]*)*"*"|[^ "][^ ]*)(?: +("[^"]*(?:"+[^" ][^"]*)*"*"|[^ "][^ ]*)(?: +("[^"]*(?:"+[^" ][^"]*)*"*"|[^ "][^ ]*)(?: +("[^"]*(?:"+[^" ][^"]*)*"*"|[^ "][^ ]*)(?: +((?:"[^"]*(?:"+[^" ][^"]*)*"*"|[^ "][^ ]*)(?: +(?:"[^"]*(?:"+[^" ][^"]*)*"*"|[^ "][^ ]*))*))?)?)?)?)?)?)?)?)?)?)?)?)?)?)?)?)? *)$'
)
STORED AS INPUTFORMAT 'org.apache.hadoop.mapred.TextInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION '{{log_location}}'
TBLPROPERTIES (
    'projection.enabled' = 'true',
    'projection.day.type' = 'date',
    'projection.day.format' = 'yyyy/MM/dd',
    'projection.day.range' = '{{first_day}},NOW',
    'projection.day.interval' = '1',
    'projection.day.interval.unit' = 'DAYS',
    'storage.location.template' = '{{log_location}}${day}'
)
