/* round_file.h -- the proposer's one durable number: the highest ballot
 * round it has used, in <node dir>/proposer.state.  Why it must survive a
 * restart: proposer.h, "Durability".
 *
 * Layout (20 bytes, little-endian): magic u32 "PXPS", version u32 (1),
 * round u64, CRC-32C u32 of the 16 bytes before it.  Replaced atomically:
 * write proposer.state.tmp, fsync it, rename it over proposer.state, fsync
 * the directory; a crash leaves either the old round or the new one. */
#ifndef PX_PROPOSER_ROUND_FILE_H
#define PX_PROPOSER_ROUND_FILE_H

#include <stddef.h>
#include <stdint.h>

#define PROP_ROUND_FILE "proposer.state"

/* Reads dir/proposer.state into *round: 0 if the file does not exist.  A
 * file that exists but cannot be read or fails a check (size, magic,
 * version, CRC, a round above PX_MAX_ROUND) is an error, never round 0:
 * forgetting the round is the very bug the file prevents.  0 on success, -1 with a message in err. */
int prop_round_load(const char *dir, uint64_t *round, char *err, size_t errlen);

/* Replaces dir/proposer.state with round.  fsync_on = 0 skips the fsyncs
 * (throwaway clusters only) but still writes.  0 on success, -1 with a
 * message in err; after a failure nothing carrying a round above the last
 * stored one may be sent. */
int prop_round_store(const char *dir, uint64_t round, int fsync_on, char *err, size_t errlen);

#endif
