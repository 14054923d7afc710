/*
 * Copyright (C) icetap authors
 *
 * Parquet writer/reader benchmark on the S3 Metadata journal schema
 * (21 columns, two map<string,string>), driven by bench/parquet/run.
 *
 *   pq_bench write OUT ROWS [codec]   synthetic rows; only the writer
 *                                     calls are timed, row generation
 *                                     runs in untimed batches
 *   pq_bench read FILE                decodes every column of every
 *                                     row group
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <icetap/parquet.h>


#define BATCH  65536


typedef struct {
    char        key[64];
    char        seq[48];
    const char *rtype;
    int64_t     ts;
    char        version[40];
    int         has_version;
    int         del_marker;         /* -1 null */
    int64_t     size;
    char        etag[40];
    const char *sclass;
    int         multipart;
    const char *enc;
    int         bucket_key;
    const char *checksum;
    int         ntags;
    char        tags[3][2][24];
    int         nmeta;
    char        meta[2][2][24];
    int         meta_null;
    char        ip[20];
    char        reqid[20];
} row_t;


static double
now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return ts.tv_sec + ts.tv_nsec / 1e9;
}


static icetap_rc
file_write(void *ctx, const void *data, size_t len, icetap_error_t *err)
{
    if (fwrite(data, 1, len, ctx) != len) {
        return icetap_error_set(err, ICETAP_IO, "short write");
    }

    return ICETAP_OK;
}


static icetap_rc
file_read(void *ctx, uint64_t off, void *buf, size_t len,
    icetap_error_t *err)
{
    if (fseeko(ctx, (off_t) off, SEEK_SET) != 0
        || fread(buf, 1, len, ctx) != len)
    {
        return icetap_error_set(err, ICETAP_IO, "short read");
    }

    return ICETAP_OK;
}


static uint64_t
mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;

    return x;
}


static void
gen(row_t *r, uint64_t i)
{
    static const char  *types[] = { "CREATE", "CREATE", "UPDATE_METADATA",
                                    "DELETE" };
    static const char  *classes[] = { "STANDARD", "STANDARD", "STANDARD",
                                      "STANDARD_IA", "GLACIER_IR" };
    uint64_t  h;
    int       k;

    h = mix(i);
    snprintf(r->key, sizeof(r->key), "logs/2025/%02d/%02d/object-%llu.json",
             (int) (h % 12) + 1, (int) (h >> 8) % 28 + 1,
             (unsigned long long) i);
    snprintf(r->seq, sizeof(r->seq), "%016llx%016llx%08x",
             (unsigned long long) (1700000000000ULL + i),
             (unsigned long long) h, (unsigned) (i & 0xffffffff));
    r->rtype = types[h % 4];
    r->ts = 1735689600000000LL + (int64_t) i * 1000 + (int64_t) (h % 997);
    r->has_version = (h >> 4) % 10 != 0;
    snprintf(r->version, sizeof(r->version), "v%016llx",
             (unsigned long long) mix(h));
    r->del_marker = r->rtype[0] == 'D' ? ((h >> 6) & 1 ? 1 : -1) : 0;
    r->size = (int64_t) (h % 100000000);
    snprintf(r->etag, sizeof(r->etag), "%016llx%016llx",
             (unsigned long long) mix(h + 1), (unsigned long long) mix(h + 2));
    r->sclass = classes[(h >> 12) % 5];
    r->multipart = (h >> 16) % 7 == 0;
    r->enc = (h >> 18) % 3 == 0 ? NULL : "SSE-S3";
    r->bucket_key = (h >> 20) & 1;
    r->checksum = (h >> 22) % 4 == 0 ? "CRC32" : "CRC64NVME";
    r->ntags = (int) ((h >> 24) % 4);

    for (k = 0; k < r->ntags; k++) {
        snprintf(r->tags[k][0], 24, "tag%d", k);
        snprintf(r->tags[k][1], 24, "val%d", (int) ((h >> (28 + k)) % 20));
    }

    r->meta_null = r->rtype[0] == 'D';
    r->nmeta = (int) ((h >> 32) % 3);

    for (k = 0; k < r->nmeta; k++) {
        snprintf(r->meta[k][0], 24, "m%d", k);
        snprintf(r->meta[k][1], 24, "%llu",
                 (unsigned long long) ((h >> 36) % 1000));
    }

    snprintf(r->ip, sizeof(r->ip), "10.%d.%d.%d", (int) (h >> 40) % 4,
             (int) (h >> 44) % 256, (int) (h >> 52) % 256);
    snprintf(r->reqid, sizeof(r->reqid), "%016llX",
             (unsigned long long) mix(h + 3));
}


