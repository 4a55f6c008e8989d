/* httpc.h -- paxosctl's HTTP client: one request per run, on libcurl, so
 * that an HTTPS gateway (gateway_https) is checked against the cluster CA
 * like any other TLS client would.  (The load generators -- paxos-bench and
 * the Jepsen client -- keep common/http_client.c: see its header for why.) */
#ifndef PX_CTL_HTTPC_H
#define PX_CTL_HTTPC_H

#include <stddef.h>

enum httpc_err {
    HTTPC_OK = 0,
    HTTPC_RESOLVE = 1,     /* host is not a name or address we can use */
    HTTPC_UNREACHABLE = 2, /* refused / no route / TLS refused: nothing was sent */
    HTTPC_TIMEOUT = 3,     /* sent, and no complete answer before the deadline */
    HTTPC_BROKEN = 4,      /* sent, then the connection broke, or the answer is not HTTP */
    HTTPC_TLS = 5          /* the gateway's certificate is not the cluster CA's: nothing sent */
};

typedef struct httpc_resp {
    int status;
    char *body; /* malloc'd, nul-terminated; caller frees */
    size_t body_len;
} httpc_resp;

/* method base path: base is "http://HOST:PORT" or "https://HOST:PORT";
 * cafile (https only; NULL: the system's) is the CA the gateway's
 * certificate must chain to; body (may be NULL) is sent as
 * application/json; header is one extra "Name: value" line or NULL. */
int httpc_request(const char *base, const char *cafile, const char *method, const char *path,
                  const char *body, const char *header, int timeout_ms, httpc_resp *out);
const char *httpc_strerror(int err);

#endif
