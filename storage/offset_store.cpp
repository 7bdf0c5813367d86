#include "storage/offset_store.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <future>

#include "proto/byte_order.h"
#include "storage/errc.h"

namespace sluice::storage {
namespace {

constexpr size_t cf_default = 0;
constexpr size_t cf_offsets = 1;
constexpr size_t cf_groups = 2;
constexpr std::string_view producer_id_key = "producer-id-block";

error from_status(const rocksdb::Status& s, const std::string& what) {
  errc code = s.IsNoSpace()      ? errc::no_space
              : s.IsCorruption() ? errc::corrupt_metadata
                                 : errc::io_error;
  return make_error(code, "offset store: " + what + ": " + s.ToString());
}

template <class T>
void put(std::string& out, T v) {
  char buf[sizeof(T)];
  proto::store_be<T>(reinterpret_cast<std::byte*>(buf), v);
  out.append(buf, sizeof buf);
}

template <class T>
bool take(std::string_view& in, T& v) {
  if (in.size() < sizeof(T)) return false;
  v = proto::load_be<T>(reinterpret_cast<const std::byte*>(in.data()));
  in.remove_prefix(sizeof(T));
  return true;
}

std::string encode_key(const offset_key& k) {
  std::string out = k.group;
  out.push_back('\0');
  out += k.topic;
  out.push_back('\0');
  put<uint32_t>(out, static_cast<uint32_t>(k.partition));
  return out;
}

std::optional<offset_key> decode_key(std::string_view in) {
  size_t a = in.find('\0');
  if (a == std::string_view::npos) return std::nullopt;
  size_t b = in.find('\0', a + 1);
  if (b == std::string_view::npos || in.size() != b + 1 + 4) return std::nullopt;
  offset_key k{std::string(in.substr(0, a)), std::string(in.substr(a + 1, b - a - 1)), 0};
  std::string_view rest = in.substr(b + 1);
  uint32_t p = 0;
  take(rest, p);
  k.partition = static_cast<int32_t>(p);
  return k;
}

std::string encode_value(const committed_offset& v) {
  std::string out;
  put<int64_t>(out, v.offset);
  put<int32_t>(out, v.leader_epoch);
  put<int64_t>(out, v.commit_time_ms);
  put<uint32_t>(out, static_cast<uint32_t>(v.metadata.size()));
  out += v.metadata;
  return out;
}

std::optional<committed_offset> decode_value(std::string_view in) {
  committed_offset v;
  uint32_t len = 0;
  if (!take(in, v.offset) || !take(in, v.leader_epoch) || !take(in, v.commit_time_ms) ||
      !take(in, len) || in.size() != len) {
    return std::nullopt;
  }
  v.metadata = std::string(in);
  return v;
}

}  // namespace

result<std::unique_ptr<offset_store>> offset_store::open(const fs::path& dir, rocksdb::Env* env) {
  rocksdb::Options options;
  if (env != nullptr) options.env = env;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  // Offsets and group state are small: keep RocksDB's memory small too.
  options.write_buffer_size = 4 << 20;
  options.max_write_buffer_number = 2;
  options.max_open_files = 64;
  options.keep_log_file_num = 3;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(8 << 20);
  rocksdb::ColumnFamilyOptions cf(options);
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  options.table_factory = cf.table_factory;
  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, cf}, {"offsets", cf}, {"groups", cf}};
  std::unique_ptr<offset_store> store(new offset_store());
  rocksdb::DB* db = nullptr;
  auto s = rocksdb::DB::Open(options, dir.string(), families, &store->handles_, &db);
  if (!s.ok()) return from_status(s, "open " + dir.string());
  store->db_.reset(db);
  store->thread_ = std::thread([raw = store.get()] { raw->committer(); });
  return store;
}

std::unique_ptr<offset_store> offset_store::unavailable(error why) {
  std::unique_ptr<offset_store> store(new offset_store());
  store->unavailable_ = std::move(why);
  return store;
}

offset_store::~offset_store() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
  for (auto* h : handles_) {
    if (db_) (void)db_->DestroyColumnFamilyHandle(h);
  }
  if (db_) (void)db_->Close();
}

void offset_store::write(offset_write w, done_fn done) {
  if (unavailable_) {
    done(*unavailable_);
    return;
  }
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      queue_.push_back({std::move(w), std::move(done)});
      wake_.notify_one();
      return;
    }
  }
  done(make_error(errc::closed, "offset store is closed"));
}

