/*
 * Copyright (C) icetap authors
 *
 * The inventory helper, "nginx: icetap inventory": every interval it
 * reads the S3 Metadata configurations from the store and, for each
 * bucket whose InventoryTableConfiguration is ENABLED and whose journal
 * is ACTIVE, keeps the live inventory table (core/icetap_inventory.c):
 *
 *   CREATING     the table is created and started at the journal's WAL
 *                cursor, the configuration moves to BACKFILLING;
 *   BACKFILLING  the bucket is listed and its rows committed, the
 *                configuration moves to ACTIVE;
 *   ACTIVE       the WAL records after the table's cursor are applied.
 *
 * It writes "<WAL dir>/inventory-<bucket>.cursor" (the WAL position the
 * table needs records after: the journal helper deletes no segment past
 * it), keeps the identity index in "<WAL dir>/inventory-<bucket>.idx"
 * and reports in "<WAL dir>/inventory.json".  A configuration that is
 * disabled, deleted or FAILED stops the updates and keeps the table;
 * its cursor file is removed.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <jansson.h>

#include <icetap/inventory.h>
#include <icetap/mdconf.h>

#include "ngx_http_icetap_module.h"
#include "ngx_http_icetap_store.h"


#define NGX_HTTP_ICETAP_INVENTORY_PREFIX   "icetap/config/buckets/"
#define NGX_HTTP_ICETAP_INVENTORY_SUFFIX   "/metadata.json"
#define NGX_HTTP_ICETAP_INVENTORY_BUDGET   (30 * 1000)
#define NGX_HTTP_ICETAP_INVENTORY_LAG_MAX  1000000


struct ngx_http_icetap_inventory_conf_s {
    ngx_msec_t                     interval;
    ngx_msec_t                     reconcile;
    ngx_uint_t                     concurrency;
    size_t                         max_records;
    size_t                         max_files;
    ngx_int_t                      format;
};


typedef struct {
    ngx_http_icetap_store_conf_t  *scf;
    char                           bucket[ICETAP_MDCONF_NAME_LEN];
} ngx_http_icetap_inv_source_t;


typedef struct {
    char                           bucket[ICETAP_MDCONF_NAME_LEN];
    char                           arn[ICETAP_MDCONF_ARN_LEN];
    char                           status[16];
    char                           error[ICETAP_ERR_MSG_LEN];
    icetap_store_t                *source;
    icetap_journal_table_t        *it;
    icetap_inventory_t            *inv;
    ngx_http_icetap_inv_source_t  *src;         /* of backfill threads */
    uint64_t                       lag;
    int64_t                        refreshed_ms;
    int64_t                        reconciled_ms;   /* or first seen */
    ngx_uint_t                     seen;
} ngx_http_icetap_itable_t;


typedef struct {
    ngx_http_icetap_main_conf_t   *imcf;
    ngx_http_icetap_inventory_conf_t *icf;
    ngx_log_t                     *log;
    icetap_store_t                *state;
    ngx_http_icetap_itable_t      *tables;
    ngx_uint_t                     ntables;
    char                         **buckets;
    size_t                         nbuckets;
    size_t                         cbuckets;
} ngx_http_icetap_inventory_t;


static ngx_int_t ngx_http_icetap_inventory_run(ngx_cycle_t *cycle,
    void *data);
static void ngx_http_icetap_inventory_pass(ngx_http_icetap_inventory_t *v);
static icetap_rc ngx_http_icetap_inventory_list(void *ctx,
    const icetap_store_page_t *page);
static void ngx_http_icetap_inventory_config(ngx_http_icetap_inventory_t *v,
    const char *bucket);
static ngx_http_icetap_itable_t *ngx_http_icetap_inventory_table(
    ngx_http_icetap_inventory_t *v, const char *bucket);
static void ngx_http_icetap_inventory_drop(ngx_http_icetap_inventory_t *v,
    ngx_http_icetap_itable_t *t, ngx_uint_t forget);
static void ngx_http_icetap_inventory_cursor(ngx_http_icetap_inventory_t *v,
    ngx_http_icetap_itable_t *t);
static void ngx_http_icetap_inventory_reconcile(
    ngx_http_icetap_inventory_t *v, ngx_http_icetap_itable_t *t);
