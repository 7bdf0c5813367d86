#include "storage/log_manager.h"

#include <sys/file.h>

#include <cerrno>
#include <charconv>
#include <mutex>

#include "storage/compaction.h"
#include "storage/errc.h"
#include "storage/log.h"
#include "storage/topic_metadata.h"

namespace sluice::storage {
namespace {

constexpr std::string_view clean_marker = ".clean_shutdown";
constexpr std::string_view lock_name = ".lock";
constexpr std::string_view topics_dir = "topics";
constexpr std::string_view metadata_extension = ".properties";

// "<topic>-<partition>" -> (topic, partition); nullopt for other names.
std::optional<std::pair<std::string, int32_t>> parse_partition_dir(const std::string& name) {
  size_t dash = name.rfind('-');
  if (dash == std::string::npos || dash == 0 || dash + 1 == name.size()) return std::nullopt;
  int32_t id = 0;
  const char* first = name.data() + dash + 1;
  const char* last = name.data() + name.size();
  auto [end, ec] = std::from_chars(first, last, id);
  if (ec != std::errc() || end != last || id < 0) return std::nullopt;
  std::string topic = name.substr(0, dash);
  if (!validate_topic_name(topic)) return std::nullopt;
  return std::pair{topic, id};
}

std::span<const std::byte> as_bytes(const std::string& s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

}  // namespace

log_manager::log_manager(log_manager_options options)
    : options_(std::move(options)),
      fs_(options_.fs != nullptr ? *options_.fs : posix_filesystem()) {}

result<std::unique_ptr<log_manager>> log_manager::open(log_manager_options options) {
  std::unique_ptr<log_manager> mgr(new log_manager(std::move(options)));
  const fs::path& dir = mgr->options_.data_dir;
  SLUICE_TRY(mgr->fs_.create_directories(dir / topics_dir));
  SLUICE_TRY(mgr->lock_data_dir());
  SLUICE_TRY(clean, mgr->fs_.exists(dir / clean_marker));
  mgr->report_.clean = clean;
  mgr->flusher_ =
      std::make_unique<storage::flusher>(mgr->options_.policy, mgr->options_.flush_interval,
                                         mgr->options_.on_flush, mgr->options_.flush_threads);
  SLUICE_TRY(mgr->load(clean));
  // From here on a crash is an unclean shutdown.
  SLUICE_TRY(mgr->fs_.remove(dir / clean_marker));
  SLUICE_TRY(mgr->fs_.sync_directory(dir));
  if (mgr->options_.maintenance_interval.count() > 0) {
    mgr->maintenance_ = std::thread([m = mgr.get()] { m->maintenance_loop(); });
  }
  mgr->opened_ = true;
  return mgr;
}

log_manager::~log_manager() {
  if (!closed_) {
    auto closed = close();
    if (!closed) log_error("closing the log manager: " + closed.error().message);
  }
}

result<void> log_manager::lock_data_dir() {
  SLUICE_TRY(f, fs_.open(options_.data_dir / lock_name, true));
  int fd = f->native_handle();
  if (fd >= 0 && ::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return make_error(errc::data_dir_locked, "data directory " + options_.data_dir.string() +
                                                   " is in use by another process");
    }
    return io_failure(errno, "lock " + f->path().string());
  }
  lock_file_ = f;
  return success();
}

fs::path log_manager::partition_dir(std::string_view topic, int32_t id) const {
  return options_.data_dir / (std::string(topic) + "-" + std::to_string(id));
}

fs::path log_manager::metadata_path(std::string_view topic) const {
  return options_.data_dir / topics_dir / (std::string(topic) + std::string(metadata_extension));
}

result<std::shared_ptr<partition_log>> log_manager::open_partition(const std::string& topic,
                                                                   int32_t id,
                                                                   const log_config& config,
                                                                   bool clean) {
  recovery_stats stats;
  partition_options popts{.config = config,
                          .policy = options_.policy,
                          .clock = options_.clock,
                          .flusher = flusher_.get(),
                          .preallocate_bytes = options_.preallocate_bytes};
  SLUICE_TRY(log, partition_log::open(fs_, partition_dir(topic, id), topic, partition_id{id}, popts,
                                      clean, &stats));
  ++report_.partitions;
  report_.batches_scanned += stats.batches_scanned;
  report_.bytes_truncated += stats.bytes_truncated;
  if (stats.bytes_truncated > 0) {
    log_warn(topic + "-" + std::to_string(id) + ": recovery cut " +
             std::to_string(stats.bytes_truncated) + " bytes: " + stats.truncation_reason);
  }
  return log;
}

result<void> log_manager::load(bool clean) {
  SLUICE_TRY(names, fs_.list(options_.data_dir / topics_dir));
  for (const auto& name : names) {
    if (!name.ends_with(metadata_extension)) continue;
    std::string topic = name.substr(0, name.size() - metadata_extension.size());
    if (!validate_topic_name(topic)) continue;
    SLUICE_TRY(bytes, read_whole_file(fs_, metadata_path(topic)));
    auto meta = parse_topic_metadata(
        std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    if (!meta) {
      return make_error(errc::corrupt_metadata,
                        metadata_path(topic).string() + ": " + meta.error().message);
    }
    auto config = apply_topic_config(options_.defaults, meta.value().overrides);
    if (!config) {
      return make_error(errc::invalid_config, "topic " + topic + " in " +
                                                  metadata_path(topic).string() + ": " +
                                                  config.error().message);
    }
    topic_state state{meta.value().overrides, config.value(), {}};
    for (int32_t p = 0; p < meta.value().partitions; ++p) {
      SLUICE_TRY(log, open_partition(topic, p, state.config, clean));
      state.logs.push_back(std::move(log));
    }
    topics_.emplace(topic, std::move(state));
  }
  // Partition directories of topics that no longer exist: a topic deletion that was cut short.
  SLUICE_TRY(entries, fs_.list(options_.data_dir));
  for (const auto& name : entries) {
    auto parsed = parse_partition_dir(name);
    if (!parsed) continue;
    auto it = topics_.find(parsed->first);
    if (it == topics_.end() || parsed->second >= static_cast<int32_t>(it->second.logs.size())) {
      log_warn("removing " + (options_.data_dir / name).string() + ": its topic was deleted");
      SLUICE_TRY(fs_.remove_all(options_.data_dir / name));
    }
  }
  return success();
}

topic_description log_manager::describe(const std::string& name, const topic_state& t) const {
  return {name, static_cast<int32_t>(t.logs.size()), t.config, t.overrides};
}

result<topic_description> log_manager::create_topic(const std::string& name, int32_t partitions,
                                                    const config_map& overrides) {
  SLUICE_TRY(validate_topic_name(name));
  if (partitions < 1 || partitions > options_.max_partitions) {
    return make_error(errc::invalid_partitions, "topic " + name + ": partition count " +
                                                    std::to_string(partitions) + " is outside 1.." +
                                                    std::to_string(options_.max_partitions));
  }
  auto config = apply_topic_config(options_.defaults, overrides);
  if (!config) {
    return make_error(errc::invalid_config, "topic " + name + ": " + config.error().message);
  }

  std::unique_lock lock(topics_mutex_);
  if (closed_) return make_error(errc::closed, "the log manager is closed");
  if (topics_.contains(name)) {
    return make_error(errc::topic_exists, "topic " + name + " already exists");
  }
  std::string text = format_topic_metadata({partitions, overrides});
  SLUICE_TRY(write_file_atomically(fs_, metadata_path(name), as_bytes(text)));
  topic_state state{overrides, config.value(), {}};
  for (int32_t p = 0; p < partitions; ++p) {
    // Left over from a deletion that could not finish: none of it belongs to the new topic.
    SLUICE_TRY(fs_.remove_all(partition_dir(name, p)));
    auto log = open_partition(name, p, state.config, true);
    if (!log) {
      for (auto& opened : state.logs)
        (void)opened->remove();
      (void)fs_.remove(metadata_path(name));
      return log.error();
    }
    state.logs.push_back(std::move(log).value());
  }
  SLUICE_TRY(fs_.sync_directory(options_.data_dir));
  auto description = describe(name, state);
  topics_.emplace(name, std::move(state));
  return description;
}

result<void> log_manager::delete_topic(std::string_view name) {
  std::unique_lock lock(topics_mutex_);
  auto it = topics_.find(name);
  if (it == topics_.end()) {
    return make_error(errc::unknown_topic, "topic " + std::string(name) + " does not exist");
  }
  SLUICE_TRY(fs_.remove(metadata_path(name)));
  SLUICE_TRY(fs_.sync_directory(options_.data_dir / topics_dir));
  auto logs = std::move(it->second.logs);
  topics_.erase(it);
  for (auto& log : logs) {
    SLUICE_TRY(log->remove());
  }
  return success();
}

result<topic_description> log_manager::add_partitions(std::string_view name, int32_t partitions) {
  std::unique_lock lock(topics_mutex_);
  auto it = topics_.find(name);
  if (it == topics_.end()) {
    return make_error(errc::unknown_topic, "topic " + std::string(name) + " does not exist");
  }
  auto& state = it->second;
  const auto current = static_cast<int32_t>(state.logs.size());
  if (partitions <= current || partitions > options_.max_partitions) {
    return make_error(errc::invalid_partitions,
                      "topic " + std::string(name) + " has " + std::to_string(current) +
                          " partitions; the new count must be more, and at most " +
                          std::to_string(options_.max_partitions));
  }
  // Partitions first, then the metadata that makes them part of the topic: a crash between the
  // two leaves directories that the next start removes.
  std::vector<std::shared_ptr<partition_log>> added;
  for (int32_t p = current; p < partitions; ++p) {
    SLUICE_TRY(fs_.remove_all(partition_dir(name, p)));
    SLUICE_TRY(log, open_partition(std::string(name), p, state.config, true));
    added.push_back(std::move(log));
  }
  SLUICE_TRY(fs_.sync_directory(options_.data_dir));
  std::string text = format_topic_metadata({partitions, state.overrides});
  SLUICE_TRY(write_file_atomically(fs_, metadata_path(name), as_bytes(text)));
  state.logs.insert(state.logs.end(), added.begin(), added.end());
  return describe(it->first, state);
}

std::vector<topic_description> log_manager::list_topics() const {
  std::shared_lock lock(topics_mutex_);
  std::vector<topic_description> out;
  for (const auto& [name, state] : topics_)
    out.push_back(describe(name, state));
  return out;
}

result<topic_description> log_manager::describe_topic(std::string_view name) const {
  std::shared_lock lock(topics_mutex_);
  auto it = topics_.find(name);
  if (it == topics_.end()) {
    return make_error(errc::unknown_topic, "topic " + std::string(name) + " does not exist");
  }
  return describe(it->first, it->second);
}

result<std::shared_ptr<partition_log>> log_manager::partition(std::string_view topic,
                                                              partition_id id) const {
  std::shared_lock lock(topics_mutex_);
  auto it = topics_.find(topic);
  if (it == topics_.end()) {
    return make_error(errc::unknown_topic, "topic " + std::string(topic) + " does not exist");
  }
  if (id.value < 0 || id.value >= static_cast<int32_t>(it->second.logs.size())) {
    return make_error(errc::unknown_partition, "topic " + std::string(topic) +
                                                   " has no partition " + std::to_string(id.value) +
                                                   " (it has " +
                                                   std::to_string(it->second.logs.size()) + ")");
  }
  return it->second.logs[static_cast<size_t>(id.value)];
}

std::vector<std::shared_ptr<partition_log>> log_manager::partitions(std::string_view topic) const {
  std::shared_lock lock(topics_mutex_);
  auto it = topics_.find(topic);
  return it == topics_.end() ? std::vector<std::shared_ptr<partition_log>>{} : it->second.logs;
}

result<void> log_manager::compact_if_needed(const std::shared_ptr<partition_log>& log,
                                            int64_t now_ms) {
  if (!log->config().cleanup_compact) return success();
  // Rolled segments become compactable once the flusher has sealed them: count those, not the
  // rolled ones, or a pass that came before the seal would hide them from the next.
  SLUICE_TRY(log->checkpoint());
  const size_t compactable = log->inactive_segments().size();
  auto& mark = compaction_marks_[log.get()];
  bool same_log = mark.log.lock() == log;
  if (same_log && compactable == mark.compactable_segments && !mark.tombstones_retained) {
    return success();
  }
  SLUICE_TRY(stats, compact(*log, now_ms));
  mark = {log, compactable, stats.tombstones_retained > 0};
  if (stats.segments_rewritten > 0) {
    log_info(log->topic() + "-" + std::to_string(log->id().value) + ": compaction removed " +
             std::to_string(stats.records_removed) + " records, " +
             std::to_string(stats.bytes_before) + " -> " + std::to_string(stats.bytes_after) +
             " bytes");
  }
  return success();
}

result<void> log_manager::run_maintenance(int64_t now_ms) {
  std::lock_guard pass(maintenance_mutex_);
  std::vector<std::shared_ptr<partition_log>> logs;
  {
    std::shared_lock lock(topics_mutex_);
    for (const auto& [_, state] : topics_) {
      logs.insert(logs.end(), state.logs.begin(), state.logs.end());
    }
  }
  std::erase_if(compaction_marks_, [](const auto& kv) { return kv.second.log.expired(); });
  std::optional<error> first_error;
  for (const auto& log : logs) {
    log->expire_producers(now_ms, options_.producer_id_expiration_ms);
    auto retained = log->enforce_retention(now_ms);
    result<void> step = retained ? compact_if_needed(log, now_ms) : result<void>(retained.error());
    if (!step && step.error().code != errc::closed) {
      log_warn("maintenance of " + log->topic() + "-" + std::to_string(log->id().value) + ": " +
               step.error().message);
      if (!first_error) first_error = step.error();
    }
  }
  if (first_error) return *first_error;
  return success();
}

void log_manager::maintenance_loop() {
  std::unique_lock lock(stop_mutex_);
  while (!stop_cv_.wait_for(lock, options_.maintenance_interval, [&] { return stopping_; })) {
    lock.unlock();
    (void)run_maintenance(options_.clock());
    lock.lock();
  }
}

result<void> log_manager::close() {
  {
    std::lock_guard lock(stop_mutex_);
    if (stopping_) return success();
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (maintenance_.joinable()) maintenance_.join();
  if (flusher_) flusher_->stop();
  if (!opened_) {
    // open() failed part way: leave the data as it is, unclean, for the next start to check.
    closed_ = true;
    return success();
  }

  std::unique_lock lock(topics_mutex_);
  closed_ = true;
  std::optional<error> first_error;
  for (auto& [_, state] : topics_) {
    for (auto& log : state.logs) {
      auto closed = log->close();
      if (!closed && !first_error) first_error = closed.error();
    }
  }
  for (auto& [_, state] : topics_) {
    if (first_error) break;
    for (auto& log : state.logs) {
      auto synced = fs_.sync_directory(log->dir());
      if (!synced && !first_error) first_error = synced.error();
    }
  }
  if (first_error) {
    log_error("unclean shutdown: " + first_error->message);
    return *first_error;
  }
  SLUICE_TRY(write_file_atomically(fs_, options_.data_dir / clean_marker, as_bytes("clean\n")));
  lock_file_.reset();
  return success();
}

}  // namespace sluice::storage
