/* faultctl.c -- paxos-fault: arms the fault injection of a running node's
 * roles through their control sockets (common/faults.h).  For tests only:
 * the roles refuse unless they were started with PAXOS_FAULT_INJECTION=1.
 *
 *   paxos-fault [--config FILE] [--node N] [--timeout MS] ROLE COMMAND
 *     ROLE      acceptor | proposer | learner | all (each of the three)
 *     COMMAND   show
 *               net off
 *               net [dup=P] [delay=P] [reorder=P] [drop=P] [delay-ms=MS]
 *               failpoint NAME crash|stall=MS|drop|off [prob=P] [count=N]
 *   paxos-fault list        the failpoint names
 *
 * Prints one line per role: "node N ROLE {json}" (the role's fault
 * settings and counters after the command).  Exit status: 0 every role
 * took the command, 1 one did not answer or refused, 2 usage.  The control
 * sockets are ipc files in the node's directory: run it as the nodes'
 * user, on their machine. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/config.h"
#include "../common/faults.h"
#include "../common/net.h"

typedef struct opts {
    const char *config;
    unsigned node;
    int timeout_ms;
} opts;

static void usage(void)
{
    fprintf(stderr,
            "usage: paxos-fault [--config FILE] [--node N] [--timeout MS] ROLE COMMAND\n"
            "  ROLE: acceptor | proposer | learner | all\n"
            "  COMMAND:\n"
            "    show\n"
            "    net off\n"
            "    net [dup=P] [delay=P] [reorder=P] [drop=P] [delay-ms=MS]\n"
            "    failpoint NAME crash|stall=MS|drop|off [prob=P] [count=N]\n"
            "  paxos-fault list    (the failpoint names)\n"
            "Roles refuse unless started with PAXOS_FAULT_INJECTION=1 (tests only).\n");
    exit(2);
}

/* "0.05" -> 50000 ppm; -1 if not a probability. */
static long parse_ppm(const char *v)
{
    char *end;
    errno = 0;
    double p = strtod(v, &end);
    if (errno || *end || end == v || !(p >= 0 && p <= 1)) return -1;
    return (long)(p * PX_PPM + 0.5);
}

static long parse_uint(const char *v, unsigned long max)
{
    char *end;
    errno = 0;
    unsigned long x = strtoul(v, &end, 10);
    if (errno || *end || end == v || *v == '-' || x > max) return -1;
    return (long)x;
}

/* One "key=value" of `net` into q; 0 or -1. */
static int net_setting(const char *a, px_ctl_net_faults *f)
{
    const char *eq = strchr(a, '=');
    if (!eq) return -1;
    size_t k = (size_t)(eq - a);
    const char *v = eq + 1;
    long x = strncmp(a, "delay-ms", k) == 0 && k == 8 ? parse_uint(v, PX_FAULT_DELAY_MAX_MS)
                                                      : parse_ppm(v);
    if (x < 0) return -1;
    if (k == 3 && strncmp(a, "dup", k) == 0) f->dup_ppm = (uint32_t)x;
    else if (k == 5 && strncmp(a, "delay", k) == 0) f->delay_ppm = (uint32_t)x;
    else if (k == 7 && strncmp(a, "reorder", k) == 0) f->reorder_ppm = (uint32_t)x;
    else if (k == 4 && strncmp(a, "drop", k) == 0) f->drop_ppm = (uint32_t)x;
    else if (k == 8 && strncmp(a, "delay-ms", k) == 0) f->delay_ms = (uint32_t)x;
    else return -1;
    return 0;
}

static int parse_net(int argc, char **argv, px_ctl_req *q)
{
    q->what = PX_CTL_NET_FAULTS;
    q->u.net.delay_ms = 20;
    if (argc == 1 && strcmp(argv[0], "off") == 0) return 0;
    if (argc == 0) return -1;
    for (int i = 0; i < argc; i++)
        if (net_setting(argv[i], &q->u.net) != 0) {
            fprintf(stderr, "paxos-fault: bad setting '%s'\n", argv[i]);
            return -1;
        }
    px_ctl_net_faults *f = &q->u.net;
    if ((uint64_t)f->dup_ppm + f->delay_ppm + f->reorder_ppm + f->drop_ppm > PX_PPM) {
        fprintf(stderr, "paxos-fault: the chances add up to more than 1\n");
        return -1;
    }
    if (f->delay_ms < 1) f->delay_ms = 1;
    return 0;
}

/* The action: crash, stall=MS, drop or off. */
static int parse_action(const char *a, px_ctl_failpoint *f)
{
    if (strcmp(a, "crash") == 0) f->action = PX_FP_CRASH;
    else if (strcmp(a, "drop") == 0) f->action = PX_FP_DROP;
    else if (strcmp(a, "off") == 0) f->action = PX_FP_OFF;
    else if (strncmp(a, "stall=", 6) == 0) {
        long ms = parse_uint(a + 6, PX_FAULT_STALL_MAX_MS);
        if (ms < 1) return -1;
        f->action = PX_FP_STALL;
        f->stall_ms = (uint32_t)ms;
    } else {
        return -1;
    }
    return 0;
}

