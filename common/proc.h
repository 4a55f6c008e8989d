/* proc.h -- what every role process does the same way: parse
 * `--config FILE --node N`, load the config, start logging, create the node
 * directory, turn SIGTERM/SIGINT into a flag, and drive an outbox into the
 * network.  Used by acceptor/main.c, proposer/main.c, learner/main.c and
 * the supervisor (node/main.c). */
#ifndef PX_PROC_H
#define PX_PROC_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "net.h"
#include "outbox.h"

/* Set by SIGTERM / SIGINT: the main loop finishes its iteration and exits 0. */
extern volatile sig_atomic_t px_proc_stopping;

typedef struct px_proc {
    px_config cfg;
    uint32_t self;
    int role;
    char dir[512]; /* this node's data directory (created) */
    struct px_net *net;
    struct px_ctl *ctl;
    int holding; /* between px_proc_hold and px_proc_release */
} px_proc;

/* Parse arguments, load the config and open the sockets.  Exits 2 on a usage
 * or config error, 1 if the sockets cannot be opened. */
void px_proc_start(px_proc *p, int argc, char **argv, int role);
void px_proc_finish(px_proc *p);

/* How long to wait for a message: until deadline, at most cap_ms. */
int px_proc_timeout(uint64_t deadline, uint64_t now, int cap_ms);

/* Send every envelope in o, then clear it.  Frames for one destination go
 * as one transport message (see px_net_hold); between px_proc_hold and
 * px_proc_release they are held until the release, so a whole drained
 * burst of input costs one message per destination. */
void px_proc_flush(px_proc *p, px_outbox *o);
void px_proc_hold(px_proc *p);
void px_proc_release(px_proc *p);

/* Sum of frames refused, over every reason. */
uint64_t px_proc_rejected(const px_proc *p);

/* Count and log a refusal (enum px_refusal; 0 = none) of the frame last
 * received: what a role core returned from its handler. */
void px_proc_refused(px_proc *p, int reason);

/* The refusal counts as a JSON object {"total":N,"<reason key>":N,...}
 * (reasons with a zero count left out) in buf; returns buf. */
const char *px_proc_rejected_json(const px_proc *p, char *buf, size_t cap);

/* mkdir -p; 0 or -1 with errno. */
int px_mkdirs(const char *path);

/* Creates the node directory if needed and sets its mode to 0700 whatever
 * the umask (it holds the ipc sockets and pid files).  0, or -1 with err. */
int px_node_dir_private(const char *dir, char *err, size_t errlen);

/* The warning every process logs at start when tls = false. */
void px_proc_warn_plaintext(const px_config *cfg);

#endif
