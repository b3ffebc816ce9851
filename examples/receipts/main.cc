// Receipts: for every purchase event, a receipt event for the customer as
// soon as the purchase arrives (a stateless map over JSON).
//
//   input  purchases (key: customer id, value: Purchase JSON)
//   output receipts  (key: customer id, value: Receipt JSON)
#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "example_args.h"
#include "runnel/stream.h"

struct Item {
  std::string sku;
  int64_t quantity = 0;
  double price = 0;
};
RUNNEL_JSON(Item, sku, quantity, price)

struct Purchase {
  std::string order_id;
  std::string customer_id;
  std::vector<Item> items;
  int64_t ts = 0;
};
RUNNEL_JSON(Purchase, order_id, customer_id, items, ts)

struct Receipt {
  std::string receipt_id;
  std::string order_id;
  std::string customer_id;
  int64_t item_count = 0;
  double total = 0;
  std::string message;
};
RUNNEL_JSON(Receipt, receipt_id, order_id, customer_id, item_count, total, message)

int main(int argc, char** argv) {
  auto args = examples::parse_args(argc, argv, "receipts",
                                   "Emits a receipt for every purchase: purchases -> receipts.");
  if (!args) return args.exit_code;
  namespace rs = runnel::stream;
  rs::builder b;
  b.stream<std::string, Purchase>(args.input("purchases"))
      .map_values([](const Purchase& p) {
        Receipt r;
        r.receipt_id = "R-" + p.order_id;
        r.order_id = p.order_id;
        r.customer_id = p.customer_id;
        for (const auto& i : p.items) {
          r.item_count += i.quantity;
          r.total += static_cast<double>(i.quantity) * i.price;
        }
        r.message = fmt::format("Thank you for your order, {}: {} items, {:.2f} total.",
                                p.customer_id, r.item_count, r.total);
        return r;
      })
      .to(args.output("receipts"));
  return examples::run(b.build(), args);
}
