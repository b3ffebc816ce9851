// Enrichment: every order joined with the customer who placed it — a
// stream–table left join. The customers topic is read as a table (the
// latest record per customer id; a null value deletes the customer).
//
//   input  orders          (key: customer id, value: Order JSON)
//   input  customers       (key: customer id, value: Customer JSON or null)
//   output enriched-orders (key: customer id, value: EnrichedOrder JSON)
//
// Both inputs are keyed by customer id and must have the same number of
// partitions: partition p of orders is joined with partition p of
// customers in one task.
#include <cstdint>
#include <optional>
#include <string>

#include "example_args.h"
#include "runnel/stream.h"

struct Order {
  std::string order_id;
  std::string customer_id;
  double amount = 0;
};
RUNNEL_JSON(Order, order_id, customer_id, amount)

struct Customer {
  std::string id;
  std::string name;
  std::string tier;
};
RUNNEL_JSON(Customer, id, name, tier)

struct EnrichedOrder {
  std::string order_id;
  std::string customer_id;
  double amount = 0;
  std::optional<Customer> customer;  // null: no such customer (yet)
};
RUNNEL_JSON(EnrichedOrder, order_id, customer_id, amount, customer)

int main(int argc, char** argv) {
  auto args = examples::parse_args(
      argc, argv, "enrichment",
      "Orders joined with their customers: orders + customers -> enriched-orders.");
  if (!args) return args.exit_code;
  namespace rs = runnel::stream;
  rs::builder b;
  auto customers = b.table<std::string, Customer>(args.input("customers"), {}, "customers-store");
  b.stream<std::string, Order>(args.input("orders"))
      .left_join(customers,
                 [](const Order& o, const std::optional<Customer>& c) {
                   return EnrichedOrder{o.order_id, o.customer_id, o.amount, c};
                 })
      .to(args.output("enriched-orders"));
  return examples::run(b.build(), args);
}
