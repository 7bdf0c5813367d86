// How the CLI writes records: the value alone, a JSON object per line, or CSV.
#pragma once

#include <string>

#include "client/record.h"

namespace sluice::cli {

// {"topic":..,"partition":..,"offset":..,"timestamp":..,"key":..,"value":..,"headers":[..]}
[[nodiscard]] std::string to_json_line(const client::consumer_record& r);

// Writes `r` to stdout as one line: its value alone ("value") or to_json_line ("json").
void print_record(const client::consumer_record& r, const std::string& format);

[[nodiscard]] std::string csv_header();
// topic,partition,offset,timestamp,key,value with RFC 4180 quoting; null key or value is empty.
[[nodiscard]] std::string to_csv_line(const client::consumer_record& r);

}  // namespace sluice::cli
