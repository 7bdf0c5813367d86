#include "client/record.h"

namespace sluice::client {

consumer_record consumer_record_view::to_record() const {
  consumer_record r;
  r.topic = topic;
  r.partition = partition;
  r.offset = offset;
  r.timestamp = timestamp;
  r.log_append_time = log_append_time;
  if (key) r.key = std::string(*key);
  if (value) r.value = std::string(*value);
  r.headers.reserve(headers.size());
  for (const auto& [k, v] : headers)
    r.headers.emplace_back(std::string(k), v ? std::optional<std::string>(*v) : std::nullopt);
  return r;
}

}  // namespace sluice::client