static void ngx_http_icetap_inventory_status(ngx_http_icetap_inventory_t *v);
static int64_t ngx_http_icetap_inventory_now_ms(void);


char *
ngx_http_icetap_inventory(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_icetap_main_conf_t  *imcf = conf;

    ssize_t                            n;
    ngx_str_t                         *value, s;
    ngx_msec_t                         ms;
    ngx_uint_t                         i;
    ngx_http_icetap_inventory_conf_t  *icf;

    if (imcf->inventory != NULL) {
        return "is duplicate";
    }

    icf = ngx_pcalloc(cf->pool, sizeof(ngx_http_icetap_inventory_conf_t));
    if (icf == NULL) {
        return NGX_CONF_ERROR;
    }

    icf->interval = 60000;
    icf->reconcile = 24 * 60 * 60 * 1000;
    icf->concurrency = 8;
    icf->max_records = 100000;
    icf->max_files = 64;
    icf->format = 3;

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        s.data = (u_char *) ngx_strchr(value[i].data, '=');

        if (s.data == NULL) {
            goto invalid;
        }

        s.data++;
        s.len = value[i].data + value[i].len - s.data;

        if (ngx_strncmp(value[i].data, "interval=", 9) == 0
            || ngx_strncmp(value[i].data, "reconcile=", 10) == 0)
        {
            ms = ngx_parse_time(&s, 0);
            if (ms == (ngx_msec_t) NGX_ERROR || ms == 0) {
                goto invalid;
            }

            if (value[i].data[0] == 'i') {
                icf->interval = ms;

            } else {
                icf->reconcile = ms;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "backfill_concurrency=", 21) == 0
            || ngx_strncmp(value[i].data, "max_records=", 12) == 0
            || ngx_strncmp(value[i].data, "max_files=", 10) == 0)
        {
            n = ngx_atosz(s.data, s.len);
            if (n <= 0 || (value[i].data[0] == 'b' && n > 64)) {
                goto invalid;
            }

            if (value[i].data[0] == 'b') {
                icf->concurrency = n;

            } else if (value[i].data[4] == 'r') {
                icf->max_records = n;

            } else {
                icf->max_files = n;
            }

            continue;
        }

        if (ngx_strcmp(value[i].data, "format=2") == 0
            || ngx_strcmp(value[i].data, "format=3") == 0)
        {
            icf->format = value[i].data[7] - '0';
            continue;
        }

        goto invalid;
    }

    imcf->inventory = icf;

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid parameter \"%V\"",
                       &value[i]);
    return NGX_CONF_ERROR;
}


ngx_int_t
ngx_http_icetap_inventory_init(ngx_conf_t *cf,
    ngx_http_icetap_main_conf_t *imcf)
{
    ngx_str_t  name;

    if (imcf->inventory == NULL) {
        return NGX_OK;
    }

    if (!imcf->configured || imcf->store == NULL || imcf->journal == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"icetap_inventory\" requires \"icetap_wal\", "
                           "\"icetap_store\" and \"icetap_journal\" in the "
                           "http block");
        return NGX_ERROR;
    }

    ngx_str_set(&name, "inventory");

    return ngx_http_icetap_helper_add(cf, &name,
                                      ngx_http_icetap_inventory_run, imcf);
}


static ngx_int_t
ngx_http_icetap_inventory_run(ngx_cycle_t *cycle, void *data)
{
    ngx_uint_t                    i;
    icetap_error_t                err;
    ngx_http_icetap_inventory_t   v;

    ngx_memzero(&v, sizeof(ngx_http_icetap_inventory_t));
    v.imcf = data;
    v.icf = v.imcf->inventory;
    v.log = cycle->log;

    v.state = ngx_http_icetap_store_open(v.imcf->store,
                                         (char *) v.imcf->store->bucket.data,
                                         &err);
    if (v.state == NULL) {
        ngx_log_error(NGX_LOG_ALERT, v.log, 0,
                      "icetap: inventory: the state store: %s", err.msg);
        return NGX_ERROR;
    }

    while (!ngx_http_icetap_helper_should_exit()) {

        ngx_http_icetap_inventory_pass(&v);

        if (ngx_http_icetap_helper_sleep(v.icf->interval)) {
            break;
        }
    }

    for (i = 0; i < v.ntables; i++) {
        ngx_http_icetap_inventory_drop(&v, &v.tables[i], 0);
    }

    ngx_free(v.tables);
    ngx_free(v.buckets);
    icetap_store_destroy(v.state);

    return NGX_OK;
}


