/* test_wire.c -- the frame codec: round trips of every message type,
 * truncations, bit flips, each specific decoder error, and seeded garbage
 * (run under ASan by `make asan`: the decoder must never read out of
 * bounds). */
#include <stdlib.h>
#include <string.h>

#include "common/crc32c.h"
#include "common/rng.h"
#include "common/wire.h"
#include "tests/unit/check.h"

#define CLUSTER 7u

static px_rng rng;
/* px_msg is ~8 KB: keep the ones the tests juggle off the stack. */
static px_msg msg_a, msg_b;
/* CTL_REPLY is no px_msg (wire.h): the last one encode_rnd built, and the
 * last one decode took apart (one spare byte for the nul). */
static char ctl_json[PX_MAX_CTL_JSON];
static size_t ctl_len;
static char ctl_out[PX_MAX_CTL_JSON + 1];
static size_t ctl_out_len;
static uint8_t frame[PX_MAX_FRAME + 64];
static uint8_t frame2[PX_MAX_FRAME + 64];

/* ---- random messages -------------------------------------------------- */

static uint64_t rnd(uint64_t lo, uint64_t hi) { return px_rng_range(&rng, lo, hi); }

/* Mostly large values (to exercise all 8 bytes), sometimes edge values. */
static uint64_t rnd_u64(void)
{
    switch (rnd(0, 7)) {
    case 0: return 0;
    case 1: return UINT64_MAX;
    case 2: return rnd(0, 1000);
    default: return px_rng_next(&rng);
    }
}

static int64_t rnd_i64(void)
{
    uint64_t u = rnd_u64();
    int64_t v;
    memcpy(&v, &u, sizeof v);
    return v;
}

static uint32_t rnd_node(void) { return (uint32_t)rnd(1, PX_MAX_NODES); }

static px_ballot rnd_ballot(void)
{
    px_ballot b = {0, 0};
    if (rnd(0, 9) == 0) return b; /* the zero ballot is legal too */
    b.round = (rnd_u64() | 1) % (PX_MAX_ROUND + 1); /* the ceiling itself is legal */
    if (b.round == 0) b.round = PX_MAX_ROUND;
    b.node = rnd_node();
    return b;
}

static void rnd_cmd(px_cmd *c)
{
    c->kind = rnd(0, 1) ? PX_CMD_APPEND : PX_CMD_READ;
    c->client = rnd_u64();
    c->seq = rnd_u64();
    c->value = rnd_i64();
}

static void rnd_value(px_value *v, int max)
{
    v->n = (uint16_t)(max ? PX_MAX_BATCH : rnd(0, PX_MAX_BATCH));
    for (int i = 0; i < v->n; i++) rnd_cmd(&v->cmds[i]);
}

static void rnd_promise(px_promise *p, int max)
{
    p->ballot = rnd_ballot();
    p->acceptor = rnd_node();
    p->from_slot = rnd_u64();
    p->next_slot = rnd_u64();
    p->trimmed = rnd_u64();
    p->done = (uint8_t)rnd(0, 1);
    p->n = (uint8_t)(max ? PX_MAX_PROMISE_ENTRIES : rnd(0, PX_MAX_PROMISE_ENTRIES));
    for (int i = 0; i < p->n; i++) {
        p->entries[i].slot = rnd_u64();
        p->entries[i].vballot = rnd_ballot();
        rnd_value(&p->entries[i].value, max);
    }
}

static void rnd_applied(px_applied *a, int max)
{
    a->slot = rnd_u64();
    a->list_len = rnd_u64();
    a->leader = (uint32_t)rnd(0, PX_MAX_NODES);
    a->n = (uint16_t)(max ? PX_MAX_BATCH : rnd(0, PX_MAX_BATCH));
    for (int i = 0; i < a->n; i++) {
        rnd_cmd(&a->entries[i].cmd);
        a->entries[i].flags = (uint8_t)rnd(0, 3);
        a->entries[i].result = rnd_i64();
    }
}

/* size: 0 small random, 1 maximal, 2 random up to the maximum. */
static void rnd_list_chunk(px_list_chunk *c, int size)
{
    c->from_index = rnd_u64();
    c->total_len = rnd_u64();
    c->n = size == 1 ? PX_LIST_CHUNK : (uint32_t)rnd(0, size == 2 ? PX_LIST_CHUNK : 40);
    for (uint32_t i = 0; i < c->n; i++) c->values[i] = rnd_i64();
}

/* A chunk that lies inside its snapshot (offset + n <= total); size as for
 * rnd_list_chunk. */
static void rnd_snap_chunk(px_snap_chunk *c, int size)
{
    c->snap_slot = rnd_u64();
    c->n = (uint16_t)(size == 1 ? PX_SNAP_CHUNK : rnd(0, size == 2 ? PX_SNAP_CHUNK : 100));
    c->offset = rnd_u64() >> 2;
    c->total = c->offset + c->n + (rnd_u64() >> 2);
    for (uint16_t i = 0; i < c->n; i++) c->data[i] = (uint8_t)rnd(0, 255);
}

/* Fills ctl_json / ctl_len; size as for rnd_list_chunk. */
static void rnd_ctl_reply(int size)
{
    ctl_len = size == 1 ? PX_MAX_CTL_JSON : (size_t)rnd(0, size == 2 ? PX_MAX_CTL_JSON : 300);
    for (size_t i = 0; i < ctl_len; i++) ctl_json[i] = (char)rnd(32, 126);
}

/* A random valid control request: each `what`, with its fields in range. */
static void rnd_ctl_req(px_ctl_req *q)
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789-";
    q->what = (uint8_t)rnd(0, PX_CTL_WHAT_MAX);
    if (q->what == PX_CTL_NET_FAULTS) {
        px_ctl_net_faults *f = &q->u.net;
        f->dup_ppm = (uint32_t)rnd(0, PX_PPM / 4);
        f->delay_ppm = (uint32_t)rnd(0, PX_PPM / 4);
        f->reorder_ppm = (uint32_t)rnd(0, PX_PPM / 4);
        f->drop_ppm = (uint32_t)rnd(0, PX_PPM / 4);
        f->delay_ms = (uint32_t)rnd(1, PX_FAULT_DELAY_MAX_MS);
    } else if (q->what == PX_CTL_FAILPOINT) {
        px_ctl_failpoint *f = &q->u.fp;
        f->action = (uint8_t)rnd(PX_FP_OFF, PX_FP_STALL);
        f->ppm = (uint32_t)rnd(0, PX_PPM);
        f->count = (uint32_t)rnd(0, UINT32_MAX);
        f->stall_ms = f->action == PX_FP_STALL ? (uint32_t)rnd(1, PX_FAULT_STALL_MAX_MS) : 0;
        f->name_len = (uint8_t)rnd(1, PX_FAILPOINT_NAME_MAX);
        for (int i = 0; i < f->name_len; i++)
            f->name[i] = alphabet[rnd(0, sizeof alphabet - 2)];
        f->name[f->name_len] = 0;
    }
}

