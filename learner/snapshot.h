/* snapshot.h -- the serialized form of a learner snapshot: the replicated
 * state (list and dedup table) after applying every slot below `slot`.
 * The same bytes are the learner.snap file and the payload of a snapshot
 * transfer (SNAP_CHUNK).  Pure: encoding reads memory the caller owns,
 * parsing only looks at the buffer it is given.
 *
 * All integers little-endian:
 *
 *   offset  size
 *        0     8  magic "PXSNAP\0\1"
 *        8     4  format u32 = 1
 *       12     4  reserved u32 = 0
 *       16     8  slot u64        every slot below it is applied
 *       24     8  list_len u64
 *       32     8  dedup_n u64
 *       40  32*d  dedup_n x {client u64, seq u64, slot u64, result i64},
 *                 in strictly increasing client order
 *        .   8*L  list_len x i64
 *        .     4  crc32c u32 over every byte before it
 *
 * Entries are written in client order so that two learners at the same
 * slot produce the same bytes, and so that the parser can refuse a
 * duplicate client in one pass without memory.
 */
#ifndef PX_LEARNER_SNAPSHOT_H
#define PX_LEARNER_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "dedup.h"

#define PX_SNAP_FORMAT 1
#define PX_SNAP_HEADER 40
#define PX_SNAP_ENTRY 32
#define PX_SNAP_TRAILER 4
#define PX_SNAP_MIN (PX_SNAP_HEADER + PX_SNAP_TRAILER)
/* A transfer announcing more than this is refused (the receiver would have
 * to buffer it whole before it can check the CRC). */
#define PX_SNAP_MAX (1ull << 30)

/* The state to serialize, in memory the caller owns. */
typedef struct px_snap_src {
    uint64_t slot;
    const int64_t *list;
    uint64_t list_len;
    const dedup_entry *dedup; /* dedup_n entries, increasing client order */
    uint64_t dedup_n;
    uint32_t crc; /* px_snap_crc() of this source, filled by the caller */
} px_snap_src;

/* Bytes of a snapshot with these counts (saturates at UINT64_MAX). */
uint64_t px_snap_size(uint64_t list_len, uint64_t dedup_n);

/* CRC-32C of every byte before the trailer (ignores s->crc). */
uint32_t px_snap_crc(const px_snap_src *s);

/* Copy bytes [off, off + n) of the serialization into buf, clipped to its
 * end; returns the bytes copied (0 at or past the end). */
size_t px_snap_read(const px_snap_src *s, uint64_t off, uint8_t *buf, size_t n);

/* A parsed snapshot: counts, and the raw entries and list inside the
 * parsed buffer (valid while it is). */
typedef struct px_snap_view {
    uint64_t slot, list_len, dedup_n;
    uint32_t crc;
    const uint8_t *dedup;
    const uint8_t *list;
} px_snap_view;

/* Check buf[0..len) completely: magic, format, reserved, slot > 0, sizes
 * that add up to len exactly, at most dedup_max entries, each with seq > 0,
 * a client above the previous one, a slot below the snapshot's and a
 * result inside the list, and the CRC.  0 and *v filled, or -1 with the
 * reason in err. */
int px_snap_parse(const uint8_t *buf, size_t len, uint64_t dedup_max, px_snap_view *v,
                  char *err, size_t errlen);

/* Entry i / list element i of a parsed snapshot. */
void px_snap_entry(const px_snap_view *v, uint64_t i, dedup_entry *e);
int64_t px_snap_value(const px_snap_view *v, uint64_t i);

#endif
