/*
 * Copyright (C) icetap authors
 *
 * Compaction: rewriting live data files (icetap/maintenance.h).
 *
 * Rows move as column slices: a source is one decoded row group of an
 * input file (or of a sort run), with, per leaf, the first level entry
 * and the first value of every row (rows start where the repetition
 * level is 0), so a row of any nesting is copied as a range of levels
 * and values.  Output leaves map to input leaves by field id; a missing
 * optional top-level column becomes nulls; the v3 lineage columns are
 * computed (stored value, else first_row_id + position and the file's
 * data sequence number).  The sink gathers rows into one row group of
 * about row_group_size decoded bytes and writes it with the column-level
 * writer; whole row groups of unchanged files go through the row-group
 * copy path.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <icetap/maintenance.h>

#include "icetap_table_int.h"
#include "icetap_parquet.h"


#define ICETAP_RW_FANIN       64
#define ICETAP_RW_RUN_RG      (4 * 1024 * 1024)
#define ICETAP_RW_MAXKEYS     8
#define ICETAP_RW_GATHER      4096     /* sorted rows out per column pass */

#define ICETAP_RW_NULLS       (-1)
#define ICETAP_RW_ROW_ID      (-2)
#define ICETAP_RW_SEQ         (-3)


/* one decoded row group */

typedef struct {
    icetap_pq_column_t        *cols;        /* per input leaf */
    size_t                     ncols;
    size_t                   **rent;        /* row -> first entry */
    size_t                   **rval;        /* row -> first value */
    size_t                     nrows;
    uint8_t                   *live;        /* NULL: all */
    const int                 *map;         /* output leaf -> input */
    int64_t                    first_pos;
    int64_t                    first_row_id;    /* ICETAP_UNSET */
    int64_t                    seq;
    int                        rowid_leaf;      /* input leaf or -1 */
    int                        seq_leaf;
    size_t                     bytes;       /* decoded size */
} icetap_rw_src_t;


/* an output file or a sort run */

typedef struct {
    icetap_pq_writer_t        *pw;
    FILE                      *fp;
    char                      *path;        /* output: table path */
    uint64_t                   size;
} icetap_rw_file_t;


typedef struct icetap_rw_s  icetap_rw_t;

typedef struct {
    icetap_rw_t               *rw;
    icetap_pq_column_t        *cols;        /* per output leaf */
    int64_t                    nrows;
    size_t                     bytes;
    size_t                     rg_size;
    size_t                     target;      /* 0: never roll (runs) */
    int                        run;
    icetap_rw_file_t           f;
    int32_t                    spec_id;
    const icetap_value_t      *partition;
    size_t                     npartition;
} icetap_rw_sink_t;


/* the key of a sort */

typedef struct {
    int                        leaf;        /* output leaf */
    int                        desc;
    int                        nulls_last;
} icetap_rw_key_t;


/* a live data file to rewrite */

typedef struct {
    icetap_table_df_t         *df;
    int64_t                    seq;
    int64_t                    first_row_id;
    icetap_roaring64_t        *deleted;     /* NULL: none */
    uint64_t                   ndeleted;
    int                        group;
} icetap_rw_in_t;


struct icetap_rw_s {
    icetap_table_t            *t;
    icetap_rewrite_conf_t      conf;
    icetap_rewrite_result_t   *res;
    icetap_error_t            *err;

    int                        v3;
    icetap_pq_schema_t        *ps;          /* output schema */
    size_t                     nleaves;
    char                      *schema_json;
    char                       uuid[37];
    unsigned                   counter;

    icetap_rw_key_t            keys[ICETAP_RW_MAXKEYS];
    size_t                     nkeys;
    int                        zorder;

    icetap_rw_in_t            *in;
    size_t                     nin;
    size_t                     cin;

    icetap_tmap_t              wanted;      /* conf.files */

    icetap_table_df_t        **out;         /* files written */
    size_t                     nout;
    size_t                     cout;
};


static icetap_rc icetap_rw_collect(void *ctx, const icetap_table_file_t *f);


/* column buffers */


static size_t
icetap_rw_width(int physical)
{
    switch (physical) {
    case ICETAP_PQ_PHYS_BOOLEAN:
        return 1;
    case ICETAP_PQ_PHYS_INT32:
    case ICETAP_PQ_PHYS_FLOAT:
        return 4;
    case ICETAP_PQ_PHYS_INT64:
    case ICETAP_PQ_PHYS_DOUBLE:
        return 8;
    default:
        return 0;
    }
}


static icetap_rc
icetap_rw_grow(void **p, size_t *cap, size_t need, size_t elem)
{
    void    *np;
    size_t   n;

    if (need <= *cap) {
        return ICETAP_OK;
    }

    n = *cap ? *cap : 256;
    while (n < need) {
        n *= 2;
    }

    np = icetap_realloc(*p, n * elem);
    if (np == NULL) {
        return ICETAP_NOMEM;
    }

    *p = np;
    *cap = n;

    return ICETAP_OK;
}


static void
icetap_rw_col_reset(icetap_pq_column_t *c)
{
    c->num_entries = 0;
    c->num_values = 0;
    c->data_len = 0;

    if (c->offsets) {
        c->offsets[0] = 0;
    }
}


/* room for ne more entries and nv more values */

static icetap_rc
icetap_rw_col_reserve(icetap_pq_column_t *c, size_t ne, size_t nv,
    size_t nd)
{
    size_t  w;

    if (icetap_rw_grow((void **) &c->rep, &c->cap_entries,
                       c->num_entries + ne, 1) != ICETAP_OK
        || icetap_rw_grow((void **) &c->def, &c->cap_def,
                          c->num_entries + ne, 1) != ICETAP_OK)
    {
        return ICETAP_NOMEM;
    }

    w = icetap_rw_width(c->physical);

    if (w) {
        return icetap_rw_grow(&c->values, &c->cap_values,
                              c->num_values + nv, w);
    }

    if (icetap_rw_grow((void **) &c->offsets, &c->cap_offsets,
                       c->num_values + nv + 1, sizeof(uint32_t))
        != ICETAP_OK
        || icetap_rw_grow((void **) &c->data, &c->cap_data,
                          c->data_len + nd + 1, 1) != ICETAP_OK)
    {
        return ICETAP_NOMEM;
    }

    if (c->num_values == 0) {
        c->offsets[0] = 0;
    }

    return ICETAP_OK;
}


static void
icetap_rw_col_free(icetap_pq_column_t *c)
{
    icetap_free(c->rep);
    icetap_free(c->def);
    icetap_free(c->values);
    icetap_free(c->offsets);
    icetap_free(c->data);
    memset(c, 0, sizeof(icetap_pq_column_t));
}


/* sources */


static void
icetap_rw_src_free(icetap_rw_src_t *s)
{
    size_t  i;

    if (s->cols == NULL) {
        return;
    }

    for (i = 0; i < s->ncols; i++) {
        icetap_pq_column_free(&s->cols[i]);
        icetap_free(s->rent[i]);
        icetap_free(s->rval[i]);
    }

    icetap_free(s->cols);
    icetap_free(s->rent);
    icetap_free(s->rval);
    icetap_free(s->live);
    memset(s, 0, sizeof(icetap_rw_src_t));
}


/* decodes row group rg of r and indexes its rows */

static icetap_rc
icetap_rw_src_load(icetap_rw_t *rw, icetap_pq_reader_t *r, int rg,
    icetap_rw_src_t *s)
{
    size_t                   i, e, v, row, nrows;
    icetap_rc                rc;
    icetap_pq_column_t      *c;
    const icetap_pq_node_t  *n;

    nrows = (size_t) icetap_pq_reader_row_group_rows(r, rg);
    s->ncols = icetap_pq_schema_leaves(icetap_pq_reader_schema(r));
    s->nrows = nrows;
    s->cols = icetap_calloc(s->ncols + 1, sizeof(icetap_pq_column_t));
    s->rent = icetap_calloc(s->ncols + 1, sizeof(size_t *));
    s->rval = icetap_calloc(s->ncols + 1, sizeof(size_t *));
    s->bytes = 0;

    if (s->cols == NULL || s->rent == NULL || s->rval == NULL) {
        return icetap_error_set(rw->err, ICETAP_NOMEM, "out of memory");
    }

    for (i = 0; i < s->ncols; i++) {
        c = &s->cols[i];
        n = icetap_pq_schema_leaf(icetap_pq_reader_schema(r), (int) i);

        /* only the leaves some output leaf reads */

        rc = icetap_pq_read_column(r, rg, (int) i, c, rw->err);
        if (rc != ICETAP_OK) {
            return rc;
        }

        s->rent[i] = icetap_alloc((nrows + 1) * sizeof(size_t));
        s->rval[i] = icetap_alloc((nrows + 1) * sizeof(size_t));

        if (s->rent[i] == NULL || s->rval[i] == NULL) {
            return icetap_error_set(rw->err, ICETAP_NOMEM, "out of memory");
        }

        row = 0;
        v = 0;

        for (e = 0; e < c->num_entries; e++) {
            if (n->max_rep == 0 || c->rep == NULL || c->rep[e] == 0) {
                if (row >= nrows) {
                    return icetap_error_set(rw->err, ICETAP_INVALID,
                                            "parquet: column \"%s\" holds "
                                            "more rows than its row group",
                                            n->name);
                }

                s->rent[i][row] = e;
                s->rval[i][row] = v;
                row++;
            }

            if (n->max_def == 0 || c->def == NULL
                || c->def[e] == n->max_def)
            {
                v++;
            }
        }

        if (row != nrows || v != c->num_values) {
            return icetap_error_set(rw->err, ICETAP_INVALID,
                                    "parquet: column \"%s\" does not hold "
                                    "its row group's rows", n->name);
        }

        s->rent[i][nrows] = c->num_entries;
        s->rval[i][nrows] = v;

        s->bytes += c->num_entries * 2 + c->data_len
                    + c->num_values * (icetap_rw_width(c->physical)
                                       + sizeof(uint32_t))
                    + 2 * (nrows + 1) * sizeof(size_t);
    }

    return ICETAP_OK;
}


