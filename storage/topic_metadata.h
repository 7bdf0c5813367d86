// What the log manager remembers about a topic besides its data: the partition count and the
// config keys set on the topic. Stored as `<data.dir>/topics/<name>.properties`, `key=value`
// lines (storage/FORMAT.md); keys not set there follow the broker's defaults.
#pragma once

#include <cstdint>
#include <string>

#include "proto/result.h"
#include "storage/file_io.h"
#include "storage/log_config.h"

namespace sluice::storage {

struct topic_metadata {
  int32_t partitions = 0;
  config_map overrides;
};

[[nodiscard]] std::string format_topic_metadata(const topic_metadata& meta);

// Parses the file form. Fails with errc::corrupt_metadata naming the line.
[[nodiscard]] result<topic_metadata> parse_topic_metadata(std::string_view text);

}  // namespace sluice::storage
