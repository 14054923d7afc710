/*
 * Copyright (C) icetap authors
 *
 * Table write/read benchmark over the S3 store, driven by
 * bench/table/run and t/142-table-memory.t:
 *
 *   table_bench write ENDPOINT BUCKET PREFIX MIB COMMIT_MIB [SCHEMA]
 *   table_bench read ENDPOINT BUCKET PREFIX
 *
 * write: synthetic rows through the table writer until MIB MiB of
 * Parquet are committed, one snapshot per COMMIT_MIB MiB (merging
 * appends), data files uploaded with multipart.  SCHEMA is "journal"
 * (the S3 Metadata journal, 21 columns with two string maps; default)
 * or "wide" (an id and four 200-byte strings); "wide<N>" partitions the
 * wide rows by bucket[N](id), so N files are open and filling at once.
 * read: every live row of the current snapshot through the table
 * reader, every column decoded.
 *
 * TABLE_SPILL_MIB in the environment sets the writer's spill size.
 *
 * Both print "key value" lines on stdout: sizes, time, the process's
 * VmRSS after each commit and its VmHWM at the end, and a checksum of
 * the rows (sum of per-row hashes of sequence_number/id and size) that
 * the reader recomputes from the values it decoded.  Progress goes to
 * stderr.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <inttypes.h>

#include <jansson.h>

#include <icetap/table.h>
#include <icetap/journal.h>


#define MIB  (1024.0 * 1024.0)


typedef struct {
    uint64_t              sum;          /* checksum of the rows written */
    int64_t               rows;
} gen_t;


static const char  *wide_schema_json =
    "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
    "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
    "{\"id\":2,\"name\":\"a\",\"required\":true,\"type\":\"string\"},"
    "{\"id\":3,\"name\":\"b\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":4,\"name\":\"c\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":5,\"name\":\"d\",\"required\":false,\"type\":\"string\"}"
    "]}";


static double
now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return ts.tv_sec + ts.tv_nsec / 1e9;
}


/* VmRSS and VmHWM of this process, KiB */

static void
mem_kib(long *rss, long *hwm)
{
    char   line[256];
    FILE  *f;

    *rss = *hwm = -1;

    f = fopen("/proc/self/status", "r");
    if (f == NULL) {
        return;
    }

    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "VmRSS:", 6) == 0) {
            *rss = atol(line + 6);

        } else if (strncmp(line, "VmHWM:", 6) == 0) {
            *hwm = atol(line + 6);
        }
    }

    fclose(f);
}


static uint64_t
mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;

    return x ^ (x >> 31);
}


static uint64_t
hash_bytes(const uint8_t *p, size_t n)
{
    uint64_t  h;

    h = 0xcbf29ce484222325ULL;

    while (n--) {
        h = (h ^ *p++) * 0x100000001b3ULL;
    }

    return h;
}


/* the checksum of one row: its key column and its size/id */

static uint64_t
row_sum(const uint8_t *seq, size_t len, int64_t size)
{
    return mix64(hash_bytes(seq, len) ^ (uint64_t) size);
}


static void
hex(char *out, uint64_t *st, size_t n)
{
    static const char  digits[] = "0123456789abcdef";
    uint64_t           r;
    size_t             i;

    r = 0;

    for (i = 0; i < n; i++) {
        if (i % 16 == 0) {
            r = *st = mix64(*st);
        }

        out[i] = digits[r & 15];
        r >>= 4;
    }

    out[n] = '\0';
}



static icetap_rc
opt_str(icetap_pq_writer_t *pw, const char *s)
{
    return s ? icetap_pq_str(pw, s) : icetap_pq_null(pw);
}


/* one journal row derived from its index */

