/* replay_main.c -- runs a fuzz target's LLVMFuzzerTestOneInput once on each
 * file named on the command line, without libFuzzer.  Linked into the
 * coverage builds (make fuzz-coverage), where -fsanitize=fuzzer is not
 * wanted: the target is compiled with clang's source-based coverage and
 * llvm-cov then says which lines of each parser the corpus reaches. */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) return NULL;
    unsigned char *buf = NULL;
    size_t cap = 0;
    *n = 0;
    for (;;) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 4096;
            if ((buf = realloc(buf, cap)) == NULL) abort();
        }
        size_t got = fread(buf + *n, 1, cap - *n, f);
        if (got == 0) break;
        *n += got;
    }
    fclose(f);
    return buf;
}

int main(int argc, char **argv)
{
    LLVMFuzzerInitialize(&argc, &argv);
    for (int i = 1; i < argc; i++) {
        size_t n;
        unsigned char *data = slurp(argv[i], &n);
        if (data == NULL) {
            perror(argv[i]);
            return 1;
        }
        /* The exact size, as libFuzzer gives it: overreads stay visible. */
        unsigned char *exact = fuzz_dup(data, n);
        free(data);
        LLVMFuzzerTestOneInput(exact, n);
        free(exact);
    }
    printf("%d inputs run\n", argc - 1);
    return 0;
}
