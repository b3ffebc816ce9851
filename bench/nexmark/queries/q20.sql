-- q20: bids with their auction's details, for auctions in category 10
-- (an expanding join of two append-only streams).
SELECT B.auction, B.bidder, B.price, B.channel, B.date_time AS bid_date_time,
       A.item_name, A.initial_bid, A.reserve, A.date_time AS auction_date_time, A.expires,
       A.seller, A.category
FROM bid AS B JOIN auction AS A ON B.auction = A.id
WHERE A.category = 10
