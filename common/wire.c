/* wire.c -- binary encoding of px_msg frames.
 *
 * Frame = 24-byte header (see wire.h) + payload.  Every integer is
 * little-endian and packed byte by byte, so the encoding does not depend on
 * the host's endianness, alignment or struct padding.
 *
 * Building blocks (sizes in bytes):
 *
 *   ballot   = round u64, node u32                                   12
 *   cmd      = kind u8, client u64, seq u64, value i64               25
 *   value    = n u16, then n x cmd                              2 + 25n
 *
 * Payloads by type:
 *
 *   PREPARE     ballot, from_slot u64                                   20
 *   PROMISE     ballot, acceptor u32, from_slot u64, next_slot u64,
 *               trimmed u64, done u8, n u8,
 *               then n x { slot u64, vballot, value }      42 + sum(22 + 25k_i)
 *   ACCEPT      ballot, slot u64, value                            20 + value
 *   ACCEPTED    ballot, acceptor u32, slot u64                          24
 *   VOTE        ballot, acceptor u32, slot u64, value              24 + value
 *   REJECT      promised ballot, acceptor u32, of_type u8, slot u64,
 *               trimmed u64                                             33
 *   CHOSEN      slot u64, ballot, acks u32, value                  24 + value
 *   HEARTBEAT   ballot, leader u32, chosen_upto u64                     24
 *   REQUEST     cmd, origin u32, hops u8, attempt u16                   32
 *   NACK        client u64, seq u64, reason u8, leader_hint u32,
 *               attempt u16                                             23
 *   CATCHUP     from_slot u64, learner u32                              12
 *   LEARNED     learner u32, applied_upto u64, snapshot_upto u64        20
 *   APPLIED     slot u64, list_len u64, leader u32, n u16,
 *               then n x { cmd, flags u8, result i64 }            22 + 34n
 *   LIST_REQ    from_index u64                                           8
 *   LIST_CHUNK  from_index u64, total_len u64, n u32, then n x i64  20 + 8n
 *   CTL_REQ     what u8, then by what:                                    1
 *                 STATE, FAULTS: nothing                                  1
 *                 NET_FAULTS: dup, delay, reorder, drop (ppm u32 each),
 *                             delay_ms u32                              21
 *                 FAILPOINT: action u8, ppm u32, count u32, stall_ms u32,
 *                            name_len u8, name bytes              15 + len
 *   TRIM        ballot, below u64                                       20
 *   SNAP_REQ    snap_slot u64, offset u64                               16
 *   SNAP_CHUNK  snap_slot u64, total u64, offset u64, n u16,
 *               then n bytes                                       26 + n
 *   CTL_REPLY   len u32, then len bytes of JSON (no terminating nul)  4 + len
 *               (its own codec, px_encode_ctl_reply / px_decode_ctl_reply:
 *               not a px_msg member, so px_encode/px_decode refuse it)
 *
 * The decoder accepts a frame only if, in this order: it has a whole
 * header (SHORT); magic (MAGIC_BAD), version (VERSION_BAD), type in
 * 1..PX_MSG_TYPE_MAX (TYPE_BAD), flags == 0 (FLAGS_BAD), cluster id
 * (CLUSTER_BAD), from in 1..PX_MAX_NODES (NODE_BAD) are right; length <=
 * PX_MAX_FRAME - header (TOO_LONG); the buffer holds exactly header +
 * length bytes (SHORT if fewer, TOO_LONG if more); the CRC matches
 * (CRC_BAD); and the payload parses with exactly length bytes, counts in
 * their limits and every field in range (FIELD_BAD):
 *
 *   - value n <= PX_MAX_BATCH, promise n <= PX_MAX_PROMISE_ENTRIES,
 *     applied n <= PX_MAX_BATCH, list chunk n <= PX_LIST_CHUNK,
 *     snap chunk n <= PX_SNAP_CHUNK and offset + n <= total,
 *     ctl json len <= PX_MAX_CTL_JSON;
 *   - cmd kind is APPEND or READ; applied flags only DUP|STALE bits;
 *   - ballot node <= PX_MAX_NODES, and node 0 only in the zero ballot;
 *     ballot round <= PX_MAX_ROUND (BALLOT_BAD, not FIELD_BAD: a round
 *     near 2^64 would make the next election wrap, so it is named apart);
 *   - acceptor, learner, leader, origin ids in 1..PX_MAX_NODES;
 *     leader_hint and applied leader in 0..PX_MAX_NODES; acks only bits 1..PX_MAX_NODES;
 *   - reject of_type is PREPARE or ACCEPT; promise done is 0 or 1;
 *     nack reason is a known enum px_nack_reason;
 *   - ctl what is a known enum px_ctl_what; net fault chances each and in
 *     sum at most PX_PPM, delay_ms 1..PX_FAULT_DELAY_MAX_MS; a failpoint's
 *     action is known, ppm at most PX_PPM, stall_ms 1..PX_FAULT_STALL_MAX_MS
 *     for a stall and 0 otherwise, its name 1..PX_FAILPOINT_NAME_MAX bytes
 *     of [a-z0-9-].
 *
 * The encoder refuses (returns 0) any message the decoder would refuse, so
 * a bug that builds a bad message shows up at the sender.
 */
#include <string.h>

#include "crc32c.h"
#include "wire.h"

#define BALLOT_SIZE 12
#define CMD_SIZE 25
#define ACKS_VALID_MASK (((1u << (PX_MAX_NODES + 1)) - 1) & ~1u)

/* ---- writing ---------------------------------------------------------- */

/* A bounded output cursor; ok drops to 0 on the first overflow and every
 * later put is a no-op, so callers check once at the end. */
typedef struct writer {
    uint8_t *p;
    size_t cap, pos;
    int ok;
} writer;

static void put_bytes(writer *w, const void *src, size_t n)
{
    if (!w->ok || w->cap - w->pos < n) {
        w->ok = 0;
        return;
    }
    memcpy(w->p + w->pos, src, n);
    w->pos += n;
}

