/* faults.c -- fault injection for tests (see faults.h). */
#include "faults.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "rng.h"

int px_fault_net_on;
int px_failpoints_armed;

enum { FATE_DUP, FATE_DELAY, FATE_REORDER, FATE_DROP, FATES };
static const char *const fate_names[FATES] = {"dup", "delay", "reorder", "drop"};

static const char *const fp_names[PX_FP_COUNT] = {
    [PX_FP_ACCEPTOR_BEFORE_SYNC] = "acceptor-before-sync",
    [PX_FP_ACCEPTOR_PROMISE_DURABLE] = "acceptor-promise-durable",
    [PX_FP_ACCEPTOR_ACCEPT_DURABLE] = "acceptor-accept-durable",
    [PX_FP_PROPOSER_WON_PHASE1] = "proposer-won-phase1",
    [PX_FP_PROPOSER_STATE_BEFORE_RENAME] = "proposer-state-before-rename",
    [PX_FP_LEARNER_SNAP_BEFORE_RENAME] = "learner-snap-before-rename",
    [PX_FP_LEARNER_LIST_REQ] = "learner-list-req",
};

typedef struct failpoint {
    px_ctl_failpoint arm; /* action PX_FP_OFF: disarmed */
    uint64_t passed;      /* times reached while armed */
    uint64_t fired;
} failpoint;

static struct {
    int allowed;
    uint64_t seed;
    px_rng rng;
    px_ctl_net_faults net;
    uint64_t sent[FATES]; /* frames each fate befell */
    failpoint fp[PX_FP_COUNT];
    unsigned unsynced_us;
} F;

/* ---- environment ---- */

/* A probability 0..1 from name into *ppm; 0 if unset.  -1 if malformed. */
static int env_ppm(const char *name, uint32_t *ppm, char *err, size_t errlen)
{
    const char *v = getenv(name);
    *ppm = 0;
    if (v == NULL || *v == 0) return 0;
    char *end;
    errno = 0;
    double p = strtod(v, &end);
    if (errno || *end || !(p >= 0 && p <= 1)) {
        snprintf(err, errlen, "%s=%s: want a probability between 0 and 1", name, v);
        return -1;
    }
    *ppm = (uint32_t)(p * PX_PPM + 0.5);
    return 0;
}

/* A whole number in [lo, hi] from name into *out (unchanged if unset). */
static int env_u64(const char *name, uint64_t lo, uint64_t hi, uint64_t *out, char *err,
                   size_t errlen)
{
    const char *v = getenv(name);
    if (v == NULL || *v == 0) return 0;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (errno || *end || *v == '-' || x < lo || x > hi) {
        snprintf(err, errlen, "%s=%s: want a whole number from %llu to %llu", name, v,
                 (unsigned long long)lo, (unsigned long long)hi);
        return -1;
    }
    *out = x;
    return 0;
}

static int net_from_env(px_ctl_net_faults *n, char *err, size_t errlen)
{
    uint64_t delay_ms = 20;
    memset(n, 0, sizeof *n);
    if (env_ppm("PAXOS_FAULT_DUP", &n->dup_ppm, err, errlen) ||
        env_ppm("PAXOS_FAULT_DELAY", &n->delay_ppm, err, errlen) ||
        env_ppm("PAXOS_FAULT_REORDER", &n->reorder_ppm, err, errlen) ||
        env_ppm("PAXOS_FAULT_DROP", &n->drop_ppm, err, errlen) ||
        env_u64("PAXOS_FAULT_DELAY_MS", 1, PX_FAULT_DELAY_MAX_MS, &delay_ms, err, errlen))
        return -1;
    n->delay_ms = (uint32_t)delay_ms;
    if ((uint64_t)n->dup_ppm + n->delay_ppm + n->reorder_ppm + n->drop_ppm > PX_PPM) {
        snprintf(err, errlen, "PAXOS_FAULT_DUP + _DELAY + _REORDER + _DROP exceed 1");
        return -1;
    }
    return 0;
}

static int net_any(const px_ctl_net_faults *n)
{
    return n->dup_ppm || n->delay_ppm || n->reorder_ppm || n->drop_ppm;
}

static void log_net(const char *how)
{
    const px_ctl_net_faults *n = &F.net;
    px_warn("FAULT send faults %s: dup %.4f delay %.4f (1..%u ms) reorder %.4f drop %.4f "
            "(seed %llu)",
            how, n->dup_ppm / 1e6, n->delay_ppm / 1e6, n->delay_ms, n->reorder_ppm / 1e6,
            n->drop_ppm / 1e6, (unsigned long long)F.seed);
}

