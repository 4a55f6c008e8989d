/* main.c -- paxos-node, the per-node supervisor.
 *
 *   paxos-node --config FILE --node N [--daemon]
 *   paxos-node --config FILE --list-nodes      (prints "id host gateway_port dir")
 *   paxos-node --config FILE --tls-paths       (where the CA, certs and keys belong)
 *   paxos-node --config FILE --describe        (cluster id, gateway scheme, CA path)
 *
 * Starts the node's four role processes (acceptor, learner, proposer,
 * gateway) from the directory of its own executable, appends each one's
 * output to <node_dir>/logs/<role>.log, keeps pid files in <node_dir>/pids,
 * and restarts a child that dies, with exponential backoff so a child that
 * cannot start (a corrupt log, a port in use) does not spin.  SIGTERM or
 * SIGINT stops every child (SIGTERM, then SIGKILL after 5 s) and exits 0.
 *
 * Start-up is all or nothing: each child says "ready" on a pipe once it has
 * bound its sockets and recovered its state (common/ready.h).  Until every
 * child has, a child that exits, or a --ready-timeout, stops the whole node
 * and the supervisor exits 1 with the role's own error lines; with --daemon
 * the command returns 0 only once the node is ready.
 *
 * Children get PR_SET_PDEATHSIG, so killing the supervisor -9 takes the
 * whole node down, as a machine crash would. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../common/config.h"
#include "../common/log.h"
#include "../common/net.h"
#include "../common/proc.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define STABLE_MS 10000   /* a child up this long is healthy again: reset backoff */
#define STOP_GRACE_MS 5000
#define LOOP_MS 10

typedef struct child {
    const char *role;
    char exe[PATH_MAX];
    int skip;              /* binary missing: not started */
    pid_t pid;             /* 0 when not running */
    uint64_t started_ms;
    uint64_t restart_at;   /* when to start it again (0: now) */
    uint64_t backoff_ms;
    unsigned restarts;
    int ready_fd;          /* read end of its ready pipe, -1 when closed */
    int ready;             /* said "ready" since its last start */
    off_t log_off;         /* size of its log when it was started: where its own lines begin */
} child;

static child children[] = {
    {.role = "acceptor"}, {.role = "learner"}, {.role = "proposer"}, {.role = "gateway"},
};
#define N_CHILDREN (sizeof children / sizeof children[0])

static struct {
    px_config cfg;
    uint32_t node;
    char config_path[PATH_MAX];
    char dir[512];
    int daemon;
    int log_fd; /* node.log, written besides stderr when in the foreground */
    int ready_timeout_s;
} sv;

static volatile sig_atomic_t stopping;

/* Start-up: set until every child has said it is ready.  A child that
 * exits meanwhile fails the start, described in start_failure. */
static int starting;
static char start_failure[2048];

static void on_stop(int sig)
{
    (void)sig;
    stopping = 1;
}

/* ------------------------------------------------------------------ logging */

/* Log to stderr and, in the foreground, to node.log too (a daemon's stderr
 * already is node.log).  px_log writes to fd 2, so point fd 2 at the file
 * for one call: the supervisor is single-threaded. */
static void sv_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sv_log(int level, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    px_log(level, "%s", buf);
    if (sv.daemon || sv.log_fd < 0) return;
    int saved = dup(2);
    if (saved < 0) return;
    dup2(sv.log_fd, 2);
    px_log(level, "%s", buf);
    dup2(saved, 2);
    close(saved);
}

/* ---------------------------------------------------------------- pid files */

static void pid_path(const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "%s/pids/%s.pid", sv.dir, name);
}

static void write_pid(const char *name, pid_t pid)
{
    char path[700], tmp[720];
    pid_path(name, path, sizeof path);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        sv_log(PX_LOG_WARN, "cannot write %s: %s", tmp, strerror(errno));
        return;
    }
    fprintf(f, "%d\n", (int)pid);
    fclose(f);
    rename(tmp, path); /* readers never see a half-written pid */
}

static void remove_pid(const char *name)
{
    char path[700];
    pid_path(name, path, sizeof path);
    unlink(path);
}

/* <node_dir>/pids/restarts: "ROLE COUNT" per line, how many times each
 * role died and was restarted since this supervisor started.  The gateway
 * reports it (paxos_role_restarts_total): the supervisor has no socket of
 * its own, and a file replaced whole is the simplest honest channel. */
