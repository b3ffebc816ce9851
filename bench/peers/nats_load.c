/* bench/peers/nats_load: load client for NATS JetStream, the NATS side of
 * bench/compare. Messages go to subjects bench.0 .. bench.15 (the analogue of
 * 16 partitions), round-robin, in one file-storage stream BENCH ("bench.>"),
 * created if missing. Prints one JSON object on the last line with the fields
 * `runnel bench` prints (count, seconds, msgs_per_s, mb_per_s, p50_ms ...).
 *
 * Modes:
 *   produce  js_PublishAsync as fast as possible on --clients connections, at
 *            most --max-pending unacknowledged each, for --duration-ms or
 *            --count messages; timed until every publish is acknowledged
 *            (latency fields are 0)
 *   consume  one ordered push consumer reads the stream from the start until
 *            every message present at the start has arrived; timed from the
 *            first message to the last (latency fields are 0)
 *   e2e      an ordered consumer (deliver new) is started, then producers
 *            publish asynchronously on a fixed schedule (--rate msgs/s over all
 *            clients) with the intended send time (CLOCK_MONOTONIC ns) in the
 *            first 8 bytes; latency = receive time minus intended send time
 * Build: gcc -O2 -pthread nats_load.c -lnats
 */
#include <nats/nats.h>

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STREAMS 16

static char url[256] = "nats://127.0.0.1:4222";
static const char *mode = "produce";
static size_t message_bytes = 1024;
static long duration_ms = 10000;
static long count = 0;
static double rate = 0;
static int clients = 2;
static long max_pending = 4096;

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void die(const char *what, natsStatus s) {
  fprintf(stderr, "nats_load: %s: %s\n", what, s == NATS_OK ? "" : natsStatus_GetText(s));
  nats_PrintLastErrorStack(stderr);
  exit(1);
}