static void put_le(writer *w, uint64_t v, int size)
{
    uint8_t b[8];
    for (int i = 0; i < size; i++) b[i] = (uint8_t)(v >> (8 * i));
    put_bytes(w, b, (size_t)size);
}

static void put_u8(writer *w, uint8_t v) { put_le(w, v, 1); }
static void put_u16(writer *w, uint16_t v) { put_le(w, v, 2); }
static void put_u32(writer *w, uint32_t v) { put_le(w, v, 4); }
static void put_u64(writer *w, uint64_t v) { put_le(w, v, 8); }
/* Two's complement through uint64_t: well defined for every int64_t. */
static void put_i64(writer *w, int64_t v) { put_le(w, (uint64_t)v, 8); }

static void put_ballot(writer *w, px_ballot b)
{
    put_u64(w, b.round);
    put_u32(w, b.node);
}

static void put_cmd(writer *w, const px_cmd *c)
{
    put_u8(w, c->kind);
    put_u64(w, c->client);
    put_u64(w, c->seq);
    put_i64(w, c->value);
}

static void put_value(writer *w, const px_value *v)
{
    put_u16(w, v->n);
    for (int i = 0; i < v->n; i++) put_cmd(w, &v->cmds[i]);
}

/* ---- reading ---------------------------------------------------------- */

/* A bounded input cursor; like writer, ok drops to 0 on the first read past
 * the end and later gets return 0 without touching memory. */
typedef struct reader {
    const uint8_t *p;
    size_t len, pos;
    int ok;
} reader;

static uint64_t get_le(reader *r, int size)
{
    uint64_t v = 0;

    if (!r->ok || r->len - r->pos < (size_t)size) {
        r->ok = 0;
        return 0;
    }
    for (int i = 0; i < size; i++) v |= (uint64_t)r->p[r->pos + i] << (8 * i);
    r->pos += (size_t)size;
    return v;
}

static void get_bytes(reader *r, uint8_t *dst, size_t n)
{
    if (!r->ok || r->len - r->pos < n) {
        r->ok = 0;
        return;
    }
    memcpy(dst, r->p + r->pos, n);
    r->pos += n;
}

static uint8_t get_u8(reader *r) { return (uint8_t)get_le(r, 1); }
static uint16_t get_u16(reader *r) { return (uint16_t)get_le(r, 2); }
static uint32_t get_u32(reader *r) { return (uint32_t)get_le(r, 4); }
static uint64_t get_u64(reader *r) { return get_le(r, 8); }

static int64_t get_i64(reader *r)
{
    uint64_t u = get_le(r, 8);
    int64_t v;
    /* memcpy, not a cast: converting an out-of-range unsigned value to a
     * signed type is implementation-defined. */
    memcpy(&v, &u, sizeof v);
    return v;
}

static px_ballot get_ballot(reader *r)
{
    px_ballot b;
    b.round = get_u64(r);
    b.node = get_u32(r);
    return b;
}

static void get_cmd(reader *r, px_cmd *c)
{
    c->kind = get_u8(r);
    c->client = get_u64(r);
    c->seq = get_u64(r);
    c->value = get_i64(r);
}

/* Counts are checked before the loop so a corrupt count can neither run
 * past the array nor make us spin over a huge number of reads. */
static void get_value(reader *r, px_value *v)
{
    v->n = get_u16(r);
    if (v->n > PX_MAX_BATCH) {
        r->ok = 0;
        v->n = 0;
        return;
    }
    for (int i = 0; i < v->n; i++) get_cmd(r, &v->cmds[i]);
}

/* ---- field validation (shared by encoder and decoder) ------------------ */

static int node_ok(uint32_t id) { return id >= 1 && id <= PX_MAX_NODES; }

static int ballot_ok(px_ballot b)
{
    if (b.node > PX_MAX_NODES) return 0;
    return b.node != 0 || b.round == 0;
}

/* Every ballot in m is at or below the round ceiling.  Checked apart from
 * ballot_ok so a round near 2^64 (which would make the next election's
 * round + 1 wrap to 0) is counted under a reason of its own. */
static int rounds_ok(const px_msg *m)
{
    switch (m->type) {
    case PX_MSG_PREPARE: return m->u.prepare.ballot.round <= PX_MAX_ROUND;
    case PX_MSG_PROMISE:
        if (m->u.promise.ballot.round > PX_MAX_ROUND) return 0;
        for (int i = 0; i < m->u.promise.n && i < PX_MAX_PROMISE_ENTRIES; i++)
            if (m->u.promise.entries[i].vballot.round > PX_MAX_ROUND) return 0;
        return 1;
    case PX_MSG_ACCEPT: return m->u.accept.ballot.round <= PX_MAX_ROUND;
    case PX_MSG_ACCEPTED: return m->u.accepted.ballot.round <= PX_MAX_ROUND;
    case PX_MSG_VOTE: return m->u.vote.ballot.round <= PX_MAX_ROUND;
    case PX_MSG_REJECT: return m->u.reject.promised.round <= PX_MAX_ROUND;
    case PX_MSG_CHOSEN: return m->u.chosen.ballot.round <= PX_MAX_ROUND;
    case PX_MSG_HEARTBEAT: return m->u.heartbeat.ballot.round <= PX_MAX_ROUND;
    case PX_MSG_TRIM: return m->u.trim.ballot.round <= PX_MAX_ROUND;
    default: return 1;
    }
}

static int cmd_ok(const px_cmd *c)
{
    return c->kind == PX_CMD_APPEND || c->kind == PX_CMD_READ;
}

static int value_ok(const px_value *v)
{
    if (v->n > PX_MAX_BATCH) return 0;
    for (int i = 0; i < v->n; i++)
        if (!cmd_ok(&v->cmds[i])) return 0;
    return 1;
}

