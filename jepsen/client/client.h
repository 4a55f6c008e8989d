/* client.h -- what the parts of paxos-jepsen-client share: the options,
 * the history (one op map per line, Jepsen's format), the clock and the
 * two operations.  main.c runs the workers, the nemesis and the final
 * reads; recovery.c measures how long the cluster takes to serve appends
 * again after each heal. */
#ifndef PX_JEPSEN_CLIENT_H
#define PX_JEPSEN_CLIENT_H

#include <stdint.h>

#include "../../common/http_client.h"

#define MAX_NODES 9
#define MAX_WORKERS 256

struct node_addr {
    char host[64];
    int port;
};

struct options {
    struct node_addr nodes[MAX_NODES];
    int n_nodes;
    int concurrency;
    double time_limit;
    double rate;          /* total ops/s; 0 = closed loop */
    int index_mode;       /* ?list=false */
    uint64_t seed;
    const char *history;
    const char *source;   /* client source address */
    int timeout_ms;
    double read_ratio;
    const char *nemesis;  /* none, partition, ... */
    const char *nemesis_cmd;
    double nemesis_interval;
    double recovery_s;    /* time allowed for the final reads after healing */
    double final_window_s; /* recovery measured this long after the final heal */
    const char *recovery_out; /* recovery.tsv, or NULL */
};

extern struct options opt;

/* Jepsen's outcome of one operation. */
enum outcome { OUT_OK, OUT_FAIL, OUT_INFO };

/* Nanoseconds since the start of the test (monotonic). */
long long now_ns(void);

/* Appends one op map, without its :time and :index, to the history;
 * fields start with ":type". */
void record(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void sleep_s(double s);
uint64_t rng_next(uint64_t *s);
double rng_unit(uint64_t *s);

/* One append of a fresh unique value as process, recorded (invoke and
 * completion) in the history. */
enum outcome do_append(http_conn *c, long process);

#endif
