/* ready.h -- a role process telling its supervisor it is ready.
 *
 * paxos-node starts each role with PAXOS_READY_FD=<fd>, the write end of a
 * pipe.  Once the role has bound every socket and finished its recovery
 * (log replay, snapshot restore, ...) it writes "ready\n" there and closes
 * it.  A role that exits before that failed to start: the supervisor then
 * reports the role's own error lines and, at first start, stops the node
 * (`paxos-node --daemon` exits non-zero and leaves nothing running).
 * Started by hand (no PAXOS_READY_FD), a role just goes on. */
#ifndef PX_READY_H
#define PX_READY_H

/* Say "ready" to the supervisor, once; a no-op without PAXOS_READY_FD. */
void px_ready(void);

#endif
