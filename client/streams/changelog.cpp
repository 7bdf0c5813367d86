#include "client/streams/changelog.h"

#include <functional>

#include "client/admin.h"
#include "client/consumer.h"
#include "client/errors.h"

namespace sluice::client {
namespace {

constexpr std::string_view kind_header = "sluice.kind";

bool is_checkpoint(const consumer_record& r) {
  for (const auto& [k, v] : r.headers) {
    if (k == kind_header) return v == "checkpoint";
  }
  return false;
}

// Calls `visit` with each checkpoint of partition 0 from offset `from` to the end as of the call.
result<void> scan(const client_config& config, const std::string& changelog, bool last_only,
                  const std::function<void(streams::WindowCheckpoint&&)>& visit) {
  admin admin(config);
  SLUICE_TRY(ends, admin.list_offsets(changelog, offset_spec::latest));
  int64_t end = 0;
  for (const auto& p : ends) {
    if (p.partition == 0) end = p.offset;
  }
  if (end <= 0) return success();

  consumer_config cc;
  static_cast<client_config&>(cc) = config;
  cc.enable_auto_commit = false;
  cc.auto_offset_reset = "earliest";
  consumer reader(cc);
  const topic_partition tp{changelog, 0};
  SLUICE_TRY(reader.assign({tp}));
  if (last_only) {
    SLUICE_TRY(reader.seek(tp, end - 1));
  } else {
    SLUICE_TRY(reader.seek_to_beginning());
  }
  auto last_progress = std::chrono::steady_clock::now();
  while (reader.position(tp).value_or(0) < end) {
    SLUICE_TRY(records, reader.poll(std::chrono::milliseconds(200)));
    if (!records.empty()) last_progress = std::chrono::steady_clock::now();
    if (std::chrono::steady_clock::now() - last_progress > config.request_timeout) {
      return make_error(errc::timed_out, "reading changelog " + changelog + " stalled at offset " +
                                             std::to_string(reader.position(tp).value_or(0)) +
                                             " of " + std::to_string(end));
    }
    for (const auto& r : records) {
      if (r.offset >= end) break;
      if (!is_checkpoint(r)) {
        if (!last_only) continue;
        // Restoring from anything else would silently start the windows over.
        return make_error(errc::protocol_error,
                          "changelog " + changelog + " offset " + std::to_string(r.offset) +
                              " is not a window checkpoint: was something else written to it?");
      }
      streams::WindowCheckpoint cp;
      if (!r.value || !cp.ParseFromString(*r.value)) {
        return make_error(errc::protocol_error, "changelog " + changelog + " offset " +
                                                    std::to_string(r.offset) +
                                                    ": a checkpoint that does not parse");
      }
      visit(std::move(cp));
    }
  }
  return success();
}

}  // namespace

producer_record checkpoint_record(const std::string& changelog,
                                  const streams::WindowCheckpoint& checkpoint) {
  producer_record r;
  r.topic = changelog;
  r.partition = 0;
  r.key = "checkpoint";
  r.value = checkpoint.SerializeAsString();
  r.headers = {{std::string(kind_header), "checkpoint"}};
  return r;
}

result<std::optional<streams::WindowCheckpoint>> read_last_checkpoint(
    const client_config& config, const std::string& changelog) {
  std::optional<streams::WindowCheckpoint> out;
  SLUICE_TRY(
      scan(config, changelog, true, [&](streams::WindowCheckpoint&& cp) { out = std::move(cp); }));
  return out;
}

result<std::vector<window_result>> read_window_results(const client_config& config,
                                                       const std::string& changelog) {
  std::vector<window_result> out;
  SLUICE_TRY(scan(config, changelog, false, [&](streams::WindowCheckpoint&& cp) {
    for (auto& w : *cp.mutable_closed())
      out.push_back(
          {std::move(*w.mutable_key()), w.start_ms(), w.end_ms(), std::move(*w.mutable_value())});
  }));
  return out;
}

}  // namespace sluice::client
