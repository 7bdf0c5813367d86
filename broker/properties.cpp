#include "broker/properties.h"

#include "broker/errc.h"

namespace sluice::broker {
namespace {

std::string_view trim(std::string_view s) {
  const char* ws = " \t\r";
  size_t first = s.find_first_not_of(ws);
  if (first == std::string_view::npos) return {};
  size_t last = s.find_last_not_of(ws);
  return s.substr(first, last - first + 1);
}

}  // namespace

result<property> parse_assignment(std::string_view text, const std::string& origin) {
  size_t eq = text.find('=');
  std::string_view key = trim(text.substr(0, eq));
  if (eq == std::string_view::npos || key.empty()) {
    return make_error(errc::invalid_config,
                      origin + ": expected key=value, got '" + std::string(text) + "'");
  }
  return property{std::string(key), std::string(trim(text.substr(eq + 1))), origin};
}

result<std::vector<property>> parse_properties(std::string_view text, const std::string& origin) {
  std::vector<property> out;
  size_t line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++line_no;
    if (line.empty() || line.front() == '#' || line.front() == '!') continue;
    SLUICE_TRY(p, parse_assignment(line, origin + " line " + std::to_string(line_no)));
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace sluice::broker
