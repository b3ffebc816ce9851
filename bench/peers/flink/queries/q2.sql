-- q2 in Flink SQL: MOD for PostgreSQL's % operator.
SELECT auction, price FROM bid WHERE MOD(auction, 123) = 0
