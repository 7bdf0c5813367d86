// Kafka-style properties files: `key=value` lines, `#` or `!` comments, blank lines ignored,
// whitespace around keys and values trimmed.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proto/result.h"

namespace sluice::broker {

struct property {
  std::string key;
  std::string value;
  std::string origin;  // "FILE line N" or "--set", for error messages
};

// Parses properties text. `origin` names the source (a file name) in errors and in each
// property's origin. A line without '=' is an error naming the line.
[[nodiscard]] result<std::vector<property>> parse_properties(std::string_view text,
                                                             const std::string& origin);

// Splits "key=value" as given to --set.
[[nodiscard]] result<property> parse_assignment(std::string_view text, const std::string& origin);

}  // namespace sluice::broker