static void check(natsStatus s, const char *what) {
  if (s != NATS_OK) die(what, s);
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

static void report(long n, double seconds, int64_t *lat, long nlat) {
  qsort(lat, (size_t)nlat, sizeof *lat, cmp_i64);
#define PCT(p) (nlat ? (double)lat[(long)((p) / 100.0 * nlat) < nlat ? (long)((p) / 100.0 * nlat) : nlat - 1] / 1e6 : 0.0)
  printf("{\"count\":%ld,\"seconds\":%.3f,\"msgs_per_s\":%.0f,\"mb_per_s\":%.1f,\"p50_ms\":%.3f,"
         "\"p90_ms\":%.3f,\"p99_ms\":%.3f,\"p999_ms\":%.3f,\"max_ms\":%.3f}\n",
         n, seconds, n / seconds, n * (double)message_bytes / seconds / 1e6, PCT(50), PCT(90),
         PCT(99), PCT(99.9), nlat ? (double)lat[nlat - 1] / 1e6 : 0.0);
}

static void connect_js(natsConnection **nc, jsCtx **js) {
  natsOptions *o;
  jsOptions jo;
  check(natsOptions_Create(&o), "options");
  check(natsOptions_SetURL(o, url), "url");
  check(natsOptions_SetIOBufSize(o, 1 << 20), "iobufsize");
  check(natsConnection_Connect(nc, o), "connect");
  natsOptions_Destroy(o);
  jsOptions_Init(&jo);
  jo.PublishAsync.MaxPending = max_pending;
  jo.PublishAsync.StallWait = 30000;
  jo.Wait = 30000;
  check(natsConnection_JetStream(js, *nc, &jo), "jetstream");
}

static void ensure_stream(jsCtx *js) {
  jsStreamConfig sc;
  jsErrCode jerr = 0;
  const char *subjects[] = {"bench.>"};
  jsStreamInfo *si = NULL;
  jsStreamConfig_Init(&sc);
  sc.Name = "BENCH";
  sc.Subjects = subjects;
  sc.SubjectsLen = 1;
  sc.Storage = js_FileStorage;
  natsStatus s = js_AddStream(&si, js, &sc, NULL, &jerr);
  if (s != NATS_OK && jerr != JSStreamNameExistErr) die("add stream", s);
  if (si) jsStreamInfo_Destroy(si);
}

static char *random_payload(unsigned seed) {
  char *p = malloc(message_bytes);
  for (size_t i = 0; i < message_bytes; i++) p[i] = (char)('A' + rand_r(&seed) % 26);
  return p;
}

static long errors;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static void on_pub_error(jsCtx *js, jsPubAckErr *pae, void *closure) {
  (void)js, (void)closure;
  pthread_mutex_lock(&mu);
  if (errors++ == 0) fprintf(stderr, "nats_load: publish failed: %s\n", natsStatus_GetText(pae->Err));
  pthread_mutex_unlock(&mu);
}

struct producer {
  int id;
  int64_t start, end;
  long sent;
};

static void *produce_thread(void *arg) {
  struct producer *p = arg;
  natsConnection *nc;
  jsCtx *js;
  natsOptions *o;
  jsOptions jo;
  check(natsOptions_Create(&o), "options");
  check(natsOptions_SetURL(o, url), "url");
  check(natsOptions_SetIOBufSize(o, 1 << 20), "iobufsize");
  check(natsConnection_Connect(&nc, o), "connect");
  natsOptions_Destroy(o);
  jsOptions_Init(&jo);
  jo.PublishAsync.MaxPending = max_pending;
  jo.PublishAsync.StallWait = 30000;
  jo.PublishAsync.ErrHandler = on_pub_error;
  check(natsConnection_JetStream(&js, nc, &jo), "jetstream");
  char *payload = random_payload((unsigned)p->id + 1);
  char subj[STREAMS][32];
  for (int i = 0; i < STREAMS; i++) snprintf(subj[i], sizeof subj[i], "bench.%d", i);
  unsigned seq = (unsigned)p->id;
  long quota = count ? count / clients + (p->id < count % clients) : -1;
  if (rate > 0) {
    /* fixed schedule: message i is due at start + i * interval */
    double interval = 1e9 / (rate / clients);
    int64_t my_start = p->start + (int64_t)(interval * p->id / clients);
    for (long i = 0;; i++) {
      int64_t slot = my_start + (int64_t)(i * interval);
      if (slot >= p->end) break;
      int64_t wait = slot - now_ns();
      if (wait > 50000) {
        struct timespec ts = {0, (long)(wait - 20000)};
        nanosleep(&ts, NULL);
      }
      memcpy(payload, &slot, 8);
      check(js_PublishAsync(js, subj[seq++ % STREAMS], payload, (int)message_bytes, NULL), "publish");
      p->sent++;
    }
  } else {
    while (quota < 0 ? now_ns() < p->end : p->sent < quota) {
      for (int k = 0; k < 64 && (quota < 0 || p->sent < quota); k++, p->sent++)
        check(js_PublishAsync(js, subj[seq++ % STREAMS], payload, (int)message_bytes, NULL), "publish");
    }
  }
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = 60000;
  check(js_PublishAsyncComplete(js, &po), "waiting for acks");
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
  free(payload);
  return NULL;
}

static long run_producers(int64_t start, int64_t end) {
  pthread_t t[256];
  struct producer p[256];
  long total = 0;
  for (int i = 0; i < clients; i++) {
    p[i] = (struct producer){.id = i, .start = start, .end = end};
    pthread_create(&t[i], NULL, produce_thread, &p[i]);
  }
  for (int i = 0; i < clients; i++) pthread_join(t[i], NULL), total += p[i].sent;
  if (errors) die("some publishes failed", NATS_OK);
  return total;
}

/* Consumer state, shared with the subscription's callback thread. */
static int64_t *lat;
static long lat_cap, received, expected = -1;
static int64_t first_ns, last_ns;
static int stamped;

static void on_msg(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure) {
  (void)nc, (void)sub, (void)closure;
  int64_t now = now_ns();
  if (received == 0) first_ns = now;
  if (stamped && natsMsg_GetDataLength(msg) >= 8 && received < lat_cap) {
    int64_t stamp;
    memcpy(&stamp, natsMsg_GetData(msg), 8);
    lat[received] = now - stamp;
  }
  pthread_mutex_lock(&mu);
  received++;
  last_ns = now;
  pthread_mutex_unlock(&mu);
  natsMsg_Destroy(msg);
}

static natsSubscription *subscribe(jsCtx *js, jsDeliverPolicy policy) {
  natsSubscription *sub = NULL;
  jsSubOptions so;
  jsErrCode jerr = 0;
  jsSubOptions_Init(&so);
  so.Ordered = true;
  so.Config.DeliverPolicy = policy;
  check(js_Subscribe(&sub, js, "bench.>", on_msg, NULL, NULL, &so, &jerr), "subscribe");
  check(natsSubscription_SetPendingLimits(sub, -1, -1), "pending limits");
  return sub;
}

static long received_now(void) {
  pthread_mutex_lock(&mu);
  long r = received;
  pthread_mutex_unlock(&mu);
  return r;
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (i + 1 >= argc) die("every option needs a value", NATS_OK);
    const char *v = argv[++i];
    if (!strcmp(a, "--port")) snprintf(url, sizeof url, "nats://127.0.0.1:%s", v);
    else if (!strcmp(a, "--mode")) mode = v;
    else if (!strcmp(a, "--message-bytes")) message_bytes = strtoul(v, NULL, 10);
    else if (!strcmp(a, "--duration-ms")) duration_ms = atol(v);
    else if (!strcmp(a, "--count")) count = atol(v);
    else if (!strcmp(a, "--rate")) rate = atof(v);
    else if (!strcmp(a, "--clients")) clients = atoi(v);
    else if (!strcmp(a, "--max-pending")) max_pending = atol(v);
    else die("unknown argument (see the comment at the top of nats_load.c)", NATS_OK);
  }
  if (message_bytes < 8 || clients < 1 || clients > 256) die("bad --message-bytes or --clients", NATS_OK);
  natsConnection *nc;
  jsCtx *js;
  connect_js(&nc, &js);
  ensure_stream(js);
  if (!strcmp(mode, "produce")) {
    int64_t start = now_ns();
    long n = run_producers(start, start + duration_ms * 1000000);
    report(n, (now_ns() - start) / 1e9, NULL, 0);
  } else if (!strcmp(mode, "consume")) {
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    check(js_GetStreamInfo(&si, js, "BENCH", NULL, &jerr), "stream info");
    expected = (long)si->State.Msgs;
    jsStreamInfo_Destroy(si);
    int64_t give_up = now_ns() + 600000000000LL;
    natsSubscription *sub = subscribe(js, js_DeliverAll);
    long last = -1;
    int64_t last_progress = now_ns();
    while (received_now() < expected && now_ns() < give_up) {
      nats_Sleep(5);
      long r = received_now();
      if (r != last) last = r, last_progress = now_ns();
      else if (now_ns() - last_progress > 10000000000LL) die("no message for 10 s", NATS_OK);
    }
    natsSubscription_Unsubscribe(sub);
    report(received_now(), (last_ns - first_ns) / 1e9, NULL, 0);
  } else if (!strcmp(mode, "e2e")) {
    if (rate <= 0) die("e2e needs --rate", NATS_OK);
    lat_cap = (long)(rate * duration_ms / 1000 * 1.1) + 1024;
    lat = malloc(sizeof *lat * (size_t)lat_cap);
    stamped = 1;
    natsSubscription *sub = subscribe(js, js_DeliverNew);
    nats_Sleep(200);
    int64_t start = now_ns();
    long sent = run_producers(start, start + duration_ms * 1000000);
    int64_t give_up = now_ns() + 5000000000LL;
    while (received_now() < sent && now_ns() < give_up) nats_Sleep(1);
    natsSubscription_Unsubscribe(sub);
    long n = received_now();
    if (n < sent) {
      fprintf(stderr, "nats_load: lost messages: sent %ld, received %ld\n", sent, n);
      return 1;
    }
    report(n, (last_ns - start) / 1e9, lat, n < lat_cap ? n : lat_cap);
  } else {
    die("unknown --mode", NATS_OK);
  }
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
  return 0;
}
