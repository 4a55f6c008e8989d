/* histo.c -- fixed-bucket histograms (see histo.h). */
#include "histo.h"

#include <stdio.h>

const double px_histo_seconds_fsync[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                         0.025,  0.05,    0.1,    0.25,  0.5,    1,     2.5};
const unsigned px_histo_seconds_fsync_n = sizeof px_histo_seconds_fsync / sizeof(double);
const double px_histo_seconds_request[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                           0.1,    0.25,  0.5,    1,     2.5,  5,     10};
const unsigned px_histo_seconds_request_n = sizeof px_histo_seconds_request / sizeof(double);

void px_histo_init(px_histo *h, const double *le, unsigned n)
{
    *h = (px_histo){.le = le, .n = n > PX_HISTO_MAX_BUCKETS ? PX_HISTO_MAX_BUCKETS : n};
}

void px_histo_observe_n(px_histo *h, double v, uint64_t n)
{
    unsigned i = 0;
    while (i < h->n && v > h->le[i]) i++; /* Prometheus buckets are "<= le" */
    h->in[i] += n;
    h->sum += v * (double)n;
    h->count += n;
}

void px_histo_observe(px_histo *h, double v)
{
    px_histo_observe_n(h, v, 1);
}

/* Appends to buf at *off; 0, or -1 once it no longer fits. */
static int put(char *buf, size_t cap, size_t *off, const char *fmt, double d, unsigned long long u,
               int is_double)
{
    int w = is_double ? snprintf(buf + *off, cap - *off, fmt, d)
                      : snprintf(buf + *off, cap - *off, fmt, u);
    if (w < 0 || (size_t)w >= cap - *off) return -1;
    *off += (size_t)w;
    return 0;
}

const char *px_histo_json(const px_histo *h, char *buf, size_t cap)
{
    size_t off = 0;
    int bad = cap < 8 || put(buf, cap, &off, "{\"le\":[", 0, 0, 0);
    for (unsigned i = 0; i < h->n && !bad; i++)
        bad = put(buf, cap, &off, i ? ",%g" : "%g", h->le[i], 0, 1);
    if (!bad) bad = put(buf, cap, &off, "],\"counts\":[", 0, 0, 0);
    uint64_t cum = 0;
    for (unsigned i = 0; i < h->n && !bad; i++) {
        cum += h->in[i];
        bad = put(buf, cap, &off, i ? ",%llu" : "%llu", 0, (unsigned long long)cum, 0);
    }
    if (!bad) bad = put(buf, cap, &off, "],\"sum\":%.10g", h->sum, 0, 1);
    if (!bad) bad = put(buf, cap, &off, ",\"count\":%llu}", 0, (unsigned long long)h->count, 0);
    if (bad && cap >= 5) snprintf(buf, cap, "null");
    return buf;
}