static int promise_ok(const px_promise *p)
{
    if (!ballot_ok(p->ballot) || !node_ok(p->acceptor)) return 0;
    if (p->done > 1 || p->n > PX_MAX_PROMISE_ENTRIES) return 0;
    for (int i = 0; i < p->n; i++) {
        const px_promise_entry *e = &p->entries[i];
        if (!ballot_ok(e->vballot) || !value_ok(&e->value)) return 0;
    }
    return 1;
}

static int applied_ok(const px_applied *a)
{
    const unsigned known = PX_APPLIED_DUP | PX_APPLIED_STALE;

    if (a->n > PX_MAX_BATCH || a->leader > PX_MAX_NODES) return 0;
    for (int i = 0; i < a->n; i++) {
        const px_applied_entry *e = &a->entries[i];
        if (!cmd_ok(&e->cmd) || (e->flags & ~known)) return 0;
    }
    return 1;
}

static int nack_ok(const px_nack *k)
{
    if (k->reason < PX_NACK_NO_LEADER || k->reason > PX_NACK_TOO_MANY_HOPS) return 0;
    return k->leader_hint <= PX_MAX_NODES;
}

static int snap_chunk_ok(const px_snap_chunk *c)
{
    if (c->n > PX_SNAP_CHUNK || c->offset > c->total) return 0;
    return c->total - c->offset >= c->n;
}

static int net_faults_ok(const px_ctl_net_faults *f)
{
    if (f->dup_ppm > PX_PPM || f->delay_ppm > PX_PPM || f->reorder_ppm > PX_PPM ||
        f->drop_ppm > PX_PPM)
        return 0;
    /* the fates of one frame exclude each other: their chances add up */
    uint64_t sum = (uint64_t)f->dup_ppm + f->delay_ppm + f->reorder_ppm + f->drop_ppm;
    return sum <= PX_PPM && f->delay_ms >= 1 && f->delay_ms <= PX_FAULT_DELAY_MAX_MS;
}

static int failpoint_name_ok(const char *name, size_t len)
{
    if (len < 1 || len > PX_FAILPOINT_NAME_MAX) return 0;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return 0;
    }
    return 1;
}

static int failpoint_ok(const px_ctl_failpoint *f)
{
    if (f->action > PX_FP_DROP || f->ppm > PX_PPM) return 0;
    if (f->action == PX_FP_STALL ? f->stall_ms < 1 || f->stall_ms > PX_FAULT_STALL_MAX_MS
                                 : f->stall_ms != 0)
        return 0;
    return failpoint_name_ok(f->name, f->name_len);
}

static int ctl_req_ok(const px_ctl_req *q)
{
    switch (q->what) {
    case PX_CTL_STATE: case PX_CTL_FAULTS: return 1;
    case PX_CTL_NET_FAULTS: return net_faults_ok(&q->u.net);
    case PX_CTL_FAILPOINT: return failpoint_ok(&q->u.fp);
    default: return 0;
    }
}

/* Whether every field of m's active member is in range. */
static int msg_fields_ok(const px_msg *m)
{
    switch (m->type) {
    case PX_MSG_PREPARE: return ballot_ok(m->u.prepare.ballot);
    case PX_MSG_PROMISE: return promise_ok(&m->u.promise);
    case PX_MSG_ACCEPT: return ballot_ok(m->u.accept.ballot) && value_ok(&m->u.accept.value);
    case PX_MSG_ACCEPTED:
        return ballot_ok(m->u.accepted.ballot) && node_ok(m->u.accepted.acceptor);
    case PX_MSG_VOTE:
        return ballot_ok(m->u.vote.ballot) && node_ok(m->u.vote.acceptor) &&
               value_ok(&m->u.vote.value);
    case PX_MSG_REJECT:
        return ballot_ok(m->u.reject.promised) && node_ok(m->u.reject.acceptor) &&
               (m->u.reject.of_type == PX_MSG_PREPARE || m->u.reject.of_type == PX_MSG_ACCEPT);
    case PX_MSG_CHOSEN:
        return ballot_ok(m->u.chosen.ballot) && !(m->u.chosen.acks & ~ACKS_VALID_MASK) &&
               value_ok(&m->u.chosen.value);
    case PX_MSG_HEARTBEAT:
        return ballot_ok(m->u.heartbeat.ballot) && node_ok(m->u.heartbeat.leader);
    case PX_MSG_REQUEST: return cmd_ok(&m->u.request.cmd) && node_ok(m->u.request.origin);
    case PX_MSG_NACK: return nack_ok(&m->u.nack);
    case PX_MSG_CATCHUP: return node_ok(m->u.catchup.learner);
    case PX_MSG_LEARNED: return node_ok(m->u.learned.learner);
    case PX_MSG_APPLIED: return applied_ok(&m->u.applied);
    case PX_MSG_LIST_REQ: return 1;
    case PX_MSG_LIST_CHUNK: return m->u.list_chunk.n <= PX_LIST_CHUNK;
    case PX_MSG_CTL_REQ: return ctl_req_ok(&m->u.ctl_req);
    case PX_MSG_TRIM: return ballot_ok(m->u.trim.ballot) && !px_ballot_is_zero(m->u.trim.ballot);
    case PX_MSG_SNAP_REQ: return 1;
    case PX_MSG_SNAP_CHUNK: return snap_chunk_ok(&m->u.snap_chunk);
    default: return 0; /* including CTL_REPLY: not a px_msg */
    }
}

/* ---- payload encoding ------------------------------------------------- */

static void encode_promise(writer *w, const px_promise *p)
{
    put_ballot(w, p->ballot);
    put_u32(w, p->acceptor);
    put_u64(w, p->from_slot);
    put_u64(w, p->next_slot);
    put_u64(w, p->trimmed);
    put_u8(w, p->done);
    put_u8(w, p->n);
    for (int i = 0; i < p->n; i++) {
        put_u64(w, p->entries[i].slot);
        put_ballot(w, p->entries[i].vballot);
        put_value(w, &p->entries[i].value);
    }
}

