/*
 * Copyright (C) icetap authors
 *
 * "icetap table list", "icetap table cat" and "icetap journal status":
 * the catalog and the live rows of any table, read through the core
 * (deletes applied), and the journal helper's lag.
 *
 * The store is given by options or the environment:
 *
 *     --fs DIR                       a filesystem store rooted at DIR
 *     --endpoint URL  (ICETAP_STORE_ENDPOINT)
 *     --bucket NAME   (ICETAP_STATE_BUCKET)  the "icetap_store" bucket
 *     --region R      (AWS_REGION, default us-east-1)
 *     --addressing path|virtual      (default path)
 *
 * with the credentials of AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.
 */


#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include <icetap/catalog.h>
#include <icetap/table.h>

#include "icetap_cli.h"


typedef struct {
    const char               *fs;
    const char               *endpoint;
    const char               *bucket;
    const char               *region;
    int                       path_style;
    int64_t                   snapshot;
    int                       csv;
    char                     *args[8];
    int                       nargs;
} icetap_cli_opts_t;


/* the rows of a repeated leaf within one batch */
typedef struct {
    int                       leaf;
    size_t                   *row_start;        /* nrows + 1 entries */
    int64_t                  *vidx;             /* value index, -1 null */
} icetap_cli_rep_t;


typedef struct {
    const icetap_table_batch_t  *b;
    icetap_cli_rep_t            *reps;
    size_t                       nreps;
    icetap_error_t              *err;
} icetap_cli_batch_t;


static int icetap_cli_parse(int argc, char **argv, icetap_cli_opts_t *o);
static icetap_store_t *icetap_cli_store(const icetap_cli_opts_t *o);
static icetap_rc icetap_cli_list_one(void *ctx,
    const icetap_catalog_table_t *t);
static int icetap_cli_cat(icetap_cli_opts_t *o);
static json_t *icetap_cli_field(icetap_cli_batch_t *cb,
    const icetap_field_t *f, size_t row);
static json_t *icetap_cli_value(const icetap_type_t *t,
    const icetap_value_t *v);
static icetap_cli_rep_t *icetap_cli_rep(icetap_cli_batch_t *cb, int32_t id);
static void icetap_cli_leaf_value(const icetap_pq_column_t *c,
    const icetap_type_t *t, int64_t idx, icetap_value_t *v);
static void icetap_cli_csv(json_t *row, const icetap_schema_t *s);


void
icetap_cli_table_usage(FILE *f)
{
    fprintf(f,
        "       icetap table list [STORE]\n"
        "       icetap table cat TABLE_BUCKET NAMESPACE TABLE [STORE]\n"
        "                        [--snapshot ID] [--format jsonl|csv]\n"
        "       icetap journal status WAL_DIR\n"
        "  STORE: --fs DIR | --endpoint URL --bucket NAME [--region R]\n"
        "         [--addressing path|virtual] (or ICETAP_STORE_ENDPOINT,\n"
        "         ICETAP_STATE_BUCKET; AWS_ACCESS_KEY_ID and\n"
        "         AWS_SECRET_ACCESS_KEY)\n");
}


static int
icetap_cli_parse(int argc, char **argv, icetap_cli_opts_t *o)
{
    int          i;
    const char  *v;

    memset(o, 0, sizeof(icetap_cli_opts_t));
    o->snapshot = -1;
    o->path_style = 1;
    o->endpoint = getenv("ICETAP_STORE_ENDPOINT");
    o->bucket = getenv("ICETAP_STATE_BUCKET");
    o->region = getenv("AWS_REGION");

    for (i = 0; i < argc; i++) {
        if (strncmp(argv[i], "--", 2) != 0) {
            if (o->nargs == (int) icetap_nelems(o->args)) {
                return -1;
            }

            o->args[o->nargs++] = argv[i];
            continue;
        }

        if (i + 1 == argc) {
            return -1;
        }

        v = argv[++i];

        if (strcmp(argv[i - 1], "--fs") == 0) {
            o->fs = v;

        } else if (strcmp(argv[i - 1], "--endpoint") == 0) {
            o->endpoint = v;

        } else if (strcmp(argv[i - 1], "--bucket") == 0) {
            o->bucket = v;

        } else if (strcmp(argv[i - 1], "--region") == 0) {
            o->region = v;

        } else if (strcmp(argv[i - 1], "--addressing") == 0) {
            o->path_style = strcmp(v, "virtual") != 0;

        } else if (strcmp(argv[i - 1], "--snapshot") == 0) {
            o->snapshot = strtoll(v, NULL, 10);

        } else if (strcmp(argv[i - 1], "--format") == 0
                   && (strcmp(v, "csv") == 0 || strcmp(v, "jsonl") == 0))
        {
            o->csv = (v[0] == 'c');

        } else {
            return -1;
        }
    }

    return 0;
}


