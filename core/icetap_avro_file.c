/*
 * Copyright (C) icetap authors
 *
 * Avro object container files: "Obj\1", a metadata map, a 16-byte sync
 * marker, then blocks of (count, size, payload, sync).  The writer keeps
 * one block in memory; the reader holds one block at a time.
 */


#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <zlib.h>

#include <icetap/avro.h>


#define ICETAP_AVRO_BLOCK_DEFAULT  65536
#define ICETAP_AVRO_READ_CHUNK     65536

/* the largest block and header the reader accepts */
#define ICETAP_AVRO_MAX_BLOCK      ((size_t) 64 << 20)
#define ICETAP_AVRO_MAX_HEADER     ((size_t) 16 << 20)


struct icetap_avro_writer_s {
    icetap_avro_schema_t  *schema;
    icetap_avro_codec_t    codec;
    int                    level;
    uint8_t                sync[16];
    size_t                 block_size;
    icetap_avro_write_pt   write;
    void                  *ctx;

    icetap_buf_t           block;       /* encoded objects of this block */
    icetap_buf_t           out;         /* block framing + payload */
    uint64_t               pending;     /* objects in "block" */
    uint64_t               offset;
    uint64_t               count;
    int                    failed;
};


typedef struct {
    char                  *key;
    char                  *value;
    size_t                 len;
} icetap_avro_kv_t;


struct icetap_avro_reader_s {
    icetap_avro_read_pt    read;
    void                  *ctx;
    int                    eof;

    const uint8_t         *mem;         /* memory input, or NULL */
    size_t                 mem_len;

    icetap_buf_t           in;          /* buffered input */
    size_t                 pos;

    icetap_avro_kv_t      *meta;
    size_t                 nmeta;
    icetap_avro_schema_t  *schema;
    icetap_avro_codec_t    codec;
    uint8_t                sync[16];

    icetap_buf_t           inflated;
    const uint8_t         *bp;          /* current block */
    const uint8_t         *bend;
    int64_t                left;        /* objects left in it */
    uint64_t               blocks;
};


icetap_rc
icetap_avro_write_buf(void *ctx, const void *data, size_t len,
    icetap_error_t *err)
{
    if (icetap_buf_append(ctx, data, len) != ICETAP_OK) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    return ICETAP_OK;
}


static icetap_rc
icetap_avro_emit(icetap_avro_writer_t *w, const void *p, size_t len,
    icetap_error_t *err)
{
    icetap_rc  rc;

    rc = w->write(w->ctx, p, len, err);
    if (rc != ICETAP_OK) {
        w->failed = 1;
        return rc;
    }

    w->offset += len;

    return ICETAP_OK;
}