/* A random but valid message of type.  size as for rnd_list_chunk; it also
 * fills every array to its limit when 1.  The whole struct is first filled
 * with junk so that px_msg_equal is seen to ignore unused entries. */
static void rnd_msg(px_msg *m, int type, int size)
{
    memset(m, 0xA5, sizeof *m);
    m->type = (uint8_t)type;
    m->from = rnd_node();
    int max = size == 1;
    switch (type) {
    case PX_MSG_PREPARE:
        m->u.prepare.ballot = rnd_ballot();
        m->u.prepare.from_slot = rnd_u64();
        break;
    case PX_MSG_PROMISE: rnd_promise(&m->u.promise, max); break;
    case PX_MSG_ACCEPT:
        m->u.accept.ballot = rnd_ballot();
        m->u.accept.slot = rnd_u64();
        rnd_value(&m->u.accept.value, max);
        break;
    case PX_MSG_ACCEPTED:
        m->u.accepted.ballot = rnd_ballot();
        m->u.accepted.acceptor = rnd_node();
        m->u.accepted.slot = rnd_u64();
        break;
    case PX_MSG_VOTE:
        m->u.vote.ballot = rnd_ballot();
        m->u.vote.acceptor = rnd_node();
        m->u.vote.slot = rnd_u64();
        rnd_value(&m->u.vote.value, max);
        break;
    case PX_MSG_REJECT:
        m->u.reject.promised = rnd_ballot();
        m->u.reject.acceptor = rnd_node();
        m->u.reject.of_type = rnd(0, 1) ? PX_MSG_PREPARE : PX_MSG_ACCEPT;
        m->u.reject.slot = rnd_u64();
        m->u.reject.trimmed = rnd_u64();
        break;
    case PX_MSG_CHOSEN:
        m->u.chosen.slot = rnd_u64();
        m->u.chosen.ballot = rnd_ballot();
        m->u.chosen.acks = (uint32_t)rnd(0, 511) << 1;
        rnd_value(&m->u.chosen.value, max);
        break;
    case PX_MSG_HEARTBEAT:
        m->u.heartbeat.ballot = rnd_ballot();
        m->u.heartbeat.leader = rnd_node();
        m->u.heartbeat.chosen_upto = rnd_u64();
        break;
    case PX_MSG_REQUEST:
        rnd_cmd(&m->u.request.cmd);
        m->u.request.origin = rnd_node();
        m->u.request.hops = (uint8_t)rnd(0, 255);
        m->u.request.attempt = (uint16_t)rnd(0, 65535);
        break;
    case PX_MSG_NACK:
        m->u.nack.client = rnd_u64();
        m->u.nack.seq = rnd_u64();
        m->u.nack.reason = (uint8_t)rnd(PX_NACK_NO_LEADER, PX_NACK_TOO_MANY_HOPS);
        m->u.nack.leader_hint = (uint32_t)rnd(0, PX_MAX_NODES);
        m->u.nack.attempt = (uint16_t)rnd(0, 65535);
        break;
    case PX_MSG_CATCHUP:
        m->u.catchup.from_slot = rnd_u64();
        m->u.catchup.learner = rnd_node();
        break;
    case PX_MSG_LEARNED:
        m->u.learned.learner = rnd_node();
        m->u.learned.applied_upto = rnd_u64();
        m->u.learned.snapshot_upto = rnd_u64();
        break;
    case PX_MSG_APPLIED: rnd_applied(&m->u.applied, max); break;
    case PX_MSG_LIST_REQ: m->u.list_req.from_index = rnd_u64(); break;
    case PX_MSG_LIST_CHUNK: rnd_list_chunk(&m->u.list_chunk, size); break;
    case PX_MSG_CTL_REQ: rnd_ctl_req(&m->u.ctl_req); break;
    case PX_MSG_TRIM:
        m->u.trim.ballot = rnd_ballot();
        if (px_ballot_is_zero(m->u.trim.ballot)) m->u.trim.ballot = (px_ballot){1, 1};
        m->u.trim.below = rnd_u64();
        break;
    case PX_MSG_SNAP_REQ:
        m->u.snap_req.snap_slot = rnd_u64();
        m->u.snap_req.offset = rnd_u64();
        break;
    case PX_MSG_SNAP_CHUNK: rnd_snap_chunk(&m->u.snap_chunk, size); break;
    }
}

/* ---- frame surgery ---------------------------------------------------- */

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* After editing a frame, make its CRC right again so the decoder gets past
 * the CRC check to the field we broke.  len is the whole buffer. */
static void fix_crc(uint8_t *f, size_t len)
{
    static const uint8_t zero[4];
    uint32_t crc = px_crc32c(0, f, 20);
    crc = px_crc32c(crc, zero, 4);
    crc = px_crc32c(crc, f + PX_WIRE_HEADER, len - PX_WIRE_HEADER);
    put32(f + 20, crc);
}

/* A random valid frame of type in frame; CTL_REPLY through its own
 * encoder (msg_a then holds only its type and sender). */
static size_t encode_rnd(int type, int size)
{
    rnd_msg(&msg_a, type, size);
    if (type == PX_MSG_CTL_REPLY) {
        rnd_ctl_reply(size);
        return px_encode_ctl_reply(msg_a.from, CLUSTER, ctl_json, ctl_len, frame, sizeof frame);
    }
    return px_encode(&msg_a, CLUSTER, frame, sizeof frame);
}

/* Decode as a receiver that routes by the type byte would: CTL_REPLY to
 * px_decode_ctl_reply (into ctl_out), everything else to px_decode. */
static int decode(const uint8_t *f, size_t len)
{
    if (len > 5 && f[5] == PX_MSG_CTL_REPLY)
        return px_decode_ctl_reply(f, len, CLUSTER, ctl_out, sizeof ctl_out, &ctl_out_len);
    return px_decode(f, len, CLUSTER, &msg_b);
}

/* Whether what decode took from a frame of type equals what encode_rnd put. */
static int decoded_equal(int type)
{
    if (type != PX_MSG_CTL_REPLY) return px_msg_equal(&msg_a, &msg_b);
    return ctl_out_len == ctl_len && memcmp(ctl_out, ctl_json, ctl_len) == 0 &&
           ctl_out[ctl_len] == 0;
}

