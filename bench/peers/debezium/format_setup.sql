-- bench/peers/debezium: the tables of the format comparison and the rows the
-- connectors' initial snapshots read (op "r"). format_changes.sql follows.
CREATE TABLE fmt_types (
  id integer PRIMARY KEY,
  c_bool boolean,
  c_int2 smallint,
  c_int4 integer,
  c_int8 bigint,
  c_float4 real,
  c_float8 double precision,
  c_numeric numeric(12, 3),
  c_numeric_var numeric,
  c_money money,
  c_text text,
  c_varchar varchar(20),
  c_char char(5),
  c_bytea bytea,
  c_json json,
  c_jsonb jsonb,
  c_uuid uuid,
  c_inet inet,
  c_date date,
  c_time time,
  c_time3 time(3),
  c_timetz timetz,
  c_ts timestamp,
  c_ts3 timestamp(3),
  c_tstz timestamptz,
  c_interval interval,
  c_int_arr integer[],
  c_text_arr text[],
  c_required text NOT NULL DEFAULT 'required'
);
CREATE TABLE fmt_full (id integer PRIMARY KEY, v text, n integer);
ALTER TABLE fmt_full REPLICA IDENTITY FULL;
CREATE TABLE fmt_nopk (a integer, b text);
ALTER TABLE fmt_nopk REPLICA IDENTITY FULL;
CREATE TABLE fmt_toast (id integer PRIMARY KEY, big text, n integer);
CREATE TABLE fmt_edge (id integer PRIMARY KEY, c_float8 double precision, c_float4 real,
  c_numeric_var numeric, c_text text, c_date date, c_ts timestamp, c_interval interval);
CREATE TABLE fmt_marker (id integer PRIMARY KEY);

INSERT INTO fmt_types VALUES (1, false, 7, -42, 9007199254740993, -0.5, 1e300, 0.001,
  -1.5e-20, -0.99, 'snapshot row', 'v', 'abcde', '\x00ff',
  '[]', '{"nested": {"k": [true, false]}}',
  '00000000-0000-0000-0000-000000000000', '::1', '2000-01-01',
  '00:00:00', '00:00:00.5', '23:59:59-08', '1999-12-31 23:59:59',
  '2038-01-19 03:14:07.999', '1970-01-01 00:00:00+00', '-3 days 02:00:00',
  '{}', '{"only"}', 'snap');
INSERT INTO fmt_types (id) VALUES (2);
INSERT INTO fmt_full VALUES (1, 'snap', 1);
