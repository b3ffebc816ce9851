-- q2: selection. Bids on every 123rd auction (Beam's and Flink's predicate;
-- RisingWave's lists five auction ids instead).
SELECT auction, price FROM bid WHERE auction % 123 = 0