/* Encode again what decode took from f into out. */
static size_t reencode(const uint8_t *f, uint8_t *out, size_t cap)
{
    if (f[5] != PX_MSG_CTL_REPLY) return px_encode(&msg_b, CLUSTER, out, cap);
    return px_encode_ctl_reply(get32(f + 12), CLUSTER, ctl_out, ctl_out_len, out, cap);
}

/* ---- tests ------------------------------------------------------------ */

static void test_crc32c_vector(void)
{
    CHECK(px_crc32c(0, "123456789", 9) == 0xE3069283u);
    CHECK(px_crc32c(px_crc32c(0, "1234", 4), "56789", 5) == 0xE3069283u);
    CHECK(px_crc32c(0, "", 0) == 0);
}

/* The byte layout itself, written out by hand, so an encoder and decoder
 * that agree on a wrong (e.g. host-endian) layout still fail. */
static void test_golden_heartbeat(void)
{
    static const uint8_t want[PX_WIRE_HEADER + 24] = {
        0x50, 0x58, 0x43, 0x31, 4, 7, 0, 0,             /* magic, version, type, flags */
        0x07, 0, 0, 0, 3, 0, 0, 0, 24, 0, 0, 0,         /* cluster, from, length */
        0, 0, 0, 0,                                     /* crc, filled below */
        0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, /* ballot.round */
        0x03, 0, 0, 0,                                  /* ballot.node */
        0x03, 0, 0, 0,                                  /* leader */
        0x22, 0x11, 0, 0, 0, 0, 0, 0x80,                /* chosen_upto */
    };
    uint8_t expect[sizeof want];
    memcpy(expect, want, sizeof want);
    fix_crc(expect, sizeof expect);

    memset(&msg_a, 0, sizeof msg_a);
    msg_a.type = PX_MSG_HEARTBEAT;
    msg_a.from = 3;
    msg_a.u.heartbeat.ballot = (px_ballot){0x0102030405060708ull, 3};
    msg_a.u.heartbeat.leader = 3;
    msg_a.u.heartbeat.chosen_upto = 0x8000000000001122ull;
    size_t n = px_encode(&msg_a, CLUSTER, frame, sizeof frame);
    REQUIRE(n == sizeof expect);
    CHECK(memcmp(frame, expect, n) == 0);
}

static void test_golden_value(void)
{
    memset(&msg_a, 0, sizeof msg_a);
    msg_a.type = PX_MSG_ACCEPT;
    msg_a.from = 1;
    msg_a.u.accept.ballot = (px_ballot){1, 1};
    msg_a.u.accept.slot = 5;
    msg_a.u.accept.value.n = 1;
    msg_a.u.accept.value.cmds[0] = (px_cmd){PX_CMD_APPEND, 9, 10, -2};
    size_t n = px_encode(&msg_a, CLUSTER, frame, sizeof frame);
    REQUIRE(n == PX_WIRE_HEADER + 12 + 8 + 2 + 25);
    const uint8_t *p = frame + PX_WIRE_HEADER + 20;
    CHECK(p[0] == 1 && p[1] == 0);           /* n */
    CHECK(p[2] == PX_CMD_APPEND);            /* kind */
    CHECK(p[3] == 9 && p[11] == 10);         /* client, seq low bytes */
    for (int i = 20; i < 27; i++) CHECK(p[i] == 0xFF); /* -2 in two's complement ... */
    CHECK(p[19] == 0xFE);                    /* ... low byte first */
}

static void test_roundtrip_every_type(void)
{
    for (int type = 1; type <= PX_MSG_TYPE_MAX; type++) {
        for (int iter = 0; iter < 300; iter++) {
            int size = iter == 0 ? 1 : iter % 3 == 0 ? 2 : 0;
            size_t n = encode_rnd(type, size);
            REQUIRE(n >= PX_WIRE_HEADER && n <= PX_MAX_FRAME);
            CHECK(get32(frame + 16) == n - PX_WIRE_HEADER);
            memset(&msg_b, 0x5A, sizeof msg_b);
            int rc = decode(frame, n);
            if (rc != 0) fprintf(stderr, "type %d: %s\n", type, px_wire_strerror(rc));
            REQUIRE(rc == 0);
            CHECK(decoded_equal(type));
            /* Re-encoding the decoded message gives the same bytes. */
            CHECK(reencode(frame, frame2, sizeof frame2) == n);
            CHECK(memcmp(frame, frame2, n) == 0);
        }
    }
}

static void test_max_sizes_fit(void)
{
    for (int type = 1; type <= PX_MSG_TYPE_MAX; type++) {
        size_t n = encode_rnd(type, 1);
        CHECK(n > 0 && n <= PX_MAX_FRAME);
    }
    CHECK(encode_rnd(PX_MSG_CTL_REPLY, 1) == PX_WIRE_HEADER + 4 + PX_MAX_CTL_JSON);
    CHECK(encode_rnd(PX_MSG_LIST_CHUNK, 1) == PX_WIRE_HEADER + 20 + 8 * PX_LIST_CHUNK);
    CHECK(encode_rnd(PX_MSG_APPLIED, 1) == PX_WIRE_HEADER + 22 + 34 * PX_MAX_BATCH);
    CHECK(encode_rnd(PX_MSG_VOTE, 1) == PX_WIRE_HEADER + 24 + 2 + 25 * PX_MAX_BATCH);
    CHECK(encode_rnd(PX_MSG_PROMISE, 1) ==
          PX_WIRE_HEADER + 42 + PX_MAX_PROMISE_ENTRIES * (22 + 25 * PX_MAX_BATCH));
    CHECK(encode_rnd(PX_MSG_SNAP_CHUNK, 1) == PX_WIRE_HEADER + 26 + PX_SNAP_CHUNK);
    CHECK(encode_rnd(PX_MSG_REJECT, 0) == PX_WIRE_HEADER + 33);
    CHECK(encode_rnd(PX_MSG_LEARNED, 0) == PX_WIRE_HEADER + 20);
    CHECK(encode_rnd(PX_MSG_TRIM, 0) == PX_WIRE_HEADER + 20);
    CHECK(encode_rnd(PX_MSG_SNAP_REQ, 0) == PX_WIRE_HEADER + 16);
}

static void test_every_truncation_rejected(void)
{
    for (int type = 1; type <= PX_MSG_TYPE_MAX; type++) {
        for (int size = 0; size <= 1; size++) {
            size_t n = encode_rnd(type, size);
            REQUIRE(n > 0);
            for (size_t len = 0; len < n; len++) {
                int rc = decode(frame, len);
                if (rc != -PX_WIRE_SHORT) {
                    fprintf(stderr, "type %d len %zu/%zu: %d\n", type, len, n, rc);
                    CHECK(rc == -PX_WIRE_SHORT);
                    break;
                }
            }
        }
    }
}

