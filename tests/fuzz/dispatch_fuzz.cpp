// libFuzzer target: arbitrary bytes sent to a broker session over loopback TCP, as a client
// would send them: frames, every request type through the session's dispatcher and handlers,
// against a real log manager and offset store in a scratch directory. The session must answer
// or close; nothing may crash, leak or touch memory it does not own.
#include <unistd.h>

#include <google/protobuf/stubs/logging.h>
#include <filesystem>
#include <memory>
#include <optional>

#include "broker/asio.h"
#include "broker/config.h"
#include "broker/context.h"
#include "broker/fetch_waiters.h"
#include "broker/group/coordinator.h"
#include "broker/memory_budget.h"
#include "broker/metrics.h"
#include "broker/producer_ids.h"
#include "broker/session.h"
#include "storage/offset_store.h"

using namespace sluice;

// Protobuf logs every string field that is not UTF-8; the fuzzer sends a great many.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(
      [](google::protobuf::LogLevel, const char*, int, const std::string&) {});
  return 0;
}
using namespace sluice::broker;
namespace fs = std::filesystem;

namespace {

// One broker's state, kept across inputs: topics, groups and records the inputs create
// accumulate, until the harness is replaced by a fresh one.
struct harness {
  explicit harness(int generation) {
    const fs::path base = fs::exists("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
    dir = base /
          ("sluice-dispatch-fuzz-" + std::to_string(::getpid()) + "-" + std::to_string(generation));
    fs::remove_all(dir);
    config.storage.data_dir = dir / "data";
    config.storage.max_partitions = 4;
    config.storage.maintenance_interval = std::chrono::milliseconds(0);
    config.fetch_max_wait_ms = 1;                           // long polls would make each input wait
    config.storage.policy = storage::flush_policy::always;  // so acks=all answers at once
    config.socket_request_max_bytes = 1 << 20;
    config.queued_max_request_bytes = 8 << 20;  // no less than one request, as config.cpp checks
    logs = std::move(storage::log_manager::open(config.storage)).value();
    store = std::move(storage::offset_store::open(dir / "offsets")).value();
    ids = std::make_unique<producer_id_allocator>(*store);
    groups = std::make_unique<group_coordinator>(*logs, *store, config, metrics,
                                                 storage::system_clock_ms);
    ctx = std::make_unique<broker_context>(
        broker_context{*logs, config, *ids, metrics, groups.get(), "127.0.0.1", 0});
    budget = std::make_unique<memory_budget>(io->get_executor(), config.queued_max_request_bytes,
                                             metrics);
    waiters = std::make_unique<fetch_waiters>(io->get_executor());
    shared = std::make_unique<session_shared>(session_shared{*ctx, *budget, *waiters});
    acceptor->open(tcp::v4());
    acceptor->bind({asio::ip::make_address("127.0.0.1"), 0});
    acceptor->listen();
  }

  // In the broker's order (broker.cpp): the io_context goes before the budget, waiters and logs
  // that the coroutines still suspended in it refer to.
  ~harness() {
    acceptor.reset();
    store.reset();
    io.reset();
    shared.reset();
    waiters.reset();
    budget.reset();
    ctx.reset();
    groups.reset();
    ids.reset();
    logs.reset();
    std::error_code gone;
    fs::remove_all(dir, gone);
  }
  harness(const harness&) = delete;
  harness& operator=(const harness&) = delete;

  // Sends `bytes`, half-closes, and lets the session answer until it closes or 200 ms pass.
  void run(std::span<const uint8_t> bytes) {
    // libFuzzer's timer signal may interrupt the blocking connect and accept: try again.
    tcp::socket client(*io);
    error_code ec;
    do {
      if (client.is_open()) client.close(ec);
      client.connect(acceptor->local_endpoint(), ec);
    } while (ec == asio::error::interrupted);
    if (ec) throw boost::system::system_error(ec, "connect");
    tcp::socket server_side(*io);
    do {
      acceptor->accept(server_side, ec);
    } while (ec == asio::error::interrupted);
    if (ec) throw boost::system::system_error(ec, "accept");
    bool closed = false;
    auto s = std::make_shared<session>(std::move(server_side), *shared,
                                       [&closed](session*) { closed = true; });
    s->start();
    asio::async_write(client, asio::buffer(bytes.data(), bytes.size()),
                      [&client](const error_code& ec, size_t) {
                        error_code ignored;
                        if (!ec) client.shutdown(tcp::socket::shutdown_send, ignored);
                      });
    std::array<char, 64 * 1024> sink;
    std::function<void(const error_code&, size_t)> drain = [&](const error_code& ec, size_t) {
      if (!ec) client.async_read_some(asio::buffer(sink), drain);
    };
    client.async_read_some(asio::buffer(sink), drain);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
    while (!closed && std::chrono::steady_clock::now() < deadline)
      io->run_one_for(std::chrono::milliseconds(10));
    if (!closed) s->abort();
    error_code ignored;
    client.close(ignored);
    io->restart();
    io->poll();  // let the aborted session's handlers finish
    io->restart();
  }

  fs::path dir;
  broker_config config;
  std::optional<asio::io_context> io{std::in_place, 1};
  metrics_registry metrics;
  std::unique_ptr<storage::log_manager> logs;
  std::unique_ptr<storage::offset_store> store;
  std::unique_ptr<producer_id_allocator> ids;
  std::unique_ptr<group_coordinator> groups;
  std::unique_ptr<broker_context> ctx;
  std::unique_ptr<memory_budget> budget;
  std::unique_ptr<fetch_waiters> waiters;
  std::unique_ptr<session_shared> shared;
  std::optional<tcp::acceptor> acceptor{std::in_place, *io};
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // State grows with every input (groups rebalance over every topic), and with it the time per
  // input: a fresh broker every 500 inputs. libFuzzer exits without unwinding, so at exit only
  // the directory is cleaned.
  static int runs = 0;
  static harness* h = [] {
    std::atexit([] {  // not `delete h`: RocksDB's own statics may be gone by now
      std::error_code ignored;
      fs::remove_all(h->dir, ignored);
    });
    return new harness(0);
  }();
  if (++runs % 500 == 0) {
    delete h;
    h = new harness(runs / 500);
  }
  h->run({data, size});
  return 0;
}
