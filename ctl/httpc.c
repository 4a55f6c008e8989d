/* httpc.c -- see httpc.h.  A fresh easy handle per request: no connection
 * is reused, so libcurl never re-sends a request on its own (it does that
 * when a reused connection turns out dead), and "nothing was sent" can be
 * told from "sent, then lost" by the bytes the request put on the wire. */
#include "httpc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#define HTTPC_MAX_BODY (64u << 20) /* a whole list of millions of ints fits */

typedef struct buf {
    char *p;
    size_t n, cap;
    int too_big;
} buf;

static size_t on_data(char *data, size_t size, size_t nmemb, void *arg)
{
    buf *b = arg;
    size_t len = size * nmemb;
    if (b->n + len + 1 > HTTPC_MAX_BODY) {
        b->too_big = 1;
        return 0; /* makes libcurl stop with CURLE_WRITE_ERROR */
    }
    if (b->n + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + len + 1) cap *= 2;
        char *p = realloc(b->p, cap);
        if (p == NULL) return 0;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, data, len);
    b->n += len;
    b->p[b->n] = 0;
    return len;
}

/* libcurl's error as ours.  sent: bytes of the request that left. */
static int classify(CURLcode rc, long sent)
{
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_URL_MALFORMAT:
        return HTTPC_RESOLVE;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
        return HTTPC_TLS;
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
        return HTTPC_UNREACHABLE;
    case CURLE_OPERATION_TIMEDOUT:
        return sent > 0 ? HTTPC_TIMEOUT : HTTPC_UNREACHABLE;
    default:
        return sent > 0 ? HTTPC_BROKEN : HTTPC_UNREACHABLE;
    }
}

static CURL *setup(const char *url, const char *cafile, const char *method, const char *body,
                   struct curl_slist *hdrs, int timeout_ms, buf *b)
{
    CURL *c = curl_easy_init();
    if (c == NULL) return NULL;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
    if (cafile) curl_easy_setopt(c, CURLOPT_CAINFO, cafile);
    if (strcmp(method, "POST") == 0) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
    } else if (strcmp(method, "GET") != 0) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    }
    return c;
}

int httpc_request(const char *base, const char *cafile, const char *method, const char *path,
                  const char *body, const char *header, int timeout_ms, httpc_resp *out)
{
    memset(out, 0, sizeof(*out));
    static int inited;
    if (!inited && curl_global_init(CURL_GLOBAL_DEFAULT) != 0) return HTTPC_BROKEN;
    inited = 1;
    char url[1024];
    if ((size_t)snprintf(url, sizeof(url), "%s%s", base, path) >= sizeof(url)) return HTTPC_RESOLVE;
    struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
    if (header) hdrs = curl_slist_append(hdrs, header);
    buf b = {0};
    CURL *c = setup(url, cafile, method, body, hdrs, timeout_ms, &b);
    if (c == NULL) {
        curl_slist_free_all(hdrs);
        return HTTPC_BROKEN;
    }
    CURLcode rc = curl_easy_perform(c);
    long status = 0, sent = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(c, CURLINFO_REQUEST_SIZE, &sent);
    curl_easy_cleanup(c);
    curl_slist_free_all(hdrs);
    if (rc != CURLE_OK || b.too_big) {
        free(b.p);
        return b.too_big ? HTTPC_BROKEN : classify(rc, sent);
    }
    out->status = (int)status;
    out->body = b.p ? b.p : calloc(1, 1);
    out->body_len = b.n;
    return out->body ? HTTPC_OK : HTTPC_BROKEN;
}

const char *httpc_strerror(int err)
{
    switch (err) {
    case HTTPC_OK: return "ok";
    case HTTPC_RESOLVE: return "not a host we can resolve";
    case HTTPC_UNREACHABLE: return "not reachable (nothing was sent)";
    case HTTPC_TIMEOUT: return "not answering in time";
    case HTTPC_BROKEN: return "broken (the connection closed or the answer is not HTTP)";
    case HTTPC_TLS: return "not trusted (its certificate is not signed by the CA given; nothing was sent)";
    }
    return "?";
}
