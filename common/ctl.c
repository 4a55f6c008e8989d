/* ctl.c -- the control channel: every role answers CTL_REQ on a REP socket
 * at ipc://<node_dir>/<role>.ctl with a CTL_REPLY carrying its state as JSON
 * (or, in test mode, the answer to a fault command: faults.h).  It is a
 * socket of its own so that a status query can never be confused with, or
 * queued behind, protocol messages. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>

#include "faults.h"
#include "ipc.h"
#include "net.h"

struct px_ctl {
    nng_socket s;
    px_config cfg;
    uint32_t self;
    px_msg msg;
    char json[PX_MAX_CTL_JSON]; /* the reply being built; a CTL_REPLY is no px_msg */
    uint8_t frame[PX_MAX_FRAME];
};

struct px_ctl *px_ctl_open(const px_config *cfg, uint32_t self, int role, char *err,
                           size_t errlen)
{
    struct px_ctl *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->cfg = *cfg;
    c->self = self;
    char url[600];
    int rv = nng_rep0_open(&c->s);
    if (rv != 0) {
        snprintf(err, errlen, "nng_rep0_open: %s", nng_strerror(rv));
        free(c);
        return NULL;
    }
    if (px_ipc_url(cfg, self, role, "ctl", url, sizeof url) != 0) {
        snprintf(err, errlen, "node directory path too long for an ipc socket: %s", url);
    } else if (px_ipc_listen(c->s, url, NULL, err, errlen) == 0) {
        return c;
    }
    nng_close(c->s);
    free(c);
    return NULL;
}

void px_ctl_close(struct px_ctl *c)
{
    if (!c) return;
    nng_close(c->s);
    free(c);
}

int px_ctl_poll(struct px_ctl *c, void (*fn)(void *arg, char *json, size_t cap), void *arg)
{
    nng_msg *req;
    if (nng_recvmsg(c->s, &req, NNG_FLAG_NONBLOCK) != 0) return 0;
    int d = px_decode(nng_msg_body(req), nng_msg_len(req), c->cfg.cluster_id, &c->msg);
    nng_msg_free(req);
    /* a bad request gets no reply: the client's timeout reports it */
    if (d != 0 || c->msg.type != PX_MSG_CTL_REQ) return 0;

    memset(c->json, 0, sizeof c->json);
    if (c->msg.u.ctl_req.what == PX_CTL_STATE) fn(arg, c->json, sizeof c->json);
    else px_faults_ctl(&c->msg.u.ctl_req, c->json, sizeof c->json); /* tests only: faults.h */
    c->json[sizeof c->json - 1] = 0; /* whatever fn did, a string */
    size_t len = px_encode_ctl_reply(c->self, c->cfg.cluster_id, c->json, strlen(c->json),
                                     c->frame, sizeof c->frame);
    if (len > 0) nng_send(c->s, c->frame, len, NNG_FLAG_NONBLOCK);
    return 1;
}

/* One CTL_REQ / CTL_REPLY exchange, all of it before deadline. */
static int ctl_exchange(nng_socket s, const px_config *cfg, uint32_t self, const px_ctl_req *req,
                        uint64_t deadline, char *json, size_t cap)
{
    uint8_t frame[128];
    px_msg q;
    memset(&q, 0, sizeof q);
    q.type = PX_MSG_CTL_REQ;
    q.from = self;
    q.u.ctl_req = *req;
    size_t len = px_encode(&q, cfg->cluster_id, frame, sizeof frame);
    if (len == 0 || nng_send(s, frame, len, 0) != 0) return -1;

    uint64_t now = px_now_ms();
    if (now >= deadline) return -1;
    nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, (nng_duration)(deadline - now));
    nng_msg *rep;
    if (nng_recvmsg(s, &rep, 0) != 0) return -1;
    size_t json_len; /* a reply longer than cap is cut, as before */
    int rc = px_decode_ctl_reply(nng_msg_body(rep), nng_msg_len(rep), cfg->cluster_id, json, cap,
                                 &json_len);
    nng_msg_free(rep);
    return rc == 0 ? 0 : -1;
}

int px_ctl_request(const px_config *cfg, uint32_t self, int role, const px_ctl_req *req,
                   int timeout_ms, char *json, size_t cap)
{
    char url[600];
    nng_socket s;
    uint64_t deadline = px_now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
    if (cap == 0 || px_ipc_url(cfg, self, role, "ctl", url, sizeof url) != 0) return -1;
    if (nng_req0_open(&s) != 0) return -1;
    nng_socket_set_ms(s, NNG_OPT_SENDTIMEO, timeout_ms);
    nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, timeout_ms);
    /* never resend: one query, one answer or a timeout.  Never redial
     * either: against a stopped role whose listen backlog is full every
     * dial fails at once, and a redial every NET_RECONN_MIN_MS opened a new
     * socket each time, faster than nng closed them (a /status poller grew
     * the gateway to thousands of descriptors). */
    nng_socket_set_ms(s, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE);
    nng_duration once = timeout_ms > 0 ? timeout_ms : 1;
    nng_socket_set_ms(s, NNG_OPT_RECONNMINT, once);
    nng_socket_set_ms(s, NNG_OPT_RECONNMAXT, once);
    int rv = -1;
    if (nng_dial(s, url, NULL, NNG_FLAG_NONBLOCK) == 0)
        rv = ctl_exchange(s, cfg, self, req, deadline, json, cap);
    nng_close(s);
    return rv;
}

int px_ctl_query(const px_config *cfg, uint32_t self, int role, int timeout_ms, char *json,
                 size_t cap)
{
    px_ctl_req req;
    memset(&req, 0, sizeof req);
    req.what = PX_CTL_STATE;
    return px_ctl_request(cfg, self, role, &req, timeout_ms, json, cap);
}
