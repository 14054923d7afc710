/*
 * Copyright (C) icetap authors
 *
 * Iceberg single values, partition transforms and the bucket hash (spec
 * section 8): murmur3_x86_32, identity, bucket[N], truncate[W], year,
 * month, day, hour and void, and the binary single-value serialization
 * used for column bounds and partition summaries.
 */

#ifndef ICETAP_TRANSFORM_H
#define ICETAP_TRANSFORM_H


#include <icetap/core.h>
#include <icetap/schema.h>


/*
 * One primitive value.  Strings, binary and fixed point to memory owned
 * by someone else; uuid and decimal are held inline.  Decimals are the
 * unscaled value as minimal big-endian two's complement (at most 16 bytes,
 * precision 38).  Times are in the type's unit: days for date, micros for
 * time/timestamp/timestamptz, nanos for the _ns types.
 */

typedef struct {
    icetap_type_id_t      type;
    int                   is_null;
    union {
        int               b;
        int32_t           i;            /* int, date */
        int64_t           l;            /* long, time, timestamp* */
        float             f;
        double            d;
        struct {
            const uint8_t  *data;
            size_t          len;
        }                 bin;          /* string, binary, fixed, geo */
        uint8_t           uuid[16];
        struct {
            uint8_t         bytes[16];
            size_t          len;
        }                 dec;
    } v;
} icetap_value_t;


typedef enum {
    ICETAP_TRANSFORM_IDENTITY = 1,
    ICETAP_TRANSFORM_BUCKET,
    ICETAP_TRANSFORM_TRUNCATE,
    ICETAP_TRANSFORM_YEAR,
    ICETAP_TRANSFORM_MONTH,
    ICETAP_TRANSFORM_DAY,
    ICETAP_TRANSFORM_HOUR,
    ICETAP_TRANSFORM_VOID
} icetap_transform_kind_t;


typedef struct {
    icetap_transform_kind_t  kind;
    int32_t                  param;     /* N of bucket, W of truncate */
} icetap_transform_t;


uint32_t icetap_murmur3_32(const void *data, size_t len, uint32_t seed);

/* Iceberg's bucket hash of a non-null value (spec 8.2, Java BucketUtil) */
icetap_rc icetap_value_hash(const icetap_value_t *v, int32_t *hash,
    icetap_error_t *err);

icetap_rc icetap_transform_parse(const char *s, icetap_transform_t *t,
    icetap_error_t *err);
int icetap_transform_format(const icetap_transform_t *t, char *buf,
    size_t size);

/*
 * The partition value type produced from a source type; fails when the
 * transform does not apply to it.  "result" is a primitive type with no
 * allocated parts (geo params are not copied).
 */
icetap_rc icetap_transform_result_type(const icetap_transform_t *t,
    const icetap_type_t *source, icetap_type_t *result, icetap_error_t *err);

/*
 * Apply a transform.  A truncated string or binary points into the input;
 * null in gives null out, and void always gives null of the source type.
 */
icetap_rc icetap_transform_apply(const icetap_transform_t *t,
    const icetap_value_t *in, icetap_value_t *out, icetap_error_t *err);

/* the partition path form of a transform result: 2017-11-16, 2017-11-16-22 */
int icetap_transform_human(const icetap_transform_t *t,
    const icetap_value_t *v, char *buf, size_t size);


/* binary single-value serialization (spec 8.1), appended to "out" */
icetap_rc icetap_value_serialize(const icetap_value_t *v, icetap_buf_t *out,
    icetap_error_t *err);

/*
 * The inverse: strings/binary point into "p".  A 4-byte value for a long
 * (or a float for a double) column is accepted, as written before a type
 * promotion, and widened.
 */
icetap_rc icetap_value_deserialize(icetap_type_id_t type, const uint8_t *p,
    size_t len, icetap_value_t *v, icetap_error_t *err);

/*
 * Order of two non-null values of the same type, as Iceberg compares
 * bounds: signed numbers, unsigned bytes for strings and binary, -0.0
 * before +0.0.  Returns <0, 0 or >0.
 */
int icetap_value_compare(const icetap_value_t *a, const icetap_value_t *b);

/* days since 1970-01-01 <-> civil date */
int32_t icetap_days_from_civil(int64_t y, unsigned m, unsigned d);
void icetap_civil_from_days(int64_t days, int64_t *y, unsigned *m,
    unsigned *d);

/* decimal helpers: unscaled value <-> minimal big-endian bytes */
void icetap_decimal_from_int64(icetap_value_t *v, int64_t unscaled);
icetap_rc icetap_decimal_to_int64(const icetap_value_t *v, int64_t *out);


#endif /* ICETAP_TRANSFORM_H */