static void
ngx_http_icetap_inventory_pass(ngx_http_icetap_inventory_t *v)
{
    size_t                     i;
    ngx_uint_t                 k, n;
    icetap_rc                  rc;
    icetap_error_t             err;
    icetap_store_list_opts_t   opts;

    v->nbuckets = 0;

    ngx_memzero(&opts, sizeof(icetap_store_list_opts_t));
    opts.prefix = NGX_HTTP_ICETAP_INVENTORY_PREFIX;

    rc = icetap_store_list(v->state, &opts, ngx_http_icetap_inventory_list,
                           v, &err);

    if (rc == ICETAP_NOTFOUND) {
        rc = ICETAP_OK;
    }

    if (rc != ICETAP_OK) {
        ngx_log_error(NGX_LOG_ERR, v->log, 0,
                      "icetap: inventory: listing the metadata "
                      "configurations failed: %s; retrying", err.msg);

        for (i = 0; i < v->nbuckets; i++) {
            ngx_free(v->buckets[i]);
        }

        return;
    }

    for (k = 0; k < v->ntables; k++) {
        v->tables[k].seen = 0;
    }

    for (i = 0; i < v->nbuckets; i++) {
        if (!ngx_http_icetap_helper_should_exit()) {
            ngx_http_icetap_inventory_config(v, v->buckets[i]);
        }

        ngx_free(v->buckets[i]);
    }

    n = 0;

    for (k = 0; k < v->ntables; k++) {
        if (v->tables[k].seen) {
            v->tables[n++] = v->tables[k];
            continue;
        }

        ngx_http_icetap_inventory_drop(v, &v->tables[k], 1);
    }

    v->ntables = n;

    ngx_http_icetap_inventory_status(v);
}


static icetap_rc
ngx_http_icetap_inventory_list(void *ctx, const icetap_store_page_t *page)
{
    char                         *b, **nb;
    size_t                        i, len, pl, sl;
    const char                   *key;
    ngx_http_icetap_inventory_t  *v = ctx;

    pl = sizeof(NGX_HTTP_ICETAP_INVENTORY_PREFIX) - 1;
    sl = sizeof(NGX_HTTP_ICETAP_INVENTORY_SUFFIX) - 1;

    for (i = 0; i < page->nentries; i++) {
        key = page->entries[i].key;
        len = ngx_strlen(key);

        if (len <= pl + sl
            || ngx_strcmp(key + len - sl, NGX_HTTP_ICETAP_INVENTORY_SUFFIX)
               != 0
            || ngx_strlchr((u_char *) key + pl, (u_char *) key + len - sl,
                           '/')
            || len - pl - sl >= ICETAP_MDCONF_NAME_LEN)
        {
            continue;
        }

        if (v->nbuckets == v->cbuckets) {
            v->cbuckets = v->cbuckets ? 2 * v->cbuckets : 16;

            nb = ngx_alloc(v->cbuckets * sizeof(char *), v->log);
            if (nb == NULL) {
                return ICETAP_NOMEM;
            }

            if (v->nbuckets) {
                ngx_memcpy(nb, v->buckets, v->nbuckets * sizeof(char *));
            }

            ngx_free(v->buckets);
            v->buckets = nb;
        }

        b = ngx_alloc(len - pl - sl + 1, v->log);
        if (b == NULL) {
            return ICETAP_NOMEM;
        }

        ngx_memcpy(b, key + pl, len - pl - sl);
        b[len - pl - sl] = '\0';

        v->buckets[v->nbuckets++] = b;
    }

    return ICETAP_OK;
}


static int
ngx_http_icetap_inventory_cancelled(void)
{
    return ngx_http_icetap_helper_should_exit() != 0;
}


static icetap_store_t *
ngx_http_icetap_inventory_open_store(void *ctx, icetap_error_t *err)
{
    ngx_http_icetap_inv_source_t  *src = ctx;

    return ngx_http_icetap_store_open(src->scf, src->bucket, err);
}


