-- q11 in Flink SQL: the SESSION window table function over TABLE bid.
SELECT B.bidder, count(*) AS bid_count, B.window_start AS starttime, B.window_end AS endtime
FROM TABLE(SESSION(TABLE bid PARTITION BY bidder, DESCRIPTOR(date_time), INTERVAL '10' SECOND)) AS B
GROUP BY B.bidder, B.window_start, B.window_end
