// sluice-load [--idle N] [--active N] [--seconds S] [--max-latency-ratio R] [--max-rss-mib M]
// [--within-budget] [--skip PART,...]: the fault suite's load and hostile-client run. N active
// clients (producers at 50 records/s and consumers, half and half) run throughout, with a probe
// producer measuring produce latency (acks=1, 1,000 records/s, from each record's intended send
// time). The probe's p99 is taken first with only them ("unloaded"), then again once the broker
// also holds N idle connections, clients that send fetches and never read the answers, a client
// that sends one byte a second, and one that opens and closes connections in a loop ("loaded").
// Prints
//   idle=N active=N unloaded_p99_ms=X loaded_p99_ms=X ratio=X rss_peak_mib=X broker_up=yes|no
// and exits non-zero if the broker went down, or the ratio or the peak RSS passed the given
// bounds (0, the default: only reported), or with --within-budget the RSS grew by more than the
// broker's request-memory budget.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <thread>

#include "client/admin.h"
#include "client/consumer.h"
#include "client/producer.h"
#include "sluice_bench/histogram.h"
#include "support/broker_process.h"
#include "support/raw_client.h"
#include "support/temp_dir.h"

using namespace sluice;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr uint64_t budget_bytes = 64 << 20;  // queued.max.request.bytes of the broker under load

struct options {
  int idle = 1000;
  int active = 100;
  int seconds = 10;
  double max_latency_ratio = 0;
  uint64_t max_rss_mib = 0;
  bool within_budget = false;     // fail if RSS grows by more than queued.max.request.bytes
  std::vector<std::string> skip;  // parts of the load left out, to see what each costs

  [[nodiscard]] bool with(const std::string& part) const {
    return std::find(skip.begin(), skip.end(), part) == skip.end();
  }
};

uint64_t rss_bytes(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string key;
  while (status >> key) {
    if (key == "VmRSS:") {
      uint64_t kib = 0;
      status >> kib;
      return kib * 1024;
    }
    status.ignore(4096, '\n');
  }
  return 0;
}

// p99 of produce latency at 1,000 records/s for `seconds`, counted from each intended send time.
double probe_p99_ms(const client::producer_config& pc, int seconds) {
  client::producer p(pc);
  std::mutex m;
  bench::histogram h;
  const auto start = clock_type::now();
  const int total = seconds * 1000;
  for (int i = 0; i < total; ++i) {
    const auto intended = start + std::chrono::milliseconds(i);
    std::this_thread::sleep_until(intended);
    (void)p.send({.topic = "probe", .value = "probe"},
                 [&, intended](const result<client::record_metadata>&) {
                   const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                       clock_type::now() - intended);
                   std::lock_guard lock(m);
                   h.record(static_cast<uint64_t>(us.count()));
                 });
  }
  p.flush();
  std::lock_guard lock(m);
  return static_cast<double>(h.at(0.99)) / 1000.0;
}

int connect_to(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) return fd;
  if (fd >= 0) ::close(fd);
  return -1;
}

v1::RequestMeta fetch_everything() {
  v1::RequestMeta meta;
  meta.mutable_header()->set_api_key(v1::FETCH);
  auto* f = meta.mutable_fetch();
  f->set_max_bytes(8 << 20);
  auto* t = f->add_topics();
  t->set_name("load");
  for (int p = 0; p < 8; ++p) {
    auto* part = t->add_partitions();
    part->set_partition(p);
    part->set_max_bytes(1 << 20);
  }
  return meta;
}

// The hostile and active clients; each runs on its own thread until `stop`.
struct load {
  explicit load(const test::broker_process& broker, const options& o) : broker(broker), o(o) {}