/* CRC-32C detects every single-bit error, so every flip must be refused
 * (by a header check or by the CRC), never decoded into another message. */
static void flip_bits(size_t n, size_t stride)
{
    for (size_t bit = 0; bit < n * 8; bit++) {
        size_t byte = bit / 8;
        /* In big frames test every header bit and every stride-th other bit. */
        if (byte >= PX_WIRE_HEADER + 64 && bit % stride != 0) continue;
        frame[byte] ^= (uint8_t)(1u << (bit % 8));
        int rc = decode(frame, n);
        frame[byte] ^= (uint8_t)(1u << (bit % 8));
        if (rc >= 0) {
            fprintf(stderr, "bit %zu of %zu-byte frame accepted\n", bit, n);
            CHECK(rc < 0);
            return;
        }
    }
}

static void test_every_bit_flip_rejected(void)
{
    for (int type = 1; type <= PX_MSG_TYPE_MAX; type++) {
        for (int iter = 0; iter < 4; iter++) {
            size_t n = encode_rnd(type, 0);
            REQUIRE(n > 0);
            flip_bits(n, 1);
        }
        size_t n = encode_rnd(type, 1);
        REQUIRE(n > 0);
        flip_bits(n, n > 4096 ? 13 : 1);
    }
}

static void test_foreign_cluster(void)
{
    size_t n = encode_rnd(PX_MSG_HEARTBEAT, 0);
    CHECK(px_decode(frame, n, CLUSTER + 1, &msg_b) == -PX_WIRE_CLUSTER_BAD);
    CHECK(px_decode(frame, n, CLUSTER, &msg_b) == 0);
}

/* Each header field broken alone (CRC fixed up) gives its own error. */
static void test_header_errors(void)
{
    size_t n = encode_rnd(PX_MSG_PREPARE, 0);
    memcpy(frame2, frame, n);

    frame[0] ^= 1, fix_crc(frame, n);
    CHECK(decode(frame, n) == -PX_WIRE_MAGIC_BAD);
    memcpy(frame, frame2, n);
    frame[4] = 2, fix_crc(frame, n); /* version 2 TRIMs carry no ballot */
    CHECK(decode(frame, n) == -PX_WIRE_VERSION_BAD);
    frame[4] = 3, fix_crc(frame, n); /* version 3 APPLIEDs carry no leader, no VOTE */
    CHECK(decode(frame, n) == -PX_WIRE_VERSION_BAD);
    frame[4] = 5, fix_crc(frame, n);
    CHECK(decode(frame, n) == -PX_WIRE_VERSION_BAD);
    memcpy(frame, frame2, n);
    frame[5] = 0, fix_crc(frame, n);
    CHECK(decode(frame, n) == -PX_WIRE_TYPE_BAD);
    frame[5] = PX_MSG_TYPE_MAX + 1, fix_crc(frame, n);
    CHECK(decode(frame, n) == -PX_WIRE_TYPE_BAD);
    memcpy(frame, frame2, n);
    frame[7] = 0x80, fix_crc(frame, n);
    CHECK(decode(frame, n) == -PX_WIRE_FLAGS_BAD);
    memcpy(frame, frame2, n);
    put32(frame + 12, 0), fix_crc(frame, n);
    CHECK(decode(frame, n) == -PX_WIRE_NODE_BAD);
    put32(frame + 12, PX_MAX_NODES + 1), fix_crc(frame, n);
    CHECK(decode(frame, n) == -PX_WIRE_NODE_BAD);
    memcpy(frame, frame2, n);
    frame[20] ^= 0x10;
    CHECK(decode(frame, n) == -PX_WIRE_CRC_BAD);
    memcpy(frame, frame2, n);
    frame[n - 1] ^= 0x01;
    CHECK(decode(frame, n) == -PX_WIRE_CRC_BAD);
}

static void test_length_errors(void)
{
    size_t n = encode_rnd(PX_MSG_PREPARE, 0);
    memcpy(frame2, frame, n);

    /* A length field beyond PX_MAX_FRAME: refused without looking further. */
    put32(frame + 16, PX_MAX_FRAME - PX_WIRE_HEADER + 1);
    CHECK(decode(frame, n) == -PX_WIRE_TOO_LONG);
    put32(frame + 16, UINT32_MAX);
    CHECK(decode(frame, n) == -PX_WIRE_TOO_LONG);
    /* Bytes after the frame. */
    memcpy(frame, frame2, n);
    frame[n] = 0;
    CHECK(decode(frame, n + 1) == -PX_WIRE_TOO_LONG);
    /* A payload with a trailing byte its layout does not account for. */
    put32(frame + 16, (uint32_t)(n + 1 - PX_WIRE_HEADER));
    fix_crc(frame, n + 1);
    CHECK(decode(frame, n + 1) == -PX_WIRE_FIELD_BAD);
    /* A payload one byte short of its layout. */
    memcpy(frame, frame2, n);
    put32(frame + 16, (uint32_t)(n - 1 - PX_WIRE_HEADER));
    fix_crc(frame, n - 1);
    CHECK(decode(frame, n - 1) == -PX_WIRE_FIELD_BAD);
    /* Every fixed-size type with a payload cut to each shorter length. */
    for (int type = 1; type <= PX_MSG_TYPE_MAX; type++) {
        size_t full = encode_rnd(type, 0);
        for (size_t len = PX_WIRE_HEADER; len < full; len++) {
            put32(frame + 16, (uint32_t)(len - PX_WIRE_HEADER));
            fix_crc(frame, len);
            CHECK(decode(frame, len) == -PX_WIRE_FIELD_BAD);
        }
    }
}

/* Overwrite the little-endian count of size bytes at payload offset off,
 * fix the CRC, and decode. */
static int patch_count(size_t n, size_t off, int size, uint32_t v)
{
    for (int i = 0; i < size; i++) frame[PX_WIRE_HEADER + off + i] = (uint8_t)(v >> (8 * i));
    fix_crc(frame, n);
    return decode(frame, n);
}

static size_t encode_fixed_count(int type, int size)
{
    size_t n;
    do n = encode_rnd(type, size);
    while (type == PX_MSG_ACCEPT && msg_a.u.accept.value.n == 0);
    return n;
}

