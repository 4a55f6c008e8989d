/* forge.c -- the forged-frame fault: frames no honest node sends, as a
 * buggy or corrupted peer that got past TLS might (the transport lets any
 * member's frames through), each built from its target's state at that
 * moment so that it MUST be refused -- and each one that a core took would
 * do harm: a CHOSEN nobody decided (a learner's list diverges), a TRIM far
 * ahead (the log wedges), a ballot over the round ceiling (the next
 * election wraps), one peer voting or speaking as another (two values under
 * one ballot, a quorum of one).
 *
 * A forgery goes through the codec like every frame: px_encode, then for
 * some a patch past what px_encode allows (a round above PX_MAX_ROUND, with
 * the CRC made good again) or one flipped bit, then px_decode, then the
 * core.  It is delivered at once to a running, unpaused role (it comes from
 * a member, so partitions do not apply).  Checks: the decoder or the core
 * refuses it with the reason it was built for, and the core emits nothing
 * for it (node.c); the safety invariants keep running on everything after,
 * so a core that takes one is caught either here or by the damage
 * (mutant LEARNER_TRUST_ACKS is caught by `agreement`). */
#include <string.h>
#include "sim.h"
#include "../../common/crc32c.h"
#include "../../common/refuse.h"

/* A client id no simulated client has: a forged command is nobody's. */
#define FORGED_CLIENT 0xF0F0F0F0ull

enum forge_kind {
    FK_CHOSEN_ACKS,      /* learner: a fresh slot, a value nobody appended, bad acks */
    FK_TRIM_AHEAD,       /* acceptor: under its promise, beyond what it accepted */
    FK_TRIM_BALLOT,      /* acceptor: above its mark, under another ballot */
    FK_PREPARE_TOP,      /* acceptor: a round above the ceiling (up to 2^64-1) */
    FK_HEARTBEAT_TOP,    /* proposer or learner: the same in a heartbeat */
    FK_ACCEPT_AS_OTHER,  /* acceptor: an ACCEPT under another proposer's ballot */
    FK_ACCEPTED_AS_OTHER,/* proposer: a vote signed with another acceptor's id */
    FK_PROMISE_AS_OTHER, /* proposer: a promise in another acceptor's name */
    FK_REJECT_AS_OTHER,  /* proposer: a REJECT in another acceptor's name */
    FK_HEARTBEAT_AS_OTHER, /* proposer or learner: naming another node the leader */
    FK_LEARNED_AS_OTHER, /* proposer: a learner's marks reported by another node */
    FK_CATCHUP_AS_OTHER, /* proposer or learner: catch-up asked in another's name */
    FK_NOT_MEMBER,       /* an id in the frame outside the cluster */
    FK_WRONG_TYPE,       /* a type the role never receives */
    FK_BIT_FLIP,         /* one flipped bit anywhere in the frame */
    FK_SNAPSHOT_BAD,     /* learner: a complete transfer that fails verification */
    FK_ACCEPT_SLOT_MAX,  /* acceptor: slot UINT64_MAX */
    FK_VOTE_AS_OTHER,    /* learner: a VOTE signed with another acceptor's id */
    FK_MAX
};

/* For the trace (x is the verdict: 0 taken, else the refusal reason). */
static const char *kind_name[FK_MAX] = {
    "forged CHOSEN, acks not a quorum (x = verdict)",
    "forged TRIM beyond what was accepted (x = verdict)",
    "forged TRIM under another ballot (x = verdict)",
    "forged PREPARE above the round ceiling (x = verdict)",
    "forged HEARTBEAT above the round ceiling (x = verdict)",
    "forged ACCEPT under another's ballot (x = verdict)",
    "forged ACCEPTED as another acceptor (x = verdict)",
    "forged PROMISE as another acceptor (x = verdict)",
    "forged REJECT as another acceptor (x = verdict)",
    "forged HEARTBEAT naming another leader (x = verdict)",
    "forged LEARNED as another learner (x = verdict)",
    "forged CATCHUP as another learner (x = verdict)",
    "forged frame naming a non-member (x = verdict)",
    "forged frame of a type the role never gets (x = verdict)",
    "frame with one flipped bit (x = verdict)",
    "forged snapshot transfer (x = verdict)",
    "forged ACCEPT for slot 2^64-1 (x = verdict)",
    "forged VOTE as another acceptor (x = verdict)",
};

