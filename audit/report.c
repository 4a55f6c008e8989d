/* report.c -- writing the audit's verdict (see report.h). */
#include "report.h"

#include <stddef.h>
#include <string.h>

/* The counts, named once for both machine formats. */
static const struct {
    const char *name;
    size_t off;
} counts[] = {
    {"nodes", offsetof(audit_counts, nodes)},
    {"acceptor-logs", offsetof(audit_counts, acceptor_logs)},
    {"records", offsetof(audit_counts, records)},
    {"promises", offsetof(audit_counts, promises)},
    {"accepts", offsetof(audit_counts, accepts)},
    {"trims", offsetof(audit_counts, trims)},
    {"torn-records", offsetof(audit_counts, torn_records)},
    {"slots-voted", offsetof(audit_counts, slots_voted)},
    {"slot-ballots", offsetof(audit_counts, slot_ballots)},
    {"ballots", offsetof(audit_counts, ballots)},
    {"highest-slot", offsetof(audit_counts, highest_slot)},
    {"chosen-slots", offsetof(audit_counts, chosen_slots)},
    {"chosen-prefix", offsetof(audit_counts, chosen_prefix)},
    {"proposer-states", offsetof(audit_counts, proposer_states)},
    {"snapshots", offsetof(audit_counts, snapshots)},
    {"trim-mark", offsetof(audit_counts, trim_mark)},
    {"trim-covered", offsetof(audit_counts, trim_covered)},
    {"learner-logs", offsetof(audit_counts, learner_logs)},
    {"final-lists", offsetof(audit_counts, lists)},
    {"list-elements", offsetof(audit_counts, list_elements)},
    {"replay-list", offsetof(audit_counts, replay_list)},
    {"replay-dedup", offsetof(audit_counts, replay_dedup)},
};

static unsigned long long count_at(const audit_counts *c, size_t i)
{
    return (unsigned long long)*(const uint64_t *)((const char *)c + counts[i].off);
}

/* A string with " and \ escaped (EDN and JSON agree on these). */
static void put_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') fputc('\\', f);
        if ((unsigned char)*s < 0x20) fputc(' ', f);
        else fputc(*s, f);
    }
    fputc('"', f);
}

static void file_path(const audit_state *st, const audit_violation *v, char *buf, size_t len)
{
    const audit_node *n = v->node ? audit_find_node(st, v->node) : NULL;
    if (v->file == NULL) buf[0] = 0;
    else if (n && strcmp(v->file, "final list") != 0) snprintf(buf, len, "%s/%s", n->dir, v->file);
    else snprintf(buf, len, "%s", v->file);
}

/* ---- text ------------------------------------------------------------------- */

static void text_checked(FILE *f, const audit_state *st, const audit_result *r)
{
    const audit_counts *c = &r->c;
    fprintf(f, "  nodes: %llu (cluster of %u, a majority is %u)\n", (unsigned long long)c->nodes,
            st->n_members, audit_majority(st));
    fprintf(f, "  acceptor logs: %llu, %llu records (%llu PROMISE, %llu ACCEPT, %llu TRIM); "
               "%llu in torn tails left out (a recovery cuts them: never acknowledged)\n",
            (unsigned long long)c->acceptor_logs, (unsigned long long)c->records,
            (unsigned long long)c->promises, (unsigned long long)c->accepts,
            (unsigned long long)c->trims, (unsigned long long)c->torn_records);
    fprintf(f, "  votes: %llu slots, %llu (slot, ballot) pairs, %llu ballots, highest slot %llu\n",
            (unsigned long long)c->slots_voted, (unsigned long long)c->slot_ballots,
            (unsigned long long)c->ballots, (unsigned long long)c->highest_slot);
    fprintf(f, "  chosen (a majority under one ballot): %llu slots, %llu of them from slot 0 on "
               "without a gap; then %s\n",
            (unsigned long long)c->chosen_slots, (unsigned long long)c->chosen_prefix,
            r->first_unchosen);
    fprintf(f, "  proposer.state: %llu; every ballot checked against its proposer's round\n",
            (unsigned long long)c->proposer_states);
    fprintf(f, "  learner.snap: %llu compared with the chosen log's state at their slots\n",
            (unsigned long long)c->snapshots);
    if (c->trim_mark == 0)
        fprintf(f, "  trim mark: no TRIM record\n");
    else
        fprintf(f, "  trim mark: highest %llu, reached by durable snapshots of %llu learners "
                   "(learner logs read: %llu)\n",
                (unsigned long long)c->trim_mark, (unsigned long long)c->trim_covered,
                (unsigned long long)c->learner_logs);
    fprintf(f, "  final lists: %llu (%llu elements) against the chosen log's list (%llu "
               "elements, %llu clients in the dedup table)\n",
            (unsigned long long)c->lists, (unsigned long long)c->list_elements,
            (unsigned long long)c->replay_list, (unsigned long long)c->replay_dedup);
}

