#include "storage/topic_metadata.h"

#include <charconv>

#include "storage/errc.h"

namespace sluice::storage {

std::string format_topic_metadata(const topic_metadata& meta) {
  std::string out = "# Sluice topic metadata\npartitions=" + std::to_string(meta.partitions) + "\n";
  for (const auto& [key, value] : meta.overrides)
    out += key + "=" + value + "\n";
  return out;
}

result<topic_metadata> parse_topic_metadata(std::string_view text) {
  topic_metadata meta;
  size_t line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++line_no;
    if (line.empty() || line.front() == '#') continue;
    size_t eq = line.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return make_error(errc::corrupt_metadata,
                        "line " + std::to_string(line_no) + " is not key=value");
    }
    std::string key(line.substr(0, eq));
    std::string value(line.substr(eq + 1));
    if (key == "partitions") {
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), meta.partitions);
      if (ec != std::errc() || end != value.data() + value.size() || meta.partitions < 1) {
        return make_error(errc::corrupt_metadata, "line " + std::to_string(line_no) +
                                                      ": bad partition count '" + value + "'");
      }
    } else {
      meta.overrides[key] = value;
    }
  }
  if (meta.partitions < 1) return make_error(errc::corrupt_metadata, "no partitions= line");
  return meta;
}

}  // namespace sluice::storage