/* What to send where, and what must become of it. */
typedef struct forgery {
    int role;
    uint32_t to;
    int want;          /* the verdict it must get; FORGE_ANY_DECODE: any decoder error */
    uint64_t top;      /* nonzero: patch the payload's first ballot round to this */
    int flip;          /* flip one random bit of the encoded frame */
} forgery;

#define FORGE_ANY_DECODE (-1)

static uint32_t member(sim_world *w) { return (uint32_t)sim_rand(w, 1, w->n); }

/* A member other than not. */
static uint32_t other_member(sim_world *w, uint32_t not)
{
    uint32_t id = (uint32_t)sim_rand(w, 1, w->n - 1);
    return id >= not ? id + 1 : id;
}

static px_msg *blank(sim_world *w, int type, uint32_t from)
{
    px_msg *m = w->msg;
    memset(m, 0, sizeof *m);
    m->type = (uint8_t)type;
    m->from = from;
    return m;
}

/* One forged command: nobody's, never deduplicated (seq 0), so a learner
 * that took it would append it and its list would leave the model's. */
static void forged_value(sim_world *w, px_value *v)
{
    memset(v, 0, sizeof *v);
    v->n = 1;
    v->cmds[0].kind = PX_CMD_APPEND;
    v->cmds[0].client = FORGED_CLIENT;
    v->cmds[0].value = -(int64_t)sim_rand(w, 1, 1000000);
}

/* Acks that are not a quorum of members: none, fewer than a quorum, or a
 * quorum padded with ids outside the cluster. */
static uint32_t bad_acks(sim_world *w)
{
    uint32_t members = ((1u << w->n) - 1) << 1, q = w->n / 2 + 1, acks = 0;
    int pick = (int)sim_rand(w, 0, w->n < PX_MAX_NODES ? 2 : 1);
    if (pick == 0) return 0;
    for (uint32_t k = 0; k < (pick == 1 ? q - 1 : q); k++) {
        uint32_t id;
        do id = member(w); while (acks & (1u << id));
        acks |= 1u << id;
    }
    if (pick == 2) acks |= (1u << (uint32_t)sim_rand(w, w->n + 1, PX_MAX_NODES)) & ~members;
    return acks;
}

static void chosen_acks(sim_world *w, forgery *f)
{
    struct learner *l = w->nodes[f->to].lrn;
    px_chosen *c = &blank(w, PX_MSG_CHOSEN, member(w))->u.chosen;
    /* Mostly where it would be applied at once (the damage then shows in
     * the next check), sometimes a little ahead. */
    c->slot = learner_applied_upto(l) + (sim_chance(w, 200) ? sim_rand(w, 1, 100) : 0);
    c->ballot = (px_ballot){sim_rand(w, 1, 1000), member(w)};
    c->acks = bad_acks(w);
    forged_value(w, &c->value);
    f->want = PX_REFUSE_CHOSEN_QUORUM;
}

/* Under the promise (so only the bound on what it accepted stops it), or,
 * with no promise yet, under any ballot. */
static void trim_ahead(sim_world *w, forgery *f)
{
    struct acceptor *a = w->nodes[f->to].acc;
    px_ballot b = acceptor_promised(a);
    int none = px_ballot_is_zero(b);
    if (none) b = (px_ballot){sim_rand(w, 1, 50), member(w)};
    px_trim *t = &blank(w, PX_MSG_TRIM, b.node)->u.trim;
    t->ballot = b;
    t->below = acceptor_accepted_upto(a) + 1 + sim_rand(w, 0, 1000);
    f->want = none ? PX_REFUSE_TRIM_BALLOT : PX_REFUSE_TRIM_AHEAD;
}

/* A real ballot that is not the promised one: a newer one, an older one,
 * or the same round of another node. */
static px_ballot other_ballot(sim_world *w, px_ballot p)
{
    px_ballot b = p;
    if (px_ballot_is_zero(p)) return (px_ballot){sim_rand(w, 1, 50), member(w)};
    int pick = (int)sim_rand(w, 0, 2);
    if (pick == 0 || (pick == 1 && p.round <= 1) || (pick == 2 && w->n < 2)) {
        b.round = p.round + 1 + sim_rand(w, 0, 3);
        b.node = member(w);
    } else if (pick == 1) {
        b.round = p.round - 1;
        b.node = member(w);
    } else {
        b.node = other_member(w, p.node);
    }
    return b;
}

