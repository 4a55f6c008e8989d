/* learner.h -- the learner's logic, a pure state machine: it receives
 * chosen slots, applies them strictly in slot order to the replicated list,
 * skips no-ops, deduplicates commands by (client, seq), reports each
 * applied slot to its node's gateway, and fetches slots it missed from
 * peer learners (and, if none can help, from the leader).
 *
 * No I/O, no clock: time comes in with every call.
 */
#ifndef PX_LEARNER_H
#define PX_LEARNER_H

#include "../common/outbox.h"

typedef struct learner_config {
    uint32_t id;
    uint32_t n_nodes;
    uint32_t node_ids[PX_MAX_NODES];
    uint64_t catchup_ms;  /* how often to ask peers while a gap remains */
    uint64_t status_ms;   /* how often to tell proposers how far we applied */
    uint32_t dedup_max;   /* clients remembered for deduplication */
} learner_config;

struct learner;

struct learner *learner_new(const learner_config *cfg, uint64_t now);
void learner_free(struct learner *l);

/* Handle CHOSEN, HEARTBEAT, CATCHUP, LIST_REQ.  Anything else is ignored. */
void learner_handle(struct learner *l, const px_msg *in, uint64_t now, px_outbox *out);
void learner_tick(struct learner *l, uint64_t now, px_outbox *out);
uint64_t learner_next_deadline(const struct learner *l);

/* Compaction seam: stop retaining chosen values below slot. */
void learner_forget_below(struct learner *l, uint64_t slot);

/* Introspection. */
uint64_t learner_applied_upto(const struct learner *l); /* next slot to apply */
uint64_t learner_known_chosen(const struct learner *l); /* highest chosen_upto heard */
const int64_t *learner_list(const struct learner *l, size_t *len);
size_t learner_dedup_size(const struct learner *l);
size_t learner_pending(const struct learner *l); /* chosen slots received but not yet applicable */
/* Returns 1 and the value of slot if it is retained (applied or pending). */
int learner_chosen_value(const struct learner *l, uint64_t slot, const px_value **v);

#endif
