/* fileio.h -- the file operations every durable file here needs: a write
 * that survives short writes and signals, an fsync of a directory (so a
 * created or renamed file's name is durable too), and an atomic replace. */
#ifndef PX_FILEIO_H
#define PX_FILEIO_H

#include <stddef.h>
#include <stdint.h>

/* Write all n bytes; 0, or -1 with errno set. */
int px_write_full(int fd, const uint8_t *buf, size_t n);

/* fsync the directory at path; 0, or -1 with errno set. */
int px_fsync_dir(const char *path);

/* Writes a file's new contents into an open fd: 0, or -1 with errno set. */
typedef int (*px_fill_fn)(void *arg, int fd);

/* Replace dir/name atomically: fill writes the new contents into
 * dir/name.tmp, which is fsynced (if fsync_on), renamed over dir/name, and
 * the directory fsynced (if fsync_on), so after a crash dir/name is either
 * the old file or the whole new one.  0, or -1 with err naming the step and
 * the reason; the .tmp is removed on failure. */
int px_replace_file(const char *dir, const char *name, px_fill_fn fill, void *arg, int fsync_on,
                    char *err, size_t errlen);

/* Test hooks, set once at start by processes that inject faults
 * (common/faults.h); both off by default, and fileio then behaves exactly
 * as documented above.
 *   unsynced_us: px_replace_file waits this long after writing the .tmp
 *     and before it syncs and renames it (a simulated device latency), so
 *     a kill -9 meanwhile loses the new contents, as a power cut loses
 *     writes the device has not finished: dir/name stays the old file.
 *   before_rename: called with name once the .tmp is complete, before
 *     the rename (a failpoint may crash or stall the process there). */
void px_fileio_set_test_hooks(unsigned unsynced_us, void (*before_rename)(const char *name));

#endif
