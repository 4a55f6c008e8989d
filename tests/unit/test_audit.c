/* test_audit.c -- bin/paxos-audit's checks (audit/check.h) on hand-made
 * cluster states: one that is healthy, one that is strange but legitimate
 * (votes overwritten before a majority formed, re-proposals, no-ops, a
 * learner that lost its snapshot, snapshots at different slots, a
 * duplicated vote, unchosen slots past the prefix), and for every
 * invariant a state that breaks it and nothing else.  Then the reading
 * (audit/read.c) on real files: a torn tail left out and the file left as
 * it was, a damaged learner.snap refused, the final-lists format.
 *
 * Each violation test fails when its check is removed (see the report of
 * the commit that added them for the plant used per check). */
#include "audit/check.h"
#include "audit/read.h"
#include "acceptor/store.h"
#include "learner/snapshot.h"
#include "proposer/round_file.h"
#include "check.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static audit_state st;
static audit_result res;

/* ---- building states ----------------------------------------------------------- */

/* Value k: one append of k by client 1 with seq k; 0 is a no-op.  Values
 * at slots 0.. with codes 1, 2, ... give the list 1, 2, ... */
static px_value val(int k)
{
    px_value v;
    memset(&v, 0, sizeof v);
    if (k == 0) return v;
    v.n = 1;
    v.cmds[0] = (px_cmd){.kind = PX_CMD_APPEND, .client = 1, .seq = (uint64_t)k, .value = k};
    return v;
}

static void fresh(void)
{
    audit_state_free(&st);
    audit_state_init(&st);
    audit_result_init(&res);
    uint32_t ids[3] = {1, 2, 3};
    audit_set_members(&st, ids, 3);
    for (uint32_t id = 1; id <= 3; id++) {
        audit_node *n = audit_add_node(&st, id, "mem");
        n->has_round = 1;
        n->round = 100;
        n->has_learner_log = 1;
    }
}

static uint64_t next_offset;

static void rec(uint32_t node, uint8_t type, uint64_t round, uint32_t bnode, uint64_t slot,
                int k)
{
    acc_record r;
    memset(&r, 0, sizeof r);
    r.type = type;
    r.ballot = (px_ballot){round, bnode};
    r.slot = slot;
    if (type == ACC_REC_ACCEPT) r.value = val(k);
    audit_add_record(&st, audit_find_node(&st, node), &r, next_offset += 32, 2);
}

static void promise(uint32_t node, uint64_t round, uint32_t bnode)
{
    rec(node, ACC_REC_PROMISE, round, bnode, 0, 0);
}

static void accept(uint32_t node, uint64_t round, uint32_t bnode, uint64_t slot, int k)
{
    rec(node, ACC_REC_ACCEPT, round, bnode, slot, k);
}

static void trim(uint32_t node, uint64_t mark, uint64_t round, uint32_t bnode)
{
    rec(node, ACC_REC_TRIM, round, bnode, mark, 0);
}

/* Slots [from, to) chosen with value codes slot + 1 by nodes under
 * (round, bnode), after their promise. */
static void choose_range(const uint32_t *nodes, int n, uint64_t round, uint32_t bnode,
                         uint64_t from, uint64_t to)
{
    for (int i = 0; i < n; i++) {
        promise(nodes[i], round, bnode);
        for (uint64_t s = from; s < to; s++) accept(nodes[i], round, bnode, s, (int)s + 1);
    }
}

static const uint32_t ALL[3] = {1, 2, 3};

/* The state after slots 0..s-1 with codes 1..s (see val): list 1..s and
 * client 1 at seq s. */
static void snapshot_at(uint32_t node, uint64_t s)
{
    int64_t *list = malloc(s * sizeof *list + 1);
    for (uint64_t i = 0; i < s; i++) list[i] = (int64_t)i + 1;
    dedup_entry d = {.client = 1, .seq = s, .slot = s - 1, .result = (int64_t)s - 1};
    audit_set_snapshot(audit_find_node(&st, node), s, list, s, &d, s ? 1 : 0);
    free(list);
}

static void final_list(uint32_t node, size_t n)
{
    int64_t *v = malloc(n * sizeof *v + 1);
    for (size_t i = 0; i < n; i++) v[i] = (int64_t)i + 1;
    audit_add_list(&st, node, v, n);
    free(v);
}

static void run(void)
{
    audit_check(&st, &res);
}