static icetap_pq_schema_t *
journal_schema(void)
{
    static const struct {
        const char        *name;
        int                required;
        icetap_pq_type_e   type;
    } cols[] = {
        { "bucket", 1, ICETAP_PQ_STRING },
        { "key", 1, ICETAP_PQ_STRING },
        { "sequence_number", 1, ICETAP_PQ_STRING },
        { "record_type", 1, ICETAP_PQ_STRING },
        { "record_timestamp", 1, ICETAP_PQ_TIMESTAMP },
        { "version_id", 0, ICETAP_PQ_STRING },
        { "is_delete_marker", 0, ICETAP_PQ_BOOLEAN },
        { "size", 0, ICETAP_PQ_LONG },
        { "last_modified_date", 0, ICETAP_PQ_TIMESTAMP },
        { "e_tag", 0, ICETAP_PQ_STRING },
        { "storage_class", 0, ICETAP_PQ_STRING },
        { "is_multipart", 0, ICETAP_PQ_BOOLEAN },
        { "encryption_status", 0, ICETAP_PQ_STRING },
        { "is_bucket_key_enabled", 0, ICETAP_PQ_BOOLEAN },
        { "kms_key_arn", 0, ICETAP_PQ_STRING },
        { "checksum_algorithm", 0, ICETAP_PQ_STRING },
        { "object_tags", 0, ICETAP_PQ_MAP },
        { "user_metadata", 0, ICETAP_PQ_MAP },
        { "requester", 0, ICETAP_PQ_STRING },
        { "source_ip_address", 0, ICETAP_PQ_STRING },
        { "request_id", 0, ICETAP_PQ_STRING }
    };
    int                  h, id;
    size_t               i;
    icetap_error_t       err;
    icetap_pq_schema_t  *s;

    s = icetap_pq_schema_new(&err);
    id = 1;

    for (i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
        h = icetap_pq_schema_add(s, ICETAP_PQ_ROOT, id++, cols[i].name,
                                 cols[i].required, cols[i].type, 0, 0, &err);

        if (cols[i].type == ICETAP_PQ_MAP) {
            icetap_pq_schema_add(s, h, 100 + id++, "key", 1,
                                 ICETAP_PQ_STRING, 0, 0, &err);
            icetap_pq_schema_add(s, h, 100 + id++, "value", 0,
                                 ICETAP_PQ_STRING, 0, 0, &err);
        }
    }

    if (icetap_pq_schema_finish(s, &err) != ICETAP_OK) {
        fprintf(stderr, "schema: %s\n", err.msg);
        exit(1);
    }

    return s;
}


static icetap_rc
put_opt_str(icetap_pq_writer_t *w, const char *s)
{
    return s ? icetap_pq_str(w, s) : icetap_pq_null(w);
}


static icetap_rc
put_row(icetap_pq_writer_t *w, const row_t *r)
{
    int  k;

    icetap_pq_str(w, "bench-bucket");
    icetap_pq_str(w, r->key);
    icetap_pq_str(w, r->seq);
    icetap_pq_str(w, r->rtype);
    icetap_pq_int64(w, r->ts);
    put_opt_str(w, r->has_version ? r->version : NULL);

    if (r->del_marker < 0) {
        icetap_pq_null(w);
    } else {
        icetap_pq_bool(w, r->del_marker);
    }

    icetap_pq_int64(w, r->size);
    icetap_pq_int64(w, r->ts - 5000000);
    icetap_pq_str(w, r->etag);
    icetap_pq_str(w, r->sclass);
    icetap_pq_bool(w, r->multipart);
    put_opt_str(w, r->enc);
    icetap_pq_bool(w, r->bucket_key);
    icetap_pq_null(w);
    icetap_pq_str(w, r->checksum);

    if (r->meta_null) {
        icetap_pq_null(w);
        icetap_pq_null(w);

    } else {
        icetap_pq_begin(w);

        for (k = 0; k < r->ntags; k++) {
            icetap_pq_str(w, r->tags[k][0]);
            icetap_pq_str(w, r->tags[k][1]);
        }

        icetap_pq_end(w);
        icetap_pq_begin(w);

        for (k = 0; k < r->nmeta; k++) {
            icetap_pq_str(w, r->meta[k][0]);
            icetap_pq_str(w, r->meta[k][1]);
        }

        icetap_pq_end(w);
    }

    icetap_pq_str(w, "123456789012");
    icetap_pq_str(w, r->ip);
    icetap_pq_str(w, r->reqid);

    return icetap_pq_end_row(w);
}


