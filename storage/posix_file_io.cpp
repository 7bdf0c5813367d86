#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "storage/errc.h"
#include "storage/file_io.h"

namespace sluice::storage {
namespace {

class posix_file final : public file {
 public:
  posix_file(int fd, fs::path path) : fd_(fd), path_(std::move(path)) {}
  ~posix_file() override { ::close(fd_); }

  result<size_t> read_at(std::span<std::byte> dst, uint64_t pos) override {
    size_t done = 0;
    while (done < dst.size()) {
      ssize_t n =
          ::pread(fd_, dst.data() + done, dst.size() - done, static_cast<off_t>(pos + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        return io_failure(errno, "read " + path_.string());
      }
      if (n == 0) break;
      done += static_cast<size_t>(n);
    }
    return done;
  }

  result<void> write_at(std::span<const std::byte> src, uint64_t pos) override {
    size_t done = 0;
    while (done < src.size()) {
      ssize_t n =
          ::pwrite(fd_, src.data() + done, src.size() - done, static_cast<off_t>(pos + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        return io_failure(errno, "write " + path_.string());
      }
      done += static_cast<size_t>(n);
    }
    return success();
  }

  result<void> sync() override {
    if (::fdatasync(fd_) != 0) return io_failure(errno, "fdatasync " + path_.string());
    return success();
  }

  result<void> truncate(uint64_t size) override {
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) {
      return io_failure(errno, "truncate " + path_.string());
    }
    return success();
  }

  result<void> preallocate(uint64_t pos, uint64_t length) override {
    while (::fallocate(fd_, FALLOC_FL_KEEP_SIZE, static_cast<off_t>(pos),
                       static_cast<off_t>(length)) != 0) {
      if (errno != EINTR) return io_failure(errno, "fallocate " + path_.string());
    }
    return success();
  }

  result<uint64_t> size() override {
    struct stat st;
    if (::fstat(fd_, &st) != 0) return io_failure(errno, "stat " + path_.string());
    return static_cast<uint64_t>(st.st_size);
  }

  int native_handle() const override { return fd_; }
  const fs::path& path() const override { return path_; }

 private:
  int fd_;
  fs::path path_;
};

class posix_fs final : public filesystem {
 public:
  result<std::shared_ptr<file>> open(const fs::path& path, bool create) override {
    int flags = O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0);
    int fd = ::open(path.c_str(), flags, 0644);
    if (fd < 0) return io_failure(errno, "open " + path.string());
    return std::shared_ptr<file>(std::make_shared<posix_file>(fd, path));
  }

  result<bool> exists(const fs::path& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) == 0) return true;
    if (errno == ENOENT) return false;
    return io_failure(errno, "stat " + path.string());
  }

  result<void> remove(const fs::path& path) override {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return io_failure(errno, "remove " + path.string());
    }
    return success();
  }

  result<void> remove_all(const fs::path& path) override {
    std::error_code ec;
    fs::remove_all(path, ec);
    if (ec) return io_failure(ec.value(), "remove " + path.string());
    return success();
  }

  result<void> rename(const fs::path& from, const fs::path& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      return io_failure(errno, "rename " + from.string() + " to " + to.string());
    }
    return success();
  }

  result<void> create_directories(const fs::path& path) override {
    std::error_code ec;
    fs::create_directories(path, ec);
    if (ec) return io_failure(ec.value(), "create directory " + path.string());
    return success();
  }

  result<std::vector<std::string>> list(const fs::path& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return io_failure(errno, "list " + dir.string());
    std::vector<std::string> names;
    while (const dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name != "." && name != "..") names.push_back(std::move(name));
    }
    ::closedir(d);
    return names;
  }

  result<void> sync_directory(const fs::path& dir) override {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return io_failure(errno, "open directory " + dir.string());
    int rc = ::fsync(fd);
    int saved = errno;
    ::close(fd);
    if (rc != 0) return io_failure(saved, "fsync directory " + dir.string());
    return success();
  }
};

}  // namespace

filesystem& posix_filesystem() {
  static posix_fs instance;
  return instance;
}

result<std::vector<std::byte>> read_whole_file(filesystem& fs, const fs::path& path) {
  SLUICE_TRY(f, fs.open(path, false));
  SLUICE_TRY(size, f->size());
  std::vector<std::byte> bytes(size);
  SLUICE_TRY(n, f->read_at(bytes, 0));
  bytes.resize(n);
  return bytes;
}

result<void> write_file_atomically(filesystem& fs, const fs::path& path,
                                   std::span<const std::byte> bytes) {
  fs::path tmp = path;
  tmp += ".tmp";
  {
    SLUICE_TRY(f, fs.open(tmp, true));
    SLUICE_TRY(f->truncate(0));
    SLUICE_TRY(f->write_at(bytes, 0));
    SLUICE_TRY(f->sync());
  }
  SLUICE_TRY(fs.rename(tmp, path));
  return fs.sync_directory(path.parent_path());
}

}  // namespace sluice::storage
