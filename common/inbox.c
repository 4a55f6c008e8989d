/* inbox.c -- messages nng's threads have received, waiting for a role's
 * loop (see inbox.h). */
#include "inbox.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct px_inbox {
    nng_socket s;
    nng_aio *aio;
    pthread_mutex_t mu;
    nng_msg *q[PX_INBOX_MAX]; /* a ring: q[head], ... q[head + count - 1] */
    unsigned head, count;
    int posted; /* a receive is outstanding on aio */
    int failed; /* receiving stopped for good (closed, or stopping) */
    int efd;    /* readable while the inbox may hold a message */
};

static void signal_fd(px_inbox *b)
{
    uint64_t one = 1;
    /* EAGAIN: the counter is already non-zero, the fd already readable */
    while (write(b->efd, &one, sizeof one) < 0 && errno == EINTR) {}
}

static void clear_fd(px_inbox *b)
{
    uint64_t v;
    while (read(b->efd, &v, sizeof v) < 0 && errno == EINTR) {}
}

/* On an nng thread: one message in (or an error).  Posts the next receive
 * unless the inbox is full; take does that once there is room again. */
static void received(void *arg)
{
    px_inbox *b = arg;
    int rv = nng_aio_result(b->aio);
    pthread_mutex_lock(&b->mu);
    b->posted = 0;
    if (rv == 0) {
        nng_msg *m = nng_aio_get_msg(b->aio);
        nng_aio_set_msg(b->aio, NULL);
        /* posted only with room: count < PX_INBOX_MAX here */
        b->q[(b->head + b->count) % PX_INBOX_MAX] = m;
        if (b->count++ == 0) signal_fd(b);
    } else if (rv == NNG_ECLOSED || rv == NNG_ECANCELED) {
        b->failed = 1;
        signal_fd(b); /* a loop waiting for messages learns there will be none */
    }
    /* other errors (out of memory) lose nothing that was received: retry */
    if (!b->failed && b->count < PX_INBOX_MAX) {
        b->posted = 1;
        nng_recv_aio(b->s, b->aio);
    }
    pthread_mutex_unlock(&b->mu);
}

px_inbox *px_inbox_open(nng_socket s, char *err, size_t errlen)
{
    px_inbox *b = calloc(1, sizeof *b);
    if (!b) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    b->s = s;
    b->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    int rv = b->efd < 0 ? NNG_ENOMEM : nng_aio_alloc(&b->aio, received, b);
    if (rv != 0) {
        snprintf(err, errlen, "cannot start receiving: %s",
                 b->efd < 0 ? "no eventfd" : nng_strerror(rv));
        if (b->efd >= 0) close(b->efd);
        free(b);
        return NULL;
    }
    nng_aio_set_timeout(b->aio, NNG_DURATION_INFINITE);
    pthread_mutex_init(&b->mu, NULL);
    pthread_mutex_lock(&b->mu);
    b->posted = 1;
    nng_recv_aio(b->s, b->aio);
    pthread_mutex_unlock(&b->mu);
    return b;
}

int px_inbox_take(px_inbox *b, nng_msg **out)
{
    int got = 0;
    pthread_mutex_lock(&b->mu);
    if (b->count > 0) {
        *out = b->q[b->head];
        b->head = (b->head + 1) % PX_INBOX_MAX;
        b->count--;
        got = 1;
        /* room again: receive the message nng holds for us */
        if (!b->posted && !b->failed) {
            b->posted = 1;
            nng_recv_aio(b->s, b->aio);
        }
    } else {
        /* under the lock: a message that arrives after this signals again */
        clear_fd(b);
        if (b->failed) got = -1;
    }
    pthread_mutex_unlock(&b->mu);
    return got;
}

int px_inbox_fd(const px_inbox *b)
{
    return b->efd;
}

void px_inbox_close(px_inbox *b)
{
    if (!b) return;
    pthread_mutex_lock(&b->mu);
    b->failed = 1; /* a callback that runs from now on posts nothing */
    pthread_mutex_unlock(&b->mu);
    nng_aio_stop(b->aio); /* cancels the receive, waits for its callback */
    nng_aio_free(b->aio);
    for (unsigned i = 0; i < b->count; i++) nng_msg_free(b->q[(b->head + i) % PX_INBOX_MAX]);
    pthread_mutex_destroy(&b->mu);
    close(b->efd);
    free(b);
}
