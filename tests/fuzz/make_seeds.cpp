// make_seeds DIR: writes the seed corpus of the fuzz targets into DIR/<target>/: a request frame
// of every API, record batches with every codec, and partition directories in recovery_fuzz's
// input format. Its output is what tests/fuzz/corpus holds; run it again when a format changes.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "proto/batch_builder.h"
#include "proto/frame.h"
#include "sluice/v1/sluice.pb.h"

using namespace sluice;
namespace fs = std::filesystem;

namespace {

void write(const fs::path& path, const std::vector<std::byte>& bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

std::span<const std::byte> text(const std::string& s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

std::vector<std::byte> batch(proto::codec c, int records) {
  proto::batch_builder b({.compression = c});
  const std::string key = "key", value = "value value value value", hkey = "h", hvalue = "v";
  const proto::header_view headers[] = {{hkey, text(hvalue)}};
  for (int i = 0; i < records; ++i) {
    if (i % 3 == 0) {
      b.append(1'700'000'000'000 + i, text(key), text(value), headers);
    } else {
      b.append(1'700'000'000'000 + i, std::nullopt,
               i % 3 == 1 ? std::optional(text(value)) : std::nullopt);
    }
  }
  return b.build().value();
}

std::vector<std::byte> frame(const v1::RequestMeta& meta, const std::vector<std::byte>& data) {
  auto out = proto::encode_frame_head(meta, data.size());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

// One entry of recovery_fuzz's input: [file selector][length, 2 bytes LE][bytes].
void add_file(std::vector<std::byte>& out, uint8_t selector, const std::vector<std::byte>& bytes) {
  out.push_back(std::byte{selector});
  out.push_back(std::byte(bytes.size() & 0xff));
  out.push_back(std::byte((bytes.size() >> 8) & 0xff));
  out.insert(out.end(), bytes.begin(), bytes.end());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seeds DIR\n");
    return 2;
  }
  const fs::path dir = argv[1];
  const proto::codec codecs[] = {proto::codec::none, proto::codec::gzip, proto::codec::snappy,
                                 proto::codec::lz4, proto::codec::zstd};

  std::vector<std::byte> all;
  for (auto c : codecs) {
    auto b = batch(c, 5);
    write(dir / "batch_reader_fuzz" / (std::string(proto::codec_name(c)) + ".bin"), b);
    all.insert(all.end(), b.begin(), b.end());
  }
  write(dir / "batch_reader_fuzz" / "every-codec.bin", all);

  // A request of every API (empty bodies), and a produce carrying a batch.
  const auto* body = v1::RequestMeta::descriptor()->FindOneofByName("body");
  for (int i = 0; i < body->field_count(); ++i) {
    const auto* field = body->field(i);
    v1::RequestMeta meta;
    meta.mutable_header()->set_api_key(static_cast<v1::ApiKey>(i + 1));  // enum order
    meta.mutable_header()->set_correlation_id(1);
    meta.mutable_header()->set_api_version(1);
    meta.GetReflection()->MutableMessage(&meta, field);
    write(dir / "frame_fuzz" / (field->name() + ".bin"), frame(meta, {}));
  }
  auto b = batch(proto::codec::none, 3);
  v1::RequestMeta produce;
  produce.mutable_header()->set_api_key(v1::PRODUCE);
  produce.mutable_header()->set_correlation_id(2);
  auto* p = produce.mutable_produce();
  p->set_acks(-1);
  auto* part = p->add_topics()->add_partitions();
  part->set_data_offset(0);
  part->set_data_length(static_cast<uint32_t>(b.size()));
  produce.mutable_produce()->mutable_topics(0)->set_name("t");
  write(dir / "frame_fuzz" / "produce-with-batch.bin", frame(produce, b));

  // dispatch_fuzz: the same frames, and a session that creates a topic, writes, reads and joins
  // a group, so mutations start from requests that reach the handlers' deeper paths.
  fs::create_directories(dir / "dispatch_fuzz");
  for (const auto& entry : fs::directory_iterator(dir / "frame_fuzz"))
    fs::copy_file(entry.path(), dir / "dispatch_fuzz" / entry.path().filename(),
                  fs::copy_options::overwrite_existing);
  std::vector<std::byte> session;
  auto add = [&](v1::RequestMeta meta, const std::vector<std::byte>& data = {}) {
    static uint64_t correlation = 1;
    meta.mutable_header()->set_correlation_id(correlation++);
    meta.mutable_header()->set_api_version(1);
    auto f = frame(meta, data);
    session.insert(session.end(), f.begin(), f.end());
  };
  v1::RequestMeta create;
  create.mutable_header()->set_api_key(v1::CREATE_TOPICS);
  auto* topic = create.mutable_create_topics()->add_topics();
  topic->set_name("t");
  topic->set_partitions(1);
  add(create);
  add(produce, b);
  v1::RequestMeta fetch;
  fetch.mutable_header()->set_api_key(v1::FETCH);
  fetch.mutable_fetch()->set_max_bytes(1 << 20);
  auto* ft = fetch.mutable_fetch()->add_topics();
  ft->set_name("t");
  ft->add_partitions()->set_max_bytes(1 << 20);
  add(fetch);
  v1::RequestMeta join;
  join.mutable_header()->set_api_key(v1::CONSUMER_GROUP_HEARTBEAT);
  join.mutable_consumer_group_heartbeat()->set_group_id("g");
  join.mutable_consumer_group_heartbeat()->add_subscribed_topic_names("t");
  add(join);
  v1::RequestMeta commit;
  commit.mutable_header()->set_api_key(v1::OFFSET_COMMIT);
  commit.mutable_offset_commit()->set_group_id("g");
  auto* ct = commit.mutable_offset_commit()->add_topics();
  ct->set_name("t");
  ct->add_partitions()->set_offset(1);
  add(commit);
  write(dir / "dispatch_fuzz" / "session.bin", session);

  // Partition directories: one segment, and the same cut short.
  std::vector<std::byte> one;
  add_file(one, 0, all);
  write(dir / "recovery_fuzz" / "one-segment.bin", one);
  std::vector<std::byte> torn;
  add_file(torn, 0, std::vector<std::byte>(all.begin(), all.end() - 7));
  write(dir / "recovery_fuzz" / "torn-tail.bin", torn);
  return 0;
}