static icetap_store_t *
icetap_cli_store(const icetap_cli_opts_t *o)
{
    icetap_error_t     err;
    icetap_store_t    *s;
    icetap_s3_conf_t   c;

    if (o->fs) {
        s = icetap_store_fs_create(o->fs, &err);

    } else if (o->endpoint == NULL || o->bucket == NULL) {
        fprintf(stderr, "icetap: no store: give --fs DIR, or --endpoint "
                "URL and --bucket NAME\n");
        return NULL;

    } else {
        memset(&c, 0, sizeof(c));
        c.endpoint = o->endpoint;
        c.region = o->region;
        c.bucket = o->bucket;
        c.access_key = getenv("AWS_ACCESS_KEY_ID");
        c.secret_key = getenv("AWS_SECRET_ACCESS_KEY");
        c.session_token = getenv("AWS_SESSION_TOKEN");
        c.path_style = o->path_style;

        if (c.access_key == NULL || c.secret_key == NULL) {
            fprintf(stderr, "icetap: set AWS_ACCESS_KEY_ID and "
                    "AWS_SECRET_ACCESS_KEY\n");
            return NULL;
        }

        s = icetap_store_s3_create(&c, &err);
    }

    if (s == NULL) {
        fprintf(stderr, "icetap: %s\n", err.msg);
    }

    return s;
}


int
icetap_cli_table(int argc, char **argv)
{
    int                 rc;
    icetap_error_t      err;
    icetap_store_t     *s;
    icetap_cli_opts_t   o;

    if (argc < 1 || icetap_cli_parse(argc - 1, argv + 1, &o) != 0) {
        icetap_cli_table_usage(stderr);
        return 2;
    }

    if (strcmp(argv[0], "cat") == 0 && o.nargs == 3) {
        return icetap_cli_cat(&o);
    }

    if (strcmp(argv[0], "list") != 0 || o.nargs != 0) {
        icetap_cli_table_usage(stderr);
        return 2;
    }

    s = icetap_cli_store(&o);
    if (s == NULL) {
        return 1;
    }

    rc = 0;

    if (icetap_catalog_tables(s, NULL, icetap_cli_list_one, NULL, &err)
        != ICETAP_OK)
    {
        fprintf(stderr, "icetap: %s\n", err.msg);
        rc = 1;
    }

    icetap_store_destroy(s);

    return rc;
}


static icetap_rc
icetap_cli_list_one(void *ctx, const icetap_catalog_table_t *t)
{
    printf("%s\t%s\t%s\t%s\t%s\n", t->table_bucket, t->namespace, t->name,
           t->arn, t->metadata_location ? t->metadata_location : "-");

    return ICETAP_OK;
}


