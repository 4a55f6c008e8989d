/* seedgen.c -- writes the generated seed inputs of the fuzz targets into
 * OUT/<target>/seed-gen-*: frames of every type made by px_encode (and
 * px_encode_ctl_reply); acceptor logs written by acc_store itself (fresh,
 * batches with and without commit markers, TRIM, rewritten; torn, corrupt
 * before a marker or a later batch, a damaged marker or file header, zeros,
 * a hole) and version 1 and 2 logs made by hand; scripts for
 * fuzz_store_records; snapshots made by px_snap_read; configs; POST
 * /append bodies.  Deterministic (a fixed seed), so regenerating changes
 * nothing unless an encoder changed -- except the version 3 logs, whose
 * salt is random per file.
 *
 *   make fuzz-seeds      (build/fuzz/seedgen tests/fuzz/corpus)
 *
 * The seeds taken from a real cluster (seed-real-*) come from
 * tests/fuzz/real-seeds.sh instead. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "acceptor/acceptor.h"
#include "acceptor/store.h"
#include "acceptor/store_format.h"
#include "common/bytes.h"
#include "common/crc32c.h"
#include "common/rng.h"
#include "common/wire.h"
#include "learner/snapshot.h"

#define CLUSTER 1u /* fuzz_wire decodes under this id */

static const char *out_root;
static px_rng rng;
static px_msg msg;
static uint8_t frame[PX_MAX_FRAME];

/* ---- files ---------------------------------------------------------------- */

static void die(const char *what)
{
    fprintf(stderr, "seedgen: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void write_seed(const char *target, const char *name, const void *p, size_t n)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", out_root, target);
    if (mkdir(path, 0755) < 0 && errno != EEXIST) die(path);
    snprintf(path, sizeof path, "%s/%s/seed-gen-%s", out_root, target, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || (n > 0 && fwrite(p, 1, n, f) != n) || fclose(f) != 0) die(path);
}

static uint8_t *read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) die(path);
    uint8_t *buf = NULL;
    size_t cap = 0;
    *n = 0;
    for (;;) {
        if (*n == cap && (buf = realloc(buf, cap = cap ? 2 * cap : 4096)) == NULL) die("realloc");
        size_t got = fread(buf + *n, 1, cap - *n, f);
        if (got == 0) break;
        *n += got;
    }
    fclose(f);
    return buf;
}

/* ---- wire ----------------------------------------------------------------- */

static uint64_t rnd(uint64_t lo, uint64_t hi) { return px_rng_range(&rng, lo, hi); }
static uint32_t rnd_node(void) { return (uint32_t)rnd(1, PX_MAX_NODES); }
static px_ballot rnd_ballot(void) { return (px_ballot){rnd(1, 1000), rnd_node()}; }

static void rnd_cmd(px_cmd *c)
{
    c->kind = (uint8_t)rnd(PX_CMD_APPEND, PX_CMD_READ);
    c->client = px_rng_next(&rng);
    c->seq = rnd(0, 100);
    c->value = (int64_t)rnd(0, 2000) - 1000;
}

static void rnd_value(px_value *v, int n)
{
    v->n = (uint16_t)n;
    for (int i = 0; i < n; i++) rnd_cmd(&v->cmds[i]);
}

