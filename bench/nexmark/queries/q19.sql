-- q19: the ten highest bids of each auction (a Top-10 per auction; the
-- earlier of equal bids first, and the rank itself left out).
SELECT auction, bidder, price, channel, date_time
FROM (
  SELECT auction, bidder, price, channel, date_time,
         ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC, date_time ASC) AS rank_number
  FROM bid
) AS T
WHERE rank_number <= 10