static void write_restarts(void)
{
    char path[700], tmp[720];
    pid_path("restarts", path, sizeof path);
    path[strlen(path) - 4] = 0; /* no ".pid" */
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        sv_log(PX_LOG_WARN, "cannot write %s: %s", tmp, strerror(errno));
        return;
    }
    for (size_t i = 0; i < sizeof children / sizeof children[0]; i++)
        fprintf(f, "%s %u\n", children[i].role, children[i].restarts);
    if (fclose(f) == 0) rename(tmp, path);
    else unlink(tmp);
}

static pid_t read_pid(const char *name)
{
    char path[700];
    pid_path(name, path, sizeof path);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    int pid = 0;
    if (fscanf(f, "%d", &pid) != 1) pid = 0;
    fclose(f);
    return pid;
}

/* Is pid alive and running a program whose name contains prog?  Guards
 * against a recycled pid in a stale pid file. */
static int pid_runs(pid_t pid, const char *prog)
{
    if (pid <= 0 || kill(pid, 0) != 0) return 0;
    char path[64], cmd[PATH_MAX] = "";
    snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    size_t n = fread(cmd, 1, sizeof cmd - 1, f);
    fclose(f);
    cmd[n] = 0; /* argv[0] only: enough */
    return strstr(cmd, prog) != NULL;
}

/* ----------------------------------------------------------------- children */

static uint64_t now_ms(void)
{
    return px_now_ms();
}

static void exec_child(const child *c, int ready_w)
{
    char log_path[700], node[16], fdstr[16];
    snprintf(log_path, sizeof log_path, "%s/logs/%s.log", sv.dir, c->role);
    snprintf(node, sizeof node, "%u", sv.node);
    int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    int in = open("/dev/null", O_RDONLY);
    if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
    }
    if (in >= 0) dup2(in, 0);
    /* restore what the supervisor changed for itself */
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    /* the ready pipe survives exec; every other descriptor of ours does not */
    fcntl(ready_w, F_SETFD, 0);
    snprintf(fdstr, sizeof fdstr, "%d", ready_w);
    setenv("PAXOS_READY_FD", fdstr, 1);
    execl(c->exe, c->exe, "--config", sv.config_path, "--node", node, (char *)NULL);
    fprintf(stderr, "paxos-node: cannot run %s: %s\n", c->exe, strerror(errno));
    _exit(127);
}

/* The size of c's log file now: its next lines start there. */
static off_t log_size(const child *c)
{
    char path[700];
    struct stat st;
    snprintf(path, sizeof path, "%s/logs/%s.log", sv.dir, c->role);
    return stat(path, &st) == 0 ? st.st_size : 0;
}

static void close_ready(child *c)
{
    if (c->ready_fd >= 0) close(c->ready_fd);
    c->ready_fd = -1;
}

static void start_child(child *c)
{
    pid_t parent = getpid();
    int rp[2];
    if (pipe2(rp, O_CLOEXEC) != 0) {
        sv_log(PX_LOG_ERROR, "cannot make a pipe for %s: %s", c->role, strerror(errno));
        c->restart_at = now_ms() + BACKOFF_MAX_MS;
        return;
    }
    c->log_off = log_size(c);
    pid_t pid = fork();
    if (pid < 0) {
        sv_log(PX_LOG_ERROR, "cannot fork %s: %s", c->role, strerror(errno));
        close(rp[0]);
        close(rp[1]);
        c->restart_at = now_ms() + BACKOFF_MAX_MS;
        return;
    }
    if (pid == 0) {
        /* own process group: Ctrl-C on a foreground supervisor reaches the
         * supervisor only, which then stops the children in order */
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent) _exit(1); /* the supervisor died before prctl */
        exec_child(c, rp[1]);
    }
    close(rp[1]);
    fcntl(rp[0], F_SETFL, O_NONBLOCK);
    close_ready(c);
    c->ready_fd = rp[0];
    c->ready = 0;
    c->pid = pid;
    c->started_ms = now_ms();
    write_pid(c->role, pid);
    sv_log(PX_LOG_INFO, "%s %s (pid %d)", c->restarts ? "restarted" : "started", c->role,
           (int)pid);
}