static void test_count_errors(void)
{
    size_t n = encode_fixed_count(PX_MSG_ACCEPT, 1);
    CHECK(patch_count(n, 20, 2, PX_MAX_BATCH + 1) == -PX_WIRE_FIELD_BAD);
    CHECK(patch_count(n, 20, 2, 0xFFFF) == -PX_WIRE_FIELD_BAD);
    CHECK(patch_count(n, 20, 2, PX_MAX_BATCH - 1) == -PX_WIRE_FIELD_BAD); /* length mismatch */

    n = encode_rnd(PX_MSG_PROMISE, 1);
    CHECK(patch_count(n, 41, 1, PX_MAX_PROMISE_ENTRIES + 1) == -PX_WIRE_FIELD_BAD);
    CHECK(patch_count(n, 41, 1, 255) == -PX_WIRE_FIELD_BAD);
    CHECK(patch_count(n, 40, 1, 2) == -PX_WIRE_FIELD_BAD); /* done must be 0/1 */

    /* A snapshot chunk must lie inside its snapshot: offset + n <= total. */
    n = encode_rnd(PX_MSG_SNAP_CHUNK, 1);
    CHECK(patch_count(n, 24, 2, PX_SNAP_CHUNK + 1) == -PX_WIRE_FIELD_BAD);
    n = encode_rnd(PX_MSG_SNAP_CHUNK, 1);
    for (int i = 0; i < 8; i++) frame[PX_WIRE_HEADER + 8 + i] = 0; /* total = 0 */
    CHECK(patch_count(n, 24, 2, PX_SNAP_CHUNK) == -PX_WIRE_FIELD_BAD);
    n = encode_rnd(PX_MSG_SNAP_CHUNK, 0);
    for (int i = 0; i < 8; i++) frame[PX_WIRE_HEADER + 8 + i] = 0;  /* total = 0 */
    for (int i = 0; i < 8; i++) frame[PX_WIRE_HEADER + 16 + i] = 0; /* offset = 0 */
    CHECK(patch_count(n, 24, 2, msg_a.u.snap_chunk.n) ==
          (msg_a.u.snap_chunk.n ? -PX_WIRE_FIELD_BAD : 0));

    n = encode_rnd(PX_MSG_APPLIED, 1);
    CHECK(patch_count(n, 20, 2, PX_MAX_BATCH + 1) == -PX_WIRE_FIELD_BAD);
    CHECK(patch_count(n, 20, 2, 0) == -PX_WIRE_FIELD_BAD);
    n = encode_rnd(PX_MSG_APPLIED, 1);
    CHECK(patch_count(n, 22 + 25, 1, 4) == -PX_WIRE_FIELD_BAD); /* unknown flag bit */
    n = encode_rnd(PX_MSG_APPLIED, 1);
    CHECK(patch_count(n, 16, 4, PX_MAX_NODES + 1) == -PX_WIRE_FIELD_BAD); /* leader */
    n = encode_rnd(PX_MSG_APPLIED, 1);
    CHECK(patch_count(n, 16, 4, PX_MAX_NODES) == 0);

    /* A VOTE's value count, and its acceptor id (1..PX_MAX_NODES). */
    n = encode_rnd(PX_MSG_VOTE, 1);
    CHECK(patch_count(n, 24, 2, PX_MAX_BATCH + 1) == -PX_WIRE_FIELD_BAD);
    n = encode_rnd(PX_MSG_VOTE, 1);
    CHECK(patch_count(n, 12, 4, 0) == -PX_WIRE_FIELD_BAD);
    n = encode_rnd(PX_MSG_VOTE, 1);
    CHECK(patch_count(n, 12, 4, PX_MAX_NODES + 1) == -PX_WIRE_FIELD_BAD);

    n = encode_rnd(PX_MSG_LIST_CHUNK, 1);
    CHECK(patch_count(n, 16, 4, PX_LIST_CHUNK + 1) == -PX_WIRE_FIELD_BAD);
    CHECK(patch_count(n, 16, 4, UINT32_MAX) == -PX_WIRE_FIELD_BAD);

    n = encode_rnd(PX_MSG_CTL_REPLY, 1);
    CHECK(patch_count(n, 0, 4, PX_MAX_CTL_JSON + 1) == -PX_WIRE_FIELD_BAD);
    CHECK(patch_count(n, 0, 4, UINT32_MAX) == -PX_WIRE_FIELD_BAD);
    CHECK(patch_count(n, 0, 4, PX_MAX_CTL_JSON - 1) == -PX_WIRE_FIELD_BAD);
}

static void test_field_errors(void)
{
    size_t n = encode_fixed_count(PX_MSG_ACCEPT, 1);
    CHECK(patch_count(n, 22, 1, 0) == -PX_WIRE_FIELD_BAD); /* cmd kind */
    CHECK(patch_count(n, 22, 1, 3) == -PX_WIRE_FIELD_BAD);
    CHECK(patch_count(n, 22, 1, PX_CMD_READ) == 0);

    n = encode_rnd(PX_MSG_REQUEST, 0);
    CHECK(patch_count(n, 0, 1, 0) == -PX_WIRE_FIELD_BAD);
    CHECK(patch_count(n, 0, 1, PX_CMD_APPEND) == 0);
    CHECK(patch_count(n, 25, 4, 0) == -PX_WIRE_FIELD_BAD); /* origin */

    n = encode_rnd(PX_MSG_REJECT, 0);
    CHECK(patch_count(n, 16, 1, PX_MSG_ACCEPTED) == -PX_WIRE_FIELD_BAD);
    CHECK(patch_count(n, 16, 1, PX_MSG_PROMISE) == -PX_WIRE_FIELD_BAD);
    CHECK(patch_count(n, 16, 1, PX_MSG_ACCEPT) == 0);
    CHECK(patch_count(n, 16, 1, PX_MSG_PREPARE) == 0);
    CHECK(patch_count(n, 12, 4, PX_MAX_NODES + 1) == -PX_WIRE_FIELD_BAD); /* acceptor */

    n = encode_rnd(PX_MSG_NACK, 0);
    CHECK(patch_count(n, 16, 1, 0) == -PX_WIRE_FIELD_BAD);
    CHECK(patch_count(n, 16, 1, PX_NACK_TOO_MANY_HOPS + 1) == -PX_WIRE_FIELD_BAD);
    CHECK(patch_count(n, 16, 1, PX_NACK_BUSY) == 0);
    CHECK(patch_count(n, 17, 4, PX_MAX_NODES + 1) == -PX_WIRE_FIELD_BAD); /* leader_hint */

    n = encode_rnd(PX_MSG_CHOSEN, 0);
    CHECK(patch_count(n, 20, 4, 1) == -PX_WIRE_FIELD_BAD); /* acks bit 0: no node 0 */
    CHECK(patch_count(n, 20, 4, 1u << 10) == -PX_WIRE_FIELD_BAD);
    CHECK(patch_count(n, 20, 4, 0x3FE) == 0);

    n = encode_rnd(PX_MSG_PREPARE, 0);
    CHECK(patch_count(n, 8, 4, PX_MAX_NODES + 1) == -PX_WIRE_FIELD_BAD); /* ballot node */

    /* A TRIM carries the leader's ballot: never the zero ballot. */
    n = encode_rnd(PX_MSG_TRIM, 0);
    frame[PX_WIRE_HEADER + 8] = 0; /* node 0 with a non-zero round */
    for (int i = 9; i < 12; i++) frame[PX_WIRE_HEADER + i] = 0;
    fix_crc(frame, n);
    CHECK(decode(frame, n) == -PX_WIRE_FIELD_BAD);
}

