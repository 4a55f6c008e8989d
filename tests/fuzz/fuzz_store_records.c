/* fuzz_store_records.c -- acceptor log recovery from logs the store itself
 * wrote, against an exact model of what store.h promises.
 *
 * A companion to fuzz_store: there, mutated bytes rarely keep a checksum
 * valid and nothing says which records a recovery should keep.  Here the
 * input is a script: records appended with acc_store_append and batches
 * closed with acc_store_sync (so batches of many records, commit markers
 * and many batches occur), reopens and rewrites in between, then damage to
 * the finished file.  The harness keeps the layout the store must have
 * written -- every record's and marker's offset, size and batch, checked
 * against acc_store_size and acc_store_records after each step -- and from
 * it computes the outcome each open must have, by the rules of store.h and
 * docs/PROTOCOL.md (Durability):
 *
 *   - records are replayed in order; each must stand where it belongs (its
 *     batch's number, or the next one after an END record or a marker; a
 *     marker after a record of its own batch), else the log is refused
 *     (records lost or moved);
 *   - replay stops at the first damaged item (a checksum fails, the file
 *     ends inside it, or its header holds a type the store does not know);
 *     it belongs to batch K (the batch being read, or the next one after an
 *     END record or a commit marker);
 *   - if a later header checks out that is a commit marker or a record of
 *     another batch than K, the damage hit durable data: refused, the error
 *     naming the file and the offset, the file untouched;
 *   - else the log is cut there: exactly the records before it are
 *     replayed; the report gives the offset, the bytes cut and the number
 *     of records in the cut whose header is readable, and the warning names
 *     each of them (type, slot, ballot) in order; what is kept is sealed
 *     with a commit marker unless it ends with one;
 *   - damage to the file header (magic, version, salt, its checksum) of a
 *     log longer than the header is refused: the salt seeds every checksum,
 *     the version says how to read the rest;
 *   - a file cut inside its header (never the case with records on disk:
 *     the header is made durable first) is made afresh, empty.
 *
 * Input:
 *
 *   flags  u8   bit 0: fsync on (a sync writes its batch's commit marker)
 *   cut    u16  bytes cut off the end of the finished file (0: none)
 *   flip   u16  offset of a damaged byte, modulo the file's size
 *   mask   u8   XORed into that byte (0: none)
 *   zeros  u8   zeros * 8 bytes of zeros appended after the cut (blocks
 *               allocated, never written)
 *   hole   u16  offset after the file header, modulo the records' size, of
 *   hole_len u16  bytes lost from the middle of the file (0: none; made
 *               before the flip and the cut)
 *   op*    u8, by op % 8:
 *            0 PROMISE  round u16, node u8
 *            1 ACCEPT   round u16, node u8, slot u8, n u8 (% 33),
 *                       n x {kind u8, client u8, seq u8, value i16}
 *            2 TRIM     round u16, node u8, slot u8
 *            3 type op / 8 (unknown unless 1..3), round u16, node u8, slot u8
 *            4, 5 SYNC  the records appended since the last sync become a
 *                       batch
 *            6 REOPEN   close (records not synced are dropped) and open
 *                       again: the verdict is checked, the log sealed
 *            7 REWRITE  acc_store_rewrite from the export of a core that
 *                       replayed the log (refused while records are not
 *                       synced)
 *
 * Small fields on purpose: rounds, slots and clients collide often, so
 * replays go through equal ballots, re-accepted slots and marks above and
 * below accepted slots.  After the verdict, the damaged file is checked
 * once more as fuzz_store checks any file (store_check.c).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acceptor/acceptor.h"
#include "acceptor/store.h"
#include "acceptor/store_format.h"
#include "common/bytes.h"
#include "fuzz.h"
#include "store_check.h"

#define MAX_APPENDS 256  /* records a script may append */
#define MAX_RECS 1024    /* appended, plus what rewrites export */
#define MAX_ITEMS 2048   /* records and markers in the file */
#define MAX_REOPENS 32   /* reopens and rewrites a script may do (the rest are skipped) */

