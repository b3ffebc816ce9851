-- q4 in Flink SQL: avg is a reserved word in Flink's parser (quoted as `avg`), and
-- Flink's avg of a BIGINT is a BIGINT (the quotient truncated), so the
-- winning prices are averaged as DOUBLE, as runnel's avg does.
SELECT Q.category, avg(CAST(Q.final AS DOUBLE)) AS `avg`
FROM (
  SELECT max(B.price) AS final, A.category
  FROM auction AS A JOIN bid AS B ON A.id = B.auction
  WHERE B.date_time BETWEEN A.date_time AND A.expires
  GROUP BY A.id, A.category
) AS Q
GROUP BY Q.category
