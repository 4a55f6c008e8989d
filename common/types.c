/* types.c -- names for the shared enums (logs and JSON). */
#include "types.h"

const char *px_role_name(int role)
{
    switch (role) {
    case PX_ROLE_ACCEPTOR: return "acceptor";
    case PX_ROLE_PROPOSER: return "proposer";
    case PX_ROLE_LEARNER: return "learner";
    case PX_ROLE_GATEWAY: return "gateway";
    default: return "unknown";
    }
}
