/* page.c -- GET /: the live cluster page.
 *
 * The page is gateway/page.html, kept as a file of its own so it reads
 * and edits as HTML, and built into the binary as it is (the assembler's
 * .incbin; module.mk makes page.o depend on it): the gateway serves it
 * from memory, needs no file at run time, and the page needs nothing
 * else -- its script and style are inline, and it fetches only GET
 * /cluster and POST /append from the gateway that served it. */
#include <string.h>

#include "gateway.h"

__asm__(".section .rodata\n"
        ".balign 16\n"
        "gw_page_bytes:\n"
        ".incbin \"gateway/page.html\"\n"
        "gw_page_end:\n"
        ".byte 0\n"
        ".previous\n");

extern const char gw_page_bytes[], gw_page_end[];

const char *gw_page_html(size_t *len)
{
    *len = (size_t)(gw_page_end - gw_page_bytes);
    return gw_page_bytes;
}
