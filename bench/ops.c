/* ops.c -- one benchmark operation against each kind of target.
 *
 * Both kinds do the same work per operation: one durable write of a value
 * no other operation writes (a fresh list element for paxos, a fresh key
 * for etcd), so neither side can answer from a cache or a dedup table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t bench_base64(const unsigned char *in, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    if (cap < 4 * ((n + 2) / 3) + 1) return 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < n) v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < n) v |= in[i + 2];
        out[o++] = B64[(v >> 18) & 63];
        out[o++] = B64[(v >> 12) & 63];
        out[o++] = i + 1 < n ? B64[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? B64[v & 63] : '=';
    }
    out[o] = 0;
    return o;
}

/* POST /append {"value": id}; index mode asks the gateway not to send the
 * list back (?list=false), full mode takes the whole list every time.  The
 * answer must echo our value and name the index it landed at. */
static int paxos_append(const bench_opts *o, http_conn *c, uint64_t id, int *sent,
                        int64_t *index)
{
    char body[64];
    http_response r;
    snprintf(body, sizeof body, "{\"value\":%llu}", (unsigned long long)id);
    const char *path = o->full_list ? "/append" : "/append?list=false";
    int rc = http_request(c, "POST", path, body, &r);
    *sent = rc != HTTP_NOT_SENT;
    if (rc != HTTP_OK || r.status != 200) return -1;
    char want[40];
    snprintf(want, sizeof want, "\"value\":%llu,", (unsigned long long)id);
    const char *ix = strstr(r.body, "\"index\":");
    if (ix == NULL || strstr(r.body, want) == NULL) return -1;
    char *end;
    long long v = strtoll(ix + 8, &end, 10);
    if (end == ix + 8 || v < 0) return -1;
    *index = v;
    return 0;
}

/* POST /v3/kv/put {"key": b64, "value": b64}: etcd 3.4's grpc-gateway. */
static int etcd_put(http_conn *c, uint64_t id, uint64_t run, int *sent)
{
    char key[64], val[32], k64[100], v64[48], body[256];
    http_response r;
    snprintf(key, sizeof key, "bench/%016llx/%llu", (unsigned long long)run,
             (unsigned long long)id);
    snprintf(val, sizeof val, "%llu", (unsigned long long)id);
    bench_base64((const unsigned char *)key, strlen(key), k64, sizeof k64);
    bench_base64((const unsigned char *)val, strlen(val), v64, sizeof v64);
    snprintf(body, sizeof body, "{\"key\":\"%s\",\"value\":\"%s\"}", k64, v64);
    int rc = http_request(c, "POST", "/v3/kv/put", body, &r);
    *sent = rc != HTTP_NOT_SENT;
    if (rc != HTTP_OK || r.status != 200) return -1;
    return strstr(r.body, "\"header\"") != NULL ? 0 : -1;
}

int bench_op(const bench_opts *o, http_conn *c, uint64_t id, uint64_t run, int *sent,
             int64_t *index)
{
    *index = -1;
    if (o->kind == BENCH_ETCD) return etcd_put(c, id, run, sent);
    return paxos_append(o, c, id, sent, index);
}
