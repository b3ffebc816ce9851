-- q0: pass-through. Every bid, as it is.
SELECT auction, bidder, price, date_time FROM bid