static icetap_rc
journal_row(gen_t *g, icetap_pq_writer_t *pw, int64_t id)
{
    int         k, ntags, nmeta;
    char        key[128], seq[17], ver[33], etag[35], ip[24];
    char        reqid[17], tv[3][17], mv[2][25];
    int64_t     ts, size;
    uint64_t    st, r;
    icetap_rc   rc;

    static const char  *types[] = { "CREATE", "CREATE", "CREATE",
                                    "UPDATE_METADATA", "DELETE" };
    static const char  *classes[] = { "STANDARD", "STANDARD",
                                      "STANDARD_IA", "GLACIER_IR" };
    static const char  *sums[] = { "CRC64NVME", "CRC32", "SHA256" };
    static const char  *tags[] = { "team", "env", "retention" };

    st = (uint64_t) id;
    r = mix64(st ^ 0x5bd1e995);

    snprintf(seq, sizeof(seq), "%016" PRIx64, (uint64_t) id * 7 + 1);
    hex(ver, &st, 32);
    etag[0] = '"';
    hex(etag + 1, &st, 32);
    etag[33] = '"';
    etag[34] = '\0';
    hex(reqid, &st, 16);
    snprintf(key, sizeof(key), "logs/2025/%02u/%02u/host-%04x/obj-%016"
             PRIx64 ".json", (unsigned) (r % 12) + 1,
             (unsigned) ((r >> 8) % 28) + 1, (unsigned) (r >> 16) & 0xffff,
             mix64(st));
    snprintf(ip, sizeof(ip), "10.%u.%u.%u", (unsigned) (r >> 24) & 0xff,
             (unsigned) (r >> 32) & 0xff, (unsigned) (r >> 40) & 0xff);

    ts = 1735689600000000LL + id * 1000;
    size = (int64_t) (r % 100000000);
    ntags = (int) ((r >> 48) % 4);
    nmeta = (int) ((r >> 52) % 3);

    for (k = 0; k < ntags; k++) {
        hex(tv[k], &st, 16);
    }

    for (k = 0; k < nmeta; k++) {
        hex(mv[k], &st, 24);
    }

    rc = icetap_pq_str(pw, "bench-bucket");
    rc |= icetap_pq_str(pw, key);
    rc |= icetap_pq_str(pw, seq);
    rc |= icetap_pq_str(pw, types[r % 5]);
    rc |= icetap_pq_int64(pw, ts);
    rc |= opt_str(pw, (r >> 3) % 4 ? ver : NULL);

    if ((r >> 5) % 3 == 0) {
        rc |= icetap_pq_null(pw);

    } else {
        rc |= icetap_pq_bool(pw, (r >> 6) % 50 == 0);
    }

    rc |= icetap_pq_int64(pw, size);
    rc |= icetap_pq_int64(pw, ts - 5000000);
    rc |= icetap_pq_str(pw, etag);
    rc |= icetap_pq_str(pw, classes[(r >> 7) % 4]);
    rc |= icetap_pq_bool(pw, (r >> 9) % 8 == 0);
    rc |= icetap_pq_str(pw, "SSE-S3");
    rc |= icetap_pq_bool(pw, 0);
    rc |= icetap_pq_null(pw);
    rc |= icetap_pq_str(pw, sums[(r >> 10) % 3]);
    rc |= icetap_pq_begin(pw);

    for (k = 0; k < ntags; k++) {
        rc |= icetap_pq_str(pw, tags[k]);
        rc |= icetap_pq_str(pw, tv[k]);
    }

    rc |= icetap_pq_end(pw);

    if (nmeta == 0) {
        rc |= icetap_pq_null(pw);

    } else {
        rc |= icetap_pq_begin(pw);

        for (k = 0; k < nmeta; k++) {
            rc |= icetap_pq_str(pw, k ? "source" : "owner");
            rc |= icetap_pq_str(pw, mv[k]);
        }

        rc |= icetap_pq_end(pw);
    }

    rc |= icetap_pq_str(pw, "123456789012");
    rc |= icetap_pq_str(pw, ip);
    rc |= icetap_pq_str(pw, reqid);

    g->sum += row_sum((const uint8_t *) seq, 16, size);

    return rc == ICETAP_OK ? ICETAP_OK : ICETAP_ERROR;
}


/* an id and four strings of 200 hex digits (half the bytes' entropy) */

