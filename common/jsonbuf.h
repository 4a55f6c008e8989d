/* jsonbuf.h -- ending a JSON object built with snprintf into a fixed
 * buffer (the roles' status counters): a cut one must still parse. */
#ifndef PX_JSONBUF_H
#define PX_JSONBUF_H

#include <stddef.h>
#include <stdio.h>

/* Closes the object whose text fills buf[0, off) with '}'; if that no
 * longer fits in cap, the whole answer becomes "{}" rather than a cut
 * object nobody can parse.  Returns buf. */
static inline const char *px_json_close(char *buf, size_t off, size_t cap)
{
    if (off + 2 <= cap) {
        buf[off] = '}';
        buf[off + 1] = 0;
    } else if (cap >= 3) {
        snprintf(buf, cap, "{}");
    }
    return buf;
}

#endif