/* ---- the model: what the file holds --------------------------------------- */

/* A record or commit marker the store wrote, where it wrote it. */
typedef struct item {
    uint64_t off;  /* where it is now */
    uint64_t orig; /* where it was written (off, unless a hole moved it) */
    uint32_t size, batch;
    uint8_t marker, end;
    uint8_t known; /* a record type the store reads back */
    int rec;       /* index into recs (records only) */
} item;

static acc_record recs[MAX_RECS];
static size_t n_recs, n_appends, n_reopens;
static item items[MAX_ITEMS];
static size_t n_items;
static int pend[MAX_APPENDS]; /* appended, not yet synced: indexes into recs */
static size_t n_pend;
static uint64_t file_end;     /* bytes in the file */
static uint32_t next_batch;   /* the number the next sync gives its batch */
static int fsync_on;

static char err[1024];
static acc_store_report rep;

static int known_type(uint8_t t) { return t >= ACC_REC_PROMISE && t <= ACC_REC_TRIM; }

/* What a record costs on disk: a header, and for an ACCEPT with commands
 * their checksum and the commands (store_format.h). */
static uint32_t rec_size(const acc_record *r)
{
    uint16_t n = r->type == ACC_REC_ACCEPT ? r->value.n : 0;
    return ALOG_REC_HDR + (n ? 4u + (uint32_t)ALOG_CMD * n : 0u);
}

static uint64_t pending_bytes(void)
{
    uint64_t b = 0;
    for (size_t i = 0; i < n_pend; i++) b += rec_size(&recs[pend[i]]);
    return b;
}

static uint64_t file_records(void)
{
    uint64_t n = 0;
    for (size_t i = 0; i < n_items; i++) n += !items[i].marker;
    return n;
}

static void push_item(uint32_t size, uint32_t batch, int marker, int rec)
{
    FUZZ_ASSERT(n_items < MAX_ITEMS, "harness: too many items");
    items[n_items++] = (item){.off = file_end, .orig = file_end, .size = size, .batch = batch,
                              .marker = (uint8_t)marker,
                              .known = (uint8_t)(marker || known_type(recs[rec].type)),
                              .rec = rec};
    file_end += size;
}

static void push_marker(uint32_t batch) { push_item(ALOG_MARKER, batch, 1, -1); }

/* ---- reading the script --------------------------------------------------- */

typedef struct script {
    const uint8_t *p;
    size_t len, pos;
} script;

static unsigned take(script *s, int bytes)
{
    unsigned v = 0;
    for (int i = 0; i < bytes; i++)
        v |= (unsigned)(s->pos < s->len ? s->p[s->pos++] : 0) << (8 * i);
    return v;
}

/* A record of op (op % 8 below 4) into r. */
static void read_record(script *s, unsigned op, acc_record *r)
{
    memset(r, 0, sizeof *r);
    r->type = (uint8_t)(op % 8 == 3 ? op / 8 : op % 8 + 1);
    r->ballot.round = take(s, 2);
    r->ballot.node = take(s, 1);
    if (op % 8 == 0) return;
    r->slot = take(s, 1);
    if (op % 8 != 1) return;
    r->value.n = (uint16_t)(take(s, 1) % (PX_MAX_BATCH + 1));
    for (int i = 0; i < r->value.n; i++) {
        px_cmd *c = &r->value.cmds[i];
        c->kind = (uint8_t)take(s, 1);
        c->client = take(s, 1);
        c->seq = take(s, 1);
        c->value = (int16_t)take(s, 2);
    }
}

/* ---- damage and the verdict ------------------------------------------------ */

/* A file after damage: the bytes the store wrote (written), the bytes it
 * holds now (now), and where each item written may now stand (lay, sorted
 * by offset).  An item is sound where it stands if its bytes there are
 * still the ones written -- any other bytes fail a checksum (but once in
 * 2^32).  Comparing bytes covers every damage alike: a flipped byte, a
 * cut, zeros after a cut (which give back a cut byte that was zero), a
 * hole (which may happen to leave an item's bytes as they were). */
