-- q13: bounded side input join. Each bid joined with a static table
-- (RisingWave's form: a table filled with generate_series, joined
-- FOR SYSTEM_TIME AS OF PROCTIME(); Beam and Flink read it from a file).
-- The statements before the query set the side input up.
CREATE TABLE side_input (key BIGINT PRIMARY KEY, value VARCHAR);
INSERT INTO side_input SELECT v, v::varchar FROM generate_series(0, 9999) AS t(v);
SELECT B.auction, B.bidder, B.price, B.date_time, S.value
FROM bid AS B JOIN side_input FOR SYSTEM_TIME AS OF PROCTIME() AS S ON B.auction % 10000 = S.key
