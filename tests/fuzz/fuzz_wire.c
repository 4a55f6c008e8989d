/* fuzz_wire.c -- the wire decoder: px_decode and px_decode_ctl_reply.
 *
 * Each input is one frame, decoded twice: as it is, and with its CRC field
 * recomputed (over the header with the CRC field as zero, then the rest,
 * as wire.h documents) so that mutations reach the payload decoders rather
 * than stopping at the checksum.  For each, whatever the bytes:
 *
 *   - both decoders return 0 or a known negative error, never crash, and
 *     never read outside the frame (ASan: the frame is an exact-size heap
 *     copy);
 *   - they agree on every header-level verdict (magic, version, flags,
 *     cluster, sender, length, CRC): only a payload verdict (FIELD_BAD,
 *     BALLOT_BAD) or the type split between them may differ, and no frame
 *     decodes under both;
 *   - a frame px_decode accepts re-encodes (px_encode) to exactly the same
 *     bytes, decodes again to an equal message, does not fit in one byte
 *     less, and is refused under another cluster id;
 *   - a CTL_REPLY px_decode_ctl_reply accepts re-encodes to the same bytes,
 *     and a small output buffer gets a nul-terminated prefix and the full
 *     length, as with snprintf.
 */
#include <string.h>

#include "common/crc32c.h"
#include "common/wire.h"
#include "fuzz.h"

#define CLUSTER 1u /* the default cluster.cfg's id; the seed frames use it */
#define SMALL_CAP 8

static px_msg msg, again;
static char json[PX_MAX_CTL_JSON + 1];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

static int is_error(int rc) { return rc <= 0 && rc >= -PX_WIRE_ERR_MAX; }

/* Verdicts that depend on the payload or on which decoder was asked. */
static int payload_verdict(int rc)
{
    return rc == 0 || rc == -PX_WIRE_FIELD_BAD || rc == -PX_WIRE_BALLOT_BAD ||
           rc == -PX_WIRE_TYPE_BAD;
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void fix_crc(uint8_t *f, size_t len)
{
    static const uint8_t zero[4];
    uint32_t crc = px_crc32c(0, f, 20);
    crc = px_crc32c(crc, zero, sizeof zero);
    crc = px_crc32c(crc, f + PX_WIRE_HEADER, len - PX_WIRE_HEADER);
    for (int i = 0; i < 4; i++) f[20 + i] = (uint8_t)(crc >> (8 * i));
}

static void check_msg_roundtrip(const uint8_t *f, size_t len)
{
    FUZZ_ASSERT(msg.type >= 1 && msg.type <= PX_MSG_TYPE_MAX && msg.type != PX_MSG_CTL_REPLY,
                "px_decode accepted a type it cannot hold");
    FUZZ_ASSERT(msg.from == get32(f + 12), "decoded sender differs from the header's");

    uint8_t *out = malloc(len);
    size_t n = px_encode(&msg, CLUSTER, out, len);
    FUZZ_ASSERT(n == len, "an accepted frame re-encodes to a different length");
    FUZZ_ASSERT(memcmp(out, f, len) == 0, "an accepted frame re-encodes to different bytes");
    FUZZ_ASSERT(px_decode(out, n, CLUSTER, &again) == 0 && px_msg_equal(&msg, &again),
                "the re-encoded frame does not decode to an equal message");
    free(out);

    /* One byte short: the encoder must refuse, not write past the end. */
    out = malloc(len - 1);
    FUZZ_ASSERT(px_encode(&msg, CLUSTER, out, len - 1) == 0,
                "px_encode claims success in a buffer one byte too small");
    free(out);

    FUZZ_ASSERT(px_decode(f, len, CLUSTER + 1, &again) == -PX_WIRE_CLUSTER_BAD,
                "a frame of this cluster is not refused as foreign by another");
}

static void check_ctl_roundtrip(const uint8_t *f, size_t len, size_t json_len)
{
    FUZZ_ASSERT(json_len <= PX_MAX_CTL_JSON, "CTL_REPLY longer than PX_MAX_CTL_JSON accepted");
    FUZZ_ASSERT(json[json_len] == 0, "CTL_REPLY json not nul-terminated");

    uint8_t *out = malloc(len);
    size_t n = px_encode_ctl_reply(get32(f + 12), CLUSTER, json, json_len, out, len);
    FUZZ_ASSERT(n == len && memcmp(out, f, len) == 0,
                "an accepted CTL_REPLY re-encodes to different bytes");
    free(out);

    /* A small buffer: cut to SMALL_CAP - 1 bytes, nul-terminated, full length reported. */
    char *small = malloc(SMALL_CAP);
    size_t small_len = 0;
    FUZZ_ASSERT(px_decode_ctl_reply(f, len, CLUSTER, small, SMALL_CAP, &small_len) == 0,
                "CTL_REPLY refused with a smaller output buffer");
    size_t kept = json_len < SMALL_CAP - 1 ? json_len : SMALL_CAP - 1;
    FUZZ_ASSERT(small_len == json_len && small[kept] == 0 && memcmp(small, json, kept) == 0,
                "CTL_REPLY into a small buffer is not a nul-terminated prefix");
    free(small);
}

static void check_frame(const uint8_t *f, size_t len)
{
    size_t json_len = 0;
    int rc = px_decode(f, len, CLUSTER, &msg);
    int rc_ctl = px_decode_ctl_reply(f, len, CLUSTER, json, sizeof json, &json_len);

    FUZZ_ASSERT(is_error(rc) && is_error(rc_ctl), "a decoder returned an unknown code");
    FUZZ_ASSERT(rc != 0 || rc_ctl != 0, "one frame accepted by both decoders");
    if (!payload_verdict(rc) || !payload_verdict(rc_ctl))
        FUZZ_ASSERT(rc == rc_ctl, "the two decoders disagree about the header");
    if (rc == 0) check_msg_roundtrip(f, len);
    if (rc_ctl == 0) check_ctl_roundtrip(f, len, json_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *f = fuzz_dup(data, size);
    check_frame(f, size);
    if (size >= PX_WIRE_HEADER) {
        fix_crc(f, size);
        check_frame(f, size);
    }
    free(f);
    return 0;
}
