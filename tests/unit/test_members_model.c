/* test_members_model.c -- the membership rules of docs/PROTOCOL.md
 * (Membership) on a model of multi-decree Paxos, against the safety
 * argument written there, and each rule shown to be needed.
 *
 * The model has no messages: a step is a whole phase 1 (a random set of
 * acceptors answers), one ACCEPT reaching one acceptor (and its ACCEPTED
 * reaching the leader), or a leader opening its next slot.  Five listed
 * nodes, initial members {1, 2, 3}; values are appends and membership
 * changes; configurations come from common/members.c exactly as the cores
 * will use it.  The rules modelled:
 *   - C(t) governs slot t; a leader counts ACCEPTEDs for t against C(t);
 *   - a leader proposes t only if t < K + ALPHA (K: every slot below is
 *     known chosen to it) and C(t) is a configuration its phase 1 holds a
 *     majority of; after its own change it therefore stops at s + ALPHA;
 *   - phase 1 from K (a learner's report: a prefix of the chosen log)
 *     needs a majority of every configuration governing a slot at or
 *     above K: the history's (current and pending) and those made by the
 *     changes it is about to re-propose, folded in slot order.
 *   - a learner keeps one tally per slot (the highest ballot heard),
 *     decides t only inside applied + ALPHA, against C(t), re-checking
 *     the slot each applied slot brings into its window, and takes a
 *     peer's CHOSEN only with acks that are a majority of its C(t).
 * Leaders are never told they were deposed (a stale leader goes on
 * proposing; acceptors refuse it), and any listed node may campaign.
 *
 * Ground truth, from the acceptors' votes only: slot t is chosen with v
 * when a majority of the real C(t) -- computed from the chosen log by the
 * specification (members.c), slot by slot -- voted v at one ballot.
 * Checked: no slot chosen with two values; no vote in a slot whose
 * configuration the chosen log does not fix yet (every proposer must know
 * C(t) before proposing there); every slot a leader counted chosen, and
 * every slot a learner decided, is chosen in truth, with its value.
 *
 * Then each rule is broken in turn (a "model bug", as a mutant would) and
 * the same runs must find a violation. */
#include <string.h>

#include "common/members.h"
#include "common/rng.h"
#include "tests/unit/check.h"

#define A PX_MEMBER_ALPHA
#define LISTED 5
#define SLOTS (10 * A)
#define TALLIES 160 /* ballots tracked per slot */
#define RUNS 25     /* of the rules as written */
#define BUG_RUNS 60 /* at most, for each broken rule */
#define STEPS 200000
#define INITIAL ((1u << 1) | (1u << 2) | (1u << 3))

enum { V_NOOP = 0, V_APPEND = 1, V_ADD = 2, V_REMOVE = 3 };

typedef struct mval {
    uint8_t kind;
    uint8_t node; /* V_ADD, V_REMOVE */
    uint32_t id;  /* V_APPEND: unique */
} mval;

typedef struct tally {
    px_ballot b;
    mval v;
    uint32_t voters;
} tally;

typedef struct macc {
    px_ballot promised;
    px_ballot vb[SLOTS];
    mval v[SLOTS];
    uint8_t has[SLOTS];
} macc;

typedef struct mprop {
    int leader;
    px_ballot b;
    uint64_t K;        /* every slot below is known chosen here */
    px_members known;  /* the history folded over [0, K) */
    uint32_t P[16];    /* configurations phase 1 holds a majority of */
    int nP;
    uint64_t next;     /* next slot to open */
    uint64_t rec_end;  /* slots below are re-proposals */
    mval prop[SLOTS];  /* what it proposed (or knows chosen) per slot */
    uint32_t acks[SLOTS];
    uint8_t counted[SLOTS];
    uint32_t reach;    /* acceptors its ACCEPTs get through to (partitions) */
} mprop;

