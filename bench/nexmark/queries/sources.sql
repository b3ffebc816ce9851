-- The three Nexmark streams as runnel SQL sources over the topics that
-- `runnel nexmark` writes (RisingWave's column names). {prefix} is replaced
-- by the topic prefix (default nexmark-) by bench/nexmark/run and the test.
-- Events are in event-time order, so a 4-second watermark (RisingWave's)
-- drops nothing on a one-partition topic and closes windows behind it.
CREATE SOURCE person (
  id BIGINT, name VARCHAR, email_address VARCHAR, credit_card VARCHAR,
  city VARCHAR, state VARCHAR, date_time TIMESTAMP, extra VARCHAR,
  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND
) WITH (connector = 'kafka', topic = '{prefix}person', scan.startup.mode = 'earliest')
  FORMAT PLAIN ENCODE JSON;

CREATE SOURCE auction (
  id BIGINT, item_name VARCHAR, description VARCHAR, initial_bid BIGINT, reserve BIGINT,
  date_time TIMESTAMP, expires TIMESTAMP, seller BIGINT, category BIGINT, extra VARCHAR,
  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND
) WITH (connector = 'kafka', topic = '{prefix}auction', scan.startup.mode = 'earliest')
  FORMAT PLAIN ENCODE JSON;

CREATE SOURCE bid (
  auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
  date_time TIMESTAMP, extra VARCHAR,
  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND
) WITH (connector = 'kafka', topic = '{prefix}bid', scan.startup.mode = 'earliest')
  FORMAT PLAIN ENCODE JSON;
