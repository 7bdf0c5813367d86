// sluice export: the records whose timestamps fall in [from, to), partition by partition in
// offset order. Each partition is read from the first offset at or after `from` up to the high
// watermark seen when the export started, so exporting the same window twice gives the same
// bytes.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>

#include "client/admin.h"
#include "client/cli/commands.h"
#include "client/cli/record_format.h"
#include "client/cli/time_arg.h"
#include "client/consumer.h"

namespace sluice::cli {

int export_window(const client::client_config& c, const export_args& a) {
  if (a.format != "jsonl" && a.format != "csv") {
    return fail("export", "--format is jsonl or csv, not '" + a.format + "'");
  }
  auto from = parse_time(a.from);
  if (!from) return fail("export", "--from: " + from.error().message);
  auto to = parse_time(a.to);
  if (!to) return fail("export", "--to: " + to.error().message);
  if (to.value() < from.value()) return fail("export", "--to is before --from");

  client::admin admin(c);
  auto info = admin.describe_topic(a.topic);
  if (!info) return fail("export", info.error().message);
  auto starts = admin.list_offsets(a.topic, client::offset_spec::timestamp, from.value());
  if (!starts) return fail("export", starts.error().message);

  std::ofstream file;
  if (a.out) {
    file.open(*a.out, std::ios::binary | std::ios::trunc);
    if (!file) return fail("export", "cannot write " + *a.out);
  }
  std::ostream& out = a.out ? static_cast<std::ostream&>(file) : std::cout;
  if (a.format == "csv") out << csv_header() << "\n";

  const bool progress = ::isatty(STDERR_FILENO) != 0;
  client::consumer_config cc;
  static_cast<client::client_config&>(cc) = c;
  cc.fetch_max_wait = std::chrono::milliseconds(100);
  client::consumer consumer(cc);
  uint64_t exported = 0;
  for (const auto& p : info.value().partitions) {
    int64_t start = -1;
    for (const auto& s : starts.value()) {
      if (s.partition == p.partition) start = s.offset;
    }
    const int64_t end = p.high_watermark;
    if (start < 0 || start >= end) continue;
    client::topic_partition tp{a.topic, p.partition};
    if (auto r = consumer.assign({tp}); !r) return fail("export", r.error().message);
    if (auto r = consumer.seek(tp, start); !r) return fail("export", r.error().message);
    int64_t position = start;
    while (position < end) {
      auto records = consumer.poll(std::chrono::milliseconds(500));
      if (!records) return fail("export", records.error().message);
      for (const auto& r : records.value()) {
        if (r.offset >= end) {
          position = end;
          break;
        }
        position = r.offset + 1;
        if (r.timestamp < from.value() || r.timestamp >= to.value()) continue;
        out << (a.format == "csv" ? to_csv_line(r) : to_json_line(r)) << "\n";
        ++exported;
      }
      if (records.value().empty()) {
        auto pos = consumer.position(tp);
        if (pos && *pos >= end) break;
      }
      if (progress) {
        std::fprintf(
            stderr, "\rexport: partition %d/%zu, %3.0f%%, %llu records", p.partition + 1,
            info.value().partitions.size(),
            100.0 * static_cast<double>(position - start) / static_cast<double>(end - start),
            static_cast<unsigned long long>(exported));
      }
    }
  }
  if (progress)
    std::fprintf(stderr, "\rexport: done, %llu records%30s\n",
                 static_cast<unsigned long long>(exported), "");
  out.flush();
  if (!out) return fail("export", "writing the output failed");
  return 0;
}

}  // namespace sluice::cli
