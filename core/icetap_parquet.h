/*
 * Copyright (C) icetap authors
 *
 * Parquet internals shared by the schema/footer code, the encoders, the
 * writer and the reader.  Private to the core.
 */

#ifndef ICETAP_PARQUET_INT_H
#define ICETAP_PARQUET_INT_H


#include <icetap/parquet.h>


#define ICETAP_PQ_MAX_LEVEL     100     /* nesting depth we accept */

/* Encoding enum */
#define ICETAP_PQ_ENC_PLAIN             0
#define ICETAP_PQ_ENC_PLAIN_DICTIONARY  2
#define ICETAP_PQ_ENC_RLE               3
#define ICETAP_PQ_ENC_BIT_PACKED        4
#define ICETAP_PQ_ENC_DELTA_BINARY      5
#define ICETAP_PQ_ENC_DELTA_LENGTH      6
#define ICETAP_PQ_ENC_DELTA_BYTE_ARRAY  7
#define ICETAP_PQ_ENC_RLE_DICTIONARY    8
#define ICETAP_PQ_ENC_BYTE_STREAM_SPLIT 9

/* PageType enum */
#define ICETAP_PQ_PAGE_DATA     0
#define ICETAP_PQ_PAGE_INDEX    1
#define ICETAP_PQ_PAGE_DICT     2
#define ICETAP_PQ_PAGE_DATA_V2  3


/* one field as the caller declared it, before flattening */

typedef struct {
    char               *name;
    int32_t             field_id;
    int                 required;
    icetap_pq_type_e    type;
    int32_t             p1;
    int32_t             p2;
    int                 parent;
    int                 first_child;
    int                 last_child;
    int                 next;
    int                 nchildren;
} icetap_pq_unode_t;


struct icetap_pq_schema_s {
    icetap_pq_unode_t  *un;
    size_t              nun;
    size_t              cap_un;
    int                 first_top;
    int                 last_top;
    int                 finished;
    icetap_pq_node_t   *nodes;
    size_t              nnodes;
    int                *leaves;         /* leaf index -> node index */
    size_t              nleaves;
    int                *handle_node;    /* handle -> node index */
};


/* a column chunk's footer metadata */

typedef struct {
    int                 physical;
    uint32_t            encodings;      /* bit per Encoding value */
    int                 codec;
    int64_t             num_values;
    int64_t             total_uncompressed;
    int64_t             total_compressed;
    int64_t             data_page_offset;
    int64_t             dict_page_offset;   /* -1 when none */
    int64_t             null_count;         /* -1 when unknown */
    int                 has_min;
    int                 has_max;
    uint8_t            *min;
    uint8_t            *max;
    uint32_t            min_len;
    uint32_t            max_len;
} icetap_pq_chunk_t;


typedef struct {
    icetap_pq_chunk_t  *chunks;         /* one per leaf */
    int64_t             num_rows;
    int64_t             total_byte_size;
    int64_t             total_compressed;
    int64_t             file_offset;
} icetap_pq_rg_t;


typedef struct {
    icetap_pq_schema_t *schema;
    icetap_pq_rg_t     *rgs;
    size_t              nrgs;
    size_t              cap_rgs;
    int64_t             num_rows;
    char              **kv;             /* key, value, key, value ... */
    size_t              nkv;
    char               *created_by;
    int                 column_orders;
} icetap_pq_meta_t;


typedef struct {
    int                 type;
    int32_t             usize;
    int32_t             csize;
    int32_t             num_values;
    int                 encoding;
    int                 def_encoding;
    int                 rep_encoding;
    int32_t             num_nulls;
    int32_t             num_rows;
    int32_t             def_len;
    int32_t             rep_len;
    int                 is_compressed;
} icetap_pq_page_t;


/* codec contexts kept by a writer or a reader */

typedef struct {
    void               *zc;             /* ZSTD_CCtx */
    void               *zd;             /* ZSTD_DCtx */
    void               *gz;             /* z_stream for deflate */
    void               *gzi;            /* z_stream for inflate */
} icetap_pq_codec_t;


/* schema and footer (icetap_parquet_meta.c) */

icetap_pq_schema_t *icetap_pq_schema_alloc(size_t nnodes,
    icetap_error_t *err);
icetap_rc icetap_pq_schema_index(icetap_pq_schema_t *s,
    icetap_error_t *err);
int icetap_pq_schema_equal(const icetap_pq_schema_t *a,
    const icetap_pq_schema_t *b, char *why, size_t whylen);
icetap_rc icetap_pq_meta_encode(const icetap_pq_meta_t *m,
    icetap_buf_t *out);
icetap_rc icetap_pq_meta_decode(const uint8_t *p, size_t n,
    icetap_pq_meta_t *m, icetap_error_t *err);
void icetap_pq_meta_free_rgs(icetap_pq_meta_t *m);
void icetap_pq_meta_free(icetap_pq_meta_t *m);
icetap_rc icetap_pq_meta_add_rg(icetap_pq_meta_t *m, icetap_pq_rg_t **rg);
icetap_rc icetap_pq_page_encode(icetap_buf_t *out,
    const icetap_pq_page_t *ph);
icetap_rc icetap_pq_page_decode(const uint8_t *p, size_t n, size_t *used,
    icetap_pq_page_t *ph, icetap_error_t *err);


/* the row-group copy path of the writer (icetap_parquet_write.c) */

icetap_rc icetap_pq_writer_append_raw(icetap_pq_writer_t *w,
    icetap_pq_read_pt read, void *ctx, const icetap_pq_meta_t *src,
    uint64_t limit);


/* encodings and codecs (icetap_parquet_enc.c) */

int icetap_pq_bit_width(uint32_t max);
icetap_rc icetap_pq_rle_encode(icetap_buf_t *out, const uint8_t *v8,
    const uint32_t *v32, size_t n, int width);
icetap_rc icetap_pq_rle_decode(const uint8_t *p, size_t len, int width,
    uint32_t *out, size_t n, size_t *used, icetap_error_t *err);
icetap_rc icetap_pq_delta_decode(const uint8_t *p, size_t len, int is64,
    void *out, size_t n, size_t *used, icetap_error_t *err);
icetap_rc icetap_pq_delta_count(const uint8_t *p, size_t len, size_t *n,
    icetap_error_t *err);
void icetap_pq_codec_free(icetap_pq_codec_t *c);
icetap_rc icetap_pq_compress(icetap_pq_codec_t *c, int codec, int level,
    const uint8_t *in, size_t n, icetap_buf_t *out, icetap_error_t *err);
icetap_rc icetap_pq_decompress(icetap_pq_codec_t *c, int codec,
    const uint8_t *in, size_t n, uint8_t *out, size_t outlen,
    icetap_error_t *err);
const char *icetap_pq_codec_name(int codec);
const char *icetap_pq_encoding_name(int enc);


/* little-endian helpers */

static inline void
icetap_pq_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t) v;
    p[1] = (uint8_t) (v >> 8);
    p[2] = (uint8_t) (v >> 16);
    p[3] = (uint8_t) (v >> 24);
}


static inline uint32_t
icetap_pq_get32(const uint8_t *p)
{
    return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16
           | (uint32_t) p[3] << 24;
}


#endif /* ICETAP_PARQUET_INT_H */
