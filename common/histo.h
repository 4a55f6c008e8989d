/* histo.h -- a fixed-bucket histogram, kept the way Prometheus wants one:
 * how many observations fell at or below each upper bound, their sum and
 * their count.  The roles keep timing histograms in their hosts (the
 * acceptor's fsyncs) and report them in their status JSON as
 *
 *   {"le":[0.001,0.01,...],"counts":[c1,c2,...],"sum":S,"count":N}
 *
 * with cumulative counts (counts[i] observations <= le[i]; N is the +Inf
 * bucket), which the gateway turns into Prometheus text (metrics.c).  No
 * I/O, no clock, no locking: the caller owns it. */
#ifndef PX_HISTO_H
#define PX_HISTO_H

#include <stddef.h>
#include <stdint.h>

#define PX_HISTO_MAX_BUCKETS 24

typedef struct px_histo {
    const double *le;   /* upper bounds, ascending (not copied: a static table) */
    unsigned n;         /* how many; the +Inf bucket is implied */
    uint64_t in[PX_HISTO_MAX_BUCKETS + 1]; /* observations in each bucket alone; [n]: above all */
    double sum;
    uint64_t count;
} px_histo;

/* n <= PX_HISTO_MAX_BUCKETS (more are ignored). */
void px_histo_init(px_histo *h, const double *le, unsigned n);
/* One observation of v, or n of them. */
void px_histo_observe(px_histo *h, double v);
void px_histo_observe_n(px_histo *h, double v, uint64_t n);
/* The JSON object above into buf (nul-terminated); returns buf, or "null"
 * if cap is too small for it. */
const char *px_histo_json(const px_histo *h, char *buf, size_t cap);

/* Bounds the processes share. */
extern const double px_histo_seconds_fsync[];   /* 0.1 ms .. 2.5 s */
extern const unsigned px_histo_seconds_fsync_n;
extern const double px_histo_seconds_request[]; /* 0.5 ms .. 10 s */
extern const unsigned px_histo_seconds_request_n;

#endif