static int
icetap_cli_cat(icetap_cli_opts_t *o)
{
    int                      status;
    size_t                   i, k;
    json_t                  *row;
    icetap_rc                rc;
    icetap_error_t           err;
    icetap_store_t          *s;
    icetap_table_t          *t;
    icetap_schema_t         *schema;
    icetap_cli_batch_t       cb;
    icetap_table_conf_t      tc;
    icetap_table_batch_t     b;
    icetap_table_reader_t   *r;
    icetap_catalog_table_t   entry;
    icetap_table_pointer_t   ptr;
    icetap_catalog_pointer_t cp;
    const icetap_table_metadata_t  *md;

    s = icetap_cli_store(o);
    if (s == NULL) {
        return 1;
    }

    rc = icetap_catalog_table_load(s, o->args[0], o->args[1], o->args[2],
                                   &entry, NULL, &err);
    if (rc != ICETAP_OK) {
        fprintf(stderr, "icetap: table %s.%s.%s: %s\n", o->args[0],
                o->args[1], o->args[2], err.msg);
        icetap_store_destroy(s);
        return 1;
    }

    cp.store = s;
    cp.entry = &entry;
    ptr.load = icetap_catalog_pointer_load;
    ptr.swap = icetap_catalog_pointer_swap;
    ptr.ctx = &cp;

    memset(&tc, 0, sizeof(tc));
    tc.location = entry.warehouse_location;
    tc.prefix = icetap_catalog_table_prefix(&entry);
    tc.pointer = &ptr;
    tc.naming = ICETAP_TABLE_NAMING_CATALOG;
    tc.no_version_hint = 1;

    status = 1;
    t = NULL;
    r = NULL;
    memset(&err, 0, sizeof(icetap_error_t));

    rc = icetap_table_open(s, &tc, &t, &err);

    if (rc == ICETAP_OK) {
        md = icetap_table_metadata(t);
        schema = NULL;

        for (i = 0; i < md->nschemas; i++) {
            if (md->schemas[i]->schema_id == md->current_schema_id) {
                schema = md->schemas[i];
            }
        }

        if (schema == NULL) {
            rc = icetap_error_set(&err, ICETAP_INVALID, "no current schema");

        } else if (md->current_snapshot_id == ICETAP_NO_SNAPSHOT
                   && o->snapshot == -1)
        {
            /* a table without a snapshot has no rows */
            rc = ICETAP_EOF;

        } else {
            rc = icetap_table_reader_open(t, o->snapshot, &r, &err);
        }

        if (rc == ICETAP_OK && o->csv) {
            for (i = 0; i < schema->root->nfields; i++) {
                printf("%s%s", i ? "," : "", schema->root->fields[i].name);
            }

            printf("\n");
        }

        while (rc == ICETAP_OK
               && (rc = icetap_table_reader_next(r, &b, &err)) == ICETAP_OK)
        {
            cb.b = &b;
            cb.reps = NULL;
            cb.nreps = 0;
            cb.err = &err;

            for (i = 0; i < b.nrows && rc == ICETAP_OK; i++) {
                if (!b.live[i]) {
                    continue;
                }

                row = json_object();

                for (k = 0; row && k < schema->root->nfields; k++) {
                    json_object_set_new(row, schema->root->fields[k].name,
                                        icetap_cli_field(&cb,
                                                &schema->root->fields[k], i));
                }

                if (row == NULL || err.code != ICETAP_OK) {
                    rc = row ? err.code : ICETAP_NOMEM;
                    json_decref(row);
                    break;
                }

                if (o->csv) {
                    icetap_cli_csv(row, schema);

                } else {
                    char  *line = json_dumps(row, JSON_COMPACT
                                                  | JSON_PRESERVE_ORDER);

                    if (line) {
                        puts(line);
                        free(line);
                    }
                }

                json_decref(row);
            }

            for (k = 0; k < cb.nreps; k++) {
                free(cb.reps[k].row_start);
                free(cb.reps[k].vidx);
            }

            free(cb.reps);
        }

        if (rc == ICETAP_EOF) {
            status = 0;
        }
    }

    if (status != 0) {
        fprintf(stderr, "icetap: table %s.%s.%s: %s\n", o->args[0],
                o->args[1], o->args[2], err.msg);
    }

    if (r) {
        icetap_table_reader_free(r);
    }

    if (t) {
        icetap_table_close(t);
    }

    icetap_catalog_table_free(&entry);
    icetap_store_destroy(s);

    return status;
}


/* one column of a row: primitives and structs by value, maps and lists */