typedef struct view {
    const item *lay;
    size_t n;
    const uint8_t *written, *now;
    uint64_t written_len, len;
} view;

/* now[at, at + n) is written[from, from + n). */
static int same_at(const view *w, uint64_t at, uint64_t from, uint64_t n)
{
    return at + n <= w->len && from + n <= w->written_len &&
           memcmp(w->now + at, w->written + from, (size_t)n) == 0;
}

static uint32_t hdr_size(const item *it) { return it->marker ? ALOG_MARKER : ALOG_REC_HDR; }

/* Its header is there, unharmed, and of a kind the store reads. */
static int header_ok(const view *w, const item *it)
{
    return it->known && same_at(w, it->off, it->orig, hdr_size(it));
}

static int whole(const view *w, const item *it)
{
    return it->known && same_at(w, it->off, it->orig, it->size);
}

/* What opening must do. */
typedef struct verdict {
    int exact;      /* 0: no exact outcome (see header_verdict) */
    int refuse;
    int header;     /* the refusal is about the file header */
    int fresh;      /* a torn file header: made afresh, empty */
    uint64_t at;    /* the refusal's or the cut's offset */
    int cut;
    uint64_t end;   /* the kept log ends here (before the seal) */
    size_t kept;    /* items replayed or kept (indexes in lay: keeps) */
    size_t dropped; /* records in the cut with a readable header (drops) */
} verdict;

static size_t keeps[MAX_ITEMS], drops[MAX_ITEMS];

enum last { LAST_NONE, LAST_RECORD, LAST_END, LAST_MARKER };

static uint32_t expected_batch(int last, uint32_t batch)
{
    if (last == LAST_NONE) return 1;
    return last == LAST_RECORD ? batch : batch + 1;
}

static int in_place(const item *it, int last, uint32_t batch)
{
    if (it->marker) return (last == LAST_RECORD || last == LAST_END) && it->batch == batch;
    return it->batch == expected_batch(last, batch);
}

/* The first item standing at or after pos: lay[*j], or NULL. */
static const item *at_or_after(const view *w, size_t *j, uint64_t pos)
{
    while (*j < w->n && w->lay[*j].off < pos) (*j)++;
    return *j < w->n && w->lay[*j].off < w->len ? &w->lay[*j] : NULL;
}

/* The item at pos is damaged (or there is none, only bytes): damage to
 * durable data (refused) or a torn tail (cut).  Recovery searches the rest
 * of the file as the store does: a header that checks out is taken whole
 * (the search goes on after the size it declares), elsewhere byte by
 * byte. */
static void judge(const view *w, size_t j, uint64_t pos, uint32_t k, verdict *v)
{
    v->at = pos;
    for (const item *it; (it = at_or_after(w, &j, pos)) != NULL;) {
        if (!header_ok(w, it)) {
            pos = it->off + 1;
            continue;
        }
        if (it->marker || it->batch != k) {
            v->refuse = 1; /* written only after batch k was durable */
            return;
        }
        drops[v->dropped++] = j;
        pos = it->off + it->size;
    }
    v->cut = 1;
    v->end = v->at;
}

/* A file no longer than its header, or with a damaged header. */
static void header_verdict(const view *w, verdict *v)
{
    if (w->len <= ALOG_FILE_HDR) {
        /* Cut inside the header, what a crash at creation leaves: made
         * afresh.  Damaged as well, with nothing after it: refused or made
         * afresh, both lose nothing. */
        v->fresh = same_at(w, 0, 0, w->len);
        v->exact = v->fresh;
        return;
    }
    /* Refused (magic, version, salt or checksum), unless it now reads as a
     * version 1 or 2 header whose salt or checksum is damaged too: after a
     * second fault it cannot be told from an old log (whose first record
     * was torn). */
    uint32_t version = px_get32(w->now + 4);
    if (same_at(w, 0, 0, 4) && (version == 1 || version == 2) &&
        !same_at(w, 8, 8, ALOG_FILE_HDR - 8)) {
        v->exact = 0;
        return;
    }
    v->refuse = v->header = 1;
}

