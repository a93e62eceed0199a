// ISA-L's streaming inflate (igzip), behind a few functions on an opaque
// pointer: its state holds a 64 KiB array, which Swift would import as a
// tuple of that many elements.
#include <isa-l/igzip_lib.h>
#include <stdint.h>
#include <stdlib.h>

// A state for gzip members (header parsed, CRC-32 and length checked); NULL when out of memory.
static inline void *cdr_gunzip_new(void) {
    struct inflate_state *s = calloc(1, sizeof *s);
    if (s) { isal_inflate_init(s); s->crc_flag = ISAL_GZIP; }
    return s;
}

static inline void cdr_gunzip_free(void *s) { free(s); }

// Ready for the next member.
static inline void cdr_gunzip_reset(void *state) {
    struct inflate_state *s = state;
    isal_inflate_reset(s);
    s->crc_flag = ISAL_GZIP;
}

// Inflates from `in` into `out`: returns ISA-L's code (negative: corrupt),
// what it read and wrote, and whether the member ended (trailer checked).
static inline int cdr_gunzip(void *state, const uint8_t *in, uint32_t in_len, uint8_t *out, uint32_t out_len,
                             uint32_t *consumed, uint32_t *produced, int *member_end) {
    struct inflate_state *s = state;
    s->next_in = (uint8_t *)in;
    s->avail_in = in_len;
    s->next_out = out;
    s->avail_out = out_len;
    int rc = isal_inflate(s);
    *consumed = in_len - s->avail_in;
    *produced = out_len - s->avail_out;
    *member_end = s->block_state == ISAL_BLOCK_FINISH;
    return rc;
}