/* A message of type with about `size` items in its counted parts. */
static void make_msg(int type, int size)
{
    memset(&msg, 0, sizeof msg);
    msg.type = (uint8_t)type;
    msg.from = rnd_node();
    px_promise *p = &msg.u.promise;
    switch (type) {
    case PX_MSG_PREPARE: msg.u.prepare = (px_prepare){rnd_ballot(), rnd(0, 500)}; break;
    case PX_MSG_PROMISE:
        p->ballot = rnd_ballot();
        p->acceptor = rnd_node();
        p->from_slot = rnd(0, 100);
        p->next_slot = p->from_slot + (uint64_t)size;
        p->trimmed = rnd(0, p->from_slot);
        p->done = size == 0;
        p->n = (uint8_t)(size < PX_MAX_PROMISE_ENTRIES ? size : PX_MAX_PROMISE_ENTRIES);
        for (int i = 0; i < p->n; i++) {
            p->entries[i].slot = p->from_slot + (uint64_t)i;
            p->entries[i].vballot = rnd_ballot();
            rnd_value(&p->entries[i].value, i % 3);
        }
        break;
    case PX_MSG_ACCEPT:
        msg.u.accept.ballot = rnd_ballot();
        msg.u.accept.slot = rnd(0, 500);
        rnd_value(&msg.u.accept.value, size < PX_MAX_BATCH ? size : PX_MAX_BATCH);
        break;
    case PX_MSG_ACCEPTED:
        msg.u.accepted = (px_accepted){rnd_ballot(), rnd_node(), rnd(0, 500)};
        break;
    case PX_MSG_VOTE:
        msg.u.vote.ballot = rnd_ballot();
        msg.u.vote.acceptor = rnd_node();
        msg.u.vote.slot = rnd(0, 500);
        rnd_value(&msg.u.vote.value, size < PX_MAX_BATCH ? size : PX_MAX_BATCH);
        break;
    case PX_MSG_REJECT:
        msg.u.reject = (px_reject){rnd_ballot(), rnd_node(),
                                   size % 2 ? PX_MSG_ACCEPT : PX_MSG_PREPARE, rnd(0, 500),
                                   rnd(0, 100)};
        break;
    case PX_MSG_CHOSEN:
        msg.u.chosen.slot = rnd(0, 500);
        msg.u.chosen.ballot = rnd_ballot();
        msg.u.chosen.acks = 0xe; /* nodes 1, 2, 3 */
        rnd_value(&msg.u.chosen.value, size < PX_MAX_BATCH ? size : PX_MAX_BATCH);
        break;
    case PX_MSG_HEARTBEAT:
        msg.u.heartbeat = (px_heartbeat){rnd_ballot(), rnd_node(), rnd(0, 500)};
        break;
    case PX_MSG_REQUEST:
        rnd_cmd(&msg.u.request.cmd);
        msg.u.request.origin = rnd_node();
        msg.u.request.hops = (uint8_t)rnd(0, 3);
        break;
    case PX_MSG_NACK:
        msg.u.nack = (px_nack){px_rng_next(&rng), rnd(1, 100),
                               (uint8_t)rnd(PX_NACK_NO_LEADER, PX_NACK_TOO_MANY_HOPS),
                               (uint32_t)rnd(0, PX_MAX_NODES), (uint16_t)rnd(1, 3)};
        break;
    case PX_MSG_CATCHUP: msg.u.catchup = (px_catchup){rnd(0, 500), rnd_node()}; break;
    case PX_MSG_LEARNED: msg.u.learned = (px_learned){rnd_node(), rnd(0, 500), rnd(0, 400)}; break;
    case PX_MSG_APPLIED:
        msg.u.applied.slot = rnd(0, 500);
        msg.u.applied.list_len = rnd(0, 1000);
        msg.u.applied.leader = (uint32_t)rnd(0, PX_MAX_NODES);
        msg.u.applied.n = (uint16_t)(size < PX_MAX_BATCH ? size : PX_MAX_BATCH);
        for (int i = 0; i < msg.u.applied.n; i++) {
            rnd_cmd(&msg.u.applied.entries[i].cmd);
            msg.u.applied.entries[i].flags = (uint8_t)(i % 4);
            msg.u.applied.entries[i].result = (int64_t)i;
        }
        break;
    case PX_MSG_LIST_REQ: msg.u.list_req.from_index = rnd(0, 1000); break;
    case PX_MSG_LIST_CHUNK:
        msg.u.list_chunk.from_index = rnd(0, 100);
        msg.u.list_chunk.n = (uint32_t)(size < PX_LIST_CHUNK ? size : PX_LIST_CHUNK);
        msg.u.list_chunk.total_len = msg.u.list_chunk.from_index + msg.u.list_chunk.n;
        for (uint32_t i = 0; i < msg.u.list_chunk.n; i++)
            msg.u.list_chunk.values[i] = (int64_t)i * 7 - 3;
        break;
    case PX_MSG_CTL_REQ: msg.u.ctl_req.what = 0; break;
    case PX_MSG_TRIM: msg.u.trim = (px_trim){rnd_ballot(), rnd(1, 500)}; break;
    case PX_MSG_SNAP_REQ: msg.u.snap_req = (px_snap_req){rnd(0, 500), rnd(0, 100)}; break;
    case PX_MSG_SNAP_CHUNK:
        msg.u.snap_chunk.snap_slot = rnd(1, 500);
        msg.u.snap_chunk.n = (uint16_t)(size < PX_SNAP_CHUNK ? size : PX_SNAP_CHUNK);
        msg.u.snap_chunk.offset = rnd(0, 100);
        msg.u.snap_chunk.total = msg.u.snap_chunk.offset + msg.u.snap_chunk.n + rnd(0, 50);
        for (int i = 0; i < msg.u.snap_chunk.n; i++) msg.u.snap_chunk.data[i] = (uint8_t)i;
        break;
    }
}

static void wire_seeds(void)
{
    static const int sizes[] = {0, 1, 3};
    char name[64];
    for (int type = 1; type <= PX_MSG_TYPE_MAX; type++) {
        if (type == PX_MSG_CTL_REPLY) continue;
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            make_msg(type, sizes[s]);
            size_t n = px_encode(&msg, CLUSTER, frame, sizeof frame);
            if (n == 0) {
                fprintf(stderr, "seedgen: px_encode refused a %s\n", px_msg_type_name(type));
                exit(1);
            }
            snprintf(name, sizeof name, "%s-%d", px_msg_type_name(type), sizes[s]);
            write_seed("wire", name, frame, n);
        }
    }
    /* The largest of each counted type, to reach the limits. */
    static const int big[] = {PX_MSG_PROMISE, PX_MSG_ACCEPT, PX_MSG_APPLIED, PX_MSG_LIST_CHUNK,
                              PX_MSG_SNAP_CHUNK};
    for (size_t i = 0; i < sizeof big / sizeof big[0]; i++) {
        make_msg(big[i], 1 << 20);
        size_t n = px_encode(&msg, CLUSTER, frame, sizeof frame);
        snprintf(name, sizeof name, "%s-max", px_msg_type_name(big[i]));
        if (n) write_seed("wire", name, frame, n);
    }
    static const char *const ctl[] = {
        "", "{}", "{\"role\":\"acceptor\",\"promised\":[3,1],\"trimmed\":0,\"accepted\":12}",
        "{\"role\":\"learner\",\"applied_upto\":42,\"list_len\":40,\"dedup\":3}"};
    for (size_t i = 0; i < sizeof ctl / sizeof ctl[0]; i++) {
        size_t n = px_encode_ctl_reply((uint32_t)(i % PX_MAX_NODES) + 1, CLUSTER, ctl[i],
                                       strlen(ctl[i]), frame, sizeof frame);
        snprintf(name, sizeof name, "CTL_REPLY-%zu", i);
        write_seed("wire", name, frame, n);
    }
}

