#include "broker/broker.h"

#include <sys/resource.h>

#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <optional>

#include <google/protobuf/stubs/logging.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "broker/asio.h"
#include "broker/fault_signals.h"
#include "broker/fetch_waiters.h"
#include "broker/group/coordinator.h"
#include "broker/memory_budget.h"
#include "broker/metrics_http.h"
#include "broker/producer_ids.h"
#include "broker/server.h"

namespace sluice::broker {
namespace {

void setup_logging(const broker_config& config) {
  std::vector<spdlog::sink_ptr> sinks{std::make_shared<spdlog::sinks::stderr_sink_mt>()};
  if (!config.log_file.empty()) {
    sinks.push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(config.log_file));
  }
  auto logger = std::make_shared<spdlog::logger>("sluiced", sinks.begin(), sinks.end());
  logger->set_level(spdlog::level::from_str(config.log_level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
  // Protobuf reports what it cannot parse (a string field that is not UTF-8, say) on stderr by
  // itself, once per request. The session already answers such a request with INVALID_REQUEST,
  // so protobuf's words go to the broker log at debug level, where a client cannot flood it.
  google::protobuf::SetLogHandler(
      [](google::protobuf::LogLevel level, const char* file, int line, const std::string& message) {
        if (level == google::protobuf::LOGLEVEL_FATAL) {
          spdlog::critical("protobuf {}:{}: {}", file, line, message);
        } else {
          spdlog::debug("protobuf: {}", message);
        }
      });
}

// A broker holds a descriptor per segment and per connection: use all the OS allows.
void raise_fd_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    (void)::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

// Gauges read when /metrics is scraped.
void render_partition_gauges(storage::log_manager& logs, std::string& out) {
  struct gauge {
    const char* name;
    const char* help;
    int64_t (*get)(const storage::partition_log&);
  };
  static const gauge gauges[] = {
      {"sluice_partition_log_end_offset", "Next offset to be assigned.",
       [](const storage::partition_log& l) { return l.log_end().value; }},
      {"sluice_partition_high_watermark", "Offset below which consumers may read.",
       [](const storage::partition_log& l) { return l.high_watermark().value; }},
      {"sluice_partition_log_start_offset", "First offset still in the log.",
       [](const storage::partition_log& l) { return l.log_start().value; }},
      {"sluice_partition_size_bytes", "Bytes in the partition's segments.",
       [](const storage::partition_log& l) { return static_cast<int64_t>(l.size_bytes()); }},
      {"sluice_partition_segments", "Open segments.",
       [](const storage::partition_log& l) { return static_cast<int64_t>(l.segment_count()); }},
  };
  auto topics = logs.list_topics();
  for (const auto& g : gauges) {
    out += std::string("# HELP ") + g.name + " " + g.help + "\n# TYPE " + g.name + " gauge\n";
    for (const auto& t : topics) {
      for (const auto& log : logs.partitions(t.name)) {
        out += std::string(g.name) + "{topic=\"" + label_value(t.name) + "\",partition=\"" +
               std::to_string(log->id().value) + "\"} " + std::to_string(g.get(*log)) + "\n";
      }
    }
  }
}

}  // namespace

int run_broker(const broker_config& config) {
  setup_logging(config);
  raise_fd_limit();
  std::signal(SIGPIPE, SIG_IGN);

  // Declared first and destroyed explicitly last among the network objects: coroutines still
  // suspended at shutdown are destroyed with it, while the budget and logs they refer to live.
  std::optional<asio::io_context> io_storage(std::in_place, 1);
  asio::io_context& io = *io_storage;
  metrics_registry metrics;
  auto storage_options = config.storage;
  storage_options.on_flush = [&metrics](std::chrono::nanoseconds d) {
    metrics.fsync_latency.observe(d);
  };
  std::unique_ptr<storage::fault_injecting_filesystem> faulty;
  if (config.fault_injection) {
    faulty = std::make_unique<storage::fault_injecting_filesystem>();
    storage_options.fs = faulty.get();
  }
  auto logs = storage::log_manager::open(storage_options);
  if (!logs) {
    spdlog::error("cannot open data.dir {}: {}", config.storage.data_dir.string(),
                  logs.error().message);
    return 1;
  }
  const auto& report = logs.value()->report();
  if (report.partitions == 0) {
    spdlog::info("data.dir {} holds no partitions yet", config.storage.data_dir.string());
  } else if (report.clean) {
    spdlog::info("opened {} partitions in {} after a clean shutdown", report.partitions,
                 config.storage.data_dir.string());
  } else {
    spdlog::warn(
        "opened {} partitions in {} after an unclean shutdown: {} batches checked, {} "
        "bytes cut",
        report.partitions, config.storage.data_dir.string(), report.batches_scanned,
        report.bytes_truncated);
  }
  auto opened = storage::offset_store::open(config.storage.data_dir / "offsets");
  std::unique_ptr<storage::offset_store> store;
  if (opened) {
    store = std::move(opened).value();
  } else {
    // Produce and fetch do not need the offset store: serve them, and answer group and
    // producer-id requests with why they cannot be served.
    spdlog::error(
        "{}; consumer groups and idempotent producers are unavailable until sluiced "
        "is restarted with a working store",
        opened.error().message);
    store = storage::offset_store::unavailable(opened.error());
  }
  producer_id_allocator ids(*store);
  group_coordinator groups(*logs.value(), *store, config, metrics, storage::system_clock_ms);
  if (auto loaded = groups.load(); !loaded && !store->unavailable_reason()) {
    spdlog::error("loading consumer groups: {}; consumer groups are unavailable",
                  loaded.error().message);
  }

  broker_context ctx{*logs.value(), config, ids, metrics, &groups, config.listen.host, 0};
  memory_budget budget(io.get_executor(), config.queued_max_request_bytes, metrics);
  fetch_waiters waiters(io.get_executor());
  session_shared shared{ctx, budget, waiters};
  std::optional<server> srv_storage(std::in_place, io, shared);
  server& srv = *srv_storage;
  auto bound = srv.bind(config.listen);
  if (!bound) {
    spdlog::error("{}", bound.error().message);
    return 1;
  }
  ctx.advertised_port = bound.value().port();
  if (bound.value().address().is_unspecified()) ctx.advertised_host = asio::ip::host_name();

  std::optional<metrics_http> http;
  if (config.metrics_listen) {
    http.emplace(io, [&] {
      return metrics.render([&](std::string& out) {
        render_partition_gauges(*logs.value(), out);
        groups.render_metrics(out);
      });
    });
    auto metrics_bound = http->bind(*config.metrics_listen);
    if (!metrics_bound) {
      spdlog::error("{}", metrics_bound.error().message);
      return 1;
    }
    spdlog::info("metrics on http://{}:{}/metrics", metrics_bound.value().address().to_string(),
                 metrics_bound.value().port());
    http->start();
  }

  srv.start();
  // Session timeouts and topic changes of consumer groups.
  asio::co_spawn(
      io,
      [&]() -> awaitable<void> {
        asio::steady_timer tick(io);
        while (!shared.stopping) {
          tick.expires_after(std::chrono::milliseconds(250));
          error_code ignored;
          co_await tick.async_wait(into(ignored));
          groups.sweep();
        }
      },
      asio::detached);
  // Before the "listening" line: a supervisor may send SIGTERM as soon as it sees it.
  std::optional<asio::signal_set> signals_storage(std::in_place, io, SIGINT, SIGTERM);
  auto& signals = *signals_storage;
  std::optional<fault_signals> faults;
  if (faulty) faults.emplace(io, *faulty);
  spdlog::info("sluiced listening on {}:{}", bound.value().address().to_string(),
               bound.value().port());

  signals.async_wait([&](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    spdlog::info("signal {}: shutting down", signo);
    if (http) http->stop();
    asio::co_spawn(
        io,
        [&]() -> awaitable<void> {
          co_await srv.shutdown(std::chrono::milliseconds(config.shutdown_timeout_ms));
          io.stop();
        },
        asio::detached);
  });
  io.run();
  // Network objects first, then the io_context with whatever was still suspended in it.
  signals_storage.reset();
  faults.reset();
  http.reset();
  srv_storage.reset();
  // Finish the offset store's queued writes while the io_context their callbacks post to
  // still exists.
  store.reset();
  io_storage.reset();

  auto closed = logs.value()->close();
  if (!closed) {
    spdlog::error("shutdown was not clean: {}", closed.error().message);
    return 1;
  }
  spdlog::info("clean shutdown");
  return 0;
}

}  // namespace sluice::broker
