/*
 * Copyright (C) icetap authors
 *
 * WAL record encoding and segment reading; see include/icetap/wal.h for
 * the format and its crash-consistency argument.
 */


#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include <icetap/hash.h>
#include <icetap/wal.h>


enum {
    F_OP = 1,
    F_FLAGS,
    F_TIME,
    F_SEQ,
    F_SIZE,
    F_LAST_MODIFIED,
    F_STATUS,

    F_BUCKET = 16,
    F_KEY,
    F_VERSION_ID,
    F_ETAG,
    F_STORAGE_CLASS,
    F_ENCRYPTION,
    F_KMS_KEY_ARN,
    F_CHECKSUM_ALGORITHM,
    F_REQUESTER,
    F_SOURCE_IP,
    F_REQUEST_ID,
    F_SRC_BUCKET,
    F_SRC_KEY,
    F_SRC_VERSION_ID,
    F_UPLOAD_ID,

    F_TAG_KEY = 40,
    F_TAG_VALUE,
    F_META_KEY,
    F_META_VALUE
};


typedef struct {
    int     tag;
    size_t  offset;
} icetap_wal_str_field_t;


#define STR_FIELD(tag, member)                                               \
    { tag, offsetof(icetap_wal_rec_t, member) }

static const icetap_wal_str_field_t  icetap_wal_str_fields[] = {
    STR_FIELD(F_BUCKET, bucket),
    STR_FIELD(F_KEY, key),
    STR_FIELD(F_VERSION_ID, version_id),
    STR_FIELD(F_ETAG, etag),
    STR_FIELD(F_STORAGE_CLASS, storage_class),
    STR_FIELD(F_ENCRYPTION, encryption),
    STR_FIELD(F_KMS_KEY_ARN, kms_key_arn),
    STR_FIELD(F_CHECKSUM_ALGORITHM, checksum_algorithm),
    STR_FIELD(F_REQUESTER, requester),
    STR_FIELD(F_SOURCE_IP, source_ip),
    STR_FIELD(F_REQUEST_ID, request_id),
    STR_FIELD(F_SRC_BUCKET, src_bucket),
    STR_FIELD(F_SRC_KEY, src_key),
    STR_FIELD(F_SRC_VERSION_ID, src_version_id),
    STR_FIELD(F_UPLOAD_ID, upload_id)
};


struct icetap_wal_reader_s {
    int                    fd;
    uint64_t               size;
    uint64_t               pos;
    icetap_wal_seg_info_t  info;
    icetap_wal_end_e       end;
    uint64_t               bad_frames;
    uint64_t               torn_at;
    uint8_t               *buf;
    size_t                 buf_cap;
    char                  *path;
};


static size_t
icetap_varint_size(uint64_t v)
{
    size_t  n;

    n = 1;

    while (v >= 0x80) {
        v >>= 7;
        n++;
    }

    return n;
}


static uint8_t *
icetap_varint_put(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t) (v | 0x80);
        v >>= 7;
    }

    *p++ = (uint8_t) v;

    return p;
}


static int
icetap_varint_get(const uint8_t **pp, const uint8_t *end, uint64_t *v)
{
    int             shift;
    uint64_t        r;
    const uint8_t  *p;

    p = *pp;
    r = 0;

    for (shift = 0; shift < 64; shift += 7) {
        if (p >= end) {
            return -1;
        }

        r |= (uint64_t) (*p & 0x7f) << shift;

        if ((*p++ & 0x80) == 0) {
            *pp = p;
            *v = r;
            return 0;
        }
    }

    return -1;
}


static void
icetap_put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t) v;
    p[1] = (uint8_t) (v >> 8);
    p[2] = (uint8_t) (v >> 16);
    p[3] = (uint8_t) (v >> 24);
}


static void
icetap_put_le64(uint8_t *p, uint64_t v)
{
    icetap_put_le32(p, (uint32_t) v);
    icetap_put_le32(p + 4, (uint32_t) (v >> 32));
}


