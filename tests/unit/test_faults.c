/* test_faults.c -- the test-only fault injection (common/faults.c): the
 * environment is parsed strictly, send faults fall with their chances,
 * failpoints fire as armed (and only when armed), a crash is a SIGKILL,
 * and nothing is accepted from the control socket unless the process was
 * started for fault injection. */
#include "common/faults.h"
#include "common/types.h"
#include "check.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char err[512], json[PX_MAX_CTL_JSON];

static const char *const vars[] = {
    "PAXOS_FAULT_INJECTION", "PAXOS_FAULT_DUP", "PAXOS_FAULT_DELAY", "PAXOS_FAULT_REORDER",
    "PAXOS_FAULT_DROP", "PAXOS_FAULT_DELAY_MS", "PAXOS_FAULT_SEED", "PAXOS_TEST_LOSE_UNSYNCED",
};

static void clean_env(void)
{
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) unsetenv(vars[i]);
}

static int init_with(const char *name, const char *value)
{
    clean_env();
    if (name) setenv(name, value, 1);
    err[0] = 0;
    return px_faults_init(1, PX_ROLE_ACCEPTOR, err, sizeof err);
}

static void test_off_by_default(void)
{
    REQUIRE(init_with(NULL, NULL) == 0);
    CHECK(!px_fault_net_on && !px_failpoints_armed && !px_faults_allowed());
    CHECK(px_fault_unsynced_us() == 0);
}

static void test_environment_is_strict(void)
{
    CHECK(init_with("PAXOS_FAULT_DUP", "0.05") == 0 && px_fault_net_on && px_faults_allowed());
    CHECK(init_with("PAXOS_FAULT_DUP", "1.5") == -1 && strstr(err, "PAXOS_FAULT_DUP"));
    CHECK(init_with("PAXOS_FAULT_DROP", "-0.1") == -1 && strstr(err, "PAXOS_FAULT_DROP"));
    CHECK(init_with("PAXOS_FAULT_DELAY", "lots") == -1);
    CHECK(init_with("PAXOS_FAULT_DELAY_MS", "0") == -1);
    CHECK(init_with("PAXOS_FAULT_DELAY_MS", "1001") == -1);
    CHECK(init_with("PAXOS_FAULT_DELAY_MS", "30") == 0 && !px_fault_net_on); /* no chance set */
    CHECK(init_with("PAXOS_FAULT_INJECTION", "yes") == -1);
    CHECK(init_with("PAXOS_FAULT_INJECTION", "1") == 0 && px_faults_allowed() && !px_fault_net_on);
    CHECK(init_with("PAXOS_TEST_LOSE_UNSYNCED", "2000") == 0 && px_fault_unsynced_us() == 2000);
    CHECK(init_with("PAXOS_TEST_LOSE_UNSYNCED", "-1") == -1);
    /* the chances of one frame's fates add up */
    clean_env();
    setenv("PAXOS_FAULT_DUP", "0.6", 1);
    setenv("PAXOS_FAULT_DROP", "0.6", 1);
    CHECK(px_faults_init(1, PX_ROLE_ACCEPTOR, err, sizeof err) == -1 && strstr(err, "exceed"));
    clean_env();
}

