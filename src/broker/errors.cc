#include "broker/errors.h"

#include "model/record_batch.h"
#include "storage/errc.h"

namespace runnel::broker {

kafka::error_code to_kafka_error(std::error_code ec) {
  using kafka::error_code;
  if (!ec) return error_code::none;
  if (ec.category() == model::batch_category()) {
    switch (static_cast<model::batch_errc>(ec.value())) {
      case model::batch_errc::too_large:
        return error_code::message_too_large;
      case model::batch_errc::missing_key:
      case model::batch_errc::bad_record_count:
        return error_code::invalid_record;
      case model::batch_errc::bad_magic:
        return error_code::unsupported_for_message_format;
      default:
        return error_code::corrupt_message;
    }
  }
  if (ec == storage::storage_errc::offset_out_of_range) return error_code::offset_out_of_range;
  if (ec == storage::storage_errc::unknown_producer_id) return error_code::unknown_producer_id;
  if (ec == storage::storage_errc::out_of_order_sequence)
    return error_code::out_of_order_sequence_number;
  if (ec == storage::storage_errc::invalid_producer_epoch)
    return error_code::invalid_producer_epoch;
  // Everything else is the disk: the partition cannot serve.
  return error_code::kafka_storage_error;
}

}  // namespace runnel::broker
