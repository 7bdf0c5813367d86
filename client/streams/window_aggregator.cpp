#include "client/streams/window_aggregator.h"

#include <future>
#include <set>

#include "client/admin.h"
#include "client/errors.h"
#include "client/producer.h"
#include "client/streams/changelog.h"
#include "sluice/v1/sluice.pb.h"

namespace sluice::client {
namespace {

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

result<void> create_if_missing(admin& admin, const std::string& topic, int32_t partitions,
                               const std::map<std::string, std::string>& configs) {
  auto created = admin.create_topic(topic, partitions, configs);
  if (!created && wire_code(created.error()) != v1::TOPIC_ALREADY_EXISTS) return created.error();
  return success();
}

error annotate(const std::string& what, const error& e) {
  return {e.code, what + ": " + e.message};
}

}  // namespace

struct window_aggregator::impl {
  impl(window_aggregator_config c, aggregate_fn a)
      : config(std::move(c)),
        aggregate(std::move(a)),
        state(config.window, config.allowed_lateness.count()) {}

  [[nodiscard]] result<void> validate();
  [[nodiscard]] result<void> restore();
  [[nodiscard]] result<void> process(const std::vector<consumer_record>& batch);
  [[nodiscard]] result<void> write(const std::vector<const consumer_record*>& late,
                                   std::vector<window_result> closed);
  [[nodiscard]] producer_record late_record(const consumer_record& r) const;