/* Which rule a run breaks (0: none). */
enum model_bug {
    BUG_NONE = 0,
    BUG_OLD_CONFIG,      /* ACCEPTEDs counted against the configuration at K, not C(t) */
    BUG_EARLY_NEW,       /* a new configuration counted from its change's slot, not + ALPHA */
    BUG_TWO_AT_ONCE,     /* a change while another is pending is applied too */
    BUG_PHASE1_FROM_ONLY,/* phase 1 needs a majority of the configuration at K only */
    BUG_NO_WINDOW,       /* slots proposed past K + ALPHA, under the newest known configuration */
    BUG_NON_MEMBERS,     /* a leader counts votes of acceptors outside C(t) (a removed node's) */
    BUG_LEARNER_NO_WINDOW, /* a learner decides past applied + ALPHA, with the newest configuration */
    BUG_LEARNER_NON_MEMBERS, /* a learner counts VOTEs of acceptors outside C(t) */
    BUG_COUNT
};

static const char *const bug_names[BUG_COUNT] = {
    "none", "old configuration's quorum after a change", "new node counted before s + ALPHA",
    "two changes at once", "phase 1 checks the configuration at from only",
    "no window", "votes of non-members counted", "learner: no window",
    "learner: votes of non-members counted"};

/* A learner: VOTEs into one tally per slot (the highest ballot heard),
 * decisions only inside its window, applied in slot order. */
typedef struct mlearner {
    uint64_t ap;       /* next slot to apply */
    px_members h;      /* folded over [0, A) */
    px_ballot tb[SLOTS];
    mval tv[SLOTS];
    uint32_t tvoters[SLOTS];
    uint8_t dec[SLOTS];
    mval dv[SLOTS];
} mlearner;

typedef struct world {
    px_rng rng;
    int bug;
    uint64_t round;
    uint32_t next_id;
    macc acc[LISTED + 1];
    mprop pr[LISTED + 1];
    mlearner ln[LISTED + 1];
    tally tl[SLOTS][TALLIES];
    uint8_t ntl[SLOTS];
    /* the truth, from the last scan */
    mval chosen[SLOTS];
    uint8_t is_chosen[SLOTS];
    uint64_t prefix; /* every slot below is chosen */
    const char *violation;
} world;

static world W;

static int val_eq(mval a, mval b)
{
    return a.kind == b.kind && a.node == b.node && a.id == b.id;
}

static int chance(int percent)
{
    return (int)px_rng_range(&W.rng, 0, 99) < percent;
}

static int majority_of(uint32_t c, uint32_t votes)
{
    return c != 0 && px_member_count(votes & c) > px_member_count(c) / 2;
}

/* The configuration the change makes from c, or 0 (the spec's rules). */
static uint32_t change_of(uint32_t c, mval v)
{
    uint32_t bit = 1u << v.node;
    if (v.kind == V_ADD) return (c & bit) ? 0 : c | bit;
    if (v.kind == V_REMOVE) return (c & bit) && (c & ~bit) ? c & ~bit : 0;
    return 0;
}

/* Folds slot t's value into a party's history (the spec, or a bug). */
static void fold(px_members *h, uint64_t t, mval v, int party)
{
    if (v.kind == V_ADD || v.kind == V_REMOVE) {
        int op = v.kind == V_ADD ? PX_MEMBER_ADD : PX_MEMBER_REMOVE;
        int64_t r = px_members_change(h, t, op, v.node);
        if (r == PX_MEMBER_BUSY && party && W.bug == BUG_TWO_AT_ONCE) {
            uint32_t next = change_of(h->pending, v);
            if (next) h->pending = next; /* both changes take effect at once */
        }
    }
    px_members_advance(h, t + 1);
}

static void record_vote(uint64_t t, px_ballot b, mval v, uint32_t a)
{
    for (int i = 0; i < W.ntl[t]; i++) {
        if (px_ballot_cmp(W.tl[t][i].b, b) != 0) continue;
        if (!val_eq(W.tl[t][i].v, v)) W.violation = "two values under one ballot";
        W.tl[t][i].voters |= 1u << a;
        return;
    }
    if (W.ntl[t] == TALLIES) {
        W.violation = "model bound: ballots per slot";
        return;
    }
    W.tl[t][W.ntl[t]++] = (tally){b, v, 1u << a};
}

