/* net.h -- the nng transport between role processes.
 *
 * Every process has one inbound PULL socket, listening on
 *   ipc://<node_dir>/<role>.ipc          (always; used by the same node)
 *   tls+tcp://<host>:<role_port>         (acceptor, proposer, learner;
 *                                         tcp:// when tls = false)
 * and one outbound PUSH socket per destination it talks to, dialled lazily:
 * ipc:// for a destination on its own node, tcp:// for other nodes, with the
 * dialer bound to its own node's host address (NNG_OPT_LOCADDR) so per-address
 * network faults hit the right traffic.  Sends never block: a full send
 * buffer drops the message (Paxos tolerates loss; retransmits repair it).
 * Reconnects are nng's.  With tls = true (the default) tcp is tls+tcp://
 * with mutual authentication (tls.h).  Frames that fail to decode
 * (garbage, another cluster id), a type this role never receives, a frame
 * over ipc with another node's id or over tcp with ours or a non-member's,
 * are dropped, counted by reason, and logged (rate-limited).  An ipc
 * connection from a process of another uid is closed at once.
 *
 * Every TCP socket of a role has a delivery deadline: a connection whose
 * data stays unacknowledged that long fails and is dialled afresh (net.c,
 * "Stalled connections").
 * Frames between protocol roles pass the send faults of faults.h (tests
 * only, off unless the environment turns them on).
 *
 * Control: every role also answers CTL_REQ on a REP socket at
 *   ipc://<node_dir>/<role>.ctl
 * with a CTL_REPLY carrying its state as JSON (or, for the fault commands
 * of faults.h, the fault counters). */
#ifndef PX_NET_H
#define PX_NET_H

#include "config.h"
#include "wire.h"

struct px_net;

/* Open the inbound socket(s) of role on node self. */
struct px_net *px_net_open(const px_config *cfg, uint32_t self, int role, char *err,
                           size_t errlen);
void px_net_close(struct px_net *n);

/* Send m (m->from is set to self) to role on node (or PX_NODE_ALL: every
 * node, self included).  Returns the number of destinations it was queued
 * for. */
int px_net_send(struct px_net *n, int role, uint32_t node, const px_msg *m);

/* Packing: after px_net_hold, sends are encoded and held; px_net_flush
 * sends what each destination holds as one transport message (nng costs the
 * same per message whatever its size) and ends holding.  A held frame counts
 * as queued; it can still be dropped at the flush if the queue is full. */
void px_net_hold(struct px_net *n);
void px_net_flush(struct px_net *n);

/* Receive one message, waiting at most timeout_ms (0: poll).  Returns 1 with
 * *out filled, 0 on timeout, -1 on a fatal socket error. */
int px_net_recv(struct px_net *n, px_msg *out, int timeout_ms);

/* Wait at most us microseconds for a message to be waiting; 1 if one may
 * be (px_net_recv with timeout 0 then takes it), 0 if none came. */
int px_net_wait_us(struct px_net *n, int us);

/* A file descriptor that polls readable when px_net_recv may have a
 * message (for hosts that wait on several things at once), or -1. */
int px_net_recv_fd(const struct px_net *n);

/* Frames refused, by reason (enum px_refusal in refuse.h): by the decoder,
 * by the path check below, or by a role core through px_net_refused. */
uint64_t px_net_rejected(const struct px_net *n, int reason);

/* Count a refusal (enum px_refusal, 0 = none) of the frame px_net_recv
 * returned last, and log it, at most once a second per reason, with the
 * address it came from.  For the protocol bounds the role cores check. */
void px_net_refused(struct px_net *n, int reason);

/* What this process sent to role: nng messages, the frames packed in them
 * and the client commands those frames carried (px_msg_commands). */
void px_net_sent(struct px_net *n, int role, uint64_t *msgs, uint64_t *frames, uint64_t *cmds);
/* The same as a JSON object {"<role>":{"messages":N,"frames":N,"commands":N,
 * "frames_per_message":x,"commands_per_message":x},...} (roles never sent
 * to left out) in buf; returns buf. */
const char *px_net_sent_json(struct px_net *n, char *buf, size_t cap);

/* ipc connections refused in this process because the peer runs as
 * another user (ipc.c: ipc listeners take only their owner's processes). */
uint64_t px_net_foreign_uid_refused(void);

/* Control socket (ctl.c), server side: open the REP socket for role. */
struct px_ctl;
struct px_ctl *px_ctl_open(const px_config *cfg, uint32_t self, int role, char *err,
                           size_t errlen);
/* If a CTL_REQ is waiting, answer it with json (nul-terminated, truncated
 * to PX_MAX_CTL_JSON) from fn and return 1; else return 0 at once. */
int px_ctl_poll(struct px_ctl *c, void (*fn)(void *arg, char *json, size_t cap), void *arg);
void px_ctl_close(struct px_ctl *c);

/* Client side (gateway, paxosctl): ask role on node self for its state.
 * Returns 0 with json filled, -1 if the role did not answer in timeout_ms. */
int px_ctl_query(const px_config *cfg, uint32_t self, int role, int timeout_ms,
                 char *json, size_t cap);

/* The same with any control request (the fault commands of faults.h,
 * which a role answers itself with JSON, {"error": ...} if refused). */
int px_ctl_request(const px_config *cfg, uint32_t self, int role, const px_ctl_req *req,
                   int timeout_ms, char *json, size_t cap);

/* Monotonic milliseconds (for processes; cores get time as an argument). */
uint64_t px_now_ms(void);

#endif
