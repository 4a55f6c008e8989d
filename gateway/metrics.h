/* metrics.h -- GET /metrics in Prometheus text format 0.0.4: the format's
 * lines (metrics_roles.c) and the families read from the roles' control
 * JSON, shared by metrics.c and its unit test. */
#ifndef GW_METRICS_H
#define GW_METRICS_H

#include <stdint.h>

#include <json-c/json.h>

#include "gateway.h"

/* # HELP and # TYPE of a family. */
void gw_prom_family(gw_buf *b, const char *name, const char *type, const char *help);
/* name{labels} value; labels is "" or `key="value",...`. */
void gw_prom_sample(gw_buf *b, const char *name, const char *labels, double v);
void gw_prom_sample_u(gw_buf *b, const char *name, const char *labels, uint64_t v);
/* A histogram's _bucket lines (cum: cumulative counts at each bound le),
 * its +Inf bucket (count), _sum and _count. */
void gw_prom_histo(gw_buf *b, const char *name, const char *labels, const double *le,
                   const uint64_t *cum, unsigned n, double sum, uint64_t count);

/* The label value of roles[i]: "acceptor", "proposer", "learner". */
extern const char *const gw_metrics_role_names[3];

/* The families read from the roles' control JSON, roles[] in the order of
 * gw_metrics_role_names; NULL for a role that did not answer (its families
 * are described, without samples). */
void gw_metrics_roles(gw_buf *b, json_object *const roles[3]);

#endif