/* Writes round as the u64 at payload offset off, fixes the CRC, decodes. */
static int patch_round(size_t n, size_t off, uint64_t round)
{
    for (int i = 0; i < 8; i++) frame[PX_WIRE_HEADER + off + i] = (uint8_t)(round >> (8 * i));
    fix_crc(frame, n);
    return decode(frame, n);
}

/* A round above PX_MAX_ROUND is refused with a reason of its own wherever a
 * ballot travels: one such PREPARE, promised durably, once made the next
 * election's round + 1 wrap to 0 and bricked the cluster. */
static void test_round_ceiling(void)
{
    static const struct { int type; size_t off; } at[] = {
        {PX_MSG_PREPARE, 0},  {PX_MSG_PROMISE, 0}, {PX_MSG_ACCEPT, 0},
        {PX_MSG_ACCEPTED, 0}, {PX_MSG_REJECT, 0},  {PX_MSG_CHOSEN, 8},
        {PX_MSG_HEARTBEAT, 0}, {PX_MSG_TRIM, 0},
    };
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
        size_t n;
        /* a non-zero ballot node, so only the round can be wrong */
        do n = encode_rnd(at[i].type, 0);
        while (n == 0 || frame[PX_WIRE_HEADER + at[i].off + 8] == 0);
        CHECK(patch_round(n, at[i].off, PX_MAX_ROUND) == 0);
        CHECK(patch_round(n, at[i].off, PX_MAX_ROUND + 1) == -PX_WIRE_BALLOT_BAD);
        CHECK(patch_round(n, at[i].off, UINT64_MAX) == -PX_WIRE_BALLOT_BAD);
    }
    /* An accepted entry's ballot inside a promise, too. */
    size_t n;
    do n = encode_rnd(PX_MSG_PROMISE, 0);
    while (msg_a.u.promise.n == 0 || msg_a.u.promise.entries[0].vballot.node == 0);
    CHECK(patch_round(n, 42 + 8, UINT64_MAX) == -PX_WIRE_BALLOT_BAD);

    /* The encoder refuses what the decoder would. */
    rnd_msg(&msg_a, PX_MSG_PREPARE, 0);
    msg_a.u.prepare.ballot = (px_ballot){PX_MAX_ROUND + 1, 1};
    CHECK(px_encode(&msg_a, CLUSTER, frame, sizeof frame) == 0);
    CHECK(strcmp(px_wire_strerror(-PX_WIRE_BALLOT_BAD), "ballot round above the ceiling") == 0);
}

static void test_encoder_refuses(void)
{
    rnd_msg(&msg_a, PX_MSG_ACCEPT, 0);
    msg_a.u.accept.value.n = PX_MAX_BATCH + 1;
    CHECK(px_encode(&msg_a, CLUSTER, frame, sizeof frame) == 0);
    rnd_msg(&msg_a, PX_MSG_ACCEPT, 1);
    msg_a.u.accept.value.cmds[3].kind = 0;
    CHECK(px_encode(&msg_a, CLUSTER, frame, sizeof frame) == 0);
    rnd_msg(&msg_a, PX_MSG_HEARTBEAT, 0);
    msg_a.from = 0;
    CHECK(px_encode(&msg_a, CLUSTER, frame, sizeof frame) == 0);
    rnd_msg(&msg_a, PX_MSG_HEARTBEAT, 0);
    msg_a.type = PX_MSG_TYPE_MAX + 1;
    CHECK(px_encode(&msg_a, CLUSTER, frame, sizeof frame) == 0);
    rnd_msg(&msg_a, PX_MSG_LIST_CHUNK, 0);
    msg_a.u.list_chunk.n = PX_LIST_CHUNK + 1;
    CHECK(px_encode(&msg_a, CLUSTER, frame, sizeof frame) == 0);

    /* Every too-small buffer is refused, and nothing is written past it. */
    size_t n = encode_rnd(PX_MSG_APPLIED, 1);
    for (size_t cap = 0; cap < n; cap++) {
        memset(frame2, 0xEE, sizeof frame2);
        CHECK(px_encode(&msg_a, CLUSTER, frame2, cap) == 0);
        CHECK(frame2[cap] == 0xEE);
    }
    CHECK(px_encode(&msg_a, CLUSTER, frame2, n) == n);
}

static void test_equal_ignores_unused(void)
{
    rnd_msg(&msg_a, PX_MSG_CHOSEN, 0);
    msg_a.u.chosen.value.n = 1;
    msg_b = msg_a;
    msg_b.u.chosen.value.cmds[5].value ^= 1;
    CHECK(px_msg_equal(&msg_a, &msg_b));
    msg_b.u.chosen.value.cmds[0].value ^= 1;
    CHECK(!px_msg_equal(&msg_a, &msg_b));
    msg_b = msg_a;
    msg_b.from = msg_a.from % PX_MAX_NODES + 1;
    CHECK(!px_msg_equal(&msg_a, &msg_b));
}

/* Random bytes; then random payloads behind a valid header and CRC, so the
 * payload parser sees garbage too; then mutated valid frames. */
static void test_garbage_never_crashes(void)
{
    int accepted = 0;

    for (int i = 0; i < 3000; i++) {
        size_t len = (size_t)rnd(0, 600);
        for (size_t j = 0; j < len; j++) frame[j] = (uint8_t)rnd(0, 255);
        CHECK(decode(frame, len) < 0);
    }
    for (int i = 0; i < 5000; i++) {
        size_t plen = (size_t)rnd(0, i % 10 == 0 ? 20000 : 400);
        put32(frame, PX_WIRE_MAGIC);
        frame[4] = PX_WIRE_VERSION;
        frame[5] = (uint8_t)rnd(1, PX_MSG_TYPE_MAX);
        frame[6] = frame[7] = 0;
        put32(frame + 8, CLUSTER);
        put32(frame + 12, rnd_node());
        put32(frame + 16, (uint32_t)plen);
        for (size_t j = 0; j < plen; j++) frame[PX_WIRE_HEADER + j] = (uint8_t)rnd(0, 255);
        fix_crc(frame, PX_WIRE_HEADER + plen);
        if (decode(frame, PX_WIRE_HEADER + plen) == 0) accepted++;
    }
    for (int i = 0; i < 5000; i++) {
        size_t n = encode_rnd((int)rnd(1, PX_MSG_TYPE_MAX), 0);
        int edits = (int)rnd(1, 4);
        for (int e = 0; e < edits; e++)
            frame[rnd(PX_WIRE_HEADER, n - 1 > PX_WIRE_HEADER ? n - 1 : PX_WIRE_HEADER)] =
                (uint8_t)rnd(0, 255);
        fix_crc(frame, n);
        if (decode(frame, n) == 0) {
            accepted++;
            /* Whatever decodes must re-encode to the very same bytes. */
            CHECK(reencode(frame, frame2, sizeof frame2) == n);
            CHECK(memcmp(frame, frame2, n) == 0);
        }
    }
    CHECK(accepted > 0); /* the mutation loop did reach the accept path */
}