/* ---- acceptor logs -------------------------------------------------------- */

/* Logs written by acc_store (version 3), whole and damaged in each way
 * recovery judges: torn tails, damage before a commit marker or a later
 * batch (refused), a damaged marker, zeros, a hole, a damaged file header;
 * and version 1 and 2 logs made by hand, for the conversion. */

static char store_dir[PATH_MAX], log_path[PATH_MAX + 32];
static uint64_t rec_off[512]; /* where each record appended since store_fresh starts */
static size_t n_rec;

static void store_die(const char *err)
{
    fprintf(stderr, "seedgen: %s\n", err);
    exit(1);
}

static void restore(void *arg, const acc_record *r)
{
    acceptor_restore(arg, r);
}

static struct acc_store *store_fresh(struct acceptor **a, int fsync_on)
{
    char err[512];
    unlink(log_path);
    *a = acceptor_new(1);
    n_rec = 0;
    struct acc_store *s = acc_store_open(store_dir, fsync_on, restore, *a, NULL, err, sizeof err);
    if (s == NULL) store_die(err);
    return s;
}

/* Appends one record to the batch being collected. */
static void append(struct acc_store *s, struct acceptor *a, int type, uint64_t round,
                   uint64_t slot, int cmds)
{
    char err[512];
    acc_record r;
    memset(&r, 0, sizeof r);
    r.type = (uint8_t)type;
    r.ballot = (px_ballot){round, 2};
    r.slot = slot;
    if (type == ACC_REC_ACCEPT) rnd_value(&r.value, cmds);
    rec_off[n_rec++] = acc_store_size(s);
    if (acc_store_append(s, &r, 1, err, sizeof err) < 0) store_die(err);
    acceptor_restore(a, &r);
}

static void sync_batch(struct acc_store *s)
{
    char err[512];
    if (acc_store_sync(s, err, sizeof err) < 0) store_die(err);
}

/* PROMISE, then ACCEPTs of slots from.. with 0..3 commands, batches of
 * `per` records. */
static void append_batches(struct acc_store *s, struct acceptor *a, uint64_t round,
                           uint64_t from, int records, int per)
{
    append(s, a, ACC_REC_PROMISE, round, 0, 0);
    for (int i = 1; i < records; i++) {
        append(s, a, ACC_REC_ACCEPT, round, from + (uint64_t)i, i % 4);
        if ((i + 1) % per == 0) sync_batch(s);
    }
    sync_batch(s);
}

/* Saves the log as store/seed-gen-NAME: cut bytes cut off the end, the
 * byte at flip_at XORed with mask (mask 0: none), zeros bytes of zeros
 * after. */
static void save_damaged(const char *name, size_t cut, size_t flip_at, uint8_t mask,
                         size_t zeros)
{
    size_t n;
    uint8_t *b = read_file(log_path, &n);
    size_t keep = n > cut ? n - cut : 0;
    if ((b = realloc(b, keep + zeros + 1)) == NULL) die("realloc");
    if (mask && flip_at < keep) b[flip_at] ^= mask;
    memset(b + keep, 0, zeros);
    write_seed("store", name, b, keep + zeros);
    free(b);
}

static void save_log(const char *name, size_t cut, size_t flip_at)
{
    save_damaged(name, cut, flip_at, flip_at ? 0x40 : 0, 0);
}

/* The log without bytes [a, b). */
static void save_holed(const char *name, size_t a, size_t b)
{
    size_t n;
    uint8_t *buf = read_file(log_path, &n);
    memmove(buf + a, buf + b, n - b);
    write_seed("store", name, buf, n - (b - a));
    free(buf);
}

static void export_source(void *src, acc_record_fn put, void *put_arg)
{
    acceptor_export(src, put, put_arg);
}

static void store_close(struct acc_store *s, struct acceptor *a)
{
    acc_store_close(s);
    acceptor_free(a);
}

/* The log with its bytes [at, at + n) written twice. */
static void save_doubled(const char *name, size_t at, size_t n)
{
    size_t len;
    uint8_t *buf = read_file(log_path, &len);
    if ((buf = realloc(buf, len + n)) == NULL) die("realloc");
    memmove(buf + at + n, buf + at, len - at);
    write_seed("store", name, buf, len + n);
    free(buf);
}

