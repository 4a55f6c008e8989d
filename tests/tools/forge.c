/* forge.c -- paxos-forge, a test tool: sends hand-made protocol frames to a
 * role's socket, as an attacker (or a buggy peer) would.
 *
 *   paxos-forge URL TYPE [options]
 *
 * URL is ipc://PATH, tcp://HOST:PORT or tls+tcp://HOST:PORT.  TYPE is one of
 * prepare, accept, accepted, chosen, trim, heartbeat, list_req.  Options:
 *   --cluster ID          cluster id in the header (default 1)
 *   --from N              sender id in the header (default 1)
 *   --ballot ROUND:NODE   any round, even above PX_MAX_ROUND: such a frame
 *                         is built with round 1 and patched, since the
 *                         encoder (rightly) refuses it
 *   --slot S --below B --acks MASK --value V --leader N --chosen-upto S
 *   --acceptor N          the acceptor id an ACCEPTED claims
 *   --cert F --key F --ca F   present this certificate (tls+tcp://); with
 *                         --ca the listener's certificate is checked too
 *   --count N             frames to send (default 1)
 *   --wait-ms MS          how long to try to connect (default 2000)
 *
 * Exit status: 0 when the frames were handed to an established connection
 * (whether the receiver then accepts them is for its rejected_frames to
 * say), 3 when no connection could be made (refused by TLS, by a peer-uid
 * check, or nothing listening), 1 on another error, 2 on bad usage. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/pipeline0/push.h>
#include <nng/supplemental/tls/tls.h>

#include "../../common/crc32c.h"
#include "../../common/wire.h"

typedef struct opts {
    const char *url, *type, *cert, *key, *ca;
    uint32_t cluster, from, leader, acceptor, acks;
    px_ballot ballot;
    uint64_t slot, below, chosen_upto;
    int64_t value;
    int count, wait_ms;
} opts;

static void usage(void)
{
    fprintf(stderr, "usage: paxos-forge URL prepare|accept|accepted|vote|chosen|trim|heartbeat|list_req "
                    "[--cluster ID] [--from N] [--ballot R:N] [--slot S] [--below B] [--acks M] "
                    "[--value V] [--leader N] [--chosen-upto S] [--acceptor N] [--cert F --key F "
                    "[--ca F]] [--count N] [--wait-ms MS]\n");
    exit(2);
}

static uint64_t num(const char *s)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end) usage();
    return v;
}

static void parse(int argc, char **argv, opts *o)
{
    memset(o, 0, sizeof *o);
    o->cluster = 1, o->from = 1, o->count = 1, o->wait_ms = 2000;
    o->ballot = (px_ballot){1, 1};
    if (argc < 3) usage();
    o->url = argv[1], o->type = argv[2];
    for (int i = 3; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) usage();
        i++;
        if (!strcmp(a, "--cluster")) o->cluster = (uint32_t)num(v);
        else if (!strcmp(a, "--from")) o->from = (uint32_t)num(v);
        else if (!strcmp(a, "--slot")) o->slot = num(v);
        else if (!strcmp(a, "--below")) o->below = num(v);
        else if (!strcmp(a, "--acks")) o->acks = (uint32_t)num(v);
        else if (!strcmp(a, "--value")) o->value = (int64_t)num(v);
        else if (!strcmp(a, "--leader")) o->leader = (uint32_t)num(v);
        else if (!strcmp(a, "--acceptor")) o->acceptor = (uint32_t)num(v);
        else if (!strcmp(a, "--chosen-upto")) o->chosen_upto = num(v);
        else if (!strcmp(a, "--cert")) o->cert = v;
        else if (!strcmp(a, "--key")) o->key = v;
        else if (!strcmp(a, "--ca")) o->ca = v;
        else if (!strcmp(a, "--count")) o->count = (int)num(v);
        else if (!strcmp(a, "--wait-ms")) o->wait_ms = (int)num(v);
        else if (!strcmp(a, "--ballot")) {
            char *colon = strchr(v, ':');
            if (!colon) usage();
            *colon = 0;
            o->ballot.round = num(v);
            o->ballot.node = (uint32_t)num(colon + 1);
        } else usage();
    }
}

/* The message, with a legal round (the encoder refuses others). */
static int build(const opts *o, px_msg *m, size_t *round_off)
{
    memset(m, 0, sizeof *m);
    m->from = o->from;
    px_ballot b = o->ballot;
    if (b.round > PX_MAX_ROUND) b.round = 1;
    px_value v = {1, {{PX_CMD_APPEND, 0x4242, 1, o->value}}};
    *round_off = 0;
    if (!strcmp(o->type, "prepare")) {
        m->type = PX_MSG_PREPARE;
        m->u.prepare = (px_prepare){b, o->slot};
    } else if (!strcmp(o->type, "accept")) {
        m->type = PX_MSG_ACCEPT;
        m->u.accept.ballot = b, m->u.accept.slot = o->slot, m->u.accept.value = v;
    } else if (!strcmp(o->type, "accepted")) {
        m->type = PX_MSG_ACCEPTED;
        m->u.accepted = (px_accepted){b, o->acceptor ? o->acceptor : o->from, o->slot};
    } else if (!strcmp(o->type, "chosen")) {
        m->type = PX_MSG_CHOSEN;
        m->u.chosen.slot = o->slot, m->u.chosen.ballot = b, m->u.chosen.acks = o->acks;
        m->u.chosen.value = v;
        *round_off = 8;
    } else if (!strcmp(o->type, "vote")) {
        m->type = PX_MSG_VOTE;
        m->u.vote.ballot = b, m->u.vote.slot = o->slot, m->u.vote.value = v;
        m->u.vote.acceptor = o->acceptor ? o->acceptor : o->from;
    } else if (!strcmp(o->type, "trim")) {
        m->type = PX_MSG_TRIM;
        m->u.trim = (px_trim){b, o->below};
    } else if (!strcmp(o->type, "list_req")) {
        m->type = PX_MSG_LIST_REQ;
        m->u.list_req.from_index = o->slot;
    } else if (!strcmp(o->type, "heartbeat")) {
        m->type = PX_MSG_HEARTBEAT;
        m->u.heartbeat = (px_heartbeat){b, o->leader ? o->leader : o->from, o->chosen_upto};
    } else {
        return -1;
    }
    return 0;
}

