/* test_fileio.c -- the atomic replace of common/fileio.c under its test
 * hooks: with a simulated device latency a kill -9 before the sync loses
 * the new contents (the old file stays, as after a power cut), and the
 * before-rename hook runs after the .tmp is complete and before the
 * rename.  Without hooks a replace is whole and immediate. */
#include "common/fileio.h"
#include "check.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char dir[64], path[128], tmp[140];

static void fresh_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/px-fileio-XXXXXX");
    if (!mkdtemp(dir)) abort();
    snprintf(path, sizeof path, "%s/state", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
}

static void rm_dir(void)
{
    unlink(tmp);
    unlink(path);
    rmdir(dir);
}

static int fill_text(void *arg, int fd)
{
    const char *s = arg;
    return px_write_full(fd, (const uint8_t *)s, strlen(s));
}

static int replace(const char *text)
{
    char err[256];
    return px_replace_file(dir, "state", fill_text, (void *)text, 1, err, sizeof err);
}

static void contents(char *buf, size_t cap)
{
    buf[0] = 0;
    FILE *f = fopen(path, "r");
    if (!f) return;
    size_t n = fread(buf, 1, cap - 1, f);
    buf[n] = 0;
    fclose(f);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The child replaces the file, the parent kills it after kill_ms. */
static void replace_and_kill(const char *text, long kill_ms)
{
    pid_t pid = fork();
    if (pid == 0) {
        _exit(replace(text) == 0 ? 0 : 1);
    }
    sleep_ms(kill_ms);
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
}

static void test_plain_replace(void)
{
    fresh_dir();
    px_fileio_set_test_hooks(0, NULL);
    char buf[64];
    CHECK(replace("one") == 0);
    contents(buf, sizeof buf);
    CHECK(strcmp(buf, "one") == 0 && access(tmp, F_OK) != 0);
    /* a kill long after the replace returned loses nothing */
    replace_and_kill("two", 300);
    contents(buf, sizeof buf);
    CHECK(strcmp(buf, "two") == 0);
    rm_dir();
}

static void test_kill_before_sync_loses_the_write(void)
{
    fresh_dir();
    px_fileio_set_test_hooks(0, NULL);
    REQUIRE(replace("old") == 0);
    px_fileio_set_test_hooks(400000, NULL); /* 400 ms of device latency */
    replace_and_kill("new", 100);
    char buf[64];
    contents(buf, sizeof buf);
    CHECK(strcmp(buf, "old") == 0); /* the new contents never reached the device */
    /* given the time, the replace completes */
    replace_and_kill("newer", 800);
    contents(buf, sizeof buf);
    CHECK(strcmp(buf, "newer") == 0);
    px_fileio_set_test_hooks(0, NULL);
    rm_dir();
}

static char hooked_name[32];
static int tmp_complete_at_hook, file_at_hook;

static void before_rename(const char *name)
{
    char buf[64] = "";
    snprintf(hooked_name, sizeof hooked_name, "%s", name);
    FILE *f = fopen(tmp, "r");
    if (f) {
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        buf[n] = 0;
        fclose(f);
    }
    tmp_complete_at_hook = strcmp(buf, "after") == 0;
    contents(buf, sizeof buf);
    file_at_hook = strcmp(buf, "before") == 0;
}

static void test_hook_between_tmp_and_rename(void)
{
    fresh_dir();
    px_fileio_set_test_hooks(0, NULL);
    REQUIRE(replace("before") == 0);
    px_fileio_set_test_hooks(0, before_rename);
    REQUIRE(replace("after") == 0);
    CHECK(strcmp(hooked_name, "state") == 0);
    CHECK(tmp_complete_at_hook && file_at_hook);
    char buf[64];
    contents(buf, sizeof buf);
    CHECK(strcmp(buf, "after") == 0);
    px_fileio_set_test_hooks(0, NULL);
    rm_dir();
}

int main(void)
{
    RUN(test_plain_replace);
    RUN(test_kill_before_sync_loses_the_write);
    RUN(test_hook_between_tmp_and_rename);
    return check_summary();
}
