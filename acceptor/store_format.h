/* store_format.h -- the byte layout of acceptor.log, without any I/O: how a
 * record is framed and checked, in the current format (3) and in the older
 * ones (1 and 2) that are still read so they can be converted.
 *
 * Version 3, all integers little-endian:
 *
 *   file header  u32 magic "PXAL"  u32 version 3  u64 salt  u32 crc
 *   record       u32 hcrc  u8 type  u8 flags  u16 n  u32 batch
 *                u64 ballot.round  u32 ballot.node  u64 slot
 *                [u32 pcrc  n * (u8 kind  u64 client  u64 seq  i64 value)]  if n > 0
 *   marker       u32 hcrc  u8 'C'  u8 0  u16 0  u32 batch
 *
 * The salt is random per file and seeds every checksum, so bytes of another
 * file (an older log whose blocks the file system reused) never read as
 * records of this one.  hcrc covers the rest of the header, so a record's
 * type, slot and ballot are trustworthy even when its commands are damaged;
 * pcrc covers the commands and is seeded with hcrc, which ties them to their
 * header.  The header fixes the record's size: a decoder never guesses.
 *
 * Batches: the store writes everything appended between two syncs with one
 * write, all of it stamped with the same batch number (1, 2, 3, ... within
 * a file), the last record flagged END.  After the fdatasync returns it
 * writes a commit marker for the batch (not itself synced: the next sync or
 * the kernel's write-back makes it durable).  So a marker, or any record of
 * a later batch, proves that every byte before it was durable once; this is
 * what recovery uses to tell a torn write from damage (store.c).
 *
 * Versions 1 and 2 (no salt, no batches; v1 lacks TRIM records):
 *
 *   file header  u32 magic "PXAL"  u32 version
 *   record       u32 magic "PXAR"  u32 length  u32 crc  payload
 *   payload      u8 type  u64 round  u32 node  u64 slot  u16 n  n * command
 */
#ifndef PX_ACC_STORE_FORMAT_H
#define PX_ACC_STORE_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include "acceptor.h"

#define ALOG_MAGIC 0x4C415850u /* "PXAL" */
#define ALOG_VERSION 3u
#define ALOG_FILE_HDR 20         /* version 3 */
#define ALOG_FILE_HDR_OLD 8      /* versions 1 and 2 */
#define ALOG_REC_HDR 32
#define ALOG_MARKER 12
#define ALOG_CMD 25
#define ALOG_MAX_REC (ALOG_REC_HDR + 4 + ALOG_CMD * PX_MAX_BATCH)
#define ALOG_MAX_REC_OLD (12 + 23 + ALOG_CMD * PX_MAX_BATCH)

/* A record or marker whose header checked out.  For a record, rec holds
 * type, ballot, slot and value.n; the commands only after
 * alog_parse_commands. */
typedef struct alog_item {
    int marker;     /* 1: a commit marker, 0: a record */
    int end;        /* a record that ends its batch */
    uint32_t batch;
    size_t size;    /* bytes it occupies, from its header */
    acc_record rec;
} alog_item;

/* The checksum seed of a file with this salt. */
uint32_t alog_seed(uint64_t salt);

/* Version 3 file header into h[ALOG_FILE_HDR]. */
void alog_put_file_header(uint8_t *h, uint64_t salt);

/* Checks a version 3 file header: 0 and *salt, or -1 with why. */
int alog_get_file_header(const uint8_t *h, uint64_t *salt, char *why, size_t whylen);

/* Encodes r into p (room for ALOG_MAX_REC bytes) as a record of batch,
 * not flagged END; returns its size. */
size_t alog_put_record(const acc_record *r, uint32_t batch, uint32_t seed, uint8_t *p);

/* Flags the record at p END (the last one of its batch), checksums redone. */
void alog_set_end(uint8_t *p, uint32_t seed);

/* Encodes the commit marker of batch into p[ALOG_MARKER]. */
size_t alog_put_marker(uint32_t batch, uint32_t seed, uint8_t *p);

/* Reads the header of a record or marker from the avail bytes at p.
 * 0 if it checks out (it->size may still exceed avail: the file ends
 * inside it); -1 with why otherwise. */
int alog_parse_header(const uint8_t *p, size_t avail, uint32_t seed, alog_item *it, char *why,
                      size_t whylen);

/* For a record whose header checked out and whose it->size bytes are all
 * at p: verifies and decodes its commands.  0, or -1 with why. */
int alog_parse_commands(const uint8_t *p, alog_item *it, char *why, size_t whylen);

/* Version 1 and 2: parses one record from the avail bytes at p into r.
 * Returns its size, or 0 with why. */
size_t alog_parse_old(const uint8_t *p, size_t avail, acc_record *r, char *why, size_t whylen);

/* "ACCEPT slot 17 ballot (4,2)", "PROMISE ballot (5,1)", "TRIM below 9
 * ballot (5,1)" into buf. */
void alog_describe(const acc_record *r, char *buf, size_t len);

#endif