/* Replays as the store does: from the header on, the item standing where
 * the last one ended, until one is damaged or the file ends. */
static void file_verdict(const view *w, verdict *v)
{
    memset(v, 0, sizeof *v);
    v->exact = 1;
    if (!same_at(w, 0, 0, ALOG_FILE_HDR)) {
        header_verdict(w, v);
        return;
    }
    int last = LAST_NONE;
    uint32_t batch = 0;
    size_t j = 0;
    uint64_t pos = ALOG_FILE_HDR;
    for (; pos < w->len; pos += w->lay[j].size) {
        const item *it = at_or_after(w, &j, pos);
        if (it != NULL && it->off != pos) it = NULL;
        int ok = it && whole(w, it);
        if (it && (ok || header_ok(w, it)) && !in_place(it, last, batch)) {
            v->refuse = 1; /* records lost or moved */
            v->at = pos;
            return;
        }
        if (!ok) {
            judge(w, j, pos, expected_batch(last, batch), v);
            return;
        }
        last = it->marker ? LAST_MARKER : it->end ? LAST_END : LAST_RECORD;
        batch = it->batch;
        keeps[v->kept++] = j;
    }
    v->end = pos;
}

/* ---- a hole: bytes lost from the middle of the file ------------------------- */

static item holed[MAX_ITEMS];

/* Where the items written may stand after bytes [a, b) are lost: those
 * before a stay (one the hole starts in too: its bytes may happen to be
 * the same), those starting in the hole are gone, those after it move
 * back. */
static size_t make_hole(uint64_t a, uint64_t b)
{
    size_t k = 0;
    for (size_t i = 0; i < n_items; i++) {
        item it = items[i];
        if (it.off >= a && it.off < b) continue;
        if (it.off >= b) it.off -= b - a;
        holed[k++] = it;
    }
    return k;
}

/* ---- checking an open against the verdict ----------------------------------- */

typedef struct replayed {
    size_t n;
    int mismatch;
    const int *want; /* indexes into recs of the records expected, in order */
    size_t n_want;
    struct acceptor *a;
} replayed;

/* What the store gives back for a written record: a PROMISE has no slot,
 * only an ACCEPT carries commands. */
static int same_record(const acc_record *written, const acc_record *read)
{
    acc_record want = *written;
    if (want.type == ACC_REC_PROMISE) want.slot = 0;
    if (want.type != ACC_REC_ACCEPT) want.value.n = 0;
    return store_same_record(&want, read);
}

static void on_replay(void *arg, const acc_record *r)
{
    replayed *x = arg;
    if (x->n >= x->n_want || !same_record(&recs[x->want[x->n]], r)) x->mismatch = 1;
    acceptor_restore(x->a, r);
    x->n++;
}

/* "ACCEPT slot 5 ballot (3,2)": how a report names a record. */
static void describe(const acc_record *r, char *buf, size_t len)
{
    unsigned long long round = (unsigned long long)r->ballot.round;
    unsigned long long slot = (unsigned long long)r->slot;
    if (r->type == ACC_REC_PROMISE)
        snprintf(buf, len, "PROMISE ballot (%llu,%u)", round, r->ballot.node);
    else if (r->type == ACC_REC_ACCEPT)
        snprintf(buf, len, "ACCEPT slot %llu ballot (%llu,%u)", slot, round, r->ballot.node);
    else
        snprintf(buf, len, "TRIM below %llu ballot (%llu,%u)", slot, round, r->ballot.node);
}

/* The warning names the dropped records with a readable header, in order,
 * as far as its list has room (2400 characters; checked to 2000). */
static void check_names(const view *w, const verdict *v)
{
    const char *at = strstr(rep.warn, ": ");
    size_t used = 0;
    FUZZ_ASSERT(at != NULL, "the warning lists nothing");
    for (size_t d = 0; d < v->dropped; d++) {
        char name[96];
        describe(&recs[w->lay[drops[d]].rec], name, sizeof name);
        used += strlen(name) + 2;
        if (used >= 2000) break;
        const char *found = strstr(at, name);
        FUZZ_ASSERT(found != NULL, "the warning does not name a dropped record");
        at = found + strlen(name);
    }
}

