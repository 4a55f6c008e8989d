/* members.c -- the membership history (members.h, docs/PROTOCOL.md
 * Membership).
 *
 * Invariants kept by every function and checked by px_members_decode:
 * current is a configuration; current_from is 0 or the slot of a folded
 * change plus ALPHA; a pending configuration differs from current by one
 * node and was made by a change folded at or after current_from (one
 * change at a time); every folded change's slot is at most upto. */
#include <string.h>

#include "bytes.h"
#include "members.h"
#include "quorum.h"

int px_member_set_valid(uint32_t set)
{
    return set != 0 && (set & ~PX_MEMBER_IDS) == 0;
}

uint32_t px_member_count(uint32_t set)
{
    return px_acks_count(set & PX_MEMBER_IDS);
}

int px_members_init(px_members *m, uint32_t initial)
{
    if (!px_member_set_valid(initial)) return -1;
    memset(m, 0, sizeof *m);
    m->current = initial;
    return 0;
}

int px_members_known(const px_members *m, uint64_t slot)
{
    if (slot < m->current_from) return 0; /* an older configuration, forgotten */
    /* A change not folded yet lies at or above upto, so it governs from
     * upto + ALPHA on (written so that nothing overflows). */
    return slot < m->upto || slot - m->upto < PX_MEMBER_ALPHA;
}

uint32_t px_members_at(const px_members *m, uint64_t slot)
{
    if (!px_members_known(m, slot)) return 0;
    if (m->pending && slot >= m->pending_from) return m->pending;
    return m->current;
}

/* 1 if votes hold a majority of configuration c (which is not 0). */
static int majority_of(uint32_t c, uint32_t votes)
{
    return px_member_count(votes & c) >= px_quorum(px_member_count(c));
}

int px_members_is_quorum(const px_members *m, uint64_t slot, uint32_t votes)
{
    uint32_t c = px_members_at(m, slot);
    return c != 0 && majority_of(c, votes);
}

int px_members_quorum_from(const px_members *m, uint64_t from, uint32_t votes)
{
    uint32_t c = px_members_at(m, from);
    if (c == 0 || !majority_of(c, votes)) return 0;
    /* A pending configuration governs later slots a phase 1 from here
     * covers too. */
    if (m->pending && m->pending_from > from) return majority_of(m->pending, votes);
    return 1;
}

/* The configuration in effect at slot, which a change there starts from:
 * the pending one once it governs. */
static uint32_t effective_at(const px_members *m, uint64_t slot)
{
    return m->pending && m->pending_from <= slot ? m->pending : m->current;
}

/* The configuration (op, node) makes from c, or 0 if it is invalid. */
static uint32_t apply_op(uint32_t c, int op, uint32_t node)
{
    if (node < 1 || node > PX_MAX_NODES) return 0;
    uint32_t bit = 1u << node;
    if (op == PX_MEMBER_ADD) return (c & bit) ? 0 : c | bit;
    /* Removing the last member leaves 0, which is "invalid" too. */
    if (op == PX_MEMBER_REMOVE) return (c & bit) ? c & ~bit : 0;
    return 0;
}

/* Why a change at slot cannot be folded (a PX_MEMBER_* result), or 0;
 * *next gets the configuration it makes. */
static int change_refusal(const px_members *m, uint64_t slot, int op, uint32_t node,
                          uint32_t *next)
{
    if (slot < m->upto) return PX_MEMBER_ORDER;
    /* Its result is slot + ALPHA, an i64 in the log. */
    if (slot > (uint64_t)INT64_MAX - PX_MEMBER_ALPHA) return PX_MEMBER_INVALID;
    if (m->pending && m->pending_from > slot) return PX_MEMBER_BUSY; /* one at a time */
    *next = apply_op(effective_at(m, slot), op, node);
    return *next ? 0 : PX_MEMBER_INVALID;
}

