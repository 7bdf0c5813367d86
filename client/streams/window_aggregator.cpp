#include "client/streams/window_aggregator.h"

#include <future>

#include "client/admin.h"
#include "client/errors.h"
#include "client/producer.h"
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
  // Gives late records to the late handler, or produces them to the late topic and waits.
  [[nodiscard]] result<void> hand_over(const std::vector<const consumer_record*>& records);
  // Writes the state and the closed windows' results as one changelog record, then calls back.
  [[nodiscard]] result<void> write(std::vector<window_result> closed);
  [[nodiscard]] producer_record late_record(const consumer_record& r) const;
  void mark_durable() { durable = {state.watermark(), state.late_records(), state.open_windows()}; }

  window_aggregator_config config;
  aggregate_fn aggregate;
  std::function<void(const window_result&)> result_callback;
  late_handler late;
  std::unique_ptr<micro_batch_consumer> input;
  std::unique_ptr<producer> output;
  window_state state;
  uint64_t sequence = 0;
  // The state's figures as of the last changelog record written or restored.
  struct {
    int64_t watermark = no_event_time;
    uint64_t late_records = 0;
    size_t open_windows = 0;
  } durable;
  int32_t late_partitions = 0;
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
  auto read = read_last_checkpoint(config.consumer, config.changelog_topic);
  if (!read) return annotate("restoring from changelog " + config.changelog_topic, read.error());
  state = window_state(config.window, config.allowed_lateness.count());
  sequence = 0;
  if (const auto& cp = read.value()) {
    state.load(*cp);
    sequence = cp->sequence();
  }
  mark_durable();
  return success();
}

producer_record window_aggregator::impl::late_record(const consumer_record& r) const {
  producer_record out;
  out.topic = config.late_topic;
  if (r.partition < late_partitions) out.partition = r.partition;
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
  SLUICE_TRY(hand_over(too_late));
  return write(std::move(closed));
}

result<void> window_aggregator::impl::hand_over(
    const std::vector<const consumer_record*>& records) {
  if (late) {
    for (const auto* r : records)
      SLUICE_TRY(late(*r));
    return success();
  }
  std::vector<std::future<result<record_metadata>>> acks;
  for (const auto* r : records)
    acks.push_back(output->send(late_record(*r)));
  output->flush();
  for (auto& a : acks) {
    auto r = a.get();
    if (!r) return annotate("sending a late record to " + config.late_topic, r.error());
  }
  return success();
}

result<void> window_aggregator::impl::write(std::vector<window_result> closed) {
  streams::WindowCheckpoint cp;
  state.save(sequence + 1, cp);
  for (const auto& w : closed) {
    auto* c = cp.add_closed();
    c->set_key(w.key);
    c->set_start_ms(w.start_ms);
    c->set_end_ms(w.end_ms);
    c->set_value(w.value);
  }
  auto written = output->send(checkpoint_record(config.changelog_topic, cp));
  output->flush();
  if (auto r = written.get(); !r) {
    return annotate("writing a checkpoint to " + config.changelog_topic, r.error());
  }
  ++sequence;
  mark_durable();
  if (result_callback) {
    for (const auto& w : closed)
      result_callback(w);
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
  SLUICE_TRY(create_if_missing(admin, d.config.changelog_topic, 1, {{"retention.ms", "-1"}}));
  if (!d.late) {
    const auto partitions = static_cast<int32_t>(input.value().partitions.size());
    SLUICE_TRY(create_if_missing(admin, d.config.late_topic, partitions, {}));
    auto late = admin.describe_topic(d.config.late_topic);
    if (!late) return annotate("late topic " + d.config.late_topic, late.error());
    d.late_partitions = static_cast<int32_t>(late.value().partitions.size());
  }

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
  // After an error or a throw the state may hold part of the batch: restore it before the next.
  auto process = [&](const std::vector<consumer_record>& batch) -> result<void> {
    result<void> done = success();
    try {
      done = d.process(batch);
    } catch (const std::exception& e) {
      done = make_error(errc::invalid_argument,
                        std::string("a window aggregator callback threw: ") + e.what());
    }
    if (!done) d.needs_restore = true;
    return done;
  };
  auto handled = d.input->run_once(process, idle);
  if (handled && handled.value() == 0 && d.config.processing_time) SLUICE_TRY(process({}));
  return handled;
}

void window_aggregator::close() {
  if (impl_->input) impl_->input->consumer().close();
  impl_->input.reset();
  if (impl_->output) impl_->output->close();
  impl_->output.reset();
}

int64_t window_aggregator::watermark() const {
  return impl_->durable.watermark;
}

uint64_t window_aggregator::late_records() const {
  return impl_->durable.late_records;
}

size_t window_aggregator::open_windows() const {
  return impl_->durable.open_windows;
}

}  // namespace sluice::client