static void check_refused(const view *w, const verdict *v, struct acc_store *st)
{
    FUZZ_ASSERT(st == NULL, v->header ? "a damaged file header was not refused"
                                      : "damage to durable records was not refused");
    FUZZ_ASSERT(strstr(err, store_log_path()) != NULL, "the refusal does not name the file");
    if (!v->header) {
        char at[48];
        snprintf(at, sizeof at, "at offset %llu", (unsigned long long)v->at);
        FUZZ_ASSERT(strstr(err, at) != NULL, "the refusal names another offset");
    }
    size_t n;
    uint8_t *now = store_read_log(&n);
    FUZZ_ASSERT(n == w->len && memcmp(now, w->now, n) == 0, "a refused log was changed");
    free(now);
}

static void check_report(const view *w, const verdict *v)
{
    if (!v->cut) {
        FUZZ_ASSERT(rep.warn[0] == 0 && rep.cut_bytes == 0 && rep.cut_records == 0,
                    "a log with nothing to cut reported a cut");
        FUZZ_ASSERT(v->fresh ? (rep.info[0] != 0) == (w->len > 0) : rep.info[0] == 0,
                    "a note where none belongs, or none where one does");
        return;
    }
    FUZZ_ASSERT(rep.info[0] == 0, "a note beside a cut tail");
    FUZZ_ASSERT(rep.cut_offset == v->at, "the report gives another cut offset");
    FUZZ_ASSERT(rep.cut_bytes == w->len - v->at, "the report gives another number of bytes cut");
    FUZZ_ASSERT(rep.cut_records == v->dropped, "the report counts other dropped records");
    char at[48];
    snprintf(at, sizeof at, "at offset %llu", (unsigned long long)v->at);
    FUZZ_ASSERT(strstr(rep.warn, at) != NULL, "the warning names another offset");
    if (v->dropped) check_names(w, v);
}

/* The kept log on disk: its bytes as they were, and a commit marker after
 * them unless they end with one. */
static void check_kept(const view *w, const verdict *v, struct acc_store *st)
{
    const item *last = v->kept ? &w->lay[keeps[v->kept - 1]] : NULL;
    uint64_t want = v->fresh ? ALOG_FILE_HDR : v->end + (last && !last->marker ? ALOG_MARKER : 0);
    FUZZ_ASSERT(acc_store_size(st) == want && store_log_size() == want,
                "the recovered log is not its kept part and a seal");
    if (v->fresh) return;
    size_t n;
    uint8_t *now = store_read_log(&n);
    FUZZ_ASSERT(memcmp(now, w->now, (size_t)v->end) == 0, "recovery changed bytes it kept");
    free(now);
}

/* Opens the log, which holds w->now, and checks the outcome against the
 * verdict (returned in *v); returns the store, NULL if it refused. */
static struct acc_store *open_checked(const view *w, verdict *v)
{
    static int want[MAX_ITEMS];
    size_t n_want = 0;
    file_verdict(w, v);
    for (size_t i = 0; i < v->kept; i++)
        if (!w->lay[keeps[i]].marker) want[n_want++] = w->lay[keeps[i]].rec;
    replayed x = {.want = want, .n_want = n_want, .a = acceptor_new(1)};
    struct acc_store *st =
        acc_store_open(store_dir(), fsync_on, on_replay, &x, &rep, err, sizeof err);
    if (!v->exact) { /* refused, or made afresh or converted with no record */
        FUZZ_ASSERT(st == NULL || (x.n == 0 && acc_store_size(st) == ALOG_FILE_HDR),
                    "records from a file with no whole header");
    } else if (v->refuse) {
        check_refused(w, v, st);
    } else {
        FUZZ_ASSERT(st != NULL, "a log the store must recover was refused");
        FUZZ_ASSERT(x.n == n_want && !x.mismatch,
                    "recovery replayed other records than those before the damage");
        FUZZ_ASSERT(acc_store_records(st) == n_want, "the store counts other records");
        check_report(w, v);
        check_kept(w, v, st);
        struct acceptor *model = acceptor_new(1);
        for (size_t i = 0; i < n_want; i++) acceptor_restore(model, &recs[want[i]]);
        FUZZ_ASSERT(store_same_state(model, x.a), "replayed state differs from the records'");
        acceptor_free(model);
    }
    acceptor_free(x.a);
    return st;
}