static json_t *
icetap_cli_field(icetap_cli_batch_t *cb, const icetap_field_t *f,
    size_t row)
{
    int                        dk, exists;
    size_t                     i, s, e;
    json_t                    *j;
    int64_t                    vi;
    icetap_value_t             v;
    icetap_cli_rep_t          *kr, *vr;
    const icetap_type_t       *t;
    const icetap_pq_node_t    *kn;
    const icetap_pq_column_t  *kc;

    t = f->type;

    if (icetap_type_is_primitive(t->id)) {
        if (icetap_table_batch_value(cb->b, f->id, row, &v, cb->err)
            != ICETAP_OK)
        {
            return json_null();
        }

        return icetap_cli_value(t, &v);
    }

    if (t->id == ICETAP_TYPE_STRUCT) {
        j = json_object();

        for (i = 0; j && i < t->nfields; i++) {
            json_object_set_new(j, t->fields[i].name,
                                icetap_cli_field(cb, &t->fields[i], row));
        }

        return j;
    }

    /* a map or a list of primitives: the key (element) leaf's levels */

    if ((t->id == ICETAP_TYPE_MAP
         && (!icetap_type_is_primitive(t->key->id)
             || !icetap_type_is_primitive(t->value->id)))
        || (t->id == ICETAP_TYPE_LIST
            && !icetap_type_is_primitive(t->element->id)))
    {
        icetap_error_set(cb->err, ICETAP_UNSUPPORTED, "column \"%s\": "
                         "nested maps and lists are not shown", f->name);
        return json_null();
    }

    /* the value's first: building the key's may move the value's */

    vr = icetap_cli_rep(cb, t->id == ICETAP_TYPE_MAP ? t->value_id
                                                      : t->element_id);
    kr = icetap_cli_rep(cb, t->id == ICETAP_TYPE_MAP ? t->key_id
                                                      : t->element_id);
    vr = icetap_cli_rep(cb, t->id == ICETAP_TYPE_MAP ? t->value_id
                                                      : t->element_id);

    if (kr == NULL || vr == NULL) {
        return json_null();
    }

    kc = &cb->b->cols[kr->leaf];
    kn = icetap_pq_schema_leaf(cb->b->schema, kr->leaf);
    s = kr->row_start[row];
    e = kr->row_start[row + 1];

    /* entries exist from this definition level on */
    dk = kn->max_def - (t->id == ICETAP_TYPE_LIST && !t->element_required);

    if (s == e || kc->def == NULL) {
        return json_null();
    }

    if (kc->def[s] < dk - 1) {
        return json_null();
    }

    j = (t->id == ICETAP_TYPE_MAP) ? json_object() : json_array();

    for (i = s; j && i < e; i++) {
        exists = kc->def[i] >= dk;

        if (!exists) {
            break;                              /* empty */
        }

        if (t->id == ICETAP_TYPE_LIST) {
            vi = kr->vidx[i];
            icetap_cli_leaf_value(kc, t->element, vi, &v);
            json_array_append_new(j, icetap_cli_value(t->element, &v));
            continue;
        }

        icetap_cli_leaf_value(kc, t->key, kr->vidx[i], &v);

        if (v.is_null || v.type != ICETAP_TYPE_STRING) {
            char  *key = json_dumps(icetap_cli_value(t->key, &v),
                                    JSON_ENCODE_ANY | JSON_COMPACT);

            icetap_cli_leaf_value(&cb->b->cols[vr->leaf], t->value,
                                  vr->vidx[i], &v);
            json_object_set_new(j, key ? key : "?",
                                icetap_cli_value(t->value, &v));
            free(key);
            continue;
        }

        {
            char  *key = strndup((const char *) v.v.bin.data, v.v.bin.len);

            icetap_cli_leaf_value(&cb->b->cols[vr->leaf], t->value,
                                  vr->vidx[i], &v);
            json_object_set_new(j, key ? key : "",
                                icetap_cli_value(t->value, &v));
            free(key);
        }
    }

    return j;
}


static icetap_cli_rep_t *
icetap_cli_rep(icetap_cli_batch_t *cb, int32_t id)
{
    int                        leaf;
    size_t                     i, row;
    int64_t                    v;
    icetap_cli_rep_t          *r;
    const icetap_pq_node_t    *node;
    const icetap_pq_column_t  *c;

    leaf = icetap_pq_schema_leaf_by_id(cb->b->schema, id);

    if (leaf < 0) {
        icetap_error_set(cb->err, ICETAP_NOTFOUND, "no column %d", (int) id);
        return NULL;
    }

    for (i = 0; i < cb->nreps; i++) {
        if (cb->reps[i].leaf == leaf) {
            return &cb->reps[i];
        }
    }

    r = realloc(cb->reps, (cb->nreps + 1) * sizeof(icetap_cli_rep_t));
    if (r == NULL) {
        icetap_error_set(cb->err, ICETAP_NOMEM, "out of memory");
        return NULL;
    }

    cb->reps = r;
    r = &cb->reps[cb->nreps];

    c = &cb->b->cols[leaf];
    node = icetap_pq_schema_leaf(cb->b->schema, leaf);

    r->leaf = leaf;
    r->row_start = calloc(cb->b->nrows + 1, sizeof(size_t));
    r->vidx = calloc(c->num_entries + 1, sizeof(int64_t));

    if (r->row_start == NULL || r->vidx == NULL) {
        free(r->row_start);
        free(r->vidx);
        icetap_error_set(cb->err, ICETAP_NOMEM, "out of memory");
        return NULL;
    }

    cb->nreps++;

    row = 0;
    v = 0;

    for (i = 0; i < c->num_entries; i++) {
        if ((c->rep == NULL || c->rep[i] == 0) && row < cb->b->nrows) {
            r->row_start[row++] = i;
        }

        if (c->def == NULL || c->def[i] == node->max_def) {
            r->vidx[i] = v++;

        } else {
            r->vidx[i] = -1;
        }
    }

    while (row <= cb->b->nrows) {
        r->row_start[row++] = c->num_entries;
    }

    return r;
}


