-- DuckDB has no SESSION: number each bidder's sessions with lag() and a
-- running sum of session starts (a new one after a gap of more than 10 s,
-- as windows that touch merge). RANGE, not ROWS: bids of one bidder at the
-- same instant get the same session whichever of them lag() saw first.
SELECT bidder, count(*) AS bid_count, min(date_time) AS starttime,
       max(date_time) + INTERVAL '10 seconds' AS endtime
FROM (SELECT bidder, date_time,
             sum(CASE WHEN prev IS NULL OR date_time - prev > INTERVAL '10 seconds' THEN 1 ELSE 0 END)
               OVER (PARTITION BY bidder ORDER BY date_time RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS sid
      FROM (SELECT bidder, date_time, lag(date_time) OVER (PARTITION BY bidder ORDER BY date_time) AS prev
            FROM bid) a) b
GROUP BY bidder, sid
