/* http_client.h -- a minimal HTTP/1.1 keep-alive client, shared by the
 * Jepsen load generator (jepsen/client) and the benchmark (bench/): one
 * connection, one request at a time, Content-Length bodies only (which is
 * what the gateway and etcd's JSON gateway send).  Distinguishes "the
 * request never left" from "sent, then lost", because that decides :fail
 * versus :info in a Jepsen history.
 *
 * Why not libcurl (which paxosctl and the gateway use): on a kept-alive
 * connection that turns out dead, libcurl re-sends the request on a fresh
 * one by itself when no answer byte came back -- including a POST the
 * gateway may already have applied -- and then reports only the second
 * attempt's fate.  A refused reconnect would be recorded as :fail for an
 * append that happened (a false alarm), and a second apply would be
 * invisible.  Here a request is sent exactly once, and the load generators
 * keep their connections without that ambiguity. */
#ifndef PX_HTTP_CLIENT_H
#define PX_HTTP_CLIENT_H

#include <stddef.h>
#include <netinet/in.h>

enum http_result {
    HTTP_OK = 0,          /* a full response arrived */
    HTTP_NOT_SENT = 1,    /* could not connect or send: the server never saw it */
    HTTP_LOST = 2,        /* sent, then the connection broke or timed out */
};

typedef struct http_conn {
    int fd;
    struct sockaddr_in server;
    struct sockaddr_in source; /* bound before connect, so partitions between
                                  node addresses never cut the client */
    int timeout_ms;
    char *buf;                 /* response buffer, grown as needed */
    size_t cap;
} http_conn;

typedef struct http_response {
    int status;
    const char *body; /* points into the connection's buffer, nul-terminated */
    size_t body_len;
} http_response;

void http_init(http_conn *c, const char *host, int port, const char *source_host,
               int timeout_ms);
void http_close(http_conn *c);

/* Send one request (body may be NULL) and read the response. */
int http_request(http_conn *c, const char *method, const char *path, const char *body,
                 http_response *resp);

#endif