icetap_rc
icetap_avro_writer_create(const icetap_avro_writer_conf_t *conf,
    icetap_avro_writer_t **out, icetap_error_t *err)
{
    size_t                 i, slen;
    icetap_rc              rc;
    icetap_buf_t           h;
    const char            *codec;
    icetap_avro_writer_t  *w;

    *out = NULL;

    if (conf->schema_json == NULL || conf->write == NULL) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "Avro writer needs a schema and a sink");
    }

    if (conf->codec != ICETAP_AVRO_CODEC_NULL
        && conf->codec != ICETAP_AVRO_CODEC_DEFLATE)
    {
        return icetap_error_set(err, ICETAP_UNSUPPORTED,
                                "Avro codec %d is not supported",
                                (int) conf->codec);
    }

    w = icetap_calloc(1, sizeof(icetap_avro_writer_t));
    if (w == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    slen = conf->schema_len ? conf->schema_len : strlen(conf->schema_json);

    rc = icetap_avro_schema_parse(conf->schema_json, slen, &w->schema, err);
    if (rc != ICETAP_OK) {
        icetap_free(w);
        return rc;
    }

    w->codec = conf->codec;
    w->level = conf->level ? conf->level : 6;
    w->block_size = conf->block_size ? conf->block_size
                                     : ICETAP_AVRO_BLOCK_DEFAULT;
    w->write = conf->write;
    w->ctx = conf->ctx;

    if (conf->sync) {
        memcpy(w->sync, conf->sync, 16);

    } else if (getrandom(w->sync, 16, 0) != 16) {
        icetap_avro_writer_destroy(w);
        return icetap_error_sys(err, ICETAP_IO, errno,
                                "no random bytes for the Avro sync marker");
    }

    codec = (w->codec == ICETAP_AVRO_CODEC_DEFLATE) ? "deflate" : "null";

    memset(&h, 0, sizeof(h));

    rc = icetap_buf_append(&h, "Obj\x01", 4);
    rc |= icetap_avro_put_long(&h, (int64_t) conf->nmeta + 2);
    rc |= icetap_avro_put_bytes(&h, "avro.schema", 11);
    rc |= icetap_avro_put_bytes(&h, conf->schema_json, slen);
    rc |= icetap_avro_put_bytes(&h, "avro.codec", 10);
    rc |= icetap_avro_put_bytes(&h, codec, strlen(codec));

    for (i = 0; i < conf->nmeta; i++) {
        if (conf->meta[i].key == NULL
            || strncmp(conf->meta[i].key, "avro.", 5) == 0)
        {
            icetap_buf_free(&h);
            icetap_avro_writer_destroy(w);
            return icetap_error_set(err, ICETAP_INVALID,
                                    "Avro header key \"%.64s\" is reserved",
                                    conf->meta[i].key ? conf->meta[i].key
                                                      : "(null)");
        }

        rc |= icetap_avro_put_bytes(&h, conf->meta[i].key,
                                    strlen(conf->meta[i].key));
        rc |= icetap_avro_put_bytes(&h, conf->meta[i].value,
                                    conf->meta[i].len);
    }

    rc |= icetap_buf_putc(&h, 0);
    rc |= icetap_buf_append(&h, w->sync, 16);

    if (rc != ICETAP_OK) {
        icetap_buf_free(&h);
        icetap_avro_writer_destroy(w);
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    rc = icetap_avro_emit(w, h.data, h.len, err);

    icetap_buf_free(&h);

    if (rc != ICETAP_OK) {
        icetap_avro_writer_destroy(w);
        return rc;
    }

    *out = w;

    return ICETAP_OK;
}


const icetap_avro_node_t *
icetap_avro_writer_schema(const icetap_avro_writer_t *w)
{
    return icetap_avro_schema_root(w->schema);
}


static icetap_rc
icetap_avro_deflate(icetap_avro_writer_t *w, icetap_buf_t *out,
    icetap_error_t *err)
{
    int       zrc;
    size_t    bound;
    z_stream  z;

    memset(&z, 0, sizeof(z));

    /* raw deflate: no zlib header, no checksum (windowBits -15) */

    if (deflateInit2(&z, w->level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY)
        != Z_OK)
    {
        return icetap_error_set(err, ICETAP_NOMEM, "deflateInit2 failed");
    }

    bound = deflateBound(&z, w->block.len);

    if (icetap_buf_reserve(out, bound) != ICETAP_OK) {
        deflateEnd(&z);
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    z.next_in = w->block.data;
    z.avail_in = (uInt) w->block.len;
    z.next_out = out->data + out->len;
    z.avail_out = (uInt) bound;

    zrc = deflate(&z, Z_FINISH);

    if (zrc != Z_STREAM_END) {
        deflateEnd(&z);
        return icetap_error_set(err, ICETAP_ERROR, "deflate failed: %d", zrc);
    }

    out->len += z.total_out;

    deflateEnd(&z);

    return ICETAP_OK;
}


icetap_rc
icetap_avro_writer_flush(icetap_avro_writer_t *w, icetap_error_t *err)
{
    icetap_rc     rc;
    icetap_buf_t  payload;

    if (w->failed) {
        return icetap_error_set(err, ICETAP_ERROR,
                                "Avro writer failed earlier");
    }

    if (w->pending == 0) {
        return ICETAP_OK;
    }

    memset(&payload, 0, sizeof(payload));

    if (w->codec == ICETAP_AVRO_CODEC_DEFLATE) {
        rc = icetap_avro_deflate(w, &payload, err);
        if (rc != ICETAP_OK) {
            icetap_buf_free(&payload);
            w->failed = 1;
            return rc;
        }
    }

    icetap_buf_reset(&w->out);

    rc = icetap_avro_put_long(&w->out, (int64_t) w->pending);

    if (w->codec == ICETAP_AVRO_CODEC_DEFLATE) {
        rc |= icetap_avro_put_bytes(&w->out, payload.data, payload.len);

    } else {
        rc |= icetap_avro_put_bytes(&w->out, w->block.data, w->block.len);
    }

    rc |= icetap_buf_append(&w->out, w->sync, 16);

    icetap_buf_free(&payload);

    if (rc != ICETAP_OK) {
        w->failed = 1;
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    rc = icetap_avro_emit(w, w->out.data, w->out.len, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    icetap_buf_reset(&w->block);
    w->pending = 0;

    return ICETAP_OK;
}


static icetap_rc
icetap_avro_writer_added(icetap_avro_writer_t *w, icetap_error_t *err)
{
    w->pending++;
    w->count++;

    if (w->block.len >= w->block_size) {
        return icetap_avro_writer_flush(w, err);
    }

    return ICETAP_OK;
}


icetap_rc
icetap_avro_writer_append(icetap_avro_writer_t *w,
    const icetap_avro_value_t *v, icetap_error_t *err)
{
    icetap_rc  rc;

    if (w->failed) {
        return icetap_error_set(err, ICETAP_ERROR,
                                "Avro writer failed earlier");
    }

    rc = icetap_avro_encode(icetap_avro_schema_root(w->schema), v, &w->block,
                            err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    return icetap_avro_writer_added(w, err);
}


icetap_rc
icetap_avro_writer_append_encoded(icetap_avro_writer_t *w, const void *datum,
    size_t len, icetap_error_t *err)
{
    if (w->failed) {
        return icetap_error_set(err, ICETAP_ERROR,
                                "Avro writer failed earlier");
    }

    if (icetap_buf_append(&w->block, datum, len) != ICETAP_OK) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    return icetap_avro_writer_added(w, err);
}


icetap_rc
icetap_avro_writer_finish(icetap_avro_writer_t *w, icetap_error_t *err)
{
    return icetap_avro_writer_flush(w, err);
}


uint64_t
icetap_avro_writer_offset(const icetap_avro_writer_t *w)
{
    return w->offset;
}


uint64_t
icetap_avro_writer_count(const icetap_avro_writer_t *w)
{
    return w->count;
}


void
icetap_avro_writer_destroy(icetap_avro_writer_t *w)
{
    if (w == NULL) {
        return;
    }

    icetap_avro_schema_free(w->schema);
    icetap_buf_free(&w->block);
    icetap_buf_free(&w->out);
    icetap_free(w);
}


/* reader */

static icetap_rc
icetap_avro_mem_read(void *ctx, void *buf, size_t len, size_t *got,
    icetap_error_t *err)
{
    /* never called: memory input is used in place */

    *got = 0;

    return ICETAP_OK;
}


/*
 * Makes at least "need" bytes available at r->pos unless the input ends
 * first; returns the number available (possibly fewer).
 */

static icetap_rc
icetap_avro_fill(icetap_avro_reader_t *r, size_t need, size_t *avail,
    icetap_error_t *err)
{
    size_t     got, want;
    icetap_rc  rc;

    if (r->mem) {
        *avail = r->mem_len - r->pos;
        return ICETAP_OK;
    }

    while (r->in.len - r->pos < need && !r->eof) {

        if (r->pos > 0 && r->pos == r->in.len) {
            r->in.len = 0;
            r->pos = 0;

        } else if (r->pos > ICETAP_AVRO_READ_CHUNK) {
            memmove(r->in.data, r->in.data + r->pos, r->in.len - r->pos);
            r->in.len -= r->pos;
            r->pos = 0;
        }

        want = icetap_max(need - (r->in.len - r->pos),
                          (size_t) ICETAP_AVRO_READ_CHUNK);

        if (icetap_buf_reserve(&r->in, want) != ICETAP_OK) {
            return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        }

        got = 0;

        rc = r->read(r->ctx, r->in.data + r->in.len, want, &got, err);
        if (rc != ICETAP_OK) {
            return rc;
        }

        if (got == 0) {
            r->eof = 1;
        }

        r->in.len += got;
    }

    *avail = r->in.len - r->pos;

    return ICETAP_OK;
}


static const uint8_t *
icetap_avro_cur(icetap_avro_reader_t *r)
{
    return (r->mem ? r->mem : r->in.data) + r->pos;
}


static icetap_rc
icetap_avro_read_long(icetap_avro_reader_t *r, int64_t *v, const char *what,
    icetap_error_t *err)
{
    size_t          avail;
    icetap_rc       rc;
    const uint8_t  *p, *q;

    rc = icetap_avro_fill(r, 10, &avail, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    p = icetap_avro_cur(r);
    q = p;

    rc = icetap_avro_get_long(&q, p + avail, v);

    if (rc == ICETAP_EOF) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "Avro file truncated in %s", what);
    }

    if (rc != ICETAP_OK) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "invalid Avro varint in %s", what);
    }

    r->pos += (size_t) (q - p);

    return ICETAP_OK;
}


static icetap_rc
icetap_avro_read_bytes(icetap_avro_reader_t *r, size_t max, char **out,
    size_t *len, const char *what, icetap_error_t *err)
{
    char       *s;
    size_t      avail;
    int64_t     n;
    icetap_rc   rc;

    rc = icetap_avro_read_long(r, &n, what, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    if (n < 0 || (uint64_t) n > max) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "invalid Avro %s length %lld", what,
                                (long long) n);
    }

    rc = icetap_avro_fill(r, (size_t) n, &avail, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    if (avail < (size_t) n) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "Avro file truncated in %s", what);
    }

    s = icetap_strndup((const char *) icetap_avro_cur(r), (size_t) n);
    if (s == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    r->pos += (size_t) n;
    *out = s;
    *len = (size_t) n;

    return ICETAP_OK;
}


static icetap_rc
icetap_avro_read_header(icetap_avro_reader_t *r, icetap_error_t *err)
{
    char              *key, *value;
    size_t             avail, len, total, klen;
    int64_t            count, size, i;
    icetap_rc          rc;
    const char        *schema, *codec;
    icetap_avro_kv_t  *kv;

    rc = icetap_avro_fill(r, 4, &avail, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    if (avail < 4 || memcmp(icetap_avro_cur(r), "Obj\x01", 4) != 0) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "not an Avro object container file");
    }

    r->pos += 4;
    total = 0;

    for ( ;; ) {
        rc = icetap_avro_read_long(r, &count, "header", err);
        if (rc != ICETAP_OK) {
            return rc;
        }

        if (count == 0) {
            break;
        }

        if (count < 0) {
            if (count == INT64_MIN) {
                return icetap_error_set(err, ICETAP_INVALID,
                                        "invalid Avro header count");
            }

            count = -count;

            rc = icetap_avro_read_long(r, &size, "header", err);
            if (rc != ICETAP_OK) {
                return rc;
            }
        }

        if ((uint64_t) count > ICETAP_AVRO_MAX_HEADER / 2 - r->nmeta) {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "Avro header has too many keys");
        }

        kv = icetap_realloc(r->meta, (r->nmeta + (size_t) count)
                                     * sizeof(icetap_avro_kv_t));
        if (kv == NULL) {
            return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        }

        r->meta = kv;

        for (i = 0; i < count; i++) {
            rc = icetap_avro_read_bytes(r, ICETAP_AVRO_MAX_HEADER - total,
                                        &key, &klen, "header key", err);
            if (rc != ICETAP_OK) {
                return rc;
            }

            total += klen + 2;

            rc = icetap_avro_read_bytes(r, ICETAP_AVRO_MAX_HEADER - total,
                                        &value, &len, "header value", err);
            if (rc != ICETAP_OK) {
                icetap_free(key);
                return rc;
            }

            total += len;

            if (icetap_avro_reader_meta(r, key, NULL) != NULL) {
                icetap_free(key);
                icetap_free(value);
                return icetap_error_set(err, ICETAP_INVALID,
                                        "Avro header key repeated");
            }

            r->meta[r->nmeta].key = key;
            r->meta[r->nmeta].value = value;
            r->meta[r->nmeta].len = len;
            r->nmeta++;
        }
    }

    rc = icetap_avro_fill(r, 16, &avail, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    if (avail < 16) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "Avro file truncated in the sync marker");
    }

    memcpy(r->sync, icetap_avro_cur(r), 16);
    r->pos += 16;

    schema = icetap_avro_reader_meta(r, "avro.schema", &len);
    if (schema == NULL) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "Avro header has no avro.schema");
    }

    rc = icetap_avro_schema_parse(schema, len, &r->schema, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    codec = icetap_avro_reader_meta(r, "avro.codec", NULL);

    if (codec == NULL || strcmp(codec, "null") == 0) {
        r->codec = ICETAP_AVRO_CODEC_NULL;

    } else if (strcmp(codec, "deflate") == 0) {
        r->codec = ICETAP_AVRO_CODEC_DEFLATE;

    } else {
        return icetap_error_set(err, ICETAP_UNSUPPORTED,
                                "Avro codec \"%.32s\" is not supported",
                                codec);
    }

    return ICETAP_OK;
}