static void trim_ballot(sim_world *w, forgery *f)
{
    struct acceptor *a = w->nodes[f->to].acc;
    px_ballot b = other_ballot(w, acceptor_promised(a));
    px_trim *t = &blank(w, PX_MSG_TRIM, b.node)->u.trim;
    t->ballot = b;
    t->below = acceptor_trimmed(a) + 1 + sim_rand(w, 0, 100);
    f->want = PX_REFUSE_TRIM_BALLOT;
}

static uint64_t top_round(sim_world *w)
{
    return sim_chance(w, 500) ? UINT64_MAX : PX_MAX_ROUND + sim_rand(w, 1, 1u << 20);
}

static void prepare_top(sim_world *w, forgery *f)
{
    uint32_t from = member(w);
    px_prepare *p = &blank(w, PX_MSG_PREPARE, from)->u.prepare;
    p->ballot = (px_ballot){PX_MAX_ROUND, from};
    f->top = top_round(w);
    f->want = PX_WIRE_BALLOT_BAD;
}

static void heartbeat_msg(sim_world *w, uint32_t from, uint32_t leader, px_ballot b)
{
    px_heartbeat *h = &blank(w, PX_MSG_HEARTBEAT, from)->u.heartbeat;
    h->ballot = b;
    h->leader = leader;
    h->chosen_upto = w->model_next + sim_rand(w, 0, 100000);
}

static void heartbeat_top(sim_world *w, forgery *f)
{
    uint32_t from = member(w);
    heartbeat_msg(w, from, from, (px_ballot){PX_MAX_ROUND, from});
    f->top = top_round(w);
    f->want = PX_WIRE_BALLOT_BAD;
}

/* Taken, it would put a second value under that proposer's ballot. */
static void accept_as_other(sim_world *w, forgery *f)
{
    struct acceptor *a = w->nodes[f->to].acc;
    uint32_t from = member(w), owner = other_member(w, from);
    px_accept *ac = &blank(w, PX_MSG_ACCEPT, from)->u.accept;
    ac->ballot = (px_ballot){acceptor_promised(a).round + sim_rand(w, 0, 2), owner};
    if (ac->ballot.round == 0) ac->ballot.round = 1;
    ac->slot = acceptor_accepted_upto(a);
    forged_value(w, &ac->value);
    f->want = PX_REFUSE_SENDER_MISMATCH;
}

static void accept_slot_max(sim_world *w, forgery *f)
{
    uint32_t from = member(w);
    px_accept *ac = &blank(w, PX_MSG_ACCEPT, from)->u.accept;
    ac->ballot = (px_ballot){acceptor_promised(w->nodes[f->to].acc).round + 1, from};
    ac->slot = UINT64_MAX;
    forged_value(w, &ac->value);
    f->want = PX_REFUSE_SLOT_BAD;
}

/* The target proposer's own ballot, so that a vote or promise under it
 * would count if the signature were believed. */
static px_ballot target_ballot(sim_world *w, uint32_t to)
{
    px_ballot b = proposer_ballot(w->nodes[to].prop);
    return px_ballot_is_zero(b) ? (px_ballot){1, to} : b;
}

static void accepted_as_other(sim_world *w, forgery *f)
{
    uint32_t from = member(w);
    px_accepted *a = &blank(w, PX_MSG_ACCEPTED, from)->u.accepted;
    a->ballot = target_ballot(w, f->to);
    a->acceptor = other_member(w, from);
    uint64_t next = proposer_next_slot(w->nodes[f->to].prop);
    a->slot = next ? next - 1 : 0;
    f->want = PX_REFUSE_SENDER_MISMATCH;
}

/* For the learner's next slot, under a ballot above any real one, with a
 * value nobody appended: believed, it would start (or with a second one
 * complete) a tally in another acceptor's name. */
static void vote_as_other(sim_world *w, forgery *f)
{
    uint32_t from = other_member(w, f->to);
    px_vote *v = &blank(w, PX_MSG_VOTE, from)->u.vote;
    v->ballot = (px_ballot){PX_MAX_ROUND, from};
    v->acceptor = other_member(w, from);
    v->slot = learner_applied_upto(w->nodes[f->to].lrn);
    forged_value(w, &v->value);
    f->want = PX_REFUSE_SENDER_MISMATCH;
}