/* Exactly `count` violations, all of kind. */
static int only(int kind, uint64_t count)
{
    if (res.total != count || res.per_kind[kind] != count) {
        for (size_t i = 0; i < res.n; i++)
            fprintf(stderr, "  got %s: %s\n", audit_kind_name(res.v[i].kind), res.v[i].what);
        return 0;
    }
    return 1;
}

/* ---- healthy and legitimately strange ------------------------------------------------ */

static void test_healthy_cluster(void)
{
    fresh();
    choose_range(ALL, 3, 1, 1, 0, 10);
    snapshot_at(1, 8);
    snapshot_at(2, 8);
    trim(1, 8, 1, 1);
    trim(2, 8, 1, 1);
    for (uint32_t id = 1; id <= 3; id++) final_list(id, 10);
    run();
    CHECK(only(0, 0));
    CHECK(res.c.records == 3 * 11 + 2);
    CHECK(res.c.chosen_slots == 10 && res.c.chosen_prefix == 10);
    CHECK(res.c.snapshots == 2 && res.c.lists == 3 && res.c.list_elements == 30);
    CHECK(res.c.replay_list == 10 && res.c.replay_dedup == 1);
    CHECK(res.c.trim_mark == 8 && res.c.trim_covered == 2);
    CHECK(res.c.proposer_states == 3 && res.c.ballots == 1);
}

/* Everything here happens in correct runs, and none of it is a violation. */
static void test_strange_but_fine(void)
{
    fresh();
    /* Slot 0: node 3 voted X under (1,1), then (2,2) chose Y: a vote below
     * the chosen ballot may disagree.  Node 1 votes Y twice (a restart
     * that replayed a torn batch's lost record, then voted again). */
    promise(3, 1, 1);
    accept(3, 1, 1, 0, 77);
    for (uint32_t id = 1; id <= 3; id++) promise(id, 2, 2);
    accept(1, 2, 2, 0, 1);
    accept(1, 2, 2, 0, 1);
    accept(2, 2, 2, 0, 1);
    /* Slots 1..5 chosen under (2,2); a new leader (3,3) re-proposes slot 5's
     * chosen value and fills slot 6, which only node 3 had, with it too. */
    for (uint32_t id = 1; id <= 3; id++)
        for (uint64_t s = 1; s < 6; s++) accept(id, 2, 2, s, (int)s + 1);
    accept(3, 2, 2, 6, 7);
    promise(1, 3, 3);
    promise(2, 3, 3);
    accept(1, 3, 3, 5, 6);
    accept(2, 3, 3, 5, 6);
    accept(1, 3, 3, 6, 7);
    accept(2, 3, 3, 6, 7);
    /* Slot 7 a no-op (no list element); slots 8, 9 chosen with codes 8, 9;
     * slot 10 only in node 1; slot 12 chosen above the unchosen 11. */
    accept(1, 3, 3, 7, 0);
    accept(2, 3, 3, 7, 0);
    for (uint64_t s = 8; s < 10; s++) {
        accept(1, 3, 3, s, (int)s);
        accept(2, 3, 3, s, (int)s);
    }
    accept(1, 3, 3, 10, 99);
    accept(1, 3, 3, 12, 5);
    accept(2, 3, 3, 12, 5);
    /* Node 3 lagged and trims later than the others, at its promise. */
    trim(1, 6, 3, 3);
    trim(2, 6, 3, 3);
    trim(3, 6, 2, 2);
    /* Snapshots: node 1 at slot 6, node 3 at 4 (older); node 2 lost its
     * learner.snap, but its log says it had one at 6. */
    snapshot_at(1, 6);
    snapshot_at(3, 4);
    audit_find_node(&st, 2)->snap_logged = 6;
    /* Lists: one at the end (9 elements: slot 7 is a no-op), one shorter. */
    final_list(1, 9);
    final_list(2, 3);
    run();
    CHECK(only(0, 0));
    CHECK(res.c.chosen_prefix == 10 && res.c.chosen_slots == 11);
    CHECK(res.c.replay_list == 9);
    CHECK(res.c.trim_mark == 6 && res.c.trim_covered == 2);
}

/* ---- each invariant broken ------------------------------------------------------------- */

static void test_two_values_one_ballot(void)
{
    fresh();
    promise(1, 1, 1);
    promise(2, 1, 1);
    accept(1, 1, 1, 0, 1);
    accept(2, 1, 1, 0, 2);
    run();
    CHECK(only(AUDIT_TWO_VALUES_ONE_BALLOT, 1));
    CHECK(res.c.chosen_slots == 0);
}

