-- q11: user sessions. How many bids each bidder makes in each session, a
-- session ending after 10 seconds without a bid (Flink's window TVF form;
-- RisingWave has no session windows).
SELECT B.bidder, count(*) AS bid_count, B.window_start AS starttime, B.window_end AS endtime
FROM SESSION(TABLE bid PARTITION BY bidder, DESCRIPTOR(date_time), INTERVAL '10' SECOND) AS B
GROUP BY B.bidder, B.window_start, B.window_end
