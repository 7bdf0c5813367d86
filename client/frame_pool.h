// Memory for response frames, used again rather than freed. A consumer reading at full speed takes
// a frame of about fetch_max_bytes per fetch. Freed, glibc returns blocks that large to the kernel,
// and the next fetch pays for mapping and zeroing the pages again, on the thread that also reads
// the socket.
//
// Frames of pooled_min_bytes or more are rounded up to a multiple of it and, once released, kept
// while the pool's idle frames stay within its limit; smaller frames and frames larger than the
// limit are simply freed. A take gets the smallest idle frame that fits and is at most twice its
// size; one that finds none drops the idle frames too small for it, so the pool follows the
// responses' size.
//
// Thread-safe: frames are taken on the runtime thread and released wherever the last view of a
// fetched record goes. A frame may outlive its pool; it is then freed when released.
#pragma once

#include <cstddef>
#include <memory>

namespace sluice::client {

struct frame_pool_state;

struct frame_release {
  std::shared_ptr<frame_pool_state> pool;  // null: an unpooled frame, simply deleted
  size_t capacity = 0;                     // bytes allocated; for a pooled frame only
  void operator()(std::byte* p) const noexcept;
};

using frame_ptr = std::unique_ptr<std::byte[], frame_release>;

class frame_pool {
 public:
  static constexpr size_t pooled_min_bytes = 64 * 1024;

  explicit frame_pool(size_t max_idle_bytes);
  // Frees the idle frames; frames still out are freed when released.
  ~frame_pool();
  frame_pool(const frame_pool&) = delete;
  frame_pool& operator=(const frame_pool&) = delete;

  // An uninitialized frame of at least `n` bytes.
  [[nodiscard]] frame_ptr take(size_t n);

  // The bytes of the released frames kept for later takes; at most max_idle_bytes.
  [[nodiscard]] size_t idle_bytes() const;

 private:
  std::shared_ptr<frame_pool_state> state_;
};

}  // namespace sluice::client