static void test_chosen_contradicted(void)
{
    fresh();
    choose_range(ALL, 2, 1, 1, 0, 3); /* nodes 1 and 2 */
    promise(3, 2, 3);
    accept(3, 2, 3, 1, 0); /* a no-op over slot 1's chosen value */
    run();
    CHECK(only(AUDIT_CHOSEN_CONTRADICTED, 1));
    CHECK(res.n == 1 && res.v[0].node == 3 && res.v[0].slot == 1);
}

static void test_two_values_chosen(void)
{
    fresh();
    choose_range(ALL, 2, 1, 1, 0, 3);
    uint32_t late[2] = {2, 3};
    promise(2, 2, 3);
    promise(3, 2, 3);
    for (int i = 0; i < 2; i++) accept(late[i], 2, 3, 2, 42);
    run();
    CHECK(only(AUDIT_TWO_VALUES_CHOSEN, 1));
}

static void test_promise_not_raised(void)
{
    fresh();
    choose_range(ALL, 3, 5, 1, 0, 2);
    promise(2, 3, 2); /* below (5,1) */
    run();
    CHECK(only(AUDIT_PROMISE_NOT_RAISED, 1));
}

static void test_vote_below_promise(void)
{
    fresh();
    choose_range(ALL, 3, 5, 1, 0, 2);
    promise(3, 6, 2);
    accept(3, 5, 1, 2, 3); /* the old leader's vote after the new promise */
    run();
    CHECK(only(AUDIT_VOTE_BELOW_PROMISE, 1));
}

static void test_vote_below_own_mark(void)
{
    fresh();
    choose_range(ALL, 3, 1, 1, 0, 10);
    for (uint32_t id = 1; id <= 3; id++) snapshot_at(id, 8);
    trim(2, 8, 1, 1);
    accept(2, 1, 1, 3, 4); /* the same value: only the mark is broken */
    run();
    CHECK(only(AUDIT_VOTE_BELOW_MARK, 1));
}

static void test_trim_rules(void)
{
    fresh();
    choose_range(ALL, 3, 1, 1, 0, 10);
    for (uint32_t id = 1; id <= 3; id++) snapshot_at(id, 10);
    trim(1, 8, 1, 1);
    trim(1, 8, 1, 1); /* not raised */
    run();
    CHECK(only(AUDIT_TRIM_NOT_RAISED, 1));

    fresh();
    choose_range(ALL, 3, 1, 1, 0, 10);
    for (uint32_t id = 1; id <= 3; id++) snapshot_at(id, 10);
    trim(1, 8, 2, 2); /* under a ballot it never promised */
    run();
    CHECK(only(AUDIT_TRIM_BALLOT, 1));

    fresh();
    choose_range(ALL, 3, 1, 1, 0, 10);
    for (uint32_t id = 1; id <= 3; id++) audit_find_node(&st, id)->snap_logged = 50;
    trim(1, 11, 1, 1); /* past slot 9, the last it voted in */
    run();
    CHECK(only(AUDIT_TRIM_AHEAD, 1));

    fresh(); /* exactly up to the last vote is fine */
    choose_range(ALL, 3, 1, 1, 0, 10);
    for (uint32_t id = 1; id <= 3; id++) audit_find_node(&st, id)->snap_logged = 50;
    trim(1, 10, 1, 1);
    run();
    CHECK(only(0, 0));
}

static void test_ballot_not_in_proposer_state(void)
{
    fresh();
    choose_range(ALL, 3, 7, 2, 0, 2);
    audit_find_node(&st, 2)->round = 6;
    run();
    CHECK(only(AUDIT_BALLOT_NOT_STORED, 1));

    fresh(); /* no proposer.state at all: round 0 */
    choose_range(ALL, 3, 1, 3, 0, 2);
    audit_find_node(&st, 3)->has_round = 0;
    audit_find_node(&st, 3)->round = 0;
    run();
    CHECK(only(AUDIT_BALLOT_NOT_STORED, 1));

    fresh(); /* a proposer never heard of in the logs needs no file */
    choose_range(ALL, 3, 1, 1, 0, 2);
    audit_find_node(&st, 3)->has_round = 0;
    audit_find_node(&st, 3)->round = 0;
    run();
    CHECK(only(0, 0));
}

