/* http.h -- what the libmicrohttpd side of the gateway shares: http.c (the
 * request handlers), httpd.c (the daemon) and conns.c (the connections).
 * Kept out of gateway.h so the socket-free parts build without
 * libmicrohttpd. */
#ifndef PX_GATEWAY_HTTP_H
#define PX_GATEWAY_HTTP_H

#include <microhttpd.h>

#include "gateway.h"

/* ---- http.c ------------------------------------------------------------ */

/* libmicrohttpd's access handler (cls: the gw). */
enum MHD_Result gw_http_handler(void *cls, struct MHD_Connection *c, const char *url,
                                const char *method, const char *version, const char *upload,
                                size_t *upload_size, void **con_cls);
/* MHD_OPTION_URI_LOG_CALLBACK: the request line is in; returns the request's
 * state, which libmicrohttpd hands the handler as *con_cls. */
void *gw_http_request_begins(void *cls, const char *uri, struct MHD_Connection *c);
/* MHD_OPTION_NOTIFY_COMPLETED: the request ended, answered or not. */
void gw_http_request_ends(void *cls, struct MHD_Connection *c, void **con_cls,
                          enum MHD_RequestTerminationCode toe);
/* Resume a suspended connection (the loop's g->resume). */
void gw_http_resume(void *conn);

/* ---- conns.c ----------------------------------------------------------- */

/* libmicrohttpd accepted / closed a connection (*ctx is its socket context). */
void gw_conn_started(gw *g, struct MHD_Connection *c, void **ctx);
void gw_conn_closed(gw *g, void *ctx);
/* The connection's state, or NULL if it is not tracked. */
struct gw_conn *gw_conn_of(struct MHD_Connection *c);
/* Its request is in whole (or answered before that): its deadline stops. */
void gw_conn_busy(struct gw_conn *k);
/* Its answer went out: the next request's deadline starts with its first byte. */
void gw_conn_idle(gw *g, struct gw_conn *k);
/* On the loop thread: close the connections whose request is late. */
void gw_conns_sweep(gw *g);

#endif