/* moves the configuration's inventory status; NGX_OK when saved */

static ngx_int_t
ngx_http_icetap_inventory_set(ngx_http_icetap_inventory_t *v,
    const char *bucket, const char *arn, const char *status,
    const char *code, const char *message)
{
    char              etag[ICETAP_STORE_ETAG_LEN];
    icetap_rc         rc;
    icetap_error_t    err;
    icetap_mdconf_t  *conf;

    conf = ngx_alloc(sizeof(icetap_mdconf_t), v->log);
    if (conf == NULL) {
        return NGX_ERROR;
    }

    ngx_memzero(conf, sizeof(icetap_mdconf_t));

    rc = icetap_mdconf_load(v->state, bucket, conf, etag, &err);

    if (rc != ICETAP_OK || !conf->inventory_enabled
        || ngx_strcmp(conf->inventory.arn, arn) != 0)
    {
        /* gone or changed meanwhile: the next pass sees it */
        ngx_free(conf);
        return NGX_ERROR;
    }

    if (ngx_strcmp(conf->inventory.status, status) == 0) {
        ngx_free(conf);
        return NGX_OK;
    }

    ngx_cpystrn((u_char *) conf->inventory.status, (u_char *) status,
                sizeof(conf->inventory.status));

    if (code != NULL) {
        ngx_cpystrn((u_char *) conf->inventory.error_code, (u_char *) code,
                    sizeof(conf->inventory.error_code));
        ngx_cpystrn((u_char *) conf->inventory.error_message,
                    (u_char *) message,
                    sizeof(conf->inventory.error_message));
    }

    rc = icetap_mdconf_save(v->state, conf, etag, NULL, &err);
    ngx_free(conf);

    if (rc != ICETAP_OK) {
        ngx_log_error(NGX_LOG_WARN, v->log, 0,
                      "icetap: inventory: bucket \"%s\": setting the status "
                      "%s: %s; retrying", bucket, status, err.msg);
        return NGX_ERROR;
    }

    ngx_log_error(NGX_LOG_NOTICE, v->log, 0,
                  "icetap: inventory: the inventory of bucket \"%s\" is %s",
                  bucket, status);

    return NGX_OK;
}


