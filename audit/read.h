/* read.h -- filling the audit's state (state.h) from a stopped cluster's
 * files.  Nothing is changed on disk: the acceptor log is read the way
 * recovery reads it (acc_store_read), the other files with the parsers of
 * the roles that write them. */
#ifndef PX_AUDIT_READ_H
#define PX_AUDIT_READ_H

#include <stddef.h>
#include <stdint.h>

#include "state.h"

/* Node id's files in dir: acceptor.log (every record a recovery would
 * keep; a torn tail is left out and counted), proposer.state,
 * learner.snap, and two of the roles' own logs as evidence of what the
 * data files no longer show: logs/learner.log (the highest snapshot the
 * learner ever had durable, although learner.snap may since have been
 * deleted) and logs/acceptor.log (whether the log was ever rewritten).
 * A missing file is no error.  0, or -1 with err when the audit cannot go
 * on: a log recovery would refuse, a damaged proposer.state or
 * learner.snap (the role itself would refuse to start), an I/O error. */
int audit_read_node(audit_state *st, uint32_t id, const char *dir, char *err, size_t errlen);

/* Lists read at the end, from a text file: one list per line, its node id
 * first, then its elements, separated by blanks (brackets and commas are
 * ignored: "2 [1 5 3]" is node 2's list 1, 5, 3); "0" for an unknown node;
 * empty lines and lines starting with '#' are skipped.  0, or -1 with
 * err. */
int audit_read_lists(audit_state *st, const char *path, char *err, size_t errlen);

/* The node id of a directory named "nodeN" (N in 1..PX_MAX_NODES), else 0. */
uint32_t audit_node_dir_id(const char *path);

#endif
