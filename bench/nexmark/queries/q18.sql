-- q18: the last bid of each bidder on each auction (a Top-1 per
-- (bidder, auction), RisingWave's form).
SELECT auction, bidder, price, channel, url, date_time
FROM (
  SELECT auction, bidder, price, channel, url, date_time,
         ROW_NUMBER() OVER (PARTITION BY bidder, auction ORDER BY date_time DESC) AS rank_number
  FROM bid
) AS T
WHERE rank_number <= 1