void audit_report_text(FILE *f, const audit_state *st, const audit_result *r, double seconds)
{
    if (r->total == 0)
        fprintf(f, "paxos-audit: VALID: no violation of Paxos's invariants in %.2f s\n", seconds);
    else
        fprintf(f, "paxos-audit: INVALID: %llu violation%s of Paxos's invariants (%.2f s)\n",
                (unsigned long long)r->total, r->total == 1 ? "" : "s", seconds);
    fprintf(f, "checked:\n");
    text_checked(f, st, r);
    if (r->total == 0) return;
    fprintf(f, "violations by kind:");
    for (int k = 0; k < AUDIT_KINDS; k++)
        if (r->per_kind[k])
            fprintf(f, " %s %llu", audit_kind_name(k), (unsigned long long)r->per_kind[k]);
    fprintf(f, "\n");
    for (size_t i = 0; i < r->n; i++) {
        const audit_violation *v = &r->v[i];
        char path[AUDIT_PATH + 32];
        file_path(st, v, path, sizeof path);
        fprintf(f, "VIOLATION %s", audit_kind_name(v->kind));
        if (path[0] && v->offset >= 0) fprintf(f, " [%s @%lld]", path, (long long)v->offset);
        else if (path[0]) fprintf(f, " [%s]", path);
        fprintf(f, ": %s\n", v->what);
    }
    if (r->total > r->n)
        fprintf(f, "... and %llu more (all counted above)\n", (unsigned long long)(r->total - r->n));
}

/* ---- EDN -------------------------------------------------------------------------- */

static void edn_ballot(FILE *f, const char *key, px_ballot b)
{
    if (!px_ballot_is_zero(b))
        fprintf(f, " %s [%llu %u]", key, (unsigned long long)b.round, b.node);
}

void audit_report_edn(FILE *f, const audit_state *st, const audit_result *r, double seconds)
{
    fprintf(f, "{:valid? %s\n :checked {", r->total == 0 ? "true" : "false");
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++)
        fprintf(f, "%s:%s %llu", i ? " " : "", counts[i].name, count_at(&r->c, i));
    fprintf(f, "}\n :violation-count %llu\n :violations-by-kind {", (unsigned long long)r->total);
    for (int k = 0, first = 1; k < AUDIT_KINDS; k++)
        if (r->per_kind[k]) {
            fprintf(f, "%s:%s %llu", first ? "" : " ", audit_kind_name(k),
                    (unsigned long long)r->per_kind[k]);
            first = 0;
        }
    fprintf(f, "}\n :first-unchosen ");
    put_string(f, r->first_unchosen);
    fprintf(f, "\n :violations [");
    for (size_t i = 0; i < r->n; i++) {
        const audit_violation *v = &r->v[i];
        char path[AUDIT_PATH + 32];
        file_path(st, v, path, sizeof path);
        fprintf(f, "%s{:kind :%s", i ? "\n              " : "", audit_kind_name(v->kind));
        if (v->node) fprintf(f, " :node %u", v->node);
        if (path[0]) {
            fprintf(f, " :file ");
            put_string(f, path);
        }
        if (v->offset >= 0) fprintf(f, " :offset %lld", (long long)v->offset);
        if (v->slot >= 0) fprintf(f, " :slot %lld", (long long)v->slot);
        edn_ballot(f, ":ballot", v->ballot);
        edn_ballot(f, ":other-ballot", v->other);
        fprintf(f, " :explanation ");
        put_string(f, v->what);
        fprintf(f, "}");
    }
    fprintf(f, "]\n :seconds %.3f}\n", seconds);
}

void audit_report_error_edn(FILE *f, const char *error)
{
    fprintf(f, "{:valid? :unknown :error ");
    put_string(f, error);
    fprintf(f, "}\n");
}

/* ---- JSON ------------------------------------------------------------------------ */

static void json_ballot(FILE *f, const char *key, px_ballot b)
{
    if (!px_ballot_is_zero(b))
        fprintf(f, ", \"%s\": [%llu, %u]", key, (unsigned long long)b.round, b.node);
}

void audit_report_json(FILE *f, const audit_state *st, const audit_result *r, double seconds)
{
    fprintf(f, "{\"valid\": %s,\n \"checked\": {", r->total == 0 ? "true" : "false");
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++)
        fprintf(f, "%s\"%s\": %llu", i ? ", " : "", counts[i].name, count_at(&r->c, i));
    fprintf(f, "},\n \"violation_count\": %llu,\n \"violations_by_kind\": {",
            (unsigned long long)r->total);
    for (int k = 0, first = 1; k < AUDIT_KINDS; k++)
        if (r->per_kind[k]) {
            fprintf(f, "%s\"%s\": %llu", first ? "" : ", ", audit_kind_name(k),
                    (unsigned long long)r->per_kind[k]);
            first = 0;
        }
    fprintf(f, "},\n \"first_unchosen\": ");
    put_string(f, r->first_unchosen);
    fprintf(f, ",\n \"violations\": [");
    for (size_t i = 0; i < r->n; i++) {
        const audit_violation *v = &r->v[i];
        char path[AUDIT_PATH + 32];
        file_path(st, v, path, sizeof path);
        fprintf(f, "%s{\"kind\": \"%s\"", i ? ",\n  " : "", audit_kind_name(v->kind));
        if (v->node) fprintf(f, ", \"node\": %u", v->node);
        if (path[0]) {
            fprintf(f, ", \"file\": ");
            put_string(f, path);
        }
        if (v->offset >= 0) fprintf(f, ", \"offset\": %lld", (long long)v->offset);
        if (v->slot >= 0) fprintf(f, ", \"slot\": %lld", (long long)v->slot);
        json_ballot(f, "ballot", v->ballot);
        json_ballot(f, "other_ballot", v->other);
        fprintf(f, ", \"explanation\": ");
        put_string(f, v->what);
        fprintf(f, "}");
    }
    fprintf(f, "],\n \"seconds\": %.3f}\n", seconds);
}

void audit_report_error_json(FILE *f, const char *error)
{
    fprintf(f, "{\"valid\": null, \"error\": ");
    put_string(f, error);
    fprintf(f, "}\n");
}
