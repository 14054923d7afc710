/*
 * Copyright (C) icetap authors
 *
 * Parquet files for Iceberg tables: a schema built from Iceberg types
 * (with field ids), a streaming writer (memory bounded by one row group,
 * output through a write callback), a column reader on a read-at
 * callback, and a row-group copy path that appends whole row groups of
 * same-schema files without decoding them.
 */

#ifndef ICETAP_PARQUET_H
#define ICETAP_PARQUET_H


#include <icetap/core.h>


/* Iceberg types, in the order of icetap/schema.h's icetap_type_id_t */

typedef enum {
    ICETAP_PQ_NONE = 0,
    ICETAP_PQ_BOOLEAN,
    ICETAP_PQ_INT,
    ICETAP_PQ_LONG,
    ICETAP_PQ_FLOAT,
    ICETAP_PQ_DOUBLE,
    ICETAP_PQ_DECIMAL,          /* p1 = precision, p2 = scale */
    ICETAP_PQ_DATE,
    ICETAP_PQ_TIME,
    ICETAP_PQ_TIMESTAMP,
    ICETAP_PQ_TIMESTAMPTZ,
    ICETAP_PQ_TIMESTAMP_NS,
    ICETAP_PQ_TIMESTAMPTZ_NS,
    ICETAP_PQ_STRING,
    ICETAP_PQ_UUID,
    ICETAP_PQ_FIXED,            /* p1 = length */
    ICETAP_PQ_BINARY,
    ICETAP_PQ_STRUCT = 21,
    ICETAP_PQ_LIST,
    ICETAP_PQ_MAP
} icetap_pq_type_e;


/* Parquet enums (parquet.thrift values) */

enum {
    ICETAP_PQ_PHYS_BOOLEAN = 0,
    ICETAP_PQ_PHYS_INT32,
    ICETAP_PQ_PHYS_INT64,
    ICETAP_PQ_PHYS_INT96,
    ICETAP_PQ_PHYS_FLOAT,
    ICETAP_PQ_PHYS_DOUBLE,
    ICETAP_PQ_PHYS_BYTE_ARRAY,
    ICETAP_PQ_PHYS_FLBA
};

enum {
    ICETAP_PQ_REQUIRED = 0,
    ICETAP_PQ_OPTIONAL,
    ICETAP_PQ_REPEATED
};

typedef enum {
    ICETAP_PQ_UNCOMPRESSED = 0,
    ICETAP_PQ_SNAPPY = 1,
    ICETAP_PQ_GZIP = 2,
    ICETAP_PQ_ZSTD = 6
} icetap_pq_codec_e;

/* LogicalType union members (parquet.thrift field ids) */

enum {
    ICETAP_PQ_LT_NONE = 0,
    ICETAP_PQ_LT_STRING = 1,
    ICETAP_PQ_LT_MAP = 2,
    ICETAP_PQ_LT_LIST = 3,
    ICETAP_PQ_LT_ENUM = 4,
    ICETAP_PQ_LT_DECIMAL = 5,
    ICETAP_PQ_LT_DATE = 6,
    ICETAP_PQ_LT_TIME = 7,
    ICETAP_PQ_LT_TIMESTAMP = 8,
    ICETAP_PQ_LT_INTEGER = 10,
    ICETAP_PQ_LT_UNKNOWN = 11,
    ICETAP_PQ_LT_JSON = 12,
    ICETAP_PQ_LT_BSON = 13,
    ICETAP_PQ_LT_UUID = 14,
    ICETAP_PQ_LT_FLOAT16 = 15
};

/* TimeUnit union members */

enum {
    ICETAP_PQ_MILLIS = 1,
    ICETAP_PQ_MICROS = 2,
    ICETAP_PQ_NANOS = 3
};


/*
 * One Parquet schema element, in the file's depth-first order; element 0
 * is the root.  The synthetic repeated "list"/"key_value" groups of the
 * Iceberg 3-level list and map forms are elements too.
 */

typedef struct {
    char               *name;
    int32_t             field_id;       /* -1 when absent */
    int                 repetition;     /* ICETAP_PQ_REQUIRED..; -1 root */
    int                 physical;       /* ICETAP_PQ_PHYS_*; -1 groups */
    int32_t             type_length;    /* FLBA length */
    int                 converted;      /* legacy ConvertedType, -1 none */
    int32_t             scale;
    int32_t             precision;
    int                 logical;        /* ICETAP_PQ_LT_* */
    int                 lt_utc;         /* TIME/TIMESTAMP isAdjustedToUTC */
    int                 lt_unit;        /* TIME/TIMESTAMP unit */
    int                 lt_bits;        /* INTEGER bitWidth */
    int                 lt_signed;      /* INTEGER isSigned */
    int                 num_children;
    int                 parent;         /* -1 for the root */
    int                 max_def;        /* levels at this element */
    int                 max_rep;
    int                 leaf;           /* leaf column index, -1 groups */
    int                 first_leaf;     /* leaves under this element: */
    int                 end_leaf;       /* [first_leaf, end_leaf) */
    icetap_pq_type_e    type;           /* Iceberg type, NONE if unknown */
} icetap_pq_node_t;