static void promise_as_other(sim_world *w, forgery *f)
{
    uint32_t from = member(w);
    px_promise *p = &blank(w, PX_MSG_PROMISE, from)->u.promise;
    p->ballot = target_ballot(w, f->to);
    p->acceptor = other_member(w, from);
    p->from_slot = p->next_slot = proposer_chosen_upto(w->nodes[f->to].prop);
    p->done = 1;
    f->want = PX_REFUSE_SENDER_MISMATCH;
}

static void reject_as_other(sim_world *w, forgery *f)
{
    uint32_t from = member(w);
    px_reject *r = &blank(w, PX_MSG_REJECT, from)->u.reject;
    px_ballot b = target_ballot(w, f->to);
    r->promised = (px_ballot){b.round + 1, member(w)};
    r->acceptor = other_member(w, from);
    r->of_type = PX_MSG_ACCEPT;
    f->want = PX_REFUSE_SENDER_MISMATCH;
}

static void heartbeat_as_other(sim_world *w, forgery *f)
{
    uint32_t from = member(w), leader = other_member(w, from);
    /* Half of them under the sender's own ballot, half under the named
     * leader's: either way the three ids disagree. */
    uint32_t bnode = sim_chance(w, 500) ? from : leader;
    heartbeat_msg(w, from, leader, (px_ballot){sim_rand(w, 1, 1u << 20), bnode});
    f->want = PX_REFUSE_SENDER_MISMATCH;
}

static void learned_as_other(sim_world *w, forgery *f)
{
    uint32_t from = member(w);
    px_learned *l = &blank(w, PX_MSG_LEARNED, from)->u.learned;
    l->learner = other_member(w, from);
    l->applied_upto = l->snapshot_upto = w->model_next + sim_rand(w, 1, 100000);
    f->want = PX_REFUSE_SENDER_MISMATCH;
}

/* To a learner it must come from another node: one from ourselves is
 * refused for its path before its ids are looked at. */
static void catchup_as_other(sim_world *w, forgery *f)
{
    uint32_t from = f->role == PX_ROLE_LEARNER ? other_member(w, f->to) : member(w);
    px_catchup *c = &blank(w, PX_MSG_CATCHUP, from)->u.catchup;
    c->learner = other_member(w, from);
    c->from_slot = sim_rand(w, 0, w->model_next);
    f->want = PX_REFUSE_SENDER_MISMATCH;
}

/* An id in 1..9 (the decoder takes it) that is not in the cluster. */
static void not_member(sim_world *w, forgery *f)
{
    uint32_t from = member(w), x = (uint32_t)sim_rand(w, w->n + 1, PX_MAX_NODES);
    if (f->role == PX_ROLE_LEARNER) {
        heartbeat_msg(w, from, x, (px_ballot){sim_rand(w, 1, 1u << 20), x});
    } else {
        int pick = (int)sim_rand(w, 0, 2);
        if (pick == 0) {
            blank(w, PX_MSG_REQUEST, from)->u.request.origin = x;
            w->msg->u.request.cmd.kind = PX_CMD_APPEND;
            w->msg->u.request.cmd.client = FORGED_CLIENT;
        } else if (pick == 1) {
            blank(w, PX_MSG_LEARNED, from)->u.learned.learner = x;
        } else {
            blank(w, PX_MSG_ACCEPTED, from)->u.accepted.acceptor = x;
            w->msg->u.accepted.ballot = target_ballot(w, f->to);
        }
    }
    f->want = PX_REFUSE_NOT_MEMBER;
}

/* A well-formed frame of a type that never goes to the target's role. */
static void wrong_type(sim_world *w, forgery *f)
{
    uint32_t from = member(w);
    if (f->role == PX_ROLE_ACCEPTOR) {
        px_chosen *c = &blank(w, PX_MSG_CHOSEN, from)->u.chosen;
        c->ballot = (px_ballot){1, from};
        c->acks = ((1u << w->n) - 1) << 1;
    } else if (f->role == PX_ROLE_PROPOSER) {
        px_trim *t = &blank(w, PX_MSG_TRIM, from)->u.trim;
        t->ballot = (px_ballot){1, from};
    } else {
        blank(w, PX_MSG_PREPARE, from)->u.prepare.ballot = (px_ballot){1, from};
    }
    f->want = PX_REFUSE_UNEXPECTED_TYPE;
}

