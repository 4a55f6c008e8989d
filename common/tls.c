/* tls.c -- the cluster's certificates as nng TLS configurations (tls.h).
 *
 * nng 1.5.2 (Debian) does TLS with mbedTLS.  The PEM files are read here
 * rather than by nng's *_file helpers so that a missing file, a key others
 * can read, or a file that is not PEM each get an error naming the file. */
#include "tls.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/supplemental/tls/tls.h>

#define PEM_MAX (64 * 1024) /* a certificate chain or key is a few KB */

/* The node's cert, key and the CA as nul-terminated PEM text. */
typedef struct pems {
    char *ca, *cert, *key;
} pems;

static void pems_free(pems *p)
{
    free(p->ca);
    if (p->key) memset(p->key, 0, strlen(p->key)); /* do not leave the key in freed memory */
    free(p->key);
    free(p->cert);
    memset(p, 0, sizeof *p);
}

char *px_tls_read_pem(const px_config *cfg, const char *what, const char *name, int private_key,
                      char *err, size_t errlen)
{
    char path[600];
    px_config_resolve(cfg, name, path, sizeof path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s %s: %s%s", what, path, strerror(errno),
                 errno == ENOENT ? " (scripts/make-certs.sh makes a cluster CA and node certificates)"
                                 : "");
        return NULL;
    }
    struct stat st;
    char *buf = NULL;
    if (fstat(fd, &st) != 0) {
        snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
    } else if (private_key && (st.st_mode & 077)) {
        snprintf(err, errlen, "%s %s is readable by %s (mode %04o): a private key must be the "
                 "owner's alone; chmod 600 %s", what, path,
                 (st.st_mode & 070) ? "its group" : "others", (unsigned)(st.st_mode & 07777), path);
    } else if (st.st_size <= 0 || st.st_size > PEM_MAX) {
        snprintf(err, errlen, "%s %s: %lld bytes; expected a PEM file of 1..%d bytes", what, path,
                 (long long)st.st_size, PEM_MAX);
    } else if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
        snprintf(err, errlen, "%s %s: out of memory", what, path);
    } else {
        ssize_t n = pread(fd, buf, (size_t)st.st_size, 0);
        if (n != st.st_size) {
            snprintf(err, errlen, "%s %s: short read", what, path);
            free(buf);
            buf = NULL;
        } else {
            buf[n] = 0;
            if (!strstr(buf, "-----BEGIN ")) {
                snprintf(err, errlen, "%s %s: not a PEM file", what, path);
                free(buf);
                buf = NULL;
            }
        }
    }
    close(fd);
    return buf;
}

static int read_pems(const px_config *cfg, uint32_t self, pems *p, char *err, size_t errlen)
{
    const px_node_cfg *nc = px_config_node(cfg, self);
    memset(p, 0, sizeof *p);
    if (!nc) {
        snprintf(err, errlen, "node %u is not in %s", self, cfg->path);
        return -1;
    }
    p->ca = px_tls_read_pem(cfg, "tls_ca", cfg->tls_ca, 0, err, errlen);
    if (p->ca) p->cert = px_tls_read_pem(cfg, "tls_cert", nc->tls_cert, 0, err, errlen);
    if (p->cert) p->key = px_tls_read_pem(cfg, "tls_key", nc->tls_key, 1, err, errlen);
    if (p->key) return 0;
    pems_free(p);
    return -1;
}

/* A config in mode with our certificate, the CA, and the peer's
 * certificate required. */
static int build(const pems *p, nng_tls_mode mode, const char *server_name,
                 nng_tls_config **out, char *err, size_t errlen)
{
    nng_tls_config *c;
    const char *step = "nng_tls_config_alloc";
    int rv = nng_tls_config_alloc(&c, mode);
    if (rv != 0) goto fail_alloc;
    step = "the CA certificate (tls_ca)";
    if ((rv = nng_tls_config_ca_chain(c, p->ca, NULL)) != 0) goto fail;
    step = "the node's certificate and key (tls_cert, tls_key)";
    if ((rv = nng_tls_config_own_cert(c, p->cert, p->key, NULL)) != 0) goto fail;
    step = "auth mode";
    if ((rv = nng_tls_config_auth_mode(c, NNG_TLS_AUTH_MODE_REQUIRED)) != 0) goto fail;
    step = "server name";
    if (server_name && (rv = nng_tls_config_server_name(c, server_name)) != 0) goto fail;
    *out = c;
    return 0;
fail:
    nng_tls_config_free(c);
fail_alloc:
    snprintf(err, errlen, "TLS: %s: %s", step, nng_strerror(rv));
    return -1;
}

int px_tls_server(const px_config *cfg, uint32_t self, nng_tls_config **out, char *err,
                  size_t errlen)
{
    pems p;
    if (read_pems(cfg, self, &p, err, errlen) != 0) return -1;
    int rc = build(&p, NNG_TLS_MODE_SERVER, NULL, out, err, errlen);
    pems_free(&p);
    return rc;
}

int px_tls_client(const px_config *cfg, uint32_t self, uint32_t peer, nng_tls_config **out,
                  char *err, size_t errlen)
{
    const px_node_cfg *to = px_config_node(cfg, peer);
    if (!to) {
        snprintf(err, errlen, "node %u is not in %s", peer, cfg->path);
        return -1;
    }
    pems p;
    if (read_pems(cfg, self, &p, err, errlen) != 0) return -1;
    int rc = build(&p, NNG_TLS_MODE_CLIENT, to->host, out, err, errlen);
    pems_free(&p);
    return rc;
}

int px_tls_check(const px_config *cfg, uint32_t self, char *err, size_t errlen)
{
    nng_tls_config *c;
    if (px_tls_server(cfg, self, &c, err, errlen) != 0) return -1;
    nng_tls_config_free(c);
    return 0;
}