static void
ngx_http_icetap_inventory_config(ngx_http_icetap_inventory_t *v,
    const char *bucket)
{
    int                            more, rewritten;
    char                           etag[ICETAP_STORE_ETAG_LEN];
    char                           path[NGX_MAX_PATH];
    size_t                         applied;
    int64_t                        start;
    const char                    *tb;
    icetap_rc                      rc;
    ngx_uint_t                     level;
    icetap_error_t                 err;
    icetap_mdconf_t               *conf;
    icetap_wal_cursor_t            from;
    ngx_http_icetap_itable_t      *t;
    icetap_journal_table_t        *jt;
    icetap_inventory_conf_t        ic;
    icetap_inventory_state_e       state;
    icetap_journal_table_conf_t    tc;

    conf = ngx_alloc(sizeof(icetap_mdconf_t), v->log);
    if (conf == NULL) {
        return;
    }

    ngx_memzero(conf, sizeof(icetap_mdconf_t));

    rc = icetap_mdconf_load(v->state, bucket, conf, etag, &err);

    if (rc != ICETAP_OK || !conf->inventory_enabled
        || ngx_strcmp(conf->inventory.status, "FAILED") == 0)
    {
        if (rc != ICETAP_OK && rc != ICETAP_NOTFOUND) {
            /* unreadable now: keep what this helper has */
            t = ngx_http_icetap_inventory_table(v, bucket);
            if (t != NULL) {
                t->seen = 1;
            }
        }

        ngx_free(conf);
        return;
    }

    t = ngx_http_icetap_inventory_table(v, bucket);
    if (t == NULL) {
        ngx_free(conf);
        return;
    }

    t->seen = 1;

    if (t->reconciled_ms == 0) {
        t->reconciled_ms = ngx_http_icetap_inventory_now_ms();
    }

    if (t->it != NULL && ngx_strcmp(t->arn, conf->inventory.arn) != 0) {
        /* disabled and enabled again: another table */
        ngx_http_icetap_inventory_drop(v, t, 0);
        t->seen = 1;
    }

    ngx_cpystrn((u_char *) t->arn, (u_char *) conf->inventory.arn,
                sizeof(t->arn));
    ngx_cpystrn((u_char *) t->status, (u_char *) conf->inventory.status,
                sizeof(t->status));

    if (ngx_strcmp(conf->journal.status, "ACTIVE") != 0) {
        if (ngx_strcmp(conf->journal.status, "FAILED") == 0) {
            (void) ngx_http_icetap_inventory_set(v, bucket, t->arn, "FAILED",
                                   "JournalTableNotAvailable",
                                   "The inventory needs an ACTIVE journal");
        }

        ngx_free(conf);
        return;
    }

    tb = ngx_strstr(conf->table_bucket_arn, ":bucket/");
    tb = tb ? tb + 8 : "aws-s3";

    ngx_memzero(&tc, sizeof(icetap_journal_table_conf_t));
    tc.state_bucket = (char *) v->imcf->store->bucket.data;
    tc.table_bucket = tb;
    tc.bucket_arn = conf->table_bucket_arn;
    tc.bucket_type = conf->table_bucket_type[0]
                     ? conf->table_bucket_type : "aws";
    tc.namespace = conf->namespace;

    if (t->it == NULL) {
        tc.name = conf->inventory.name[0] ? conf->inventory.name
                                          : "inventory";
        tc.arn = conf->inventory.arn;
        tc.format_version = (int) v->icf->format;
        tc.schema_json = icetap_inventory_schema_json();
        tc.managed_by = ICETAP_INVENTORY_MANAGED_BY;
        tc.unpartitioned = 1;

        rc = icetap_journal_table_open(v->state, &tc,
                                       ngx_strcmp(conf->inventory.status,
                                                  "CREATING") == 0,
                                       &t->it, &err);

        if (rc == ICETAP_CONFLICT) {
            ngx_log_error(NGX_LOG_ERR, v->log, 0,
                          "icetap: inventory: bucket \"%s\": %s", bucket,
                          err.msg);
            (void) ngx_http_icetap_inventory_set(v, bucket, t->arn, "FAILED",
                        "InventoryTableAlreadyExists",
                        "An inventory table already exists in the "
                        "namespace; delete it first");
            t->it = NULL;
            ngx_free(conf);
            return;
        }

        if (rc != ICETAP_OK) {
            ngx_log_error(NGX_LOG_ERR, v->log, 0,
                          "icetap: inventory: the inventory table of bucket "
                          "\"%s\": %s; retrying", bucket, err.msg);
            ngx_cpystrn((u_char *) t->error, (u_char *) err.msg,
                        sizeof(t->error));
            t->it = NULL;
            ngx_free(conf);
            return;
        }
    }

    if (t->source == NULL) {
        t->source = ngx_http_icetap_store_open(v->imcf->store, bucket, &err);

        if (t->source == NULL) {
            ngx_log_error(NGX_LOG_ERR, v->log, 0,
                          "icetap: inventory: store of bucket \"%s\": %s",
                          bucket, err.msg);
            ngx_free(conf);
            return;
        }
    }

    if (t->inv == NULL) {
        if (t->src == NULL) {
            t->src = ngx_alloc(sizeof(ngx_http_icetap_inv_source_t), v->log);
            if (t->src == NULL) {
                ngx_free(conf);
                return;
            }

            t->src->scf = v->imcf->store;
            ngx_cpystrn((u_char *) t->src->bucket, (u_char *) bucket,
                        sizeof(t->src->bucket));
        }

        *ngx_snprintf((u_char *) path, NGX_MAX_PATH - 1,
                      "%V/inventory-%s.idx", &v->imcf->dir, bucket) = '\0';

        ngx_memzero(&ic, sizeof(icetap_inventory_conf_t));
        ic.wal_dir = (char *) v->imcf->dir.data;
        ic.bucket = t->bucket;
        ic.index_path = path;
        ic.source = t->source;
        ic.open_store = ngx_http_icetap_inventory_open_store;
        ic.store_ctx = t->src;
        ic.concurrency = v->icf->concurrency;
        ic.max_records = v->icf->max_records;
        ic.cancelled = ngx_http_icetap_inventory_cancelled;

        if (icetap_inventory_open(t->it->table, &ic, &t->inv, &err)
            != ICETAP_OK)
        {
            ngx_free(conf);
            return;
        }
    }

    rc = icetap_inventory_state(t->inv, &state, &err);

    if (rc == ICETAP_OK && state == ICETAP_INVENTORY_NEW) {

        /* the journal's position now: every later mutation is after it */

        tc.name = conf->journal.name[0] ? conf->journal.name : "journal";
        tc.arn = conf->journal.arn;
        tc.schema_json = NULL;
        tc.managed_by = NULL;
        tc.unpartitioned = 0;

        rc = icetap_journal_table_open(v->state, &tc, 0, &jt, &err);

        if (rc == ICETAP_OK) {
            rc = icetap_inventory_journal_cursor(jt->table, &from, &err);
            icetap_journal_table_close(jt);
        }

        if (rc == ICETAP_OK) {
            rc = icetap_inventory_start(t->inv, &from, &err);
            icetap_wal_cursor_free(&from);
        }

        state = ICETAP_INVENTORY_BACKFILLING;
    }

    if (rc == ICETAP_OK) {
        ngx_http_icetap_inventory_cursor(v, t);
    }

    if (rc == ICETAP_OK && state == ICETAP_INVENTORY_BACKFILLING) {
        if (ngx_http_icetap_inventory_set(v, bucket, t->arn, "BACKFILLING",
                                          NULL, NULL)
            == NGX_OK)
        {
            ngx_cpystrn((u_char *) t->status, (u_char *) "BACKFILLING",
                        sizeof(t->status));
        }

        start = ngx_http_icetap_inventory_now_ms();

        rc = icetap_inventory_backfill(t->inv, &err);

        if (rc == ICETAP_OK) {
            ngx_log_error(NGX_LOG_NOTICE, v->log, 0,
                          "icetap: inventory: bucket \"%s\": backfill of "
                          "%uL row(s) in %L ms", bucket,
                          icetap_inventory_stats(t->inv)->backfilled,
                          ngx_http_icetap_inventory_now_ms() - start);
            state = ICETAP_INVENTORY_ACTIVE;
        }
    }

    if (rc == ICETAP_OK && state == ICETAP_INVENTORY_ACTIVE
        && ngx_strcmp(t->status, "ACTIVE") != 0)
    {
        if (ngx_http_icetap_inventory_set(v, bucket, t->arn, "ACTIVE",
                                          NULL, NULL)
            == NGX_OK)
        {
            ngx_cpystrn((u_char *) t->status, (u_char *) "ACTIVE",
                        sizeof(t->status));
        }
    }

    ngx_free(conf);

    start = ngx_http_icetap_inventory_now_ms();

    while (rc == ICETAP_OK && state == ICETAP_INVENTORY_ACTIVE) {
        rc = icetap_inventory_step(t->inv, &applied, &more, &err);

        if (rc != ICETAP_OK) {
            break;
        }

        ngx_http_icetap_inventory_cursor(v, t);

        if (!more) {
            t->refreshed_ms = ngx_http_icetap_inventory_now_ms();
            break;
        }

        if (ngx_http_icetap_inventory_now_ms() - start
            >= NGX_HTTP_ICETAP_INVENTORY_BUDGET
            || ngx_http_icetap_helper_should_exit())
        {
            break;
        }
    }

    if (rc != ICETAP_OK) {
        level = (rc == ICETAP_CONFLICT) ? NGX_LOG_WARN : NGX_LOG_ERR;

        ngx_log_error(level, v->log, 0, "icetap: inventory: bucket \"%s\": %s; "
                      "retrying", bucket, err.msg);
        ngx_cpystrn((u_char *) t->error, (u_char *) err.msg,
                    sizeof(t->error));
        return;
    }

    /* what changed behind the gateway's back, once caught up */

    if (!more && ngx_http_icetap_inventory_now_ms() - t->reconciled_ms
                 >= (int64_t) v->icf->reconcile)
    {
        ngx_http_icetap_inventory_reconcile(v, t);
    }

    /* files and deletes stay bounded */

    rc = icetap_inventory_rewrite(t->inv, v->icf->max_files, &rewritten,
                                  &err);

    if (rc != ICETAP_OK) {
        ngx_log_error(NGX_LOG_WARN, v->log, 0, "icetap: inventory: "
                      "rewriting the inventory of bucket \"%s\": %s; "
                      "retrying", bucket, err.msg);

    } else if (rewritten) {
        ngx_log_error(NGX_LOG_INFO, v->log, 0, "icetap: inventory: bucket "
                      "\"%s\": rewritten into %uL file(s), %uL row(s)",
                      bucket, icetap_inventory_stats(t->inv)->files,
                      icetap_inventory_stats(t->inv)->live_rows);
    }

    t->error[0] = '\0';

    if (icetap_inventory_lag(t->inv, NGX_HTTP_ICETAP_INVENTORY_LAG_MAX,
                             &t->lag, &err)
        != ICETAP_OK)
    {
        t->lag = 0;
    }
}


