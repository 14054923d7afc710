/*
 * Copyright (C) icetap authors
 *
 * The write-ahead log of accepted mutations.
 *
 * Each nginx worker appends to its own segment files in the WAL directory,
 * named "<start-ms>-<pid>-<seq>.wal" so that names sort by creation within
 * a writer.  A segment is a 64-byte header followed by frames:
 *
 *     u32 magic "ITWR" | u32 payload length | u32 crc32c(payload) | payload
 *
 * all little endian.  A frame is encoded into space that was reserved
 * (fallocate) before the mutation was forwarded, in the writer's mapping
 * of the segment, header last; it is in the page cache before the client
 * hears back, so killing a process loses nothing acknowledged.  A writer
 * killed in the middle of a frame leaves a zero header or a CRC mismatch at
 * its tail, as can a host crash; readers report such a torn tail without
 * failing.  Space past the last frame reads as zeros (a zero frame header
 * ends the segment); a writer that rolls to a new segment ends the old one
 * with a SEAL frame, so a reader knows that no more frames follow.
 *
 * The payload is a list of fields: u8 tag, varint length, bytes.  Unknown
 * tags are skipped, so the format can grow without breaking old readers.
 */

#ifndef ICETAP_WAL_H
#define ICETAP_WAL_H


#include <icetap/core.h>


#define ICETAP_WAL_SEG_MAGIC     "ICETAPWL"
#define ICETAP_WAL_SEG_VERSION   1
#define ICETAP_WAL_SEG_HDR_SIZE  64
#define ICETAP_WAL_FRAME_MAGIC   0x52575449u      /* "ITWR" */
#define ICETAP_WAL_FRAME_HDR     12
#define ICETAP_WAL_MAX_RECORD    (16 * 1024 * 1024)


typedef enum {
    ICETAP_WAL_OP_NONE = 0,
    ICETAP_WAL_OP_PUT = 1,              /* PutObject */
    ICETAP_WAL_OP_COPY,                 /* CopyObject (destination) */
    ICETAP_WAL_OP_COMPLETE_MPU,         /* CompleteMultipartUpload */
    ICETAP_WAL_OP_DELETE,               /* DeleteObject */
    ICETAP_WAL_OP_DELETE_MULTI,         /* one key of DeleteObjects */
    ICETAP_WAL_OP_PUT_TAGGING,          /* PutObjectTagging */
    ICETAP_WAL_OP_DELETE_TAGGING,       /* DeleteObjectTagging */
    ICETAP_WAL_OP_POST,                 /* POST object (browser upload) */
    ICETAP_WAL_OP_SEAL = 255            /* end of segment, not a mutation */
} icetap_wal_op_e;


/* flags: which optional facts a record carries */

#define ICETAP_WAL_F_SIZE            0x0001   /* size is known */
#define ICETAP_WAL_F_TAGS            0x0002   /* tags are known (maybe {}) */
#define ICETAP_WAL_F_META            0x0004   /* user metadata is known */
#define ICETAP_WAL_F_DM_KNOWN        0x0008   /* delete-marker flag known */
#define ICETAP_WAL_F_DELETE_MARKER   0x0010   /* a delete marker was made */
#define ICETAP_WAL_F_MULTIPART       0x0020
#define ICETAP_WAL_F_BUCKET_KEY      0x0040   /* S3 Bucket Key in use */
#define ICETAP_WAL_F_STORAGE_CLASS   0x0080   /* storage class is known */
#define ICETAP_WAL_F_LAST_MODIFIED   0x0100   /* last-modified is known */
#define ICETAP_WAL_F_ENRICH          0x0200   /* needs a HEAD to complete */
#define ICETAP_WAL_F_VHOST           0x0400   /* virtual-hosted request */


typedef struct {
    const char  *data;
    size_t       len;
} icetap_str_t;


typedef struct {
    icetap_str_t  key;
    icetap_str_t  value;
} icetap_kv_t;


