#include "broker/group/coordinator.h"
#include "broker/handlers.h"
#include "broker/wire_error.h"
#include "storage/errc.h"

namespace sluice::broker {

result<std::shared_ptr<storage::partition_log>> find_partition(broker_context& ctx,
                                                               const std::string& topic,
                                                               int32_t partition, bool may_create) {
  auto log = ctx.logs.partition(topic, partition_id{partition});
  if (log || !may_create || !ctx.config.auto_create_topics ||
      log.error().code != storage::errc::unknown_topic) {
    return log;
  }
  auto created = ctx.logs.create_topic(topic, ctx.config.num_partitions);
  if (!created && created.error().code != storage::errc::topic_exists) return created.error();
  return ctx.logs.partition(topic, partition_id{partition});
}

v1::ApiVersionsResponse handle_api_versions(const v1::ApiVersionsRequest&) {
  v1::ApiVersionsResponse resp;
  for (int key = v1::API_VERSIONS; key <= v1::CREATE_PARTITIONS; ++key) {
    auto* api = resp.add_apis();
    api->set_api_key(static_cast<v1::ApiKey>(key));
    api->set_min_version(api_version);
    api->set_max_version(api_version);
  }
  resp.set_broker_version("sluice 0.1");
  return resp;
}

namespace {

void describe_topic(const storage::topic_description& t, broker_context& ctx,
                    v1::MetadataResponse::Topic* out) {
  out->set_name(t.name);
  for (auto key : storage::topic_config_keys()) {
    (*out->mutable_configs())[std::string(key)] = storage::topic_config_value(t.config, key);
  }
  for (const auto& log : ctx.logs.partitions(t.name)) {
    auto* p = out->add_partitions();
    p->set_partition(log->id().value);
    p->set_log_start_offset(log->log_start().value);
    p->set_high_watermark(log->high_watermark().value);
    p->set_size_bytes(log->size_bytes());
  }
}

}  // namespace

v1::MetadataResponse handle_metadata(const v1::MetadataRequest& req, broker_context& ctx) {
  v1::MetadataResponse resp;
  resp.set_broker_host(ctx.advertised_host);
  resp.set_broker_port(ctx.advertised_port);
  if (req.topics().empty()) {
    for (const auto& t : ctx.logs.list_topics())
      describe_topic(t, ctx, resp.add_topics());
    return resp;
  }
  for (const auto& name : req.topics()) {
    auto described = ctx.logs.describe_topic(name);
    if (!described && ctx.config.auto_create_topics &&
        described.error().code == storage::errc::unknown_topic) {
      (void)find_partition(ctx, name, 0, true);
      described = ctx.logs.describe_topic(name);
    }
    auto* topic = resp.add_topics();
    if (!described) {
      topic->set_name(name);
      to_wire_error(described.error(), topic->mutable_error());
      continue;
    }
    describe_topic(described.value(), ctx, topic);
  }
  return resp;
}

v1::CreateTopicsResponse handle_create_topics(const v1::CreateTopicsRequest& req,
                                              broker_context& ctx) {
  v1::CreateTopicsResponse resp;
  for (const auto& t : req.topics()) {
    auto* result = resp.add_topics();
    result->set_name(t.name());
    storage::config_map configs(t.configs().begin(), t.configs().end());
    if (req.validate_only()) {
      auto name = storage::validate_topic_name(t.name());
      auto config = storage::apply_topic_config(ctx.logs.options().defaults, configs);
      if (!name) {
        to_wire_error(name.error(), result->mutable_error());
      } else if (!config) {
        to_wire_error(config.error(), result->mutable_error());
      } else if (t.partitions() < 1 || t.partitions() > ctx.logs.options().max_partitions) {
        set_error(result->mutable_error(), v1::INVALID_PARTITIONS,
                  "partition count " + std::to_string(t.partitions()) + " is outside 1.." +
                      std::to_string(ctx.logs.options().max_partitions));
      }
      result->set_partitions(t.partitions());
      continue;
    }
    auto created = ctx.logs.create_topic(t.name(), t.partitions(), configs);
    if (!created) {
      to_wire_error(created.error(), result->mutable_error());
      continue;
    }
    result->set_partitions(created.value().partitions);
  }
  return resp;
}

v1::DeleteTopicsResponse handle_delete_topics(const v1::DeleteTopicsRequest& req,
                                              broker_context& ctx) {
  v1::DeleteTopicsResponse resp;
  for (const auto& name : req.names()) {
    auto* result = resp.add_topics();
    result->set_name(name);
    auto deleted = ctx.logs.delete_topic(name);
    if (!deleted) {
      to_wire_error(deleted.error(), result->mutable_error());
    } else if (ctx.groups != nullptr) {
      ctx.groups->topic_deleted(name);
    }
  }
  return resp;
}

v1::CreatePartitionsResponse handle_create_partitions(const v1::CreatePartitionsRequest& req,
                                                      broker_context& ctx) {
  v1::CreatePartitionsResponse resp;
  for (const auto& t : req.topics()) {
    auto* result = resp.add_topics();
    result->set_name(t.name());
    auto grown = ctx.logs.add_partitions(t.name(), t.count());
    if (!grown) to_wire_error(grown.error(), result->mutable_error());
  }
  return resp;
}

v1::ListOffsetsResponse handle_list_offsets(const v1::ListOffsetsRequest& req,
                                            broker_context& ctx) {
  v1::ListOffsetsResponse resp;
  for (const auto& t : req.topics()) {
    auto* topic = resp.add_topics();
    topic->set_name(t.name());
    for (const auto& p : t.partitions()) {
      auto* out = topic->add_partitions();
      out->set_partition(p.partition());
      out->set_offset(-1);
      out->set_timestamp(-1);
      auto log = ctx.logs.partition(t.name(), partition_id{p.partition()});
      if (!log) {
        to_wire_error(log.error(), out->mutable_error());
        continue;
      }
      switch (p.spec()) {
        case v1::EARLIEST: out->set_offset(log.value()->log_start().value); break;
        case v1::LATEST: out->set_offset(log.value()->high_watermark().value); break;
        case v1::TIMESTAMP: {
          auto found = log.value()->offset_for_timestamp(p.timestamp());
          if (!found) {
            to_wire_error(found.error(), out->mutable_error());
          } else if (found.value()) {
            out->set_offset(found.value()->value);
            out->set_timestamp(p.timestamp());
          }
          break;
        }
        default:
          set_error(out->mutable_error(), v1::INVALID_REQUEST,
                    "unknown offset spec " + std::to_string(p.spec()));
      }
    }
  }
  return resp;
}

result<v1::InitProducerIdResponse> handle_init_producer_id(const v1::InitProducerIdRequest& req,
                                                           broker_context& ctx) {
  if (!req.transactional_id().empty()) {
    return make_error(storage::errc::invalid_config,
                      "transactions are not supported: leave transactional_id empty");
  }
  SLUICE_TRY(id, ctx.producer_ids.next());
  v1::InitProducerIdResponse resp;
  resp.set_producer_id(id);
  resp.set_producer_epoch(0);
  return resp;
}

}  // namespace sluice::broker