static int
cmd_write(const char *out, long rows, const char *codec)
{
    FILE                    *f;
    long                     i, b, n;
    row_t                   *batch;
    double                   t0, spent;
    icetap_error_t           err;
    icetap_pq_schema_t      *s;
    icetap_pq_writer_t      *w;
    icetap_pq_writer_conf_t  conf;

    s = journal_schema();
    icetap_pq_writer_conf_init(&conf);

    if (codec && strcmp(codec, "snappy") == 0) {
        conf.codec = ICETAP_PQ_SNAPPY;
    } else if (codec && strcmp(codec, "uncompressed") == 0) {
        conf.codec = ICETAP_PQ_UNCOMPRESSED;
    }

    batch = malloc(BATCH * sizeof(row_t));
    f = fopen(out, "wb");

    if (batch == NULL || f == NULL) {
        perror(out);
        return 1;
    }

    spent = 0;
    t0 = now();

    w = icetap_pq_writer_open(s, &conf, file_write, f, &err);
    if (w == NULL) {
        fprintf(stderr, "open: %s\n", err.msg);
        return 1;
    }

    spent += now() - t0;

    for (i = 0; i < rows; i += n) {
        n = rows - i < BATCH ? rows - i : BATCH;

        for (b = 0; b < n; b++) {
            gen(&batch[b], (uint64_t) (i + b));
        }

        t0 = now();

        for (b = 0; b < n; b++) {
            if (put_row(w, &batch[b]) != ICETAP_OK) {
                fprintf(stderr, "row %ld: %s\n", i + b, err.msg);
                return 1;
            }
        }

        spent += now() - t0;
    }

    t0 = now();

    if (icetap_pq_writer_close(w) != ICETAP_OK) {
        fprintf(stderr, "close: %s\n", err.msg);
        return 1;
    }

    fflush(f);
    spent += now() - t0;

    printf("%ld %.3f %llu\n", rows, spent,
           (unsigned long long) icetap_pq_writer_size(w));

    icetap_pq_writer_free(w);
    icetap_pq_schema_free(s);
    fclose(f);
    free(batch);

    return 0;
}


static int
cmd_read(const char *in)
{
    int                  rg;
    FILE                *f;
    off_t                size;
    size_t               i, n;
    long long            rows, values;
    double               t0;
    icetap_error_t       err;
    icetap_pq_reader_t  *r;
    icetap_pq_column_t   col;

    f = fopen(in, "rb");
    if (f == NULL) {
        perror(in);
        return 1;
    }

    fseeko(f, 0, SEEK_END);
    size = ftello(f);
    memset(&col, 0, sizeof(col));
    values = 0;

    t0 = now();

    r = icetap_pq_reader_open(file_read, f, (uint64_t) size, &err);
    if (r == NULL) {
        fprintf(stderr, "%s: %s\n", in, err.msg);
        return 1;
    }

    n = icetap_pq_schema_leaves(icetap_pq_reader_schema(r));

    for (rg = 0; rg < icetap_pq_reader_row_groups(r); rg++) {
        for (i = 0; i < n; i++) {
            if (icetap_pq_read_column(r, rg, (int) i, &col, &err)
                != ICETAP_OK)
            {
                fprintf(stderr, "rg %d col %zu: %s\n", rg, i, err.msg);
                return 1;
            }

            values += (long long) col.num_values;
        }
    }

    rows = icetap_pq_reader_rows(r);
    printf("%lld %.3f %lld\n", rows, now() - t0, values);

    icetap_pq_column_free(&col);
    icetap_pq_reader_free(r);
    fclose(f);

    return 0;
}


int
main(int argc, char **argv)
{
    if ((argc == 4 || argc == 5) && strcmp(argv[1], "write") == 0) {
        return cmd_write(argv[2], atol(argv[3]), argc == 5 ? argv[4] : NULL);
    }

    if (argc == 3 && strcmp(argv[1], "read") == 0) {
        return cmd_read(argv[2]);
    }

    fprintf(stderr, "usage: pq_bench write OUT ROWS [codec] | read FILE\n");

    return 2;
}
