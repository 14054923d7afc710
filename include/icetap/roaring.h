/*
 * Copyright (C) icetap authors
 *
 * A set of 64-bit positions with the Roaring portable serialisations:
 * the standard 32-bit format (array, bitset and run containers; all three
 * are read, the smallest is written) and the 64-bit "portable" framing
 * Iceberg deletion vectors use (uint64 count, then per high-32 key a
 * uint32 key and a 32-bit bitmap).
 */

#ifndef ICETAP_ROARING_H
#define ICETAP_ROARING_H


#include <icetap/core.h>


typedef struct icetap_roaring64_s  icetap_roaring64_t;

/* return anything but ICETAP_OK to stop an iteration with that code */
typedef icetap_rc (*icetap_roaring_iter_pt)(void *ctx, uint64_t pos);


icetap_roaring64_t *icetap_roaring64_create(void);
void icetap_roaring64_destroy(icetap_roaring64_t *r);

icetap_rc icetap_roaring64_add(icetap_roaring64_t *r, uint64_t pos);
icetap_rc icetap_roaring64_add_range(icetap_roaring64_t *r, uint64_t from,
    uint64_t to);                                   /* [from, to) */
int icetap_roaring64_contains(const icetap_roaring64_t *r, uint64_t pos);
uint64_t icetap_roaring64_cardinality(const icetap_roaring64_t *r);
int icetap_roaring64_max(const icetap_roaring64_t *r, uint64_t *max);
icetap_rc icetap_roaring64_or(icetap_roaring64_t *dst,
    const icetap_roaring64_t *src);

/* positions in ascending order */
icetap_rc icetap_roaring64_iterate(const icetap_roaring64_t *r,
    icetap_roaring_iter_pt cb, void *ctx);


/* 64-bit portable format */

size_t icetap_roaring64_portable_size(const icetap_roaring64_t *r);
icetap_rc icetap_roaring64_serialize(const icetap_roaring64_t *r,
    icetap_buf_t *out);

/*
 * Reads one serialised set from p (at most len bytes) and reports the
 * bytes it used in *used (may be NULL).  Every length, count, key order,
 * cardinality and offset is checked; bad input is ICETAP_INVALID.
 */
icetap_rc icetap_roaring64_deserialize(const uint8_t *p, size_t len,
    icetap_roaring64_t **out, size_t *used, icetap_error_t *err);


/* one 32-bit portable bitmap: the positions of r whose high 32 bits = key */

icetap_rc icetap_roaring32_serialize(const icetap_roaring64_t *r,
    uint32_t key, icetap_buf_t *out);

/* adds a 32-bit portable bitmap into r under the high 32 bits key */
icetap_rc icetap_roaring32_deserialize(const uint8_t *p, size_t len,
    uint32_t key, icetap_roaring64_t *r, size_t *used, icetap_error_t *err);


#endif /* ICETAP_ROARING_H */
