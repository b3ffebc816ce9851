WITH hop AS (
  SELECT auction, time_bucket(INTERVAL '2 seconds', date_time) AS starttime FROM bid
  UNION ALL SELECT auction, time_bucket(INTERVAL '2 seconds', date_time) - INTERVAL '2 seconds' FROM bid
  UNION ALL SELECT auction, time_bucket(INTERVAL '2 seconds', date_time) - INTERVAL '4 seconds' FROM bid
  UNION ALL SELECT auction, time_bucket(INTERVAL '2 seconds', date_time) - INTERVAL '6 seconds' FROM bid
  UNION ALL SELECT auction, time_bucket(INTERVAL '2 seconds', date_time) - INTERVAL '8 seconds' FROM bid
),
AuctionBids AS (SELECT auction, count(*) AS num, starttime FROM hop GROUP BY starttime, auction),
MaxBids AS (SELECT max(num) AS maxn, starttime AS starttime_c FROM AuctionBids GROUP BY starttime)
SELECT AuctionBids.auction, AuctionBids.num, AuctionBids.starttime
FROM AuctionBids JOIN MaxBids
  ON AuctionBids.starttime = MaxBids.starttime_c AND AuctionBids.num >= MaxBids.maxn
