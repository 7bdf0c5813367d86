#include "client/admin.h"

#include "client/connection.h"
#include "client/errors.h"
#include "client/group_requests.h"
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

result<void> admin::add_partitions(const std::string& topic, int32_t partitions) {
  auto meta = request(v1::CREATE_PARTITIONS);
  auto* t = meta.mutable_create_partitions()->add_topics();
  t->set_name(topic);
  t->set_count(partitions);
  SLUICE_TRY(resp, impl_->call(std::move(meta)));
  if (resp.create_partitions().topics_size() != 1) {
    return make_error(errc::protocol_error, "CreatePartitions answered for no topic");
  }
  return check(resp.create_partitions().topics(0).error());
}

result<std::vector<group_listing>> admin::list_groups() {
  auto meta = request(v1::LIST_GROUPS);
  meta.mutable_list_groups();
  SLUICE_TRY(resp, impl_->call(std::move(meta)));
  std::vector<group_listing> out;
  for (const auto& g : resp.list_groups().groups())
    out.push_back({g.group_id(), g.state(), g.members()});
  return out;
}

result<group_description> admin::describe_group(const std::string& group_id) {
  auto meta = request(v1::DESCRIBE_GROUPS);
  meta.mutable_describe_groups()->add_group_ids(group_id);
  SLUICE_TRY(resp, impl_->call(std::move(meta)));
  if (resp.describe_groups().groups_size() != 1) {
    return make_error(errc::protocol_error, "DescribeGroups answered for no group");
  }
  const auto& g = resp.describe_groups().groups(0);
  SLUICE_TRY(check(g.error()));
  group_description out{g.group_id(), g.state(), g.group_epoch(),         g.assignor(),         {},
                        {},           {},        g.consumed_event_time(), g.event_time_lag_ms()};
  for (const auto& m : g.members()) {
    group_member_info info{m.member_id(),
                           m.instance_id(),
                           m.client_id(),
                           m.member_epoch(),
                           {m.subscribed_topics().begin(), m.subscribed_topics().end()},
                           m.subscribed_regex(),
                           {}};
    for (const auto& t : m.assignment()) {
      for (int32_t p : t.partitions())
        info.assignment.emplace_back(t.topic(), p);
    }
    out.members.push_back(std::move(info));
  }
  for (const auto& p : g.partitions()) {
    out.partitions.push_back({p.topic(), p.partition(), p.owner_member_id(), p.committed_offset(),
                              p.log_end_offset(), p.lag(), p.lag_ms(), p.max_timestamp(),
                              p.consumed_timestamp(), p.event_time_lag_ms()});
  }
  for (const auto& r : g.rebalances()) {
    group_rebalance rb{r.cause(), r.group_epoch(), r.started_ms(), r.duration_ms(), {}};
    for (const auto& m : r.moved()) {
      rb.moved.push_back({m.topic(), m.partition(), m.from_member(), m.to_member()});
    }
    out.rebalances.push_back(std::move(rb));
  }
  return out;
}

result<void> admin::delete_group(const std::string& group_id) {
  auto meta = request(v1::DELETE_GROUPS);
  meta.mutable_delete_groups()->add_group_ids(group_id);
  SLUICE_TRY(resp, impl_->call(std::move(meta)));
  if (resp.delete_groups().groups_size() != 1) {
    return make_error(errc::protocol_error, "DeleteGroups answered for no group");
  }
  return check(resp.delete_groups().groups(0).error());
}

result<void> admin::commit_offsets(const std::string& group_id,
                                   const std::map<topic_partition, int64_t>& offsets) {
  auto meta = request(v1::OFFSET_COMMIT);
  auto* req = meta.mutable_offset_commit();
  req->set_group_id(group_id);
  req->set_member_epoch(-1);
  add_commit_offsets(offsets, req);
  SLUICE_TRY(resp, impl_->call(std::move(meta)));
  for (const auto& t : resp.offset_commit().topics()) {
    for (const auto& p : t.partitions())
      SLUICE_TRY(check(p.error()));
  }
  return success();
}

}  // namespace sluice::client
