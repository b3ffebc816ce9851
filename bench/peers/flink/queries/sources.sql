-- The three Nexmark streams in Flink SQL over the topics `runnel nexmark`
-- writes on a runnel broker: bench/nexmark/queries/sources.sql's columns and
-- 4-second watermarks, as bounded Kafka sources (from the earliest offset to
-- the latest one when the job starts), JSON with SQL timestamps
-- ("2024-01-01 00:00:00.000"). {prefix} and {bootstrap} are replaced by
-- NexmarkFlink.
CREATE TABLE person (
  id BIGINT, name VARCHAR, email_address VARCHAR, credit_card VARCHAR,
  city VARCHAR, state VARCHAR, date_time TIMESTAMP(3), extra VARCHAR,
  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND
) WITH ('connector' = 'kafka', 'topic' = '{prefix}person', 'properties.bootstrap.servers' = '{bootstrap}',
  'properties.group.id' = 'nexmark-flink-person', 'properties.client.id.prefix' = 'nexmark-flink-person', 'scan.startup.mode' = 'earliest-offset',
  'scan.bounded.mode' = 'latest-offset', 'format' = 'json');

CREATE TABLE auction (
  id BIGINT, item_name VARCHAR, description VARCHAR, initial_bid BIGINT, reserve BIGINT,
  date_time TIMESTAMP(3), expires TIMESTAMP(3), seller BIGINT, category BIGINT, extra VARCHAR,
  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND
) WITH ('connector' = 'kafka', 'topic' = '{prefix}auction', 'properties.bootstrap.servers' = '{bootstrap}',
  'properties.group.id' = 'nexmark-flink-auction', 'properties.client.id.prefix' = 'nexmark-flink-auction', 'scan.startup.mode' = 'earliest-offset',
  'scan.bounded.mode' = 'latest-offset', 'format' = 'json');

CREATE TABLE bid (
  auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
  date_time TIMESTAMP(3), extra VARCHAR,
  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND
) WITH ('connector' = 'kafka', 'topic' = '{prefix}bid', 'properties.bootstrap.servers' = '{bootstrap}',
  'properties.group.id' = 'nexmark-flink-bid', 'properties.client.id.prefix' = 'nexmark-flink-bid', 'scan.startup.mode' = 'earliest-offset',
  'scan.bounded.mode' = 'latest-offset', 'format' = 'json');