static uint32_t
icetap_get_le32(const uint8_t *p)
{
    return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16
           | (uint32_t) p[3] << 24;
}


static uint64_t
icetap_get_le64(const uint8_t *p)
{
    return (uint64_t) icetap_get_le32(p)
           | (uint64_t) icetap_get_le32(p + 4) << 32;
}


static size_t
icetap_field_size(size_t len)
{
    return 1 + icetap_varint_size(len) + len;
}


static uint8_t *
icetap_field_put(uint8_t *p, int tag, const void *data, size_t len)
{
    *p++ = (uint8_t) tag;
    p = icetap_varint_put(p, len);

    if (len) {
        memcpy(p, data, len);
    }

    return p + len;
}


static uint8_t *
icetap_field_put_u64(uint8_t *p, int tag, uint64_t v)
{
    uint8_t  b[8];

    icetap_put_le64(b, v);

    return icetap_field_put(p, tag, b, 8);
}


#define icetap_rec_str(rec, f)                                               \
    ((const icetap_str_t *) ((const char *) (rec) + (f)->offset))


size_t
icetap_wal_rec_size(const icetap_wal_rec_t *rec)
{
    size_t               n, i;
    const icetap_str_t  *s;

    n = icetap_field_size(1) + 5 * icetap_field_size(8)
        + icetap_field_size(4);

    for (i = 0; i < icetap_nelems(icetap_wal_str_fields); i++) {
        s = icetap_rec_str(rec, &icetap_wal_str_fields[i]);

        if (s->data != NULL) {
            n += icetap_field_size(s->len);
        }
    }

    for (i = 0; i < rec->ntags; i++) {
        n += icetap_field_size(rec->tags[i].key.len)
             + icetap_field_size(rec->tags[i].value.len);
    }

    for (i = 0; i < rec->nmeta; i++) {
        n += icetap_field_size(rec->meta[i].key.len)
             + icetap_field_size(rec->meta[i].value.len);
    }

    return n;
}


size_t
icetap_wal_rec_encode(const icetap_wal_rec_t *rec, uint8_t *out)
{
    size_t               i;
    uint8_t             *p, b[4];
    const icetap_str_t  *s;

    p = out;

    p = icetap_field_put(p, F_OP, &rec->op, 1);
    p = icetap_field_put_u64(p, F_FLAGS, rec->flags);
    p = icetap_field_put_u64(p, F_TIME, (uint64_t) rec->time_us);
    p = icetap_field_put_u64(p, F_SEQ, rec->seq);
    p = icetap_field_put_u64(p, F_SIZE, (uint64_t) rec->size);
    p = icetap_field_put_u64(p, F_LAST_MODIFIED,
                             (uint64_t) rec->last_modified_us);
    icetap_put_le32(b, (uint32_t) rec->status);
    p = icetap_field_put(p, F_STATUS, b, 4);

    for (i = 0; i < icetap_nelems(icetap_wal_str_fields); i++) {
        s = icetap_rec_str(rec, &icetap_wal_str_fields[i]);

        if (s->data != NULL) {
            p = icetap_field_put(p, icetap_wal_str_fields[i].tag, s->data,
                                 s->len);
        }
    }

    for (i = 0; i < rec->ntags; i++) {
        p = icetap_field_put(p, F_TAG_KEY, rec->tags[i].key.data,
                             rec->tags[i].key.len);
        p = icetap_field_put(p, F_TAG_VALUE, rec->tags[i].value.data,
                             rec->tags[i].value.len);
    }

    for (i = 0; i < rec->nmeta; i++) {
        p = icetap_field_put(p, F_META_KEY, rec->meta[i].key.data,
                             rec->meta[i].key.len);
        p = icetap_field_put(p, F_META_VALUE, rec->meta[i].value.data,
                             rec->meta[i].value.len);
    }

    return p - out;
}


