/* brute.h -- the definition of linearizability, executed literally: try
 * every order of the ops that respects real time, run each against a
 * sequential list, and accept if some order reproduces every :ok result.
 * Unknown-outcome appends may be left out.  Exponential; it exists to check
 * paxos-check on tiny histories. */
#ifndef PX_BRUTE_H
#define PX_BRUTE_H

#include "jepsen/checker/history.h"

#define BRUTE_MAX_OPS 12

/* 1 linearizable, 0 not, -1 too many ops.  h must be loaded with
 * keep_lists. */
int brute_check(const history *h);

#endif