typedef struct icetap_pq_schema_s  icetap_pq_schema_t;
typedef struct icetap_pq_writer_s  icetap_pq_writer_t;
typedef struct icetap_pq_reader_s  icetap_pq_reader_t;


#define ICETAP_PQ_ROOT  (-1)


/*
 * Building a schema: icetap_pq_schema_add() returns the new field's
 * handle (>= 0) or a negative icetap_rc.  parent is ICETAP_PQ_ROOT or the
 * handle of a struct, list or map field.  A list takes exactly one child
 * (its element), a map two (key, then value; keys must be required).
 * field_id < 0 leaves the id out.  Children may be added in any order
 * of parents; the file order follows the order of addition per parent.
 */

icetap_pq_schema_t *icetap_pq_schema_new(icetap_error_t *err);
int icetap_pq_schema_add(icetap_pq_schema_t *s, int parent,
    int32_t field_id, const char *name, int required, icetap_pq_type_e type,
    int32_t p1, int32_t p2, icetap_error_t *err);
icetap_rc icetap_pq_schema_finish(icetap_pq_schema_t *s,
    icetap_error_t *err);
void icetap_pq_schema_free(icetap_pq_schema_t *s);

/* available once finished (and on a reader's schema) */
size_t icetap_pq_schema_nodes(const icetap_pq_schema_t *s,
    const icetap_pq_node_t **nodes);
size_t icetap_pq_schema_leaves(const icetap_pq_schema_t *s);
const icetap_pq_node_t *icetap_pq_schema_leaf(const icetap_pq_schema_t *s,
    int leaf);
int icetap_pq_schema_leaf_by_id(const icetap_pq_schema_t *s,
    int32_t field_id);
int icetap_pq_schema_node_of(const icetap_pq_schema_t *s, int handle);


/*
 * Writer.  Output goes through write(); the writer buffers one row group
 * (compressed column chunks plus the open pages) and the footer metadata.
 * conf NULL means the defaults of icetap_pq_writer_conf_init().  err is
 * kept and filled by every later failing call until close.
 */

typedef icetap_rc (*icetap_pq_write_pt)(void *ctx, const void *data,
    size_t len, icetap_error_t *err);

typedef struct {
    icetap_pq_codec_e   codec;          /* conf_init: ZSTD */
    int                 level;          /* codec level, 0 = default */
    size_t              page_size;      /* 0: 1 MiB */
    size_t              row_group_size; /* 0: 128 MiB */
    size_t              dict_size;      /* dictionary cap, 0: 1 MiB */
    int                 no_dictionary;
    const char         *created_by;     /* NULL: "icetap version ..." */
} icetap_pq_writer_conf_t;


void icetap_pq_writer_conf_init(icetap_pq_writer_conf_t *conf);
icetap_pq_writer_t *icetap_pq_writer_open(const icetap_pq_schema_t *s,
    const icetap_pq_writer_conf_t *conf, icetap_pq_write_pt write,
    void *ctx, icetap_error_t *err);
icetap_rc icetap_pq_writer_kv(icetap_pq_writer_t *w, const char *key,
    const char *value);

/*
 * Row API: values are given in schema order, depth first.  begin/end
 * open and close a struct, list or map value; inside a list every value
 * is an element, inside a map values alternate key, value.
 *   int32: int, date, decimal;  int64: long, time, timestamps, decimal
 *   bytes: string, binary, fixed, uuid (16 bytes big-endian), decimal
 *          (unscaled big-endian two's complement)
 */

icetap_rc icetap_pq_null(icetap_pq_writer_t *w);
icetap_rc icetap_pq_bool(icetap_pq_writer_t *w, int v);
icetap_rc icetap_pq_int32(icetap_pq_writer_t *w, int32_t v);
icetap_rc icetap_pq_int64(icetap_pq_writer_t *w, int64_t v);
icetap_rc icetap_pq_float(icetap_pq_writer_t *w, float v);
icetap_rc icetap_pq_double(icetap_pq_writer_t *w, double v);
icetap_rc icetap_pq_bytes(icetap_pq_writer_t *w, const void *p, size_t n);
icetap_rc icetap_pq_str(icetap_pq_writer_t *w, const char *s);
icetap_rc icetap_pq_begin(icetap_pq_writer_t *w);
icetap_rc icetap_pq_end(icetap_pq_writer_t *w);
icetap_rc icetap_pq_end_row(icetap_pq_writer_t *w);