static ngx_http_icetap_itable_t *
ngx_http_icetap_inventory_table(ngx_http_icetap_inventory_t *v,
    const char *bucket)
{
    ngx_uint_t                 k;
    ngx_http_icetap_itable_t  *t;

    for (k = 0; k < v->ntables; k++) {
        if (ngx_strcmp(v->tables[k].bucket, bucket) == 0) {
            return &v->tables[k];
        }
    }

    t = ngx_alloc((v->ntables + 1) * sizeof(ngx_http_icetap_itable_t),
                  v->log);
    if (t == NULL) {
        return NULL;
    }

    if (v->ntables) {
        ngx_memcpy(t, v->tables,
                   v->ntables * sizeof(ngx_http_icetap_itable_t));
    }

    ngx_free(v->tables);
    v->tables = t;

    t = &v->tables[v->ntables++];
    ngx_memzero(t, sizeof(ngx_http_icetap_itable_t));
    ngx_cpystrn((u_char *) t->bucket, (u_char *) bucket, sizeof(t->bucket));

    return t;
}


static void
ngx_http_icetap_inventory_drop(ngx_http_icetap_inventory_t *v,
    ngx_http_icetap_itable_t *t, ngx_uint_t forget)
{
    u_char  path[NGX_MAX_PATH];

    icetap_inventory_free(t->inv);
    icetap_journal_table_close(t->it);

    if (t->source) {
        icetap_store_destroy(t->source);
    }

    ngx_free(t->src);

    t->inv = NULL;
    t->it = NULL;
    t->source = NULL;
    t->src = NULL;
    t->seen = 0;

    if (!forget) {
        return;
    }

    ngx_log_error(NGX_LOG_NOTICE, v->log, 0,
                  "icetap: inventory: bucket \"%s\" has no enabled "
                  "inventory any more, its updates stop", t->bucket);

    *ngx_snprintf(path, NGX_MAX_PATH - 1, "%V/inventory-%s.cursor",
                  &v->imcf->dir, t->bucket) = '\0';
    (void) ngx_delete_file(path);

    *ngx_snprintf(path, NGX_MAX_PATH - 1, "%V/inventory-%s.idx",
                  &v->imcf->dir, t->bucket) = '\0';
    (void) ngx_delete_file(path);
}


