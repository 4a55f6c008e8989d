/* edn.h -- a small, strict reader for the EDN that Jepsen histories hold.
 *
 * It reads one form at a time from a buffer that stays alive (mapped file):
 * strings, keywords and symbols point into that buffer instead of being
 * copied, and each form remembers its source span so a report can quote an
 * op exactly as it was written.  Nodes come from an arena the caller resets
 * between top-level forms.
 *
 * Accepted: nil, true, false, 64-bit integers (optional N suffix when it
 * fits), floats (optional M), strings, characters, keywords, symbols, lists,
 * vectors, maps, sets, tagged forms (#tag form, tag kept, form read), #_
 * discard, ; comments, commas as whitespace.  Anything else -- unbalanced
 * delimiters, odd maps, tokens run into each other, integers past 64 bits --
 * is an error carrying its line number. */
#ifndef PX_EDN_H
#define PX_EDN_H

#include <stddef.h>
#include <stdint.h>

#include "jepsen/checker/arena.h"

typedef enum {
    EDN_NIL, EDN_BOOL, EDN_INT, EDN_FLOAT, EDN_STRING, EDN_CHAR,
    EDN_KEYWORD, EDN_SYMBOL, EDN_LIST, EDN_VECTOR, EDN_MAP, EDN_SET,
    EDN_TAGGED
} edn_type;

typedef struct edn_val edn_val;
struct edn_val {
    edn_type type;
    uint32_t line;         /* line the form starts on (1-based) */
    const char *src;       /* the form's text in the buffer */
    size_t srclen;
    union {
        int64_t i;         /* EDN_INT; EDN_BOOL is 0/1 */
        double f;          /* EDN_FLOAT */
        struct {           /* STRING (raw, between quotes), CHAR (after \),
                              KEYWORD (after :), SYMBOL, TAGGED (the tag) */
            const char *s;
            size_t n;
            edn_val *inner;  /* TAGGED only */
        } str;
        struct {           /* LIST, VECTOR, SET; MAP holds key,val,key,val */
            edn_val *items;
            size_t n;
        } coll;
    } u;
};

typedef struct edn_reader {
    const char *buf, *p, *end;
    uint32_t line;
    arena *a;
    edn_val *scratch;      /* stack of children of open collections */
    size_t nscratch, capscratch;
    int depth;
    uint32_t err_line;
    char err[256];
} edn_reader;

void edn_init(edn_reader *r, const char *buf, size_t len, arena *a);
void edn_dispose(edn_reader *r);

/* Skips whitespace, commas, comments and #_ discards.  Returns the next
 * character, -1 at end of input, or -2 on an error inside a discarded form. */
int edn_peek(edn_reader *r);

/* Reads the next form.  1: read, 0: end of input, -1: error (r->err). */
int edn_read(edn_reader *r, edn_val *out);

/* Records an error at `line` unless one is recorded already; returns -1. */
int edn_error(edn_reader *r, uint32_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Helpers for readers of the tree. */
int edn_is_kw(const edn_val *v, const char *name);
const edn_val *edn_map_get(const edn_val *map, const char *kw);

#endif
