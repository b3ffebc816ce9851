-- q6 in Flink SQL: avg is a reserved word in Flink's parser (quoted as `avg`), and
-- Flink's avg of a BIGINT is a BIGINT (the quotient truncated), so the
-- winning prices are averaged as DOUBLE, as runnel's avg does.
SELECT Q.seller, avg(CAST(Q.final AS DOUBLE)) AS `avg`
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
