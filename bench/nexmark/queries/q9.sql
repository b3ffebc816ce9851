-- q9: winning bids. Each auction with its highest bid within its lifetime
-- (the earliest of equal bids): a Top-1 per auction over a join.
SELECT id, item_name, initial_bid, reserve, date_time, expires, seller, category,
       auction, bidder, price, bid_date_time
FROM (
  SELECT A.id, A.item_name, A.initial_bid, A.reserve, A.date_time, A.expires, A.seller,
         A.category, B.auction, B.bidder, B.price, B.date_time AS bid_date_time,
         ROW_NUMBER() OVER (PARTITION BY A.id ORDER BY B.price DESC, B.date_time ASC) AS rownum
  FROM auction AS A JOIN bid AS B ON A.id = B.auction
  WHERE B.date_time BETWEEN A.date_time AND A.expires
) AS T
WHERE rownum <= 1
