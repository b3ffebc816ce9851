// sql_connectors: the Kafka Connect worker behind a SQL process's sinks to
// databases, object stores and directories (sql/connector/connector_sink.h:
// the SQL half writes a topic, this puts the connector that reads it).
// It lives in cli because only cli may use both sql and connect (DESIGN.md).
//
// Hosted: `runnel serve`'s own Connect worker (its configs durable in
// connect-configs, visible on its REST API). Otherwise a standalone worker
// of its own, on the SQL process's --brokers, started by the first sink
// that needs it; its configs live in memory, and the SQL catalog puts them
// again after a restart.
//
// Thread-safety: put and remove may be called from any thread.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "sql/connector/connector_sink.h"

namespace runnel::connect {
class herder;
class service;
}  // namespace runnel::connect

namespace runnel::cli {

class sql_connectors final : public sql::connector_host {
 public:
  // `hosted`: the worker to use, outliving this; null: a standalone worker
  // of its own on `brokers`.
  sql_connectors(connect::herder* hosted, std::string brokers);
  ~sql_connectors() override;  // stops its own worker (its connectors' offsets committed)

  sql::result<void> put(const std::string& name,
                        const std::map<std::string, std::string>& config) override;
  sql::result<void> remove(const std::string& name) override;
  status connector_status(const std::string& name) override;

 private:
  sql::result<connect::herder*> worker();

  std::mutex mu_;
  connect::herder* hosted_;
  std::string brokers_;
  std::unique_ptr<connect::service> own_;
  std::string offsets_file_;
};

}  // namespace runnel::cli
