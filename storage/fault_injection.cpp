#include "storage/fault_injection.h"

#include <cerrno>

#include "storage/errc.h"

namespace sluice::storage {

class faulty_file final : public file {
 public:
  faulty_file(fault_injecting_filesystem& owner, std::shared_ptr<file> inner)
      : owner_(owner), inner_(std::move(inner)) {}

  result<size_t> read_at(std::span<std::byte> dst, uint64_t pos) override {
    SLUICE_TRY(owner_.check_powered());
    SLUICE_TRY(n, inner_->read_at(dst, pos));
    owner_.note_read(path(), n);
    return n;
  }

  result<void> write_at(std::span<const std::byte> src, uint64_t pos) override {
    SLUICE_TRY(owner_.check_powered());
    auto [allowed, err] = owner_.admit_write(src.size());
    if (allowed > 0) {
      SLUICE_TRY(inner_->write_at(src.first(allowed), pos));
    }
    if (allowed < src.size()) return io_failure(err, "write " + path().string());
    return success();
  }

  result<void> sync() override { return owner_.sync_file(*inner_); }

  result<void> truncate(uint64_t size) override {
    SLUICE_TRY(owner_.check_powered());
    SLUICE_TRY(inner_->truncate(size));
    owner_.note_truncate(path(), size);
    return success();
  }

  result<void> preallocate(uint64_t pos, uint64_t length) override {
    SLUICE_TRY(owner_.check_powered());
    if (int err = owner_.admit_preallocation(length); err != 0) {
      return io_failure(err, "fallocate " + path().string());
    }
    return inner_->preallocate(pos, length);
  }

  result<uint64_t> size() override {
    SLUICE_TRY(owner_.check_powered());
    return inner_->size();
  }

  int native_handle() const override { return inner_->native_handle(); }
  const fs::path& path() const override { return inner_->path(); }