/* The truth from the votes: slot by slot, with the real C(t). */
static void truth_scan(void)
{
    px_members h;
    px_members_init(&h, INITIAL);
    uint64_t undet = UINT64_MAX;
    memset(W.is_chosen, 0, sizeof W.is_chosen);
    for (uint64_t t = 0; t < SLOTS; t++) {
        if (undet != UINT64_MAX && t >= undet + A) {
            if (W.ntl[t]) W.violation = "a vote in a slot whose configuration is not fixed yet";
            continue;
        }
        uint32_t c = px_members_at(&h, t);
        if (c == 0) {
            W.violation = "model: the history lost a configuration";
            return;
        }
        for (int i = 0; i < W.ntl[t]; i++) {
            if (!majority_of(c, W.tl[t][i].voters)) continue;
            if (W.is_chosen[t] && !val_eq(W.chosen[t], W.tl[t][i].v))
                W.violation = "a slot chosen with two values";
            W.is_chosen[t] = 1;
            W.chosen[t] = W.tl[t][i].v;
        }
        if (undet != UINT64_MAX) continue;
        if (!W.is_chosen[t]) {
            undet = t;
            continue;
        }
        fold(&h, t, W.chosen[t], 0);
    }
    W.prefix = undet == UINT64_MAX ? SLOTS : undet;
}

/* Every slot a leader counted is chosen in truth, with its value. */
static void check_leaders(void)
{
    for (uint32_t p = 1; p <= LISTED; p++) {
        const mprop *m = &W.pr[p];
        for (uint64_t t = 0; t < m->K && !W.violation; t++) {
            if (!W.is_chosen[t]) W.violation = "a leader counted a slot no quorum chose";
            else if (!val_eq(W.chosen[t], m->prop[t])) W.violation = "a leader knows another value";
        }
    }
}

/* The configuration a leader counts slot t against. */
static uint32_t leader_config(const mprop *m, uint64_t t)
{
    const px_members *h = &m->known;
    if (W.bug == BUG_OLD_CONFIG) return px_members_at(h, m->K);
    if (W.bug == BUG_EARLY_NEW && h->pending && t + A >= h->pending_from) return h->pending;
    uint32_t c = px_members_at(h, t);
    if (c == 0 && W.bug == BUG_NO_WINDOW) c = h->pending ? h->pending : h->current;
    return c;
}

static int holds_promises_of(const mprop *m, uint32_t c)
{
    for (int i = 0; i < m->nP; i++)
        if (m->P[i] == c) return 1;
    return 0;
}

static void add_config(mprop *m, uint32_t c)
{
    if (c == 0 || m->nP == 16) return;
    for (int i = 0; i < m->nP; i++)
        if (m->P[i] == c) return;
    m->P[m->nP++] = c;
}

/* Phase 1 of proposer p from K, a learner's report (a prefix of the chosen
 * log), with a random set of acceptors answering. */