static void describe_status(int status, char *buf, size_t len)
{
    if (WIFEXITED(status)) {
        snprintf(buf, len, "exited with code %d", WEXITSTATUS(status));
    } else if (WIFSIGNALED(status)) {
        const char *abbrev = sigabbrev_np(WTERMSIG(status));
        snprintf(buf, len, "was killed by SIG%s", abbrev ? abbrev : "?");
    } else {
        snprintf(buf, len, "changed state (status 0x%x)", status);
    }
}

/* The last lines a child wrote to its log since it was started: its own
 * account of why it stopped ("cannot listen on ...: Address in use"). */
static void child_last_lines(const child *c, char *buf, size_t len)
{
    char path[700], tail[2048];
    snprintf(path, sizeof path, "%s/logs/%s.log", sv.dir, c->role);
    buf[0] = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    off_t end = lseek(fd, 0, SEEK_END), from = c->log_off;
    if (end - from > (off_t)sizeof tail - 1) from = end - (off_t)sizeof tail + 1;
    ssize_t n = from < end ? pread(fd, tail, (size_t)(end - from), from) : 0;
    close(fd);
    if (n <= 0) return;
    tail[n] = 0;
    /* the last three non-empty lines, joined */
    const char *lines[3] = {0};
    int k = 0;
    for (char *line = strtok(tail, "\n"); line; line = strtok(NULL, "\n")) {
        if (k == 3) memmove(lines, lines + 1, 2 * sizeof lines[0]), k = 2;
        lines[k++] = line;
    }
    size_t off = 0;
    for (int i = 0; i < k && off < len; i++) {
        int w = snprintf(buf + off, len - off, "%s%s", i ? " | " : "", lines[i]);
        if (w > 0) off += (size_t)w;
    }
}

static void describe_failure(const child *c, const char *why, char *buf, size_t len)
{
    char lines[1600];
    child_last_lines(c, lines, sizeof lines);
    snprintf(buf, len, "%s %s before it was ready%s%s", c->role, why, lines[0] ? ": " : "",
             lines);
}

/* A child died: remember why, and schedule its restart with backoff. */
static void child_died(child *c, int status)
{
    uint64_t now = now_ms();
    uint64_t up = now - c->started_ms;
    if (up >= STABLE_MS) c->backoff_ms = BACKOFF_MIN_MS;
    if (c->backoff_ms == 0) c->backoff_ms = BACKOFF_MIN_MS;
    char why[128];
    describe_status(status, why, sizeof why);
    remove_pid(c->role);
    c->pid = 0;
    c->restarts++;
    close_ready(c);
    if (stopping) {
        sv_log(PX_LOG_INFO, "%s %s", c->role, why);
        return;
    }
    if (starting) {
        if (start_failure[0] == 0) describe_failure(c, why, start_failure, sizeof start_failure);
        c->restart_at = UINT64_MAX; /* the start failed: nothing is restarted */
        return;
    }
    c->restart_at = now + c->backoff_ms;
    write_restarts();
    sv_log(PX_LOG_WARN, "%s %s after %llu ms; restarting in %llu ms (restart #%u)", c->role,
           why, (unsigned long long)up, (unsigned long long)c->backoff_ms, c->restarts);
    c->backoff_ms *= 2;
    if (c->backoff_ms > BACKOFF_MAX_MS) c->backoff_ms = BACKOFF_MAX_MS;
}

static void reap(void)
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (size_t i = 0; i < N_CHILDREN; i++)
            if (children[i].pid == pid) child_died(&children[i], status);
    }
}

static size_t running(void)
{
    size_t n = 0;
    for (size_t i = 0; i < N_CHILDREN; i++) n += children[i].pid != 0;
    return n;
}

static void signal_all(int sig)
{
    for (size_t i = 0; i < N_CHILDREN; i++)
        if (children[i].pid) kill(children[i].pid, sig);
}

/* SIGTERM every child, give them STOP_GRACE_MS, then SIGKILL the rest. */
static void stop_all(void)
{
    sv_log(PX_LOG_INFO, "stopping: sending SIGTERM to %zu children", running());
    signal_all(SIGTERM);
    signal_all(SIGCONT); /* a stopped (paused) child must wake up to see SIGTERM */
    uint64_t deadline = now_ms() + STOP_GRACE_MS;
    while (running() && now_ms() < deadline) {
        reap();
        usleep(LOOP_MS * 1000);
    }
    if (running()) {
        sv_log(PX_LOG_WARN, "%zu children still running after %d ms: sending SIGKILL",
               running(), STOP_GRACE_MS);
        signal_all(SIGKILL);
        while (running()) {
            reap();
            usleep(LOOP_MS * 1000);
        }
    }
    remove_pid("node");
    sv_log(PX_LOG_INFO, "stopped");
}

