/* types.h -- the small value types every role shares: ballots, commands,
 * the value of one slot (a batch of commands), and the hard limits that
 * keep every message constant-size. */
#ifndef PX_TYPES_H
#define PX_TYPES_H

#include <stdint.h>
#include <stddef.h>

/* Hard limits.  They bound the size of every message: nothing on the wire
 * grows with the log or with the list. */
#define PX_MAX_NODES 9            /* nodes in a cluster (ids 1..9) */
#define PX_MAX_BATCH 32           /* client commands in one slot */
#define PX_MAX_PROMISE_ENTRIES 4  /* accepted entries carried by one promise chunk */
#define PX_MAX_CATCHUP_SLOTS 64   /* chosen slots a learner serves per catch-up request */
#define PX_LIST_CHUNK 1024        /* list elements in one LIST_CHUNK message */
#define PX_SNAP_CHUNK 8192        /* snapshot bytes in one SNAP_CHUNK message */
#define PX_MAX_CTL_JSON 16384     /* bytes of JSON in a control reply */
#define PX_MAX_FRAME 32768        /* header + payload, the decoder refuses more */

/* A ballot (round, proposer id), totally ordered by round then node.
 * {0,0} is "no ballot": below every real ballot.  Rounds never exceed
 * PX_MAX_ROUND: decoders refuse a ballot above it and a proposer never
 * campaigns past it, so round + 1 can never wrap.  An election uses one
 * round, so 2^60 is out of reach of any real cluster while leaving 2^64 -
 * 2^60 of room below the overflow. */
#define PX_MAX_ROUND (UINT64_C(1) << 60)
typedef struct px_ballot {
    uint64_t round;
    uint32_t node;
} px_ballot;

static inline int px_ballot_cmp(px_ballot a, px_ballot b)
{
    if (a.round != b.round) return a.round < b.round ? -1 : 1;
    if (a.node != b.node) return a.node < b.node ? -1 : 1;
    return 0;
}

static inline int px_ballot_is_zero(px_ballot b)
{
    return b.round == 0 && b.node == 0;
}

/* What a client asks the replicated list to do. */
enum px_cmd_kind {
    PX_CMD_APPEND = 1, /* append value; result = its index in the list */
    PX_CMD_READ = 2    /* read; result = list length at that point in the log */
};

/* One client command.  (client, seq) is its id: the learner applies each id
 * at most once.  A client issues seqs in increasing order, one at a time;
 * seq 0 means "no deduplication" (used by reads). */
typedef struct px_cmd {
    uint8_t kind;
    uint64_t client;
    uint64_t seq;
    int64_t value;
} px_cmd;

/* The value of one slot: a batch of commands.  n == 0 is a no-op (gap filler). */
typedef struct px_value {
    uint16_t n;
    px_cmd cmds[PX_MAX_BATCH];
} px_value;

/* Roles, used to address messages. */
enum px_role {
    PX_ROLE_ACCEPTOR = 1,
    PX_ROLE_PROPOSER = 2,
    PX_ROLE_LEARNER = 3,
    PX_ROLE_GATEWAY = 4
};

#define PX_NODE_ALL 0u /* destination node meaning "every node in the cluster" */

const char *px_role_name(int role);

#endif
