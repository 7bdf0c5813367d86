#include "client/admin.h"

#include "client/connection.h"
#include "client/errors.h"
#include "client/runtime.h"

namespace sluice::client {

struct admin::impl {
  explicit impl(client_config config) : conn(rt.executor(), std::move(config)) {}
  ~impl() {
    rt.run([this]() -> awaitable<void> {
      conn.close();
      co_return;
    });
    rt.stop();
  }

  result<v1::ResponseMeta> call(v1::RequestMeta meta) {
    return rt.run([this, meta = std::move(meta)]() mutable -> awaitable<result<v1::ResponseMeta>> {
      auto r = co_await conn.call(std::move(meta));
      if (!r) co_return r.error();
      co_return std::move(r.value().meta);
    });
  }

  runtime rt;
  connection conn;
};

namespace {

v1::RequestMeta request(v1::ApiKey key) {
  v1::RequestMeta meta;
  meta.mutable_header()->set_api_key(key);
  meta.mutable_header()->set_api_version(1);
  return meta;
}

result<void> check(const v1::Error& e) {
  if (e.code() != v1::NONE) return broker_error(e);
  return success();
}

topic_info to_info(const v1::MetadataResponse::Topic& t) {
  topic_info info;
  info.name = t.name();
  for (const auto& p : t.partitions()) {
    info.partitions.push_back(
        {p.partition(), p.log_start_offset(), p.high_watermark(), p.size_bytes()});
  }
  info.configs.insert(t.configs().begin(), t.configs().end());
  return info;
}

}  // namespace

admin::admin(client_config config) : impl_(std::make_unique<impl>(std::move(config))) {}
admin::~admin() = default;

result<void> admin::create_topic(const std::string& name, int32_t partitions,
                                 const std::map<std::string, std::string>& configs) {
  auto meta = request(v1::CREATE_TOPICS);
  auto* t = meta.mutable_create_topics()->add_topics();
  t->set_name(name);
  t->set_partitions(partitions);
  t->mutable_configs()->insert(configs.begin(), configs.end());
  SLUICE_TRY(resp, impl_->call(std::move(meta)));
  if (resp.create_topics().topics_size() != 1) {
    return make_error(errc::protocol_error, "CreateTopics answered for no topic");
  }
  return check(resp.create_topics().topics(0).error());
}

result<void> admin::delete_topic(const std::string& name) {
  auto meta = request(v1::DELETE_TOPICS);
  meta.mutable_delete_topics()->add_names(name);
  SLUICE_TRY(resp, impl_->call(std::move(meta)));
  if (resp.delete_topics().topics_size() != 1) {
    return make_error(errc::protocol_error, "DeleteTopics answered for no topic");
  }
  return check(resp.delete_topics().topics(0).error());
}

result<std::vector<topic_info>> admin::list_topics() {
  auto meta = request(v1::METADATA);
  meta.mutable_metadata();
  SLUICE_TRY(resp, impl_->call(std::move(meta)));
  std::vector<topic_info> out;
  for (const auto& t : resp.metadata().topics())
    out.push_back(to_info(t));
  return out;
}

result<topic_info> admin::describe_topic(const std::string& name) {
  auto meta = request(v1::METADATA);
  meta.mutable_metadata()->add_topics(name);
  SLUICE_TRY(resp, impl_->call(std::move(meta)));
  if (resp.metadata().topics_size() != 1) {
    return make_error(errc::protocol_error, "Metadata answered for no topic");
  }
  const auto& t = resp.metadata().topics(0);
  SLUICE_TRY(check(t.error()));
  return to_info(t);
}

result<std::vector<partition_offset>> admin::list_offsets(const std::string& topic,
                                                          offset_spec spec, int64_t timestamp_ms) {
  SLUICE_TRY(info, describe_topic(topic));
  auto meta = request(v1::LIST_OFFSETS);
  auto* t = meta.mutable_list_offsets()->add_topics();
  t->set_name(topic);
  for (const auto& p : info.partitions) {
    auto* rp = t->add_partitions();
    rp->set_partition(p.partition);
    rp->set_spec(spec == offset_spec::earliest ? v1::EARLIEST
                 : spec == offset_spec::latest ? v1::LATEST
                                               : v1::TIMESTAMP);
    rp->set_timestamp(timestamp_ms);
  }
  SLUICE_TRY(resp, impl_->call(std::move(meta)));
  std::vector<partition_offset> out;
  for (const auto& rt : resp.list_offsets().topics()) {
    for (const auto& p : rt.partitions()) {
      SLUICE_TRY(check(p.error()));
      out.push_back({p.partition(), p.offset()});
    }
  }
  return out;
}

}  // namespace sluice::client