static int parse_failpoint(int argc, char **argv, px_ctl_req *q)
{
    px_ctl_failpoint *f = &q->u.fp;
    q->what = PX_CTL_FAILPOINT;
    if (argc < 2) return -1;
    if (px_failpoint_lookup(argv[0]) < 0) {
        fprintf(stderr, "paxos-fault: no failpoint '%s' (paxos-fault list)\n", argv[0]);
        return -1;
    }
    f->name_len = (uint8_t)strlen(argv[0]);
    memcpy(f->name, argv[0], f->name_len);
    if (parse_action(argv[1], f) != 0) return -1;
    f->ppm = PX_PPM;
    f->count = 1;
    for (int i = 2; i < argc; i++) {
        long x = -1;
        if (strncmp(argv[i], "prob=", 5) == 0 && (x = parse_ppm(argv[i] + 5)) >= 0)
            f->ppm = (uint32_t)x;
        else if (strncmp(argv[i], "count=", 6) == 0 && (x = parse_uint(argv[i] + 6, UINT32_MAX)) >= 0)
            f->count = (uint32_t)x;
        else {
            fprintf(stderr, "paxos-fault: bad setting '%s'\n", argv[i]);
            return -1;
        }
    }
    return 0;
}

static int parse_command(int argc, char **argv, px_ctl_req *q)
{
    memset(q, 0, sizeof *q);
    if (argc < 1) return -1;
    if (strcmp(argv[0], "show") == 0 && argc == 1) {
        q->what = PX_CTL_FAULTS;
        return 0;
    }
    if (strcmp(argv[0], "net") == 0) return parse_net(argc - 1, argv + 1, q);
    if (strcmp(argv[0], "failpoint") == 0) return parse_failpoint(argc - 1, argv + 1, q);
    return -1;
}

static int parse_role(const char *s)
{
    if (strcmp(s, "acceptor") == 0) return PX_ROLE_ACCEPTOR;
    if (strcmp(s, "proposer") == 0) return PX_ROLE_PROPOSER;
    if (strcmp(s, "learner") == 0) return PX_ROLE_LEARNER;
    if (strcmp(s, "all") == 0) return 0;
    return -1;
}

static int ask(const px_config *cfg, const opts *o, int role, const px_ctl_req *q)
{
    static char json[PX_MAX_CTL_JSON + 1];
    if (px_ctl_request(cfg, o->node, role, q, o->timeout_ms, json, sizeof json) != 0) {
        fprintf(stderr, "paxos-fault: the %s of node %u did not answer within %d ms\n",
                px_role_name(role), o->node, o->timeout_ms);
        return 1;
    }
    printf("node %u %s %s\n", o->node, px_role_name(role), json);
    return strncmp(json, "{\"error\"", 8) == 0;
}

int main(int argc, char **argv)
{
    opts o = {NULL, 1, 2000};
    int i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
        if (i + 1 >= argc) usage();
        if (strcmp(argv[i], "--config") == 0) o.config = argv[i + 1];
        else if (strcmp(argv[i], "--node") == 0) o.node = (unsigned)parse_uint(argv[i + 1], PX_MAX_NODES);
        else if (strcmp(argv[i], "--timeout") == 0) o.timeout_ms = (int)parse_uint(argv[i + 1], 600000);
        else usage();
    }
    if (i < argc && strcmp(argv[i], "list") == 0 && i + 1 == argc) {
        for (int id = 0; id < PX_FP_COUNT; id++) printf("%s\n", px_failpoint_name(id));
        return 0;
    }
    if (argc - i < 2 || o.node < 1 || o.timeout_ms < 1) usage();
    int role = parse_role(argv[i]);
    px_ctl_req q;
    if (role < 0 || parse_command(argc - i - 1, argv + i + 1, &q) != 0) usage();

    if (o.config == NULL) o.config = getenv("PAXOS_CONFIG");
    if (o.config == NULL) o.config = "cluster.cfg";
    static px_config cfg;
    char err[512];
    if (px_config_load(o.config, &cfg, err, sizeof err, NULL, 0) != 0) {
        fprintf(stderr, "paxos-fault: %s\n", err);
        return 1;
    }
    if (!px_config_node(&cfg, o.node)) {
        fprintf(stderr, "paxos-fault: node %u is not in %s\n", o.node, o.config);
        return 1;
    }
    int bad = 0;
    for (int r = PX_ROLE_ACCEPTOR; r <= PX_ROLE_LEARNER; r++)
        if (role == 0 || role == r) bad |= ask(&cfg, &o, r, &q);
    return bad;
}
