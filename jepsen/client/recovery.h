/* recovery.h -- after a heal, the time until every node acknowledges an
 * append again.  One prober thread per node appends (fresh unique values,
 * recorded in the history like any operation, as processes of their own)
 * until its node answers 200 or the window closes.  A cluster that is safe
 * but stays down is not correct either: jepsen/run fails a run whose
 * recovery exceeds its bound, and counts one it could not measure (a node
 * that acknowledged nothing before the window closed) as exceeding it. */
#ifndef PX_JEPSEN_RECOVERY_H
#define PX_JEPSEN_RECOVERY_H

typedef struct recovery recovery;

/* Starts measuring from heal_ns (the heal's completion), after a nemesis
 * step whose :f was after_f. */
recovery *recovery_start(const char *after_f, long long heal_ns);

/* Closes the window (now), joins the probers, and records the outcome: an
 * :info :recovery op in the history and a line in opt.recovery_out. */
void recovery_finish(recovery *r);

/* Waits until every node has acknowledged or window_s has passed since
 * the heal, then recovery_finish. */
void recovery_wait(recovery *r, double window_s);

#endif