size_t
icetap_wal_frame_encode(const icetap_wal_rec_t *rec, uint8_t *out)
{
    size_t  n;

    n = icetap_wal_rec_encode(rec, out + ICETAP_WAL_FRAME_HDR);

    icetap_put_le32(out + 4, (uint32_t) n);
    icetap_put_le32(out + 8, icetap_crc32c(0, out + ICETAP_WAL_FRAME_HDR, n));

    /*
     * The magic last, and not before the rest is visible: a reader of a
     * mapped segment that sees the magic sees the whole frame.
     */

    __atomic_thread_fence(__ATOMIC_RELEASE);

    icetap_put_le32(out, ICETAP_WAL_FRAME_MAGIC);

    return ICETAP_WAL_FRAME_HDR + n;
}


static icetap_rc
icetap_kv_push(icetap_kv_t **arr, size_t *n, size_t *cap, icetap_str_t key)
{
    size_t        ncap;
    icetap_kv_t  *a;

    if (*n == *cap) {
        ncap = *cap ? *cap * 2 : 8;

        a = icetap_realloc(*arr, ncap * sizeof(icetap_kv_t));
        if (a == NULL) {
            return ICETAP_NOMEM;
        }

        *arr = a;
        *cap = ncap;
    }

    (*arr)[*n].key = key;
    (*arr)[*n].value.data = "";
    (*arr)[*n].value.len = 0;
    (*n)++;

    return ICETAP_OK;
}


icetap_rc
icetap_wal_rec_decode(const uint8_t *p, size_t n, icetap_wal_rec_t *rec,
    icetap_error_t *err)
{
    int             tag;
    size_t          i, tcap, mcap;
    uint64_t        len;
    icetap_str_t    s, *dst;
    const uint8_t  *end, *v;

    memset(rec, 0, sizeof(icetap_wal_rec_t));

    end = p + n;
    tcap = 0;
    mcap = 0;

    while (p < end) {
        tag = *p++;

        if (icetap_varint_get(&p, end, &len) != 0
            || len > (uint64_t) (end - p))
        {
            icetap_wal_rec_free(rec);
            return icetap_error_set(err, ICETAP_INVALID,
                                    "WAL record: field %d overruns the record",
                                    tag);
        }

        v = p;
        p += len;

        s.data = (const char *) v;
        s.len = len;

        switch (tag) {

        case F_OP:
            if (len != 1) {
                goto bad_len;
            }
            rec->op = v[0];
            continue;

        case F_STATUS:
            if (len != 4) {
                goto bad_len;
            }
            rec->status = (int) icetap_get_le32(v);
            continue;

        case F_FLAGS:
        case F_TIME:
        case F_SEQ:
        case F_SIZE:
        case F_LAST_MODIFIED:
            if (len != 8) {
                goto bad_len;
            }

            switch (tag) {
            case F_FLAGS:
                rec->flags = (uint32_t) icetap_get_le64(v);
                break;
            case F_TIME:
                rec->time_us = (int64_t) icetap_get_le64(v);
                break;
            case F_SEQ:
                rec->seq = icetap_get_le64(v);
                break;
            case F_SIZE:
                rec->size = (int64_t) icetap_get_le64(v);
                break;
            default:
                rec->last_modified_us = (int64_t) icetap_get_le64(v);
                break;
            }

            continue;

        case F_TAG_KEY:
            if (icetap_kv_push(&rec->tags, &rec->ntags, &tcap, s)
                != ICETAP_OK)
            {
                goto nomem;
            }
            continue;

        case F_META_KEY:
            if (icetap_kv_push(&rec->meta, &rec->nmeta, &mcap, s)
                != ICETAP_OK)
            {
                goto nomem;
            }
            continue;

        case F_TAG_VALUE:
        case F_META_VALUE:
            if (tag == F_TAG_VALUE ? rec->ntags == 0 : rec->nmeta == 0) {
                icetap_wal_rec_free(rec);
                return icetap_error_set(err, ICETAP_INVALID,
                                        "WAL record: value without a key");
            }

            if (tag == F_TAG_VALUE) {
                rec->tags[rec->ntags - 1].value = s;
            } else {
                rec->meta[rec->nmeta - 1].value = s;
            }
            continue;
        }

        for (i = 0; i < icetap_nelems(icetap_wal_str_fields); i++) {
            if (icetap_wal_str_fields[i].tag == tag) {
                dst = (icetap_str_t *) ((char *) rec
                                        + icetap_wal_str_fields[i].offset);
                *dst = s;
                break;
            }
        }

        /* unknown tags are skipped: newer writers may add fields */
    }

    if (rec->op == ICETAP_WAL_OP_NONE) {
        icetap_wal_rec_free(rec);
        return icetap_error_set(err, ICETAP_INVALID,
                                "WAL record: no operation");
    }

    return ICETAP_OK;

bad_len:

    icetap_wal_rec_free(rec);
    return icetap_error_set(err, ICETAP_INVALID,
                            "WAL record: field %d has length %" PRIu64,
                            tag, len);

nomem:

    icetap_wal_rec_free(rec);
    return icetap_error_set(err, ICETAP_NOMEM, "WAL record: out of memory");
}


