/*
 * Copyright (C) icetap authors
 *
 * Avro: schema parsing, a generic datum encoder/decoder and the object
 * container file (OCF) writer and reader, streaming block by block.
 *
 * The writer puts the schema JSON into the header verbatim, so Iceberg's
 * "field-id", "element-id", "key-id" and "value-id" attributes survive,
 * together with any further header keys.  Codecs: null and deflate (raw
 * RFC 1951).  Decoded values live in an arena the caller resets.
 */

#ifndef ICETAP_AVRO_H
#define ICETAP_AVRO_H


#include <jansson.h>

#include <icetap/core.h>


typedef enum {
    ICETAP_AVRO_NULL = 1,
    ICETAP_AVRO_BOOLEAN,
    ICETAP_AVRO_INT,
    ICETAP_AVRO_LONG,
    ICETAP_AVRO_FLOAT,
    ICETAP_AVRO_DOUBLE,
    ICETAP_AVRO_BYTES,
    ICETAP_AVRO_STRING,
    ICETAP_AVRO_RECORD,
    ICETAP_AVRO_ENUM,
    ICETAP_AVRO_ARRAY,
    ICETAP_AVRO_MAP,
    ICETAP_AVRO_UNION,
    ICETAP_AVRO_FIXED
} icetap_avro_type_t;


typedef enum {
    ICETAP_AVRO_CODEC_NULL = 0,
    ICETAP_AVRO_CODEC_DEFLATE
} icetap_avro_codec_t;


#define ICETAP_AVRO_NO_ID  (-1)


typedef struct icetap_avro_node_s    icetap_avro_node_t;
typedef struct icetap_avro_schema_s  icetap_avro_schema_t;
typedef struct icetap_avro_value_s   icetap_avro_value_t;
typedef struct icetap_avro_arena_s   icetap_avro_arena_t;
typedef struct icetap_avro_writer_s  icetap_avro_writer_t;
typedef struct icetap_avro_reader_s  icetap_avro_reader_t;


typedef struct {
    const char           *name;
    int32_t               field_id;     /* ICETAP_AVRO_NO_ID when absent */
    icetap_avro_node_t   *type;
    const json_t         *json;         /* the field object: default, doc */
} icetap_avro_field_t;


/* strings point into the schema's JSON document; nodes are read-only */

struct icetap_avro_node_s {
    icetap_avro_type_t    type;
    const char           *name;         /* full name of record/enum/fixed */
    const char           *logical_type; /* "logicalType" or NULL */
    int                   adjust_to_utc;    /* -1 absent, 0, 1 */
    int32_t               element_id;   /* array "element-id" */
    int32_t               key_id;       /* map "key-id" */
    int32_t               value_id;     /* map "value-id" */
    size_t                size;         /* fixed */

    icetap_avro_field_t  *fields;       /* record */
    size_t                nfields;

    const char          **symbols;      /* enum */
    size_t                nsymbols;

    icetap_avro_node_t   *items;        /* array */
    icetap_avro_node_t   *values;       /* map */

    icetap_avro_node_t  **branches;     /* union */
    size_t                nbranches;

    const json_t         *json;         /* this node's JSON */
    size_t                min_size;     /* fewest bytes a datum takes */
};


/*
 * A datum.  For a union the value records the branch and points to the
 * branch's value; record fields and array items are arrays of values.
 */

struct icetap_avro_value_s {
    icetap_avro_type_t    type;
    union {
        int               b;
        int32_t           i;            /* int, enum index */
        int64_t           l;
        float             f;
        double            d;
        struct {
            const uint8_t  *data;
            size_t          len;
        }                 bytes;        /* bytes, string, fixed */
        struct {
            icetap_avro_value_t  *items;
            size_t                n;
        }                 list;         /* record fields, array items */
        struct {
            icetap_avro_value_t  *keys;     /* strings */
            icetap_avro_value_t  *vals;
            size_t                n;
        }                 map;
        struct {
            int32_t               branch;
            icetap_avro_value_t  *value;
        }                 u;
    } v;
};


/* schemas */

icetap_rc icetap_avro_schema_parse(const char *json, size_t len,
    icetap_avro_schema_t **s, icetap_error_t *err);
const icetap_avro_node_t *icetap_avro_schema_root(
    const icetap_avro_schema_t *s);
void icetap_avro_schema_free(icetap_avro_schema_t *s);

/* a record field by name, or NULL */
const icetap_avro_field_t *icetap_avro_field(const icetap_avro_node_t *rec,
    const char *name);

/* the non-null branch of an optional ["null", T] union, or the node */
const icetap_avro_node_t *icetap_avro_unwrap(const icetap_avro_node_t *n);


/* arena for values and their bytes */

icetap_avro_arena_t *icetap_avro_arena_create(size_t chunk);
void *icetap_avro_arena_alloc(icetap_avro_arena_t *a, size_t size);
void icetap_avro_arena_reset(icetap_avro_arena_t *a);
void icetap_avro_arena_destroy(icetap_avro_arena_t *a);
size_t icetap_avro_arena_used(const icetap_avro_arena_t *a);


/* value builders; the returned arrays are zeroed, NULL when out of memory */

void icetap_avro_set_null(icetap_avro_value_t *v);
void icetap_avro_set_boolean(icetap_avro_value_t *v, int b);
void icetap_avro_set_int(icetap_avro_value_t *v, int32_t i);
void icetap_avro_set_long(icetap_avro_value_t *v, int64_t l);
void icetap_avro_set_float(icetap_avro_value_t *v, float f);
void icetap_avro_set_double(icetap_avro_value_t *v, double d);
void icetap_avro_set_bytes(icetap_avro_value_t *v, icetap_avro_type_t type,
    const void *data, size_t len);
