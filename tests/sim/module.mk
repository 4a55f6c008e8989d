# tests/sim/: the deterministic simulator paxos-sim.  It links
# libpaxoscore.a -- the real cores, never copies -- so mutant builds put a
# simulator of the mutant in build/mutants/<name>/bin/.
PROGRAMS += paxos-sim
paxos-sim_SRCS := tests/sim/sim.c tests/sim/run.c tests/sim/queue.c tests/sim/net.c \
                  tests/sim/node.c tests/sim/disk.c tests/sim/faults.c tests/sim/client.c \
                  tests/sim/truth.c tests/sim/invariants.c tests/sim/trace.c \
                  tests/sim/snap.c tests/sim/forge.c tests/sim/registry.c tests/sim/gateway.c \
                  tests/sim/httpc.c tests/sim/answers.c
