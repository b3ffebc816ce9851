SELECT B.auction, B.price, B.bidder, B.date_time
FROM bid AS B
JOIN (
  SELECT max(price) AS maxprice,
         time_bucket(INTERVAL '10 seconds', date_time) + INTERVAL '10 seconds' AS date_time
  FROM bid GROUP BY 2
) AS B1 ON B.price = B1.maxprice
WHERE B.date_time BETWEEN B1.date_time - INTERVAL '10 seconds' AND B1.date_time
