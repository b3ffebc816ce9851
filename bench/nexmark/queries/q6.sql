-- q6: average selling price by seller. The winning bids of each seller's
-- ten most recent auctions (a Top-N per seller over q4's winning bids),
-- averaged. Nexmark's "closed auction" is an auction's bids within its
-- lifetime, as in q4; Flink's form (AVG OVER ... ROWS 10 PRECEDING) is an
-- over-window neither Flink nor RisingWave runs in streaming mode.
SELECT Q.seller, avg(Q.final) AS avg
FROM (
  SELECT W.seller, W.final,
         ROW_NUMBER() OVER (PARTITION BY W.seller ORDER BY W.date_time DESC, W.id DESC) AS rn
  FROM (
    SELECT A.id, A.seller, A.date_time, max(B.price) AS final
    FROM auction AS A JOIN bid AS B ON A.id = B.auction
    WHERE B.date_time BETWEEN A.date_time AND A.expires
    GROUP BY A.id, A.seller, A.date_time
  ) AS W
) AS Q
WHERE Q.rn <= 10
GROUP BY Q.seller
