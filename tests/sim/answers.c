/* answers.c -- what the gateways hold and answer, checked against the
 * chosen log (truth.c) when they hold or answer it:
 *
 *   `gateway copy`   after every gateway step its list copy is a prefix of
 *                    the model list, so every list an answer shows is;
 *   `gateway answer` a 200 append names its command's index in the chosen
 *                    log (a duplicate too: the original index) and value,
 *                    and shows the list up to it exactly when asked and
 *                    held; a 200 read that went through the log shows the
 *                    list length at (one of) its read command's places in
 *                    the log;
 *   `503 applied`    a command every request of which was answered 503
 *                    "not applied" is never applied (checked when the 503
 *                    is given, and when the model applies the command).
 *
 * What clients see against real time is checked when the answer reaches
 * them (httpc.c, inv_real_time). */
#include "sim.h"

void inv_gateway_copy(sim_world *w, uint32_t id)
{
    sim_node *nd = &w->nodes[id];
    if (w->failed || !nd->gw) return;
    const gw_list *l = &nd->gw->list;
    for (uint64_t i = nd->gw_checked_len; i < l->len; i++) {
        if (i >= w->model_len) {
            sim_fail(w, "gateway copy", "n%u's gateway holds %llu elements; the chosen log "
                     "only %zu", id, (unsigned long long)l->len, w->model_len);
            return;
        }
        if (gw_list_at(l, i) != w->model[i]) {
            sim_fail(w, "gateway copy", "n%u's gateway holds %lld at index %llu; the chosen "
                     "log has %lld there", id, (long long)gw_list_at(l, i),
                     (unsigned long long)i, (long long)w->model[i]);
            return;
        }
    }
    nd->gw_checked_len = (size_t)l->len;
}

/* An append's or read's command refused by every request that ran it,
 * applied anyway: the 503s lied. */
static void refused_but_applied(sim_world *w, const sim_rec *rec, const char *when)
{
    if (!rec->applied || rec->kind != PX_CMD_APPEND || rec->requests == 0 ||
        rec->refused < rec->requests)
        return;
    sim_fail(w, "503 applied", "client %u op %llu: command (client %llu, seq %llu) is applied "
             "at index %lld, but every one of its %u requests was answered 503 \"not "
             "applied\" (%s)", rec->ci, (unsigned long long)rec->op,
             (unsigned long long)rec->client, (unsigned long long)rec->seq,
             (long long)rec->model_result, rec->requests, when);
}

void inv_model_applied(sim_world *w, const sim_rec *rec)
{
    refused_but_applied(w, rec, "the log applied it after the last 503");
}

static void answer_fail(sim_world *w, const sim_http *h, const char *what, long long got,
                        long long want)
{
    sim_fail(w, "gateway answer", "n%u's gateway answers client %u op %llu (request %u, "
             "command (client %llu, seq %llu)) with %s %lld; the chosen log gives %lld",
             h->node, h->ci, (unsigned long long)h->op, h->id,
             (unsigned long long)h->w.client, (unsigned long long)h->w.seq, what, got, want);
}

/* The list an answer shows must be inside what the copy held and was
 * checked (`gateway copy`): the model's first list_n elements. */
static int list_checked(sim_world *w, const sim_http *h)
{
    const gw_answer *a = &h->ans;
    if (!a->show_list || a->list_n <= w->nodes[h->node].gw_checked_len) return 1;
    answer_fail(w, h, "a list of length", (long long)a->list_n,
                (long long)w->nodes[h->node].gw_checked_len);
    return 0;
}

static void check_appended(sim_world *w, const sim_http *h, const sim_rec *rec)
{
    const gw_answer *a = &h->ans;
    if (!rec || !rec->applied) {
        answer_fail(w, h, "200 and index", a->index, -1);
        return;
    }
    if (a->index != rec->model_result) {
        answer_fail(w, h, "index", a->index, rec->model_result);
        return;
    }
    if (a->value != rec->value) {
        answer_fail(w, h, "value", a->value, rec->value);
        return;
    }
    uint64_t len = w->nodes[h->node].gw->list.len;
    int want = h->want_list;
    int shown_ok = a->show_list ? want && a->list_n == (uint64_t)a->index + 1
                                : !want || (a->list_missing && len < (uint64_t)a->index + 1);
    if (!shown_ok) {
        answer_fail(w, h, a->show_list ? "a list of length" : "no list, copy length",
                    a->show_list ? (long long)a->list_n : (long long)len, a->index + 1);
        return;
    }
    list_checked(w, h);
}

static void check_read(sim_world *w, const sim_http *h, const sim_rec *rec)
{
    const gw_answer *a = &h->ans;
    if (!list_checked(w, h) || !rec) return; /* not through the log: real time judges */
    int64_t n = (int64_t)a->list_n;
    if (!rec->applied || n < rec->model_result || n > rec->model_last)
        answer_fail(w, h, "a list of length", n, rec->applied ? rec->model_result : -1);
}

void inv_on_answer(sim_world *w, sim_http *h)
{
    sim_rec *rec = h->rec ? &w->recs[h->rec] : NULL;
    if (w->failed) return;
    switch (h->ans.kind) {
    case GW_ANS_APPENDED: check_appended(w, h, rec); break;
    case GW_ANS_LIST: check_read(w, h, rec); break;
    case GW_ANS_NOT_APPLIED:
        if (!rec) break;
        rec->refused++;
        refused_but_applied(w, rec, "applied before the last 503");
        break;
    default: break;
    }
}
