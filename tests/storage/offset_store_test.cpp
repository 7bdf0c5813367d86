#include "storage/offset_store.h"

#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <future>

#include "support/temp_dir.h"

using namespace sluice;
using storage::committed_offset;
using storage::offset_key;

TEST_CASE("committed offsets and group state survive a reopen", "[storage][offsets]") {
  test::temp_dir dir;
  {
    auto store = storage::offset_store::open(dir / "offsets").value();
    storage::offset_write w;
    w.offsets.push_back({{"g1", "orders", 0}, {42, 3, 1000, "meta"}});
    w.offsets.push_back({{"g1", "orders", 1}, {7, -1, 1001, ""}});
    w.offsets.push_back({{"g2", "orders", 0}, {1, -1, 1002, ""}});
    w.groups.emplace_back("g1", std::string("state-bytes"));
    REQUIRE(store->write_sync(w));
  }
  auto store = storage::offset_store::open(dir / "offsets").value();
  auto got = store->get({"g1", "orders", 0}).value();
  REQUIRE(got);
  CHECK(*got == committed_offset{42, 3, 1000, "meta"});
  CHECK_FALSE(store->get({"g1", "orders", 9}).value());
  auto g1 = store->group_offsets("g1").value();
  REQUIRE(g1.size() == 2);  // not g2's: the prefix stops at the group
  CHECK(g1[1].first.partition == 1);
  auto groups = store->load_groups().value();
  REQUIRE(groups.size() == 1);
  CHECK(groups[0].second == "state-bytes");
  CHECK(store->topic_offsets("orders").value().size() == 3);
}

TEST_CASE("concurrent commits are all acknowledged once durable", "[storage][offsets]") {
  test::temp_dir dir;
  auto store = storage::offset_store::open(dir / "offsets").value();
  std::vector<std::promise<bool>> done(200);
  for (int i = 0; i < 200; ++i) {
    storage::offset_write w;
    w.offsets.push_back({{"g", "t", i % 8}, {i, -1, i, ""}});
    store->write(std::move(w), [&, i](const result<void>& r) { done[i].set_value(r.has_value()); });
  }
  for (auto& d : done)
    CHECK(d.get_future().get());
  // The last write of each partition wins.
  CHECK(store->get({"g", "t", 3}).value()->offset == 195);
}

TEST_CASE("deleting offsets and groups", "[storage][offsets]") {
  test::temp_dir dir;
  auto store = storage::offset_store::open(dir / "offsets").value();
  storage::offset_write w;
  w.offsets.push_back({{"g", "t", 0}, {1, -1, 0, ""}});
  w.groups.emplace_back("g", std::string("x"));
  REQUIRE(store->write_sync(w));
  storage::offset_write del;
  del.deleted_offsets.push_back({"g", "t", 0});
  del.groups.emplace_back("g", std::nullopt);
  REQUIRE(store->write_sync(del));
  CHECK_FALSE(store->get({"g", "t", 0}).value());
  CHECK(store->load_groups().value().empty());
}

TEST_CASE("producer id blocks never repeat, across reopens", "[storage][offsets]") {
  test::temp_dir dir;
  int64_t first = 0, second = 0;
  {
    auto store = storage::offset_store::open(dir / "offsets").value();
    first = store->allocate_producer_ids(1000).value();
  }
  auto store = storage::offset_store::open(dir / "offsets").value();
  second = store->allocate_producer_ids(1000).value();
  CHECK(second >= first + 1000);
}

namespace {

// A file system whose writes fail with "no space" while `full` is set.
struct filling_fs : rocksdb::FileSystemWrapper {
  struct file : rocksdb::FSWritableFileOwnerWrapper {
    file(std::unique_ptr<rocksdb::FSWritableFile> f, std::atomic<bool>& full)
        : FSWritableFileOwnerWrapper(std::move(f)), full(full) {}
    rocksdb::IOStatus check() const {
      return full ? rocksdb::IOStatus::NoSpace("test: disk full") : rocksdb::IOStatus::OK();
    }
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                             rocksdb::IODebugContext* d) override {
      auto s = check();
      return s.ok() ? FSWritableFileOwnerWrapper::Append(data, o, d) : s;
    }
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                             const rocksdb::DataVerificationInfo& v,
                             rocksdb::IODebugContext* d) override {
      auto s = check();
      return s.ok() ? FSWritableFileOwnerWrapper::Append(data, o, v, d) : s;
    }
    rocksdb::IOStatus Sync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* d) override {
      auto s = check();
      return s.ok() ? FSWritableFileOwnerWrapper::Sync(o, d) : s;
    }
    rocksdb::IOStatus Fsync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* d) override {
      auto s = check();
      return s.ok() ? FSWritableFileOwnerWrapper::Fsync(o, d) : s;
    }
    std::atomic<bool>& full;
  };

  explicit filling_fs(std::atomic<bool>& full)
      : FileSystemWrapper(rocksdb::FileSystem::Default()), full(full) {}
  const char* Name() const override { return "filling_fs"; }
  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& o,
                                    std::unique_ptr<rocksdb::FSWritableFile>* out,
                                    rocksdb::IODebugContext* d) override {
    if (full) return rocksdb::IOStatus::NoSpace("test: disk full");
    auto s = target()->NewWritableFile(name, o, out, d);
    if (s.ok()) *out = std::make_unique<file>(std::move(*out), full);
    return s;
  }
  std::atomic<bool>& full;
};

}  // namespace

TEST_CASE("a full disk fails commits with the reason while reads go on", "[storage][offsets]") {
  test::temp_dir dir;
  std::atomic<bool> full{false};
  auto env = rocksdb::NewCompositeEnv(std::make_shared<filling_fs>(full));
  auto store = storage::offset_store::open(dir / "offsets", env.get()).value();
  auto commit = [&](int64_t offset) {
    storage::offset_write w;
    w.offsets.push_back({{"g", "t", 0}, {offset, -1, 0, ""}});
    return store->write_sync(w);
  };
  REQUIRE(commit(1));

  full = true;
  auto failed = commit(2);
  REQUIRE_FALSE(failed);
  CHECK(failed.error().message.find("offset store: write") != std::string::npos);
  CHECK(failed.error().message.find("disk full") != std::string::npos);
  // What was acknowledged is still there to read; what failed is not.
  CHECK(store->get({"g", "t", 0}).value()->offset == 1);

  // With space back the store works again: RocksDB usually leaves read-only mode by itself
  // (not always, so this does not wait for it); a restart always brings it back, with every
  // acknowledged commit.
  full = false;
  store.reset();
  auto reopened = storage::offset_store::open(dir / "offsets").value();
  CHECK(reopened->get({"g", "t", 0}).value()->offset == 1);
  store = std::move(reopened);
  REQUIRE(commit(3));
  CHECK(store->get({"g", "t", 0}).value()->offset == 3);
}