 private:
  fault_injecting_filesystem& owner_;
  std::shared_ptr<file> inner_;
};

void fault_injecting_filesystem::fail_writes(int errno_value) {
  std::lock_guard lock(mutex_);
  write_errno_ = errno_value;
}

void fault_injecting_filesystem::fail_syncs(int errno_value, int count) {
  std::lock_guard lock(mutex_);
  sync_errno_ = errno_value;
  sync_failures_ = count;
}

void fault_injecting_filesystem::limit_space(uint64_t bytes) {
  std::lock_guard lock(mutex_);
  space_left_ = bytes;
}

void fault_injecting_filesystem::clear_faults() {
  std::lock_guard lock(mutex_);
  write_errno_.reset();
  sync_failures_ = 0;
  space_left_.reset();
}

void fault_injecting_filesystem::power_loss(std::mt19937_64& rng) {
  std::lock_guard lock(mutex_);
  for (const auto& [path, state] : files_) {
    if (!state.entry_synced) {
      (void)inner_.remove(path);
      continue;
    }
    auto f = inner_.open(path, false);
    if (!f) continue;
    auto size = f.value()->size();
    if (!size || size.value() <= state.synced_size) continue;
    uint64_t unsynced = size.value() - state.synced_size;
    uint64_t keep = state.synced_size + rng() % (unsynced + 1);
    (void)f.value()->truncate(keep);
    if (keep > state.synced_size && rng() % 3 == 0) {
      uint64_t from = state.synced_size + rng() % (keep - state.synced_size);
      uint64_t len = 1 + rng() % (keep - from);
      std::vector<std::byte> zeros(len);
      (void)f.value()->write_at(zeros, from);
    }
  }
  powered_off_ = true;
}

uint64_t fault_injecting_filesystem::bytes_read(const std::string& extension) const {
  std::lock_guard lock(mutex_);
  auto it = reads_by_extension_.find(extension);
  return it == reads_by_extension_.end() ? 0 : it->second;
}

result<void> fault_injecting_filesystem::check_powered() const {
  std::lock_guard lock(mutex_);
  if (powered_off_) return io_failure(EIO, "simulated power loss");
  return success();
}

std::pair<uint64_t, int> fault_injecting_filesystem::admit_write(uint64_t n) {
  std::lock_guard lock(mutex_);
  if (write_errno_) return {0, *write_errno_};
  if (space_left_) {
    uint64_t allowed = std::min(n, *space_left_);
    *space_left_ -= allowed;
    return {allowed, ENOSPC};
  }
  return {n, 0};
}

int fault_injecting_filesystem::admit_preallocation(uint64_t n) {
  std::lock_guard lock(mutex_);
  if (write_errno_) return *write_errno_;
  if (space_left_ && n > *space_left_) return ENOSPC;
  return 0;
}

result<void> fault_injecting_filesystem::sync_file(file& inner) {
  // Under the lock, so that a power loss cannot fall between the fsync and its bookkeeping.
  std::lock_guard lock(mutex_);
  if (powered_off_) return io_failure(EIO, "simulated power loss");
  SLUICE_TRY(admit_sync_locked());
  SLUICE_TRY(inner.sync());
  SLUICE_TRY(size, inner.size());
  files_[inner.path()].synced_size = size;
  ++syncs_;
  return success();
}

uint64_t fault_injecting_filesystem::sync_count() const {
  std::lock_guard lock(mutex_);
  return syncs_;
}

result<void> fault_injecting_filesystem::admit_sync() {
  std::lock_guard lock(mutex_);
  return admit_sync_locked();
}

result<void> fault_injecting_filesystem::admit_sync_locked() {
  if (sync_failures_ > 0) {
    --sync_failures_;
    return io_failure(sync_errno_, "simulated fsync failure");
  }
  return success();
}

void fault_injecting_filesystem::note_read(const fs::path& path, uint64_t n) {
  std::lock_guard lock(mutex_);
  reads_by_extension_[path.extension().string()] += n;
}

void fault_injecting_filesystem::note_truncate(const fs::path& path, uint64_t size) {
  std::lock_guard lock(mutex_);
  auto& state = files_[path];
  state.synced_size = std::min(state.synced_size, size);
}

result<std::shared_ptr<file>> fault_injecting_filesystem::open(const fs::path& path, bool create) {
  SLUICE_TRY(check_powered());
  SLUICE_TRY(existed, inner_.exists(path));
  SLUICE_TRY(f, inner_.open(path, create));
  {
    std::lock_guard lock(mutex_);
    auto [it, inserted] = files_.try_emplace(path);
    if (inserted && existed) {
      auto size = f->size();
      it->second.synced_size = size ? size.value() : 0;
    }
    if (!existed) it->second = file_state{0, false};
  }
  return std::shared_ptr<file>(std::make_shared<faulty_file>(*this, f));
}

result<bool> fault_injecting_filesystem::exists(const fs::path& path) {
  SLUICE_TRY(check_powered());
  return inner_.exists(path);
}

result<void> fault_injecting_filesystem::remove(const fs::path& path) {
  SLUICE_TRY(check_powered());
  SLUICE_TRY(inner_.remove(path));
  std::lock_guard lock(mutex_);
  files_.erase(path);
  return success();
}

result<void> fault_injecting_filesystem::remove_all(const fs::path& path) {
  SLUICE_TRY(check_powered());
  SLUICE_TRY(inner_.remove_all(path));
  std::lock_guard lock(mutex_);
  std::erase_if(files_,
                [&](const auto& kv) { return kv.first.parent_path() == path || kv.first == path; });
  return success();
}

result<void> fault_injecting_filesystem::rename(const fs::path& from, const fs::path& to) {
  SLUICE_TRY(check_powered());
  SLUICE_TRY(inner_.rename(from, to));
  std::lock_guard lock(mutex_);
  auto node = files_.extract(from);
  files_.erase(to);
  if (!node.empty()) {
    node.key() = to;
    files_.insert(std::move(node));
  }
  return success();
}

result<void> fault_injecting_filesystem::create_directories(const fs::path& path) {
  SLUICE_TRY(check_powered());
  return inner_.create_directories(path);
}

result<std::vector<std::string>> fault_injecting_filesystem::list(const fs::path& dir) {
  SLUICE_TRY(check_powered());
  return inner_.list(dir);
}

result<void> fault_injecting_filesystem::sync_directory(const fs::path& dir) {
  SLUICE_TRY(check_powered());
  SLUICE_TRY(admit_sync());
  SLUICE_TRY(inner_.sync_directory(dir));
  std::lock_guard lock(mutex_);
  for (auto& [path, state] : files_) {
    if (path.parent_path() == dir) state.entry_synced = true;
  }
  return success();
}

}  // namespace sluice::storage
