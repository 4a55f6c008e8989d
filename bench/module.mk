# bench/: paxos-bench, the closed-loop throughput and latency benchmark
# (against paxos-c gateways or etcd's HTTP/JSON gateway), and
# compare-etcd.sh, which runs it against both.
PROGRAMS += paxos-bench
paxos-bench_SRCS := bench/main.c bench/ops.c bench/stats.c common/http_client.c
paxos-bench_LIBS := -lpthread