/* Batches with commit markers (fsync on) and without. */
static void store_batch_seeds(void)
{
    struct acceptor *a;
    struct acc_store *s = store_fresh(&a, 1);
    save_log("empty", 0, 0);
    save_log("torn-header", 4, 0);
    append_batches(s, a, 1, 0, 5, 1);
    save_log("accepts", 0, 0);
    save_log("torn-marker", 7, 0);                       /* inside the last marker */
    save_damaged("zeros-tail", 0, 0, 0, 512);           /* blocks never written */
    save_log("header-salt-flipped", 0, 11);              /* refused: checksum */
    save_damaged("version-flipped", 0, 4, 0x01, 0);      /* version 2: refused */
    save_log("marker-flipped", 0, (size_t)acc_store_size(s) - 3); /* the last marker: cut */
    store_close(s, a);

    /* Three batches of four; damage in the last one. */
    s = store_fresh(&a, 1);
    append_batches(s, a, 3, 10, 12, 4);
    save_log("batches", 0, 0);
    save_log("corrupt-before-marker", 0, (size_t)rec_off[9] + 40);      /* refused */
    save_log("corrupt-first-batch", 0, (size_t)rec_off[2] + 1);         /* refused */
    save_log("torn-last-batch", ALOG_MARKER + 3, 0);  /* cut inside its last record */
    /* The last marker lost (power cut before it reached the disk), then a
     * damaged record in the middle of the batch: cut from it. */
    save_damaged("torn-middle-of-last-batch", ALOG_MARKER, (size_t)rec_off[9] + 5, 0x08, 0);
    /* Batch 2 lost from the middle: batch 3 stands where batch 2 belongs. */
    save_holed("hole-batch-lost", (size_t)rec_off[4], (size_t)rec_off[8]);
    /* Batch 1's marker twice: the second stands where a record belongs. */
    save_doubled("marker-twice", (size_t)rec_off[4] - ALOG_MARKER, ALOG_MARKER);
    store_close(s, a);

    /* fsync off: no markers, a later batch is the only proof. */
    s = store_fresh(&a, 0);
    append_batches(s, a, 2, 0, 9, 3);
    save_log("no-markers", 0, 0);
    save_log("no-markers-corrupt-middle", 0, (size_t)rec_off[4] + 2);   /* refused */
    save_log("no-markers-first-of-last-torn", 0, (size_t)rec_off[6] + 1);
    store_close(s, a);

    /* A long torn batch: the warning lists what fits and counts the rest. */
    s = store_fresh(&a, 1);
    append(s, a, ACC_REC_PROMISE, 7, 0, 0);
    sync_batch(s);
    for (uint64_t slot = 1; slot < 120; slot++) append(s, a, ACC_REC_ACCEPT, 7, slot, 0);
    sync_batch(s);
    save_damaged("long-torn-batch", ALOG_MARKER, (size_t)rec_off[2] + 3, 0x01, 0);
    store_close(s, a);
}

/* The log (a record of one command, then a marker) with the byte at `at`
 * of the record (or of the marker) set to v, its checksums redone:
 * store_format.h -- the header's seeded from the salt, the commands' from
 * the header's. */
static void reseal_seed(const char *name, size_t at, uint8_t v, int marker)
{
    size_t len;
    uint8_t *t = read_file(log_path, &len);
    uint8_t *r = t + ALOG_FILE_HDR;
    size_t rec = ALOG_REC_HDR + 4 + ALOG_CMD;
    uint32_t seed = alog_seed(px_get64(t + 8));
    if (marker) {
        r[rec + at] = v;
        px_put32(r + rec, px_crc32c(seed, r + rec + 4, ALOG_MARKER - 4));
    } else {
        r[at] = v;
        px_put32(r, px_crc32c(seed, r + 4, ALOG_REC_HDR - 4));
        px_put32(r + ALOG_REC_HDR, px_crc32c(px_get32(r), r + ALOG_REC_HDR + 4, ALOG_CMD));
    }
    write_seed("store", name, t, len);
    free(t);
}

/* TRIM, a rewrite, and records the encoder never writes. */
static void store_trim_seeds(void)
{
    struct acceptor *a;
    char err[512];
    struct acc_store *s = store_fresh(&a, 1);
    append_batches(s, a, 1, 0, 5, 2);
    append(s, a, ACC_REC_PROMISE, 5, 0, 0);
    append(s, a, ACC_REC_TRIM, 5, 2, 0);
    append(s, a, ACC_REC_ACCEPT, 5, 4, 2);
    append(s, a, ACC_REC_ACCEPT, 5, 1, 1); /* below the mark: stores nothing */
    sync_batch(s);
    save_log("trim", 0, 0);
    if (acc_store_rewrite(s, export_source, a, err, sizeof err) < 0) store_die(err);
    save_log("rewritten", 0, 0);
    store_close(s, a);

    /* Records the encoder never writes, both checksums right, which no
     * mutation or script can make: a TRIM carrying a command, a record
     * with an unknown flag, a malformed commit marker.  Written as an
     * ACCEPT of one command and its marker, then changed and resealed. */
    s = store_fresh(&a, 1);
    append(s, a, ACC_REC_ACCEPT, 3, 7, 1);
    sync_batch(s);
    store_close(s, a);
    reseal_seed("trim-with-command", 4, ACC_REC_TRIM, 0);
    reseal_seed("flags-unknown", 5, 0x03, 0); /* END and an unknown one */
    reseal_seed("marker-malformed", 5, 0x01, 1);
}

/* A version 1 or 2 record, as those versions wrote it (store_format.h). */
static size_t put_old(const acc_record *r, uint8_t *p)
{
    uint16_t n = r->type == ACC_REC_ACCEPT ? r->value.n : 0;
    uint8_t *q = p + 12;
    q[0] = r->type;
    px_put64(q + 1, r->ballot.round);
    px_put32(q + 9, r->ballot.node);
    px_put64(q + 13, r->type == ACC_REC_PROMISE ? 0 : r->slot);
    px_put16(q + 21, n);
    for (uint16_t i = 0; i < n; i++) {
        uint8_t *c = q + 23 + ALOG_CMD * i;
        c[0] = r->value.cmds[i].kind;
        px_put64(c + 1, r->value.cmds[i].client);
        px_put64(c + 9, r->value.cmds[i].seq);
        px_put64(c + 17, (uint64_t)r->value.cmds[i].value);
    }
    uint32_t len = 23 + (uint32_t)ALOG_CMD * n;
    px_put32(p, 0x52415850u); /* "PXAR" */
    px_put32(p + 4, len);
    px_put32(p + 8, px_crc32c(px_crc32c(0, p + 4, 4), q, len));
    return 12 + len;
}