void
icetap_wal_rec_free(icetap_wal_rec_t *rec)
{
    icetap_free(rec->tags);
    icetap_free(rec->meta);
    rec->tags = NULL;
    rec->meta = NULL;
    rec->ntags = 0;
    rec->nmeta = 0;
}


const char *
icetap_wal_op_name(unsigned op)
{
    switch (op) {
    case ICETAP_WAL_OP_PUT:            return "PutObject";
    case ICETAP_WAL_OP_COPY:           return "CopyObject";
    case ICETAP_WAL_OP_COMPLETE_MPU:   return "CompleteMultipartUpload";
    case ICETAP_WAL_OP_DELETE:         return "DeleteObject";
    case ICETAP_WAL_OP_DELETE_MULTI:   return "DeleteObjects";
    case ICETAP_WAL_OP_PUT_TAGGING:    return "PutObjectTagging";
    case ICETAP_WAL_OP_DELETE_TAGGING: return "DeleteObjectTagging";
    case ICETAP_WAL_OP_POST:           return "PostObject";
    case ICETAP_WAL_OP_SEAL:           return "Seal";
    }

    return "Unknown";
}


const char *
icetap_wal_record_type(unsigned op)
{
    switch (op) {
    case ICETAP_WAL_OP_PUT:
    case ICETAP_WAL_OP_COPY:
    case ICETAP_WAL_OP_COMPLETE_MPU:
    case ICETAP_WAL_OP_POST:
        return "CREATE";

    case ICETAP_WAL_OP_DELETE:
    case ICETAP_WAL_OP_DELETE_MULTI:
        return "DELETE";

    case ICETAP_WAL_OP_PUT_TAGGING:
    case ICETAP_WAL_OP_DELETE_TAGGING:
        return "UPDATE_METADATA";
    }

    return NULL;
}


void
icetap_wal_seg_header(const icetap_wal_seg_info_t *info, uint8_t *out)
{
    memset(out, 0, ICETAP_WAL_SEG_HDR_SIZE);
    memcpy(out, ICETAP_WAL_SEG_MAGIC, 8);
    icetap_put_le32(out + 8, info->version);
    icetap_put_le32(out + 12, (uint32_t) info->pid);
    icetap_put_le64(out + 16, (uint64_t) info->created_ms);
    icetap_put_le64(out + 24, info->segno);
    icetap_put_le32(out + 60, icetap_crc32c(0, out, 60));
}


icetap_rc
icetap_wal_seg_parse(const uint8_t *p, size_t n, icetap_wal_seg_info_t *info,
    icetap_error_t *err)
{
    if (n < ICETAP_WAL_SEG_HDR_SIZE
        || memcmp(p, ICETAP_WAL_SEG_MAGIC, 8) != 0)
    {
        return icetap_error_set(err, ICETAP_INVALID,
                                "not an icetap WAL segment");
    }

    if (icetap_get_le32(p + 60) != icetap_crc32c(0, p, 60)) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "WAL segment header checksum mismatch");
    }

    info->version = icetap_get_le32(p + 8);
    info->pid = (int32_t) icetap_get_le32(p + 12);
    info->created_ms = (int64_t) icetap_get_le64(p + 16);
    info->segno = icetap_get_le64(p + 24);

    if (info->version != ICETAP_WAL_SEG_VERSION) {
        return icetap_error_set(err, ICETAP_UNSUPPORTED,
                                "WAL segment version %u is not supported",
                                info->version);
    }

    return ICETAP_OK;
}


