-- q22: the directories of each bid's URL (Flink's SPLIT_INDEX(url, '/', 3)
-- is split_part(url, '/', 4) in PostgreSQL's 1-based form).
SELECT auction, bidder, price, channel,
       split_part(url, '/', 4) AS dir1, split_part(url, '/', 5) AS dir2, split_part(url, '/', 6) AS dir3
FROM bid