/* Version 1 and 2 logs, kept on purpose: they reach the conversion. */
static void store_old_seeds(void)
{
    static uint8_t b[8 + 8 * ALOG_MAX_REC_OLD];
    for (unsigned v = 1; v <= 2; v++) {
        size_t n = 8, offs[8];
        int k = 0;
        px_put32(b, ALOG_MAGIC);
        px_put32(b + 4, v);
        for (int i = 0; i < 6; i++) {
            acc_record r;
            memset(&r, 0, sizeof r);
            r.type = i == 0 ? ACC_REC_PROMISE : i == 3 && v == 2 ? ACC_REC_TRIM : ACC_REC_ACCEPT;
            r.ballot = (px_ballot){3, 2};
            r.slot = (uint64_t)i + 4;
            if (r.type == ACC_REC_ACCEPT) rnd_value(&r.value, i % 3);
            offs[k++] = n;
            n += put_old(&r, b + n);
        }
        char name[32];
        snprintf(name, sizeof name, "v%u", v);
        write_seed("store", name, b, n);
        if (v == 1) continue;
        write_seed("store", "v2-torn-tail", b, n - 5);
        /* A record of an unknown type, its checksum right. */
        uint8_t *u = b + offs[5];
        u[12] = 9;
        px_put32(u + 8, px_crc32c(px_crc32c(0, u + 4, 4), u + 12, px_get32(u + 4)));
        write_seed("store", "v2-unknown-type", b, n);
        b[offs[2] + 20] ^= 0x40; /* a valid record after it: refused */
        write_seed("store", "v2-corrupt-middle", b, n);
    }
}

static void store_seeds(void)
{
    snprintf(store_dir, sizeof store_dir, "/tmp/px-seedgen.XXXXXX");
    if (mkdtemp(store_dir) == NULL) die("mkdtemp");
    snprintf(log_path, sizeof log_path, "%s/acceptor.log", store_dir);
    store_batch_seeds();
    store_trim_seeds();
    store_old_seeds();
    unlink(log_path);
    rmdir(store_dir);
}

/* ---- scripts for fuzz_store_records (the layout is in its header comment) -- */

typedef struct sbuf {
    uint8_t b[4096];
    size_t n;
    /* The layout the script makes: file size, records of the open batch,
     * and where the last few records start. */
    int fsync_on;
    uint64_t size, pend, last_off[4];
} sbuf;

static void s_put(sbuf *s, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++) s->b[s->n++] = (uint8_t)(v >> (8 * i));
}

static void s_header(sbuf *s, int fsync_on, unsigned cut, unsigned flip, unsigned mask,
                     unsigned zeros, unsigned hole, unsigned hole_len)
{
    s->n = 0;
    s->fsync_on = fsync_on;
    s->size = ALOG_FILE_HDR;
    s->pend = 0;
    s_put(s, (unsigned)fsync_on, 1);
    s_put(s, cut, 2);
    s_put(s, flip, 2);
    s_put(s, mask, 1);
    s_put(s, zeros, 1);
    s_put(s, hole, 2);
    s_put(s, hole_len, 2);
}

static void s_record(sbuf *s, uint64_t size)
{
    memmove(s->last_off + 1, s->last_off, 3 * sizeof s->last_off[0]);
    s->last_off[0] = s->size + s->pend;
    s->pend += size;
}

static void s_promise(sbuf *s, unsigned round, unsigned node)
{
    s_put(s, 0, 1);
    s_put(s, round, 2);
    s_put(s, node, 1);
    s_record(s, ALOG_REC_HDR);
}

static void s_accept(sbuf *s, unsigned round, unsigned node, unsigned slot, unsigned n)
{
    s_put(s, 1, 1);
    s_put(s, round, 2);
    s_put(s, node, 1);
    s_put(s, slot, 1);
    s_put(s, n, 1);
    for (unsigned i = 0; i < n; i++) {
        s_put(s, 1 + i % 2, 1); /* kind */
        s_put(s, 7 + i, 1);     /* client */
        s_put(s, 1 + i, 1);     /* seq */
        s_put(s, 1000 * i + slot, 2);
    }
    s_record(s, ALOG_REC_HDR + (n ? 4 + (uint64_t)ALOG_CMD * n : 0));
}

static void s_trim(sbuf *s, unsigned round, unsigned node, unsigned slot)
{
    s_put(s, 2, 1);
    s_put(s, round, 2);
    s_put(s, node, 1);
    s_put(s, slot, 1);
    s_record(s, ALOG_REC_HDR);
}

static void s_sync(sbuf *s)
{
    s_put(s, 4, 1);
    if (s->pend == 0) return;
    s->size += s->pend + (s->fsync_on ? ALOG_MARKER : 0);
    s->pend = 0;
}

/* Three batches: PROMISE and two ACCEPTs; a TRIM, an ACCEPT below and one
 * above the mark; a higher PROMISE and two ACCEPTs of several commands. */
static void s_body(sbuf *s)
{
    s_promise(s, 3, 2);
    s_accept(s, 3, 2, 0, 0);
    s_accept(s, 3, 2, 1, 1);
    s_sync(s);
    s_trim(s, 3, 2, 1);
    s_accept(s, 3, 2, 0, 2);
    s_accept(s, 3, 2, 2, 3);
    s_sync(s);
    s_promise(s, 4, 1);
    s_accept(s, 4, 1, 3, 2);
    s_accept(s, 4, 1, 4, 5);
}

static void records_seed(const char *name, sbuf *s)
{
    write_seed("store_records", name, s->b, s->n);
}