icetap_rc
icetap_wal_reader_open(const char *path, icetap_wal_reader_t **rp,
    icetap_error_t *err)
{
    ssize_t               n;
    uint8_t               hdr[ICETAP_WAL_SEG_HDR_SIZE];
    icetap_rc             rc;
    struct stat           st;
    icetap_wal_reader_t  *r;

    r = icetap_calloc(1, sizeof(icetap_wal_reader_t));
    if (r == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    r->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (r->fd == -1) {
        rc = icetap_error_sys(err, errno == ENOENT ? ICETAP_NOTFOUND
                                                   : ICETAP_IO,
                              errno, "open(\"%s\") failed", path);
        icetap_free(r);
        return rc;
    }

    r->path = icetap_strndup(path, strlen(path));
    if (r->path == NULL) {
        icetap_wal_reader_close(r);
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    if (fstat(r->fd, &st) == -1) {
        rc = icetap_error_sys(err, ICETAP_IO, errno, "fstat(\"%s\") failed",
                              path);
        icetap_wal_reader_close(r);
        return rc;
    }

    r->size = st.st_size;

    n = pread(r->fd, hdr, sizeof(hdr), 0);
    if (n != (ssize_t) sizeof(hdr)) {
        icetap_wal_reader_close(r);
        return icetap_error_set(err, ICETAP_INVALID,
                                "%s: short WAL segment header", path);
    }

    rc = icetap_wal_seg_parse(hdr, sizeof(hdr), &r->info, err);
    if (rc != ICETAP_OK) {
        icetap_wal_reader_close(r);
        return rc;
    }

    r->pos = ICETAP_WAL_SEG_HDR_SIZE;
    *rp = r;

    return ICETAP_OK;
}


icetap_rc
icetap_wal_reader_seek(icetap_wal_reader_t *r, uint64_t offset,
    icetap_error_t *err)
{
    struct stat  st;

    if (fstat(r->fd, &st) == -1) {
        return icetap_error_sys(err, ICETAP_IO, errno, "fstat(\"%s\") failed",
                                r->path);
    }

    r->size = st.st_size;

    if (offset < ICETAP_WAL_SEG_HDR_SIZE || offset > r->size) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "%s: offset %" PRIu64 " outside the segment",
                                r->path, offset);
    }

    r->pos = offset;
    r->end = ICETAP_WAL_END_CLEAN;

    return ICETAP_OK;
}


static icetap_rc
icetap_wal_read_at(icetap_wal_reader_t *r, uint64_t off, size_t len,
    icetap_error_t *err)
{
    ssize_t   n;
    size_t    cap;
    uint8_t  *p;

    if (len > r->buf_cap) {
        cap = icetap_max(len, 4096);

        p = icetap_realloc(r->buf, cap);
        if (p == NULL) {
            return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        }

        r->buf = p;
        r->buf_cap = cap;
    }

    n = pread(r->fd, r->buf, len, off);
    if (n == -1) {
        return icetap_error_sys(err, ICETAP_IO, errno, "pread(\"%s\") failed",
                                r->path);
    }

    if ((size_t) n != len) {
        return icetap_error_set(err, ICETAP_EOF, "short read");
    }

    return ICETAP_OK;
}


/* whether [off, size) holds only zero bytes */

static int
icetap_wal_zeros_from(icetap_wal_reader_t *r, uint64_t off)
{
    size_t   n, i;
    uint8_t  buf[4096];

    while (off < r->size) {
        n = icetap_min(sizeof(buf), r->size - off);

        if (pread(r->fd, buf, n, off) != (ssize_t) n) {
            return 0;
        }

        for (i = 0; i < n; i++) {
            if (buf[i] != 0) {
                return 0;
            }
        }

        off += n;
    }

    return 1;
}