static void encode_applied(writer *w, const px_applied *a)
{
    put_u64(w, a->slot);
    put_u64(w, a->list_len);
    put_u32(w, a->leader);
    put_u16(w, a->n);
    for (int i = 0; i < a->n; i++) {
        put_cmd(w, &a->entries[i].cmd);
        put_u8(w, a->entries[i].flags);
        put_i64(w, a->entries[i].result);
    }
}

static void encode_list_chunk(writer *w, const px_list_chunk *c)
{
    put_u64(w, c->from_index);
    put_u64(w, c->total_len);
    put_u32(w, c->n);
    for (uint32_t i = 0; i < c->n; i++) put_i64(w, c->values[i]);
}

static void encode_ctl_req(writer *w, const px_ctl_req *q)
{
    put_u8(w, q->what);
    if (q->what == PX_CTL_NET_FAULTS) {
        put_u32(w, q->u.net.dup_ppm);
        put_u32(w, q->u.net.delay_ppm);
        put_u32(w, q->u.net.reorder_ppm);
        put_u32(w, q->u.net.drop_ppm);
        put_u32(w, q->u.net.delay_ms);
    } else if (q->what == PX_CTL_FAILPOINT) {
        put_u8(w, q->u.fp.action);
        put_u32(w, q->u.fp.ppm);
        put_u32(w, q->u.fp.count);
        put_u32(w, q->u.fp.stall_ms);
        put_u8(w, q->u.fp.name_len);
        put_bytes(w, q->u.fp.name, q->u.fp.name_len);
    }
}

static void encode_payload(writer *w, const px_msg *m)
{
    switch (m->type) {
    case PX_MSG_PREPARE:
        put_ballot(w, m->u.prepare.ballot);
        put_u64(w, m->u.prepare.from_slot);
        break;
    case PX_MSG_PROMISE: encode_promise(w, &m->u.promise); break;
    case PX_MSG_ACCEPT:
        put_ballot(w, m->u.accept.ballot);
        put_u64(w, m->u.accept.slot);
        put_value(w, &m->u.accept.value);
        break;
    case PX_MSG_ACCEPTED:
        put_ballot(w, m->u.accepted.ballot);
        put_u32(w, m->u.accepted.acceptor);
        put_u64(w, m->u.accepted.slot);
        break;
    case PX_MSG_VOTE:
        put_ballot(w, m->u.vote.ballot);
        put_u32(w, m->u.vote.acceptor);
        put_u64(w, m->u.vote.slot);
        put_value(w, &m->u.vote.value);
        break;
    case PX_MSG_REJECT:
        put_ballot(w, m->u.reject.promised);
        put_u32(w, m->u.reject.acceptor);
        put_u8(w, m->u.reject.of_type);
        put_u64(w, m->u.reject.slot);
        put_u64(w, m->u.reject.trimmed);
        break;
    case PX_MSG_CHOSEN:
        put_u64(w, m->u.chosen.slot);
        put_ballot(w, m->u.chosen.ballot);
        put_u32(w, m->u.chosen.acks);
        put_value(w, &m->u.chosen.value);
        break;
    case PX_MSG_HEARTBEAT:
        put_ballot(w, m->u.heartbeat.ballot);
        put_u32(w, m->u.heartbeat.leader);
        put_u64(w, m->u.heartbeat.chosen_upto);
        break;
    case PX_MSG_REQUEST:
        put_cmd(w, &m->u.request.cmd);
        put_u32(w, m->u.request.origin);
        put_u8(w, m->u.request.hops);
        put_u16(w, m->u.request.attempt);
        break;
    case PX_MSG_NACK:
        put_u64(w, m->u.nack.client);
        put_u64(w, m->u.nack.seq);
        put_u8(w, m->u.nack.reason);
        put_u32(w, m->u.nack.leader_hint);
        put_u16(w, m->u.nack.attempt);
        break;
    case PX_MSG_CATCHUP:
        put_u64(w, m->u.catchup.from_slot);
        put_u32(w, m->u.catchup.learner);
        break;
    case PX_MSG_LEARNED:
        put_u32(w, m->u.learned.learner);
        put_u64(w, m->u.learned.applied_upto);
        put_u64(w, m->u.learned.snapshot_upto);
        break;
    case PX_MSG_APPLIED: encode_applied(w, &m->u.applied); break;
    case PX_MSG_LIST_REQ: put_u64(w, m->u.list_req.from_index); break;
    case PX_MSG_LIST_CHUNK: encode_list_chunk(w, &m->u.list_chunk); break;
    case PX_MSG_CTL_REQ: encode_ctl_req(w, &m->u.ctl_req); break;
    case PX_MSG_TRIM:
        put_ballot(w, m->u.trim.ballot);
        put_u64(w, m->u.trim.below);
        break;
    case PX_MSG_SNAP_REQ:
        put_u64(w, m->u.snap_req.snap_slot);
        put_u64(w, m->u.snap_req.offset);
        break;
    case PX_MSG_SNAP_CHUNK:
        put_u64(w, m->u.snap_chunk.snap_slot);
        put_u64(w, m->u.snap_chunk.total);
        put_u64(w, m->u.snap_chunk.offset);
        put_u16(w, m->u.snap_chunk.n);
        put_bytes(w, m->u.snap_chunk.data, m->u.snap_chunk.n);
        break;
    default: w->ok = 0; break;
    }
}

/* CRC over the header with its crc field taken as zero, then the payload;
 * computed in pieces so the decoder need not copy or modify the frame. */
static uint32_t frame_crc(const uint8_t *frame, size_t payload_len)
{
    static const uint8_t zero[4];
    uint32_t crc = px_crc32c(0, frame, 20);
    crc = px_crc32c(crc, zero, sizeof zero);
    return px_crc32c(crc, frame + PX_WIRE_HEADER, payload_len);
}

