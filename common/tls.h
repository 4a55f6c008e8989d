/* tls.h -- the cluster's certificates as nng TLS configurations.
 *
 * Peers authenticate each other with mutual TLS (tls+tcp://): every node
 * has a certificate signed by the cluster CA (tls_ca) and its own private
 * key.  A listener requires the dialer's certificate and checks it against
 * the CA; a dialer checks the listener's certificate against the CA and
 * against the host it dialled (the certificate's subjectAltName must name
 * it), so a node cannot be impersonated by a certificate made for another.
 * A key file that group or others can read is refused: it is the node's
 * whole identity.  See docs/SECURITY.md. */
#ifndef PX_TLS_H
#define PX_TLS_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct nng_tls_config;

/* The listener side of node self.  0, or -1 with the reason in err. */
int px_tls_server(const px_config *cfg, uint32_t self, struct nng_tls_config **out, char *err,
                  size_t errlen);

/* The dialer side of node self towards node peer.  0, or -1 with err. */
int px_tls_client(const px_config *cfg, uint32_t self, uint32_t peer,
                  struct nng_tls_config **out, char *err, size_t errlen);

/* Reads the PEM file a setting names (`what`, e.g. "tls_key"; the path is
 * resolved against the config file's folder) into a new nul-terminated
 * buffer; private_key: refuse a file that group or others may read.  NULL
 * with err naming the file and what is wrong.  (The gateway's HTTPS reads
 * its certificate and key with it.) */
char *px_tls_read_pem(const px_config *cfg, const char *what, const char *name, int private_key,
                      char *err, size_t errlen);

/* Reads node self's certificate, key and the CA and checks the key's mode,
 * without building anything: what a process checks before it says it is
 * ready.  0, or -1 with err naming the file and what is wrong. */
int px_tls_check(const px_config *cfg, uint32_t self, char *err, size_t errlen);

#endif
