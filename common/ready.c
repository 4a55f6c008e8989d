/* ready.c -- telling the supervisor a process is ready (see ready.h). */
#include "ready.h"

#include <stdlib.h>
#include <unistd.h>

void px_ready(void)
{
    const char *v = getenv("PAXOS_READY_FD");
    if (v == NULL) return;
    char *end;
    long fd = strtol(v, &end, 10);
    unsetenv("PAXOS_READY_FD"); /* once; and not for anything we exec */
    if (*end != 0 || fd < 3 || fd > 1024) return;
    (void)!write((int)fd, "ready\n", 6);
    close((int)fd);
}