static void records_seeds(void)
{
    static sbuf s;
    uint64_t mid;
    s_header(&s, 1, 0, 0, 0, 0, 0, 0);
    s_body(&s);
    s_sync(&s);
    s_put(&s, 6, 1); /* REOPEN */
    s_accept(&s, 5, 1, 5, 1);
    s_put(&s, 4, 1); /* SYNC */
    s_put(&s, 7, 1); /* REWRITE */
    s_accept(&s, 5, 1, 6, 1);
    s_put(&s, 4, 1);
    s_put(&s, 1, 1); /* an ACCEPT never synced: dropped at close */
    s_put(&s, 0, 5);
    records_seed("clean", &s);

    /* The last batch damaged: its marker present (refused) or missing. */
    s_header(&s, 1, 0, 0, 0, 0, 0, 0);
    s_body(&s);
    mid = s.last_off[1]; /* an ACCEPT of two commands */
    s_sync(&s);
    s_header(&s, 1, 0, (unsigned)mid + 10, 0x10, 0, 0, 0); /* its header */
    s_body(&s);
    s_sync(&s);
    records_seed("corrupt-before-marker", &s);
    s_header(&s, 1, ALOG_MARKER, (unsigned)mid + 40, 0x10, 0, 0, 0); /* a command */
    s_body(&s);
    s_sync(&s);
    records_seed("torn-middle-of-last-batch", &s);
    s_header(&s, 1, ALOG_MARKER + 5, 0, 0, 0, 0, 0);
    s_body(&s);
    s_sync(&s);
    records_seed("torn-last-record", &s);
    s_header(&s, 1, 0, (unsigned)(s.size - 2), 0x01, 0, 0, 0);
    s_body(&s);
    s_sync(&s);
    records_seed("marker-flipped", &s);

    /* fsync off: a record of a later batch proves the damage durable. */
    s_header(&s, 0, 0, ALOG_FILE_HDR + 2 * ALOG_REC_HDR + 5, 0x80, 0, 0, 0);
    s_body(&s);
    s_sync(&s);
    records_seed("no-markers-corrupt-first-batch", &s);

    /* The file header: the salt (checksum fails) and the version field
     * made 2 (found by this target: read as an old log, everything was
     * cut). */
    s_header(&s, 1, 0, 9, 0x04, 0, 0, 0);
    s_body(&s);
    s_sync(&s);
    records_seed("header-salt-flipped", &s);
    s_header(&s, 1, 0, 4, 0x01, 0, 0, 0);
    s_body(&s);
    s_sync(&s);
    records_seed("version-flipped", &s);

    /* Zeros after the end; a hole taking the second batch. */
    s_header(&s, 1, 0, 0, 0, 64, 0, 0);
    s_body(&s);
    s_sync(&s);
    records_seed("zeros-tail", &s);
    s_header(&s, 1, 0, 0, 0, 0, 0, 0);
    s_promise(&s, 3, 2);
    s_sync(&s);
    uint64_t b2 = s.size;
    s_accept(&s, 3, 2, 1, 1);
    s_sync(&s);
    uint64_t b3 = s.size;
    s_header(&s, 1, 0, 0, 0, 0, (unsigned)(b2 - ALOG_FILE_HDR), (unsigned)(b3 - b2));
    s_promise(&s, 3, 2);
    s_sync(&s);
    s_accept(&s, 3, 2, 1, 1);
    s_sync(&s);
    s_accept(&s, 3, 2, 2, 1);
    s_sync(&s);
    records_seed("hole-batch-lost", &s);

    /* A record of a type the store does not know, in the last batch, no
     * marker after it (fsync off): cut there. */
    s_header(&s, 0, 0, 0, 0, 0, 0, 0);
    s_body(&s);
    s_sync(&s);
    s_put(&s, 3 + 8 * 5, 1); /* type 5: round, node, slot */
    s_put(&s, 0, 4);
    s_accept(&s, 4, 1, 9, 0);
    s_sync(&s);
    s_put(&s, 6, 1); /* REOPEN: cut at the unknown record */
    records_seed("unknown-type", &s);

    /* A long torn batch: more dropped records than the warning lists. */
    s_header(&s, 1, ALOG_MARKER, ALOG_FILE_HDR + ALOG_REC_HDR + ALOG_MARKER + 3, 0x01, 0, 0,
             0);
    s_promise(&s, 60000, 200);
    s_sync(&s);
    for (unsigned slot = 0; slot < 120; slot++) s_accept(&s, 60000, 200, slot, 0);
    s_sync(&s);
    records_seed("long-torn-batch", &s);
}

/* ---- snapshots ------------------------------------------------------------ */

static void snapshot_seed(const char *name, uint64_t slot, uint64_t list_len, uint64_t dedup_n)
{
    int64_t *list = calloc(list_len + 1, sizeof *list);
    dedup_entry *dd = calloc(dedup_n + 1, sizeof *dd);
    for (uint64_t i = 0; i < list_len; i++) list[i] = (int64_t)(i * i) - 5;
    if (list_len > 1) list[1] = INT64_MIN;
    for (uint64_t i = 0; i < dedup_n; i++)
        dd[i] = (dedup_entry){.client = 100 * (i + 1), .seq = i + 1, .slot = i % slot,
                              .result = (int64_t)(i % (list_len ? list_len : 1))};
    px_snap_src src = {.slot = slot, .list = list, .list_len = list_len, .dedup = dd,
                       .dedup_n = dedup_n};
    src.crc = px_snap_crc(&src);
    size_t n = (size_t)px_snap_size(list_len, dedup_n);
    uint8_t *b = malloc(n);
    px_snap_read(&src, 0, b, n);
    write_seed("snapshot", name, b, n);
    free(b);
    free(list);
    free(dd);
}

