#include "client/streams/changelog.h"

#include <charconv>

#include "client/admin.h"
#include "client/consumer.h"
#include "client/errors.h"

namespace sluice::client {
namespace {

constexpr std::string_view kind_header = "sluice.kind";

const std::string* header_value(const consumer_record& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name && v) return &*v;
  }
  return nullptr;
}

std::optional<int64_t> header_number(const consumer_record& r, std::string_view name) {
  const auto* text = header_value(r, name);
  if (!text) return std::nullopt;
  int64_t out = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), out);
  if (ec != std::errc{} || end != text->data() + text->size()) return std::nullopt;
  return out;
}

error bad_record(const consumer_record& r, const std::string& what) {
  return make_error(errc::protocol_error,
                    "changelog " + r.topic + " offset " + std::to_string(r.offset) + ": " + what);
}

}  // namespace

producer_record result_record(const std::string& changelog, const window_result& w) {
  producer_record r;
  r.topic = changelog;
  r.partition = 0;
  r.key = "result/" + std::to_string(w.start_ms) + "/" + w.key;
  r.value = w.value;
  r.timestamp = w.start_ms;
  r.headers = {{std::string(kind_header), "result"},
               {"sluice.window.key", w.key},
               {"sluice.window.start", std::to_string(w.start_ms)},
               {"sluice.window.end", std::to_string(w.end_ms)}};
  return r;
}

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

result<changelog_contents> read_changelog(const client_config& config,
                                          const std::string& changelog) {
  admin admin(config);
  SLUICE_TRY(ends, admin.list_offsets(changelog, offset_spec::latest));
  const topic_partition tp{changelog, 0};
  int64_t end = 0;
  for (const auto& p : ends) {
    if (p.partition == 0) end = p.offset;
  }
  changelog_contents out;
  if (end <= 0) return out;

  consumer_config cc;
  static_cast<client_config&>(cc) = config;
  cc.enable_auto_commit = false;
  cc.auto_offset_reset = "earliest";
  consumer reader(cc);
  SLUICE_TRY(reader.assign({tp}));
  SLUICE_TRY(reader.seek_to_beginning());
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
      const auto* kind = header_value(r, kind_header);
      if (!kind) continue;
      if (*kind == "checkpoint") {
        streams::WindowCheckpoint cp;
        if (!r.value || !cp.ParseFromString(*r.value)) {
          return bad_record(r, "a checkpoint that does not parse");
        }
        out.checkpoint = std::move(cp);
        out.written_after.clear();
      } else if (*kind == "result") {
        const auto* key = header_value(r, "sluice.window.key");
        auto start = header_number(r, "sluice.window.start");
        auto stop = header_number(r, "sluice.window.end");
        if (!key || !start || !stop) return bad_record(r, "a result without its window headers");
        out.results.push_back({*key, *start, *stop, r.value.value_or("")});
        out.written_after.emplace(*start, *key);
      }
    }
  }
  return out;
}

}  // namespace sluice::client
