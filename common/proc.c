/* proc.c -- the scaffolding shared by the role processes (see proc.h). */
#include "proc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "faults.h"
#include "fileio.h"
#include "jsonbuf.h"
#include "log.h"
#include "refuse.h"

volatile sig_atomic_t px_proc_stopping;

static void on_stop_signal(int sig)
{
    (void)sig;
    px_proc_stopping = 1;
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int px_mkdirs(const char *path)
{
    char buf[1024];
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(buf, path, len + 1);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        if (mkdir(buf, 0755) != 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST) return -1;
    return 0;
}

int px_node_dir_private(const char *dir, char *err, size_t errlen)
{
    if (px_mkdirs(dir) != 0) {
        snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
        return -1;
    }
    /* Explicitly, whatever the umask: the ipc and control sockets and the
     * pid files in here must be reachable by their owner only. */
    if (chmod(dir, 0700) != 0) {
        snprintf(err, errlen, "cannot make %s private (chmod 0700): %s", dir, strerror(errno));
        return -1;
    }
    return 0;
}

void px_proc_warn_plaintext(const px_config *cfg)
{
    px_warn("tls = false in %s: traffic between nodes is plaintext tcp:// and not "
            "authenticated; anyone who can reach the role ports can forge protocol frames "
            "(see docs/SECURITY.md)", cfg->path);
}

static void usage(const char *prog)
{
    fprintf(stderr, "usage: %s --config FILE --node N\n", prog);
    exit(2);
}

/* PAXOS_LOG=debug|info|warn|error picks the least severe level printed. */
static int log_level_from_env(void)
{
    const char *v = getenv("PAXOS_LOG");
    if (!v) return PX_LOG_INFO;
    if (!strcmp(v, "debug")) return PX_LOG_DEBUG;
    if (!strcmp(v, "warn")) return PX_LOG_WARN;
    if (!strcmp(v, "error")) return PX_LOG_ERROR;
    return PX_LOG_INFO;
}

static void parse_args(int argc, char **argv, const char **config, uint32_t *node)
{
    *config = NULL;
    *node = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--config") && i + 1 < argc) {
            *config = argv[++i];
        } else if (!strcmp(argv[i], "--node") && i + 1 < argc) {
            char *end;
            unsigned long v = strtoul(argv[++i], &end, 10);
            if (*end || v < 1 || v > PX_MAX_NODES) usage(argv[0]);
            *node = (uint32_t)v;
        } else {
            usage(argv[0]);
        }
    }
    if (!*config || !*node) usage(argv[0]);
}

void px_proc_start(px_proc *p, int argc, char **argv, int role)
{
    const char *config;
    memset(p, 0, sizeof *p);
    parse_args(argc, argv, &config, &p->self);
    p->role = role;
    px_log_init(p->self, px_role_name(role), log_level_from_env());

    char err[1024], warn[1024];
    if (px_config_load(config, &p->cfg, err, sizeof err, warn, sizeof warn) != 0 ||
        px_config_members_static(&p->cfg, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", argv[0], err);
        exit(2);
    }
    px_log_set_json(p->cfg.log_json); /* from here on, in the format the config asks */
    if (!px_config_node(&p->cfg, p->self)) {
        fprintf(stderr, "%s: node %u is not in %s\n", argv[0], p->self, config);
        exit(2);
    }
    if (warn[0]) px_warn("%s", warn);
    /* tests only (faults.h): a bad PAXOS_FAULT_* setting stops the start,
     * since a test that asked for faults it does not get proves nothing */
    if (px_faults_init(p->self, role, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", argv[0], err);
        exit(2);
    }
    if (px_fault_unsynced_us() || px_faults_allowed())
        px_fileio_set_test_hooks(px_fault_unsynced_us(), px_failpoint_before_rename);

    px_config_node_dir(&p->cfg, p->self, p->dir, sizeof p->dir);
    if (px_node_dir_private(p->dir, err, sizeof err) != 0) {
        px_error("%s", err);
        exit(1);
    }
    if (!p->cfg.tls) px_proc_warn_plaintext(&p->cfg);
    install_signals();

    p->net = px_net_open(&p->cfg, p->self, role, err, sizeof err);
    if (p->net) p->ctl = px_ctl_open(&p->cfg, p->self, role, err, sizeof err);
    if (!p->net || !p->ctl) {
        px_error("%s", err);
        exit(1);
    }
}

void px_proc_finish(px_proc *p)
{
    px_ctl_close(p->ctl);
    px_net_close(p->net);
    p->ctl = NULL;
    p->net = NULL;
}

int px_proc_timeout(uint64_t deadline, uint64_t now, int cap_ms)
{
    if (deadline <= now) return 0;
    uint64_t d = deadline - now;
    return d < (uint64_t)cap_ms ? (int)d : cap_ms;
}

void px_proc_hold(px_proc *p)
{
    p->holding = 1;
    px_net_hold(p->net);
}

void px_proc_release(px_proc *p)
{
    p->holding = 0;
    px_net_flush(p->net);
}

void px_proc_flush(px_proc *p, px_outbox *o)
{
    int own = !p->holding; /* pack this outbox even outside a hold */
    if (own) px_net_hold(p->net);
    for (size_t i = 0; i < o->n; i++)
        px_net_send(p->net, o->v[i].role, o->v[i].node, &o->v[i].msg);
    px_outbox_clear(o);
    if (own) px_net_flush(p->net);
}

uint64_t px_proc_rejected(const px_proc *p)
{
    uint64_t sum = 0;
    for (int r = 1; r < PX_REFUSE_MAX; r++) sum += px_net_rejected(p->net, r);
    return sum;
}

void px_proc_refused(px_proc *p, int reason)
{
    px_net_refused(p->net, reason);
}

const char *px_proc_rejected_json(const px_proc *p, char *buf, size_t cap)
{
    size_t off = 0;
    int n = snprintf(buf, cap, "{\"total\":%llu", (unsigned long long)px_proc_rejected(p));
    if (n > 0) off = (size_t)n;
    uint64_t uid = px_net_foreign_uid_refused();
    if (uid && off < cap) {
        n = snprintf(buf + off, cap - off, ",\"foreign_uid_connections\":%llu", (unsigned long long)uid);
        if (n > 0) off += (size_t)n;
    }
    for (int r = 1; r < PX_REFUSE_MAX && off < cap; r++) {
        uint64_t c = px_net_rejected(p->net, r);
        if (c == 0) continue;
        n = snprintf(buf + off, cap - off, ",\"%s\":%llu", px_refusal_key(r), (unsigned long long)c);
        if (n > 0) off += (size_t)n;
    }
    return px_json_close(buf, off, cap);
}
