/* Shared by the peer benchmark clients (redis_bench.c, nats_bench.c): arguments, timing, exact
 * latency percentiles and the JSON line compare.sh reads. The JSON keys match sluice-bench's. */
#ifndef SLUICE_BENCH_PEER_COMMON_H
#define SLUICE_BENCH_PEER_COMMON_H

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct peer_args {
  const char* mode; /* produce | consume | e2e */
  const char* host;
  int port;
  long records;
  int record_size;
  int window;  /* produce: records in flight; consume: records per read */
  long rate;   /* e2e: records per second */
  int seconds; /* e2e: duration */
};

static inline int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline void die(const char* what, const char* detail) {
  fprintf(stderr, "error: %s: %s\n", what, detail ? detail : "");
  exit(1);
}

/* usage: PROG MODE [--host H] [--port P] [--records N] [--record-size B] [--window W]
 *        [--rate R] [--seconds S] */
static inline struct peer_args parse_peer_args(int argc, char** argv, int default_port) {
  struct peer_args a = {NULL, "127.0.0.1", default_port, 1000000, 100, 1000, 10000, 10};
  static const struct option opts[] = {
      {"host", required_argument, 0, 'h'},    {"port", required_argument, 0, 'p'},
      {"records", required_argument, 0, 'n'}, {"record-size", required_argument, 0, 's'},
      {"window", required_argument, 0, 'w'},  {"rate", required_argument, 0, 'r'},
      {"seconds", required_argument, 0, 't'}, {0, 0, 0, 0}};
  if (argc < 2) die("usage", "MODE (produce|consume|e2e) [--port P] [--records N] ...");
  a.mode = argv[1];
  optind = 2;
  int c;
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    switch (c) {
      case 'h': a.host = optarg; break;
      case 'p': a.port = atoi(optarg); break;
      case 'n': a.records = atol(optarg); break;
      case 's': a.record_size = atoi(optarg); break;
      case 'w': a.window = atoi(optarg); break;
      case 'r': a.rate = atol(optarg); break;
      case 't': a.seconds = atoi(optarg); break;
      default: die("unknown option", argv[optind - 1]);
    }
  }
  if (a.records <= 0 || a.record_size < 8 || a.window <= 0 || a.rate <= 0 || a.seconds <= 0)
    die("bad arguments", "records, window, rate and seconds must be > 0, record-size >= 8");
  return a;
}

/* Latencies in nanoseconds, kept exactly (at most a few million) and sorted for percentiles. */
struct latencies {
  int64_t* v;
  long n, cap;
};

static inline void lat_add(struct latencies* l, int64_t ns) {
  if (l->n == l->cap) {
    l->cap = l->cap ? l->cap * 2 : 1 << 16;
    l->v = realloc(l->v, (size_t)l->cap * sizeof *l->v);
    if (!l->v) die("out of memory", "latencies");
  }
  l->v[l->n++] = ns;
}

static int cmp_i64(const void* a, const void* b) {
  int64_t x = *(const int64_t*)a, y = *(const int64_t*)b;
  return (x > y) - (x < y);
}

static inline double lat_ms(const struct latencies* l, double q) {
  if (l->n == 0) return 0;
  long i = (long)(q * (double)(l->n - 1) + 0.5);
  return (double)l->v[i] / 1e6;
}

/* Prints the one JSON object compare.sh reads. */
static inline void print_report(const char* system, const char* mode, long records, int size,
                                double seconds, struct latencies* l) {
  qsort(l->v, (size_t)l->n, sizeof *l->v, cmp_i64);
  double rps = (double)records / seconds;
  printf(
      "{\"system\":\"%s\",\"mode\":\"%s\",\"records\":%ld,\"record_size\":%d,"
      "\"seconds\":%.3f,\"records_per_s\":%.0f,\"mb_per_s\":%.2f,\"p50_ms\":%.3f,"
      "\"p95_ms\":%.3f,\"p99_ms\":%.3f,\"p999_ms\":%.3f,\"max_ms\":%.3f}\n",
      system, mode, records, size, seconds, rps, rps * size / 1e6, lat_ms(l, 0.5), lat_ms(l, 0.95),
      lat_ms(l, 0.99), lat_ms(l, 0.999), lat_ms(l, 1.0));
}

/* A record value: the first 8 bytes carry a timestamp (ns), the rest is filler. */
static inline void stamp(char* value, int64_t ns) {
  memcpy(value, &ns, sizeof ns);
}
static inline int64_t stamp_of(const char* value) {
  int64_t ns;
  memcpy(&ns, value, sizeof ns);
  return ns;
}

#endif