static icetap_rc
icetap_avro_reader_init(icetap_avro_reader_t *r, icetap_avro_reader_t **out,
    icetap_error_t *err)
{
    icetap_rc  rc;

    rc = icetap_avro_read_header(r, err);
    if (rc != ICETAP_OK) {
        icetap_avro_reader_destroy(r);
        return rc;
    }

    *out = r;

    return ICETAP_OK;
}


icetap_rc
icetap_avro_reader_create(icetap_avro_read_pt read, void *ctx,
    icetap_avro_reader_t **out, icetap_error_t *err)
{
    icetap_avro_reader_t  *r;

    *out = NULL;

    r = icetap_calloc(1, sizeof(icetap_avro_reader_t));
    if (r == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    r->read = read;
    r->ctx = ctx;

    return icetap_avro_reader_init(r, out, err);
}


icetap_rc
icetap_avro_reader_create_mem(const void *data, size_t len,
    icetap_avro_reader_t **out, icetap_error_t *err)
{
    icetap_avro_reader_t  *r;

    *out = NULL;

    r = icetap_calloc(1, sizeof(icetap_avro_reader_t));
    if (r == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    r->read = icetap_avro_mem_read;
    r->mem = data ? data : (const uint8_t *) "";
    r->mem_len = len;
    r->eof = 1;

    return icetap_avro_reader_init(r, out, err);
}


const icetap_avro_node_t *
icetap_avro_reader_schema(const icetap_avro_reader_t *r)
{
    return icetap_avro_schema_root(r->schema);
}


const icetap_avro_schema_t *
icetap_avro_reader_parsed_schema(const icetap_avro_reader_t *r)
{
    return r->schema;
}


icetap_avro_codec_t
icetap_avro_reader_codec(const icetap_avro_reader_t *r)
{
    return r->codec;
}


const char *
icetap_avro_reader_meta(const icetap_avro_reader_t *r, const char *key,
    size_t *len)
{
    size_t  i;

    for (i = 0; i < r->nmeta; i++) {
        if (strcmp(r->meta[i].key, key) == 0) {
            if (len) {
                *len = r->meta[i].len;
            }

            return r->meta[i].value;
        }
    }

    return NULL;
}


size_t
icetap_avro_reader_nmeta(const icetap_avro_reader_t *r)
{
    return r->nmeta;
}


const char *
icetap_avro_reader_meta_at(const icetap_avro_reader_t *r, size_t i,
    const char **value, size_t *len)
{
    if (i >= r->nmeta) {
        return NULL;
    }

    *value = r->meta[i].value;
    *len = r->meta[i].len;

    return r->meta[i].key;
}


static icetap_rc
icetap_avro_inflate(icetap_avro_reader_t *r, const uint8_t *p, size_t len,
    icetap_error_t *err)
{
    int       zrc;
    size_t    cap;
    z_stream  z;

    memset(&z, 0, sizeof(z));

    if (inflateInit2(&z, -15) != Z_OK) {
        return icetap_error_set(err, ICETAP_NOMEM, "inflateInit2 failed");
    }

    icetap_buf_reset(&r->inflated);

    z.next_in = (uint8_t *) p;
    z.avail_in = (uInt) len;

    for ( ;; ) {
        cap = icetap_max(len * 4, (size_t) 4096);

        if (r->inflated.len + cap > ICETAP_AVRO_MAX_BLOCK) {
            cap = ICETAP_AVRO_MAX_BLOCK - r->inflated.len;
        }

        if (cap == 0) {
            inflateEnd(&z);
            return icetap_error_set(err, ICETAP_INVALID,
                                    "Avro block inflates beyond %zu bytes",
                                    ICETAP_AVRO_MAX_BLOCK);
        }

        if (icetap_buf_reserve(&r->inflated, cap) != ICETAP_OK) {
            inflateEnd(&z);
            return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        }

        z.next_out = r->inflated.data + r->inflated.len;
        z.avail_out = (uInt) cap;

        zrc = inflate(&z, Z_NO_FLUSH);

        r->inflated.len += cap - z.avail_out;

        if (zrc == Z_STREAM_END) {
            break;
        }

        if (zrc != Z_OK && !(zrc == Z_BUF_ERROR && z.avail_out == 0)) {
            inflateEnd(&z);
            return icetap_error_set(err, ICETAP_INVALID,
                                    "Avro deflate block is corrupt: %s",
                                    z.msg ? z.msg : "truncated");
        }
    }

    inflateEnd(&z);

    return ICETAP_OK;
}


static icetap_rc
icetap_avro_next_block(icetap_avro_reader_t *r, icetap_error_t *err)
{
    size_t          avail, min;
    int64_t         count, size;
    icetap_rc       rc;
    const uint8_t  *p;

    rc = icetap_avro_fill(r, 1, &avail, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    if (avail == 0) {
        return ICETAP_EOF;
    }

    rc = icetap_avro_read_long(r, &count, "block count", err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    rc = icetap_avro_read_long(r, &size, "block size", err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    if (count < 0 || size < 0 || (uint64_t) size > ICETAP_AVRO_MAX_BLOCK) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "invalid Avro block: %lld objects, %lld "
                                "bytes", (long long) count, (long long) size);
    }

    rc = icetap_avro_fill(r, (size_t) size + 16, &avail, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    if (avail < (size_t) size + 16) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "Avro file truncated in block %llu",
                                (unsigned long long) r->blocks);
    }

    p = icetap_avro_cur(r);

    if (memcmp(p + size, r->sync, 16) != 0) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "Avro block %llu does not end with the sync "
                                "marker", (unsigned long long) r->blocks);
    }

    if (r->codec == ICETAP_AVRO_CODEC_DEFLATE) {
        rc = icetap_avro_inflate(r, p, (size_t) size, err);
        if (rc != ICETAP_OK) {
            return rc;
        }

        r->bp = r->inflated.data;
        r->bend = r->inflated.data + r->inflated.len;

    } else {
        /* null codec: decode in place; "in" is not touched until used up */
        r->bp = p;
        r->bend = p + size;
    }

    /* objects of zero-byte types still may not be counted without end */

    min = icetap_avro_schema_root(r->schema)->min_size;

    if ((uint64_t) count > (min ? (uint64_t) (r->bend - r->bp) / min
                                : ICETAP_AVRO_MAX_BLOCK))
    {
        return icetap_error_set(err, ICETAP_INVALID,
                                "Avro block %llu: %lld objects cannot fit "
                                "in %zu bytes", (unsigned long long) r->blocks,
                                (long long) count,
                                (size_t) (r->bend - r->bp));
    }

    r->pos += (size_t) size + 16;
    r->left = count;
    r->blocks++;

    return ICETAP_OK;
}


