/* fuzz_store.c -- acceptor log recovery: acc_store_open replaying a file.
 *
 * Each input is written as acceptor.log into a directory of this process
 * (under $TMPDIR, else /dev/shm, else /tmp; removed at exit) and opened
 * with acc_store_open, replaying into a fresh acceptor core
 * (acceptor_restore, as paxos-acceptor does).  The store must either
 * recover or refuse with a message -- never crash, hang or leak -- and a
 * recovered state must make sense:
 *
 *   - every record replayed is counted (acc_store_records), and the file
 *     is now exactly acc_store_size bytes (a torn tail was cut);
 *   - the promise is at or above every accepted ballot, accepted slots are
 *     strictly increasing and none lies below the compaction mark
 *     (checked on acceptor_export, the records a rewrite would write);
 *   - recovery is stable: reopening the recovered file succeeds with no
 *     note, replays the same records, and a record appended after recovery
 *     (a higher promise) is read back after it;
 *   - a rewrite (acc_store_rewrite from the export) reopens to the same
 *     state.
 *
 * (store_check.c holds these checks; fuzz_store_records.c feeds them logs
 * the store wrote itself, with valid checksums.)
 */
#include "fuzz.h"
#include "store_check.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    store_make_dir("px-fuzz-store");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    store_write_log(data, size);
    store_check_log();
    return 0;
}
