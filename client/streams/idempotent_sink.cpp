#include "client/streams/idempotent_sink.h"

#include <algorithm>

#include "client/errors.h"
#include "streams/checkpoint.pb.h"

namespace sluice::client {

bool idempotent_sink::seen(const consumer_record& r) const {
  auto it = next_.find({r.topic, r.partition});
  return it != next_.end() && r.offset < it->second;
}

void idempotent_sink::mark(const consumer_record& r) {
  auto& next = next_[{r.topic, r.partition}];
  next = std::max(next, r.offset + 1);
}

bool idempotent_sink::first_time(const consumer_record& r) {
  if (seen(r)) return false;
  mark(r);
  return true;
}

bool idempotent_sink::seen_key(std::string_view key) const {
  return keys_.find(key) != keys_.end();
}

void idempotent_sink::mark_key(std::string_view key) {
  keys_.emplace(key);
}

bool idempotent_sink::first_time_key(std::string_view key) {
  return keys_.emplace(key).second;
}

void idempotent_sink::forget_keys() {
  keys_.clear();
}

void idempotent_sink::save(streams::SinkState& out) const {
  for (const auto& [tp, next] : next_) {
    auto* p = out.add_positions();
    p->set_topic(tp.topic);
    p->set_partition(tp.partition);
    p->set_next_offset(next);
  }
  for (const auto& k : keys_)
    out.add_keys(k);
}

idempotent_sink idempotent_sink::load(const streams::SinkState& in) {
  idempotent_sink out;
  for (const auto& p : in.positions())
    out.next_[{p.topic(), p.partition()}] = p.next_offset();
  for (const auto& k : in.keys())
    out.keys_.insert(k);
  return out;
}

std::string idempotent_sink::serialize() const {
  streams::SinkState s;
  save(s);
  return s.SerializeAsString();
}

result<idempotent_sink> idempotent_sink::restore(std::string_view bytes) {
  streams::SinkState s;
  if (!s.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return make_error(errc::protocol_error, "idempotent sink state does not parse");
  }
  return load(s);
}

}  // namespace sluice::client
