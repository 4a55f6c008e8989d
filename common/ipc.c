/* ipc.c -- a node's unix sockets, which are their owner's alone (ipc.h). */
#include "ipc.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <nng/transport/ipc/ipc.h>

#include "log.h"
#include "net.h"

/* ipc://<node_dir>/<role>.<suffix>; -1 if the path is too long for a unix
 * socket (sun_path is 108 bytes), which would otherwise fail obscurely. */
int px_ipc_url(const px_config *cfg, uint32_t node, int role, const char *suffix,
                   char *buf, size_t len)
{
    char dir[512];
    px_config_node_dir(cfg, node, dir, sizeof dir);
    int n = snprintf(buf, len, "ipc://%s/%s.%s", dir, px_role_name(role), suffix);
    if (n < 0 || (size_t)n >= len || (size_t)n - strlen("ipc://") >= 100) return -1;
    return 0;
}

/* Connections refused because the peer process runs as another user, and
 * when that was last logged (from nng's threads, hence atomics). */
static atomic_ullong foreign_uid_refused;
static atomic_ullong foreign_uid_logged_ms;

/* An ipc socket lives in the node directory (mode 0700), so only its owner
 * can reach it; this is the second lock: a pipe whose peer runs under
 * another uid is closed before it carries anything.  Runs on nng's threads
 * for every new pipe of a socket with an ipc listener; a tcp pipe has no
 * peer uid and passes (TLS authenticates it). */
static void refuse_foreign_uid(nng_pipe p, nng_pipe_ev ev, void *arg)
{
    (void)ev;
    (void)arg;
    uint64_t uid;
    if (nng_pipe_get_uint64(p, NNG_OPT_IPC_PEER_UID, &uid) != 0) return;
    if (uid == (uint64_t)geteuid()) return;
    nng_pipe_close(p);
    unsigned long long n = atomic_fetch_add(&foreign_uid_refused, 1) + 1;
    uint64_t now = px_now_ms(), last = atomic_load(&foreign_uid_logged_ms);
    if (last == 0 || now - last >= 1000) {
        atomic_store(&foreign_uid_logged_ms, now);
        px_warn("refused an ipc connection from uid %llu (we run as uid %u): local sockets "
                "are their owner's alone (%llu refused in total)",
                (unsigned long long)uid, (unsigned)geteuid(), n);
    }
}

uint64_t px_net_foreign_uid_refused(void)
{
    return atomic_load(&foreign_uid_refused);
}

/* Listens on an ipc url: a socket file of mode 0600, and peers of another
 * uid refused. */
int px_ipc_listen(nng_socket s, const char *url, nng_listener *out, char *err, size_t errlen)
{
    nng_listener l;
    int rv = nng_pipe_notify(s, NNG_PIPE_EV_ADD_PRE, refuse_foreign_uid, NULL);
    if (rv == 0) rv = nng_listener_create(&l, s, url);
    /* the socket file itself is the owner's too, whatever the umask */
    if (rv == 0) rv = nng_listener_set_int(l, NNG_OPT_IPC_PERMISSIONS, 0600);
    if (rv == 0) {
        rv = nng_listener_start(l, 0);
        if (rv != 0) nng_listener_close(l);
    }
    if (rv != 0) {
        snprintf(err, errlen, "cannot listen on %s: %s", url, nng_strerror(rv));
        return rv;
    }
    if (out) *out = l;
    return 0;
}