static void phase1(uint32_t p)
{
    mprop *m = &W.pr[p];
    truth_scan();
    uint64_t K = px_rng_range(&W.rng, W.prefix > 3 * A ? W.prefix - 3 * A : 0, W.prefix);
    px_ballot b = {++W.round, p};
    m->leader = 0;
    m->b = b;
    m->K = m->next = K; /* what it knows from now on, elected or not */
    uint32_t resp = 0;
    for (uint32_t a = 1; a <= LISTED; a++) {
        if (!chance(75) || px_ballot_cmp(W.acc[a].promised, b) > 0) continue;
        W.acc[a].promised = b;
        resp |= 1u << a;
    }
    /* What the candidate knows: the chosen log below K. */
    px_members_init(&m->known, INITIAL);
    memset(m->counted, 0, sizeof m->counted);
    memset(m->acks, 0, sizeof m->acks);
    for (uint64_t t = 0; t < K; t++) {
        m->prop[t] = W.chosen[t];
        fold(&m->known, t, W.chosen[t], 1);
    }
    /* The recovery map, and the configurations it may need: the one at K
     * (P[0]), a pending one, those the re-proposals make. */
    px_members h = m->known;
    m->nP = 0;
    add_config(m, px_members_at(&h, K));
    if (h.pending && h.pending_from > K) add_config(m, h.pending);
    uint64_t end = K;
    for (uint64_t t = K; t < SLOTS; t++) {
        int best = 0;
        px_ballot vb = {0, 0};
        mval v = {V_NOOP, 0, 0};
        for (uint32_t a = 1; a <= LISTED; a++) {
            if (!(resp & (1u << a)) || !W.acc[a].has[t]) continue;
            if (best && px_ballot_cmp(W.acc[a].vb[t], vb) <= 0) continue;
            best = 1;
            vb = W.acc[a].vb[t];
            v = W.acc[a].v[t];
        }
        if (best) end = t + 1;
        m->prop[t] = v;
    }
    for (uint64_t t = K; t < end; t++) {
        fold(&h, t, m->prop[t], 1);
        add_config(m, h.pending);
    }
    int needed = W.bug == BUG_PHASE1_FROM_ONLY ? 1 : m->nP;
    for (int i = 0; i < needed; i++)
        if (!majority_of(m->P[i], resp)) return; /* not elected */
    m->leader = 1;
    m->rec_end = end;
}

/* The leader opens its next slot if the rules allow. */
static void open_slot(mprop *m)
{
    uint64_t t = m->next;
    if (t >= SLOTS - 1) return;
    if (W.bug != BUG_NO_WINDOW && t >= m->K + A) return;
    uint32_t c = leader_config(m, t);
    if (c == 0 || !holds_promises_of(m, c)) return;
    if (t >= m->rec_end) {
        mval v = {V_APPEND, 0, ++W.next_id};
        if (chance(25)) v = (mval){chance(50) ? V_ADD : V_REMOVE,
                                   (uint8_t)px_rng_range(&W.rng, 1, LISTED), 0};
        m->prop[t] = v;
    }
    m->next = t + 1;
}

/* The leader advances K over the slots it counted, folding their values. */
static void advance_known(mprop *m)
{
    while (m->K < m->next && m->counted[m->K]) {
        fold(&m->known, m->K, m->prop[m->K], 1);
        m->K++;
    }
}

static uint32_t learner_config(const mlearner *l, uint64_t t)
{
    uint32_t c = px_members_at(&l->h, t);
    if (c == 0 && W.bug == BUG_LEARNER_NO_WINDOW) c = l->h.pending ? l->h.pending : l->h.current;
    return c;
}

static void learner_try(mlearner *l, uint64_t t)
{
    if (t < l->ap || t >= SLOTS || l->dec[t] || l->tvoters[t] == 0) return;
    uint32_t c = learner_config(l, t);
    int q = W.bug == BUG_LEARNER_NON_MEMBERS
                ? c != 0 && px_member_count(l->tvoters[t]) > px_member_count(c) / 2
                : majority_of(c, l->tvoters[t]);
    if (!q) return;
    l->dec[t] = 1;
    l->dv[t] = l->tv[t];
}

/* Apply what is decided in order; each applied slot brings one more slot
 * inside the window, whose tally may now decide. */
static void learner_apply(mlearner *l)
{
    while (l->ap < SLOTS && l->dec[l->ap]) {
        fold(&l->h, l->ap, l->dv[l->ap], 1);
        l->ap++;
        for (uint64_t t = l->ap; t < l->ap + A && t < SLOTS; t++) learner_try(l, t);
    }
}