int px_faults_init(uint32_t node, int role, char *err, size_t errlen)
{
    memset(&F, 0, sizeof F);
    px_fault_net_on = 0;
    px_failpoints_armed = 0;
    const char *on = getenv("PAXOS_FAULT_INJECTION");
    if (on && *on && strcmp(on, "0") != 0 && strcmp(on, "1") != 0) {
        snprintf(err, errlen, "PAXOS_FAULT_INJECTION=%s: want 0 or 1", on);
        return -1;
    }
    F.allowed = on && strcmp(on, "1") == 0;

    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    F.seed = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ ((uint64_t)getpid() << 40);
    if (env_u64("PAXOS_FAULT_SEED", 0, UINT64_MAX, &F.seed, err, errlen)) return -1;
    /* every process draws its own sequence from the run's seed */
    px_rng_seed(&F.rng, F.seed ^ ((uint64_t)node << 32) ^ (uint64_t)role * 0x9E3779B97F4A7C15ull);

    if (net_from_env(&F.net, err, errlen)) return -1;
    if (net_any(&F.net)) {
        F.allowed = 1;
        px_fault_net_on = 1;
        log_net("on from the environment");
    }
    uint64_t us = 0;
    if (env_u64("PAXOS_TEST_LOSE_UNSYNCED", 0, 10000000, &us, err, errlen)) return -1;
    F.unsynced_us = (unsigned)us;
    if (F.allowed) px_warn("FAULT injection enabled (test mode: never in production)");
    return 0;
}

int px_faults_allowed(void)
{
    return F.allowed;
}

unsigned px_fault_unsynced_us(void)
{
    return F.unsynced_us;
}

/* ---- send faults ---- */

int px_fault_pick(uint32_t *delay_ms)
{
    uint64_t x = px_rng_range(&F.rng, 0, PX_PPM - 1);
    uint32_t edge[FATES] = {F.net.dup_ppm, F.net.delay_ppm, F.net.reorder_ppm, F.net.drop_ppm};
    static const int fate_of[FATES] = {PX_SEND_DUP, PX_SEND_DELAY, PX_SEND_REORDER, PX_SEND_DROP};
    uint64_t below = 0;
    for (int i = 0; i < FATES; i++) {
        below += edge[i];
        if (x < below) {
            F.sent[i]++;
            *delay_ms = (uint32_t)px_rng_range(&F.rng, 1, F.net.delay_ms);
            return fate_of[i];
        }
    }
    return PX_SEND_NORMAL;
}

void px_fault_set_net(const px_ctl_net_faults *f)
{
    /* the counters of the settings before go with them (logged here) */
    if (px_fault_net_on)
        px_warn("FAULT send faults befell %llu frames: dup %llu delay %llu reorder %llu drop %llu",
                (unsigned long long)(F.sent[0] + F.sent[1] + F.sent[2] + F.sent[3]),
                (unsigned long long)F.sent[0], (unsigned long long)F.sent[1],
                (unsigned long long)F.sent[2], (unsigned long long)F.sent[3]);
    memset(F.sent, 0, sizeof F.sent);
    F.net = *f;
    px_fault_net_on = net_any(f);
    log_net(px_fault_net_on ? "set" : "off");
}

/* ---- failpoints ---- */

const char *px_failpoint_name(int id)
{
    return id >= 0 && id < PX_FP_COUNT ? fp_names[id] : NULL;
}

int px_failpoint_lookup(const char *name)
{
    for (int i = 0; i < PX_FP_COUNT; i++)
        if (strcmp(fp_names[i], name) == 0) return i;
    return -1;
}

static void update_armed(void)
{
    px_failpoints_armed = 0;
    for (int i = 0; i < PX_FP_COUNT; i++)
        if (F.fp[i].arm.action != PX_FP_OFF) px_failpoints_armed = 1;
}

/* A crash is a kill -9 of ourselves: no exit handlers, no flushing, the
 * supervisor sees a death by SIGKILL and restarts us. */
static void crash(const char *name)
{
    px_warn("FAULT failpoint %s: crash (SIGKILL)", name);
    kill(getpid(), SIGKILL);
    _exit(137); /* not reached */
}