/*
 * The output leaf -> input leaf map of a file schema, or ICETAP_INVALID
 * with the reason when its columns cannot be carried over.
 */

static icetap_rc
icetap_rw_map(icetap_rw_t *rw, const icetap_pq_schema_t *in, int *map,
    int *rowid_leaf, int *seq_leaf)
{
    int                      k;
    size_t                   j;
    const icetap_pq_node_t  *o, *n;

    *rowid_leaf = icetap_pq_schema_leaf_by_id(in, ICETAP_FIELD_ROW_ID);
    *seq_leaf = icetap_pq_schema_leaf_by_id(in,
                                            ICETAP_FIELD_LAST_UPDATED_SEQ);

    for (j = 0; j < rw->nleaves; j++) {
        o = icetap_pq_schema_leaf(rw->ps, (int) j);

        if (o->field_id == ICETAP_FIELD_ROW_ID) {
            map[j] = ICETAP_RW_ROW_ID;
            continue;
        }

        if (o->field_id == ICETAP_FIELD_LAST_UPDATED_SEQ) {
            map[j] = ICETAP_RW_SEQ;
            continue;
        }

        k = icetap_pq_schema_leaf_by_id(in, o->field_id);

        if (k < 0) {
            if (o->max_rep == 0 && o->max_def == 1
                && o->repetition == ICETAP_PQ_OPTIONAL)
            {
                map[j] = ICETAP_RW_NULLS;
                continue;
            }

            return icetap_error_set(rw->err, ICETAP_INVALID,
                                    "column \"%s\" (id %d) is missing from "
                                    "a data file", o->name,
                                    (int) o->field_id);
        }

        n = icetap_pq_schema_leaf(in, k);

        if (n->physical != o->physical || n->max_def != o->max_def
            || n->max_rep != o->max_rep
            || (o->physical == ICETAP_PQ_PHYS_FLBA
                && n->type_length != o->type_length))
        {
            return icetap_error_set(rw->err, ICETAP_INVALID,
                                    "column \"%s\" (id %d) of a data file "
                                    "has another type or nesting than the "
                                    "table's", o->name, (int) o->field_id);
        }

        map[j] = k;
    }

    return ICETAP_OK;
}


/* sinks */


static icetap_rc
icetap_rw_fwrite(void *ctx, const void *data, size_t len,
    icetap_error_t *err)
{
    icetap_rw_file_t  *f;

    f = ctx;

    if (len && fwrite(data, 1, len, f->fp) != len) {
        return icetap_error_sys(err, ICETAP_IO, 0,
                                "write to a temporary file failed");
    }

    f->size += len;

    return ICETAP_OK;
}


static icetap_rc
icetap_rw_fread(void *ctx, void *buf, size_t size, size_t *n)
{
    FILE  *fp;

    fp = ctx;
    *n = fread(buf, 1, size, fp);

    return ferror(fp) ? ICETAP_IO : ICETAP_OK;
}


static icetap_rc
icetap_rw_pread(void *ctx, uint64_t off, void *buf, size_t len,
    icetap_error_t *err)
{
    int       fd;
    ssize_t   n;
    size_t    done;

    fd = fileno((FILE *) ctx);

    for (done = 0; done < len; done += (size_t) n) {
        n = pread(fd, (uint8_t *) buf + done, len - done,
                  (off_t) (off + done));
        if (n <= 0) {
            return icetap_error_sys(err, ICETAP_IO, 0,
                                    "read of a temporary file failed");
        }
    }

    return ICETAP_OK;
}


static FILE *
icetap_rw_tmpfile(icetap_rw_t *rw)
{
    int          fd;
    char         path[1024];
    FILE        *fp;
    const char  *dir;

    dir = rw->conf.tmp_dir;
    if (dir == NULL) {
        dir = getenv("TMPDIR");
    }

    if (dir == NULL || dir[0] == '\0') {
        dir = "/tmp";
    }

    snprintf(path, sizeof(path), "%s/icetap-rewrite-XXXXXX", dir);

    fd = mkstemp(path);
    if (fd == -1) {
        icetap_error_sys(rw->err, ICETAP_IO, 0,
                         "cannot create a temporary file in %s", dir);
        return NULL;
    }

    unlink(path);

    fp = fdopen(fd, "w+");
    if (fp == NULL) {
        close(fd);
        icetap_error_sys(rw->err, ICETAP_IO, 0, "fdopen failed");
    }

    return fp;
}


static void
icetap_rw_file_free(icetap_rw_file_t *f)
{
    icetap_pq_writer_free(f->pw);

    if (f->fp) {
        fclose(f->fp);
    }

    icetap_free(f->path);
    memset(f, 0, sizeof(icetap_rw_file_t));
}


/* the partition directory of the output, as the table writer names it */

static icetap_rc
icetap_rw_dir(icetap_rw_sink_t *k, icetap_buf_t *dir)
{
    int                              n;
    char                             human[256], hex[4];
    size_t                           i, j;
    uint8_t                          c;
    icetap_rc                        rc;
    const icetap_partition_spec_t   *spec;
    const icetap_table_metadata_t   *md;

    md = k->rw->t->md;
    spec = NULL;
    rc = ICETAP_OK;

    for (i = 0; i < md->nspecs; i++) {
        if (md->specs[i].spec_id == k->spec_id) {
            spec = &md->specs[i];
        }
    }

    if (spec == NULL || spec->nfields != k->npartition) {
        return ICETAP_OK;
    }

    for (i = 0; i < spec->nfields && rc == ICETAP_OK; i++) {
        if (spec->fields[i].transform.kind == ICETAP_TRANSFORM_VOID) {
            continue;
        }

        rc = icetap_buf_append(dir, spec->fields[i].name,
                               strlen(spec->fields[i].name));
        rc |= icetap_buf_putc(dir, '=');

        n = icetap_transform_human(&spec->fields[i].transform,
                                   &k->partition[i], human, sizeof(human));
        n = icetap_min(n, (int) sizeof(human) - 1);

        for (j = 0; j < (size_t) n && rc == ICETAP_OK; j++) {
            c = (uint8_t) human[j];

            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                || (c >= '0' && c <= '9') || c == '-' || c == '_'
                || c == '.')
            {
                rc = icetap_buf_putc(dir, c);

            } else {
                snprintf(hex, sizeof(hex), "%%%02X", c);
                rc = icetap_buf_append(dir, hex, 3);
            }
        }

        rc |= icetap_buf_putc(dir, '/');
    }

    return rc == ICETAP_OK ? ICETAP_OK : ICETAP_NOMEM;
}


static icetap_rc
icetap_rw_file_open(icetap_rw_sink_t *k)
{
    icetap_rw_t              *rw;
    icetap_buf_t              dir;
    icetap_pq_writer_conf_t   pc;

    rw = k->rw;

    k->f.fp = icetap_rw_tmpfile(rw);
    if (k->f.fp == NULL) {
        return rw->err->code;
    }

    k->f.size = 0;

    icetap_pq_writer_conf_init(&pc);
    pc.row_group_size = (size_t) -1 >> 1;

    if (k->run) {
        pc.codec = ICETAP_PQ_UNCOMPRESSED;
        pc.no_dictionary = 1;

    } else {
        memset(&dir, 0, sizeof(dir));

        if (icetap_rw_dir(k, &dir) != ICETAP_OK
            || icetap_buf_putc(&dir, '\0') != ICETAP_OK)
        {
            icetap_buf_free(&dir);
            return icetap_error_set(rw->err, ICETAP_NOMEM, "out of memory");
        }

        k->f.path = icetap_table_path(rw->t,
                                      "data/%s%05u-rewrite-%s.parquet",
                                      (const char *) dir.data,
                                      rw->counter++, rw->uuid);
        icetap_buf_free(&dir);

        if (k->f.path == NULL) {
            return icetap_error_set(rw->err, ICETAP_NOMEM, "out of memory");
        }
    }

    k->f.pw = icetap_pq_writer_open(rw->ps, &pc, icetap_rw_fwrite, &k->f,
                                    rw->err);
    if (k->f.pw == NULL) {
        return rw->err->code ? rw->err->code : ICETAP_ERROR;
    }

    if (!k->run
        && icetap_pq_writer_kv(k->f.pw, "iceberg.schema", rw->schema_json)
           != ICETAP_OK)
    {
        return icetap_error_set(rw->err, ICETAP_NOMEM, "out of memory");
    }

    return ICETAP_OK;
}


