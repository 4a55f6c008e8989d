/* crc32c.h -- CRC-32C (Castagnoli), used by wire frames and on-disk records. */
#ifndef PX_CRC32C_H
#define PX_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Continue a CRC: pass 0 to start. */
uint32_t px_crc32c(uint32_t crc, const void *data, size_t len);

#endif
