/* http_client.c -- see http_client.h. */
#include "http_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <netinet/tcp.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void http_init(http_conn *c, const char *host, int port, const char *source_host,
               int timeout_ms)
{
    memset(c, 0, sizeof(*c));
    c->fd = -1;
    c->server.sin_family = AF_INET;
    c->server.sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, host, &c->server.sin_addr);
    c->source.sin_family = AF_INET;
    if (source_host == NULL || inet_pton(AF_INET, source_host, &c->source.sin_addr) != 1)
        c->source.sin_addr.s_addr = htonl(INADDR_ANY);
    c->timeout_ms = timeout_ms;
}

void http_close(http_conn *c)
{
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
}

static int connect_now(http_conn *c)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    struct timeval tv = {c->timeout_ms / 1000, (c->timeout_ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (c->source.sin_addr.s_addr != htonl(INADDR_ANY) &&
        bind(fd, (struct sockaddr *)&c->source, sizeof(c->source)) != 0) {
        close(fd);
        return -1;
    }
    /* A blocking connect bounded by SO_SNDTIMEO: a partitioned gateway
     * gives ETIMEDOUT / EINPROGRESS rather than hanging. */
    if (connect(fd, (struct sockaddr *)&c->server, sizeof(c->server)) != 0) {
        close(fd);
        return -1;
    }
    c->fd = fd;
    return 0;
}

static int send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int grow(http_conn *c, size_t need)
{
    if (need <= c->cap) return 0;
    size_t cap = c->cap ? c->cap : 65536;
    while (cap < need) cap *= 2;
    char *b = realloc(c->buf, cap);
    if (b == NULL) return -1;
    c->buf = b;
    c->cap = cap;
    return 0;
}

/* Reads until the headers and the Content-Length body are in, or the
 * deadline passes.  Returns the total bytes of the response or -1. */
static long read_response(http_conn *c, long long deadline, size_t *hdr_len, size_t *body_len)
{
    size_t have = 0;
    long clen = -1;
    *hdr_len = 0;
    for (;;) {
        if (*hdr_len && clen >= 0 && have >= *hdr_len + (size_t)clen) {
            *body_len = (size_t)clen;
            return (long)(*hdr_len + (size_t)clen);
        }
        long long left = deadline - now_ms();
        if (left <= 0) return -1;
        struct pollfd pfd = {c->fd, POLLIN, 0};
        int pr = poll(&pfd, 1, (int)left);
        if (pr < 0 && errno == EINTR) continue;
        if (pr <= 0) return -1;
        if (grow(c, have + 65536 + 1) != 0) return -1;
        ssize_t r = recv(c->fd, c->buf + have, c->cap - have - 1, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        have += (size_t)r;
        c->buf[have] = 0;
        if (*hdr_len == 0) {
            char *end = strstr(c->buf, "\r\n\r\n");
            if (end == NULL) continue;
            *hdr_len = (size_t)(end - c->buf) + 4;
            char *cl = strcasestr(c->buf, "\r\nContent-Length:");
            if (cl == NULL || cl > end) return -1;
            clen = strtol(cl + 17, NULL, 10);
            if (clen < 0) return -1;
            if (grow(c, *hdr_len + (size_t)clen + 1) != 0) return -1;
        }
    }
}

int http_request(http_conn *c, const char *method, const char *path, const char *body,
                 http_response *resp)
{
    char req[512];
    size_t blen = body ? strlen(body) : 0;
    int n = snprintf(req, sizeof(req),
                     "%s %s HTTP/1.1\r\nHost: paxos\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\n\r\n%s",
                     method, path, blen, body ? body : "");
    if (n < 0 || (size_t)n >= sizeof(req)) return HTTP_NOT_SENT;

    /* A kept-alive connection the server closed meanwhile fails on send or
     * on the first read with nothing received; only a fresh connection's
     * failure after sending is a real unknown.  To stay on the safe side we
     * treat any failure after a successful send as HTTP_LOST. */
    if (c->fd < 0 && connect_now(c) != 0) return HTTP_NOT_SENT;
    if (send_all(c->fd, req, (size_t)n) != 0) {
        http_close(c);
        return HTTP_NOT_SENT;
    }
    size_t hdr_len, body_len;
    long total = read_response(c, now_ms() + c->timeout_ms, &hdr_len, &body_len);
    if (total < 0) {
        http_close(c);
        return HTTP_LOST;
    }
    resp->status = atoi(c->buf + 9); /* "HTTP/1.1 200" */
    resp->body = c->buf + hdr_len;
    resp->body_len = body_len;
    c->buf[hdr_len + body_len] = 0;
    if (strcasestr(c->buf, "\r\nConnection: close") != NULL &&
        strcasestr(c->buf, "\r\nConnection: close") < c->buf + hdr_len)
        http_close(c);
    return HTTP_OK;
}