/* Children left by a supervisor that was killed -9 while they ignored the
 * parent-death signal (stopped, say) would hold the ports: remove them. */
static void kill_leftovers(void)
{
    for (size_t i = 0; i < N_CHILDREN; i++) {
        char prog[32];
        snprintf(prog, sizeof prog, "paxos-%s", children[i].role);
        pid_t pid = read_pid(children[i].role);
        if (!pid_runs(pid, prog)) continue;
        sv_log(PX_LOG_WARN, "killing leftover %s (pid %d) from a previous run",
               children[i].role, (int)pid);
        kill(pid, SIGKILL);
        kill(pid, SIGCONT);
        for (int t = 0; t < 200 && kill(pid, 0) == 0; t++) usleep(10000);
    }
}

/* Find each role's binary next to our own executable. */
static void locate_binaries(void)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n < 0) {
        fprintf(stderr, "paxos-node: cannot read /proc/self/exe: %s\n", strerror(errno));
        exit(1);
    }
    self[n] = 0;
    const char *bindir = dirname(self);
    for (size_t i = 0; i < N_CHILDREN; i++) {
        child *c = &children[i];
        snprintf(c->exe, sizeof c->exe, "%s/paxos-%s", bindir, c->role);
        if (access(c->exe, X_OK) == 0) continue;
        if (strcmp(c->role, "gateway") != 0) {
            fprintf(stderr, "paxos-node: %s is missing: run make\n", c->exe);
            exit(1);
        }
        c->skip = 1; /* a node without HTTP still serves as a replica */
    }
}

/* Reads what c said on its ready pipe, if anything. */
static void poll_ready(child *c)
{
    if (c->ready_fd < 0) return;
    char buf[16];
    ssize_t n = read(c->ready_fd, buf, sizeof buf);
    if (n < 0) return; /* nothing yet (EAGAIN) */
    if (n >= 5 && memcmp(buf, "ready", 5) == 0) {
        c->ready = 1;
        if (c->restarts)
            sv_log(PX_LOG_INFO, "%s ready after %llu ms", c->role,
                   (unsigned long long)(now_ms() - c->started_ms));
    }
    close_ready(c); /* said it, or closed without: its exit tells the rest */
}

static int all_ready(void)
{
    for (size_t i = 0; i < N_CHILDREN; i++)
        if (!children[i].skip && !children[i].ready) return 0;
    return 1;
}

/* Starts every child and waits until each has said it is ready.  0, or -1
 * with the reason in start_failure: a child exited first, the timeout
 * passed, or we were told to stop. */
static int start_all(void)
{
    starting = 1;
    for (size_t i = 0; i < N_CHILDREN; i++)
        if (!children[i].skip) start_child(&children[i]);
    uint64_t deadline = now_ms() + (uint64_t)sv.ready_timeout_s * 1000;
    while (!start_failure[0]) {
        reap();
        for (size_t i = 0; i < N_CHILDREN; i++) poll_ready(&children[i]);
        if (start_failure[0]) break;
        if (all_ready()) {
            starting = 0;
            return 0;
        }
        if (stopping) {
            snprintf(start_failure, sizeof start_failure, "stopped by a signal while starting");
        } else if (now_ms() >= deadline) {
            for (size_t i = 0; i < N_CHILDREN; i++) {
                child *c = &children[i];
                if (c->skip || c->ready) continue;
                char lines[1600];
                child_last_lines(c, lines, sizeof lines);
                snprintf(start_failure, sizeof start_failure, "%s not ready after %d s%s%s",
                         c->role, sv.ready_timeout_s, lines[0] ? ": " : "", lines);
                break;
            }
        } else {
            usleep(LOOP_MS * 1000);
        }
    }
    return -1;
}

