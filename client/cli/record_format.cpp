#include "client/cli/record_format.h"

#include <cstdio>
#include <nlohmann/json.hpp>

namespace sluice::cli {
namespace {

using json = nlohmann::ordered_json;

json nullable(const std::optional<std::string>& s) {
  return s ? json(*s) : json(nullptr);
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string to_json_line(const client::consumer_record& r) {
  json headers = json::array();
  for (const auto& [k, v] : r.headers)
    headers.push_back({{"key", k}, {"value", nullable(v)}});
  json j = {{"topic", r.topic},         {"partition", r.partition}, {"offset", r.offset},
            {"timestamp", r.timestamp}, {"key", nullable(r.key)},   {"value", nullable(r.value)},
            {"headers", headers}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

void print_record(const client::consumer_record& r, const std::string& format) {
  if (format == "json") {
    std::string line = to_json_line(r);
    std::fwrite(line.data(), 1, line.size(), stdout);
  } else if (r.value) {
    std::fwrite(r.value->data(), 1, r.value->size(), stdout);
  }
  std::fputc('\n', stdout);
}

std::string csv_header() {
  return "topic,partition,offset,timestamp,key,value";
}

std::string to_csv_line(const client::consumer_record& r) {
  return csv_field(r.topic) + "," + std::to_string(r.partition) + "," + std::to_string(r.offset) +
         "," + std::to_string(r.timestamp) + "," + csv_field(r.key.value_or("")) + "," +
         csv_field(r.value.value_or(""));
}

}  // namespace sluice::cli
