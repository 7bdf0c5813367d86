// Sales per minute by event time: orders (key: order id, value: amount, timestamp: when the order
// was placed) are summed in one-minute tumbling windows. A minute is printed once the watermark
// (the newest order time seen minus the allowed lateness) passes its end; orders later than that
// go to the topic "<orders topic>.late". Kill it at any point and start it again: every minute is
// still in the changelog exactly once, with the same total (`report` prints them).
//
//   sales_per_minute run    [--broker HOST:PORT] [--topic orders] [--group sales-per-minute]
//                           [--lateness 2m] [--batch-records 100] [--batch-ms 1000]
//   sales_per_minute report [--broker HOST:PORT] [--topic orders] [--group sales-per-minute]
#include <CLI/CLI.hpp>
#include <atomic>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <optional>
#include <string>
#include <thread>

#include "client/admin.h"
#include "client/streams/changelog.h"
#include "client/streams/window_aggregator.h"

namespace {

using namespace sluice::client;

std::atomic<bool> stopping{false};

// "12.50" -> 1250; nullopt for anything that is not an amount with at most two decimals.
std::optional<int64_t> parse_cents(const std::string& text) {
  const size_t dot = text.find('.');
  const std::string whole = text.substr(0, dot);
  std::string frac = dot == std::string::npos ? "" : text.substr(dot + 1);
  if (whole.empty() || frac.size() > 2) return std::nullopt;
  if (text.find_first_not_of("0123456789.") != std::string::npos) return std::nullopt;
  frac.resize(2, '0');
  int64_t units = 0, cents = 0;
  auto w = std::from_chars(whole.data(), whole.data() + whole.size(), units);
  auto f = std::from_chars(frac.data(), frac.data() + frac.size(), cents);
  if (w.ec != std::errc{} || w.ptr != whole.data() + whole.size()) return std::nullopt;
  if (f.ec != std::errc{} || f.ptr != frac.data() + frac.size() || units < 0) return std::nullopt;
  return units * 100 + cents;
}

// A minute's aggregate: "<orders> <cents> <unreadable amounts>".
struct sales {
  int64_t orders = 0, cents = 0, unreadable = 0;

  static sales parse(const std::string& text) {
    sales s;
    if (!text.empty()) std::sscanf(text.c_str(), "%ld %ld %ld", &s.orders, &s.cents, &s.unreadable);
    return s;
  }
  [[nodiscard]] std::string text() const {
    return std::to_string(orders) + " " + std::to_string(cents) + " " + std::to_string(unreadable);
  }
};

std::string add_order(std::string aggregate, const consumer_record& r) {
  auto s = sales::parse(aggregate);
  if (auto cents = parse_cents(r.value.value_or(""))) {
    ++s.orders;
    s.cents += *cents;
  } else {
    ++s.unreadable;
  }
  return s.text();
}

std::string minute_text(int64_t epoch_ms) {
  const std::time_t secs = epoch_ms / 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%MZ", &tm);
  return buf;
}

std::string money(int64_t cents) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%ld.%02ld", cents / 100, cents % 100);
  return buf;
}

void print_minute(const window_result& w) {
  auto s = sales::parse(w.value);
  std::printf("%s  orders %ld  sales %s", minute_text(w.start_ms).c_str(), s.orders,
              money(s.cents).c_str());
  if (s.unreadable > 0) std::printf("  (%ld unreadable amounts)", s.unreadable);
  std::printf("\n");
  std::fflush(stdout);
}

// "90s", "2m", "500ms", "1h" or plain milliseconds.
std::optional<std::chrono::milliseconds> parse_duration(const std::string& text) {
  int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc{} || n < 0) return std::nullopt;
  const std::string unit(end, text.data() + text.size());
  if (unit.empty() || unit == "ms") return std::chrono::milliseconds(n);
  if (unit == "s") return std::chrono::seconds(n);
  if (unit == "m") return std::chrono::minutes(n);
  if (unit == "h") return std::chrono::hours(n);
  return std::nullopt;
}

struct options {
  std::string broker =
      std::getenv("SLUICE_BROKER") ? std::getenv("SLUICE_BROKER") : "127.0.0.1:9292";
  std::string topic = "orders";
  std::string group = "sales-per-minute";
  std::string lateness = "2m";
  size_t batch_records = 100;
  int64_t batch_ms = 1000;
};