/* 200,000 frames: each fate near its chance, delays within bounds. */
static void test_fates_follow_their_chances(void)
{
    clean_env();
    setenv("PAXOS_FAULT_SEED", "7", 1);
    REQUIRE(px_faults_init(1, PX_ROLE_PROPOSER, err, sizeof err) == 0);
    px_ctl_net_faults f = {.dup_ppm = 100000, .delay_ppm = 200000, .reorder_ppm = 50000,
                           .drop_ppm = 150000, .delay_ms = 25};
    px_fault_set_net(&f);
    REQUIRE(px_fault_net_on);
    long n[5] = {0};
    uint32_t lo = 1000, hi = 0;
    for (int i = 0; i < 200000; i++) {
        uint32_t d = 0;
        int fate = px_fault_pick(&d);
        REQUIRE(fate >= PX_SEND_NORMAL && fate <= PX_SEND_REORDER);
        n[fate]++;
        if (fate != PX_SEND_NORMAL) {
            if (d < lo) lo = d;
            if (d > hi) hi = d;
        }
    }
    /* expected 20,000 / 40,000 / 10,000 / 30,000 / 100,000 */
    CHECK(n[PX_SEND_DUP] > 18500 && n[PX_SEND_DUP] < 21500);
    CHECK(n[PX_SEND_DELAY] > 38000 && n[PX_SEND_DELAY] < 42000);
    CHECK(n[PX_SEND_REORDER] > 9000 && n[PX_SEND_REORDER] < 11000);
    CHECK(n[PX_SEND_DROP] > 28000 && n[PX_SEND_DROP] < 32000);
    CHECK(n[PX_SEND_NORMAL] > 97000 && n[PX_SEND_NORMAL] < 103000);
    CHECK(lo == 1 && hi == 25);
    /* the counters say what befell, and setting anew starts them over */
    px_faults_json(json, sizeof json);
    char want[64];
    snprintf(want, sizeof want, "\"dup\":%ld,", n[PX_SEND_DUP]);
    CHECK(strstr(json, want) != NULL);
    px_ctl_net_faults off = {.delay_ms = 1};
    px_fault_set_net(&off);
    CHECK(!px_fault_net_on);
    px_faults_json(json, sizeof json);
    CHECK(strstr(json, "\"sent\":{\"dup\":0,\"delay\":0,\"reorder\":0,\"drop\":0}") != NULL);
}

static px_ctl_req arm_req(const char *name, int action, uint32_t ppm, uint32_t count,
                          uint32_t stall_ms)
{
    px_ctl_req q;
    memset(&q, 0, sizeof q);
    q.what = PX_CTL_FAILPOINT;
    q.u.fp.action = (uint8_t)action;
    q.u.fp.ppm = ppm;
    q.u.fp.count = count;
    q.u.fp.stall_ms = stall_ms;
    q.u.fp.name_len = (uint8_t)strlen(name);
    memcpy(q.u.fp.name, name, q.u.fp.name_len);
    return q;
}

static long fired(const char *name)
{
    px_faults_json(json, sizeof json);
    const char *p = strstr(json, name);
    if (!p) return -1;
    p = strstr(p, "\"fired\":");
    return p ? atol(p + 8) : -1;
}

static void test_control_needs_fault_injection(void)
{
    REQUIRE(init_with(NULL, NULL) == 0);
    px_ctl_req q = arm_req("acceptor-accept-durable", PX_FP_STALL, PX_PPM, 0, 1);
    px_faults_ctl(&q, json, sizeof json);
    CHECK(strstr(json, "\"error\"") && strstr(json, "PAXOS_FAULT_INJECTION"));
    CHECK(!px_failpoints_armed);
    q.what = PX_CTL_NET_FAULTS;
    q.u.net = (px_ctl_net_faults){.dup_ppm = PX_PPM, .delay_ms = 1};
    px_faults_ctl(&q, json, sizeof json);
    CHECK(strstr(json, "\"error\"") && !px_fault_net_on);
    /* reading the counters is harmless and always allowed */
    q.what = PX_CTL_FAULTS;
    px_faults_ctl(&q, json, sizeof json);
    CHECK(strncmp(json, "{\"allowed\":false", 16) == 0);
}