static void bit_flip(sim_world *w, forgery *f)
{
    uint32_t from = member(w);
    heartbeat_msg(w, from, from, (px_ballot){sim_rand(w, 1, 1000), from});
    f->flip = 1;
    f->want = FORGE_ANY_DECODE;
}

/* One chunk that is a whole snapshot, above anything the target has or is
 * fetching (so it starts and completes a transfer): garbage, or another
 * learner's real point with one byte flipped. */
static void snapshot_bad(sim_world *w, forgery *f)
{
    struct learner *l = w->nodes[f->to].lrn;
    uint32_t from = other_member(w, f->to);
    uint64_t floor = learner_applied_upto(l);
    if (learner_snapshot_receiving(l) > floor) floor = learner_snapshot_receiving(l);
    px_snap_chunk *c = &blank(w, PX_MSG_SNAP_CHUNK, from)->u.snap_chunk;
    const struct learner *src = w->nodes[from].up[PX_ROLE_LEARNER] ? w->nodes[from].lrn : NULL;
    uint64_t size = src ? learner_snapshot_size(src) : 0;
    /* The current point: not yet durable, or else the newest durable one. */
    uint64_t slot = !src ? 0 : learner_snapshot_pending(src) ? learner_snapshot_pending(src)
                                                             : learner_snapshot_upto(src);
    if (src && size > 0 && size <= PX_SNAP_CHUNK && slot > floor) {
        c->n = (uint16_t)learner_snapshot_read(src, 0, c->data, (size_t)size);
        c->data[sim_rand(w, 0, c->n - 1)] ^= (uint8_t)(1u << sim_rand(w, 0, 7));
        c->snap_slot = slot;
    } else {
        c->n = (uint16_t)sim_rand(w, 44, 2000);
        for (uint16_t i = 0; i < c->n; i++) c->data[i] = (uint8_t)sim_rand(w, 0, 255);
        c->snap_slot = floor + 1 + sim_rand(w, 0, 20);
    }
    c->total = c->n;
    f->want = PX_REFUSE_SNAPSHOT_BAD;
}

/* The role each kind goes to (0: proposer or learner, drawn). */
static int kind_role(int k)
{
    switch (k) {
    case FK_CHOSEN_ACKS: case FK_SNAPSHOT_BAD: case FK_VOTE_AS_OTHER: return PX_ROLE_LEARNER;
    case FK_TRIM_AHEAD: case FK_TRIM_BALLOT: case FK_PREPARE_TOP: case FK_ACCEPT_AS_OTHER:
    case FK_ACCEPT_SLOT_MAX: return PX_ROLE_ACCEPTOR;
    case FK_ACCEPTED_AS_OTHER: case FK_PROMISE_AS_OTHER: case FK_REJECT_AS_OTHER:
    case FK_LEARNED_AS_OTHER: return PX_ROLE_PROPOSER;
    case FK_WRONG_TYPE: case FK_BIT_FLIP: return -1; /* any role */
    default: return 0;
    }
}

static void build(sim_world *w, int k, forgery *f)
{
    switch (k) {
    case FK_CHOSEN_ACKS: chosen_acks(w, f); break;
    case FK_TRIM_AHEAD: trim_ahead(w, f); break;
    case FK_TRIM_BALLOT: trim_ballot(w, f); break;
    case FK_PREPARE_TOP: prepare_top(w, f); break;
    case FK_HEARTBEAT_TOP: heartbeat_top(w, f); break;
    case FK_ACCEPT_AS_OTHER: accept_as_other(w, f); break;
    case FK_ACCEPTED_AS_OTHER: accepted_as_other(w, f); break;
    case FK_PROMISE_AS_OTHER: promise_as_other(w, f); break;
    case FK_REJECT_AS_OTHER: reject_as_other(w, f); break;
    case FK_HEARTBEAT_AS_OTHER: heartbeat_as_other(w, f); break;
    case FK_LEARNED_AS_OTHER: learned_as_other(w, f); break;
    case FK_CATCHUP_AS_OTHER: catchup_as_other(w, f); break;
    case FK_NOT_MEMBER: not_member(w, f); break;
    case FK_WRONG_TYPE: wrong_type(w, f); break;
    case FK_BIT_FLIP: bit_flip(w, f); break;
    case FK_SNAPSHOT_BAD: snapshot_bad(w, f); break;
    case FK_VOTE_AS_OTHER: vote_as_other(w, f); break;
    default: accept_slot_max(w, f); break;
    }
}