static void learner_vote(mlearner *l, uint64_t t, px_ballot b, mval v, uint32_t a)
{
    if (t < l->ap || l->dec[t]) return;
    int c = l->tvoters[t] ? px_ballot_cmp(b, l->tb[t]) : 1;
    if (c < 0) return; /* an older ballot's vote */
    if (c > 0) {
        l->tb[t] = b;
        l->tv[t] = v;
        l->tvoters[t] = 0;
    }
    l->tvoters[t] |= 1u << a;
    learner_try(l, t);
    learner_apply(l);
}

/* Catch-up: a peer serves slot A as CHOSEN with the acks it was decided
 * with (here: the ballot's voters in truth); taken only if they are a
 * majority of the learner's C(A). */
static void learner_catchup(mlearner *l)
{
    uint64_t t = l->ap;
    if (t >= SLOTS || !W.is_chosen[t]) return;
    for (int i = 0; i < W.ntl[t]; i++) {
        if (!val_eq(W.tl[t][i].v, W.chosen[t])) continue;
        if (!majority_of(px_members_at(&l->h, t), W.tl[t][i].voters)) continue;
        l->dec[t] = 1;
        l->dv[t] = W.chosen[t];
        learner_apply(l);
        return;
    }
}

/* Every slot a learner decided is chosen in truth, with its value. */
static void check_learners(void)
{
    for (uint32_t k = 1; k <= LISTED && !W.violation; k++) {
        const mlearner *l = &W.ln[k];
        for (uint64_t t = 0; t < SLOTS && !W.violation; t++) {
            if (!l->dec[t]) continue;
            if (!W.is_chosen[t]) W.violation = "a learner decided a slot no quorum chose";
            else if (!val_eq(W.chosen[t], l->dv[t])) W.violation = "a learner decided another value";
        }
    }
}

/* One ACCEPT of an open slot reaches one acceptor, its ACCEPTED the leader. */
static void deliver(mprop *m)
{
    if (m->next <= m->K) return;
    uint64_t t = px_rng_range(&W.rng, m->K, m->next - 1);
    uint32_t c = leader_config(m, t);
    uint32_t a = (uint32_t)px_rng_range(&W.rng, 1, LISTED);
    /* ACCEPTs go to C(t) (a few astray: non-members' votes never count). */
    while (!(c & (1u << a)) && !chance(10)) a = (uint32_t)px_rng_range(&W.rng, 1, LISTED);
    if (!(m->reach & (1u << a))) return; /* cut off from this leader */
    macc *x = &W.acc[a];
    if (px_ballot_cmp(x->promised, m->b) > 0) return;
    x->promised = m->b;
    x->vb[t] = m->b;
    x->v[t] = m->prop[t];
    x->has[t] = 1;
    record_vote(t, m->b, m->prop[t], a);
    for (uint32_t k = 1; k <= LISTED; k++) /* its VOTE, to every listed learner, lossy */
        if (chance(80)) learner_vote(&W.ln[k], t, m->b, m->prop[t], a);
    m->acks[t] |= 1u << a;
    if (W.bug == BUG_NON_MEMBERS && px_member_count(m->acks[t]) > px_member_count(c) / 2)
        m->counted[t] = 1; /* every voter counts, member or not */
    if (!m->counted[t] && majority_of(c, m->acks[t])) m->counted[t] = 1;
    advance_known(m);
}

/* A leader (perhaps a deposed one that does not know it) hears a
 * learner's report: every slot below a prefix of the chosen log is chosen,
 * with its value.  Slots it had open there are settled. */
static void learn(mprop *m)
{
    truth_scan();
    if (W.prefix <= m->K) return;
    uint64_t K = px_rng_range(&W.rng, m->K + 1, W.prefix);
    for (uint64_t t = m->K; t < K; t++) {
        m->prop[t] = W.chosen[t];
        fold(&m->known, t, W.chosen[t], 1);
    }
    m->K = K;
    if (m->next < K) m->next = K;
}

