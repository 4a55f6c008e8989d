/* head.c -- the strict checks of a request's head: its request line and
 * headers, refused before any body is read.
 *
 * libmicrohttpd 0.9.75 is lenient where a front door must not be: it takes
 * the first of two Content-Length headers (a proxy in front may take the
 * other: request smuggling), serves HTTP/1.1 without a Host, accepts any
 * "HTTP/1.x", keeps a header name with a space before its colon (so
 * "Content-Length : 5" is not a Content-Length to it, though it is to some
 * proxies), and reads a body of unknown Transfer-Encoding until the client
 * closes.  http.c collects what it needs into a gw_head once the head is in,
 * and these checks turn each of those into a JSON error; they need no
 * sockets, so they are unit-tested on their own. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "gateway.h"

int gw_header_name_ok(const char *name)
{
    /* RFC 9110 section 5.6.2: token = 1*tchar */
    static const char tchar[] = "!#$%&'*+-.^_`|~";
    if (name == NULL || name[0] == 0) return 0;
    for (const char *p = name; *p; p++) {
        unsigned char c = (unsigned char)*p;
        int alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (!alnum && strchr(tchar, c) == NULL) return 0;
    }
    return 1;
}

static int hex(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

long gw_target_control_at(const char *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)t[i];
        if (c < 0x20 || c == 0x7f) return (long)i;
        if (c == '%' && i + 2 < n && hex(t[i + 1]) >= 0 && hex(t[i + 2]) >= 0) {
            int v = hex(t[i + 1]) * 16 + hex(t[i + 2]);
            if (v < 0x20 || v == 0x7f) return (long)i;
        }
    }
    return -1;
}

static int refuse(int status, char *msg, size_t msglen, const char *fmt, const char *arg)
{
    snprintf(msg, msglen, fmt, arg);
    return status;
}

/* The version, the sizes, the target: what decides whether to read on. */
static int check_line(const gw_head *h, char *msg, size_t msglen)
{
    const char *v = h->version ? h->version : "";
    if (strcmp(v, "HTTP/1.1") != 0 && strcmp(v, "HTTP/1.0") != 0)
        return refuse(505, msg, msglen, "HTTP version \"%.16s\" is not supported: use HTTP/1.1",
                      v);
    if (h->target_len > GW_MAX_URI) {
        snprintf(msg, msglen, "request target too long: %zu bytes, at most %d", h->target_len,
                 GW_MAX_URI);
        return 414;
    }
    if (h->header_bytes > GW_MAX_HEADER_BYTES) {
        snprintf(msg, msglen, "request headers too large: %zu bytes, at most %d", h->header_bytes,
                 GW_MAX_HEADER_BYTES);
        return 431;
    }
    if (h->target_control >= 0) {
        snprintf(msg, msglen, "request target has a control character at offset %ld",
                 h->target_control);
        return 400;
    }
    return 0;
}

/* The headers that say where the request (and the next one) ends. */
static int check_framing(const gw_head *h, char *msg, size_t msglen)
{
    if (h->bad_name != NULL)
        return refuse(400, msg, msglen, "malformed header name \"%.64s\"", h->bad_name);
    if (h->n_host == 0 && strcmp(h->version, "HTTP/1.1") == 0)
        return refuse(400, msg, msglen, "%s", "an HTTP/1.1 request needs a Host header");
    if (h->n_host > 1) return refuse(400, msg, msglen, "%s", "more than one Host header");
    if (h->n_content_length > 1)
        return refuse(400, msg, msglen, "%s", "more than one Content-Length header");
    if (h->n_transfer_encoding > 0 && h->n_content_length > 0)
        return refuse(400, msg, msglen, "%s",
                      "both Transfer-Encoding and Content-Length: send one of them");
    if (h->n_transfer_encoding > 1 ||
        (h->n_transfer_encoding == 1 && strcasecmp(h->transfer_encoding, "chunked") != 0))
        return refuse(501, msg, msglen,
                      "Transfer-Encoding \"%.32s\" is not supported: send the body with "
                      "Content-Length, or chunked",
                      h->transfer_encoding ? h->transfer_encoding : "");
    if (h->n_value_args > 1)
        return refuse(400, msg, msglen, "%s", "query parameter \"value\" given more than once");
    if (h->n_list_args > 1)
        return refuse(400, msg, msglen, "%s", "query parameter \"list\" given more than once");
    return 0;
}

int gw_check_head(const gw_head *h, char *msg, size_t msglen)
{
    int status = check_line(h, msg, msglen);
    return status != 0 ? status : check_framing(h, msg, msglen);
}