static void supervise(void)
{
    while (!stopping) {
        reap();
        for (size_t i = 0; i < N_CHILDREN; i++) poll_ready(&children[i]);
        uint64_t now = now_ms();
        for (size_t i = 0; i < N_CHILDREN && !stopping; i++) {
            child *c = &children[i];
            if (!c->skip && c->pid == 0 && now >= c->restart_at) start_child(c);
        }
        usleep(LOOP_MS * 1000);
    }
    stop_all();
}

/* ---------------------------------------------------------------- lifecycle */

static void usage(void)
{
    fprintf(stderr,
            "usage: paxos-node --config FILE --node N [--daemon] [--ready-timeout S]\n"
            "       paxos-node --config FILE --list-nodes\n"
            "       paxos-node --config FILE --tls-paths\n"
            "       paxos-node --config FILE --describe\n");
    exit(2);
}

static void load_config(const char *path)
{
    char err[1024], warn[1024];
    if (!realpath(path, sv.config_path)) {
        fprintf(stderr, "paxos-node: %s: %s\n", path, strerror(errno));
        exit(2);
    }
    if (px_config_load(sv.config_path, &sv.cfg, err, sizeof err, warn, sizeof warn) != 0 ||
        px_config_members_static(&sv.cfg, err, sizeof err) != 0) {
        fprintf(stderr, "paxos-node: %s\n", err);
        exit(2);
    }
    if (warn[0]) fprintf(stderr, "paxos-node: warning: %s\n", warn);
}

static void list_nodes(void)
{
    for (uint32_t i = 0; i < sv.cfg.n_nodes; i++) {
        const px_node_cfg *n = &sv.cfg.nodes[i];
        char dir[512];
        px_config_node_dir(&sv.cfg, n->id, dir, sizeof dir);
        printf("%u %s %u %s\n", n->id, n->host, (unsigned)n->gateway_port, dir);
    }
    exit(0);
}

/* For scripts/make-certs.sh: where the CA and each node's certificate and
 * key belong, resolved as the processes resolve them. */
static void list_tls_paths(void)
{
    char path[600];
    px_config_resolve(&sv.cfg, sv.cfg.tls_ca, path, sizeof path);
    printf("ca %s\n", path);
    for (uint32_t i = 0; i < sv.cfg.n_nodes; i++) {
        const px_node_cfg *n = &sv.cfg.nodes[i];
        char cert[600], key[600];
        px_config_resolve(&sv.cfg, n->tls_cert, cert, sizeof cert);
        px_config_resolve(&sv.cfg, n->tls_key, key, sizeof key);
        printf("node %u %s %s %s\n", n->id, n->host, cert, key);
    }
    printf("tls %s\n", sv.cfg.tls ? "on" : "off");
    exit(0);
}

/* For the start scripts: what they need to check that a gateway that
 * answers is this cluster's. */
static void describe(void)
{
    char ca[600];
    px_config_resolve(&sv.cfg, sv.cfg.tls_ca, ca, sizeof ca);
    printf("cluster_id %u\n", sv.cfg.cluster_id);
    printf("gateway_scheme %s\n", sv.cfg.gateway_https ? "https" : "http");
    printf("ca %s\n", ca);
    exit(0);
}

static void make_dirs(void)
{
    char path[700], err[1024];
    if (px_node_dir_private(sv.dir, err, sizeof err) != 0) {
        fprintf(stderr, "paxos-node: %s\n", err);
        exit(1);
    }
    const char *sub[] = {"/logs", "/pids"};
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s%s", sv.dir, sub[i]);
        if (px_mkdirs(path) != 0) {
            fprintf(stderr, "paxos-node: cannot create %s: %s\n", path, strerror(errno));
            exit(1);
        }
    }
}

/* Detach: fork, setsid, fork again so we can never regain a terminal.  The
 * first parent waits on a pipe until the daemon reports it is running, so
 * the exit code of `paxos-node --daemon` means something. */