/* One step: an election now and then, else one leader (the newest or a
 * deposed one) hears a report, opens a slot or gets an ACCEPT through. */
static void step(void)
{
    uint32_t leaders[LISTED], n = 0;
    for (uint32_t p = 1; p <= LISTED; p++)
        if (W.pr[p].leader) leaders[n++] = p;
    uint64_t r = px_rng_range(&W.rng, 0, 9999);
    if (n == 0 || r < 8) {
        phase1((uint32_t)px_rng_range(&W.rng, 1, LISTED));
        return;
    }
    if (r < 20) { /* the links move: each leader reaches a random set */
        for (uint32_t p = 1; p <= LISTED; p++)
            W.pr[p].reach = (uint32_t)px_rng_range(&W.rng, 0, 63) & ~1u;
        return;
    }
    if (r >= 60 && r < 120) {
        truth_scan();
        learner_catchup(&W.ln[px_rng_range(&W.rng, 1, LISTED)]);
        return;
    }
    mprop *m = &W.pr[leaders[px_rng_range(&W.rng, 0, n - 1)]];
    if (r < 60) learn(m);
    else if (chance(25)) open_slot(m);
    else deliver(m);
}

/* One run; returns the violation found, or NULL. */
static const char *run(uint64_t seed, int bug)
{
    memset(&W, 0, sizeof W);
    px_rng_seed(&W.rng, seed);
    W.bug = bug;
    for (uint32_t p = 1; p <= LISTED; p++) {
        px_members_init(&W.pr[p].known, INITIAL);
        px_members_init(&W.ln[p].h, INITIAL);
        W.pr[p].reach = 0x3Eu;
    }
    for (int i = 0; i < STEPS && !W.violation; i++) {
        step();
        if (i % 500 == 499) {
            truth_scan();
            check_leaders();
            check_learners();
        }
    }
    if (!W.violation) {
        truth_scan();
        check_leaders();
        check_learners();
    }
    return W.violation;
}

/* The rules as written: no violation, and the runs get far (several
 * changes take effect), so that the bugs below have something to break. */
static void test_rules_hold(void)
{
    uint64_t total_prefix = 0, changes = 0, applied = 0;
    for (uint64_t seed = 1; seed <= (uint64_t)RUNS; seed++) {
        const char *v = run(seed, BUG_NONE);
        if (v) fprintf(stderr, "  seed %llu: %s\n", (unsigned long long)seed, v);
        CHECK(v == NULL);
        total_prefix += W.prefix;
        for (uint32_t k = 1; k <= LISTED; k++) applied += W.ln[k].ap;
        px_members h;
        px_members_init(&h, INITIAL);
        for (uint64_t t = 0; t < W.prefix; t++) {
            uint32_t before = h.pending;
            fold(&h, t, W.chosen[t], 0);
            changes += h.pending != before;
        }
    }
    fprintf(stderr, "  %d runs: %llu slots chosen, %llu changes taken, learners applied %llu\n",
            RUNS, (unsigned long long)total_prefix, (unsigned long long)changes,
            (unsigned long long)applied);
    CHECK(total_prefix > 20 * (uint64_t)A);
    CHECK(changes >= 20);
    CHECK(applied > 3 * total_prefix); /* most learners keep up, across changes */
}

/* Each rule broken: some run must find a violation. */
static void test_each_rule_needed(void)
{
    for (int bug = 1; bug < BUG_COUNT; bug++) {
        const char *found = NULL;
        uint64_t seed = 1;
        for (; seed <= BUG_RUNS && !found; seed++) found = run(seed, bug);
        if (found)
            fprintf(stderr, "  %-45s seed %llu: %s\n", bug_names[bug],
                    (unsigned long long)seed - 1, found);
        else
            fprintf(stderr, "  %-45s NOT caught\n", bug_names[bug]);
        CHECK(found != NULL);
    }
}

int main(void)
{
    RUN(test_rules_hold);
    RUN(test_each_rule_needed);
    return check_summary();
}