static void
ngx_http_icetap_inventory_reconcile(ngx_http_icetap_inventory_t *v,
    ngx_http_icetap_itable_t *t)
{
    icetap_rc                  rc;
    icetap_error_t             err;
    icetap_inventory_drift_t   d;

    rc = icetap_inventory_reconcile(t->inv, 1000, &d, &err);

    if (rc != ICETAP_OK) {
        ngx_log_error(NGX_LOG_WARN, v->log, 0, "icetap: inventory: "
                      "reconciling bucket \"%s\": %s; retrying",
                      t->bucket, err.msg);
        return;
    }

    if (d.postponed) {
        return;
    }

    t->reconciled_ms = ngx_http_icetap_inventory_now_ms();

    if (d.added || d.changed || d.removed) {
        ngx_log_error(NGX_LOG_NOTICE, v->log, 0, "icetap: inventory: "
                      "bucket \"%s\" drifted behind the gateway: %uL "
                      "added, %uL changed, %uL removed; %uL record(s) in "
                      "\"%s\" (%uL key(s) changing meanwhile left out)",
                      t->bucket, d.added, d.changed, d.removed, d.emitted,
                      d.segment, d.skipped);
    }
}


/* "<WAL dir>/inventory-<bucket>.cursor", replaced atomically */

static void
ngx_http_icetap_inventory_cursor(ngx_http_icetap_inventory_t *v,
    ngx_http_icetap_itable_t *t)
{
    char        *text;
    size_t       len;
    u_char       name[NGX_MAX_PATH];
    const char  *failed;

    text = icetap_wal_cursor_format(icetap_inventory_cursor(t->inv));
    if (text == NULL) {
        return;
    }

    len = ngx_strlen(text);

    *ngx_snprintf(name, sizeof(name) - 1, "inventory-%s.cursor",
                  t->bucket) = '\0';

    (void) ngx_http_icetap_report_write(&v->imcf->dir, (char *) name, text,
                                        len, &failed);

    free(text);
}


