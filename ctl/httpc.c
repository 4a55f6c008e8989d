/* httpc.c -- see httpc.h.  Reading until the server closes sidesteps
 * chunked encoding and keep-alive bookkeeping; Content-Length, when
 * present, still ends the read early. */
#include "httpc.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int wait_fd(int fd, short ev, long long deadline)
{
    for (;;) {
        long long left = deadline - now_ms();
        if (left <= 0) return -1;
        struct pollfd p = {fd, ev, 0};
        int r = poll(&p, 1, (int)left);
        if (r < 0 && errno == EINTR) continue;
        return r > 0 ? 0 : -1;
    }
}

/* Non-blocking connect bounded by the deadline. */
static int dial(const char *host, int port, long long deadline, int *fd_out)
{
    char ps[16];
    snprintf(ps, sizeof(ps), "%d", port);
    struct addrinfo hints = {0}, *ai;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, ps, &hints, &ai) != 0) return HTTPC_RESOLVE;
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        freeaddrinfo(ai);
        return HTTPC_UNREACHABLE;
    }
    int rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
    freeaddrinfo(ai);
    if (rc != 0 && errno != EINPROGRESS) {
        close(fd);
        return HTTPC_UNREACHABLE;
    }
    if (rc != 0) {
        int soerr = 0;
        socklen_t len = sizeof(soerr);
        if (wait_fd(fd, POLLOUT, deadline) != 0) {
            close(fd);
            return HTTPC_UNREACHABLE; /* connect timed out: nothing was sent */
        }
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
        if (soerr != 0) {
            close(fd);
            return HTTPC_UNREACHABLE;
        }
    }
    *fd_out = fd;
    return HTTPC_OK;
}

static int send_all(int fd, const char *p, size_t n, long long deadline)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && errno == EAGAIN) {
            if (wait_fd(fd, POLLOUT, deadline) != 0) return HTTPC_TIMEOUT;
            continue;
        }
        if (w <= 0) return HTTPC_BROKEN;
        p += w;
        n -= (size_t)w;
    }
    return HTTPC_OK;
}

/* Offset of the body, or 0 if the headers are not complete yet. */
static size_t header_end(const char *buf)
{
    const char *e = strstr(buf, "\r\n\r\n");
    return e ? (size_t)(e - buf) + 4 : 0;
}

static long content_length(const char *buf, size_t hdr)
{
    const char *p = strcasestr(buf, "\r\ncontent-length:");
    if (p == NULL || (size_t)(p - buf) >= hdr) return -1;
    return strtol(p + 17, NULL, 10);
}

/* Read the whole answer into a growing buffer. */
static int read_all(int fd, long long deadline, char **buf_out, size_t *len_out, size_t *hdr)
{
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap);
    if (buf == NULL) return HTTPC_BROKEN;
    *hdr = 0;
    for (;;) {
        if (len + 4096 + 1 > cap) {
            char *nb = realloc(buf, cap *= 2);
            if (nb == NULL) break;
            buf = nb;
        }
        if (wait_fd(fd, POLLIN, deadline) != 0) {
            free(buf);
            return HTTPC_TIMEOUT;
        }
        ssize_t r = recv(fd, buf + len, cap - len - 1, 0);
        if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (r < 0) break;
        len += (size_t)r;
        buf[len] = 0;
        if (*hdr == 0) *hdr = header_end(buf);
        long cl = *hdr ? content_length(buf, *hdr) : -1;
        if (r == 0 || (cl >= 0 && len >= *hdr + (size_t)cl)) {
            *buf_out = buf;
            *len_out = len;
            return *hdr ? HTTPC_OK : HTTPC_BROKEN;
        }
    }
    free(buf);
    return HTTPC_BROKEN;
}

static int parse_response(char *buf, size_t len, size_t hdr, httpc_resp *out)
{
    int status;
    if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1) return HTTPC_BROKEN;
    long cl = content_length(buf, hdr);
    size_t blen = len - hdr;
    if (cl >= 0 && (size_t)cl < blen) blen = (size_t)cl;
    out->status = status;
    out->body = malloc(blen + 1);
    if (out->body == NULL) return HTTPC_BROKEN;
    memcpy(out->body, buf + hdr, blen);
    out->body[blen] = 0;
    out->body_len = blen;
    return HTTPC_OK;
}

int httpc_request(const char *host, int port, const char *method, const char *path,
                  const char *body, const char *header, int timeout_ms, httpc_resp *out)
{
    long long deadline = now_ms() + timeout_ms;
    memset(out, 0, sizeof(*out));
    int fd, rc = dial(host, port, deadline, &fd);
    if (rc != HTTPC_OK) return rc;
    size_t blen = body ? strlen(body) : 0;
    char head[1024];
    int n = snprintf(head, sizeof(head),
                     "%s %s HTTP/1.1\r\nHost: %s:%d\r\nUser-Agent: paxosctl\r\n"
                     "Connection: close\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\n%s%s\r\n",
                     method, path, host, port, blen, header ? header : "", header ? "\r\n" : "");
    if (n < 0 || (size_t)n >= sizeof(head)) {
        close(fd);
        return HTTPC_BROKEN;
    }
    char *buf = NULL;
    size_t len = 0, hdr = 0;
    rc = send_all(fd, head, (size_t)n, deadline);
    if (rc == HTTPC_OK && blen) rc = send_all(fd, body, blen, deadline);
    if (rc == HTTPC_OK) rc = read_all(fd, deadline, &buf, &len, &hdr);
    close(fd);
    if (rc == HTTPC_OK) rc = parse_response(buf, len, hdr, out);
    free(buf);
    return rc;
}

const char *httpc_strerror(int err)
{
    switch (err) {
    case HTTPC_OK: return "ok";
    case HTTPC_RESOLVE: return "cannot resolve the host";
    case HTTPC_UNREACHABLE: return "not reachable";
    case HTTPC_TIMEOUT: return "did not answer in time";
    default: return "broke the connection or did not answer HTTP";
    }
}