static void snapshot_seeds(void)
{
    snapshot_seed("empty", 1, 0, 0);
    snapshot_seed("small", 9, 5, 3);
    snapshot_seed("medium", 64, 40, 8);
}

/* The "small" snapshot (slot 9, list of 5, entries for clients 100, 200,
 * 300) with one field just past its bound and the CRC made right again:
 * each must be refused, so a loosened check fails the corpus replay. */
static void snapshot_bound_seeds(void)
{
    int64_t list[5] = {1, 2, 3, 4, 5};
    dedup_entry dd[3] = {{100, 1, 0, 0}, {200, 2, 3, 1}, {300, 3, 8, 4}};
    static const struct {
        const char *name;
        int entry, field; /* field: 0 client, 1 seq, 2 slot, 3 result */
        int64_t value;
    } v[] = {
        {"result-is-list-len", 2, 3, 5}, {"result-negative", 0, 3, -1},
        {"slot-is-snapshot-slot", 1, 2, 9}, {"seq-0", 1, 1, 0},
        {"client-twice", 1, 0, 100}, {"clients-out-of-order", 2, 0, 150},
    };
    char name[64];
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        dedup_entry bad[3];
        memcpy(bad, dd, sizeof bad);
        dedup_entry *e = &bad[v[i].entry];
        if (v[i].field == 0) e->client = (uint64_t)v[i].value;
        if (v[i].field == 1) e->seq = (uint64_t)v[i].value;
        if (v[i].field == 2) e->slot = (uint64_t)v[i].value;
        if (v[i].field == 3) e->result = v[i].value;
        px_snap_src src = {.slot = 9, .list = list, .list_len = 5, .dedup = bad, .dedup_n = 3};
        src.crc = px_snap_crc(&src);
        uint8_t b[PX_SNAP_MIN + 3 * PX_SNAP_ENTRY + 5 * 8];
        px_snap_read(&src, 0, b, sizeof b);
        snprintf(name, sizeof name, "bound-%s", v[i].name);
        write_seed("snapshot", name, b, sizeof b);
    }
    /* Slot 0: nothing is applied below it, so it is no snapshot. */
    px_snap_src zero = {.slot = 0, .list = list, .list_len = 5, .dedup = dd, .dedup_n = 3};
    zero.crc = px_snap_crc(&zero);
    uint8_t b[PX_SNAP_MIN + 3 * PX_SNAP_ENTRY + 5 * 8];
    px_snap_read(&zero, 0, b, sizeof b);
    write_seed("snapshot", "bound-slot-0", b, sizeof b);
}

/* ---- configs and bodies ----------------------------------------------------- */

static void text_seed(const char *target, const char *name, const char *text)
{
    write_seed(target, name, text, strlen(text));
}

static void config_seeds(void)
{
    size_t n;
    uint8_t *b = read_file("cluster.cfg", &n);
    write_seed("config", "default", b, n);
    free(b);
    text_seed("config", "one-node",
              "nodes = ({ id = 1; host = \"127.0.0.1\"; gateway_port = 5001; acceptor_port = 6001;"
              " proposer_port = 6101; learner_port = 6201; });\n");
    text_seed("config", "two-nodes-no-tls",
              "cluster_id = 4294967295L; tls = false; gateway_https = false; fsync = false;\n"
              "snapshot_every = 0; batch_max = 1; pipeline = 4096; queue_max = 1;\n"
              "nodes = (\n"
              " { id = 9; host = \"10.0.0.9\"; gateway_port = 1; acceptor_port = 2;"
              " proposer_port = 3; learner_port = 4; },\n"
              " { id = 2; host = \"10.0.0.9\"; gateway_port = 5; acceptor_port = 6;"
              " proposer_port = 7; learner_port = 65535; tls_cert = \"/a.crt\";"
              " tls_key = \"/a.key\"; }\n);\n");
    text_seed("config", "timers",
              "heartbeat_ms = 1; election_timeout_min_ms = 2; election_timeout_max_ms = 2;\n"
              "retransmit_ms = 3600000; request_timeout_ms = 100; snapshot_every = 16;\n"
              "data_dir = \"/var/lib/paxos\"; tls_ca = \"ca.pem\"; gateway_https = true;\n"
              "nodes = ({ id = 3; host = \"192.168.1.3\"; gateway_port = 8080;"
              " acceptor_port = 8081; proposer_port = 8082; learner_port = 8083; });\n");
    text_seed("config", "initial-members",
              "initial_members = [3, 1];\n"
              "nodes = (\n"
              " { id = 1; host = \"127.0.0.1\"; gateway_port = 1; acceptor_port = 2;"
              " proposer_port = 3; learner_port = 4; },\n"
              " { id = 2; host = \"127.0.0.2\"; gateway_port = 1; acceptor_port = 2;"
              " proposer_port = 3; learner_port = 4; },\n"
              " { id = 3; host = \"127.0.0.3\"; gateway_port = 1; acceptor_port = 2;"
              " proposer_port = 3; learner_port = 4; }\n);\n");
}

/* One setting just past each documented bound, in an otherwise valid
 * config: every one must be refused, so a loosened bound fails the corpus
 * replay at once instead of waiting for a mutation to cross it. */