window_aggregator_config aggregator_config(const options& o) {
  window_aggregator_config c;
  c.consumer.broker = o.broker;
  c.consumer.client_id = "sales-per-minute";
  c.consumer.group_id = o.group;
  c.consumer.auto_offset_reset = "earliest";
  c.topic = o.topic;
  c.window = window_spec::tumbling(std::chrono::minutes(1));
  c.key_of = [](const consumer_record&) { return std::string(); };  // one total per minute
  c.batch = {o.batch_records, std::chrono::milliseconds(o.batch_ms)};
  return c;
}

int run(const options& o) {
  auto lateness = parse_duration(o.lateness);
  if (!lateness) {
    std::fprintf(stderr, "sales_per_minute: --lateness '%s' is not a duration like 90s or 2m\n",
                 o.lateness.c_str());
    return 2;
  }
  std::signal(SIGINT, [](int) { stopping = true; });
  std::signal(SIGTERM, [](int) { stopping = true; });
  auto config = aggregator_config(o);
  config.allowed_lateness = *lateness;
  window_aggregator minutes(config, add_order);
  minutes.on_result(print_minute);
  if (auto started = minutes.start(); !started) {
    std::fprintf(stderr, "sales_per_minute: %s\n", started.error().message.c_str());
    return 1;
  }
  std::fprintf(stderr, "sales_per_minute: started; %zu minutes open, %lu late orders so far\n",
               minutes.open_windows(), minutes.late_records());
  uint64_t late_reported = minutes.late_records();
  while (!stopping) {
    auto handled = minutes.run_once(std::chrono::milliseconds(500));
    if (!handled) {
      std::fprintf(stderr, "sales_per_minute: %s (retrying)\n", handled.error().message.c_str());
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      continue;
    }
    if (minutes.late_records() != late_reported) {
      late_reported = minutes.late_records();
      std::printf("late orders so far: %lu (sent to %s.late)\n", late_reported, o.topic.c_str());
      std::fflush(stdout);
    }
  }
  minutes.close();
  return 0;
}

int report(const options& o) {
  client_config c;
  c.broker = o.broker;
  auto results = read_window_results(c, o.group + ".changelog");
  if (!results) {
    std::fprintf(stderr, "sales_per_minute: %s\n", results.error().message.c_str());
    return 1;
  }
  sales total;
  for (const auto& w : results.value()) {
    print_minute(w);
    auto s = sales::parse(w.value);
    total.orders += s.orders;
    total.cents += s.cents;
  }
  std::printf("total  minutes %zu  orders %ld  sales %s\n", results.value().size(), total.orders,
              money(total.cents).c_str());
  admin admin(c);
  auto start = admin.list_offsets(o.topic + ".late", offset_spec::earliest);
  auto end = admin.list_offsets(o.topic + ".late", offset_spec::latest);
  if (start && end) {
    int64_t late = 0;
    for (const auto& p : end.value())
      late += p.offset;
    for (const auto& p : start.value())
      late -= p.offset;
    std::printf("late orders in %s.late: %ld\n", o.topic.c_str(), late);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Sales per minute by event time, on Sluice"};
  app.require_subcommand(1);
  options o;
  for (auto* cmd : {app.add_subcommand("run", "aggregate orders into minutes"),
                    app.add_subcommand("report", "print every minute written so far")}) {
    cmd->add_option("--broker", o.broker, "HOST:PORT (default $SLUICE_BROKER or 127.0.0.1:9292)");
    cmd->add_option("--topic", o.topic, "the orders topic");
    cmd->add_option("--group", o.group, "consumer group; the changelog is <group>.changelog");
  }
  auto* run_cmd = app.get_subcommand("run");
  run_cmd->add_option("--lateness", o.lateness, "allowed lateness (90s, 2m, ...)");
  run_cmd->add_option("--batch-records", o.batch_records, "micro-batch size in records");
  run_cmd->add_option("--batch-ms", o.batch_ms, "micro-batch time limit in milliseconds");
  CLI11_PARSE(app, argc, argv);
  return app.got_subcommand("run") ? run(o) : report(o);
}
