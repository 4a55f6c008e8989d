/* round_file.c -- proposer.state: load at start, atomic replace per
 * election.  See round_file.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../common/crc32c.h"
#include "round_file.h"
#include "../common/bytes.h"
#include "../common/fileio.h"
#include "../common/types.h"

#define RF_MAGIC 0x53505850u /* "PXPS" little-endian */
#define RF_VERSION 1u
#define RF_SIZE 20

static void fmt(char *err, size_t errlen, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    vsnprintf(err, errlen, f, ap);
    va_end(ap);
}


/* Reads up to n bytes; the count read, or -1.  Reads one byte past the
 * expected size so that a too-long file is caught. */
static ssize_t read_upto(int fd, uint8_t *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -1;
        if (r == 0) break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}


/* The checks of a file's bytes, in order; NULL if it is valid. */
static const char *check(const uint8_t *b, ssize_t len)
{
    if (len != RF_SIZE) return "wrong size";
    if (px_get32(b) != RF_MAGIC) return "bad magic";
    if (px_get32(b + 4) != RF_VERSION) return "unknown version";
    if (px_get32(b + 16) != px_crc32c(0, b, 16)) return "bad CRC";
    /* No proposer campaigns above the ceiling (PX_MAX_ROUND) and no decoder
     * takes a ballot above it, so such a round was never ours: a bug or a
     * forged file, and the next round + 1 could wrap. */
    if (px_get64(b + 8) > PX_MAX_ROUND) return "round above the ceiling 2^60";
    return NULL;
}

/* Every reason not to trust the file gets the same operator advice. */
static int refuse(char *err, size_t errlen, const char *path, const char *why)
{
    fmt(err, errlen, "%s: %s; refusing to start: round 0 could reuse a ballot "
        "(see OPERATIONS.md, proposer.state)", path, why);
    return -1;
}

int prop_round_load(const char *dir, uint64_t *round, char *err, size_t errlen)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, PROP_ROUND_FILE);
    *round = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) return 0; /* first start */
    if (fd < 0) return refuse(err, errlen, path, strerror(errno));
    uint8_t b[RF_SIZE + 1];
    ssize_t n = read_upto(fd, b, sizeof b);
    int saved = errno;
    close(fd);
    if (n < 0) return refuse(err, errlen, path, strerror(saved));
    const char *bad = check(b, n);
    if (bad) return refuse(err, errlen, path, bad);
    *round = px_get64(b + 8);
    return 0;
}


/* The file's 20 bytes, for px_replace_file. */
static int fill_round(void *arg, int fd)
{
    uint8_t b[RF_SIZE];
    px_put32(b, RF_MAGIC);
    px_put32(b + 4, RF_VERSION);
    px_put64(b + 8, *(const uint64_t *)arg);
    px_put32(b + 16, px_crc32c(0, b, 16));
    return px_write_full(fd, b, sizeof b);
}

int prop_round_store(const char *dir, uint64_t round, int fsync_on, char *err, size_t errlen)
{
    return px_replace_file(dir, PROP_ROUND_FILE, fill_round, &round, fsync_on, err, errlen);
}
