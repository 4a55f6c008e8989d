/* result.c -- recording what the audit found (see result.h). */
#include "result.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const kind_names[AUDIT_KINDS] = {
    [AUDIT_TWO_VALUES_ONE_BALLOT] = "two-values-one-ballot",
    [AUDIT_TWO_VALUES_CHOSEN] = "two-values-chosen",
    [AUDIT_CHOSEN_CONTRADICTED] = "chosen-value-contradicted",
    [AUDIT_PROMISE_NOT_RAISED] = "promise-not-raised",
    [AUDIT_VOTE_BELOW_PROMISE] = "vote-below-promise",
    [AUDIT_VOTE_BELOW_MARK] = "vote-below-own-mark",
    [AUDIT_TRIM_NOT_RAISED] = "trim-not-raised",
    [AUDIT_TRIM_BALLOT] = "trim-not-under-promise",
    [AUDIT_TRIM_AHEAD] = "trim-ahead-of-votes",
    [AUDIT_BALLOT_NOT_STORED] = "ballot-not-in-proposer-state",
    [AUDIT_BALLOT_NOT_MEMBER] = "ballot-of-non-member",
    [AUDIT_SNAPSHOT_DIFFERS] = "snapshot-differs",
    [AUDIT_SNAPSHOT_UNCHOSEN] = "snapshot-beyond-chosen",
    [AUDIT_LIST_DIFFERS] = "list-differs",
    [AUDIT_LIST_UNCHOSEN] = "list-beyond-chosen",
    [AUDIT_TRIM_UNCOVERED] = "trim-beyond-snapshots",
};

const char *audit_kind_name(int kind)
{
    return kind >= 0 && kind < AUDIT_KINDS ? kind_names[kind] : "unknown";
}

void audit_result_init(audit_result *r)
{
    memset(r, 0, sizeof *r);
}

void audit_violate(audit_result *r, int kind, uint32_t node, const char *file, int64_t offset,
                   int64_t slot, px_ballot ballot, px_ballot other, const char *fmt, ...)
{
    r->total++;
    r->per_kind[kind]++;
    if (r->n == AUDIT_DETAIL_MAX) return;
    audit_violation *v = &r->v[r->n++];
    v->kind = kind;
    v->node = node;
    v->file = file;
    v->offset = offset;
    v->slot = slot;
    v->ballot = ballot;
    v->other = other;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->what, sizeof v->what, fmt, ap);
    va_end(ap);
}
