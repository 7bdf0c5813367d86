#include "client/streams/micro_batch.h"

#include <algorithm>
#include <set>

namespace sluice::client {
namespace {

consumer_config without_auto_commit(consumer_config c, const micro_batch_config& batch) {
  c.enable_auto_commit = false;
  c.max_poll_records = std::min(c.max_poll_records, std::max<size_t>(batch.max_records, 1));
  return c;
}

}  // namespace

micro_batch_consumer::micro_batch_consumer(consumer_config consumer, micro_batch_config batch)
    : config_(batch), consumer_(without_auto_commit(std::move(consumer), batch)) {
  config_.max_records = std::max<size_t>(config_.max_records, 1);
}

result<void> micro_batch_consumer::gather(std::vector<consumer_record>& batch,
                                          std::chrono::milliseconds idle) {
  using clock = std::chrono::steady_clock;
  auto take = [&](std::vector<consumer_record>& polled) {
    for (auto& r : polled) {
      if (batch.size() < config_.max_records) {
        batch.push_back(std::move(r));
      } else {
        carried_.push_back(std::move(r));
      }
    }
  };
  while (!carried_.empty() && batch.size() < config_.max_records) {
    batch.push_back(std::move(carried_.front()));
    carried_.pop_front();
  }
  // poll() may return early with nothing (after a rebalance, say): keep at it until `idle`.
  const auto idle_deadline = clock::now() + idle;
  while (batch.empty()) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(idle_deadline - clock::now());
    if (left.count() <= 0) return success();
    SLUICE_TRY(first, consumer_.poll(left));
    take(first);
  }
  const auto deadline = clock::now() + config_.max_wait;
  while (batch.size() < config_.max_records) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
    if (left.count() <= 0) break;
    auto more = consumer_.poll(left);
    if (!more) {
      // Keep what was gathered for the next call rather than lose it with the error.
      carried_.insert(carried_.begin(), std::make_move_iterator(batch.begin()),
                      std::make_move_iterator(batch.end()));
      batch.clear();
      return more.error();
    }
    take(more.value());
  }
  return success();
}

result<void> micro_batch_consumer::commit(const std::vector<consumer_record>& batch) {
  const auto owned = consumer_.assignment();
  const std::set<topic_partition> assigned(owned.begin(), owned.end());
  std::map<topic_partition, int64_t> offsets;
  for (const auto& r : batch) {
    topic_partition tp{r.topic, r.partition};
    if (!assigned.count(tp)) continue;
    auto& next = offsets[tp];
    next = std::max(next, r.offset + 1);
  }
  if (offsets.empty()) return success();
  return consumer_.commit_sync(offsets);
}

void micro_batch_consumer::rewind(const std::vector<consumer_record>& batch) {
  std::map<topic_partition, int64_t> first;
  for (const auto& r : batch) {
    auto [it, added] = first.try_emplace({r.topic, r.partition}, r.offset);
    if (!added) it->second = std::min(it->second, r.offset);
  }
  for (const auto& [tp, offset] : first)
    (void)consumer_.seek(tp, offset);  // fails only for a partition no longer assigned
  std::erase_if(carried_, [&](const consumer_record& r) {
    return first.count({r.topic, r.partition}) > 0;
  });
}

result<size_t> micro_batch_consumer::run_once(const batch_handler& handler,
                                              std::chrono::milliseconds idle) {
  std::vector<consumer_record> batch;
  SLUICE_TRY(gather(batch, idle));
  if (batch.empty()) return size_t{0};
  if (auto handled = handler(batch); !handled) {
    rewind(batch);
    return handled.error();
  }
  SLUICE_TRY(commit(batch));
  return batch.size();
}

}  // namespace sluice::client
