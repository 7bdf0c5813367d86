#include "broker/producer_ids.h"

#include <charconv>
#include <string>

#include "storage/errc.h"

namespace sluice::broker {

producer_id_allocator::producer_id_allocator(storage::filesystem& fs, storage::fs::path path,
                                             int64_t next)
    : fs_(fs), path_(std::move(path)), next_(next), block_end_(next) {}

producer_id_allocator::producer_id_allocator(producer_id_allocator&& other) noexcept
    : fs_(other.fs_),
      path_(std::move(other.path_)),
      next_(other.next_),
      block_end_(other.block_end_) {}

result<producer_id_allocator> producer_id_allocator::open(storage::filesystem& fs,
                                                          const storage::fs::path& data_dir) {
  auto path = data_dir / "producer-id-block";
  SLUICE_TRY(exists, fs.exists(path));
  int64_t next = 0;
  if (exists) {
    SLUICE_TRY(bytes, storage::read_whole_file(fs, path));
    std::string text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), next);
    if (ec != std::errc() || next < 0) {
      return make_error(storage::errc::corrupt_metadata, path.string() + " does not hold an id");
    }
  }
  return producer_id_allocator(fs, std::move(path), next);
}

result<void> producer_id_allocator::persist(int64_t block_end) {
  std::string text = std::to_string(block_end) + "\n";
  return storage::write_file_atomically(
      fs_, path_,
      std::span<const std::byte>(reinterpret_cast<const std::byte*>(text.data()), text.size()));
}

result<int64_t> producer_id_allocator::next() {
  std::lock_guard lock(mutex_);
  if (next_ == block_end_) {
    SLUICE_TRY(persist(block_end_ + block_size));
    block_end_ += block_size;
  }
  return next_++;
}

}  // namespace sluice::broker
