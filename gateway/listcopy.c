/* listcopy.c -- the gateway's copy of the learned list.
 *
 * The copy is always a prefix of the local learner's list.  It grows from
 * two sources: APPLIED (the new elements of one slot, which continue the
 * prefix only if we saw every earlier slot) and LIST_CHUNK (a run fetched
 * on purpose when APPLIED showed a gap, e.g. after a gateway restart).
 *
 * Storage is a fixed table of fixed-size blocks, so an element never moves
 * once written.  Writers (the gateway's loop) publish len under gw.mu;
 * a reader that read len under gw.mu may then read elements [0, len)
 * without the lock while it serializes a long response, and the loop is
 * never held up by a slow client.  Part of the gateway's pure core
 * (core.h). */
#include <stdlib.h>
#include <string.h>

#include "core.h"

int gw_list_init(gw_list *l)
{
    memset(l, 0, sizeof(*l));
    l->blocks = calloc(GW_LIST_BLOCKS, sizeof(*l->blocks));
    return l->blocks ? 0 : -1;
}

void gw_list_free(gw_list *l)
{
    if (l->blocks != NULL)
        for (size_t i = 0; i < GW_LIST_BLOCKS && l->blocks[i]; i++) free(l->blocks[i]);
    free(l->blocks);
    memset(l, 0, sizeof(*l));
}

/* Append one element; -1 if out of memory or past 2^32 elements. */
static int push(gw_list *l, int64_t v)
{
    uint64_t b = l->len >> GW_LIST_BLOCK_BITS;
    if (b >= GW_LIST_BLOCKS) return -1;
    if (l->blocks[b] == NULL) {
        l->blocks[b] = malloc(GW_LIST_BLOCK * sizeof(int64_t));
        if (l->blocks[b] == NULL) return -1;
    }
    l->blocks[b][l->len & (GW_LIST_BLOCK - 1)] = v;
    l->len++;
    return 0;
}

/* An entry that added an element: an APPEND applied for the first time. */
static int is_new_element(const px_applied_entry *e)
{
    return e->cmd.kind == PX_CMD_APPEND && e->flags == 0;
}

int gw_list_on_applied(gw_list *l, const px_applied *a)
{
    if (a->list_len > l->known_len) l->known_len = a->list_len;
    uint64_t added = 0;
    for (uint16_t i = 0; i < a->n; i++) added += (uint64_t)is_new_element(&a->entries[i]);
    /* The slot's elements are [list_len - added, list_len).  Only if that
     * starts exactly at our end do they continue our prefix; otherwise we
     * already have them (a re-sent APPLIED) or missed something (a gap the
     * core fills with LIST_REQ: core.c, maybe_fetch). */
#ifdef PX_MUTANT_GATEWAY_LIST_GAP
    /* MUTANT GATEWAY_LIST_GAP: the slot's elements are taken as the next
     * ones whatever list_len says: a missed or re-sent APPLIED shifts the
     * copy. */
    if (added == 0 || a->list_len < l->len + added) return 0;
#else
    if (added == 0 || a->list_len < added || a->list_len - added != l->len) return 0;
#endif
    for (uint16_t i = 0; i < a->n; i++)
        if (is_new_element(&a->entries[i]) && push(l, a->entries[i].cmd.value) != 0)
            return 1;
    return 1;
}

int gw_list_on_chunk(gw_list *l, const px_list_chunk *c)
{
    if (c->total_len > l->known_len) l->known_len = c->total_len;
    if (c->from_index > l->len || c->from_index + c->n <= l->len) return 0;
    for (uint64_t i = l->len - c->from_index; i < c->n; i++)
        if (push(l, c->values[i]) != 0) break;
    return 1;
}
