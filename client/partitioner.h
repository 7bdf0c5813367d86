// Kafka's default key partitioner, so keyed records land where Kafka users expect:
// partition = (murmur2(key) & 0x7fffffff) % partitions.
#pragma once

#include <cstdint>
#include <string_view>

namespace sluice::client {

/// Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2), as a signed 32-bit value.
[[nodiscard]] int32_t murmur2(std::string_view key) noexcept;

/// The partition Kafka's default partitioner picks for `key`. REQUIRES: partitions > 0.
[[nodiscard]] int32_t partition_for_key(std::string_view key, int32_t partitions) noexcept;

}  // namespace sluice::client
