/* fuzz_store.c -- acceptor log recovery: acc_store_open replaying a file.
 *
 * Each input is written as acceptor.log into a directory of this process
 * (under $TMPDIR, else /dev/shm, else /tmp; removed at exit) and opened
 * with acc_store_open, replaying into a fresh acceptor core
 * (acceptor_restore, as paxos-acceptor does).  The store must either
 * recover or refuse with a message -- never crash, hang or leak -- and:
 *
 *   - a refusal names the file and leaves it byte for byte as it was;
 *   - every record replayed is counted (acc_store_records), and the file
 *     is now exactly acc_store_size bytes, with a version 3 header;
 *   - the report agrees with itself: a cut has a warning, and its offset
 *     plus its bytes is the old end of the file; a recovery that converted
 *     or re-created nothing (no info note) kept the file's bytes up to the
 *     cut and added at most a commit marker (the seal);
 *   - the promise is at or above every accepted ballot, accepted slots are
 *     strictly increasing and none lies below the compaction mark
 *     (checked on acceptor_export, the records a rewrite would write);
 *   - recovery is stable: reopening the recovered file succeeds with an
 *     empty report, replays the same records, and a record appended after
 *     recovery (a higher promise) is read back after it;
 *   - a rewrite (acc_store_rewrite from the export) reopens to the same
 *     state.
 *
 * Raw bytes rarely keep a record's checksum valid, and carry no oracle of
 * which records a recovery should keep: fuzz_store_records writes logs
 * with the store itself and checks store.h's verdict exactly.  (The
 * shared checks are in store_check.c.)
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
    store_check_log(data, size);
    return 0;
}