void icetap_avro_set_string(icetap_avro_value_t *v, const char *s);
icetap_avro_value_t *icetap_avro_set_union(icetap_avro_arena_t *a,
    icetap_avro_value_t *v, int32_t branch);
icetap_avro_value_t *icetap_avro_set_record(icetap_avro_arena_t *a,
    icetap_avro_value_t *v, size_t nfields);
icetap_avro_value_t *icetap_avro_set_array(icetap_avro_arena_t *a,
    icetap_avro_value_t *v, size_t n);
/* returns the values; keys are v->v.map.keys */
icetap_avro_value_t *icetap_avro_set_map(icetap_avro_arena_t *a,
    icetap_avro_value_t *v, size_t n);


/* binary encoding */

icetap_rc icetap_avro_put_long(icetap_buf_t *b, int64_t v);
icetap_rc icetap_avro_put_bytes(icetap_buf_t *b, const void *p, size_t len);
icetap_rc icetap_avro_get_long(const uint8_t **p, const uint8_t *end,
    int64_t *v);

icetap_rc icetap_avro_encode(const icetap_avro_node_t *schema,
    const icetap_avro_value_t *v, icetap_buf_t *out, icetap_error_t *err);

/* decodes one datum at *p, advancing it; bytes are copied into the arena */
icetap_rc icetap_avro_decode(const icetap_avro_node_t *schema,
    const uint8_t **p, const uint8_t *end, icetap_avro_arena_t *a,
    icetap_avro_value_t *v, icetap_error_t *err);


/* object container files */

typedef icetap_rc (*icetap_avro_write_pt)(void *ctx, const void *data,
    size_t len, icetap_error_t *err);

/* reads up to len bytes, *got = 0 only at the end of the input */
typedef icetap_rc (*icetap_avro_read_pt)(void *ctx, void *buf, size_t len,
    size_t *got, icetap_error_t *err);


typedef struct {
    const char           *key;
    const void           *value;
    size_t                len;
} icetap_avro_meta_t;


typedef struct {
    const char           *schema_json;  /* written verbatim */
    size_t                schema_len;   /* 0: strlen(schema_json) */
    icetap_avro_codec_t   codec;
    int                   level;        /* deflate level, 0: default 6 */
    const icetap_avro_meta_t  *meta;    /* extra header keys, in order */
    size_t                nmeta;
    const uint8_t        *sync;         /* 16 bytes, NULL: random */
    size_t                block_size;   /* uncompressed bytes per block,
                                           0: 64 KiB */
    icetap_avro_write_pt  write;
    void                 *ctx;
} icetap_avro_writer_conf_t;


/* a write callback that appends to an icetap_buf_t passed as ctx */
icetap_rc icetap_avro_write_buf(void *ctx, const void *data, size_t len,
    icetap_error_t *err);

icetap_rc icetap_avro_writer_create(const icetap_avro_writer_conf_t *conf,
    icetap_avro_writer_t **w, icetap_error_t *err);
const icetap_avro_node_t *icetap_avro_writer_schema(
    const icetap_avro_writer_t *w);
icetap_rc icetap_avro_writer_append(icetap_avro_writer_t *w,
    const icetap_avro_value_t *v, icetap_error_t *err);
/* one datum already in Avro binary form */
icetap_rc icetap_avro_writer_append_encoded(icetap_avro_writer_t *w,
    const void *datum, size_t len, icetap_error_t *err);
/* ends the current block (if any objects are pending) */
icetap_rc icetap_avro_writer_flush(icetap_avro_writer_t *w,
    icetap_error_t *err);
/* flushes; the file is complete after this */
icetap_rc icetap_avro_writer_finish(icetap_avro_writer_t *w,
    icetap_error_t *err);
/* bytes handed to the write callback so far */
uint64_t icetap_avro_writer_offset(const icetap_avro_writer_t *w);
uint64_t icetap_avro_writer_count(const icetap_avro_writer_t *w);
void icetap_avro_writer_destroy(icetap_avro_writer_t *w);


icetap_rc icetap_avro_reader_create(icetap_avro_read_pt read, void *ctx,
    icetap_avro_reader_t **r, icetap_error_t *err);
/* reads from memory that must outlive the reader */
icetap_rc icetap_avro_reader_create_mem(const void *data, size_t len,
    icetap_avro_reader_t **r, icetap_error_t *err);
const icetap_avro_node_t *icetap_avro_reader_schema(
    const icetap_avro_reader_t *r);
const icetap_avro_schema_t *icetap_avro_reader_parsed_schema(
    const icetap_avro_reader_t *r);
icetap_avro_codec_t icetap_avro_reader_codec(const icetap_avro_reader_t *r);

/* header value (NUL-terminated copy) or NULL; len may be NULL */
const char *icetap_avro_reader_meta(const icetap_avro_reader_t *r,
    const char *key, size_t *len);
size_t icetap_avro_reader_nmeta(const icetap_avro_reader_t *r);
const char *icetap_avro_reader_meta_at(const icetap_avro_reader_t *r,
    size_t i, const char **value, size_t *len);

/* the next datum into the arena, ICETAP_EOF after the last one */
icetap_rc icetap_avro_reader_next(icetap_avro_reader_t *r,
    icetap_avro_arena_t *a, icetap_avro_value_t *v, icetap_error_t *err);
uint64_t icetap_avro_reader_blocks(const icetap_avro_reader_t *r);
void icetap_avro_reader_destroy(icetap_avro_reader_t *r);


#endif /* ICETAP_AVRO_H */