icetap_rc
icetap_avro_reader_next(icetap_avro_reader_t *r, icetap_avro_arena_t *a,
    icetap_avro_value_t *v, icetap_error_t *err)
{
    icetap_rc  rc;

    while (r->left == 0) {
        if (r->bp != r->bend) {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "Avro block %llu has %zu bytes after "
                                    "its last object",
                                    (unsigned long long) r->blocks,
                                    (size_t) (r->bend - r->bp));
        }

        rc = icetap_avro_next_block(r, err);
        if (rc != ICETAP_OK) {
            return rc;
        }
    }

    rc = icetap_avro_decode(icetap_avro_schema_root(r->schema), &r->bp,
                            r->bend, a, v, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    r->left--;

    return ICETAP_OK;
}


uint64_t
icetap_avro_reader_blocks(const icetap_avro_reader_t *r)
{
    return r->blocks;
}


void
icetap_avro_reader_destroy(icetap_avro_reader_t *r)
{
    size_t  i;

    if (r == NULL) {
        return;
    }

    for (i = 0; i < r->nmeta; i++) {
        icetap_free(r->meta[i].key);
        icetap_free(r->meta[i].value);
    }

    icetap_free(r->meta);
    icetap_avro_schema_free(r->schema);
    icetap_buf_free(&r->in);
    icetap_buf_free(&r->inflated);
    icetap_free(r);
}