/* ---- running the script ------------------------------------------------------ */

static void check_sizes(struct acc_store *st)
{
    FUZZ_ASSERT(acc_store_size(st) == file_end + pending_bytes(),
                "the store's size differs from the records written and appended");
    FUZZ_ASSERT(acc_store_records(st) == file_records() + n_pend,
                "the store counts other records than written and appended");
}

static void do_append(struct acc_store *st, script *s, unsigned op)
{
    acc_record *r = &recs[n_recs];
    read_record(s, op, r);
    FUZZ_ASSERT(acc_store_append(st, r, 1, err, sizeof err) == 0, "appending a record failed");
    pend[n_pend++] = (int)n_recs++;
    n_appends++;
}

static void do_sync(struct acc_store *st)
{
    FUZZ_ASSERT(acc_store_sync(st, err, sizeof err) == 0, "syncing failed");
    if (n_pend == 0) return;
    for (size_t i = 0; i < n_pend; i++) {
        push_item(rec_size(&recs[pend[i]]), next_batch, 0, pend[i]);
        items[n_items - 1].end = i + 1 == n_pend;
    }
    if (fsync_on) push_marker(next_batch);
    next_batch++;
    n_pend = 0;
}

static void export_into_recs(void *arg, const acc_record *r)
{
    (void)arg;
    FUZZ_ASSERT(n_recs < MAX_RECS, "harness: too many records");
    recs[n_recs++] = *r;
}

static void export_source(void *src, acc_record_fn put, void *put_arg)
{
    acceptor_export(src, put, put_arg);
}

/* A rewrite from the export of a core that replayed the file: one batch,
 * with its marker when fsync is on. */
static void do_rewrite(struct acc_store *st)
{
    if (n_pend > 0) {
        FUZZ_ASSERT(acc_store_rewrite(st, export_source, NULL, err, sizeof err) == -1 &&
                        strstr(err, "not durable") != NULL && acc_store_usable(st),
                    "a rewrite was not refused while records were not durable");
        return;
    }
    struct acceptor *a = acceptor_new(1);
    for (size_t i = 0; i < n_items; i++)
        if (!items[i].marker) acceptor_restore(a, &recs[items[i].rec]);
    FUZZ_ASSERT(acc_store_rewrite(st, export_source, a, err, sizeof err) == 0,
                "rewriting failed");
    size_t first = n_recs;
    acceptor_export(a, export_into_recs, NULL);
    acceptor_free(a);
    n_items = 0;
    file_end = ALOG_FILE_HDR;
    for (size_t i = first; i < n_recs; i++) {
        push_item(rec_size(&recs[i]), 1, 0, (int)i);
        items[n_items - 1].end = i + 1 == n_recs;
    }
    if (n_items > 0 && fsync_on) push_marker(1);
    next_batch = n_items > 0 ? 2 : 1;
}

/* Closes and reopens: records not synced are lost, the log checked as any
 * other (it may hold records of types the store does not read), and the
 * model becomes what was kept, sealed. */
static struct acc_store *do_reopen(struct acc_store *st)
{
    acc_store_close(st);
    n_pend = 0;
    size_t size;
    uint8_t *bytes = store_read_log(&size);
    FUZZ_ASSERT(size == file_end, "the file is not what was synced");
    view w = {.lay = items, .n = n_items, .written = bytes, .now = bytes, .written_len = size,
              .len = size};
    verdict v;
    st = open_checked(&w, &v);
    free(bytes);
    if (st == NULL) return NULL;
    n_items = v.kept; /* no hole: the kept items are the first ones */
    file_end = v.end;
    const item *last = n_items ? &items[n_items - 1] : NULL;
    if (last && !last->marker) push_marker(last->batch);
    next_batch = last ? last->batch + 1 : 1;
    return st;
}