static void config_bound_seeds(void)
{
    static const char node_a[] = "{ id = 1; host = \"127.0.0.1\"; gateway_port = 5001; "
                                 "acceptor_port = 6001; proposer_port = 6101; learner_port = 6201; }";
    static const struct {
        const char *name, *settings, *nodes;
    } v[] = {
        {"cluster-id-0", "cluster_id = 0;", NULL},
        {"cluster-id-2^32", "cluster_id = 4294967296L;", NULL},
        {"heartbeat-0", "heartbeat_ms = 0;", NULL},
        {"election-min-below-2-heartbeats",
         "heartbeat_ms = 50; election_timeout_min_ms = 99; election_timeout_max_ms = 600;", NULL},
        {"election-max-below-min", "election_timeout_min_ms = 300; election_timeout_max_ms = 299;",
         NULL},
        {"retransmit-0", "retransmit_ms = 0;", NULL},
        {"request-timeout-99", "request_timeout_ms = 99;", NULL},
        {"batch-max-0", "batch_max = 0;", NULL},
        {"batch-max-33", "batch_max = 33;", NULL},
        {"pipeline-0", "pipeline = 0;", NULL},
        {"pipeline-4097", "pipeline = 4097;", NULL},
        {"queue-max-0", "queue_max = 0;", NULL},
        {"snapshot-every-15", "snapshot_every = 15;", NULL},
        {"https-without-tls", "tls = false; gateway_https = true;", NULL},
        {"empty-data-dir", "data_dir = \"\";", NULL},
        {"unknown-setting", "heartbeat = 50;", NULL},
        {"initial-members-empty", "initial_members = [];", NULL},
        {"initial-members-not-listed", "initial_members = [1, 2];", NULL},
        {"initial-members-twice", "initial_members = [1, 1];", NULL},
        {"initial-members-not-array", "initial_members = 1;", NULL},
        {"node-id-0", "", "{ id = 0; host = \"127.0.0.1\"; gateway_port = 1; acceptor_port = 2; "
                          "proposer_port = 3; learner_port = 4; }"},
        {"node-id-10", "", "{ id = 10; host = \"127.0.0.1\"; gateway_port = 1; acceptor_port = 2; "
                           "proposer_port = 3; learner_port = 4; }"},
        {"host-not-ipv4", "", "{ id = 1; host = \"127.0.0.256\"; gateway_port = 1; "
                              "acceptor_port = 2; proposer_port = 3; learner_port = 4; }"},
        {"port-0", "", "{ id = 1; host = \"127.0.0.1\"; gateway_port = 0; acceptor_port = 2; "
                       "proposer_port = 3; learner_port = 4; }"},
        {"port-65536", "", "{ id = 1; host = \"127.0.0.1\"; gateway_port = 65536; "
                           "acceptor_port = 2; proposer_port = 3; learner_port = 4; }"},
        {"port-twice-in-node", "", "{ id = 1; host = \"127.0.0.1\"; gateway_port = 1; "
                                   "acceptor_port = 1; proposer_port = 3; learner_port = 4; }"},
        {"id-twice", "", "{ id = 1; host = \"127.0.0.1\"; gateway_port = 1; acceptor_port = 2; "
                         "proposer_port = 3; learner_port = 4; }, { id = 1; host = \"127.0.0.2\"; "
                         "gateway_port = 1; acceptor_port = 2; proposer_port = 3; "
                         "learner_port = 4; }"},
        {"endpoint-twice", "", "{ id = 1; host = \"127.0.0.1\"; gateway_port = 1; "
                               "acceptor_port = 2; proposer_port = 3; learner_port = 4; }, "
                               "{ id = 2; host = \"127.0.0.1\"; gateway_port = 5; "
                               "acceptor_port = 6; proposer_port = 7; learner_port = 4; }"},
        {"no-nodes", "", ""},
    };
    char text[2048], name[64];
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        snprintf(text, sizeof text, "%s\nnodes = (%s);\n", v[i].settings,
                 v[i].nodes ? v[i].nodes : node_a);
        snprintf(name, sizeof name, "bound-%s", v[i].name);
        text_seed("config", name, text);
    }
    /* Ten nodes, one over PX_MAX_NODES. */
    size_t n = 0;
    n += (size_t)snprintf(text + n, sizeof text - n, "nodes = (");
    for (int id = 1; id <= PX_MAX_NODES + 1; id++)
        n += (size_t)snprintf(text + n, sizeof text - n,
                              "%s{ id = %d; host = \"127.0.0.%d\"; gateway_port = 1; "
                              "acceptor_port = 2; proposer_port = 3; learner_port = 4; }",
                              id > 1 ? ", " : "", id, id);
    snprintf(text + n, sizeof text - n, ");\n");
    text_seed("config", "bound-ten-nodes", text);
}

static void gateway_seeds(void)
{
    static const char *const bodies[] = {
        "{\"value\": 42}", "42", "-9223372036854775808", "{\"value\":9223372036854775807}",
        "{\"value\": 9223372036854775808}", "  -17 \n", "{\"value\": 1.5}", "{\"value\": \"7\"}",
        "{\"val\\u0075e\": 3, \"other\": [1, 2e3, {\"x\": null}]}", "{\"value\": -0}", "1e3",
        "{\"value\": 1, \"value\": 2}", "[42]", "true", "{}", "0007", "\"\\\"}{\"",
    };
    char name[16];
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        snprintf(name, sizeof name, "body-%02zu", i);
        text_seed("gateway", name, bodies[i]);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s OUTDIR   (run from the repository root)\n", argv[0]);
        return 2;
    }
    out_root = argv[1];
    if (mkdir(out_root, 0755) < 0 && errno != EEXIST) die(out_root);
    px_rng_seed(&rng, 20240611);
    wire_seeds();
    store_seeds();
    records_seeds();
    snapshot_seeds();
    snapshot_bound_seeds();
    config_seeds();
    config_bound_seeds();
    gateway_seeds();
    return 0;
}