static void
icetap_cli_leaf_value(const icetap_pq_column_t *c, const icetap_type_t *t,
    int64_t idx, icetap_value_t *v)
{
    memset(v, 0, sizeof(icetap_value_t));
    v->type = t->id;

    if (idx < 0) {
        v->is_null = 1;
        return;
    }

    switch (c->physical) {

    case ICETAP_PQ_PHYS_BOOLEAN:
        v->v.b = ((const uint8_t *) c->values)[idx] != 0;
        break;

    case ICETAP_PQ_PHYS_INT32:
        v->v.i = ((const int32_t *) c->values)[idx];
        break;

    case ICETAP_PQ_PHYS_INT64:
        v->v.l = ((const int64_t *) c->values)[idx];
        break;

    case ICETAP_PQ_PHYS_FLOAT:
        v->v.f = ((const float *) c->values)[idx];
        break;

    case ICETAP_PQ_PHYS_DOUBLE:
        v->v.d = ((const double *) c->values)[idx];
        break;

    default:
        v->v.bin.data = c->data + c->offsets[idx];
        v->v.bin.len = c->offsets[idx + 1] - c->offsets[idx];

        if (t->id == ICETAP_TYPE_UUID && v->v.bin.len == 16) {
            memcpy(v->v.uuid, c->data + c->offsets[idx], 16);
        }
    }
}


static json_t *
icetap_cli_hex(const uint8_t *p, size_t n)
{
    char     *s;
    size_t    i;
    json_t   *j;

    s = malloc(2 * n + 1);
    if (s == NULL) {
        return NULL;
    }

    for (i = 0; i < n; i++) {
        sprintf(s + 2 * i, "%02x", p[i]);
    }

    s[2 * n] = '\0';
    j = json_string(s);
    free(s);

    return j;
}


/* timestamps without zone as ISO 8601, with one as UTC "+00:00" */

static json_t *
icetap_cli_time(int64_t v, int64_t per_sec, int date, int clock, int tz)
{
    char        buf[64];
    time_t      sec;
    int64_t     frac;
    struct tm   tm;

    sec = (time_t) (v / per_sec);
    frac = v % per_sec;

    if (frac < 0) {
        sec--;
        frac += per_sec;
    }

    gmtime_r(&sec, &tm);

    if (!clock) {
        strftime(buf, sizeof(buf), "%Y-%m-%d", &tm);
        return json_string(buf);
    }

    strftime(buf, sizeof(buf), date ? "%Y-%m-%dT%H:%M:%S" : "%H:%M:%S",
             &tm);
    snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf),
             per_sec == 1000000 ? ".%06" PRId64 "%s" : ".%09" PRId64 "%s",
             frac, tz ? "+00:00" : "");

    return json_string(buf);
}