static icetap_rc
wide_row(gen_t *g, icetap_pq_writer_t *pw, int64_t id)
{
    int         k;
    char        s[201];
    uint64_t    st;
    icetap_rc   rc;

    st = (uint64_t) id;

    rc = icetap_pq_int64(pw, id);

    for (k = 0; k < 4; k++) {
        hex(s, &st, 200);
        rc |= icetap_pq_bytes(pw, s, 200);

        if (k == 0) {
            g->sum += row_sum((const uint8_t *) s, 200, id);
        }
    }

    return rc == ICETAP_OK ? ICETAP_OK : ICETAP_ERROR;
}


static icetap_store_t *
store_open(const char *endpoint, const char *bucket, int create,
    icetap_error_t *err)
{
    const char        *ak, *sk;
    icetap_store_t    *s;
    icetap_s3_conf_t   sc;

    ak = getenv("AWS_ACCESS_KEY_ID");
    sk = getenv("AWS_SECRET_ACCESS_KEY");

    memset(&sc, 0, sizeof(sc));
    sc.endpoint = endpoint;
    sc.bucket = bucket;
    sc.access_key = ak ? ak : "AKIAIOSFODNN7EXAMPLE";
    sc.secret_key = sk ? sk : "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    sc.path_style = 1;

    s = icetap_store_s3_create(&sc, err);
    if (s == NULL) {
        return NULL;
    }

    if (create && icetap_store_s3_create_bucket(s, err) != ICETAP_OK) {
        icetap_store_destroy(s);
        return NULL;
    }

    return s;
}


static void
conf_init(icetap_table_conf_t *c, char *location, size_t size,
    const char *bucket, const char *prefix)
{
    snprintf(location, size, "s3://%s/%s", bucket, prefix);

    memset(c, 0, sizeof(icetap_table_conf_t));
    c->location = location;
    c->prefix = prefix;
    c->merge_min_count = 4;         /* so that merging appends merge */
}


static int
fail(const char *what, const icetap_error_t *err)
{
    fprintf(stderr, "table_bench: %s: %s\n", what, err->msg);
    return 1;
}