/* Write the header in front of the payload_len payload bytes already at
 * buf + PX_WIRE_HEADER; returns the frame length. */
static size_t finish_frame(uint8_t *buf, uint8_t type, uint32_t cluster_id, uint32_t from,
                           size_t payload_len)
{
    writer h = {buf, PX_WIRE_HEADER, 0, 1};
    put_u32(&h, PX_WIRE_MAGIC);
    put_u8(&h, PX_WIRE_VERSION);
    put_u8(&h, type);
    put_u16(&h, 0);
    put_u32(&h, cluster_id);
    put_u32(&h, from);
    put_u32(&h, (uint32_t)payload_len);
    put_u32(&h, frame_crc(buf, payload_len));
    return PX_WIRE_HEADER + payload_len;
}

/* A writer for the payload: never past cap nor PX_MAX_FRAME. */
static writer payload_writer(uint8_t *buf, size_t cap)
{
    writer w = {buf, cap < PX_MAX_FRAME ? cap : PX_MAX_FRAME, PX_WIRE_HEADER, 1};
    return w;
}

size_t px_encode(const px_msg *m, uint32_t cluster_id, uint8_t *buf, size_t cap)
{
    if (cap < PX_WIRE_HEADER || !node_ok(m->from) || !msg_fields_ok(m) || !rounds_ok(m)) return 0;

    /* The payload first, so its length is known when the header is written. */
    writer w = payload_writer(buf, cap);
    encode_payload(&w, m);
    if (!w.ok) return 0;
    return finish_frame(buf, m->type, cluster_id, m->from, w.pos - PX_WIRE_HEADER);
}

size_t px_encode_ctl_reply(uint32_t from, uint32_t cluster_id, const char *json, size_t len,
                           uint8_t *buf, size_t cap)
{
    if (cap < PX_WIRE_HEADER || !node_ok(from) || len > PX_MAX_CTL_JSON) return 0;

    writer w = payload_writer(buf, cap);
    put_u32(&w, (uint32_t)len);
    put_bytes(&w, json, len);
    if (!w.ok) return 0;
    return finish_frame(buf, PX_MSG_CTL_REPLY, cluster_id, from, w.pos - PX_WIRE_HEADER);
}

/* ---- payload decoding ------------------------------------------------- */

static void decode_promise(reader *r, px_promise *p)
{
    p->ballot = get_ballot(r);
    p->acceptor = get_u32(r);
    p->from_slot = get_u64(r);
    p->next_slot = get_u64(r);
    p->trimmed = get_u64(r);
    p->done = get_u8(r);
    p->n = get_u8(r);
    if (p->n > PX_MAX_PROMISE_ENTRIES) {
        r->ok = 0;
        return;
    }
    for (int i = 0; i < p->n; i++) {
        p->entries[i].slot = get_u64(r);
        p->entries[i].vballot = get_ballot(r);
        get_value(r, &p->entries[i].value);
    }
}

static void decode_applied(reader *r, px_applied *a)
{
    a->slot = get_u64(r);
    a->list_len = get_u64(r);
    a->leader = get_u32(r);
    a->n = get_u16(r);
    if (a->n > PX_MAX_BATCH) {
        r->ok = 0;
        return;
    }
    for (int i = 0; i < a->n; i++) {
        get_cmd(r, &a->entries[i].cmd);
        a->entries[i].flags = get_u8(r);
        a->entries[i].result = get_i64(r);
    }
}

static void decode_list_chunk(reader *r, px_list_chunk *c)
{
    c->from_index = get_u64(r);
    c->total_len = get_u64(r);
    c->n = get_u32(r);
    if (c->n > PX_LIST_CHUNK) {
        r->ok = 0;
        return;
    }
    for (uint32_t i = 0; i < c->n; i++) c->values[i] = get_i64(r);
}

static void decode_snap_chunk(reader *r, px_snap_chunk *c)
{
    c->snap_slot = get_u64(r);
    c->total = get_u64(r);
    c->offset = get_u64(r);
    c->n = get_u16(r);
    if (c->n > PX_SNAP_CHUNK) {
        r->ok = 0;
        return;
    }
    get_bytes(r, c->data, c->n);
}

/* The name's length is checked before the copy, like every count. */
static void decode_ctl_req(reader *r, px_ctl_req *q)
{
    q->what = get_u8(r);
    if (q->what == PX_CTL_NET_FAULTS) {
        q->u.net.dup_ppm = get_u32(r);
        q->u.net.delay_ppm = get_u32(r);
        q->u.net.reorder_ppm = get_u32(r);
        q->u.net.drop_ppm = get_u32(r);
        q->u.net.delay_ms = get_u32(r);
    } else if (q->what == PX_CTL_FAILPOINT) {
        px_ctl_failpoint *f = &q->u.fp;
        f->action = get_u8(r);
        f->ppm = get_u32(r);
        f->count = get_u32(r);
        f->stall_ms = get_u32(r);
        f->name_len = get_u8(r);
        if (f->name_len > PX_FAILPOINT_NAME_MAX) {
            r->ok = 0;
            f->name_len = 0;
        }
        get_bytes(r, (uint8_t *)f->name, f->name_len);
        f->name[r->ok ? f->name_len : 0] = 0;
    }
}