  // Producers (50 records/s each) and consumers, half and half.
  void start_active() {
    client::client_config c;
    c.broker = broker.address();
    for (int i = 0; i < o.active / 2 && o.with("active"); ++i) {
      threads.emplace_back([this, c, i] {
        client::producer_config pc;
        static_cast<client::client_config&>(pc) = c;
        pc.acks = 1;
        client::producer p(pc);
        const std::string value(1024, 'l');
        for (int n = 0; !stop; ++n) {
          (void)p.send({.topic = "load", .key = std::to_string(i * 1000 + n), .value = value});
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
      });
      threads.emplace_back([this, c, i] {
        client::consumer_config cc;
        static_cast<client::client_config&>(cc) = c;
        cc.auto_offset_reset = "earliest";
        client::consumer consumer(cc);
        (void)consumer.assign({{"load", i % 8}});
        while (!stop)
          (void)consumer.poll(std::chrono::milliseconds(100));
      });
    }
  }

  void start_hostile() {
    const uint16_t port = broker.port();
    for (int i = 0; i < o.idle && o.with("idle"); ++i) {
      idle.push_back(std::make_unique<test::raw_client>(port));
      v1::RequestMeta meta;
      meta.mutable_header()->set_api_key(v1::API_VERSIONS);
      meta.mutable_api_versions();
      idle.back()->send_request(meta);
      (void)idle.back()->read_response();  // accepted before the next one
    }
    for (int i = 0; i < 5 && o.with("non-readers"); ++i) {
      non_readers.push_back(std::make_unique<test::raw_client>(port));
      for (int n = 0; n < 50; ++n)
        non_readers.back()->send_request(fetch_everything());
    }
    threads.emplace_back([this, port] {  // one byte a second of a well-formed frame
      if (!this->o.with("slow")) return;
      const int fd = connect_to(port);
      const char frame[] = {0, 0, 0, 40, 0, 0, 0, 36};
      for (size_t i = 0; !stop && fd >= 0; i = (i + 1) % sizeof frame) {
        if (::send(fd, frame + i, 1, MSG_NOSIGNAL) != 1) break;
        for (int t = 0; t < 10 && !stop; ++t)
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      if (fd >= 0) ::close(fd);
    });
    threads.emplace_back([this, port] {  // opens and closes connections, a bounded number
      for (int i = 0; i < 100'000 && !stop && this->o.with("churn"); ++i) {
        const int fd = connect_to(port);
        if (fd >= 0) ::close(fd);
        ++churned;
      }
    });
    threads.emplace_back([this] {
      while (!stop) {
        rss_peak = std::max<uint64_t>(rss_peak, rss_bytes(broker.pid()));
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    });
  }

  void finish() {
    stop = true;
    for (auto& t : threads)
      t.join();
    non_readers.clear();
    idle.clear();
  }

  const test::broker_process& broker;
  const options& o;
  std::atomic<bool> stop = false;
  std::atomic<uint64_t> rss_peak = 0;
  std::atomic<uint64_t> churned = 0;
  std::vector<std::unique_ptr<test::raw_client>> idle, non_readers;
  std::vector<std::thread> threads;
};

}  // namespace

int main(int argc, char** argv) {
  options o;
  CLI::App app{"Load and hostile clients against one broker; reports latency and memory."};
  app.add_option("--idle", o.idle, "idle connections")->check(CLI::NonNegativeNumber);
  app.add_option("--active", o.active, "active producers and consumers")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--seconds", o.seconds, "length of each latency probe")
      ->check(CLI::PositiveNumber);
  app.add_option("--max-latency-ratio", o.max_latency_ratio, "fail above this p99 ratio");
  app.add_option("--max-rss-mib", o.max_rss_mib, "fail above this broker RSS");
  app.add_flag("--within-budget", o.within_budget,
               "fail if the broker's RSS grows by more than its request-memory budget "
               "(not under ASan, whose quarantine keeps freed memory)");
  app.add_option("--skip", o.skip, "leave out: idle, active, non-readers, slow, churn")
      ->delimiter(',');
  CLI11_PARSE(app, argc, argv);

  test::temp_dir dir;
  const int connections = o.idle + o.active * 2 + 100;
  test::broker_process broker(dir / "data",
                              {"max.connections=" + std::to_string(connections),
                               "queued.max.request.bytes=" + std::to_string(budget_bytes),
                               "socket.request.max.bytes=16777216"});
  client::client_config c;
  c.broker = broker.address();
  client::admin admin(c);
  if (auto made = admin.create_topic("load", 8); !made) {
    std::fprintf(stderr, "load: %s\n", made.error().message.c_str());
    return 2;
  }
  (void)admin.create_topic("probe", 1);
  client::producer_config pc;
  static_cast<client::client_config&>(pc) = c;
  pc.acks = 1;
  pc.linger = std::chrono::milliseconds(0);
  {
    client::producer fill(pc);  // something for the fetches that are never read
    for (int i = 0; i < 20'000; ++i)
      (void)fill.send({.topic = "load", .key = std::to_string(i), .value = std::string(1024, 'f')});
  }

  load l(broker, o);
  l.start_active();
  const double unloaded = probe_p99_ms(pc, o.seconds);
  const uint64_t rss_before = rss_bytes(broker.pid());
  l.start_hostile();
  const double loaded = probe_p99_ms(pc, o.seconds);
  l.finish();
  const bool up = broker.running();
  const double ratio = unloaded > 0 ? loaded / unloaded : 0;
  const double rss_mib = static_cast<double>(l.rss_peak.load()) / (1 << 20);
  std::fprintf(stderr, "load: broker RSS %.0f MiB before the load; %llu connections churned\n",
               static_cast<double>(rss_before) / (1 << 20),
               static_cast<unsigned long long>(l.churned.load()));
  std::printf(
      "idle=%d active=%d unloaded_p99_ms=%.2f loaded_p99_ms=%.2f ratio=%.2f rss_peak_mib=%.0f "
      "broker_up=%s\n",
      o.idle, o.active, unloaded, loaded, ratio, rss_mib, up ? "yes" : "no");
  bool ok = up;
  if (o.max_latency_ratio > 0 && ratio > o.max_latency_ratio) ok = false;
  if (o.max_rss_mib > 0 && rss_mib > static_cast<double>(o.max_rss_mib)) ok = false;
  if (o.within_budget && l.rss_peak.load() > rss_before + budget_bytes) ok = false;
  return ok ? 0 : 1;
}