static void put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* Encodes w->msg into w->frame and applies the patch or the flip; the
 * frame's length, 0 if px_encode refused it (a forge bug). */
static size_t encode(sim_world *w, const forgery *f)
{
    size_t len = px_encode(w->msg, SIM_CLUSTER_ID, w->frame, PX_MAX_FRAME);
    if (len == 0) return 0;
    if (f->top) {
        /* Every type patched here starts its payload with a ballot; the
         * CRC (header with its crc field as zero, then the payload) is
         * made good again, so only the round is wrong. */
        put_le(w->frame + PX_WIRE_HEADER, f->top, 8);
        put_le(w->frame + 20, 0, 4);
        put_le(w->frame + 20, px_crc32c(0, w->frame, len), 4);
    }
    if (f->flip) w->frame[sim_rand(w, 0, len - 1)] ^= (uint8_t)(1u << sim_rand(w, 0, 7));
    return len;
}

/* A running, unpaused node whose role r is up, or 0. */
static uint32_t target(sim_world *w, int r)
{
    uint32_t start = member(w);
    for (uint32_t i = 0; i < w->n; i++) {
        uint32_t id = (start - 1 + i) % w->n + 1;
        const sim_node *nd = &w->nodes[id];
        if (nd->up[r] && nd->paused_until <= w->now) return id;
    }
    return 0;
}

static int pick_role(sim_world *w, int k)
{
    int r = kind_role(k);
    if (r == 0) return sim_chance(w, 500) ? PX_ROLE_PROPOSER : PX_ROLE_LEARNER;
    if (r < 0) return (int)sim_rand(w, PX_ROLE_ACCEPTOR, PX_ROLE_LEARNER);
    return r;
}

/* Builds, encodes, decodes and delivers one forgery; checks its fate. */
static void forge_one(sim_world *w)
{
    int k = (int)sim_rand(w, 0, FK_MAX - 1);
    if (k == FK_NOT_MEMBER && w->n >= PX_MAX_NODES) k = FK_WRONG_TYPE;
    if (w->n < 2 && (k == FK_ACCEPT_AS_OTHER || (k >= FK_ACCEPTED_AS_OTHER && k <= FK_CATCHUP_AS_OTHER) ||
                     k == FK_SNAPSHOT_BAD || k == FK_VOTE_AS_OTHER))
        k = FK_WRONG_TYPE;
    forgery f = {0};
    f.role = pick_role(w, k);
    f.to = target(w, f.role);
    if (f.to == 0) return; /* nobody to send it to */
    build(w, k, &f);
    size_t len = encode(w, &f);
    if (len == 0) {
        sim_fail(w, "forge", "%s to n%u/%s cannot be encoded: a simulator bug", kind_name[k],
                 f.to, px_role_name(f.role));
        return;
    }
    w->stat_forged++;
    int rc = px_decode(w->frame, len, SIM_CLUSTER_ID, w->msg);
    int why = rc < 0 ? -rc : node_deliver_forged(w, f.to, f.role, w->msg);
    trace_note(w, kind_name[k], f.to, f.role, (uint64_t)why);
    if (w->failed) return; /* the damage was caught by an invariant first */
    if (why > 0 && why < PX_REFUSE_MAX) w->refused[1][why]++;
    int ok = f.want == FORGE_ANY_DECODE ? rc < 0 : why == f.want;
    if (!ok)
        sim_fail(w, "forged frame", "n%u/%s: %s: verdict %s (%d), expected %s", f.to,
                 px_role_name(f.role), kind_name[k], why ? px_refusal_key(why) : "taken", why,
                 f.want == FORGE_ANY_DECODE ? "a decoder refusal" : px_refusal_key(f.want));
}

void forge_burst(sim_world *w)
{
    uint64_t n = sim_rand(w, 1, 8);
    for (uint64_t i = 0; i < n && !w->failed; i++) forge_one(w);
}