static void decode_payload(reader *r, px_msg *m)
{
    switch (m->type) {
    case PX_MSG_PREPARE:
        m->u.prepare.ballot = get_ballot(r);
        m->u.prepare.from_slot = get_u64(r);
        break;
    case PX_MSG_PROMISE: decode_promise(r, &m->u.promise); break;
    case PX_MSG_ACCEPT:
        m->u.accept.ballot = get_ballot(r);
        m->u.accept.slot = get_u64(r);
        get_value(r, &m->u.accept.value);
        break;
    case PX_MSG_ACCEPTED:
        m->u.accepted.ballot = get_ballot(r);
        m->u.accepted.acceptor = get_u32(r);
        m->u.accepted.slot = get_u64(r);
        break;
    case PX_MSG_VOTE:
        m->u.vote.ballot = get_ballot(r);
        m->u.vote.acceptor = get_u32(r);
        m->u.vote.slot = get_u64(r);
        get_value(r, &m->u.vote.value);
        break;
    case PX_MSG_REJECT:
        m->u.reject.promised = get_ballot(r);
        m->u.reject.acceptor = get_u32(r);
        m->u.reject.of_type = get_u8(r);
        m->u.reject.slot = get_u64(r);
        m->u.reject.trimmed = get_u64(r);
        break;
    case PX_MSG_CHOSEN:
        m->u.chosen.slot = get_u64(r);
        m->u.chosen.ballot = get_ballot(r);
        m->u.chosen.acks = get_u32(r);
        get_value(r, &m->u.chosen.value);
        break;
    case PX_MSG_HEARTBEAT:
        m->u.heartbeat.ballot = get_ballot(r);
        m->u.heartbeat.leader = get_u32(r);
        m->u.heartbeat.chosen_upto = get_u64(r);
        break;
    case PX_MSG_REQUEST:
        get_cmd(r, &m->u.request.cmd);
        m->u.request.origin = get_u32(r);
        m->u.request.hops = get_u8(r);
        m->u.request.attempt = get_u16(r);
        break;
    case PX_MSG_NACK:
        m->u.nack.client = get_u64(r);
        m->u.nack.seq = get_u64(r);
        m->u.nack.reason = get_u8(r);
        m->u.nack.leader_hint = get_u32(r);
        m->u.nack.attempt = get_u16(r);
        break;
    case PX_MSG_CATCHUP:
        m->u.catchup.from_slot = get_u64(r);
        m->u.catchup.learner = get_u32(r);
        break;
    case PX_MSG_LEARNED:
        m->u.learned.learner = get_u32(r);
        m->u.learned.applied_upto = get_u64(r);
        m->u.learned.snapshot_upto = get_u64(r);
        break;
    case PX_MSG_APPLIED: decode_applied(r, &m->u.applied); break;
    case PX_MSG_LIST_REQ: m->u.list_req.from_index = get_u64(r); break;
    case PX_MSG_LIST_CHUNK: decode_list_chunk(r, &m->u.list_chunk); break;
    case PX_MSG_CTL_REQ: decode_ctl_req(r, &m->u.ctl_req); break;
    case PX_MSG_TRIM:
        m->u.trim.ballot = get_ballot(r);
        m->u.trim.below = get_u64(r);
        break;
    case PX_MSG_SNAP_REQ:
        m->u.snap_req.snap_slot = get_u64(r);
        m->u.snap_req.offset = get_u64(r);
        break;
    case PX_MSG_SNAP_CHUNK: decode_snap_chunk(r, &m->u.snap_chunk); break;
    default: r->ok = 0; break;
    }
}

/* Header checks, in the order documented at the top of this file.  On
 * success stores the payload length. */
static int check_header(const uint8_t *buf, size_t len, uint32_t cluster_id, size_t *payload_len)
{
    if (len < PX_WIRE_HEADER) return -PX_WIRE_SHORT;

    reader h = {buf, PX_WIRE_HEADER, 0, 1};
    uint32_t magic = get_u32(&h);
    uint8_t version = get_u8(&h);
    uint8_t type = get_u8(&h);
    uint16_t flags = get_u16(&h);
    uint32_t cluster = get_u32(&h);
    uint32_t from = get_u32(&h);
    uint32_t length = get_u32(&h);
    uint32_t crc = get_u32(&h);

    if (magic != PX_WIRE_MAGIC) return -PX_WIRE_MAGIC_BAD;
    if (version != PX_WIRE_VERSION) return -PX_WIRE_VERSION_BAD;
    if (type < 1 || type > PX_MSG_TYPE_MAX) return -PX_WIRE_TYPE_BAD;
    if (flags != 0) return -PX_WIRE_FLAGS_BAD;
    if (cluster != cluster_id) return -PX_WIRE_CLUSTER_BAD;
    if (!node_ok(from)) return -PX_WIRE_NODE_BAD;
    if (length > PX_MAX_FRAME - PX_WIRE_HEADER) return -PX_WIRE_TOO_LONG;
    if (len - PX_WIRE_HEADER < length) return -PX_WIRE_SHORT;
    if (len - PX_WIRE_HEADER > length) return -PX_WIRE_TOO_LONG;
    if (frame_crc(buf, length) != crc) return -PX_WIRE_CRC_BAD;
    *payload_len = length;
    return 0;
}

int px_decode(const uint8_t *buf, size_t len, uint32_t cluster_id, px_msg *out)
{
    size_t payload_len = 0;
    int rc = check_header(buf, len, cluster_id, &payload_len);
    if (rc) return rc;
    /* A sound frame, but one px_msg cannot hold (see wire.h). */
    if (buf[5] == PX_MSG_CTL_REPLY) return -PX_WIRE_TYPE_BAD;

    out->type = buf[5];
    out->from = (uint32_t)buf[12] | (uint32_t)buf[13] << 8 | (uint32_t)buf[14] << 16 |
                (uint32_t)buf[15] << 24;

    reader r = {buf + PX_WIRE_HEADER, payload_len, 0, 1};
    decode_payload(&r, out);
    /* Exactly the bytes the layout implies: no fewer, no trailing ones. */
    if (!r.ok || r.pos != payload_len || !msg_fields_ok(out)) return -PX_WIRE_FIELD_BAD;
    if (!rounds_ok(out)) return -PX_WIRE_BALLOT_BAD;
    return 0;
}