/* CTL_REPLY has its own codec; the px_msg one refuses it, and it refuses
 * every other type, each after the same header and CRC checks. */
static void test_ctl_reply_separate(void)
{
    size_t n = encode_rnd(PX_MSG_CTL_REPLY, 0);
    REQUIRE(n == PX_WIRE_HEADER + 4 + ctl_len);
    CHECK(px_decode(frame, n, CLUSTER, &msg_b) == -PX_WIRE_TYPE_BAD);
    CHECK(px_decode(frame, n, CLUSTER + 1, &msg_b) == -PX_WIRE_CLUSTER_BAD);
    frame[n - 1] ^= 1;
    CHECK(px_decode(frame, n, CLUSTER, &msg_b) == -PX_WIRE_CRC_BAD);
    memset(&msg_a, 0, sizeof msg_a);
    msg_a.type = PX_MSG_CTL_REPLY;
    msg_a.from = 1;
    CHECK(px_encode(&msg_a, CLUSTER, frame, sizeof frame) == 0);

    for (int type = 1; type <= PX_MSG_TYPE_MAX; type++) {
        if (type == PX_MSG_CTL_REPLY) continue;
        n = encode_rnd(type, 0);
        CHECK(px_decode_ctl_reply(frame, n, CLUSTER, ctl_out, sizeof ctl_out, &ctl_out_len) ==
              -PX_WIRE_TYPE_BAD);
    }
}

/* A reply longer than the caller's buffer is cut and nul-terminated, and
 * its whole length is reported; cap 0 writes nothing. */
static void test_ctl_reply_small_cap(void)
{
    char small[8];
    size_t got = 0;
    size_t n = px_encode_ctl_reply(2, CLUSTER, "{\"a\":12345}", 11, frame, sizeof frame);
    REQUIRE(n == PX_WIRE_HEADER + 4 + 11);
    CHECK(frame[PX_WIRE_HEADER] == 11 && frame[PX_WIRE_HEADER + 4] == '{');
    CHECK(px_decode_ctl_reply(frame, n, CLUSTER, small, sizeof small, &got) == 0);
    CHECK(got == 11 && strcmp(small, "{\"a\":12") == 0);
    memset(small, 0x77, sizeof small);
    CHECK(px_decode_ctl_reply(frame, n, CLUSTER, small, 0, &got) == 0);
    CHECK(got == 11 && small[0] == 0x77);
    CHECK(px_decode_ctl_reply(frame, n, CLUSTER, small, 1, &got) == 0);
    CHECK(small[0] == 0);
    n = px_encode_ctl_reply(2, CLUSTER, "", 0, frame, sizeof frame);
    CHECK(n == PX_WIRE_HEADER + 4);
    CHECK(px_decode_ctl_reply(frame, n, CLUSTER, small, sizeof small, &got) == 0);
    CHECK(got == 0 && small[0] == 0);
}

static void test_ctl_reply_encoder_refuses(void)
{
    rnd_ctl_reply(1);
    CHECK(px_encode_ctl_reply(1, CLUSTER, ctl_json, PX_MAX_CTL_JSON + 1, frame, sizeof frame) ==
          0);
    CHECK(px_encode_ctl_reply(0, CLUSTER, ctl_json, 10, frame, sizeof frame) == 0);
    CHECK(px_encode_ctl_reply(PX_MAX_NODES + 1, CLUSTER, ctl_json, 10, frame, sizeof frame) == 0);

    /* Every too-small buffer is refused, and nothing is written past it. */
    size_t n = px_encode_ctl_reply(3, CLUSTER, ctl_json, 300, frame, sizeof frame);
    REQUIRE(n == PX_WIRE_HEADER + 4 + 300);
    for (size_t cap = 0; cap < n; cap++) {
        memset(frame2, 0xEE, n + 1);
        CHECK(px_encode_ctl_reply(3, CLUSTER, ctl_json, 300, frame2, cap) == 0);
        CHECK(frame2[cap] == 0xEE);
    }
    CHECK(px_encode_ctl_reply(3, CLUSTER, ctl_json, 300, frame2, n) == n);
    CHECK(memcmp(frame, frame2, n) == 0);
}

/* A control request of one `what`, encoded into frame. */
static size_t encode_ctl(int what)
{
    do rnd_msg(&msg_a, PX_MSG_CTL_REQ, 0);
    while (msg_a.u.ctl_req.what != what);
    return px_encode(&msg_a, CLUSTER, frame, sizeof frame);
}

/* The one-byte CTL_REQ of before fault injection still means "your
 * state"; every longer form is taken only at its exact length, and every
 * field is checked. */
