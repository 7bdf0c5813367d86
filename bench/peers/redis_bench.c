/* Redis Streams peer for bench/compare.sh, on hiredis: the same workloads as sluice-bench.
 *   produce: pipelined XADD, --window commands in flight; latency from send to reply.
 *   consume: XREADGROUP ... COUNT --window NOACK from the start of the stream; latency per read.
 *   e2e:     XADD at --rate for --seconds while a second connection reads with XREADGROUP BLOCK;
 *            latency from each record's intended send time to its arrival.
 * NOACK spares Redis the pending-entries list, so the consumer figures favour Redis. */
#include <hiredis/hiredis.h>
#include <pthread.h>

#include "peer_common.h"

static const char* kStream = "bench";
static const char* kGroup = "bench-group";

static redisContext* connect_or_die(const struct peer_args* a) {
  redisContext* c = redisConnect(a->host, a->port);
  if (!c || c->err) die("redis connect", c ? c->errstr : "no memory");
  return c;
}

static redisReply* command_or_die(redisContext* c, const char* what, redisReply* r) {
  if (!r) die(what, c->errstr);
  if (r->type == REDIS_REPLY_ERROR) die(what, r->str);
  return r;
}

static void append_xadd(redisContext* c, const char* value, int size) {
  const char* argv[] = {"XADD", kStream, "*", "v", value};
  size_t lens[] = {4, strlen(kStream), 1, 1, (size_t)size};
  if (redisAppendCommandArgv(c, 5, argv, lens) != REDIS_OK) die("XADD", c->errstr);
}

static void create_group(redisContext* c, const char* start) {
  redisReply* r = redisCommand(c, "XGROUP CREATE %s %s %s MKSTREAM", kStream, kGroup, start);
  if (!r) die("XGROUP CREATE", c->errstr);
  if (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "BUSYGROUP", 9) != 0)
    die("XGROUP CREATE", r->str);
  freeReplyObject(r);
}

static void produce(const struct peer_args* a) {
  redisContext* c = connect_or_die(a);
  char* value = malloc((size_t)a->record_size);
  memset(value, 'x', (size_t)a->record_size);
  int64_t* sent = malloc((size_t)a->window * sizeof *sent);
  struct latencies lat = {0};
  int64_t start = now_ns();
  for (long done = 0; done < a->records;) {
    long n = a->records - done < a->window ? a->records - done : a->window;
    for (long i = 0; i < n; i++) {
      sent[i] = now_ns();
      append_xadd(c, value, a->record_size);
    }
    for (long i = 0; i < n; i++) {
      redisReply* r;
      if (redisGetReply(c, (void**)&r) != REDIS_OK) die("XADD reply", c->errstr);
      command_or_die(c, "XADD", r);
      lat_add(&lat, now_ns() - sent[i]);
      freeReplyObject(r);
    }
    done += n;
  }
  print_report("redis", "produce", a->records, a->record_size, (now_ns() - start) / 1e9, &lat);
  redisFree(c);
}

/* Reads one XREADGROUP reply's entries; calls on_value for each value; returns the count. */
static long read_entries(redisReply* r, void (*on_value)(const char*, size_t, void*), void* arg) {
  if (r->type != REDIS_REPLY_ARRAY || r->elements == 0) return 0;
  redisReply* entries = r->element[0]->element[1];
  for (size_t i = 0; on_value && i < entries->elements; i++) {
    redisReply* fields = entries->element[i]->element[1];
    on_value(fields->element[1]->str, fields->element[1]->len, arg);
  }
  return (long)entries->elements;
}

static void consume(const struct peer_args* a) {
  redisContext* c = connect_or_die(a);
  create_group(c, "0");
  struct latencies lat = {0};
  long got = 0;
  int64_t start = now_ns();
  while (got < a->records) {
    int64_t t = now_ns();
    redisReply* r = redisCommand(c, "XREADGROUP GROUP %s c1 COUNT %d NOACK STREAMS %s >", kGroup,
                                 a->window, kStream);
    command_or_die(c, "XREADGROUP", r);
    long n = read_entries(r, NULL, NULL);
    freeReplyObject(r);
    if (n == 0) die("consume", "the stream holds fewer records than --records");
    lat_add(&lat, now_ns() - t);
    got += n;
  }
  print_report("redis", "consume", got, a->record_size, (now_ns() - start) / 1e9, &lat);
  redisFree(c);
}

struct e2e_reader {
  const struct peer_args* a;
  long expected;
  struct latencies lat;
};

static void record_latency(const char* value, size_t len, void* arg) {
  struct e2e_reader* rd = arg;
  if (len >= 8) lat_add(&rd->lat, now_ns() - stamp_of(value));
}

static void* e2e_read(void* arg) {
  struct e2e_reader* rd = arg;
  redisContext* c = connect_or_die(rd->a);
  long got = 0;
  while (got < rd->expected) {
    redisReply* r = redisCommand(
        c, "XREADGROUP GROUP %s c1 COUNT 1000 BLOCK 5000 NOACK STREAMS %s >", kGroup, kStream);
    command_or_die(c, "XREADGROUP", r);
    long n = read_entries(r, record_latency, rd);
    freeReplyObject(r);
    if (n == 0) die("e2e", "no record for 5 s");
    got += n;
  }
  redisFree(c);
  return NULL;
}

static void e2e(const struct peer_args* a) {
  redisContext* c = connect_or_die(a);
  create_group(c, "$");
  struct e2e_reader rd = {a, a->rate * a->seconds, {0}};
  pthread_t reader;
  pthread_create(&reader, NULL, e2e_read, &rd);
  char* value = malloc((size_t)a->record_size);
  memset(value, 'x', (size_t)a->record_size);
  int64_t interval = 1000000000 / a->rate, start = now_ns();
  for (long i = 0; i < rd.expected;) {
    int64_t due = start + i * interval, now = now_ns();
    if (due > now) {
      struct timespec ts = {due / 1000000000, due % 1000000000};
      clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
      now = now_ns();
    }
    long n = 0;
    for (; i < rd.expected && start + i * interval <= now; i++, n++) {
      stamp(value, start + i * interval);
      append_xadd(c, value, a->record_size);
    }
    for (long k = 0; k < n; k++) {
      redisReply* r;
      if (redisGetReply(c, (void**)&r) != REDIS_OK) die("XADD reply", c->errstr);
      freeReplyObject(command_or_die(c, "XADD", r));
    }
  }
  pthread_join(reader, NULL);
  print_report("redis", "e2e", rd.expected, a->record_size, (now_ns() - start) / 1e9, &rd.lat);
  redisFree(c);
}

int main(int argc, char** argv) {
  struct peer_args a = parse_peer_args(argc, argv, 6379);
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