static void stall(const char *name, uint32_t ms)
{
    px_warn("FAULT failpoint %s: stall %u ms", name, ms);
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

int px_failpoint_hit(int id)
{
    if (id < 0 || id >= PX_FP_COUNT) return 0;
    failpoint *f = &F.fp[id];
    if (f->arm.action == PX_FP_OFF) return 0;
    f->passed++;
    if (px_rng_range(&F.rng, 0, PX_PPM - 1) >= f->arm.ppm) return 0;
    f->fired++;
    int action = f->arm.action;
    if (f->arm.count != 0 && --f->arm.count == 0) {
        f->arm.action = PX_FP_OFF; /* its last fire */
        update_armed();
    }
    if (action == PX_FP_CRASH) crash(fp_names[id]);
    if (action == PX_FP_DROP) {
        px_warn("FAULT failpoint %s: drop", fp_names[id]);
        return 1;
    }
    stall(fp_names[id], f->arm.stall_ms);
    return 0;
}

void px_failpoint_before_rename(const char *name)
{
    if (strcmp(name, "learner.snap") == 0) PX_FAILPOINT(PX_FP_LEARNER_SNAP_BEFORE_RENAME);
    else if (strcmp(name, "proposer.state") == 0) PX_FAILPOINT(PX_FP_PROPOSER_STATE_BEFORE_RENAME);
}

static const char *action_name(int a)
{
    return a == PX_FP_CRASH ? "crash" : a == PX_FP_STALL ? "stall" : a == PX_FP_DROP ? "drop" : "off";
}

/* ---- control ---- */

/* Appends printf output to buf at *off, never past cap. */
static void add(char *buf, size_t cap, size_t *off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void add(char *buf, size_t cap, size_t *off, const char *fmt, ...)
{
    if (*off >= cap) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *off, cap - *off, fmt, ap);
    va_end(ap);
    if (n > 0) *off += (size_t)n;
}

void px_faults_json(char *json, size_t cap)
{
    size_t off = 0;
    const px_ctl_net_faults *n = &F.net;
    add(json, cap, &off,
        "{\"allowed\":%s,\"seed\":%llu,\"unsynced_us\":%u,"
        "\"net\":{\"dup\":%u,\"delay\":%u,\"reorder\":%u,\"drop\":%u,\"delay_ms\":%u},\"sent\":{",
        F.allowed ? "true" : "false", (unsigned long long)F.seed, F.unsynced_us, n->dup_ppm,
        n->delay_ppm, n->reorder_ppm, n->drop_ppm, n->delay_ms);
    for (int i = 0; i < FATES; i++)
        add(json, cap, &off, "%s\"%s\":%llu", i ? "," : "", fate_names[i],
            (unsigned long long)F.sent[i]);
    add(json, cap, &off, "},\"failpoints\":{");
    for (int i = 0; i < PX_FP_COUNT; i++) {
        const failpoint *f = &F.fp[i];
        add(json, cap, &off,
            "%s\"%s\":{\"action\":\"%s\",\"ppm\":%u,\"count\":%u,\"stall_ms\":%u,"
            "\"passed\":%llu,\"fired\":%llu}",
            i ? "," : "", fp_names[i], action_name(f->arm.action), f->arm.ppm, f->arm.count,
            f->arm.stall_ms, (unsigned long long)f->passed, (unsigned long long)f->fired);
    }
    add(json, cap, &off, "}}");
    if (off >= cap && cap >= 3) snprintf(json, cap, "{}"); /* cut: still JSON */
}

static void reply_error(char *json, size_t cap, const char *msg)
{
    snprintf(json, cap, "{\"error\":\"%s\"}", msg);
}

void px_faults_ctl(const px_ctl_req *req, char *json, size_t cap)
{
    if (req->what != PX_CTL_FAULTS && !F.allowed) {
        reply_error(json, cap, "fault injection is off in this process "
                               "(start it with PAXOS_FAULT_INJECTION=1)");
        return;
    }
    if (req->what == PX_CTL_NET_FAULTS) {
        px_fault_set_net(&req->u.net);
    } else if (req->what == PX_CTL_FAILPOINT) {
        int id = px_failpoint_lookup(req->u.fp.name);
        if (id < 0) {
            reply_error(json, cap, "no such failpoint");
            return;
        }
        F.fp[id].arm = req->u.fp;
        update_armed();
        px_warn("FAULT failpoint %s: %s (chance %.4f, %u times%s, stall %u ms)", fp_names[id],
                req->u.fp.action == PX_FP_OFF ? "disarmed" : "armed", req->u.fp.ppm / 1e6,
                req->u.fp.count, req->u.fp.count ? "" : ": no limit", req->u.fp.stall_ms);
    } else if (req->what != PX_CTL_FAULTS) {
        reply_error(json, cap, "unknown control request");
        return;
    }
    px_faults_json(json, cap);
}