  window_aggregator_config config;
  aggregate_fn aggregate;
  std::function<void(const window_result&)> result_callback;
  late_handler late;
  int32_t input_partitions = 0;
  std::unique_ptr<micro_batch_consumer> input;
  std::unique_ptr<producer> output;
  window_state state;
  uint64_t sequence = 0;
  std::set<std::pair<int64_t, std::string>> written_ahead;
  bool needs_restore = false;
};

result<void> window_aggregator::impl::validate() {
  auto invalid = [](const std::string& why) { return make_error(errc::invalid_argument, why); };
  if (config.consumer.group_id.empty()) return invalid("window aggregator needs a group id");
  if (config.topic.empty()) return invalid("window aggregator needs an input topic");
  if (auto why = invalid_window(config.window)) return invalid(*why);
  if (config.allowed_lateness.count() < 0) return invalid("allowed lateness is negative");
  if (!aggregate) return invalid("window aggregator needs an aggregate function");
  if (config.changelog_topic.empty())
    config.changelog_topic = config.consumer.group_id + ".changelog";
  if (config.late_topic.empty()) config.late_topic = config.topic + ".late";
  if (config.changelog_topic == config.topic || config.late_topic == config.topic) {
    return invalid("the changelog and late topics must differ from the input topic " +
                   config.topic);
  }
  // One instance per aggregation: a restarted one takes the partitions back at once, and a
  // second one fences the first.
  if (config.consumer.group_instance_id.empty()) {
    config.consumer.group_instance_id = config.consumer.group_id + ".aggregator";
  }
  if (!config.key_of) {
    config.key_of = [](const consumer_record& r) { return r.key.value_or(""); };
  }
  return success();
}

result<void> window_aggregator::impl::restore() {
  auto read = read_changelog(config.consumer, config.changelog_topic);
  if (!read) return annotate("restoring from changelog " + config.changelog_topic, read.error());
  state = window_state(config.window, config.allowed_lateness.count());
  sequence = 0;
  written_ahead = std::move(read.value().written_after);
  if (const auto& cp = read.value().checkpoint) {
    state.load(*cp);
    sequence = cp->sequence();
    for (const auto& w : cp->written_ahead())
      written_ahead.emplace(w.start_ms(), w.key());
  }
  return success();
}

producer_record window_aggregator::impl::late_record(const consumer_record& r) const {
  producer_record out;
  out.topic = config.late_topic;
  if (r.partition < input_partitions) out.partition = r.partition;
  out.key = r.key;
  out.value = r.value;
  out.headers = r.headers;
  out.headers.emplace_back("sluice.source", r.topic + "/" + std::to_string(r.partition) + "/" +
                                                std::to_string(r.offset));
  out.timestamp = r.timestamp;
  return out;
}

result<void> window_aggregator::impl::process(const std::vector<consumer_record>& batch) {
  std::vector<const consumer_record*> too_late;
  for (const auto& r : batch) {
    const int64_t ts = config.processing_time ? now_ms() : r.timestamp;
    if (state.add(r, config.key_of(r), ts, aggregate) == window_state::outcome::late) {
      too_late.push_back(&r);
    }
  }
  if (config.processing_time) state.advance_to(now_ms());
  auto closed = state.take_closed();
  if (batch.empty() && closed.empty()) return success();
  return write(too_late, std::move(closed));
}

result<void> window_aggregator::impl::write(const std::vector<const consumer_record*>& too_late,
                                            std::vector<window_result> closed) {
  std::vector<std::future<result<record_metadata>>> acks;
  for (const auto* r : too_late) {
    if (late) {
      SLUICE_TRY(late(*r));
    } else {
      acks.push_back(output->send(late_record(*r)));
    }
  }
  std::vector<window_result> written;
  for (auto& w : closed) {
    if (written_ahead.erase({w.start_ms, w.key})) continue;
    acks.push_back(output->send(result_record(config.changelog_topic, w)));
    written.push_back(std::move(w));
  }
  streams::WindowCheckpoint cp;
  state.save(sequence + 1, cp);
  for (const auto& [start, key] : written_ahead) {
    auto* w = cp.add_written_ahead();
    w->set_start_ms(start);
    w->set_key(key);
  }
  acks.push_back(output->send(checkpoint_record(config.changelog_topic, cp)));
  output->flush();
  for (auto& a : acks) {
    auto r = a.get();
    if (!r) return annotate("writing to " + config.changelog_topic, r.error());
  }
  ++sequence;
  for (const auto& w : written) {
    if (result_callback) result_callback(w);
  }
  return success();
}

window_aggregator::window_aggregator(window_aggregator_config config, aggregate_fn aggregate)
    : impl_(std::make_unique<impl>(std::move(config), std::move(aggregate))) {}

window_aggregator::~window_aggregator() {
  close();
}

void window_aggregator::on_result(std::function<void(const window_result&)> callback) {
  impl_->result_callback = std::move(callback);
}

void window_aggregator::on_late(late_handler handler) {
  impl_->late = std::move(handler);
}

result<void> window_aggregator::start() {
  auto& d = *impl_;
  SLUICE_TRY(d.validate());
  admin admin(d.config.consumer);
  auto input = admin.describe_topic(d.config.topic);
  if (!input) return annotate("input topic " + d.config.topic, input.error());
  d.input_partitions = static_cast<int32_t>(input.value().partitions.size());
  SLUICE_TRY(
      create_if_missing(admin, d.config.changelog_topic, 1, {{"cleanup.policy", "compact"}}));
  if (!d.late) SLUICE_TRY(create_if_missing(admin, d.config.late_topic, d.input_partitions, {}));

  producer_config pc;
  static_cast<client_config&>(pc) = d.config.consumer;
  pc.acks = -1;
  pc.idempotence = true;
  d.output = std::make_unique<producer>(pc);
  SLUICE_TRY(d.restore());
  d.input = std::make_unique<micro_batch_consumer>(d.config.consumer, d.config.batch);
  return d.input->consumer().subscribe({d.config.topic});
}

result<size_t> window_aggregator::run_once(std::chrono::milliseconds idle) {
  auto& d = *impl_;
  if (!d.input) return make_error(errc::invalid_argument, "window aggregator is not started");
  if (d.needs_restore) {
    SLUICE_TRY(d.restore());
    d.needs_restore = false;
  }
  auto handled = d.input->run_once(
      [&](const std::vector<consumer_record>& batch) {
        auto done = d.process(batch);
        if (!done) d.needs_restore = true;
        return done;
      },
      idle);
  if (handled && handled.value() == 0 && d.config.processing_time) {
    if (auto done = d.process({}); !done) {
      d.needs_restore = true;
      return done.error();
    }
  }
  return handled;
}

void window_aggregator::close() {
  if (impl_->input) impl_->input->consumer().close();
  impl_->input.reset();
  if (impl_->output) impl_->output->close();
  impl_->output.reset();
}

int64_t window_aggregator::watermark() const {
  return impl_->state.watermark();
}

uint64_t window_aggregator::late_records() const {
  return impl_->state.late_records();
}

size_t window_aggregator::open_windows() const {
  return impl_->state.open_windows();
}

result<std::vector<window_result>> read_window_results(const client_config& config,
                                                       const std::string& changelog_topic) {
  SLUICE_TRY(contents, read_changelog(config, changelog_topic));
  return std::move(contents.results);
}

}  // namespace sluice::client