result<void> offset_store::write_sync(offset_write w) {
  std::promise<result<void>> promise;
  auto future = promise.get_future();
  write(std::move(w), [&](const result<void>& r) { promise.set_value(r); });
  return future.get();
}

void offset_store::committer() {
  bool failed_before = false;
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty() && stopping_) return;
    std::deque<pending> batch;
    batch.swap(queue_);
    lock.unlock();
    rocksdb::WriteBatch wb;
    for (const auto& p : batch) {
      for (const auto& [k, v] : p.write.offsets) {
        (void)wb.Put(handles_[cf_offsets], encode_key(k), encode_value(v));
      }
      for (const auto& k : p.write.deleted_offsets) {
        (void)wb.Delete(handles_[cf_offsets], encode_key(k));
      }
      for (const auto& [g, state] : p.write.groups) {
        if (state) {
          (void)wb.Put(handles_[cf_groups], g, *state);
        } else {
          (void)wb.Delete(handles_[cf_groups], g);
        }
      }
    }
    rocksdb::WriteOptions wo;
    wo.sync = true;  // acknowledged only once the WAL is on disk
    // After a failed write RocksDB refuses writes until it recovers: on its own for a full disk
    // once space is back (its SstFileManager checks every few seconds), or through Resume().
    if (failed_before) (void)db_->Resume();
    auto s = db_->Write(wo, &wb);
    failed_before = !s.ok();
    result<void> outcome = success();
    if (!s.ok()) outcome = from_status(s, "write");
    for (auto& p : batch)
      p.done(outcome);
    lock.lock();
  }
}

result<std::optional<committed_offset>> offset_store::get(const offset_key& key) const {
  if (unavailable_) return *unavailable_;
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions(), handles_[cf_offsets], encode_key(key), &value);
  if (s.IsNotFound()) return std::optional<committed_offset>{};
  if (!s.ok()) return from_status(s, "read");
  auto v = decode_value(value);
  if (!v) return make_error(errc::corrupt_metadata, "offset store: unreadable committed offset");
  return std::optional<committed_offset>{*v};
}

result<std::vector<std::pair<offset_key, committed_offset>>> offset_store::group_offsets(
    const std::string& group) const {
  if (unavailable_) return *unavailable_;
  std::vector<std::pair<offset_key, committed_offset>> out;
  std::string prefix = group;
  prefix.push_back('\0');
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), handles_[cf_offsets]));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    auto k = decode_key(it->key().ToStringView());
    auto v = decode_value(it->value().ToStringView());
    if (k && v) out.emplace_back(std::move(*k), std::move(*v));
  }
  if (!it->status().ok()) return from_status(it->status(), "scan");
  return out;
}

result<std::vector<offset_key>> offset_store::topic_offsets(const std::string& topic) const {
  if (unavailable_) return *unavailable_;
  std::vector<offset_key> out;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), handles_[cf_offsets]));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto k = decode_key(it->key().ToStringView());
    if (k && k->topic == topic) out.push_back(std::move(*k));
  }
  if (!it->status().ok()) return from_status(it->status(), "scan");
  return out;
}

result<std::vector<std::pair<std::string, std::string>>> offset_store::load_groups() const {
  if (unavailable_) return *unavailable_;
  std::vector<std::pair<std::string, std::string>> out;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), handles_[cf_groups]));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    out.emplace_back(it->key().ToString(), it->value().ToString());
  }
  if (!it->status().ok()) return from_status(it->status(), "scan");
  return out;
}

result<int64_t> offset_store::allocate_producer_ids(int64_t count) {
  if (unavailable_) return *unavailable_;
  std::lock_guard lock(id_mutex_);
  std::string value;
  auto s =
      db_->Get(rocksdb::ReadOptions(), handles_[cf_default], std::string(producer_id_key), &value);
  int64_t next = 0;
  if (s.ok()) {
    std::string_view v = value;
    if (!take(v, next))
      return make_error(errc::corrupt_metadata, "offset store: bad producer-id block");
  } else if (!s.IsNotFound()) {
    return from_status(s, "read producer-id block");
  }
  std::string out;
  put<int64_t>(out, next + count);
  rocksdb::WriteOptions wo;
  wo.sync = true;
  s = db_->Put(wo, handles_[cf_default], std::string(producer_id_key), out);
  if (!s.ok()) return from_status(s, "write producer-id block");
  return next;
}

}  // namespace sluice::storage