static void test_ballot_of_non_member(void)
{
    fresh();
    choose_range(ALL, 3, 1, 7, 0, 2);
    run();
    CHECK(only(AUDIT_BALLOT_NOT_MEMBER, 1));
}

static void test_snapshot_differs(void)
{
    fresh(); /* an element */
    choose_range(ALL, 3, 1, 1, 0, 10);
    snapshot_at(2, 8);
    audit_find_node(&st, 2)->snap.list[3] = 40;
    run();
    CHECK(only(AUDIT_SNAPSHOT_DIFFERS, 1));
    CHECK(res.n == 1 && res.v[0].offset == 3 && res.v[0].slot == 3);

    fresh(); /* the length: a slot applied twice (or skipped) */
    choose_range(ALL, 3, 1, 1, 0, 10);
    snapshot_at(2, 8);
    audit_find_node(&st, 2)->snap.list_len = 7;
    run();
    CHECK(only(AUDIT_SNAPSHOT_DIFFERS, 1));

    fresh(); /* the dedup table */
    choose_range(ALL, 3, 1, 1, 0, 10);
    snapshot_at(2, 8);
    audit_find_node(&st, 2)->snap.dedup[0].seq = 7;
    run();
    CHECK(only(AUDIT_SNAPSHOT_DIFFERS, 1));
}

static void test_snapshot_beyond_chosen(void)
{
    fresh();
    choose_range(ALL, 3, 1, 1, 0, 10);
    accept(1, 1, 1, 10, 11); /* one vote: slot 10 is not chosen */
    snapshot_at(1, 11);
    run();
    CHECK(only(AUDIT_SNAPSHOT_UNCHOSEN, 1));
}

static void test_list_differs(void)
{
    fresh();
    choose_range(ALL, 3, 1, 1, 0, 10);
    final_list(1, 10);
    final_list(2, 10);
    st.lists[1].v[6] = 1000;
    run();
    CHECK(only(AUDIT_LIST_DIFFERS, 1));
    CHECK(res.n == 1 && res.v[0].node == 2 && res.v[0].offset == 6);
}

/* The early-reply shape: a learner applied slot 10, but only one vote for
 * it survived. */
static void test_list_beyond_chosen(void)
{
    fresh();
    choose_range(ALL, 3, 1, 1, 0, 10);
    accept(1, 1, 1, 10, 11);
    final_list(3, 11);
    run();
    CHECK(only(AUDIT_LIST_UNCHOSEN, 1));
    CHECK(strstr(res.v[0].what, "slot 10: 1 vote") != NULL);
}

static void test_trim_beyond_snapshots(void)
{
    fresh();
    choose_range(ALL, 3, 1, 1, 0, 10);
    snapshot_at(1, 8);
    snapshot_at(2, 4);
    audit_find_node(&st, 3)->snap_logged = 4;
    trim(1, 8, 1, 1);
    run();
    CHECK(only(AUDIT_TRIM_UNCOVERED, 1));

    /* A node without its learner log cannot be judged: no alarm. */
    audit_find_node(&st, 3)->has_learner_log = 0;
    audit_result_init(&res);
    run();
    CHECK(only(0, 0));
}

static void test_rewritten_log_is_recognized(void)
{
    fresh();
    /* An export: PROMISE(5,1), TRIM(4), entries with older vballots. */
    promise(1, 5, 1);
    trim(1, 4, 5, 1);
    accept(1, 3, 2, 4, 5);
    accept(1, 5, 1, 5, 6);
    const audit_acceptor *a = &audit_find_node(&st, 1)->acc;
    for (size_t i = 0; i < a->n; i++) a->recs[i].batch = 1;
    CHECK(audit_log_rewritten(a));
    /* A history with the same records in later batches is not. */
    for (size_t i = 0; i < a->n; i++) a->recs[i].batch = 2;
    CHECK(!audit_log_rewritten(a));
    /* An export whose votes all sit at the promise: its TRIM before any
     * vote gives it away (a history's TRIM never passes its votes). */
    fresh();
    promise(1, 5, 1);
    trim(1, 4, 5, 1);
    accept(1, 5, 1, 4, 5);
    a = &audit_find_node(&st, 1)->acc;
    for (size_t i = 0; i < a->n; i++) a->recs[i].batch = 1;
    CHECK(audit_log_rewritten(a));
    /* A first batch that is a history (votes, then a TRIM behind them) is
     * not. */
    fresh();
    choose_range(ALL, 1, 1, 1, 0, 3);
    trim(1, 2, 1, 1);
    for (uint32_t id = 1; id <= 3; id++) audit_find_node(&st, id)->snap_logged = 2;
    a = &audit_find_node(&st, 1)->acc;
    for (size_t i = 0; i < a->n; i++) a->recs[i].batch = 1;
    CHECK(!audit_log_rewritten(a));
    run();
    CHECK(only(0, 0));
}