static void test_failpoint_fires_as_armed(void)
{
    REQUIRE(init_with("PAXOS_FAULT_INJECTION", "1") == 0);
    /* unarmed: passing it does nothing */
    PX_FAILPOINT(PX_FP_ACCEPTOR_ACCEPT_DURABLE);
    CHECK(fired("acceptor-accept-durable") == 0);
    px_ctl_req q = arm_req("no-such-point", PX_FP_STALL, PX_PPM, 1, 1);
    px_faults_ctl(&q, json, sizeof json);
    CHECK(strstr(json, "no such failpoint") != NULL);
    /* a stall, twice at most, then it disarms itself */
    q = arm_req("acceptor-accept-durable", PX_FP_STALL, PX_PPM, 2, 1);
    px_faults_ctl(&q, json, sizeof json);
    CHECK(px_failpoints_armed && !strstr(json, "\"error\""));
    for (int i = 0; i < 5; i++) PX_FAILPOINT(PX_FP_ACCEPTOR_ACCEPT_DURABLE);
    CHECK(fired("acceptor-accept-durable") == 2);
    CHECK(!px_failpoints_armed);
    /* other points are untouched */
    CHECK(fired("acceptor-promise-durable") == 0);
    /* chance 0: passed, never fired; then disarmed by hand */
    q = arm_req("proposer-won-phase1", PX_FP_STALL, 0, 0, 1);
    px_faults_ctl(&q, json, sizeof json);
    for (int i = 0; i < 100; i++) PX_FAILPOINT(PX_FP_PROPOSER_WON_PHASE1);
    CHECK(fired("proposer-won-phase1") == 0 && px_failpoints_armed);
    q = arm_req("proposer-won-phase1", PX_FP_OFF, 0, 0, 0);
    px_faults_ctl(&q, json, sizeof json);
    CHECK(!px_failpoints_armed);
    /* the file hook maps a file's name to its failpoint */
    q = arm_req("learner-snap-before-rename", PX_FP_STALL, PX_PPM, 1, 1);
    px_faults_ctl(&q, json, sizeof json);
    px_failpoint_before_rename("proposer.state");
    CHECK(fired("learner-snap-before-rename") == 0);
    px_failpoint_before_rename("learner.snap");
    CHECK(fired("learner-snap-before-rename") == 1);
}

/* A drop fires without stalling or crashing, and says so to its caller:
 * only PX_FAILPOINT_DROPS of an armed point returns 1. */
static void test_drop_tells_the_caller(void)
{
    REQUIRE(init_with("PAXOS_FAULT_INJECTION", "1") == 0);
    CHECK(!PX_FAILPOINT_DROPS(PX_FP_LEARNER_LIST_REQ)); /* unarmed */
    px_ctl_req q = arm_req("learner-list-req", PX_FP_DROP, PX_PPM, 3, 0);
    px_faults_ctl(&q, json, sizeof json);
    CHECK(!strstr(json, "\"error\"") && strstr(json, "\"action\":\"drop\""));
    int drops = 0;
    for (int i = 0; i < 10; i++) drops += PX_FAILPOINT_DROPS(PX_FP_LEARNER_LIST_REQ);
    CHECK(drops == 3 && fired("learner-list-req") == 3);
    CHECK(!px_failpoints_armed);
    /* a stall or a crash point never asks its caller to drop */
    q = arm_req("learner-list-req", PX_FP_STALL, PX_PPM, 1, 1);
    px_faults_ctl(&q, json, sizeof json);
    CHECK(!PX_FAILPOINT_DROPS(PX_FP_LEARNER_LIST_REQ) && fired("learner-list-req") == 4);
}

/* A crash is a kill -9 of the process itself. */
static void test_crash_is_sigkill(void)
{
    REQUIRE(init_with("PAXOS_FAULT_INJECTION", "1") == 0);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        px_ctl_req q = arm_req("acceptor-before-sync", PX_FP_CRASH, PX_PPM, 1, 0);
        px_faults_ctl(&q, json, sizeof json);
        PX_FAILPOINT(PX_FP_ACCEPTOR_BEFORE_SYNC);
        _exit(0); /* not reached if it fired */
    }
    int status;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    /* the names round-trip, and only known names exist */
    for (int id = 0; id < PX_FP_COUNT; id++)
        CHECK(px_failpoint_lookup(px_failpoint_name(id)) == id);
    CHECK(px_failpoint_lookup("acceptor") == -1 && px_failpoint_name(PX_FP_COUNT) == NULL);
}

int main(void)
{
    RUN(test_off_by_default);
    RUN(test_environment_is_strict);
    RUN(test_fates_follow_their_chances);
    RUN(test_control_needs_fault_injection);
    RUN(test_failpoint_fires_as_armed);
    RUN(test_drop_tells_the_caller);
    RUN(test_crash_is_sigkill);
    clean_env();
    return check_summary();
}