static int daemonize(void)
{
    int p[2];
    /* close-on-exec: the children must not hold the write end open, or the
     * waiting parent would never see it close */
    if (pipe2(p, O_CLOEXEC) != 0) return -1;
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid > 0) {
        close(p[1]);
        char buf[4096];
        size_t got = 0;
        ssize_t r;
        while (got < sizeof buf - 1 && (r = read(p[0], buf + got, sizeof buf - 1 - got)) > 0) {
            got += (size_t)r;
            if (buf[0] == 'y') break;
        }
        buf[got] = 0;
        if (got >= 1 && buf[0] == 'y') exit(0);
        if (got >= 1 && buf[0] == 'n')
            fprintf(stderr, "paxos-node: node %u failed to start: %s\n", sv.node, buf + 1);
        else
            fprintf(stderr, "paxos-node: node %u: the daemon exited before reporting; see %s/logs/node.log\n",
                    sv.node, sv.dir);
        exit(1);
    }
    close(p[0]);
    setsid();
    pid = fork();
    if (pid < 0) _exit(1);
    if (pid > 0) _exit(0);
    char log_path[700];
    snprintf(log_path, sizeof log_path, "%s/logs/node.log", sv.dir);
    int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    int in = open("/dev/null", O_RDWR);
    if (fd < 0 || in < 0) _exit(1);
    dup2(in, 0);
    dup2(fd, 1);
    dup2(fd, 2);
    close(fd);
    close(in);
    return p[1];
}

static int tls_paths, describe_only;

static void parse_args(int argc, char **argv, int *list)
{
    const char *config = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--config") && i + 1 < argc) config = argv[++i];
        else if (!strcmp(argv[i], "--node") && i + 1 < argc) sv.node = (uint32_t)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--daemon")) sv.daemon = 1;
        else if (!strcmp(argv[i], "--ready-timeout") && i + 1 < argc) {
            sv.ready_timeout_s = atoi(argv[++i]);
            if (sv.ready_timeout_s < 1) usage();
        }
        else if (!strcmp(argv[i], "--list-nodes")) *list = 1;
        else if (!strcmp(argv[i], "--tls-paths")) *list = tls_paths = 1;
        else if (!strcmp(argv[i], "--describe")) *list = describe_only = 1;
        else usage();
    }
    if (!config) usage();
    load_config(config);
    if (*list) return;
    if (!px_config_node(&sv.cfg, sv.node)) {
        fprintf(stderr, "paxos-node: node %u is not in %s\n", sv.node, sv.config_path);
        exit(2);
    }
}

int main(int argc, char **argv)
{
    int list = 0;
    sv.log_fd = -1;
    sv.ready_timeout_s = 60;
    for (size_t i = 0; i < N_CHILDREN; i++) children[i].ready_fd = -1;
    parse_args(argc, argv, &list);
    if (tls_paths) list_tls_paths();
    if (describe_only) describe();
    if (list) list_nodes();
    px_config_node_dir(&sv.cfg, sv.node, sv.dir, sizeof sv.dir);
    make_dirs();
    locate_binaries();

    pid_t old = read_pid("node");
    if (old != getpid() && pid_runs(old, "paxos-node")) {
        fprintf(stderr, "paxos-node: node %u is already running (pid %d)\n", sv.node, (int)old);
        return 1;
    }
    int ready_fd = -1;
    if (sv.daemon) {
        printf("paxos-node %u: data in %s, logs in %s/logs\n", sv.node, sv.dir, sv.dir);
        fflush(stdout);
        ready_fd = daemonize();
    } else {
        char log_path[700];
        snprintf(log_path, sizeof log_path, "%s/logs/node.log", sv.dir);
        sv.log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    }
    px_log_init(sv.node, "node", PX_LOG_INFO);
    px_log_set_json(sv.cfg.log_json);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    write_pid("node", getpid());
    write_restarts();
    sv_log(PX_LOG_INFO, "supervisor started (pid %d, config %s, data %s)", (int)getpid(),
           sv.config_path, sv.dir);
    kill_leftovers();
    for (size_t i = 0; i < N_CHILDREN; i++)
        if (children[i].skip)
            sv_log(PX_LOG_WARN, "%s not found: running without a %s", children[i].exe,
                   children[i].role);
    if (start_all() != 0) {
        sv_log(PX_LOG_ERROR, "node %u failed to start: %s", sv.node, start_failure);
        stop_all();
        if (ready_fd >= 0) {
            (void)!write(ready_fd, "n", 1);
            (void)!write(ready_fd, start_failure, strlen(start_failure));
            close(ready_fd);
        }
        return 1;
    }
    sv_log(PX_LOG_INFO, "node %u ready: every role is up", sv.node);
    if (ready_fd >= 0) {
        (void)!write(ready_fd, "y", 1);
        close(ready_fd);
    }
    supervise();
    return 0;
}
