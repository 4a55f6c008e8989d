/* ipc.h -- a node's unix sockets: where they are, and listeners that are
 * their owner's alone.  Every process of a node listens in the node
 * directory (mode 0700): on <role>.ipc for protocol frames (net.c) and on
 * <role>.ctl for control requests (ctl.c).  A listener's socket file is
 * mode 0600 whatever the umask, and a connection whose peer runs under
 * another uid is closed before it carries a byte, counted and logged.
 * See docs/SECURITY.md. */
#ifndef PX_IPC_H
#define PX_IPC_H

#include <stddef.h>
#include <stdint.h>

#include <nng/nng.h>

#include "config.h"

/* ipc://<node_dir>/<role>.<suffix> into buf; -1 if the path is too long
 * for a unix socket. */
int px_ipc_url(const px_config *cfg, uint32_t node, int role, const char *suffix, char *buf,
               size_t len);

/* Listens on url with the owner-only rules above; the listener in *out if
 * out is not NULL.  0, or an nng error with err filled. */
int px_ipc_listen(nng_socket s, const char *url, nng_listener *out, char *err, size_t errlen);

#endif