typedef struct {
    uint8_t       op;
    uint32_t      flags;
    int64_t       time_us;              /* record timestamp, unix µs */
    uint64_t      seq;                  /* orders records of one key */
    int64_t       size;
    int64_t       last_modified_us;
    int           status;               /* HTTP status from the store */

    icetap_str_t  bucket;
    icetap_str_t  key;
    icetap_str_t  version_id;
    icetap_str_t  etag;
    icetap_str_t  storage_class;
    icetap_str_t  encryption;           /* SSE-S3, SSE-KMS, DSSE-KMS, SSE-C */
    icetap_str_t  kms_key_arn;
    icetap_str_t  checksum_algorithm;
    icetap_str_t  requester;            /* access key id */
    icetap_str_t  source_ip;
    icetap_str_t  request_id;
    icetap_str_t  src_bucket;           /* CopyObject source */
    icetap_str_t  src_key;
    icetap_str_t  src_version_id;
    icetap_str_t  upload_id;

    size_t        ntags;
    icetap_kv_t  *tags;
    size_t        nmeta;
    icetap_kv_t  *meta;
} icetap_wal_rec_t;


/* encoding: the payload of one frame, without the frame header */

size_t icetap_wal_rec_size(const icetap_wal_rec_t *rec);
size_t icetap_wal_rec_encode(const icetap_wal_rec_t *rec, uint8_t *out);

/* a whole frame (header + payload) into out, which must hold
 * ICETAP_WAL_FRAME_HDR + icetap_wal_rec_size(rec) bytes */
size_t icetap_wal_frame_encode(const icetap_wal_rec_t *rec, uint8_t *out);

/*
 * Decodes a payload; strings point into p.  Tags and metadata arrays are
 * allocated and released by icetap_wal_rec_free().
 */
icetap_rc icetap_wal_rec_decode(const uint8_t *p, size_t n,
    icetap_wal_rec_t *rec, icetap_error_t *err);
void icetap_wal_rec_free(icetap_wal_rec_t *rec);

const char *icetap_wal_op_name(unsigned op);
const char *icetap_wal_record_type(unsigned op);  /* CREATE, DELETE, ... */


/* segment header */

typedef struct {
    uint32_t  version;
    int32_t   pid;
    int64_t   created_ms;
    uint64_t  segno;
} icetap_wal_seg_info_t;

void icetap_wal_seg_header(const icetap_wal_seg_info_t *info, uint8_t *out);
icetap_rc icetap_wal_seg_parse(const uint8_t *p, size_t n,
    icetap_wal_seg_info_t *info, icetap_error_t *err);


/* reading a segment file */

typedef enum {
    ICETAP_WAL_END_CLEAN = 0,           /* zeros or file end after a frame */
    ICETAP_WAL_END_SEALED,              /* SEAL frame seen */
    ICETAP_WAL_END_TORN,                /* partial frame at the tail */
    ICETAP_WAL_END_CORRUPT              /* CRC error or bad frame inside */
} icetap_wal_end_e;


typedef struct icetap_wal_reader_s  icetap_wal_reader_t;

icetap_rc icetap_wal_reader_open(const char *path, icetap_wal_reader_t **rp,
    icetap_error_t *err);
/* positions the reader at a byte offset returned by an earlier read */
icetap_rc icetap_wal_reader_seek(icetap_wal_reader_t *r, uint64_t offset,
    icetap_error_t *err);

/*
 * Reads the next record.  Returns ICETAP_OK with rec filled (valid until
 * the next call; release with icetap_wal_rec_free()), ICETAP_EOF at the
 * end, or an error.  On a CRC error it skips to the next frame magic and
 * counts the damage (see icetap_wal_reader_end()).  *offset is the offset
 * of the frame, *next the offset after it.
 */
icetap_rc icetap_wal_reader_next(icetap_wal_reader_t *r,
    icetap_wal_rec_t *rec, uint64_t *offset, uint64_t *next,
    icetap_error_t *err);
icetap_wal_end_e icetap_wal_reader_end(icetap_wal_reader_t *r,
    uint64_t *bad_frames, uint64_t *torn_at);
const icetap_wal_seg_info_t *icetap_wal_reader_info(icetap_wal_reader_t *r);
void icetap_wal_reader_close(icetap_wal_reader_t *r);

/* lists "*.wal" files of a directory, sorted by name; free with free_list */
icetap_rc icetap_wal_list(const char *dir, char ***names, size_t *n,
    icetap_error_t *err);
void icetap_wal_free_list(char **names, size_t n);


/* JSON line of a record (jansson), for the CLI and helpers: caller frees */
char *icetap_wal_rec_json(const icetap_wal_rec_t *rec, const char *file,
    uint64_t offset);


#endif /* ICETAP_WAL_H */
