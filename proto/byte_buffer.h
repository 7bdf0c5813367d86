// A byte vector whose resize() leaves the new bytes unset, for buffers that are written right
// after they grow (a record batch being built, a compressor's output): std::vector<std::byte>
// zeroes them first, 5 % of a producing client's samples at 1 KiB records (part of that the
// first touch of the memory, which the write then pays instead).
#pragma once

#include <cstddef>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

namespace sluice::proto {

// std::allocator, except that value-initialising an element default-initialises it.
template <class T>
struct default_init_allocator : std::allocator<T> {
  template <class U>
  struct rebind {
    using other = default_init_allocator<U>;
  };
  default_init_allocator() noexcept = default;
  template <class U>
  default_init_allocator(const default_init_allocator<U>&) noexcept {}  // NOLINT: as std::allocator

  template <class U>
  void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

using byte_buffer = std::vector<std::byte, default_init_allocator<std::byte>>;

}  // namespace sluice::proto