icetap_rc icetap_pq_writer_flush(icetap_pq_writer_t *w);
icetap_rc icetap_pq_writer_close(icetap_pq_writer_t *w);
void icetap_pq_writer_free(icetap_pq_writer_t *w);


/* what an Iceberg manifest entry needs, per leaf column */

typedef struct {
    int32_t             field_id;
    int                 leaf;
    int                 in_repeated;    /* under a list or a map */
    uint64_t            column_size;    /* on-disk bytes of all chunks */
    int64_t             value_count;    /* level entries, nulls included */
    int64_t             null_count;
    int64_t             nan_count;      /* -1 unless float or double */
    int                 has_bounds;
    const uint8_t      *lower;          /* Iceberg single-value bytes */
    size_t              lower_len;
    const uint8_t      *upper;
    size_t              upper_len;
} icetap_pq_metrics_t;


int64_t icetap_pq_writer_rows(const icetap_pq_writer_t *w);
uint64_t icetap_pq_writer_size(const icetap_pq_writer_t *w);
size_t icetap_pq_writer_row_groups(const icetap_pq_writer_t *w,
    const int64_t **offsets);
icetap_rc icetap_pq_writer_metrics(icetap_pq_writer_t *w, int leaf,
    icetap_pq_metrics_t *m);


/*
 * Reader.  read() must return exactly len bytes at off or fail.  Columns
 * are decoded one column chunk at a time into a caller-owned
 * icetap_pq_column_t whose buffers are reused across calls.
 */

typedef icetap_rc (*icetap_pq_read_pt)(void *ctx, uint64_t off, void *buf,
    size_t len, icetap_error_t *err);

typedef struct {
    int                 leaf;
    int                 physical;
    size_t              num_entries;    /* level entries */
    size_t              num_values;     /* non-null values */
    uint8_t            *rep;            /* one level per entry, zeros */
    uint8_t            *def;            /* when the maximum is 0 */
    void               *values;         /* bool (uint8_t), int32, int64,
                                           float, double arrays */
    uint32_t           *offsets;        /* byte arrays, FLBA, INT96: */
    uint8_t            *data;           /* num_values + 1 offsets */
    size_t              data_len;
    size_t              cap_entries;    /* allocation sizes */
    size_t              cap_def;
    size_t              cap_values;
    size_t              cap_offsets;
    size_t              cap_data;
} icetap_pq_column_t;


icetap_pq_reader_t *icetap_pq_reader_open(icetap_pq_read_pt read,
    void *ctx, uint64_t size, icetap_error_t *err);
const icetap_pq_schema_t *icetap_pq_reader_schema(
    const icetap_pq_reader_t *r);
int64_t icetap_pq_reader_rows(const icetap_pq_reader_t *r);
int icetap_pq_reader_row_groups(const icetap_pq_reader_t *r);
int64_t icetap_pq_reader_row_group_rows(const icetap_pq_reader_t *r,
    int rg);
const char *icetap_pq_reader_kv(const icetap_pq_reader_t *r,
    const char *key);
/* the byte range holding a row group's column chunks; ICETAP_INVALID */
icetap_rc icetap_pq_reader_row_group_span(const icetap_pq_reader_t *r,
    int rg, uint64_t *off, uint64_t *len);
icetap_rc icetap_pq_read_column(icetap_pq_reader_t *r, int rg, int leaf,
    icetap_pq_column_t *col, icetap_error_t *err);
void icetap_pq_column_free(icetap_pq_column_t *col);
void icetap_pq_reader_free(icetap_pq_reader_t *r);


/*
 * Column-level writing (decode/re-encode paths): one whole row group of
 * nrows rows from one decoded column per leaf, in leaf order.  Then the
 * row-group copy path: every row group of r appended to w as is.  Both
 * need the writer to hold no open row of the row API.
 */

icetap_rc icetap_pq_writer_columns(icetap_pq_writer_t *w,
    const icetap_pq_column_t *cols, size_t ncols, int64_t nrows);
icetap_rc icetap_pq_writer_append(icetap_pq_writer_t *w,
    icetap_pq_reader_t *r);


#endif /* ICETAP_PARQUET_H */