static icetap_rc
icetap_rw_sink_flush(icetap_rw_sink_t *k)
{
    size_t     i;
    icetap_rc  rc;

    if (k->nrows == 0) {
        return ICETAP_OK;
    }

    if (k->f.pw == NULL) {
        rc = icetap_rw_file_open(k);
        if (rc != ICETAP_OK) {
            return rc;
        }
    }

    rc = icetap_pq_writer_columns(k->f.pw, k->cols, k->rw->nleaves,
                                  k->nrows);
    if (rc != ICETAP_OK) {
        return rc;
    }

    for (i = 0; i < k->rw->nleaves; i++) {
        icetap_rw_col_reset(&k->cols[i]);
    }

    k->nrows = 0;
    k->bytes = 0;

    return ICETAP_OK;
}


/* closes an output file: uploaded and recorded */

static icetap_rc
icetap_rw_sink_close(icetap_rw_sink_t *k)
{
    char                   *key;
    icetap_rc               rc;
    icetap_rw_t            *rw;
    icetap_table_df_t      *df, **nf;
    icetap_store_source_t   src;

    rw = k->rw;

    rc = icetap_rw_sink_flush(k);
    if (rc != ICETAP_OK || k->f.pw == NULL) {
        return rc;
    }

    rc = icetap_pq_writer_close(k->f.pw);
    if (rc != ICETAP_OK) {
        return rc;
    }

    if (k->run) {
        return ICETAP_OK;
    }

    rc = icetap_table_df_from_parquet(k->f.pw, rw->ps, k->f.path, k->spec_id,
                                      k->partition, k->npartition, &df,
                                      rw->err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    key = icetap_table_key(rw->t, k->f.path);

    if (key == NULL || fflush(k->f.fp) != 0
        || fseek(k->f.fp, 0, SEEK_SET) != 0)
    {
        icetap_free(key);
        icetap_table_df_free(df);
        return icetap_error_set(rw->err, ICETAP_IO,
                                "cannot read back a rewritten file");
    }

    src.read = icetap_rw_fread;
    src.ctx = k->f.fp;
    src.size = df->f.file_size_in_bytes;

    rc = icetap_store_put(rw->t->store, key, &src, NULL, NULL, rw->err);
    icetap_free(key);

    if (rc == ICETAP_OK
        && icetap_rw_grow((void **) &rw->out, &rw->cout, rw->nout + 1,
                          sizeof(icetap_table_df_t *)) != ICETAP_OK)
    {
        icetap_table_delete_quiet(rw->t, df->f.file_path);
        rc = icetap_error_set(rw->err, ICETAP_NOMEM, "out of memory");
    }

    if (rc != ICETAP_OK) {
        icetap_table_df_free(df);
        return rc;
    }

    nf = rw->out;
    nf[rw->nout++] = df;
    rw->res->files_added++;
    rw->res->bytes_written += (uint64_t) df->f.file_size_in_bytes;

    icetap_rw_file_free(&k->f);

    return ICETAP_OK;
}


static icetap_rc
icetap_rw_sink_init(icetap_rw_t *rw, icetap_rw_sink_t *k, int run)
{
    size_t                   i;
    const icetap_pq_node_t  *n;

    memset(k, 0, sizeof(icetap_rw_sink_t));
    k->rw = rw;
    k->run = run;
    k->rg_size = run ? icetap_min(ICETAP_RW_RUN_RG, rw->conf.row_group_size)
                     : rw->conf.row_group_size;
    k->target = run ? 0 : rw->conf.target_file_size;

    k->cols = icetap_calloc(rw->nleaves + 1, sizeof(icetap_pq_column_t));
    if (k->cols == NULL) {
        return icetap_error_set(rw->err, ICETAP_NOMEM, "out of memory");
    }

    for (i = 0; i < rw->nleaves; i++) {
        n = icetap_pq_schema_leaf(rw->ps, (int) i);
        k->cols[i].leaf = (int) i;
        k->cols[i].physical = n->physical;
    }

    return ICETAP_OK;
}


static void
icetap_rw_sink_free(icetap_rw_sink_t *k)
{
    size_t  i;

    if (k->cols) {
        for (i = 0; i < k->rw->nleaves; i++) {
            icetap_rw_col_free(&k->cols[i]);
        }
    }

    icetap_free(k->cols);
    icetap_rw_file_free(&k->f);
    k->cols = NULL;
}


/* after rows were added: a row group or a file complete? */

static icetap_rc
icetap_rw_sink_check(icetap_rw_sink_t *k)
{
    icetap_rc  rc;

    if (k->bytes >= k->rg_size) {
        rc = icetap_rw_sink_flush(k);
        if (rc != ICETAP_OK) {
            return rc;
        }
    }

    if (k->target && k->f.pw
        && icetap_pq_writer_size(k->f.pw) + k->bytes / 4 >= k->target)
    {
        return icetap_rw_sink_close(k);
    }

    return ICETAP_OK;
}


/* column j of rows [r0, r1) of a source to the sink */

static icetap_rc
icetap_rw_put_col(icetap_rw_sink_t *k, size_t j, icetap_rw_src_t *s,
    size_t r0, size_t r1)
{
    int                  m, null;
    size_t               e0, e1, v0, v1, d0, d1, w, r, i;
    int64_t              x;
    uint32_t             base;
    icetap_pq_column_t  *o, *c;

    o = &k->cols[j];
    m = s->map[j];

    if (m < 0) {
        if (icetap_rw_col_reserve(o, r1 - r0, r1 - r0, 0) != ICETAP_OK) {
            return icetap_error_set(k->rw->err, ICETAP_NOMEM,
                                    "out of memory");
        }

        for (r = r0; r < r1; r++) {
            null = 1;
            x = 0;

            if (m == ICETAP_RW_ROW_ID) {
                c = s->rowid_leaf >= 0 ? &s->cols[s->rowid_leaf] : NULL;

                if (c && c->def[s->rent[s->rowid_leaf][r]]) {
                    x = ((int64_t *) c->values)
                        [s->rval[s->rowid_leaf][r]];
                    null = 0;

                } else if (s->first_row_id != ICETAP_UNSET) {
                    x = s->first_row_id + s->first_pos + (int64_t) r;
                    null = 0;
                }

            } else if (m == ICETAP_RW_SEQ) {
                c = s->seq_leaf >= 0 ? &s->cols[s->seq_leaf] : NULL;

                if (c && c->def[s->rent[s->seq_leaf][r]]) {
                    x = ((int64_t *) c->values)[s->rval[s->seq_leaf][r]];
                    null = 0;

                } else if (s->first_row_id != ICETAP_UNSET) {
                    x = s->seq;
                    null = 0;
                }
            }

            o->rep[o->num_entries] = 0;
            o->def[o->num_entries] = null ? 0 : 1;
            o->num_entries++;

            if (!null) {
                ((int64_t *) o->values)[o->num_values++] = x;
            }
        }

        k->bytes += (r1 - r0) * 10;
        return ICETAP_OK;
    }

    c = &s->cols[m];
    e0 = s->rent[m][r0];
    e1 = s->rent[m][r1];
    v0 = s->rval[m][r0];
    v1 = s->rval[m][r1];
    w = icetap_rw_width(c->physical);
    d0 = d1 = 0;

    /* a chunk of nulls only may come without offsets */

    if (w == 0 && c->offsets != NULL && v1 > v0) {
        d0 = c->offsets[v0];
        d1 = c->offsets[v1];
    }

    if (icetap_rw_col_reserve(o, e1 - e0, v1 - v0, d1 - d0)
        != ICETAP_OK)
    {
        return icetap_error_set(k->rw->err, ICETAP_NOMEM,
                                "out of memory");
    }

    if (e1 - e0 == 1 && v1 - v0 <= 1) {
        /*
         * One value of a flat column: the sort's case, row by row,
         * where a library call per byte range would cost more than
         * the copy.
         */

        o->rep[o->num_entries] = c->rep ? c->rep[e0] : 0;
        o->def[o->num_entries] = c->def ? c->def[e0] : 0;
        o->num_entries++;
        k->bytes += 2;

        if (v1 == v0) {
            return ICETAP_OK;
        }

        switch (w) {

        case 8:
            memcpy((uint8_t *) o->values + o->num_values * 8,
                   (uint8_t *) c->values + v0 * 8, 8);
            break;

        case 4:
            memcpy((uint8_t *) o->values + o->num_values * 4,
                   (uint8_t *) c->values + v0 * 4, 4);
            break;

        case 0:
            if (d1 - d0 <= 16) {
                for (i = 0; i < d1 - d0; i++) {
                    o->data[o->data_len + i] = c->data[d0 + i];
                }

            } else {
                memcpy(o->data + o->data_len, c->data + d0, d1 - d0);
            }

            o->data_len += d1 - d0;
            o->offsets[o->num_values + 1] = (uint32_t) o->data_len;
            k->bytes += 4;
            break;

        default:
            memcpy((uint8_t *) o->values + o->num_values * w,
                   (uint8_t *) c->values + v0 * w, w);
        }

        k->bytes += w ? w : d1 - d0;
        o->num_values++;
        return ICETAP_OK;
    }

    if (c->rep) {
        memcpy(o->rep + o->num_entries, c->rep + e0, e1 - e0);
    } else {
        memset(o->rep + o->num_entries, 0, e1 - e0);
    }

    if (c->def) {
        memcpy(o->def + o->num_entries, c->def + e0, e1 - e0);
    } else {
        memset(o->def + o->num_entries, 0, e1 - e0);
    }

    o->num_entries += e1 - e0;

    if (w && v1 > v0) {
        memcpy((uint8_t *) o->values + o->num_values * w,
               (uint8_t *) c->values + v0 * w, (v1 - v0) * w);
        k->bytes += (v1 - v0) * w;

    } else if (v1 > v0) {
        memcpy(o->data + o->data_len, c->data + d0, d1 - d0);
        base = (uint32_t) o->data_len - (uint32_t) d0;

        for (i = v0; i < v1; i++) {
            o->offsets[o->num_values + (i - v0) + 1] =
                c->offsets[i + 1] + base;
        }

        o->data_len += d1 - d0;
        k->bytes += (d1 - d0) + (v1 - v0) * 4;
    }

    o->num_values += v1 - v0;
    k->bytes += (e1 - e0) * 2;

    return ICETAP_OK;
}


/* rows r0..r1 of a source appended to the sink's columns */

static icetap_rc
icetap_rw_put_range(icetap_rw_sink_t *k, icetap_rw_src_t *s, size_t r0,
    size_t r1)
{
    size_t     j;
    icetap_rc  rc;

    for (j = 0; j < k->rw->nleaves; j++) {
        rc = icetap_rw_put_col(k, j, s, r0, r1);
        if (rc != ICETAP_OK) {
            return rc;
        }
    }

    k->nrows += (int64_t) (r1 - r0);
    k->rw->res->rows += (int64_t) (r1 - r0);

    return ICETAP_OK;
}


/* the live rows of a source, in live ranges */

static icetap_rc
icetap_rw_put_live(icetap_rw_sink_t *k, icetap_rw_src_t *s)
{
    size_t     r0, r1;
    icetap_rc  rc;

    r0 = 0;

    while (r0 < s->nrows) {
        if (s->live && !s->live[r0]) {
            r0++;
            continue;
        }

        r1 = r0 + 1;

        while (r1 < s->nrows && (s->live == NULL || s->live[r1])
               && r1 - r0 < 4096)
        {
            r1++;
        }

        rc = icetap_rw_put_range(k, s, r0, r1);
        if (rc == ICETAP_OK) {
            rc = icetap_rw_sink_check(k);
        }

        if (rc != ICETAP_OK) {
            return rc;
        }

        r0 = r1;
    }

    return ICETAP_OK;
}


/* sort keys */


static uint64_t
icetap_rw_norm(const icetap_pq_column_t *c, size_t v, int null)
{
    size_t    i, n;
    int64_t   x;
    uint64_t  u;
    uint32_t  u32;
    double    d;
    float     f;

    if (null) {
        return 0;
    }

    switch (c->physical) {

    case ICETAP_PQ_PHYS_BOOLEAN:
        return ((uint8_t *) c->values)[v] ? UINT64_C(1) << 63 : 1;

    case ICETAP_PQ_PHYS_INT32:
        x = ((int32_t *) c->values)[v];
        return (uint64_t) x ^ (UINT64_C(1) << 63);

    case ICETAP_PQ_PHYS_INT64:
        x = ((int64_t *) c->values)[v];
        return (uint64_t) x ^ (UINT64_C(1) << 63);

    case ICETAP_PQ_PHYS_FLOAT:
        f = ((float *) c->values)[v];
        memcpy(&u32, &f, 4);
        u32 = (u32 & 0x80000000u) ? ~u32 : (u32 | 0x80000000u);
        return (uint64_t) u32 << 32;

    case ICETAP_PQ_PHYS_DOUBLE:
        d = ((double *) c->values)[v];
        memcpy(&u, &d, 8);
        return (u & (UINT64_C(1) << 63)) ? ~u : (u | (UINT64_C(1) << 63));

    default:
        u = 0;
        n = c->offsets[v + 1] - c->offsets[v];

        for (i = 0; i < 8; i++) {
            u = (u << 8) | (i < n ? c->data[c->offsets[v] + i] : 0);
        }

        return u;
    }
}


/* the value of an output key leaf in row r: column and value index */

static const icetap_pq_column_t *
icetap_rw_keyval(icetap_rw_src_t *s, int leaf, size_t r, size_t *v,
    int *null)
{
    int                        m;
    const icetap_pq_column_t  *c;

    m = s->map[leaf];
    *null = 1;

    if (m < 0) {
        return NULL;
    }

    c = &s->cols[m];

    /* a top-level column: one entry per row, a value unless null */

    if (s->rval[m][r + 1] == s->rval[m][r]) {
        return c;
    }

    *v = s->rval[m][r];
    *null = 0;

    return c;
}


static void
icetap_rw_zkey(icetap_rw_t *rw, icetap_rw_src_t *s, size_t r, uint8_t *z)
{
    int                        null;
    size_t                     i, b, bit, nk;
    size_t                     v;
    uint64_t                   u[ICETAP_RW_MAXKEYS];
    const icetap_pq_column_t  *c;

    nk = rw->nkeys;

    for (i = 0; i < nk; i++) {
        v = 0;
        c = icetap_rw_keyval(s, rw->keys[i].leaf, r, &v, &null);
        u[i] = c ? icetap_rw_norm(c, v, null) : 0;
    }

    memset(z, 0, ICETAP_RW_MAXKEYS * 8);
    bit = 0;

    for (b = 64; b-- > 0; ) {
        for (i = 0; i < nk; i++, bit++) {
            if ((u[i] >> b) & 1) {
                z[bit >> 3] |= (uint8_t) (0x80 >> (bit & 7));
            }
        }
    }
}


/*
 * The first key as an order-preserving 64-bit prefix: exact for numbers,
 * the first 8 bytes of strings; rows whose prefixes tie are compared in
 * full.
 */

static uint64_t
icetap_rw_k0(icetap_rw_t *rw, icetap_rw_src_t *s, size_t r)
{
    int                        null;
    size_t                     v;
    uint64_t                   u;
    const icetap_pq_column_t  *c;

    v = 0;
    c = icetap_rw_keyval(s, rw->keys[0].leaf, r, &v, &null);

    if (c == NULL || null) {
        return rw->keys[0].nulls_last ? UINT64_MAX : 0;
    }

    u = icetap_rw_norm(c, v, 0);

    return rw->keys[0].desc ? ~u : u;
}


static int
icetap_rw_cmp_rows(icetap_rw_t *rw, icetap_rw_src_t *a, size_t ra,
    icetap_rw_src_t *b, size_t rb)
{
    int                        na, nb, c;
    size_t                     i, va, vb, la, lb;
    const icetap_pq_column_t  *ca, *cb;

    for (i = 0; i < rw->nkeys; i++) {
        va = vb = 0;
        ca = icetap_rw_keyval(a, rw->keys[i].leaf, ra, &va, &na);
        cb = icetap_rw_keyval(b, rw->keys[i].leaf, rb, &vb, &nb);
        na = na || ca == NULL;
        nb = nb || cb == NULL;

        if (na || nb) {
            if (na && nb) {
                continue;
            }

            c = na ? -1 : 1;
            return rw->keys[i].nulls_last ? -c : c;
        }

        switch (ca->physical) {

        case ICETAP_PQ_PHYS_BOOLEAN:
            c = (int) ((uint8_t *) ca->values)[va]
                - (int) ((uint8_t *) cb->values)[vb];
            break;

        case ICETAP_PQ_PHYS_INT32:
            c = ((int32_t *) ca->values)[va] < ((int32_t *) cb->values)[vb]
                ? -1
                : ((int32_t *) ca->values)[va] > ((int32_t *) cb->values)[vb];
            break;

        case ICETAP_PQ_PHYS_INT64:
            c = ((int64_t *) ca->values)[va] < ((int64_t *) cb->values)[vb]
                ? -1
                : ((int64_t *) ca->values)[va] > ((int64_t *) cb->values)[vb];
            break;

        case ICETAP_PQ_PHYS_FLOAT:
            c = ((float *) ca->values)[va] < ((float *) cb->values)[vb]
                ? -1
                : ((float *) ca->values)[va] > ((float *) cb->values)[vb];
            break;

        case ICETAP_PQ_PHYS_DOUBLE:
            c = ((double *) ca->values)[va] < ((double *) cb->values)[vb]
                ? -1
                : ((double *) ca->values)[va] > ((double *) cb->values)[vb];
            break;

        default:
            la = ca->offsets[va + 1] - ca->offsets[va];
            lb = cb->offsets[vb + 1] - cb->offsets[vb];
            c = memcmp(ca->data + ca->offsets[va], cb->data + cb->offsets[vb],
                       icetap_min(la, lb));
            if (c == 0) {
                c = la < lb ? -1 : la > lb;
            }
        }

        if (c != 0) {
            c = c < 0 ? -1 : 1;
            return rw->keys[i].desc ? -c : c;
        }
    }

    return 0;
}


/* the in-memory phase: rows of held sources sorted into a run or out */

typedef struct {
    uint64_t                   k0;
    uint32_t                   src;
    uint32_t                   row;
    uint8_t                   *z;
} icetap_rw_ref_t;


typedef struct {
    icetap_rw_t               *rw;
    icetap_rw_src_t           *srcs;
} icetap_rw_sortctx_t;


static int
icetap_rw_ref_cmp(const void *pa, const void *pb, void *ctx)
{
    int                        c;
    icetap_rw_sortctx_t       *sc;
    const icetap_rw_ref_t     *a, *b;

    sc = ctx;
    a = pa;
    b = pb;

    if (sc->rw->zorder) {
        c = memcmp(a->z, b->z, ICETAP_RW_MAXKEYS * 8);

    } else if (a->k0 != b->k0) {
        return a->k0 < b->k0 ? -1 : 1;

    } else {
        c = icetap_rw_cmp_rows(sc->rw, &sc->srcs[a->src], a->row,
                               &sc->srcs[b->src], b->row);
    }

    if (c == 0) {
        /* stable: input order */
        c = a->src != b->src ? (a->src < b->src ? -1 : 1)
                             : (a->row < b->row ? -1 : a->row > b->row);
    }

    return c;
}


/*
 * A stable LSD radix sort of the refs by k0, a byte at a time; a byte
 * that all refs share costs no pass.  The refs come in input order, so
 * equal prefixes stay in input order.
 */

static icetap_rc
icetap_rw_radix(icetap_rw_ref_t *refs, size_t n)
{
    size_t            i, b, sum, t, (*cnt)[256];
    icetap_rw_ref_t  *tmp, *from, *to, *x;

    if (n < 2) {
        return ICETAP_OK;
    }

    tmp = icetap_alloc(n * sizeof(icetap_rw_ref_t));
    cnt = icetap_calloc(8, sizeof(*cnt));

    if (tmp == NULL || cnt == NULL) {
        icetap_free(tmp);
        icetap_free(cnt);
        return ICETAP_NOMEM;
    }

    for (i = 0; i < n; i++) {
        for (b = 0; b < 8; b++) {
            cnt[b][(refs[i].k0 >> (b * 8)) & 0xff]++;
        }
    }

    from = refs;
    to = tmp;

    for (b = 0; b < 8; b++) {
        if (cnt[b][(refs[0].k0 >> (b * 8)) & 0xff] == n) {
            continue;
        }

        sum = 0;
        for (i = 0; i < 256; i++) {
            t = cnt[b][i];
            cnt[b][i] = sum;
            sum += t;
        }

        for (i = 0; i < n; i++) {
            to[cnt[b][(from[i].k0 >> (b * 8)) & 0xff]++] = from[i];
        }

        x = from;
        from = to;
        to = x;
    }

    if (from != refs) {
        memcpy(refs, from, n * sizeof(icetap_rw_ref_t));
    }

    icetap_free(tmp);
    icetap_free(cnt);

    return ICETAP_OK;
}


/*
 * Column j of sorted rows refs[0..n) to the sink.  A source column that
 * is flat and has no nulls keeps row r in entry r and value r, with a
 * repetition level of 0 and one definition level for all: only the value
 * itself is read, not the row's entry and value indexes and its levels
 * (each a cache miss at a random row).  Other columns take the general
 * way.
 */

static icetap_rc
icetap_rw_gather_col(icetap_rw_sink_t *k, size_t j, icetap_rw_src_t *srcs,
    const icetap_rw_ref_t *refs, size_t n)
{
    int                  m;
    size_t               i, r, w, d0, d1, len;
    icetap_rc            rc;
    icetap_rw_src_t     *s;
    icetap_pq_column_t  *o, *c;

    o = &k->cols[j];
    w = icetap_rw_width(o->physical);

    if (w && icetap_rw_col_reserve(o, n, n, 0) != ICETAP_OK) {
        return icetap_error_set(k->rw->err, ICETAP_NOMEM, "out of memory");
    }

    for (i = 0; i < n; i++) {
        s = &srcs[refs[i].src];
        r = refs[i].row;
        m = s->map[j];
        c = m >= 0 ? &s->cols[m] : NULL;

        if (c == NULL || c->num_entries != s->nrows
            || c->num_values != s->nrows
            || icetap_rw_width(c->physical) != w)
        {
            rc = icetap_rw_put_col(k, j, s, r, r + 1);
            if (rc != ICETAP_OK) {
                return rc;
            }

            continue;
        }

        if (w == 0) {
            d0 = c->offsets[r];
            d1 = c->offsets[r + 1];
            len = d1 - d0;

            if (icetap_rw_col_reserve(o, 1, 1, len) != ICETAP_OK) {
                return icetap_error_set(k->rw->err, ICETAP_NOMEM,
                                        "out of memory");
            }

            memcpy(o->data + o->data_len, c->data + d0, len);
            o->data_len += len;
            o->offsets[o->num_values + 1] = (uint32_t) o->data_len;
            k->bytes += len + 4;

        } else if (w == 8) {
            ((uint64_t *) o->values)[o->num_values] =
                ((uint64_t *) c->values)[r];

        } else if (w == 4) {
            ((uint32_t *) o->values)[o->num_values] =
                ((uint32_t *) c->values)[r];

        } else {
            memcpy((uint8_t *) o->values + o->num_values * w,
                   (uint8_t *) c->values + r * w, w);
        }

        o->rep[o->num_entries] = 0;
        o->def[o->num_entries] = c->def ? c->def[0] : 0;
        o->num_entries++;
        o->num_values++;
        k->bytes += 2 + w;
    }

    return ICETAP_OK;
}


static icetap_rc
icetap_rw_sort_out(icetap_rw_t *rw, icetap_rw_src_t *srcs, size_t nsrcs,
    icetap_rw_sink_t *k)
{
    size_t                n, i, r, j, b;
    uint8_t              *zmem;
    icetap_rc             rc;
    icetap_rw_ref_t      *refs;
    icetap_rw_sortctx_t   sc;

    n = 0;
    for (i = 0; i < nsrcs; i++) {
        n += srcs[i].nrows;
    }

    refs = icetap_alloc((n + 1) * sizeof(icetap_rw_ref_t));
    zmem = rw->zorder ? icetap_alloc((n + 1) * ICETAP_RW_MAXKEYS * 8) : NULL;

    if (refs == NULL || (rw->zorder && zmem == NULL)) {
        icetap_free(refs);
        icetap_free(zmem);
        return icetap_error_set(rw->err, ICETAP_NOMEM, "out of memory");
    }

    n = 0;

    for (i = 0; i < nsrcs; i++) {
        for (r = 0; r < srcs[i].nrows; r++) {
            if (srcs[i].live && !srcs[i].live[r]) {
                continue;
            }

            refs[n].src = (uint32_t) i;
            refs[n].row = (uint32_t) r;
            refs[n].z = NULL;

            if (zmem) {
                refs[n].z = zmem + n * ICETAP_RW_MAXKEYS * 8;
                icetap_rw_zkey(rw, &srcs[i], r, refs[n].z);

            } else {
                refs[n].k0 = icetap_rw_k0(rw, &srcs[i], r);
            }

            n++;
        }
    }

    sc.rw = rw;
    sc.srcs = srcs;

    if (rw->zorder) {
        qsort_r(refs, n, sizeof(icetap_rw_ref_t), icetap_rw_ref_cmp, &sc);

    } else if (icetap_rw_radix(refs, n) != ICETAP_OK) {
        icetap_free(refs);
        return icetap_error_set(rw->err, ICETAP_NOMEM, "out of memory");

    } else {
        /*
         * Rows of equal first-key prefixes (long strings, further keys,
         * a null beside an extreme value) are ordered by the whole keys,
         * as the comparator orders them.
         */

        for (i = 0; i < n; i = r) {
            for (r = i + 1; r < n && refs[r].k0 == refs[i].k0; r++) {
                /* void */
            }

            if (r - i > 1) {
                qsort_r(refs + i, r - i, sizeof(icetap_rw_ref_t),
                        icetap_rw_ref_cmp, &sc);
            }
        }
    }

    /*
     * The sorted rows go out in batches, column by column: one column of
     * the sources is the working set at a time, not every column of a
     * random row.
     */

    rc = ICETAP_OK;

    for (i = 0; i < n && rc == ICETAP_OK; i += b) {
        b = icetap_min(n - i, ICETAP_RW_GATHER);

        for (j = 0; j < rw->nleaves && rc == ICETAP_OK; j++) {
            rc = icetap_rw_gather_col(k, j, srcs, refs + i, b);
        }

        if (rc == ICETAP_OK) {
            k->nrows += (int64_t) b;
            rw->res->rows += (int64_t) b;
            rc = icetap_rw_sink_check(k);
        }
    }

    icetap_free(refs);
    icetap_free(zmem);

    return rc;
}


/* the merge phase: cursors over sorted runs */

typedef struct {
    FILE                      *fp;
    icetap_pq_reader_t        *r;
    int                        rg;
    int                        nrgs;
    size_t                     row;
    icetap_rw_src_t            s;
    int                       *map;
    int                        rowid_leaf;
    int                        seq_leaf;
    uint64_t                   k0;
    uint8_t                    z[ICETAP_RW_MAXKEYS * 8];
} icetap_rw_cursor_t;


static icetap_rc
icetap_rw_cursor_load(icetap_rw_t *rw, icetap_rw_cursor_t *cu)
{
    icetap_rc  rc;

    for ( ;; ) {
        icetap_rw_src_free(&cu->s);

        if (cu->rg >= cu->nrgs) {
            return ICETAP_EOF;
        }

        rc = icetap_rw_src_load(rw, cu->r, cu->rg++, &cu->s);
        if (rc != ICETAP_OK) {
            return rc;
        }

        cu->s.map = cu->map;
        cu->s.first_row_id = ICETAP_UNSET;
        cu->s.rowid_leaf = cu->rowid_leaf;
        cu->s.seq_leaf = cu->seq_leaf;
        cu->row = 0;

        if (cu->s.nrows) {
            if (rw->zorder) {
                icetap_rw_zkey(rw, &cu->s, 0, cu->z);

            } else {
                cu->k0 = icetap_rw_k0(rw, &cu->s, 0);
            }

            return ICETAP_OK;
        }
    }
}


static int
icetap_rw_cursor_cmp(icetap_rw_t *rw, icetap_rw_cursor_t *a,
    icetap_rw_cursor_t *b)
{
    int  c;

    if (rw->zorder) {
        c = memcmp(a->z, b->z, sizeof(a->z));

    } else if (a->k0 != b->k0) {
        return a->k0 < b->k0 ? -1 : 1;

    } else {
        c = icetap_rw_cmp_rows(rw, &a->s, a->row, &b->s, b->row);
    }

    return c ? c : (a < b ? -1 : 1);
}


static void
icetap_rw_heap_down(icetap_rw_t *rw, icetap_rw_cursor_t **h, size_t n,
    size_t i)
{
    size_t               l, m;
    icetap_rw_cursor_t  *tmp;

    for ( ;; ) {
        l = 2 * i + 1;
        m = i;

        if (l < n && icetap_rw_cursor_cmp(rw, h[l], h[m]) < 0) {
            m = l;
        }

        if (l + 1 < n && icetap_rw_cursor_cmp(rw, h[l + 1], h[m]) < 0) {
            m = l + 1;
        }

        if (m == i) {
            return;
        }

        tmp = h[i];
        h[i] = h[m];
        h[m] = tmp;
        i = m;
    }
}


/* merges runs (read-only files of the output schema) into the sink */

static icetap_rc
icetap_rw_merge(icetap_rw_t *rw, FILE **runs, size_t nruns,
    icetap_rw_sink_t *k)
{
    size_t                i, n;
    long                  size;
    icetap_rc             rc;
    icetap_rw_cursor_t   *cu, **heap;

    cu = icetap_calloc(nruns + 1, sizeof(icetap_rw_cursor_t));
    heap = icetap_calloc(nruns + 1, sizeof(icetap_rw_cursor_t *));

    if (cu == NULL || heap == NULL) {
        icetap_free(cu);
        icetap_free(heap);
        return icetap_error_set(rw->err, ICETAP_NOMEM, "out of memory");
    }

    rc = ICETAP_OK;
    n = 0;

    for (i = 0; i < nruns && rc == ICETAP_OK; i++) {
        cu[i].fp = runs[i];

        if (fseek(runs[i], 0, SEEK_END) != 0
            || (size = ftell(runs[i])) < 0)
        {
            rc = icetap_error_sys(rw->err, ICETAP_IO, 0,
                                  "a sort run cannot be read");
            break;
        }

        cu[i].r = icetap_pq_reader_open(icetap_rw_pread, runs[i],
                                        (uint64_t) size, rw->err);
        cu[i].map = icetap_calloc(rw->nleaves + 1, sizeof(int));

        if (cu[i].r == NULL || cu[i].map == NULL) {
            rc = cu[i].r == NULL ? rw->err->code
                 : icetap_error_set(rw->err, ICETAP_NOMEM, "out of memory");
            break;
        }

        rc = icetap_rw_map(rw, icetap_pq_reader_schema(cu[i].r), cu[i].map,
                           &cu[i].rowid_leaf, &cu[i].seq_leaf);
        if (rc != ICETAP_OK) {
            break;
        }

        cu[i].nrgs = icetap_pq_reader_row_groups(cu[i].r);

        rc = icetap_rw_cursor_load(rw, &cu[i]);
        if (rc == ICETAP_EOF) {
            rc = ICETAP_OK;
            continue;
        }

        heap[n++] = &cu[i];
    }

    if (rc == ICETAP_OK) {
        for (i = n / 2; i-- > 0; ) {
            icetap_rw_heap_down(rw, heap, n, i);
        }
    }

    while (rc == ICETAP_OK && n > 0) {
        rc = icetap_rw_put_range(k, &heap[0]->s, heap[0]->row,
                                 heap[0]->row + 1);
        if (rc == ICETAP_OK) {
            rc = icetap_rw_sink_check(k);
        }

        if (rc != ICETAP_OK) {
            break;
        }

        /* the rows of runs were counted once already */
        rw->res->rows--;

        if (++heap[0]->row < heap[0]->s.nrows) {
            if (rw->zorder) {
                icetap_rw_zkey(rw, &heap[0]->s, heap[0]->row, heap[0]->z);

            } else {
                heap[0]->k0 = icetap_rw_k0(rw, &heap[0]->s, heap[0]->row);
            }

        } else {
            rc = icetap_rw_cursor_load(rw, heap[0]);

            if (rc == ICETAP_EOF) {
                rc = ICETAP_OK;
                heap[0] = heap[--n];
            }
        }

        icetap_rw_heap_down(rw, heap, n, 0);
    }

    for (i = 0; i < nruns; i++) {
        icetap_rw_src_free(&cu[i].s);
        icetap_pq_reader_free(cu[i].r);
        icetap_free(cu[i].map);
    }

    icetap_free(cu);
    icetap_free(heap);

    return rc;
}


/* one group of files of a partition */

typedef struct {
    icetap_rw_t               *rw;
    icetap_rw_sink_t           out;
    icetap_rw_src_t           *held;        /* sort: sources in memory */
    size_t                     nheld;
    size_t                     cheld;
    size_t                     held_bytes;
    FILE                     **runs;
    size_t                     nruns;
    size_t                     cruns;
} icetap_rw_group_t;


static icetap_rc
icetap_rw_spill(icetap_rw_group_t *g)
{
    size_t             i;
    icetap_rc          rc;
    icetap_rw_sink_t   run;
    icetap_rw_t       *rw;

    rw = g->rw;

    if (g->nheld == 0) {
        return ICETAP_OK;
    }

    rc = icetap_rw_sink_init(rw, &run, 1);

    if (rc == ICETAP_OK) {
        rc = icetap_rw_sort_out(rw, g->held, g->nheld, &run);
    }

    if (rc == ICETAP_OK) {
        rc = icetap_rw_sink_close(&run);
    }

    if (rc == ICETAP_OK
        && icetap_rw_grow((void **) &g->runs, &g->cruns, g->nruns + 1,
                          sizeof(FILE *)) != ICETAP_OK)
    {
        rc = icetap_error_set(rw->err, ICETAP_NOMEM, "out of memory");
    }

    /* a run of deleted rows only is no run */

    if (rc == ICETAP_OK && run.f.fp != NULL) {
        g->runs[g->nruns++] = run.f.fp;
        run.f.fp = NULL;
        rw->res->runs++;
        /* rows are counted again when merged */
    }

    icetap_rw_sink_free(&run);

    for (i = 0; i < g->nheld; i++) {
        icetap_free((int *) g->held[i].map);
        icetap_rw_src_free(&g->held[i]);
    }

    g->nheld = 0;
    g->held_bytes = 0;

    return rc;
}


/* merges runs down to at most ICETAP_RW_FANIN */

static icetap_rc
icetap_rw_reduce_runs(icetap_rw_group_t *g)
{
    size_t             i, n;
    icetap_rc          rc;
    icetap_rw_sink_t   run;
    icetap_rw_t       *rw;

    rw = g->rw;

    while (g->nruns > ICETAP_RW_FANIN) {
        n = ICETAP_RW_FANIN;

        rc = icetap_rw_sink_init(rw, &run, 1);

        if (rc == ICETAP_OK) {
            rc = icetap_rw_merge(rw, g->runs, n, &run);
        }

        if (rc == ICETAP_OK) {
            rc = icetap_rw_sink_close(&run);
        }

        if (rc != ICETAP_OK) {
            icetap_rw_sink_free(&run);
            return rc;
        }

        for (i = 0; i < n; i++) {
            fclose(g->runs[i]);
        }

        memmove(g->runs, g->runs + n, (g->nruns - n) * sizeof(FILE *));
        g->nruns -= n;
        g->runs[g->nruns++] = run.f.fp;
        run.f.fp = NULL;
        icetap_rw_sink_free(&run);
    }

    return ICETAP_OK;
}


/* one input file into the group */

static icetap_rc
icetap_rw_file(icetap_rw_group_t *g, icetap_rw_in_t *in)
{
    int                    rg, nrgs, rl, sl, *map;
    char                   why[160];
    size_t                 r;
    int64_t                pos;
    icetap_rc              rc;
    icetap_rw_t           *rw;
    icetap_rw_src_t        s, *h;
    icetap_pq_reader_t    *pr;
    icetap_table_pqsrc_t   src;

    rw = g->rw;

    rc = icetap_table_pq_open(rw->t, in->df->f.file_path,
                              in->df->f.file_size_in_bytes, &src, &pr,
                              rw->err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    rw->res->bytes_read += (uint64_t) in->df->f.file_size_in_bytes;
    rw->res->files_rewritten++;
    rw->res->rows_deleted += (int64_t) in->ndeleted;

    /* bin-pack: whole row groups when nothing changes in them */

    if (rw->nkeys == 0 && !rw->conf.no_copy && in->deleted == NULL
        && icetap_pq_schema_equal(rw->ps, icetap_pq_reader_schema(pr), why,
                                  sizeof(why)))
    {
        rc = icetap_rw_sink_flush(&g->out);

        if (rc == ICETAP_OK && g->out.f.pw
            && icetap_pq_writer_size(g->out.f.pw)
               + (uint64_t) in->df->f.file_size_in_bytes
               > g->out.target
            && icetap_pq_writer_rows(g->out.f.pw) > 0)
        {
            rc = icetap_rw_sink_close(&g->out);
        }

        if (rc == ICETAP_OK && g->out.f.pw == NULL) {
            rc = icetap_rw_file_open(&g->out);
        }

        if (rc == ICETAP_OK) {
            rc = icetap_pq_writer_append(g->out.f.pw, pr);
        }

        if (rc == ICETAP_OK) {
            rw->res->row_groups_copied +=
                (size_t) icetap_pq_reader_row_groups(pr);
            rw->res->rows += icetap_pq_reader_rows(pr);
            rc = icetap_rw_sink_check(&g->out);
        }

        icetap_table_pq_close(&src, pr);

        return rc;
    }

    map = icetap_calloc(rw->nleaves + 1, sizeof(int));
    if (map == NULL) {
        icetap_table_pq_close(&src, pr);
        return icetap_error_set(rw->err, ICETAP_NOMEM, "out of memory");
    }

    rc = icetap_rw_map(rw, icetap_pq_reader_schema(pr), map, &rl, &sl);
    if (rc != ICETAP_OK) {
        snprintf(why, sizeof(why), "%.150s", rw->err->msg);
        icetap_error_set(rw->err, rc, "%s: %.300s", why,
                         in->df->f.file_path);
    }

    nrgs = icetap_pq_reader_row_groups(pr);
    pos = 0;

    for (rg = 0; rg < nrgs && rc == ICETAP_OK; rg++) {
        memset(&s, 0, sizeof(s));

        rc = icetap_table_pq_prefetch(&src, pr, rg, rw->err);
        if (rc == ICETAP_OK) {
            rc = icetap_rw_src_load(rw, pr, rg, &s);
        }

        s.map = map;
        s.first_pos = pos;
        s.first_row_id = rw->v3 ? in->first_row_id : ICETAP_UNSET;
        s.seq = in->seq;
        s.rowid_leaf = rl;
        s.seq_leaf = sl;
        pos += (int64_t) s.nrows;

        if (rc == ICETAP_OK && in->deleted) {
            s.live = icetap_alloc(s.nrows + 1);
            if (s.live == NULL) {
                rc = icetap_error_set(rw->err, ICETAP_NOMEM,
                                      "out of memory");
            }

            for (r = 0; rc == ICETAP_OK && r < s.nrows; r++) {
                s.live[r] = !icetap_roaring64_contains(in->deleted,
                                  (uint64_t) (s.first_pos + (int64_t) r));
            }
        }

        if (rc != ICETAP_OK) {
            icetap_rw_src_free(&s);
            break;
        }

        if (rw->nkeys == 0) {
            rc = icetap_rw_put_live(&g->out, &s);
            icetap_rw_src_free(&s);
            continue;
        }

        /* sorting: hold it; spill a run when the memory is used */

        if (icetap_rw_grow((void **) &g->held, &g->cheld, g->nheld + 1,
                           sizeof(icetap_rw_src_t)) != ICETAP_OK)
        {
            icetap_rw_src_free(&s);
            rc = icetap_error_set(rw->err, ICETAP_NOMEM, "out of memory");
            break;
        }

        h = &g->held[g->nheld++];
        *h = s;

        /* the map outlives this file: each held source gets its own */

        h->map = icetap_alloc((rw->nleaves + 1) * sizeof(int));
        if (h->map == NULL) {
            rc = icetap_error_set(rw->err, ICETAP_NOMEM, "out of memory");
            break;
        }

        memcpy((int *) h->map, map, rw->nleaves * sizeof(int));
        g->held_bytes += s.bytes;

        if (g->held_bytes >= rw->conf.memory) {
            rc = icetap_rw_spill(g);
        }
    }

    icetap_free(map);
    icetap_table_pq_close(&src, pr);

    return rc;
}


static void
icetap_rw_group_free(icetap_rw_group_t *g)
{
    size_t  i;

    for (i = 0; i < g->nheld; i++) {
        icetap_free((int *) g->held[i].map);
        icetap_rw_src_free(&g->held[i]);
    }

    for (i = 0; i < g->nruns; i++) {
        fclose(g->runs[i]);
    }

    icetap_free(g->held);
    icetap_free(g->runs);
    icetap_rw_sink_free(&g->out);
}


static icetap_rc
icetap_rw_group(icetap_rw_t *rw, int group)
{
    size_t             i;
    icetap_rc          rc;
    icetap_rw_in_t    *first;
    icetap_rw_group_t  g;

    memset(&g, 0, sizeof(g));
    g.rw = rw;
    first = NULL;

    rc = icetap_rw_sink_init(rw, &g.out, 0);

    for (i = 0; i < rw->nin && rc == ICETAP_OK; i++) {
        if (rw->in[i].group != group) {
            continue;
        }

        if (first == NULL) {
            first = &rw->in[i];
            g.out.spec_id = first->df->spec_id;
            g.out.partition = first->df->f.partition;
            g.out.npartition = first->df->f.npartition;
        }

        rc = icetap_rw_file(&g, &rw->in[i]);
    }

    if (rc == ICETAP_OK && rw->nkeys) {
        if (g.nruns == 0) {
            rc = icetap_rw_sort_out(rw, g.held, g.nheld, &g.out);

        } else {
            rc = icetap_rw_spill(&g);

            if (rc == ICETAP_OK) {
                rc = icetap_rw_reduce_runs(&g);
            }

            if (rc == ICETAP_OK) {
                rc = icetap_rw_merge(rw, g.runs, g.nruns, &g.out);
            }
        }
    }

    if (rc == ICETAP_OK) {
        rc = icetap_rw_sink_close(&g.out);
    }

    for (i = 0; i < g.nheld; i++) {
        icetap_free((int *) g.held[i].map);
        g.held[i].map = NULL;
    }

    icetap_rw_group_free(&g);

    return rc;
}


/* planning */


static icetap_rc
icetap_rw_collect(void *ctx, const icetap_table_file_t *f)
{
    icetap_rw_t    *rw;
    icetap_rw_in_t *in;

    rw = ctx;

    if (rw->conf.files && !icetap_tmap_get(&rw->wanted, f->file->file_path))
    {
        return ICETAP_OK;
    }

    if (strcmp(f->file->file_format, "PARQUET") != 0
        && strcmp(f->file->file_format, "parquet") != 0)
    {
        return ICETAP_OK;
    }

    if (icetap_rw_grow((void **) &rw->in, &rw->cin, rw->nin + 1,
                       sizeof(icetap_rw_in_t)) != ICETAP_OK)
    {
        return ICETAP_NOMEM;
    }

    in = &rw->in[rw->nin];
    memset(in, 0, sizeof(icetap_rw_in_t));

    in->df = icetap_table_df_copy(f->file, f->spec_id);
    if (in->df == NULL) {
        return ICETAP_NOMEM;
    }

    in->seq = f->sequence_number;
    in->first_row_id = f->first_row_id;
    in->ndeleted = f->ndeleted;
    in->group = -1;

    if (f->deleted && f->ndeleted) {
        in->deleted = icetap_roaring64_create();
        if (in->deleted == NULL
            || icetap_roaring64_or(in->deleted, f->deleted) != ICETAP_OK)
        {
            icetap_roaring64_destroy(in->deleted);
            icetap_table_df_free(in->df);
            return ICETAP_NOMEM;
        }
    }

    rw->nin++;

    return ICETAP_OK;
}


static int32_t
icetap_rw_column_id(const icetap_schema_t *schema, const char *name)
{
    size_t  i;

    for (i = 0; i < schema->root->nfields; i++) {
        if (strcmp(schema->root->fields[i].name, name) == 0) {
            return schema->root->fields[i].id;
        }
    }

    return -1;
}


static icetap_rc
icetap_rw_add_key(icetap_rw_t *rw, int32_t id, int desc, int nulls_last)
{
    int                      leaf;
    const icetap_pq_node_t  *n;

    leaf = icetap_pq_schema_leaf_by_id(rw->ps, id);

    if (leaf < 0) {
        return icetap_error_set(rw->err, ICETAP_INVALID,
                                "sort column %d is not a primitive "
                                "top-level column", (int) id);
    }

    n = icetap_pq_schema_leaf(rw->ps, leaf);

    if (n->max_rep != 0 || n->parent != 0) {
        return icetap_error_set(rw->err, ICETAP_INVALID,
                                "sort column \"%s\" is not a primitive "
                                "top-level column", n->name);
    }

    if (rw->nkeys == ICETAP_RW_MAXKEYS) {
        return icetap_error_set(rw->err, ICETAP_INVALID,
                                "more than %d sort columns",
                                ICETAP_RW_MAXKEYS);
    }

    rw->keys[rw->nkeys].leaf = leaf;
    rw->keys[rw->nkeys].desc = desc;
    rw->keys[rw->nkeys].nulls_last = nulls_last;
    rw->nkeys++;

    return ICETAP_OK;
}


static icetap_rc
icetap_rw_keys(icetap_rw_t *rw, const icetap_schema_t *schema)
{
    size_t                      i;
    int32_t                     id;
    icetap_rc                   rc;
    const icetap_sort_order_t  *so;
    const icetap_table_metadata_t *md;

    if (rw->conf.strategy == ICETAP_REWRITE_BINPACK) {
        return ICETAP_OK;
    }

    rw->zorder = rw->conf.strategy == ICETAP_REWRITE_ZORDER;

    if (rw->conf.columns && rw->conf.ncolumns) {
        for (i = 0; i < rw->conf.ncolumns; i++) {
            id = icetap_rw_column_id(schema, rw->conf.columns[i]);
            if (id < 0) {
                return icetap_error_set(rw->err, ICETAP_INVALID,
                                        "no column \"%.200s\"",
                                        rw->conf.columns[i]);
            }

            rc = icetap_rw_add_key(rw, id, 0, 0);
            if (rc != ICETAP_OK) {
                return rc;
            }
        }

        return ICETAP_OK;
    }

    md = rw->t->md;
    so = NULL;

    for (i = 0; i < md->nsort_orders; i++) {
        if (md->sort_orders[i].order_id == md->default_sort_order_id) {
            so = &md->sort_orders[i];
        }
    }

    if (so == NULL || so->nfields == 0) {
        return icetap_error_set(rw->err, ICETAP_INVALID,
                                "the table has no sort order and no "
                                "columns were given");
    }

    /* monotonic transforms order as their source; others are refused */

    for (i = 0; i < so->nfields; i++) {
        if (so->fields[i].transform
            && strncmp(so->fields[i].transform, "bucket", 6) == 0)
        {
            return icetap_error_set(rw->err, ICETAP_INVALID,
                                    "sorting by a bucket transform is not "
                                    "supported");
        }

        rc = icetap_rw_add_key(rw, so->fields[i].source_id,
                               so->fields[i].descending,
                               so->fields[i].nulls_last);
        if (rc != ICETAP_OK) {
            return rc;
        }
    }

    return ICETAP_OK;
}


static icetap_rc
icetap_rw_groups(icetap_rw_t *rw, int *ngroups)
{
    int            n, *g;
    size_t         i, k;
    icetap_rc      rc;
    icetap_buf_t  *keys, key;

    keys = icetap_calloc(rw->nin + 1, sizeof(icetap_buf_t));
    if (keys == NULL) {
        return icetap_error_set(rw->err, ICETAP_NOMEM, "out of memory");
    }

    n = 0;
    rc = ICETAP_OK;

    for (i = 0; i < rw->nin && rc == ICETAP_OK; i++) {
        memset(&key, 0, sizeof(key));

        rc = icetap_table_partition_key(rw->in[i].df->f.partition,
                                        rw->in[i].df->f.npartition,
                                        rw->in[i].df->spec_id, &key);
        if (rc != ICETAP_OK) {
            icetap_buf_free(&key);
            rc = icetap_error_set(rw->err, rc, "out of memory");
            break;
        }

        for (k = 0; k < (size_t) n; k++) {
            if (keys[k].len == key.len
                && memcmp(keys[k].data, key.data, key.len) == 0)
            {
                break;
            }
        }

        g = &rw->in[i].group;
        *g = (int) k;

        if (k == (size_t) n) {
            keys[n++] = key;

        } else {
            icetap_buf_free(&key);
        }
    }

    for (i = 0; i < (size_t) n; i++) {
        icetap_buf_free(&keys[i]);
    }

    icetap_free(keys);
    *ngroups = n;

    return rc;
}


static void
icetap_rw_free(icetap_rw_t *rw, int delete_out)
{
    size_t  i;

    for (i = 0; i < rw->nin; i++) {
        icetap_table_df_free(rw->in[i].df);
        icetap_roaring64_destroy(rw->in[i].deleted);
    }

    for (i = 0; i < rw->nout; i++) {
        if (delete_out) {
            icetap_table_delete_quiet(rw->t, rw->out[i]->f.file_path);
        }

        icetap_table_df_free(rw->out[i]);
    }

    icetap_tmap_free(&rw->wanted, NULL);
    icetap_free(rw->in);
    icetap_free(rw->out);
    icetap_free(rw->schema_json);
    icetap_pq_schema_free(rw->ps);
}


icetap_rc
icetap_table_rewrite(icetap_table_t *t, const icetap_rewrite_conf_t *conf,
    icetap_rewrite_result_t *res, icetap_error_t *err)
{
    int                      ngroups = 0, gi;
    size_t                   i;
    int64_t                  since;
    icetap_rc                rc;
    icetap_rw_t              rw;
    const char              *eq;
    icetap_schema_t         *schema;
    icetap_snapshot_t       *snap;
    icetap_table_update_t   *u;

    memset(res, 0, sizeof(icetap_rewrite_result_t));
    res->snapshot_id = -1;

    memset(&rw, 0, sizeof(rw));
    rw.t = t;
    rw.conf = *conf;
    rw.res = res;
    rw.err = err;

    if (rw.conf.target_file_size == 0) {
        rw.conf.target_file_size = (size_t) 512 * 1024 * 1024;
    }

    if (rw.conf.row_group_size == 0) {
        rw.conf.row_group_size = (size_t) 128 * 1024 * 1024;
    }

    if (rw.conf.memory == 0) {
        rw.conf.memory = (size_t) 256 * 1024 * 1024;
    }

    rc = icetap_table_refresh(t, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    since = t->md->last_sequence_number;
    rw.v3 = t->md->format_version >= 3;

    /*
     * Equality deletes apply by sequence number: rewritten rows would get
     * a newer one and escape them.  Tables with any are left alone.
     */

    snap = icetap_metadata_current_snapshot(t->md);
    eq = snap ? icetap_kvs_get(&snap->summary, "total-equality-deletes")
              : NULL;

    if (eq != NULL && strtoll(eq, NULL, 10) > 0) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "the table has equality deletes, which the "
                                "rewrite does not apply");
    }

    schema = (icetap_schema_t *) icetap_metadata_current_schema(t->md);
    if (schema == NULL) {
        return icetap_error_set(err, ICETAP_INVALID, "no current schema");
    }

    rc = icetap_table_pq_schema_ex(schema, rw.v3, &rw.ps, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    rw.nleaves = icetap_pq_schema_leaves(rw.ps);
    rw.schema_json = icetap_schema_to_string(schema);

    if (rw.schema_json == NULL) {
        icetap_rw_free(&rw, 0);
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    rc = icetap_uuid4(rw.uuid, err);

    if (rc == ICETAP_OK) {
        rc = icetap_rw_keys(&rw, schema);
    }

    for (i = 0; rc == ICETAP_OK && conf->files && i < conf->nfiles; i++) {
        if (icetap_tmap_put(&rw.wanted, conf->files[i], &rw) != ICETAP_OK) {
            rc = icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        }
    }

    if (rc == ICETAP_OK && conf->files && rw.wanted.n != conf->nfiles) {
        rc = icetap_error_set(err, ICETAP_INVALID,
                              "a file to rewrite is given twice");
    }

    if (rc == ICETAP_OK) {
        rc = icetap_table_files(t, -1, icetap_rw_collect, &rw, err);
        if (rc == ICETAP_NOMEM) {
            icetap_error_set(err, rc, "out of memory");
        }
    }

    if (rc == ICETAP_OK && conf->files && rw.nin != conf->nfiles) {
        rc = icetap_error_set(err, ICETAP_CONFLICT,
                              "%zu of the %zu files to rewrite are not live "
                              "Parquet data files", conf->nfiles - rw.nin,
                              conf->nfiles);
    }

    if (rc == ICETAP_OK) {
        rc = icetap_rw_groups(&rw, &ngroups);
    }

    if (rc != ICETAP_OK || rw.nin == 0) {
        icetap_rw_free(&rw, 0);
        return rc;
    }

    for (gi = 0; gi < ngroups && rc == ICETAP_OK; gi++) {
        rc = icetap_rw_group(&rw, gi);
    }

    u = NULL;

    if (rc == ICETAP_OK) {
        rc = icetap_table_update_new(t, &u, err);
    }

    for (i = 0; rc == ICETAP_OK && i < rw.nin; i++) {
        rc = icetap_table_update_remove_file(u, rw.in[i].df->f.file_path,
                                             err);
    }

    for (i = 0; rc == ICETAP_OK && i < rw.nout; i++) {
        rc = icetap_table_update_add_file(u, &rw.out[i]->f, err);
    }

    if (rc == ICETAP_OK) {
        rc = icetap_table_update_operation(u, "replace", err);
    }

    /* icetap's own properties (the journal's WAL cursor) stay current */

    if (rc == ICETAP_OK) {
        rc = icetap_table_update_inherit(u, "icetap.", err);
    }

    if (rc == ICETAP_OK) {
        icetap_table_update_since(u, since);
        rc = icetap_table_update_commit(u, &res->snapshot_id, err);
    }

    icetap_table_update_free(u);
    icetap_rw_free(&rw, rc != ICETAP_OK);

    if (rc != ICETAP_OK) {
        res->snapshot_id = -1;
    }

    return rc;
}