static json_t *
icetap_cli_value(const icetap_type_t *t, const icetap_value_t *v)
{
    char     buf[64];
    int64_t  l;

    if (v->is_null) {
        return json_null();
    }

    switch (t->id) {

    case ICETAP_TYPE_BOOLEAN:
        return json_boolean(v->v.b);

    case ICETAP_TYPE_INT:
        return json_integer(v->v.i);

    case ICETAP_TYPE_LONG:
        return json_integer(v->v.l);

    case ICETAP_TYPE_FLOAT:
        return json_real(v->v.f);

    case ICETAP_TYPE_DOUBLE:
        return json_real(v->v.d);

    case ICETAP_TYPE_DATE:
        return icetap_cli_time((int64_t) v->v.i * 86400, 1, 1, 0, 0);

    case ICETAP_TYPE_TIME:
        return icetap_cli_time(v->v.l, 1000000, 0, 1, 0);

    case ICETAP_TYPE_TIMESTAMP:
    case ICETAP_TYPE_TIMESTAMPTZ:
        return icetap_cli_time(v->v.l, 1000000, 1, 1,
                               t->id == ICETAP_TYPE_TIMESTAMPTZ);

    case ICETAP_TYPE_TIMESTAMP_NS:
    case ICETAP_TYPE_TIMESTAMPTZ_NS:
        return icetap_cli_time(v->v.l, 1000000000, 1, 1,
                               t->id == ICETAP_TYPE_TIMESTAMPTZ_NS);

    case ICETAP_TYPE_STRING:
        return json_stringn((const char *) v->v.bin.data, v->v.bin.len);

    case ICETAP_TYPE_UUID:
        snprintf(buf, sizeof(buf), "%02x%02x%02x%02x-%02x%02x-%02x%02x-"
                 "%02x%02x-%02x%02x%02x%02x%02x%02x", v->v.uuid[0],
                 v->v.uuid[1], v->v.uuid[2], v->v.uuid[3], v->v.uuid[4],
                 v->v.uuid[5], v->v.uuid[6], v->v.uuid[7], v->v.uuid[8],
                 v->v.uuid[9], v->v.uuid[10], v->v.uuid[11], v->v.uuid[12],
                 v->v.uuid[13], v->v.uuid[14], v->v.uuid[15]);
        return json_string(buf);

    case ICETAP_TYPE_DECIMAL:
        if (icetap_decimal_to_int64(v, &l) == ICETAP_OK) {
            return json_integer(l);             /* the unscaled value */
        }

        return icetap_cli_hex(v->v.dec.bytes, v->v.dec.len);

    default:
        return icetap_cli_hex(v->v.bin.data, v->v.bin.len);
    }
}


/* RFC 4180: strings quoted when needed, maps and lists as JSON, NULL empty */

static void
icetap_cli_csv(json_t *row, const icetap_schema_t *s)
{
    char        *text;
    size_t       i;
    json_t      *v;
    const char  *p;

    for (i = 0; i < s->root->nfields; i++) {
        v = json_object_get(row, s->root->fields[i].name);

        if (i) {
            putchar(',');
        }

        if (v == NULL || json_is_null(v)) {
            continue;
        }

        if (json_is_string(v)) {
            text = NULL;
            p = json_string_value(v);

        } else {
            text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
            p = text ? text : "";
        }

        if (strpbrk(p, ",\"\r\n") == NULL) {
            fputs(p, stdout);

        } else {
            putchar('"');

            for ( ; *p; p++) {
                if (*p == '"') {
                    putchar('"');
                }

                putchar(*p);
            }

            putchar('"');
        }

        free(text);
    }

    putchar('\n');
}


int
icetap_cli_journal(int argc, char **argv)
{
    char          path[4096];
    size_t        i;
    json_t       *doc, *t;
    json_error_t  je;

    if (argc != 2 || strcmp(argv[0], "status") != 0) {
        icetap_cli_table_usage(stderr);
        return 2;
    }

    snprintf(path, sizeof(path), "%s/journal.json", argv[1]);

    doc = json_load_file(path, 0, &je);
    if (doc == NULL) {
        fprintf(stderr, "icetap: %s: %s\n", path, je.text);
        return 1;
    }

    printf("journal helper pid %d, updated %" PRId64 " ms ago, %" PRId64
           " WAL segments deleted\n",
           (int) json_integer_value(json_object_get(doc, "pid")),
           icetap_table_now_ms()
           - (int64_t) json_integer_value(json_object_get(doc,
                                                          "updated_ms")),
           (int64_t) json_integer_value(json_object_get(doc,
                                              "wal_segments_deleted")));

    json_array_foreach(json_object_get(doc, "tables"), i, t) {
        printf("%s\t%s.%s\t%" PRId64 " records behind, oldest %" PRId64
               " ms, %" PRId64 " commits, %" PRId64 " rows%s%s\n",
               json_string_value(json_object_get(t, "bucket")),
               json_string_value(json_object_get(t, "namespace")),
               json_string_value(json_object_get(t, "table")),
               (int64_t) json_integer_value(json_object_get(t,
                                                "records_behind")),
               (int64_t) json_integer_value(json_object_get(t,
                                                "oldest_uncommitted_age_ms")),
               (int64_t) json_integer_value(json_object_get(t, "commits")),
               (int64_t) json_integer_value(json_object_get(t, "rows")),
               json_string_length(json_object_get(t, "error"))
               ? ", error: " : "",
               json_string_value(json_object_get(t, "error")));
    }

    json_decref(doc);

    return 0;
}
