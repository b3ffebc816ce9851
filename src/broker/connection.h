// One client connection: reads request frames, dispatches them, and writes
// responses in request order. Lives on one shard. Requests are pipelined:
// each is read as soon as it arrives, and handled once the one before it
// has ended its ordered stage (handlers.h), so they take effect in order
// while an acks=all Produce waits for its fsync or a Fetch for data; the
// responses leave strictly in order.
//
// A frame larger than socket.request.max.bytes, a malformed header or an
// unknown API closes this connection (with a log line) and nothing else.
// Idle connections close after connections.max.idle.ms. A client that goes
// away mid-response (EPIPE, a reset) closes only its connection, with one
// info line in the log.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace runnel::broker {

class server;
class shard;

boost::asio::awaitable<void> serve_connection(server& srv, shard& sh,
                                              boost::asio::ip::tcp::socket sock);

}  // namespace runnel::broker
