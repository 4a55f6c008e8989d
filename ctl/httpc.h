/* httpc.h -- the smallest HTTP/1.1 client paxosctl needs: one request per
 * connection ("Connection: close"), plain sockets, a deadline. */
#ifndef PX_CTL_HTTPC_H
#define PX_CTL_HTTPC_H

#include <stddef.h>

enum httpc_err {
    HTTPC_OK = 0,
    HTTPC_RESOLVE = 1,     /* host is not a name or address we can use */
    HTTPC_UNREACHABLE = 2, /* refused / no route: nothing was sent */
    HTTPC_TIMEOUT = 3,     /* no complete answer before the deadline */
    HTTPC_BROKEN = 4       /* connection broke, or the answer is not HTTP */
};

typedef struct httpc_resp {
    int status;
    char *body; /* malloc'd, nul-terminated; caller frees */
    size_t body_len;
} httpc_resp;

/* method host:port path; body (may be NULL) is sent as application/json;
 * header is one extra "Name: value" line or NULL. */
int httpc_request(const char *host, int port, const char *method, const char *path,
                  const char *body, const char *header, int timeout_ms, httpc_resp *out);
const char *httpc_strerror(int err);

#endif