static int
cmd_write(const char *endpoint, const char *bucket, const char *prefix,
    double mib, double commit_mib, const char *kind)
{
    int                         wide;
    int                         buckets;
    char                        location[1024], *big_key, *p, tr[32];
    long                        rss, hwm;
    size_t                      i, nfiles, commits;
    json_t                     *j;
    double                      t0, secs, done, window;
    gen_t                       g;
    int64_t                     id, sid, biggest;
    json_error_t                je;
    icetap_error_t              err;
    icetap_store_t             *s;
    icetap_table_t             *t;
    icetap_schema_t            *schema;
    icetap_store_obj_t          obj;
    icetap_value_t              idv;
    icetap_pq_writer_t         *pw;
    icetap_table_conf_t         c;
    icetap_table_update_t      *u;
    icetap_table_writer_t      *w;
    icetap_partition_spec_t     spec;
    icetap_table_writer_conf_t  wc;
    const icetap_data_file_t   *f;

    memset(&g, 0, sizeof(g));
    big_key = NULL;
    biggest = 0;
    wide = strncmp(kind, "wide", 4) == 0;
    buckets = wide ? atoi(kind + 4) : 0;

    if (!(wide && (kind[4] == '\0' || buckets > 0))
        && strcmp(kind, "journal") != 0)
    {
        fprintf(stderr, "table_bench: the schema is journal, wide or "
                "wide<N> (N buckets)\n");
        return 2;
    }

    j = json_loads(wide ? wide_schema_json : icetap_journal_schema_json(),
                   0, &je);
    if (j == NULL || icetap_schema_from_json(j, &schema, &err) != ICETAP_OK)
    {
        fprintf(stderr, "table_bench: bad schema\n");
        return 1;
    }

    json_decref(j);

    s = store_open(endpoint, bucket, 1, &err);
    if (s == NULL) {
        return fail("s3 store", &err);
    }

    conf_init(&c, location, sizeof(location), bucket, prefix);
    memset(&spec, 0, sizeof(spec));

    if (buckets > 0) {
        snprintf(tr, sizeof(tr), "bucket[%d]", buckets);

        if (icetap_partition_spec_add_field(&spec, "id_bucket", tr, 1, 0,
                                            &err)
            != ICETAP_OK)
        {
            return fail("spec", &err);
        }
    }

    if (icetap_table_create(s, &c, 3, schema, &spec, NULL, NULL, &t, &err)
        != ICETAP_OK)
    {
        return fail("create", &err);
    }

    icetap_schema_free(schema);

    /*
     * The defaults: 128 MiB files, 8 MiB row groups, zstd, files spilled
     * to disk beyond 4 MiB.  TABLE_SPILL_MIB raises the spill size (the
     * memory test's control run keeps whole files in memory with it).
     */

    memset(&wc, 0, sizeof(wc));

    if (getenv("TABLE_SPILL_MIB")) {
        wc.spill_size = (size_t) (atof(getenv("TABLE_SPILL_MIB")) * MIB);
    }

    t0 = now();
    done = 0;
    id = 0;
    commits = 0;
    nfiles = 0;

    while (done < mib * MIB) {
        if (icetap_table_writer_open(t, &wc, &w, &err) != ICETAP_OK) {
            return fail("writer", &err);
        }

        window = icetap_min(commit_mib * MIB, mib * MIB - done);

        for ( ;; ) {
            idv.type = ICETAP_TYPE_LONG;
            idv.is_null = 0;
            idv.v.l = id;

            if (icetap_table_writer_begin(w, &idv, &pw) != ICETAP_OK
                || (wide ? wide_row(&g, pw, id) : journal_row(&g, pw, id))
                   != ICETAP_OK
                || icetap_table_writer_end(w) != ICETAP_OK)
            {
                return fail("row", icetap_table_writer_error(w));
            }

            g.rows++;

            if (++id % 256 != 0) {
                continue;
            }

            if ((double) icetap_table_writer_bytes(w) >= window) {
                break;
            }
        }

        if (icetap_table_writer_close(w) != ICETAP_OK) {
            return fail("close", icetap_table_writer_error(w));
        }

        for (i = 0; i < icetap_table_writer_nfiles(w); i++) {
            f = icetap_table_writer_file(w, i);
            done += f->file_size_in_bytes;

            if (f->file_size_in_bytes > biggest) {
                biggest = f->file_size_in_bytes;
                icetap_free(big_key);
                big_key = icetap_table_key(t, f->file_path);
            }
        }

        nfiles += icetap_table_writer_nfiles(w);

        if (icetap_table_update_new(t, &u, &err) != ICETAP_OK
            || icetap_table_update_add_files(u, w, &err) != ICETAP_OK)
        {
            return fail("update", &err);
        }

        icetap_table_update_merge(u, 1);

        if (icetap_table_update_commit(u, &sid, &err) != ICETAP_OK) {
            return fail("commit", &err);
        }

        icetap_table_update_free(u);
        icetap_table_writer_free(w);
        commits++;

        mem_kib(&rss, &hwm);
        secs = now() - t0;

        printf("commit %zu %.0f %ld %ld %.2f\n", commits, done, rss, hwm,
               secs);
        fprintf(stderr, "  commit %3zu: %8.1f MiB in %4zu files, %6.1f s, "
                "%6.1f MiB/s, VmRSS %5.1f MiB, VmHWM %5.1f MiB\n", commits,
                done / MIB, nfiles, secs, done / MIB / secs, rss / 1024.0,
                hwm / 1024.0);
        fflush(stdout);
    }

    secs = now() - t0;
    mem_kib(&rss, &hwm);

    printf("bytes %.0f\nrows %" PRId64 "\nfiles %zu\ncommits %zu\n"
           "secs %.3f\nrss_kib %ld\nhwm_kib %ld\nsum %016" PRIx64 "\n",
           done, g.rows, nfiles, commits, secs, rss, hwm, g.sum);

    /* a multipart upload shows in the ETag: "<md5 of md5s>-<parts>" */

    icetap_store_obj_init(&obj);

    if (big_key == NULL
        || icetap_store_head(s, big_key, &obj, &err) != ICETAP_OK)
    {
        return fail("head of the biggest file", &err);
    }

    p = strrchr(obj.etag, '-');
    printf("biggest_file %" PRId64 "\netag_parts %d\n", biggest,
           p ? atoi(p + 1) : 1);

    icetap_store_obj_free(&obj);
    icetap_free(big_key);

    icetap_table_close(t);
    icetap_store_destroy(s);

    return 0;
}


