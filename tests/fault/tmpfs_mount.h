// A small tmpfs mounted for one test, so the broker can fill a real disk. Mounting needs root
// (CAP_SYS_ADMIN); where that is refused, mounted() is false and says why.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace sluice::test {

class tmpfs_mount {
 public:
  // Mounts a tmpfs of `bytes` on `dir`, creating it.
  tmpfs_mount(std::filesystem::path dir, uint64_t bytes);
  ~tmpfs_mount();  // unmounts (lazily, should something still hold a file)
  tmpfs_mount(const tmpfs_mount&) = delete;
  tmpfs_mount& operator=(const tmpfs_mount&) = delete;

  [[nodiscard]] bool mounted() const { return mounted_; }
  [[nodiscard]] const std::string& why_not() const { return why_not_; }
  [[nodiscard]] const std::filesystem::path& path() const { return dir_; }
  // Bytes still free on it.
  [[nodiscard]] uint64_t free_bytes() const;

 private:
  std::filesystem::path dir_;
  bool mounted_ = false;
  std::string why_not_;
};

}  // namespace sluice::test
