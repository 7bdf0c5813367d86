/* NATS JetStream peer for bench/compare.sh, on libnats: the same workloads as sluice-bench, on
 * one file-storage stream "BENCH" with subject "bench".
 *   produce: js_PublishAsync with --window publishes in flight; latency from send to ack.
 *   consume: a durable pull consumer fetching --window messages at a time from the start,
 *            acking the last of each batch (AckAll, like committing an offset); latency per fetch.
 *   e2e:     publish at --rate for --seconds to a push consumer in the same process; latency
 *            from each message's intended send time to its callback. */
#include <nats/nats.h>

#include "peer_common.h"

static const char* kStream = "BENCH";
static const char* kSubject = "bench";

static void check(natsStatus s, const char* what) {
  if (s != NATS_OK) die(what, natsStatus_GetText(s));
}

struct session {
  natsConnection* nc;
  jsCtx* js;
};

static void ensure_stream(jsCtx* js) {
  jsStreamConfig sc;
  jsStreamConfig_Init(&sc);
  sc.Name = kStream;
  const char* subjects[] = {kSubject};
  sc.Subjects = subjects;
  sc.SubjectsLen = 1;
  sc.Storage = js_FileStorage;
  jsErrCode jerr = 0;
  jsStreamInfo* si = NULL;
  natsStatus s = js_AddStream(&si, js, &sc, NULL, &jerr);
  if (s != NATS_OK && jerr != JSStreamNameExistErr) die("js_AddStream", natsStatus_GetText(s));
  jsStreamInfo_Destroy(si);
}

static struct session open_session(const struct peer_args* a, jsOptions* jo) {
  struct session ss = {0};
  char url[256];
  snprintf(url, sizeof url, "nats://%s:%d", a->host, a->port);
  check(natsConnection_ConnectTo(&ss.nc, url), "connect");
  check(natsConnection_JetStream(&ss.js, ss.nc, jo), "JetStream context");
  ensure_stream(ss.js);
  return ss;
}

static void close_session(struct session* ss) {
  jsCtx_Destroy(ss->js);
  natsConnection_Destroy(ss->nc);
}

static struct latencies g_lat;

static void on_ack(jsCtx* js, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure) {
  (void)js, (void)closure;
  if (pae) die("publish", pae->ErrText);
  if (pa) lat_add(&g_lat, now_ns() - stamp_of(natsMsg_GetData(msg)));
  natsMsg_Destroy(msg);
}

static void produce(const struct peer_args* a) {
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.PublishAsync.MaxPending = a->window;
  jo.PublishAsync.AckHandler = on_ack;
  struct session ss = open_session(a, &jo);
  char* value = malloc((size_t)a->record_size);
  memset(value, 'x', (size_t)a->record_size);
  int64_t start = now_ns();
  for (long i = 0; i < a->records; i++) {
    stamp(value, now_ns());
    check(js_PublishAsync(ss.js, kSubject, value, a->record_size, NULL), "js_PublishAsync");
  }
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = 60000;
  check(js_PublishAsyncComplete(ss.js, &po), "js_PublishAsyncComplete");
  print_report("nats", "produce", a->records, a->record_size, (now_ns() - start) / 1e9, &g_lat);
  close_session(&ss);
}

static void consume(const struct peer_args* a) {
  struct session ss = open_session(a, NULL);
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Config.AckPolicy = js_AckAll;
  so.Config.MaxAckPending = -1;
  natsSubscription* sub = NULL;
  jsErrCode jerr = 0;
  check(js_PullSubscribe(&sub, ss.js, kSubject, "bench-consumer", NULL, &so, &jerr),
        "js_PullSubscribe");
  struct latencies lat = {0};
  long got = 0;
  int64_t start = now_ns();
  while (got < a->records) {
    natsMsgList list = {0};
    int64_t t = now_ns();
    natsStatus s = natsSubscription_Fetch(&list, sub, a->window, 5000, &jerr);
    if (s == NATS_TIMEOUT) die("consume", "the stream holds fewer records than --records");
    check(s, "natsSubscription_Fetch");
    lat_add(&lat, now_ns() - t);
    got += list.Count;
    if (list.Count > 0) check(natsMsg_Ack(list.Msgs[list.Count - 1], NULL), "natsMsg_Ack");
    natsMsgList_Destroy(&list);
  }
  print_report("nats", "consume", got, a->record_size, (now_ns() - start) / 1e9, &lat);
  natsSubscription_Destroy(sub);
  close_session(&ss);
}

static volatile long g_received;

static void on_message(natsConnection* nc, natsSubscription* sub, natsMsg* msg, void* closure) {
  (void)nc, (void)sub, (void)closure;
  lat_add(&g_lat, now_ns() - stamp_of(natsMsg_GetData(msg)));
  __atomic_add_fetch(&g_received, 1, __ATOMIC_RELEASE);
  natsMsg_Destroy(msg);
}

static void on_ack_quiet(jsCtx* js, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure) {
  (void)js, (void)pa, (void)closure;
  if (pae) die("publish", pae->ErrText);
  natsMsg_Destroy(msg);
}

static void e2e(const struct peer_args* a) {
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.PublishAsync.MaxPending = 100000;
  jo.PublishAsync.AckHandler = on_ack_quiet;
  struct session ss = open_session(a, &jo);
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Config.AckPolicy = js_AckNone;
  so.Config.DeliverPolicy = js_DeliverNew;
  natsSubscription* sub = NULL;
  jsErrCode jerr = 0;
  check(js_Subscribe(&sub, ss.js, kSubject, on_message, NULL, NULL, &so, &jerr), "js_Subscribe");
  long expected = a->rate * a->seconds;
  char* value = malloc((size_t)a->record_size);
  memset(value, 'x', (size_t)a->record_size);
  int64_t interval = 1000000000 / a->rate, start = now_ns();
  for (long i = 0; i < expected; i++) {
    int64_t due = start + i * interval;
    if (due > now_ns()) {
      struct timespec ts = {due / 1000000000, due % 1000000000};
      clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
    }
    stamp(value, due);
    check(js_PublishAsync(ss.js, kSubject, value, a->record_size, NULL), "js_PublishAsync");
  }
  for (int waited = 0; __atomic_load_n(&g_received, __ATOMIC_ACQUIRE) < expected; waited++) {
    if (waited > 5000) die("e2e", "not every message arrived within 5 s");
    nats_Sleep(1);
  }
  natsSubscription_Unsubscribe(sub);
  natsSubscription_Destroy(sub);
  print_report("nats", "e2e", expected, a->record_size, (now_ns() - start) / 1e9, &g_lat);
  close_session(&ss);
}

int main(int argc, char** argv) {
  struct peer_args a = parse_peer_args(argc, argv, 4222);
  if (strcmp(a.mode, "produce") == 0)
    produce(&a);
  else if (strcmp(a.mode, "consume") == 0)
    consume(&a);
  else if (strcmp(a.mode, "e2e") == 0)
    e2e(&a);
  else
    die("unknown mode", a.mode);
  return 0;
}