static int
cmd_read(const char *endpoint, const char *bucket, const char *prefix)
{
    int                     key_id, size_id;
    char                    location[1024];
    long                    rss, hwm;
    size_t                  i;
    double                  t0, secs;
    int64_t                 rows, batches;
    uint64_t                sum;
    icetap_rc               rc;
    icetap_value_t          kv, sv;
    icetap_error_t          err;
    icetap_store_t         *s;
    icetap_table_t         *t;
    icetap_table_conf_t     c;
    icetap_table_batch_t    b;
    icetap_table_reader_t  *r;

    s = store_open(endpoint, bucket, 0, &err);
    if (s == NULL) {
        return fail("s3 store", &err);
    }

    conf_init(&c, location, sizeof(location), bucket, prefix);

    if (icetap_table_open(s, &c, &t, &err) != ICETAP_OK) {
        return fail("open", &err);
    }

    t0 = now();

    if (icetap_table_reader_open(t, -1, &r, &err) != ICETAP_OK) {
        return fail("reader", &err);
    }

    rows = batches = 0;
    sum = 0;
    key_id = size_id = 0;

    while ((rc = icetap_table_reader_next(r, &b, &err)) == ICETAP_OK) {
        if (key_id == 0) {
            /* journal: sequence_number (3) and size (8); wide: a, id */
            key_id = icetap_pq_schema_leaf_by_id(b.schema, 25) >= 0 ? 3 : 2;
            size_id = key_id == 3 ? 8 : 1;
        }

        for (i = 0; i < b.nrows; i++) {
            if (!b.live[i]) {
                continue;
            }

            if (icetap_table_batch_value(&b, key_id, i, &kv, &err)
                   != ICETAP_OK
                || icetap_table_batch_value(&b, size_id, i, &sv, &err)
                   != ICETAP_OK)
            {
                return fail("value", &err);
            }

            sum += row_sum(kv.v.bin.data, kv.v.bin.len, sv.v.l);
            rows++;
        }

        if (++batches % 64 == 0) {
            mem_kib(&rss, &hwm);
            fprintf(stderr, "  read %8" PRId64 " row groups, %11" PRId64
                    " rows, %6.1f s, VmRSS %5.1f MiB, VmHWM %5.1f MiB\n",
                    batches, rows, now() - t0, rss / 1024.0, hwm / 1024.0);
        }
    }

    if (rc != ICETAP_EOF) {
        return fail("read", &err);
    }

    secs = now() - t0;
    mem_kib(&rss, &hwm);

    printf("rows %" PRId64 "\nrow_groups %" PRId64 "\nsecs %.3f\n"
           "rss_kib %ld\nhwm_kib %ld\nsum %016" PRIx64 "\n",
           rows, batches, secs, rss, hwm, sum);

    icetap_table_reader_free(r);
    icetap_table_close(t);
    icetap_store_destroy(s);

    return 0;
}


int
main(int argc, char **argv)
{
    if (argc >= 7 && strcmp(argv[1], "write") == 0) {
        return cmd_write(argv[2], argv[3], argv[4], atof(argv[5]),
                         atof(argv[6]), argc > 7 ? argv[7] : "journal");
    }

    if (argc == 5 && strcmp(argv[1], "read") == 0) {
        return cmd_read(argv[2], argv[3], argv[4]);
    }

    fprintf(stderr, "usage: table_bench write ENDPOINT BUCKET PREFIX MIB "
            "COMMIT_MIB [journal|wide]\n"
            "       table_bench read ENDPOINT BUCKET PREFIX\n");

    return 2;
}
