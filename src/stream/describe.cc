#include <fmt/format.h>

#include "plan.h"
#include "runnel/stream/builder.h"

namespace runnel::stream {

std::string topology::describe() const {
  auto p = runtime::group_sources(*graph_, "<application.id>");
  std::string out;
  for (const auto& sub : p.subtopologies) {
    out += fmt::format("sub-topology {}\n", sub.id);
    for (size_t i = 0; i < sub.sources.size(); ++i)
      out += fmt::format("  source {}{}\n", sub.topics[i],
                         sub.sources[i]->internal ? " (internal)" : "");
    for (const auto* st : sub.stores) {
      const char* kind = st->kind == store_kind::key_value ? "key-value"
                         : st->kind == store_kind::window  ? "window"
                                                           : "session";
      out += fmt::format("  store {} ({}), changelog {}\n", st->name, kind,
                         p.changelog_topic(st->name));
    }
  }
  for (const auto& it : graph_->internal_topics)
    out += fmt::format("repartition topic {}\n", p.internal_topic(it.name));
  for (const auto& t : graph_->sink_topics) out += fmt::format("sink {}\n", t);
  return out;
}

}  // namespace runnel::stream