int64_t px_members_change(px_members *m, uint64_t slot, int op, uint32_t node)
{
    uint32_t next = 0;
    int why = change_refusal(m, slot, op, node, &next);
    if (why) return why;
    if (m->pending && m->pending_from <= slot) { /* in effect: it becomes the current one */
        m->current = m->pending;
        m->current_from = m->pending_from;
    }
    m->pending = next;
    m->pending_from = slot + PX_MEMBER_ALPHA;
    if (op == PX_MEMBER_ADD) m->incarnation[node]++;
    m->upto = slot; /* changes come in slot order: every slot below is folded */
    return (int64_t)m->pending_from;
}

uint32_t px_members_after(const px_members *m, uint64_t slot, int op, uint32_t node)
{
    uint32_t next = 0;
    return change_refusal(m, slot, op, node, &next) ? 0 : next;
}

void px_members_advance(px_members *m, uint64_t upto)
{
    if (upto > m->upto) m->upto = upto;
}

uint32_t px_members_now(const px_members *m, uint64_t *config_slot, uint32_t *pending)
{
    uint32_t c = m->current;
    uint64_t from = m->current_from;

    *pending = 0;
    if (m->pending && m->pending_from <= m->upto) {
        c = m->pending;
        from = m->pending_from;
    } else if (m->pending) {
        *pending = m->pending;
    }
    *config_slot = from ? from - PX_MEMBER_ALPHA : 0;
    return c;
}

void px_members_encode(const px_members *m, uint8_t buf[PX_MEMBERS_BYTES])
{
    px_put64(buf, m->upto);
    px_put16(buf + 8, (uint16_t)m->current);
    px_put64(buf + 10, m->current_from);
    px_put16(buf + 18, (uint16_t)m->pending);
    px_put64(buf + 20, m->pending_from);
    for (uint32_t id = 1; id <= PX_MAX_NODES; id++)
        px_put32(buf + 28 + 4 * (id - 1), m->incarnation[id]);
}

/* Why a decoded history breaks an invariant (file header), or NULL. */
static const char *history_refusal(const px_members *m)
{
    if (!px_member_set_valid(m->current)) return "current members not a configuration";
    if (m->current_from != 0 &&
        (m->current_from < PX_MEMBER_ALPHA || m->current_from - PX_MEMBER_ALPHA > m->upto))
        return "current configuration from a slot not folded";
    if (m->current_from > (uint64_t)INT64_MAX) return "current slot out of range";
    if (m->pending == 0) return m->pending_from ? "pending slot without pending members" : NULL;
    if (!px_member_set_valid(m->pending)) return "pending members not a configuration";
    if (px_member_count(m->pending ^ m->current) != 1)
        return "pending configuration not one node away from the current one";
    if (m->pending_from < PX_MEMBER_ALPHA || m->pending_from - PX_MEMBER_ALPHA > m->upto)
        return "pending configuration from a slot not folded";
    if (m->pending_from - PX_MEMBER_ALPHA < m->current_from)
        return "pending change made before the current one took effect";
    if (m->pending_from > (uint64_t)INT64_MAX) return "pending slot out of range";
    return NULL;
}

int px_members_decode(px_members *m, const uint8_t *buf, size_t len, const char **why)
{
    px_members d;

    if (len != PX_MEMBERS_BYTES) {
        *why = "wrong length";
        return -1;
    }
    memset(&d, 0, sizeof d);
    d.upto = px_get64(buf);
    d.current = px_get16(buf + 8);
    d.current_from = px_get64(buf + 10);
    d.pending = px_get16(buf + 18);
    d.pending_from = px_get64(buf + 20);
    for (uint32_t id = 1; id <= PX_MAX_NODES; id++)
        d.incarnation[id] = px_get32(buf + 28 + 4 * (id - 1));
    const char *bad = history_refusal(&d);
    if (bad) {
        *why = bad;
        return -1;
    }
    *m = d;
    return 0;
}