/* finds the next frame magic after off, or returns size */

static uint64_t
icetap_wal_resync(icetap_wal_reader_t *r, uint64_t off)
{
    size_t   n, i;
    uint8_t  buf[4096 + 3];

    off++;

    while (off + 4 <= r->size) {
        n = icetap_min(sizeof(buf), r->size - off);

        if (pread(r->fd, buf, n, off) != (ssize_t) n) {
            break;
        }

        for (i = 0; i + 4 <= n; i++) {
            if (icetap_get_le32(buf + i) == ICETAP_WAL_FRAME_MAGIC) {
                return off + i;
            }
        }

        off += n - 3;
    }

    return r->size;
}


icetap_rc
icetap_wal_reader_next(icetap_wal_reader_t *r, icetap_wal_rec_t *rec,
    uint64_t *offset, uint64_t *next, icetap_error_t *err)
{
    uint32_t   magic, len, crc;
    uint64_t   off;
    icetap_rc  rc;

    for ( ;; ) {

        if (r->end == ICETAP_WAL_END_SEALED) {
            return ICETAP_EOF;
        }

        off = r->pos;

        if (off + ICETAP_WAL_FRAME_HDR > r->size) {
            if (!icetap_wal_zeros_from(r, off)) {
                r->end = ICETAP_WAL_END_TORN;
                r->torn_at = off;
            }

            return ICETAP_EOF;
        }

        rc = icetap_wal_read_at(r, off, ICETAP_WAL_FRAME_HDR, err);
        if (rc != ICETAP_OK) {
            return rc == ICETAP_EOF ? ICETAP_IO : rc;
        }

        magic = icetap_get_le32(r->buf);
        len = icetap_get_le32(r->buf + 4);
        crc = icetap_get_le32(r->buf + 8);

        if (magic == 0) {
            /*
             * Allocated space not written yet, or a frame whose magic is
             * not stored yet (it is stored last): a writer never skips
             * ahead, so nothing valid follows for now.
             */

            if (len != 0 || crc != 0) {
                r->end = ICETAP_WAL_END_TORN;
                r->torn_at = off;
            }

            return ICETAP_EOF;
        }

        if (magic != ICETAP_WAL_FRAME_MAGIC) {

            if (icetap_wal_zeros_from(r, off)) {
                return ICETAP_EOF;
            }

            r->pos = icetap_wal_resync(r, off);

            if (r->pos >= r->size) {
                r->end = ICETAP_WAL_END_TORN;
                r->torn_at = off;
                return ICETAP_EOF;
            }

            r->bad_frames++;
            r->end = ICETAP_WAL_END_CORRUPT;
            continue;
        }

        if (len > ICETAP_WAL_MAX_RECORD
            || off + ICETAP_WAL_FRAME_HDR + len > r->size)
        {
            r->pos = icetap_wal_resync(r, off);

            if (r->pos >= r->size) {
                r->end = ICETAP_WAL_END_TORN;
                r->torn_at = off;
                return ICETAP_EOF;
            }

            r->bad_frames++;
            r->end = ICETAP_WAL_END_CORRUPT;
            continue;
        }

        rc = icetap_wal_read_at(r, off + ICETAP_WAL_FRAME_HDR, len, err);
        if (rc != ICETAP_OK) {
            return rc == ICETAP_EOF ? ICETAP_IO : rc;
        }

        if (icetap_crc32c(0, r->buf, len) != crc) {
            r->pos = icetap_wal_resync(r, off);

            if (r->pos >= r->size
                || icetap_wal_zeros_from(r, off + ICETAP_WAL_FRAME_HDR + len))
            {
                r->end = ICETAP_WAL_END_TORN;
                r->torn_at = off;
                r->pos = r->size;
                return ICETAP_EOF;
            }

            r->bad_frames++;
            r->end = ICETAP_WAL_END_CORRUPT;
            continue;
        }

        rc = icetap_wal_rec_decode(r->buf, len, rec, err);
        if (rc != ICETAP_OK) {
            /* a frame with a valid CRC but an undecodable payload */
            r->bad_frames++;
            r->end = ICETAP_WAL_END_CORRUPT;
            r->pos = off + ICETAP_WAL_FRAME_HDR + len;
            continue;
        }

        r->pos = off + ICETAP_WAL_FRAME_HDR + len;

        if (rec->op == ICETAP_WAL_OP_SEAL) {
            icetap_wal_rec_free(rec);
            r->end = ICETAP_WAL_END_SEALED;
            return ICETAP_EOF;
        }

        if (offset) {
            *offset = off;
        }

        if (next) {
            *next = r->pos;
        }

        return ICETAP_OK;
    }
}