int px_decode_ctl_reply(const uint8_t *buf, size_t len, uint32_t cluster_id, char *json,
                        size_t cap, size_t *json_len)
{
    size_t payload_len = 0;
    int rc = check_header(buf, len, cluster_id, &payload_len);
    if (rc) return rc;
    if (buf[5] != PX_MSG_CTL_REPLY) return -PX_WIRE_TYPE_BAD;

    reader r = {buf + PX_WIRE_HEADER, payload_len, 0, 1};
    uint32_t n = get_u32(&r);
    /* Exactly len bytes of JSON after the count, as px_decode's rule. */
    if (!r.ok || n > PX_MAX_CTL_JSON || r.len - r.pos != n) return -PX_WIRE_FIELD_BAD;

    if (cap > 0) { /* cap 0 is a caller bug: write nothing rather than past it */
        size_t copy = n < cap - 1 ? n : cap - 1;
        memcpy(json, r.p + r.pos, copy);
        json[copy] = 0;
    }
    *json_len = n;
    return 0;
}

/* ---- names ------------------------------------------------------------ */

const char *px_wire_strerror(int err)
{
    if (err < 0) err = -err;
    switch (err) {
    case PX_WIRE_OK: return "ok";
    case PX_WIRE_SHORT: return "frame too short";
    case PX_WIRE_MAGIC_BAD: return "bad magic";
    case PX_WIRE_VERSION_BAD: return "unsupported version";
    case PX_WIRE_TYPE_BAD: return "unknown message type";
    case PX_WIRE_FLAGS_BAD: return "non-zero flags";
    case PX_WIRE_CLUSTER_BAD: return "foreign cluster id";
    case PX_WIRE_TOO_LONG: return "frame too long";
    case PX_WIRE_CRC_BAD: return "crc mismatch";
    case PX_WIRE_FIELD_BAD: return "field out of range or length mismatch";
    case PX_WIRE_NODE_BAD: return "sender id out of range";
    case PX_WIRE_BALLOT_BAD: return "ballot round above the ceiling";
    default: return "unknown wire error";
    }
}

const char *px_msg_type_name(int type)
{
    switch (type) {
    case PX_MSG_PREPARE: return "PREPARE";
    case PX_MSG_PROMISE: return "PROMISE";
    case PX_MSG_ACCEPT: return "ACCEPT";
    case PX_MSG_ACCEPTED: return "ACCEPTED";
    case PX_MSG_REJECT: return "REJECT";
    case PX_MSG_CHOSEN: return "CHOSEN";
    case PX_MSG_HEARTBEAT: return "HEARTBEAT";
    case PX_MSG_REQUEST: return "REQUEST";
    case PX_MSG_NACK: return "NACK";
    case PX_MSG_CATCHUP: return "CATCHUP";
    case PX_MSG_LEARNED: return "LEARNED";
    case PX_MSG_APPLIED: return "APPLIED";
    case PX_MSG_LIST_REQ: return "LIST_REQ";
    case PX_MSG_LIST_CHUNK: return "LIST_CHUNK";
    case PX_MSG_CTL_REQ: return "CTL_REQ";
    case PX_MSG_CTL_REPLY: return "CTL_REPLY";
    case PX_MSG_TRIM: return "TRIM";
    case PX_MSG_SNAP_REQ: return "SNAP_REQ";
    case PX_MSG_SNAP_CHUNK: return "SNAP_CHUNK";
    case PX_MSG_VOTE: return "VOTE";
    default: return "UNKNOWN";
    }
}

unsigned px_msg_commands(const px_msg *m)
{
    switch (m->type) {
    case PX_MSG_REQUEST: return 1;
    case PX_MSG_ACCEPT: return m->u.accept.value.n;
    case PX_MSG_VOTE: return m->u.vote.value.n;
    case PX_MSG_CHOSEN: return m->u.chosen.value.n;
    case PX_MSG_APPLIED: return m->u.applied.n;
    default: return 0;
    }
}

/* ---- equality --------------------------------------------------------- */

static int ballot_eq(px_ballot a, px_ballot b) { return px_ballot_cmp(a, b) == 0; }

static int cmd_eq(const px_cmd *a, const px_cmd *b)
{
    return a->kind == b->kind && a->client == b->client && a->seq == b->seq &&
           a->value == b->value;
}

static int value_eq(const px_value *a, const px_value *b)
{
    if (a->n != b->n || a->n > PX_MAX_BATCH) return 0;
    for (int i = 0; i < a->n; i++)
        if (!cmd_eq(&a->cmds[i], &b->cmds[i])) return 0;
    return 1;
}

static int promise_eq(const px_promise *a, const px_promise *b)
{
    if (!ballot_eq(a->ballot, b->ballot) || a->acceptor != b->acceptor ||
        a->from_slot != b->from_slot || a->next_slot != b->next_slot ||
        a->trimmed != b->trimmed || a->done != b->done ||
        a->n != b->n || a->n > PX_MAX_PROMISE_ENTRIES)
        return 0;
    for (int i = 0; i < a->n; i++) {
        const px_promise_entry *x = &a->entries[i], *y = &b->entries[i];
        if (x->slot != y->slot || !ballot_eq(x->vballot, y->vballot) ||
            !value_eq(&x->value, &y->value))
            return 0;
    }
    return 1;
}

static int applied_eq(const px_applied *a, const px_applied *b)
{
    if (a->slot != b->slot || a->list_len != b->list_len || a->leader != b->leader ||
        a->n != b->n || a->n > PX_MAX_BATCH)
        return 0;
    for (int i = 0; i < a->n; i++) {
        const px_applied_entry *x = &a->entries[i], *y = &b->entries[i];
        if (!cmd_eq(&x->cmd, &y->cmd) || x->flags != y->flags || x->result != y->result)
            return 0;
    }
    return 1;
}

static int list_chunk_eq(const px_list_chunk *a, const px_list_chunk *b)
{
    if (a->from_index != b->from_index || a->total_len != b->total_len || a->n != b->n ||
        a->n > PX_LIST_CHUNK)
        return 0;
    return a->n == 0 || memcmp(a->values, b->values, a->n * sizeof a->values[0]) == 0;
}