/* ---- reading real files ----------------------------------------------------------------- */

static char root[64];

static void node_path(char *buf, size_t len, uint32_t id, const char *file)
{
    if (file) snprintf(buf, len, "%s/node%u/%s", root, id, file);
    else snprintf(buf, len, "%s/node%u", root, id);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f == NULL) abort();
    fputs(text, f);
    fclose(f);
}

/* Node id's acceptor.log: PROMISE(1,1) and slots 0..9 with codes 1..10,
 * in two batches. */
static int write_node(uint32_t id)
{
    char dir[256], err[512];
    node_path(dir, sizeof dir, id, NULL);
    mkdir(dir, 0755);
    node_path(dir, sizeof dir, id, "logs");
    mkdir(dir, 0755);
    node_path(dir, sizeof dir, id, NULL);
    acc_store_report rep;
    struct acc_store *s = acc_store_open(dir, 1, NULL, NULL, &rep, err, sizeof err);
    if (s == NULL) return -1;
    acc_record r;
    memset(&r, 0, sizeof r);
    r.type = ACC_REC_PROMISE;
    r.ballot = (px_ballot){1, 1};
    int rc = acc_store_append(s, &r, 1, err, sizeof err);
    for (int k = 0; k < 10 && rc == 0; k++) {
        r.type = ACC_REC_ACCEPT;
        r.slot = (uint64_t)k;
        r.value = val(k + 1);
        rc = acc_store_append(s, &r, 1, err, sizeof err);
        if (k == 4 && rc == 0) rc = acc_store_sync(s, err, sizeof err);
    }
    if (rc == 0) rc = acc_store_sync(s, err, sizeof err);
    acc_store_close(s);
    return rc == 0 ? prop_round_store(dir, 1, 1, err, sizeof err) : -1;
}

static int write_snapshot(uint32_t id, uint64_t slot)
{
    int64_t list[16];
    for (uint64_t i = 0; i < slot; i++) list[i] = (int64_t)i + 1;
    dedup_entry d = {.client = 1, .seq = slot, .slot = slot - 1, .result = (int64_t)slot - 1};
    px_snap_src src = {.slot = slot, .list = list, .list_len = slot, .dedup = &d, .dedup_n = 1};
    src.crc = px_snap_crc(&src);
    size_t len = (size_t)px_snap_size(slot, 1);
    uint8_t *buf = malloc(len);
    px_snap_read(&src, 0, buf, len);
    char path[256];
    node_path(path, sizeof path, id, "learner.snap");
    FILE *f = fopen(path, "wb");
    size_t w = f ? fwrite(buf, 1, len, f) : 0;
    if (f) fclose(f);
    free(buf);
    return w == len ? 0 : -1;
}

static int read_all(char *err, size_t errlen)
{
    char dir[256];
    fresh();
    st.n_nodes = 0; /* fresh() made in-memory nodes; these come from files */
    for (uint32_t id = 1; id <= 3; id++) {
        node_path(dir, sizeof dir, id, NULL);
        if (audit_read_node(&st, id, dir, err, errlen) < 0) return -1;
    }
    return 0;
}

static off_t file_size(const char *path)
{
    struct stat s;
    return stat(path, &s) == 0 ? s.st_size : -1;
}

