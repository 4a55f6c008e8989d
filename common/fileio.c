/* fileio.c -- see fileio.h. */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static unsigned test_unsynced_us;
static void (*test_before_rename)(const char *name);

void px_fileio_set_test_hooks(unsigned unsynced_us, void (*before_rename)(const char *name))
{
    test_unsynced_us = unsynced_us;
    test_before_rename = before_rename;
}

/* Test mode: the written .tmp is not on the device yet for this long. */
static void device_latency(void)
{
    struct timespec ts = {test_unsynced_us / 1000000, (long)(test_unsynced_us % 1000000) * 1000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

int px_write_full(int fd, const uint8_t *buf, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, buf, n);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return -1;
        buf += w;
        n -= (size_t)w;
    }
    return 0;
}

int px_fsync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

/* fill into a fresh tmp, durably if fsync_on.  0 or -1 (errno). */
static int write_tmp(const char *tmp, px_fill_fn fill, void *arg, int fsync_on)
{
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return -1;
    int rc = fill(arg, fd);
    if (rc == 0 && test_unsynced_us) device_latency();
    if (rc == 0 && fsync_on) rc = fsync(fd);
    int saved = errno;
    if (close(fd) < 0 && rc == 0) return -1;
    errno = saved;
    return rc;
}

int px_replace_file(const char *dir, const char *name, px_fill_fn fill, void *arg, int fsync_on,
                    char *err, size_t errlen)
{
    char path[600], tmp[610];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (write_tmp(tmp, fill, arg, fsync_on) < 0) {
        snprintf(err, errlen, "%s: writing: %s", tmp, strerror(errno));
        unlink(tmp);
        return -1;
    }
    if (test_before_rename) test_before_rename(name);
    if (rename(tmp, path) < 0) {
        snprintf(err, errlen, "rename %s to %s: %s", tmp, path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    /* The rename is durable only once the directory is. */
    if (fsync_on && px_fsync_dir(dir) < 0) {
        snprintf(err, errlen, "%s: fsync of directory %s: %s", path, dir, strerror(errno));
        return -1;
    }
    return 0;
}