/* Writes round at payload offset off and recomputes the header CRC (as
 * common/wire.c does: header with the crc field zeroed, then payload). */
static void patch_round(uint8_t *f, size_t len, size_t off, uint64_t round)
{
    static const uint8_t zero[4];
    for (int i = 0; i < 8; i++) f[PX_WIRE_HEADER + off + i] = (uint8_t)(round >> (8 * i));
    uint32_t crc = px_crc32c(0, f, 20);
    crc = px_crc32c(crc, zero, sizeof zero);
    crc = px_crc32c(crc, f + PX_WIRE_HEADER, len - PX_WIRE_HEADER);
    for (int i = 0; i < 4; i++) f[20 + i] = (uint8_t)(crc >> (8 * i));
}

static int tls_setup(const opts *o, nng_dialer d)
{
    nng_tls_config *c;
    int rv = nng_tls_config_alloc(&c, NNG_TLS_MODE_CLIENT);
    if (rv) return rv;
    if (o->ca) rv = nng_tls_config_ca_file(c, o->ca);
    nng_tls_config_auth_mode(c, o->ca ? NNG_TLS_AUTH_MODE_REQUIRED : NNG_TLS_AUTH_MODE_NONE);
    if (!rv && o->cert) {
        /* nng wants cert and key in one PEM: concatenate them */
        char path[] = "/tmp/paxos-forge-XXXXXX";
        int fd = mkstemp(path);
        FILE *out = fd >= 0 ? fdopen(fd, "w") : NULL;
        const char *parts[2] = {o->cert, o->key};
        for (int i = 0; out && i < 2; i++) {
            FILE *in = parts[i] ? fopen(parts[i], "r") : NULL;
            if (!in) continue;
            char buf[4096];
            size_t n;
            while ((n = fread(buf, 1, sizeof buf, in)) > 0) fwrite(buf, 1, n, out);
            fclose(in);
        }
        if (out) fclose(out);
        rv = nng_tls_config_cert_key_file(c, path, NULL);
        unlink(path);
    }
    if (!rv) rv = nng_dialer_set_ptr(d, NNG_OPT_TLS_CONFIG, c);
    nng_tls_config_free(c);
    return rv;
}

int main(int argc, char **argv)
{
    opts o;
    parse(argc, argv, &o);
    static px_msg m;
    size_t round_off;
    if (build(&o, &m, &round_off) != 0) usage();
    static uint8_t frame[PX_MAX_FRAME];
    size_t len = px_encode(&m, o.cluster, frame, sizeof frame);
    if (len == 0) {
        fprintf(stderr, "paxos-forge: the encoder refused the message (a field out of range)\n");
        return 1;
    }
    if (o.ballot.round > PX_MAX_ROUND) patch_round(frame, len, round_off, o.ballot.round);

    nng_socket s;
    nng_dialer d;
    int rv = nng_push0_open(&s);
    if (!rv) rv = nng_dialer_create(&d, s, o.url);
    if (!rv && !strncmp(o.url, "tls+tcp://", 10)) rv = tls_setup(&o, d);
    if (rv) {
        fprintf(stderr, "paxos-forge: %s: %s\n", o.url, nng_strerror(rv));
        return 1;
    }
    /* a blocking dial: its error is the answer (TLS refusal, peer gone) */
    rv = nng_dialer_start(d, 0);
    if (rv) {
        fprintf(stderr, "paxos-forge: no connection to %s: %s\n", o.url, nng_strerror(rv));
        return 3;
    }
    nng_socket_set_ms(s, NNG_OPT_SENDTIMEO, o.wait_ms);
    for (int i = 0; i < o.count; i++) {
        rv = nng_send(s, frame, len, 0);
        if (rv) {
            fprintf(stderr, "paxos-forge: send to %s: %s\n", o.url, nng_strerror(rv));
            return 3;
        }
    }
    nanosleep(&(struct timespec){0, 200 * 1000 * 1000}, NULL); /* let the frames leave first */
    nng_close(s);
    printf("paxos-forge: sent %d %s frame(s) of %zu bytes to %s\n", o.count, o.type, len, o.url);
    return 0;
}
