/* fuzz_snapshot.c -- the learner snapshot parser, px_snap_parse, and the
 * learner's install of a parsed snapshot (learner_restore_snapshot, what
 * paxos-learner does with learner.snap at start).
 *
 * Each input is parsed as it is and with its CRC trailer recomputed (so
 * mutations get past the checksum to the field checks).  Whatever the
 * bytes, the parser returns 0 or -1 with a message and reads nothing
 * outside the buffer.  A snapshot it accepts must:
 *
 *   - be exactly px_snap_size(list_len, dedup_n) bytes, with slot > 0 and
 *     at most dedup_max entries (parsing with a smaller dedup_max refuses
 *     it exactly when it has more entries than that);
 *   - hold entries with seq > 0, strictly increasing clients, slots below
 *     the snapshot's and results inside the list;
 *   - re-serialize to the same bytes through px_snap_read (read in odd
 *     pieces) with px_snap_crc equal to the stored CRC;
 *   - install into a fresh learner, which then holds exactly that list and
 *     dedup table, has applied everything below the slot, and serves the
 *     same bytes as its snapshot point (learner_snapshot_read).
 */
#include <string.h>

#include "common/crc32c.h"
#include "learner/dedup.h"
#include "learner/learner.h"
#include "learner/snapshot.h"
#include "fuzz.h"

#define DEDUP_MAX 1024 /* the learner's table; small inputs never reach it */
#define DEDUP_SMALL 2  /* a second parse checks the bound itself */
#define PIECE 7        /* odd, so reads split headers, entries and elements */

static char err[256];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

static void check_entries(const px_snap_view *v, dedup_entry *entries)
{
    for (uint64_t i = 0; i < v->dedup_n; i++) {
        dedup_entry *e = &entries[i];
        px_snap_entry(v, i, e);
        FUZZ_ASSERT(e->seq > 0, "accepted a dedup entry with seq 0");
        FUZZ_ASSERT(i == 0 || e->client > entries[i - 1].client,
                    "accepted dedup clients not strictly increasing");
        FUZZ_ASSERT(e->slot < v->slot, "accepted a dedup entry at or above the snapshot slot");
        FUZZ_ASSERT(e->result >= 0 && (uint64_t)e->result < v->list_len,
                    "accepted a dedup result outside the list");
    }
}

/* The serialization of src, read PIECE bytes at a time, equals buf. */
static void check_reserialize(const px_snap_src *src, const uint8_t *buf, size_t len)
{
    uint8_t *out = malloc(len);
    for (size_t off = 0; off < len; off += PIECE) {
        size_t want = len - off < PIECE ? len - off : PIECE;
        FUZZ_ASSERT(px_snap_read(src, off, out + off, want) == want, "px_snap_read came short");
    }
    FUZZ_ASSERT(memcmp(out, buf, len) == 0, "an accepted snapshot re-serializes differently");
    uint8_t extra;
    FUZZ_ASSERT(px_snap_read(src, len, &extra, 1) == 0, "px_snap_read past the end");
    free(out);
}

static void check_install(const uint8_t *buf, size_t len, const px_snap_view *v,
                          const int64_t *list, const dedup_entry *entries)
{
    learner_config cfg = {.id = 1, .n_nodes = 3, .node_ids = {1, 2, 3}, .catchup_ms = 100,
                          .status_ms = 100, .dedup_max = DEDUP_MAX, .snapshot_every = 16};
    struct learner *l = learner_new(&cfg, 0);
    FUZZ_ASSERT(learner_restore_snapshot(l, buf, len, err, sizeof err) == 0,
                "a snapshot the parser accepts is refused by the learner");
    FUZZ_ASSERT(learner_applied_upto(l) == v->slot, "installed, but applied_upto is not the slot");

    size_t n;
    const int64_t *got = learner_list(l, &n);
    FUZZ_ASSERT(n == v->list_len && (n == 0 || memcmp(got, list, n * sizeof *got) == 0),
                "installed list differs from the snapshot's");

    const dedup *d = learner_dedup(l);
    FUZZ_ASSERT(d->n == v->dedup_n, "installed dedup table has another size");
    dedup_entry *back = malloc((d->n ? d->n : 1) * sizeof *back);
    dedup_export(d, back);
    FUZZ_ASSERT(d->n == 0 || memcmp(back, entries, d->n * sizeof *back) == 0,
                "installed dedup table differs from the snapshot's");
    free(back);

    FUZZ_ASSERT(learner_snapshot_size(l) == len, "the learner's snapshot point has another size");
    uint8_t *out = malloc(len);
    FUZZ_ASSERT(learner_snapshot_read(l, 0, out, len) == len && memcmp(out, buf, len) == 0,
                "the learner serves other bytes than the snapshot it installed");
    free(out);
    learner_free(l);
}

static void check_snapshot(const uint8_t *buf, size_t len)
{
    px_snap_view v;
    err[0] = 0;
    if (px_snap_parse(buf, len, DEDUP_MAX, &v, err, sizeof err) != 0) {
        FUZZ_ASSERT(err[0] != 0, "refused without a reason");
        return;
    }
    FUZZ_ASSERT(v.slot > 0, "accepted slot 0");
    FUZZ_ASSERT(px_snap_size(v.list_len, v.dedup_n) == len, "accepted a size mismatch");
    FUZZ_ASSERT(v.dedup_n <= DEDUP_MAX, "accepted more entries than dedup_max");
    px_snap_view small;
    int small_rc = px_snap_parse(buf, len, DEDUP_SMALL, &small, NULL, 0);
    FUZZ_ASSERT((small_rc == 0) == (v.dedup_n <= DEDUP_SMALL), "dedup_max not applied exactly");

    /* Counts are bounded by len here, so these allocations are small. */
    int64_t *list = malloc((v.list_len ? v.list_len : 1) * sizeof *list);
    dedup_entry *entries = malloc((v.dedup_n ? v.dedup_n : 1) * sizeof *entries);
    for (uint64_t i = 0; i < v.list_len; i++) list[i] = px_snap_value(&v, i);
    check_entries(&v, entries);

    px_snap_src src = {.slot = v.slot, .list = list, .list_len = v.list_len,
                       .dedup = entries, .dedup_n = v.dedup_n};
    src.crc = px_snap_crc(&src);
    FUZZ_ASSERT(src.crc == v.crc, "the parsed CRC is not the content's");
    check_reserialize(&src, buf, len);
    check_install(buf, len, &v, list, entries);
    free(list);
    free(entries);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf = fuzz_dup(data, size);
    check_snapshot(buf, size);
    if (size >= PX_SNAP_MIN) {
        uint32_t crc = px_crc32c(0, buf, size - PX_SNAP_TRAILER);
        for (int i = 0; i < 4; i++) buf[size - PX_SNAP_TRAILER + i] = (uint8_t)(crc >> (8 * i));
        check_snapshot(buf, size);
    }
    free(buf);
    return 0;
}
