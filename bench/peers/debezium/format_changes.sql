-- bench/peers/debezium: the deterministic changes whose events runnel's
-- connector and Debezium's are compared on, field by field. Run by psql in
-- autocommit mode (each statement its own transaction unless BEGIN says
-- otherwise), after both connectors have taken their initial snapshot of the
-- rows format_setup.sql left.

-- Every mapped type, non-null, then a row of nulls.
INSERT INTO fmt_types VALUES (3, true, -32768, 2147483647, -9223372036854775808, 1.5,
  -2.25e-10, -123456789.125, 3.14159265358979323846, 12.34,
  'héllo "quoted" \ back', 'varchar', 'ab', '\xdeadbeef00',
  '{"a": [1, 2, {"b": null}]}', '{"z": 1, "a": "x"}',
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '192.168.0.1/24', '1969-07-20',
  '23:59:59.999999', '12:34:56.789', '12:00:00+05:30',
  '2024-02-29 12:34:56.789012', '1970-01-01 00:00:00.001',
  '2024-02-29 12:34:56.789012+02', '1 year 2 mons 3 days 04:05:06.789',
  '{1,NULL,3}', '{"a","b c",NULL}', 'r');
INSERT INTO fmt_types (id) VALUES (4);
UPDATE fmt_types SET c_text = 'updated', c_numeric = 0, c_jsonb = '[]', c_int_arr = '{}' WHERE id = 3;
-- Whole and half seconds: how many fraction digits each prints.
UPDATE fmt_types SET c_tstz = '2024-01-01 00:00:00+00', c_ts = '2024-01-01 00:00:00.5', c_time = '12:00:00' WHERE id = 3;
UPDATE fmt_types SET c_tstz = '2024-01-01 00:00:00.5+00', c_timetz = '12:00:00.25+00', c_money = '-1234.5' WHERE id = 3;
-- A primary-key change: delete + tombstone + create.
UPDATE fmt_types SET id = 30 WHERE id = 3;
DELETE FROM fmt_types WHERE id = 4;

-- REPLICA IDENTITY FULL: whole before images; a transaction of several changes.
BEGIN;
INSERT INTO fmt_full VALUES (2, 'a', 1), (3, 'b', 2);
UPDATE fmt_full SET v = 'c' WHERE id = 2;
COMMIT;
UPDATE fmt_full SET n = n + 10;
DELETE FROM fmt_full WHERE id = 3;
UPDATE fmt_full SET id = 20 WHERE id = 2;

-- No primary key (REPLICA IDENTITY FULL): null keys.
INSERT INTO fmt_nopk VALUES (1, 'x'), (2, 'y');
UPDATE fmt_nopk SET b = 'z' WHERE a = 1;
DELETE FROM fmt_nopk WHERE a = 2;

-- An out-of-line (TOASTed) value left unchanged by an update.
INSERT INTO fmt_toast SELECT 1, string_agg(md5(i::text), ''), 1 FROM generate_series(1, 400) i;
UPDATE fmt_toast SET n = 2 WHERE id = 1;
DELETE FROM fmt_toast WHERE id = 1;

-- Truncates (both connectors are told skipped.operations=none).
TRUNCATE fmt_full;
TRUNCATE fmt_nopk, fmt_toast;

-- Edge values last, on their own table: a connector that fails on one of
-- them has still delivered everything above.
INSERT INTO fmt_edge VALUES (1, 'NaN', '-Infinity', 'NaN', '', '0001-01-01', '0001-01-01 00:00:00', '-1 days -00:00:01');
UPDATE fmt_edge SET c_float8 = 'Infinity', c_numeric_var = '-0.000001', c_text = repeat('x', 3) WHERE id = 1;

INSERT INTO fmt_marker VALUES (1);