static void test_ctl_req_strict(void)
{
    /* the old frame, byte for byte: header + what 0 */
    size_t n = encode_ctl(PX_CTL_STATE);
    CHECK(n == PX_WIRE_HEADER + 1);
    CHECK(decode(frame, n) == 0 && msg_b.u.ctl_req.what == PX_CTL_STATE);
    CHECK(patch_count(n, 0, 1, PX_CTL_WHAT_MAX + 1) == -PX_WIRE_FIELD_BAD);
    CHECK(patch_count(n, 0, 1, 255) == -PX_WIRE_FIELD_BAD);
    /* a state request with a trailing byte */
    n = encode_ctl(PX_CTL_STATE);
    frame[n] = 0;
    put32(frame + 16, 2);
    fix_crc(frame, n + 1);
    CHECK(decode(frame, n + 1) == -PX_WIRE_FIELD_BAD);
    /* a state request cannot pass for a fault command, nor the reverse */
    n = encode_ctl(PX_CTL_STATE);
    CHECK(patch_count(n, 0, 1, PX_CTL_NET_FAULTS) == -PX_WIRE_FIELD_BAD);
    n = encode_ctl(PX_CTL_NET_FAULTS);
    CHECK(n == PX_WIRE_HEADER + 21);
    CHECK(patch_count(n, 0, 1, PX_CTL_STATE) == -PX_WIRE_FIELD_BAD);

    /* net faults: each chance at most 1, their sum at most 1, a delay 1..max */
    n = encode_ctl(PX_CTL_NET_FAULTS);
    CHECK(patch_count(n, 1, 4, PX_PPM + 1) == -PX_WIRE_FIELD_BAD);
    CHECK(patch_count(n, 1, 4, PX_PPM / 4) == 0);
    n = encode_ctl(PX_CTL_NET_FAULTS);
    for (size_t off = 5; off <= 13; off += 4) patch_count(n, off, 4, 0);
    CHECK(patch_count(n, 1, 4, PX_PPM) == 0);          /* always duplicate: fine */
    CHECK(patch_count(n, 13, 4, 1) == -PX_WIRE_FIELD_BAD); /* ... and sometimes drop too */
    n = encode_ctl(PX_CTL_NET_FAULTS);
    CHECK(patch_count(n, 17, 4, 0) == -PX_WIRE_FIELD_BAD);
    CHECK(patch_count(n, 17, 4, PX_FAULT_DELAY_MAX_MS + 1) == -PX_WIRE_FIELD_BAD);
    CHECK(patch_count(n, 17, 4, PX_FAULT_DELAY_MAX_MS) == 0);

    /* a failpoint: action, chance, stall, name */
    n = encode_ctl(PX_CTL_FAILPOINT);
    CHECK(patch_count(n, 1, 1, PX_FP_DROP + 1) == -PX_WIRE_FIELD_BAD);
    n = encode_ctl(PX_CTL_FAILPOINT);
    CHECK(patch_count(n, 2, 4, PX_PPM + 1) == -PX_WIRE_FIELD_BAD);
    n = encode_ctl(PX_CTL_FAILPOINT);
    CHECK(patch_count(n, 1, 1, PX_FP_STALL) == 0 || msg_a.u.ctl_req.u.fp.stall_ms == 0);
    CHECK(patch_count(n, 10, 4, 0) == -PX_WIRE_FIELD_BAD); /* a stall of 0 ms */
    CHECK(patch_count(n, 10, 4, PX_FAULT_STALL_MAX_MS + 1) == -PX_WIRE_FIELD_BAD);
    CHECK(patch_count(n, 10, 4, PX_FAULT_STALL_MAX_MS) == 0);
    CHECK(patch_count(n, 1, 1, PX_FP_CRASH) == -PX_WIRE_FIELD_BAD); /* a crash with a stall */
    CHECK(patch_count(n, 10, 4, 0) == 0);
    CHECK(patch_count(n, 1, 1, PX_FP_DROP) == 0);
    CHECK(patch_count(n, 10, 4, 5) == -PX_WIRE_FIELD_BAD); /* a drop with a stall */
    CHECK(patch_count(n, 10, 4, 0) == 0);
    CHECK(patch_count(n, 15, 1, 'A') == -PX_WIRE_FIELD_BAD);  /* name: [a-z0-9-] only */
    CHECK(patch_count(n, 15, 1, '_') == -PX_WIRE_FIELD_BAD);
    CHECK(patch_count(n, 15, 1, 0) == -PX_WIRE_FIELD_BAD);
    CHECK(patch_count(n, 15, 1, 'x') == 0);
    /* the name's length must be the bytes that follow, 1..max */
    CHECK(patch_count(n, 14, 1, 0) == -PX_WIRE_FIELD_BAD);
    CHECK(patch_count(n, 14, 1, PX_FAILPOINT_NAME_MAX + 1) == -PX_WIRE_FIELD_BAD);
    CHECK(patch_count(n, 14, 1, 255) == -PX_WIRE_FIELD_BAD);
    CHECK(patch_count(n, 14, 1, (uint32_t)(n - PX_WIRE_HEADER - 15)) == 0);
    /* the decoded name is a C string */
    CHECK(decode(frame, n) == 0 && strlen(msg_b.u.ctl_req.u.fp.name) == n - PX_WIRE_HEADER - 15);

    /* the encoder refuses what the decoder would */
    rnd_msg(&msg_a, PX_MSG_CTL_REQ, 0);
    msg_a.u.ctl_req.what = PX_CTL_WHAT_MAX + 1;
    CHECK(px_encode(&msg_a, CLUSTER, frame, sizeof frame) == 0);
    encode_ctl(PX_CTL_FAILPOINT);
    msg_a.u.ctl_req.u.fp.name_len = PX_FAILPOINT_NAME_MAX + 1;
    CHECK(px_encode(&msg_a, CLUSTER, frame, sizeof frame) == 0);
    encode_ctl(PX_CTL_NET_FAULTS);
    msg_a.u.ctl_req.u.net.dup_ppm = PX_PPM;
    msg_a.u.ctl_req.u.net.drop_ppm = 1;
    CHECK(px_encode(&msg_a, CLUSTER, frame, sizeof frame) == 0);
}

static void test_names(void)
{
    for (int type = 1; type <= PX_MSG_TYPE_MAX; type++)
        CHECK(strcmp(px_msg_type_name(type), "UNKNOWN") != 0);
    CHECK(strcmp(px_msg_type_name(0), "UNKNOWN") == 0);
    CHECK(strcmp(px_msg_type_name(99), "UNKNOWN") == 0);
    for (int e = PX_WIRE_SHORT; e <= PX_WIRE_NODE_BAD; e++) {
        CHECK(strcmp(px_wire_strerror(-e), "unknown wire error") != 0);
        CHECK(strcmp(px_wire_strerror(-e), px_wire_strerror(e)) == 0);
    }
    CHECK(strcmp(px_wire_strerror(-99), "unknown wire error") == 0);
}

int main(void)
{
    px_rng_seed(&rng, 0x5eed0001);
    RUN(test_crc32c_vector);
    RUN(test_golden_heartbeat);
    RUN(test_golden_value);
    RUN(test_roundtrip_every_type);
    RUN(test_max_sizes_fit);
    RUN(test_every_truncation_rejected);
    RUN(test_every_bit_flip_rejected);
    RUN(test_foreign_cluster);
    RUN(test_header_errors);
    RUN(test_length_errors);
    RUN(test_count_errors);
    RUN(test_field_errors);
    RUN(test_round_ceiling);
    RUN(test_encoder_refuses);
    RUN(test_equal_ignores_unused);
    RUN(test_garbage_never_crashes);
    RUN(test_ctl_reply_separate);
    RUN(test_ctl_reply_small_cap);
    RUN(test_ctl_reply_encoder_refuses);
    RUN(test_ctl_req_strict);
    RUN(test_names);
    return check_summary();
}
