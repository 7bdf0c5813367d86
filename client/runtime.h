// The thread a client object's network work runs on: an io_context and the thread running it.
// Public client calls are made from application threads and block on work posted here.
#pragma once

#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>

#include "client/asio.h"
#include "client/errors.h"

namespace sluice::client {

class runtime {
 public:
  runtime();
  ~runtime();
  runtime(const runtime&) = delete;
  runtime& operator=(const runtime&) = delete;

  [[nodiscard]] asio::any_io_executor executor() { return io_.get_executor(); }
  [[nodiscard]] bool on_runtime_thread() const {
    return std::this_thread::get_id() == thread_.get_id();
  }

  // Runs `make()`'s coroutine on the runtime thread and waits for its result.
  // REQUIRES: not called on the runtime thread.
  // Once stopped, returns errc::closed (or nothing, for void) without running anything.
  template <class F>
  auto run(F make) -> typename decltype(make())::value_type {
    using T = typename decltype(make())::value_type;
    if (!enter()) {
      if constexpr (std::is_void_v<T>) {
        return;
      } else {
        return T(make_error(errc::closed, "the client was closed"));
      }
    }
    struct leave_on_exit {
      runtime* rt;
      ~leave_on_exit() { rt->leave(); }
    } guard{this};
    if constexpr (std::is_void_v<T>) {
      asio::co_spawn(io_, std::move(make), asio::use_future).get();
    } else {
      // co_spawn needs a default-constructible result; result<T> is not.
      auto wrapped = [make = std::move(make)]() mutable -> awaitable<std::optional<T>> {
        co_return co_await make();
      };
      return std::move(*asio::co_spawn(io_, std::move(wrapped), asio::use_future).get());
    }
  }

  // Waits for run() calls in progress, then stops the io_context and joins the thread.
  // Idempotent.
  void stop();

 private:
  bool enter();
  void leave();

  std::mutex mutex_;
  std::condition_variable idle_;
  int running_ = 0;
  bool stopped_ = false;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_;
};

}  // namespace sluice::client