static void test_read_files(void)
{
    char err[1024], path[256];
    snprintf(root, sizeof root, "/tmp/test_audit.XXXXXX");
    REQUIRE(mkdtemp(root) != NULL);
    for (uint32_t id = 1; id <= 3; id++) REQUIRE(write_node(id) == 0);
    REQUIRE(write_snapshot(1, 8) == 0);
    node_path(path, sizeof path, 2, "logs/learner.log");
    write_text(path, "2026-01-01T00:00:00.000Z INFO  n2 learner snapshot at slot 4 written: "
                     "100 bytes in 1 ms\n2026-01-01T00:00:01.000Z INFO  n2 learner restored "
                     "data/node2/learner.snap: every slot below 8 (200 bytes)\n");
    REQUIRE(read_all(err, sizeof err) == 0);
    const audit_node *n1 = audit_find_node(&st, 1), *n2 = audit_find_node(&st, 2);
    CHECK(n1->acc.present && n1->acc.n == 11 && n1->acc.cut_records == 0);
    CHECK(n1->acc.recs[0].offset == 20 && n1->acc.recs[1].batch == 1);
    CHECK(n1->acc.recs[10].batch == 2);
    CHECK(n1->has_round && n1->round == 1);
    CHECK(n1->snap.present && n1->snap.slot == 8 && n1->snap.list_len == 8);
    CHECK(!n2->snap.present && n2->has_learner_log && n2->snap_logged == 8);
    CHECK(!n1->has_learner_log);
    run();
    CHECK(only(0, 0));
    CHECK(res.c.chosen_prefix == 10 && res.c.snapshots == 1);

    /* A torn tail on node 3 (the start of a record that never finished):
     * left out, counted, and the file left as it is. */
    node_path(path, sizeof path, 3, "acceptor.log");
    off_t before = file_size(path);
    int fd = open(path, O_WRONLY | O_APPEND);
    REQUIRE(fd >= 0);
    uint8_t junk[40];
    memset(junk, 0xA5, sizeof junk);
    CHECK(write(fd, junk, sizeof junk) == (ssize_t)sizeof junk);
    close(fd);
    REQUIRE(read_all(err, sizeof err) == 0);
    CHECK(audit_find_node(&st, 3)->acc.n == 11);
    CHECK(audit_find_node(&st, 3)->acc.cut_bytes == sizeof junk);
    CHECK(file_size(path) == before + (off_t)sizeof junk);
    run();
    CHECK(only(0, 0));

    /* A learner.snap the learner would refuse stops the audit. */
    node_path(path, sizeof path, 1, "learner.snap");
    fd = open(path, O_WRONLY);
    REQUIRE(fd >= 0);
    CHECK(pwrite(fd, "X", 1, 50) == 1);
    close(fd);
    CHECK(read_all(err, sizeof err) < 0);
    CHECK(strstr(err, "learner.snap") != NULL);
    unlink(path);

    /* The final-lists format, and a list that breaks the prefix. */
    snprintf(path, sizeof path, "%s/lists.txt", root);
    write_text(path, "# node list\n1 1 2 3\n\n2 [1, 2, 3, 4]\n3\n");
    REQUIRE(read_all(err, sizeof err) == 0);
    REQUIRE(audit_read_lists(&st, path, err, sizeof err) == 0);
    CHECK(st.n_lists == 3 && st.lists[1].node == 2 && st.lists[1].n == 4);
    CHECK(st.lists[2].node == 3 && st.lists[2].n == 0);
    run();
    CHECK(only(0, 0));
    write_text(path, "1 1 2 4\n");
    REQUIRE(read_all(err, sizeof err) == 0);
    REQUIRE(audit_read_lists(&st, path, err, sizeof err) == 0);
    run();
    CHECK(only(AUDIT_LIST_DIFFERS, 1));
    write_text(path, "12 1 2 4\n");
    CHECK(audit_read_lists(&st, path, err, sizeof err) < 0);

    CHECK(audit_node_dir_id("data/node3") == 3 && audit_node_dir_id("x/node3/") == 3);
    CHECK(audit_node_dir_id("data/node0") == 0 && audit_node_dir_id("node12") == 0);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    CHECK(system(cmd) == 0);
}

int main(void)
{
    RUN(test_healthy_cluster);
    RUN(test_strange_but_fine);
    RUN(test_two_values_one_ballot);
    RUN(test_chosen_contradicted);
    RUN(test_two_values_chosen);
    RUN(test_promise_not_raised);
    RUN(test_vote_below_promise);
    RUN(test_vote_below_own_mark);
    RUN(test_trim_rules);
    RUN(test_ballot_not_in_proposer_state);
    RUN(test_ballot_of_non_member);
    RUN(test_snapshot_differs);
    RUN(test_snapshot_beyond_chosen);
    RUN(test_list_differs);
    RUN(test_list_beyond_chosen);
    RUN(test_trim_beyond_snapshots);
    RUN(test_rewritten_log_is_recognized);
    RUN(test_read_files);
    audit_state_free(&st);
    return check_summary();
}