/* Runs the script's operations on a fresh log; returns the store (NULL if
 * a reopen was refused). */
static struct acc_store *run_script(script *s)
{
    store_reset_dir();
    n_recs = n_appends = n_reopens = n_items = n_pend = 0;
    file_end = 0;
    struct acc_store *st = acc_store_open(store_dir(), fsync_on, NULL, NULL, &rep, err, sizeof err);
    FUZZ_ASSERT(st != NULL && store_report_clean(&rep), "cannot create a fresh log");
    file_end = ALOG_FILE_HDR;
    next_batch = 1;
    check_sizes(st);
    while (st != NULL && s->pos < s->len && n_appends < MAX_APPENDS &&
           n_recs + MAX_APPENDS + 4 < MAX_RECS) {
        unsigned op = take(s, 1);
        switch (op % 8) {
        case 4:
        case 5: do_sync(st); break;
        case 6:
            if (n_reopens++ < MAX_REOPENS) st = do_reopen(st);
            break;
        case 7:
            if (n_reopens++ < MAX_REOPENS) do_rewrite(st);
            break;
        default: do_append(st, s, op);
        }
        if (st) check_sizes(st);
    }
    return st;
}

/* ---- one input ------------------------------------------------------------------- */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    store_make_dir("px-fuzz-records");
    return 0;
}

/* The damage the input asks for, in this order: bytes [hole, hole + hole_len)
 * lost (never in the file header: flips and cuts damage that), the byte
 * at flip XORed with mask, cut bytes cut off the end, zeros bytes of zeros
 * appended.  Fills w (the layout after the hole, the bytes as written and
 * as now) and writes the file. */
typedef struct damage {
    unsigned cut, flip, mask, zeros, hole, hole_len;
} damage;

static void make_damage(const damage *d, const uint8_t *written, size_t n, view *w)
{
    uint64_t a = n, b = n;
    if (d->hole_len && n > ALOG_FILE_HDR) {
        a = ALOG_FILE_HDR + d->hole % (n - ALOG_FILE_HDR);
        b = a + d->hole_len < n ? a + d->hole_len : n;
    }
    size_t holed_len = n - (size_t)(b - a);
    size_t keep = holed_len > d->cut ? holed_len - d->cut : 0;
    uint8_t *now = calloc(1, keep + 8u * d->zeros + 1);
    FUZZ_ASSERT(now != NULL, "harness: out of memory");
    memcpy(now, written, (size_t)a < keep ? (size_t)a : keep);
    if (keep > a) memcpy(now + a, written + b, keep - (size_t)a);
    if (d->flip % holed_len < keep) now[d->flip % holed_len] ^= (uint8_t)d->mask;
    *w = (view){.lay = items, .n = n_items, .written = written, .now = now,
                .written_len = n, .len = keep + 8u * d->zeros};
    if (b > a) {
        w->lay = holed;
        w->n = make_hole(a, b);
    }
    store_write_log(now, (size_t)w->len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    script s = {data, size, 0};
    damage d;
    fsync_on = take(&s, 1) & 1;
    d.cut = take(&s, 2);
    d.flip = take(&s, 2);
    d.mask = take(&s, 1);
    d.zeros = take(&s, 1);
    d.hole = take(&s, 2);
    d.hole_len = take(&s, 2);

    struct acc_store *st = run_script(&s);
    if (st) acc_store_close(st); /* records not synced are dropped */
    n_pend = 0;
    size_t n;
    uint8_t *written = store_read_log(&n);
    FUZZ_ASSERT(n == file_end, "the closed file is not what was synced");
    view w;
    verdict v;
    make_damage(&d, written, n, &w);
    st = open_checked(&w, &v);
    if (st) acc_store_close(st);
    /* Once more from the damaged file, as fuzz_store checks any file. */
    store_write_log(w.now, (size_t)w.len);
    store_check_log(w.now, (size_t)w.len);
    free((void *)w.now);
    free(written);
    return 0;
}
