/* imap.h -- an open-addressing hash map from int64 keys to int32 values,
 * used for "which append wrote this value" and "which op is this process
 * running".  Keys are arbitrary 64-bit ints (values and process ids come from
 * the history), so the empty-slot marker is a separate byte array rather
 * than a reserved key. */
#ifndef PX_IMAP_H
#define PX_IMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct imap {
    int64_t *keys;
    int32_t *vals;
    uint8_t *used;
    size_t cap, n;   /* cap is a power of two */
} imap;

void imap_free(imap *m);
/* Returns a pointer to the value for key, or NULL. */
int32_t *imap_get(const imap *m, int64_t key);
/* Inserts or overwrites. */
void imap_put(imap *m, int64_t key, int32_t val);
/* Removes key if present (backward-shift deletion keeps probes short). */
void imap_del(imap *m, int64_t key);

#endif
