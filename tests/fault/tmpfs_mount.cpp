#include "fault/tmpfs_mount.h"

#include <sys/mount.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>

namespace sluice::test {

tmpfs_mount::tmpfs_mount(std::filesystem::path dir, uint64_t bytes) : dir_(std::move(dir)) {
  std::filesystem::create_directories(dir_);
  const std::string options = "size=" + std::to_string(bytes);
  if (::mount("tmpfs", dir_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) == 0) {
    mounted_ = true;
  } else {
    why_not_ = std::string("mounting a tmpfs failed: ") + std::strerror(errno);
  }
}

tmpfs_mount::~tmpfs_mount() {
  if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
}

uint64_t tmpfs_mount::free_bytes() const {
  struct statvfs s {};
  if (::statvfs(dir_.c_str(), &s) != 0) return 0;
  return static_cast<uint64_t>(s.f_bavail) * s.f_frsize;
}

}  // namespace sluice::test
