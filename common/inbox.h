/* inbox.h -- messages nng's threads have received, waiting for a role's loop.
 *
 * nng 1.5.2's PULL socket keeps at most one message per connection and
 * starts reading a connection's next message only when the application
 * takes the last one; a loop that takes messages with nng_recvmsg therefore
 * wakes once per message, and each connection stands still while the loop
 * works.  An inbox keeps one receive posted with a callback instead: the
 * PULL socket hands it each message on the nng thread that read it (no
 * hand-off: pull0 completes a waiting receive synchronously), the next read
 * starts at once, and the message waits here, in order, until the loop
 * takes it.  The loop is woken through an eventfd only when the inbox goes
 * from empty to not empty, so a burst that arrives while the loop works
 * costs no wake-up at all.
 *
 * Bounded: at most PX_INBOX_MAX messages wait; a full inbox stops receiving
 * (nng then holds the next message on its connection and TCP pushes back)
 * until the loop takes one.  Messages are not decoded here: the loop checks
 * them as before (net.c). */
#ifndef PX_INBOX_H
#define PX_INBOX_H

#include <nng/nng.h>

#define PX_INBOX_MAX 256

typedef struct px_inbox px_inbox;

/* Start receiving from s.  NULL with err filled if it cannot. */
px_inbox *px_inbox_open(nng_socket s, char *err, size_t errlen);

/* The oldest waiting message: 1 with *out (the caller frees it), 0 if none
 * waits, -1 if receiving failed for good (the socket is closed). */
int px_inbox_take(px_inbox *b, nng_msg **out);

/* Polls readable when a message may wait (take until 0, then poll). */
int px_inbox_fd(const px_inbox *b);

/* Stop receiving (waits for a callback in progress) and free what waits.
 * Before the socket is closed. */
void px_inbox_close(px_inbox *b);

#endif
