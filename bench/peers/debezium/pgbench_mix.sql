-- bench/peers/debezium: one pgbench transaction of the CDC load. An UPDATE
-- of one of 10,000 pre-filled rows, an INSERT of a new row (ids from the
-- sequence bench_ids, from 1,000,001), and a DELETE of the row inserted 64
-- transactions earlier (none for the first 64): about three change events
-- and one tombstone a transaction, all on one table, so that the topic's
-- single partition keeps commit order for the lag consumer.
\set aid random(1, 10000)
\set delta random(-5000, 5000)
BEGIN;
UPDATE bench_rows SET balance = balance + :delta, note = md5(CAST(:delta AS text)), updated = now() WHERE id = :aid;
INSERT INTO bench_rows (id, balance, note) VALUES (nextval('bench_ids'), :delta, md5(CAST(:aid AS text)));
DELETE FROM bench_rows WHERE id = currval('bench_ids') - 64;
END;