static int snap_chunk_eq(const px_snap_chunk *a, const px_snap_chunk *b)
{
    if (a->snap_slot != b->snap_slot || a->total != b->total || a->offset != b->offset ||
        a->n != b->n || a->n > PX_SNAP_CHUNK)
        return 0;
    return a->n == 0 || memcmp(a->data, b->data, a->n) == 0;
}

static int ctl_req_eq(const px_ctl_req *a, const px_ctl_req *b)
{
    if (a->what != b->what) return 0;
    if (a->what == PX_CTL_NET_FAULTS)
        return a->u.net.dup_ppm == b->u.net.dup_ppm && a->u.net.delay_ppm == b->u.net.delay_ppm &&
               a->u.net.reorder_ppm == b->u.net.reorder_ppm &&
               a->u.net.drop_ppm == b->u.net.drop_ppm && a->u.net.delay_ms == b->u.net.delay_ms;
    if (a->what == PX_CTL_FAILPOINT) {
        const px_ctl_failpoint *x = &a->u.fp, *y = &b->u.fp;
        return x->action == y->action && x->ppm == y->ppm && x->count == y->count &&
               x->stall_ms == y->stall_ms && x->name_len == y->name_len &&
               x->name_len <= PX_FAILPOINT_NAME_MAX && memcmp(x->name, y->name, x->name_len) == 0;
    }
    return 1;
}

int px_msg_equal(const px_msg *a, const px_msg *b)
{
    if (a->type != b->type || a->from != b->from) return 0;
    switch (a->type) {
    case PX_MSG_PREPARE:
        return ballot_eq(a->u.prepare.ballot, b->u.prepare.ballot) &&
               a->u.prepare.from_slot == b->u.prepare.from_slot;
    case PX_MSG_PROMISE: return promise_eq(&a->u.promise, &b->u.promise);
    case PX_MSG_ACCEPT:
        return ballot_eq(a->u.accept.ballot, b->u.accept.ballot) &&
               a->u.accept.slot == b->u.accept.slot &&
               value_eq(&a->u.accept.value, &b->u.accept.value);
    case PX_MSG_ACCEPTED:
        return ballot_eq(a->u.accepted.ballot, b->u.accepted.ballot) &&
               a->u.accepted.acceptor == b->u.accepted.acceptor &&
               a->u.accepted.slot == b->u.accepted.slot;
    case PX_MSG_VOTE:
        return ballot_eq(a->u.vote.ballot, b->u.vote.ballot) &&
               a->u.vote.acceptor == b->u.vote.acceptor && a->u.vote.slot == b->u.vote.slot &&
               value_eq(&a->u.vote.value, &b->u.vote.value);
    case PX_MSG_REJECT:
        return ballot_eq(a->u.reject.promised, b->u.reject.promised) &&
               a->u.reject.acceptor == b->u.reject.acceptor &&
               a->u.reject.of_type == b->u.reject.of_type && a->u.reject.slot == b->u.reject.slot &&
               a->u.reject.trimmed == b->u.reject.trimmed;
    case PX_MSG_CHOSEN:
        return a->u.chosen.slot == b->u.chosen.slot &&
               ballot_eq(a->u.chosen.ballot, b->u.chosen.ballot) &&
               a->u.chosen.acks == b->u.chosen.acks &&
               value_eq(&a->u.chosen.value, &b->u.chosen.value);
    case PX_MSG_HEARTBEAT:
        return ballot_eq(a->u.heartbeat.ballot, b->u.heartbeat.ballot) &&
               a->u.heartbeat.leader == b->u.heartbeat.leader &&
               a->u.heartbeat.chosen_upto == b->u.heartbeat.chosen_upto;
    case PX_MSG_REQUEST:
        return cmd_eq(&a->u.request.cmd, &b->u.request.cmd) &&
               a->u.request.origin == b->u.request.origin && a->u.request.hops == b->u.request.hops &&
               a->u.request.attempt == b->u.request.attempt;
    case PX_MSG_NACK:
        return a->u.nack.client == b->u.nack.client && a->u.nack.seq == b->u.nack.seq &&
               a->u.nack.reason == b->u.nack.reason &&
               a->u.nack.leader_hint == b->u.nack.leader_hint && a->u.nack.attempt == b->u.nack.attempt;
    case PX_MSG_CATCHUP:
        return a->u.catchup.from_slot == b->u.catchup.from_slot &&
               a->u.catchup.learner == b->u.catchup.learner;
    case PX_MSG_LEARNED:
        return a->u.learned.learner == b->u.learned.learner &&
               a->u.learned.applied_upto == b->u.learned.applied_upto &&
               a->u.learned.snapshot_upto == b->u.learned.snapshot_upto;
    case PX_MSG_APPLIED: return applied_eq(&a->u.applied, &b->u.applied);
    case PX_MSG_LIST_REQ: return a->u.list_req.from_index == b->u.list_req.from_index;
    case PX_MSG_LIST_CHUNK: return list_chunk_eq(&a->u.list_chunk, &b->u.list_chunk);
    case PX_MSG_CTL_REQ: return ctl_req_eq(&a->u.ctl_req, &b->u.ctl_req);
    case PX_MSG_TRIM:
        return ballot_eq(a->u.trim.ballot, b->u.trim.ballot) && a->u.trim.below == b->u.trim.below;
    case PX_MSG_SNAP_REQ:
        return a->u.snap_req.snap_slot == b->u.snap_req.snap_slot &&
               a->u.snap_req.offset == b->u.snap_req.offset;
    case PX_MSG_SNAP_CHUNK: return snap_chunk_eq(&a->u.snap_chunk, &b->u.snap_chunk);
    default: return 1; /* no payload we know of: type and sender decide */
    }
}