icetap_wal_end_e
icetap_wal_reader_end(icetap_wal_reader_t *r, uint64_t *bad_frames,
    uint64_t *torn_at)
{
    if (bad_frames) {
        *bad_frames = r->bad_frames;
    }

    if (torn_at) {
        *torn_at = r->torn_at;
    }

    return r->bad_frames ? ICETAP_WAL_END_CORRUPT : r->end;
}


const icetap_wal_seg_info_t *
icetap_wal_reader_info(icetap_wal_reader_t *r)
{
    return &r->info;
}


void
icetap_wal_reader_close(icetap_wal_reader_t *r)
{
    if (r == NULL) {
        return;
    }

    if (r->fd != -1) {
        close(r->fd);
    }

    icetap_free(r->buf);
    icetap_free(r->path);
    icetap_free(r);
}


static int
icetap_wal_name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}


icetap_rc
icetap_wal_list(const char *dir, char ***names, size_t *n,
    icetap_error_t *err)
{
    DIR            *d;
    char          **a, **na;
    size_t          len, cnt, cap;
    struct dirent  *de;

    d = opendir(dir);
    if (d == NULL) {
        return icetap_error_sys(err, errno == ENOENT ? ICETAP_NOTFOUND
                                                     : ICETAP_IO,
                                errno, "opendir(\"%s\") failed", dir);
    }

    a = NULL;
    cnt = 0;
    cap = 0;

    while ((de = readdir(d)) != NULL) {
        len = strlen(de->d_name);

        if (len < 5 || strcmp(de->d_name + len - 4, ".wal") != 0) {
            continue;
        }

        if (cnt == cap) {
            cap = cap ? cap * 2 : 16;

            na = icetap_realloc(a, cap * sizeof(char *));
            if (na == NULL) {
                goto nomem;
            }

            a = na;
        }

        a[cnt] = icetap_strndup(de->d_name, len);
        if (a[cnt] == NULL) {
            goto nomem;
        }

        cnt++;
    }

    closedir(d);

    if (cnt > 1) {
        qsort(a, cnt, sizeof(char *), icetap_wal_name_cmp);
    }

    *names = a;
    *n = cnt;

    return ICETAP_OK;

nomem:

    closedir(d);
    icetap_wal_free_list(a, cnt);

    return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
}


void
icetap_wal_free_list(char **names, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        icetap_free(names[i]);
    }

    icetap_free(names);
}


static json_t *
icetap_json_str(icetap_str_t s)
{
    if (s.data == NULL) {
        return json_null();
    }

    return json_stringn_nocheck(s.data, s.len);
}


static json_t *
icetap_json_kv(const icetap_kv_t *kv, size_t n)
{
    size_t   i;
    char    *k;
    json_t  *o;

    o = json_object();
    if (o == NULL) {
        return NULL;
    }

    for (i = 0; i < n; i++) {
        k = icetap_strndup(kv[i].key.data, kv[i].key.len);
        if (k == NULL) {
            json_decref(o);
            return NULL;
        }

        json_object_set_new_nocheck(o, k, icetap_json_str(kv[i].value));
        icetap_free(k);
    }

    return o;
}


