# tests/tools/: programs the tests use.  paxos-forge sends hand-made
# protocol frames (attack.sh: forged frames must change nothing).
PROGRAMS += paxos-forge
paxos-forge_SRCS := tests/tools/forge.c
paxos-forge_LIBS := -lnng -lpthread
