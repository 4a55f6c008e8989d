/* fileio.h -- the two file operations every durable file here needs: a
 * write that survives short writes and signals, and an fsync of a
 * directory (so a created or renamed file's name is durable too). */
#ifndef PX_FILEIO_H
#define PX_FILEIO_H

#include <stddef.h>
#include <stdint.h>

/* Write all n bytes; 0, or -1 with errno set. */
int px_write_full(int fd, const uint8_t *buf, size_t n);

/* fsync the directory at path; 0, or -1 with errno set. */
int px_fsync_dir(const char *path);

#endif