char *
icetap_wal_rec_json(const icetap_wal_rec_t *rec, const char *file,
    uint64_t offset)
{
    char        seq[24], *out;
    json_t     *o, *dm;
    const char  *rt;

    o = json_object();
    if (o == NULL) {
        return NULL;
    }

    snprintf(seq, sizeof(seq), "%016" PRIx64, rec->seq);

    rt = icetap_wal_record_type(rec->op);

    json_object_set_new(o, "op", json_string(icetap_wal_op_name(rec->op)));
    json_object_set_new(o, "record_type", rt ? json_string(rt) : json_null());
    json_object_set_new(o, "time_us", json_integer(rec->time_us));
    json_object_set_new(o, "sequence_number", json_string(seq));
    json_object_set_new(o, "bucket", icetap_json_str(rec->bucket));
    json_object_set_new(o, "key", icetap_json_str(rec->key));
    json_object_set_new(o, "version_id", icetap_json_str(rec->version_id));

    if (rec->flags & ICETAP_WAL_F_DM_KNOWN) {
        dm = json_boolean(rec->flags & ICETAP_WAL_F_DELETE_MARKER);
    } else {
        dm = json_null();
    }

    json_object_set_new(o, "is_delete_marker", dm);
    json_object_set_new(o, "size", (rec->flags & ICETAP_WAL_F_SIZE)
                                   ? json_integer(rec->size) : json_null());
    json_object_set_new(o, "last_modified_us",
                        (rec->flags & ICETAP_WAL_F_LAST_MODIFIED)
                        ? json_integer(rec->last_modified_us) : json_null());
    json_object_set_new(o, "e_tag", icetap_json_str(rec->etag));
    json_object_set_new(o, "storage_class",
                        (rec->flags & ICETAP_WAL_F_STORAGE_CLASS)
                        ? icetap_json_str(rec->storage_class) : json_null());
    json_object_set_new(o, "is_multipart",
                        json_boolean(rec->flags & ICETAP_WAL_F_MULTIPART));
    json_object_set_new(o, "encryption_status",
                        icetap_json_str(rec->encryption));
    json_object_set_new(o, "is_bucket_key_enabled",
                        json_boolean(rec->flags & ICETAP_WAL_F_BUCKET_KEY));
    json_object_set_new(o, "kms_key_arn", icetap_json_str(rec->kms_key_arn));
    json_object_set_new(o, "checksum_algorithm",
                        icetap_json_str(rec->checksum_algorithm));
    json_object_set_new(o, "object_tags", (rec->flags & ICETAP_WAL_F_TAGS)
                        ? icetap_json_kv(rec->tags, rec->ntags)
                        : json_null());
    json_object_set_new(o, "user_metadata", (rec->flags & ICETAP_WAL_F_META)
                        ? icetap_json_kv(rec->meta, rec->nmeta)
                        : json_null());
    json_object_set_new(o, "requester", icetap_json_str(rec->requester));
    json_object_set_new(o, "source_ip_address",
                        icetap_json_str(rec->source_ip));
    json_object_set_new(o, "request_id", icetap_json_str(rec->request_id));
    json_object_set_new(o, "status", json_integer(rec->status));
    json_object_set_new(o, "needs_enrichment",
                        json_boolean(rec->flags & ICETAP_WAL_F_ENRICH));
    json_object_set_new(o, "virtual_hosted",
                        json_boolean(rec->flags & ICETAP_WAL_F_VHOST));

    if (rec->src_key.data) {
        json_object_set_new(o, "copy_source_bucket",
                            icetap_json_str(rec->src_bucket));
        json_object_set_new(o, "copy_source_key",
                            icetap_json_str(rec->src_key));
        json_object_set_new(o, "copy_source_version_id",
                            icetap_json_str(rec->src_version_id));
    }

    if (rec->upload_id.data) {
        json_object_set_new(o, "upload_id", icetap_json_str(rec->upload_id));
    }

    if (file) {
        json_object_set_new(o, "wal_file", json_string(file));
        json_object_set_new(o, "wal_offset", json_integer((json_int_t) offset));
    }

    out = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);

    return out;
}
