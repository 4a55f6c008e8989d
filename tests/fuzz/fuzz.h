/* fuzz.h -- what every fuzz target shares: the libFuzzer entry points and
 * an assertion that aborts (libFuzzer then saves the input as a crash).
 *
 * A target checks two kinds of things.  The sanitizers catch memory and
 * undefined-behaviour errors on their own; FUZZ_ASSERT states a property
 * of the parser's answer that must hold for every input (a decoded frame
 * re-encodes to the same bytes, an accepted config is inside its bounds,
 * ...).  Either failing is a finding. */
#ifndef PX_FUZZ_H
#define PX_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_ASSERT(cond, what)                                                        \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            fprintf(stderr, "fuzz property violated at %s:%d: %s\n  (%s)\n", __FILE__, \
                    __LINE__, what, #cond);                                            \
            abort();                                                                   \
        }                                                                              \
    } while (0)

/* An exactly sized heap copy of data, so ASan sees a read one byte past
 * the end (libFuzzer's own buffer is exactly sized too). */
static inline uint8_t *fuzz_dup(const uint8_t *data, size_t size)
{
    uint8_t *p = malloc(size ? size : 1);
    if (p == NULL) abort();
    for (size_t i = 0; i < size; i++) p[i] = data[i];
    return p;
}

#endif
