-- q1: currency conversion. Bid prices in euros (0.908 per dollar).
SELECT auction, bidder, 0.908 * price AS price, date_time FROM bid