/* "<WAL dir>/inventory.json", replaced atomically */

static void
ngx_http_icetap_inventory_status(ngx_http_icetap_inventory_t *v)
{
    int64_t                          now;
    json_t                          *doc, *list, *t;
    ngx_uint_t                       k;
    const char                      *failed;
    ngx_http_icetap_itable_t        *it;
    const icetap_inventory_stats_t  *st;

    now = ngx_http_icetap_inventory_now_ms();
    list = json_array();

    for (k = 0; list && k < v->ntables; k++) {
        it = &v->tables[k];
        st = it->inv ? icetap_inventory_stats(it->inv) : NULL;

        t = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I,"
                      " s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s}",
                      "bucket", it->bucket,
                      "status", it->status,
                      "table", it->it ? it->it->entry.name : "",
                      "arn", it->arn,
                      "records_behind", (json_int_t) it->lag,
                      "last_refresh_ms", (json_int_t) it->refreshed_ms,
                      "rows", (json_int_t) (st ? st->live_rows : 0),
                      "files", (json_int_t) (st ? st->files : 0),
                      "commits", (json_int_t) (st ? st->commits : 0),
                      "rows_added", (json_int_t) (st ? st->rows_added : 0),
                      "rows_deleted",
                      (json_int_t) (st ? st->rows_deleted : 0),
                      "backfilled", (json_int_t) (st ? st->backfilled : 0),
                      "index_rebuilds",
                      (json_int_t) (st ? st->index_rebuilds : 0),
                      "index_loads", (json_int_t) (st ? st->index_loads : 0),
                      "rewrites", (json_int_t) (st ? st->rewrites : 0),
                      "bytes_written",
                      (json_int_t) (st ? st->bytes_written : 0),
                      "snapshot_id", (json_int_t) (st ? st->snapshot_id : 0),
                      "error", it->error);

        if (t != NULL
            && json_object_set_new(t, "reconciliations",
                   json_integer(st ? st->reconciliations : 0)) == 0
            && json_object_set_new(t, "last_reconcile_ms",
                   json_integer(st ? st->last_reconcile_ms : 0)) == 0
            && json_object_set_new(t, "drift_added",
                   json_integer(st ? st->drift_added : 0)) == 0
            && json_object_set_new(t, "drift_changed",
                   json_integer(st ? st->drift_changed : 0)) == 0
            && json_object_set_new(t, "drift_removed",
                   json_integer(st ? st->drift_removed : 0)) == 0
            && json_object_set_new(t, "drift_skipped",
                   json_integer(st ? st->drift_skipped : 0)) == 0)
        {
            if (json_array_append_new(list, t) == 0) {
                continue;
            }

            t = NULL;
        }

        json_decref(t);
        json_decref(list);
        return;
    }

    doc = json_pack("{s:i, s:i, s:I, s:o}",
                    "version", 1,
                    "pid", (int) ngx_pid,
                    "updated_ms", (json_int_t) now,
                    "tables", list ? list : json_array());
    if (doc == NULL) {
        return;
    }

    (void) ngx_http_icetap_report_json(&v->imcf->dir, "inventory.json", doc,
                                       &failed);
    json_decref(doc);
}


static int64_t
ngx_http_icetap_inventory_now_ms(void)
{
    ngx_time_t  *tp;

    ngx_time_update();
    tp = ngx_timeofday();

    return (int64_t) tp->sec * 1000 + tp->msec;
}
