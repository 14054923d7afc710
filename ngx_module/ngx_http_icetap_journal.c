/*
 * Copyright (C) icetap authors
 *
 * The journal helper, "nginx: icetap journal": every interval it reads
 * the S3 Metadata configurations from the store, makes sure each
 * configured bucket's journal table exists (moving the configuration
 * from CREATING to ACTIVE), commits the bucket's WAL records to it
 * (core/icetap_journal_writer.c: rows and WAL cursor in one commit, so a
 * crash anywhere resumes exactly once), expires rows past the record
 * expiration of the configuration and old snapshots, deletes
 * the WAL segments every configured table has consumed and writes
 * "<WAL dir>/journal.json" with each table's lag.
 *
 * A segment is deleted only when its file was last written before the
 * pass read the configurations: a configuration created later enables
 * journaling at a time (enabled_at_us) after the segment's records, so
 * it never needed them.  While a configured bucket's table cannot be
 * opened, no segment is deleted.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <jansson.h>

#include <icetap/journal_writer.h>
#include <icetap/mdconf.h>

#include "ngx_http_icetap_module.h"


#define NGX_HTTP_ICETAP_JOURNAL_PREFIX   "icetap/config/buckets/"
#define NGX_HTTP_ICETAP_JOURNAL_SUFFIX   "/metadata.json"
#define NGX_HTTP_ICETAP_JOURNAL_BUDGET   (30 * 1000)     /* per bucket */
#define NGX_HTTP_ICETAP_JOURNAL_EXPIRE   (10 * 60 * 1000)
#define NGX_HTTP_ICETAP_JOURNAL_MARGIN   2000            /* ms of mtime */
#define NGX_HTTP_ICETAP_JOURNAL_LAG_MAX  1000000


struct ngx_http_icetap_journal_conf_s {
    ngx_msec_t                     interval;
    size_t                         max_records;
    ngx_int_t                      format;
    ngx_msec_t                     retention;
    ngx_msec_t                     clock_offset;    /* ages, for tests */
    ngx_uint_t                     lookups;         /* threads, 0: none */
};


#define NGX_HTTP_ICETAP_JOURNAL_MAX_LOOKUPS  64


typedef struct {
    char                           bucket[ICETAP_MDCONF_NAME_LEN];
    char                           error[ICETAP_ERR_MSG_LEN];
    int64_t                        enabled_at_us;
    int64_t                        expiration_days; /* 0: never */
    icetap_store_t                *source;
    icetap_store_t                *lookup[NGX_HTTP_ICETAP_JOURNAL_MAX_LOOKUPS];
    ngx_uint_t                     nlookup;
    icetap_journal_table_t        *jt;
    icetap_journal_writer_t       *jw;
    int64_t                        expired_ms;
    uint64_t                       lag;
    int64_t                        oldest_us;
    ngx_uint_t                     seen;            /* unsigned:1 */
    ngx_uint_t                     inventory;       /* keeps its records */
} ngx_http_icetap_jtable_t;


typedef struct {
    ngx_http_icetap_main_conf_t   *imcf;
    ngx_http_icetap_journal_conf_t *jcf;
    ngx_log_t                     *log;
    icetap_store_t                *state;
    ngx_http_icetap_jtable_t      *tables;
    ngx_uint_t                     ntables;
    ngx_uint_t                     blocked;         /* keep every segment */
    uint64_t                       deleted;
    char                         **buckets;         /* of this pass */
    size_t                         nbuckets;
    size_t                         cbuckets;
} ngx_http_icetap_journal_t;


static ngx_int_t ngx_http_icetap_journal_run(ngx_cycle_t *cycle,
    void *data);
static ngx_int_t ngx_http_icetap_journal_pass(ngx_http_icetap_journal_t *j);
static icetap_rc ngx_http_icetap_journal_list(void *ctx,
    const icetap_store_page_t *page);
static ngx_int_t ngx_http_icetap_journal_config(ngx_http_icetap_journal_t *j,
    const char *bucket);
static ngx_http_icetap_jtable_t *ngx_http_icetap_journal_table(
    ngx_http_icetap_journal_t *j, const char *bucket);
static void ngx_http_icetap_journal_drop(ngx_http_icetap_jtable_t *jt);
static void ngx_http_icetap_journal_commit(ngx_http_icetap_journal_t *j,
    ngx_http_icetap_jtable_t *jt);
static void ngx_http_icetap_journal_gc(ngx_http_icetap_journal_t *j,
    int64_t listed_ms);
static ngx_int_t ngx_http_icetap_journal_inventory_cursor(
    ngx_http_icetap_journal_t *j, const char *bucket, icetap_wal_cursor_t *c);
static void ngx_http_icetap_journal_status(ngx_http_icetap_journal_t *j);
static int64_t ngx_http_icetap_journal_now_ms(void);


char *
ngx_http_icetap_journal(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_icetap_main_conf_t  *imcf = conf;

    ssize_t                          n;
    ngx_str_t                       *value, s;
    ngx_msec_t                       ms;
    ngx_uint_t                       i;
    ngx_http_icetap_journal_conf_t  *jcf;

    if (imcf->journal != NULL) {
        return "is duplicate";
    }

    jcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_icetap_journal_conf_t));
    if (jcf == NULL) {
        return NGX_CONF_ERROR;
    }

    jcf->interval = 5000;
    jcf->max_records = 100000;
    jcf->format = 3;
    jcf->retention = 24 * 60 * 60 * 1000;
    jcf->lookups = 8;

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        s.data = (u_char *) ngx_strchr(value[i].data, '=');

        if (s.data == NULL) {
            goto invalid;
        }

        s.data++;
        s.len = value[i].data + value[i].len - s.data;

        if (ngx_strncmp(value[i].data, "interval=", 9) == 0
            || ngx_strncmp(value[i].data, "retention=", 10) == 0
            || ngx_strncmp(value[i].data, "clock_offset=", 13) == 0)
        {
            ms = ngx_parse_time(&s, 0);
            if (ms == (ngx_msec_t) NGX_ERROR
                || (ms == 0 && value[i].data[0] != 'c'))
            {
                goto invalid;
            }

            if (value[i].data[0] == 'i') {
                jcf->interval = ms;

            } else if (value[i].data[0] == 'r') {
                jcf->retention = ms;

            } else {
                jcf->clock_offset = ms;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "max_records=", 12) == 0) {
            n = ngx_atosz(s.data, s.len);
            if (n <= 0) {
                goto invalid;
            }

            jcf->max_records = n;
            continue;
        }

        if (ngx_strncmp(value[i].data, "lookups=", 8) == 0) {
            n = ngx_atosz(s.data, s.len);
            if (n < 0 || n > NGX_HTTP_ICETAP_JOURNAL_MAX_LOOKUPS) {
                goto invalid;
            }

            jcf->lookups = n;
            continue;
        }

        if (ngx_strcmp(value[i].data, "format=2") == 0
            || ngx_strcmp(value[i].data, "format=3") == 0)
        {
            jcf->format = value[i].data[7] - '0';
            continue;
        }

        goto invalid;
    }

    imcf->journal = jcf;

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid parameter \"%V\"",
                       &value[i]);
    return NGX_CONF_ERROR;
}


ngx_int_t
ngx_http_icetap_journal_init(ngx_conf_t *cf,
    ngx_http_icetap_main_conf_t *imcf)
{
    ngx_str_t  name;

    if (imcf->journal == NULL) {
        return NGX_OK;
    }

    if (!imcf->configured || imcf->store == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"icetap_journal\" requires \"icetap_wal\" and "
                           "\"icetap_store\" in the http block");
        return NGX_ERROR;
    }

    ngx_str_set(&name, "journal");

    return ngx_http_icetap_helper_add(cf, &name, ngx_http_icetap_journal_run,
                                      imcf);
}


static ngx_int_t
ngx_http_icetap_journal_run(ngx_cycle_t *cycle, void *data)
{
    ngx_int_t                   rc;
    ngx_uint_t                  i;
    icetap_error_t              err;
    ngx_http_icetap_journal_t   j;

    ngx_memzero(&j, sizeof(ngx_http_icetap_journal_t));
    j.imcf = data;
    j.jcf = j.imcf->journal;
    j.log = cycle->log;

    j.state = ngx_http_icetap_store_open(j.imcf->store,
                                         (char *) j.imcf->store->bucket.data,
                                         &err);
    if (j.state == NULL) {
        ngx_log_error(NGX_LOG_ALERT, j.log, 0,
                      "icetap: journal: the state store: %s", err.msg);
        return NGX_ERROR;
    }

    rc = NGX_OK;

    while (!ngx_http_icetap_helper_should_exit()) {

        if (ngx_http_icetap_journal_pass(&j) != NGX_OK) {
            rc = NGX_ERROR;
            break;
        }

        if (ngx_http_icetap_helper_sleep(j.jcf->interval)) {
            break;
        }
    }

    for (i = 0; i < j.ntables; i++) {
        ngx_http_icetap_journal_drop(&j.tables[i]);
    }

    ngx_free(j.tables);
    ngx_free(j.buckets);
    icetap_store_destroy(j.state);

    return rc;
}


static ngx_int_t
ngx_http_icetap_journal_pass(ngx_http_icetap_journal_t *j)
{
    size_t                     i;
    int64_t                    listed_ms;
    ngx_uint_t                 k, n;
    icetap_rc                  rc;
    icetap_error_t             err;
    icetap_store_list_opts_t   opts;

    listed_ms = ngx_http_icetap_journal_now_ms();
    j->nbuckets = 0;
    j->blocked = 0;

    ngx_memzero(&opts, sizeof(icetap_store_list_opts_t));
    opts.prefix = NGX_HTTP_ICETAP_JOURNAL_PREFIX;

    rc = icetap_store_list(j->state, &opts, ngx_http_icetap_journal_list, j,
                           &err);

    if (rc == ICETAP_NOTFOUND) {
        /* no state bucket yet: no configuration either */
        rc = ICETAP_OK;
    }

    if (rc != ICETAP_OK) {
        ngx_log_error(NGX_LOG_ERR, j->log, 0,
                      "icetap: journal: listing the metadata configurations "
                      "failed: %s; retrying", err.msg);

        for (i = 0; i < j->nbuckets; i++) {
            ngx_free(j->buckets[i]);
        }

        return rc == ICETAP_NOMEM ? NGX_ERROR : NGX_OK;
    }

    for (k = 0; k < j->ntables; k++) {
        j->tables[k].seen = 0;
    }

    for (i = 0; i < j->nbuckets; i++) {
        if (ngx_http_icetap_journal_config(j, j->buckets[i]) != NGX_OK) {
            j->blocked = 1;
        }

        ngx_free(j->buckets[i]);
    }

    /* configurations deleted: their tables are no longer written */

    n = 0;

    for (k = 0; k < j->ntables; k++) {
        if (j->tables[k].seen) {
            j->tables[n++] = j->tables[k];
            continue;
        }

        ngx_log_error(NGX_LOG_NOTICE, j->log, 0,
                      "icetap: journal: bucket \"%s\" has no metadata "
                      "configuration any more, its journal stops",
                      j->tables[k].bucket);
        ngx_http_icetap_journal_drop(&j->tables[k]);
    }

    j->ntables = n;

    for (k = 0; k < j->ntables; k++) {
        if (ngx_http_icetap_helper_should_exit()) {
            return NGX_OK;
        }

        ngx_http_icetap_journal_commit(j, &j->tables[k]);
    }

    if (!j->blocked) {
        ngx_http_icetap_journal_gc(j, listed_ms);
    }

    ngx_http_icetap_journal_status(j);

    return NGX_OK;
}


static icetap_rc
ngx_http_icetap_journal_list(void *ctx, const icetap_store_page_t *page)
{
    char                       *b, **nb;
    size_t                      i, len, pl, sl;
    const char                 *key;
    ngx_http_icetap_journal_t  *j = ctx;

    pl = sizeof(NGX_HTTP_ICETAP_JOURNAL_PREFIX) - 1;
    sl = sizeof(NGX_HTTP_ICETAP_JOURNAL_SUFFIX) - 1;

    for (i = 0; i < page->nentries; i++) {
        key = page->entries[i].key;
        len = ngx_strlen(key);

        if (len <= pl + sl
            || ngx_strcmp(key + len - sl, NGX_HTTP_ICETAP_JOURNAL_SUFFIX) != 0
            || ngx_strlchr((u_char *) key + pl, (u_char *) key + len - sl,
                           '/'))
        {
            continue;
        }

        if (len - pl - sl >= ICETAP_MDCONF_NAME_LEN) {
            continue;
        }

        if (j->nbuckets == j->cbuckets) {
            j->cbuckets = j->cbuckets ? 2 * j->cbuckets : 16;

            nb = ngx_alloc(j->cbuckets * sizeof(char *), j->log);
            if (nb == NULL) {
                return ICETAP_NOMEM;
            }

            if (j->nbuckets) {
                ngx_memcpy(nb, j->buckets, j->nbuckets * sizeof(char *));
            }

            ngx_free(j->buckets);
            j->buckets = nb;
        }

        b = ngx_alloc(len - pl - sl + 1, j->log);
        if (b == NULL) {
            return ICETAP_NOMEM;
        }

        ngx_memcpy(b, key + pl, len - pl - sl);
        b[len - pl - sl] = '\0';

        j->buckets[j->nbuckets++] = b;
    }

    return ICETAP_OK;
}


/*
 * One configuration: its table opened (created while the configuration
 * is CREATING), the configuration made ACTIVE, the writer ready.  NGX_OK
 * when the bucket is journaled or needs nothing (FAILED); else segments
 * must be kept.
 */

static ngx_int_t
ngx_http_icetap_journal_config(ngx_http_icetap_journal_t *j,
    const char *bucket)
{
    char                           etag[ICETAP_STORE_ETAG_LEN];
    const char                    *tb;
    icetap_rc                      rc;
    icetap_error_t                 err;
    icetap_mdconf_t               *conf;
    ngx_http_icetap_jtable_t      *jt;
    icetap_journal_table_conf_t    tc;
    icetap_journal_writer_conf_t   wc;

    conf = ngx_alloc(sizeof(icetap_mdconf_t), j->log);
    if (conf == NULL) {
        return NGX_ERROR;
    }

    ngx_memzero(conf, sizeof(icetap_mdconf_t));

    rc = icetap_mdconf_load(j->state, bucket, conf, etag, &err);

    if (rc == ICETAP_NOTFOUND) {
        /* deleted since the listing */
        ngx_free(conf);
        return NGX_OK;
    }

    jt = ngx_http_icetap_journal_table(j, bucket);

    if (rc != ICETAP_OK || jt == NULL) {
        ngx_log_error(NGX_LOG_ERR, j->log, 0,
                      "icetap: journal: the metadata configuration of "
                      "bucket \"%s\": %s; retrying", bucket,
                      jt ? err.msg : "out of memory");
        ngx_free(conf);
        return NGX_ERROR;
    }

    jt->seen = 1;
    jt->expiration_days = conf->expiration_days;

    /* the inventory helper reads the WAL after its own cursor too */
    jt->inventory = j->imcf->inventory != NULL && conf->inventory_enabled
                    && ngx_strcmp(conf->inventory.status, "FAILED") != 0;

    if (ngx_strcmp(conf->journal.status, "FAILED") == 0) {
        ngx_http_icetap_journal_drop(jt);
        jt->seen = 1;
        ngx_free(conf);
        return NGX_OK;
    }

    if (jt->jw != NULL && jt->enabled_at_us != conf->enabled_at_us) {
        /* deleted and created again: another table, another start */
        ngx_http_icetap_journal_drop(jt);
        jt->seen = 1;
    }

    if (jt->jt == NULL) {
        tb = ngx_strstr(conf->table_bucket_arn, ":bucket/");
        tb = tb ? tb + 8 : "aws-s3";

        ngx_memzero(&tc, sizeof(icetap_journal_table_conf_t));
        tc.state_bucket = (char *) j->imcf->store->bucket.data;
        tc.table_bucket = tb;
        tc.bucket_arn = conf->table_bucket_arn;
        tc.bucket_type = conf->table_bucket_type[0]
                         ? conf->table_bucket_type : "aws";
        tc.namespace = conf->namespace;
        tc.name = conf->journal.name[0] ? conf->journal.name : "journal";
        tc.arn = conf->journal.arn;
        tc.format_version = (int) j->jcf->format;

        rc = icetap_journal_table_open(j->state, &tc,
                                       ngx_strcmp(conf->journal.status,
                                                  "CREATING") == 0,
                                       &jt->jt, &err);

        if (rc == ICETAP_CONFLICT
            && ngx_strcmp(conf->journal.status, "CREATING") == 0)
        {
            ngx_log_error(NGX_LOG_ERR, j->log, 0,
                          "icetap: journal: bucket \"%s\": %s; the "
                          "configuration FAILED with "
                          "JournalTableAlreadyExists", bucket, err.msg);

            ngx_cpystrn((u_char *) conf->journal.status, (u_char *) "FAILED",
                        sizeof(conf->journal.status));
            ngx_cpystrn((u_char *) conf->journal.error_code,
                        (u_char *) "JournalTableAlreadyExists",
                        sizeof(conf->journal.error_code));
            ngx_cpystrn((u_char *) conf->journal.error_message,
                        (u_char *) "A journal table already exists in the "
                        "namespace; delete it first",
                        sizeof(conf->journal.error_message));

            (void) icetap_mdconf_save(j->state, conf, etag, NULL, &err);
            ngx_free(conf);
            return NGX_OK;
        }

        if (rc != ICETAP_OK) {
            ngx_log_error(NGX_LOG_ERR, j->log, 0,
                          "icetap: journal: the journal table of bucket "
                          "\"%s\": %s; retrying", bucket, err.msg);
            ngx_cpystrn((u_char *) jt->error, (u_char *) err.msg,
                        sizeof(jt->error));
            jt->jt = NULL;
            ngx_free(conf);
            return NGX_ERROR;
        }

        if (jt->jt->created) {
            ngx_log_error(NGX_LOG_NOTICE, j->log, 0,
                          "icetap: journal: created table %s.%s.%s of "
                          "bucket \"%s\"", tb, conf->namespace,
                          tc.name, bucket);
        }
    }

    if (ngx_strcmp(conf->journal.status, "CREATING") == 0) {
        ngx_cpystrn((u_char *) conf->journal.status, (u_char *) "ACTIVE",
                    sizeof(conf->journal.status));

        rc = icetap_mdconf_save(j->state, conf, etag, NULL, &err);

        if (rc == ICETAP_OK) {
            ngx_log_error(NGX_LOG_NOTICE, j->log, 0,
                          "icetap: journal: the journal of bucket \"%s\" "
                          "is ACTIVE", bucket);

        } else {
            /* changed meanwhile: the next pass reads it again */
            ngx_log_error(NGX_LOG_WARN, j->log, 0,
                          "icetap: journal: making the journal of bucket "
                          "\"%s\" ACTIVE: %s; retrying", bucket, err.msg);
        }
    }

    if (jt->source == NULL) {
        jt->source = ngx_http_icetap_store_open(j->imcf->store, bucket, &err);

        if (jt->source == NULL) {
            ngx_log_error(NGX_LOG_ERR, j->log, 0,
                          "icetap: journal: store of bucket \"%s\": %s",
                          bucket, err.msg);
            ngx_free(conf);
            return NGX_ERROR;
        }
    }

    while (jt->nlookup < j->jcf->lookups) {
        /* more handles on the bucket: a batch's lookups run in parallel */

        jt->lookup[jt->nlookup] = ngx_http_icetap_store_open(j->imcf->store,
                                                            bucket, &err);
        if (jt->lookup[jt->nlookup] == NULL) {
            ngx_log_error(NGX_LOG_ERR, j->log, 0,
                          "icetap: journal: store of bucket \"%s\": %s",
                          bucket, err.msg);
            ngx_free(conf);
            return NGX_ERROR;
        }

        jt->nlookup++;
    }

    if (jt->jw == NULL) {
        ngx_memzero(&wc, sizeof(icetap_journal_writer_conf_t));
        wc.wal_dir = (char *) j->imcf->dir.data;
        wc.bucket = bucket;
        wc.enabled_at_us = conf->enabled_at_us;
        wc.max_records = j->jcf->max_records;
        wc.source = jt->source;
        wc.lookup_stores = jt->lookup;
        wc.nlookup_stores = jt->nlookup;

        rc = icetap_journal_writer_open(jt->jt->table, &wc, &jt->jw, &err);
        if (rc != ICETAP_OK) {
            ngx_free(conf);
            return NGX_ERROR;
        }

        jt->enabled_at_us = conf->enabled_at_us;
    }

    ngx_free(conf);

    return NGX_OK;
}


static ngx_http_icetap_jtable_t *
ngx_http_icetap_journal_table(ngx_http_icetap_journal_t *j,
    const char *bucket)
{
    ngx_uint_t                 k;
    ngx_http_icetap_jtable_t  *t;

    for (k = 0; k < j->ntables; k++) {
        if (ngx_strcmp(j->tables[k].bucket, bucket) == 0) {
            return &j->tables[k];
        }
    }

    t = ngx_alloc((j->ntables + 1) * sizeof(ngx_http_icetap_jtable_t),
                  j->log);
    if (t == NULL) {
        return NULL;
    }

    if (j->ntables) {
        ngx_memcpy(t, j->tables, j->ntables * sizeof(ngx_http_icetap_jtable_t));
    }

    ngx_free(j->tables);
    j->tables = t;

    t = &j->tables[j->ntables++];
    ngx_memzero(t, sizeof(ngx_http_icetap_jtable_t));
    ngx_cpystrn((u_char *) t->bucket, (u_char *) bucket, sizeof(t->bucket));

    return t;
}


static void
ngx_http_icetap_journal_drop(ngx_http_icetap_jtable_t *jt)
{
    icetap_journal_writer_free(jt->jw);
    icetap_journal_table_close(jt->jt);

    if (jt->source) {
        icetap_store_destroy(jt->source);
    }

    while (jt->nlookup) {
        icetap_store_destroy(jt->lookup[--jt->nlookup]);
    }

    jt->jw = NULL;
    jt->jt = NULL;
    jt->source = NULL;
    jt->seen = 0;
}


/* commits what the WAL holds for one table, then expires old snapshots */

static void
ngx_http_icetap_journal_commit(ngx_http_icetap_journal_t *j,
    ngx_http_icetap_jtable_t *jt)
{
    int                      more;
    size_t                   rows;
    size_t                   files;
    int64_t                  start, now, age;
    uint64_t                 expired;
    icetap_rc                rc;
    ngx_uint_t               level;
    icetap_error_t           err;
    icetap_table_expired_t   ex;

    if (jt->jw == NULL) {
        return;
    }

    start = ngx_http_icetap_journal_now_ms();

    do {
        rc = icetap_journal_writer_step(jt->jw, &rows, &more, &err);

        if (rc != ICETAP_OK) {
            level = (rc == ICETAP_CONFLICT) ? NGX_LOG_WARN : NGX_LOG_ERR;

            ngx_log_error(level, j->log, 0,
                          "icetap: journal: bucket \"%s\": %s; retrying",
                          jt->bucket, err.msg);
            ngx_cpystrn((u_char *) jt->error, (u_char *) err.msg,
                        sizeof(jt->error));
            break;
        }

        jt->error[0] = '\0';

        if (rows) {
            ngx_log_debug2(NGX_LOG_DEBUG_HTTP, j->log, 0,
                           "icetap: journal: \"%s\": %uz rows committed",
                           jt->bucket, rows);
        }

        now = ngx_http_icetap_journal_now_ms();

    } while (more && now - start < NGX_HTTP_ICETAP_JOURNAL_BUDGET
             && !ngx_http_icetap_helper_should_exit());

    if (icetap_journal_writer_lag(jt->jw, NGX_HTTP_ICETAP_JOURNAL_LAG_MAX,
                                  &jt->lag, &jt->oldest_us, &err)
        != ICETAP_OK)
    {
        jt->lag = 0;
        jt->oldest_us = 0;
    }

    /*
     * Rows older than the configuration's record expiration go with
     * their day; snapshots are kept as S3 Metadata keeps them: at least
     * one, none older than the retention.
     */

    now = ngx_http_icetap_journal_now_ms();

    if (now - jt->expired_ms < (int64_t) ngx_min(j->jcf->retention,
                                              NGX_HTTP_ICETAP_JOURNAL_EXPIRE))
    {
        return;
    }

    age = now + (int64_t) j->jcf->clock_offset;

    if (jt->expiration_days > 0) {
        rc = icetap_journal_expire_records(jt->jt->table,
                                           age * 1000 - jt->expiration_days
                                                        * 86400000000LL,
                                           &files, &expired, &err);
        if (rc != ICETAP_OK) {
            ngx_log_error(NGX_LOG_WARN, j->log, 0,
                          "icetap: journal: expiring records of bucket "
                          "\"%s\": %s; retrying", jt->bucket, err.msg);
            return;
        }

        if (files) {
            ngx_log_error(NGX_LOG_INFO, j->log, 0,
                          "icetap: journal: bucket \"%s\": %uL record(s) "
                          "older than %L days expired, %uz file(s)",
                          jt->bucket, expired, jt->expiration_days, files);
        }
    }

    rc = icetap_table_expire(jt->jt->table, age - j->jcf->retention, 1, 0,
                             &ex, &err);

    if (rc != ICETAP_OK) {
        ngx_log_error(NGX_LOG_WARN, j->log, 0,
                      "icetap: journal: expiring snapshots of bucket "
                      "\"%s\": %s; retrying", jt->bucket, err.msg);
        return;
    }

    jt->expired_ms = now;

    if (ex.snapshots) {
        ngx_log_error(NGX_LOG_INFO, j->log, 0,
                      "icetap: journal: bucket \"%s\": %uz snapshot(s), "
                      "%uz data file(s) expired", jt->bucket, ex.snapshots,
                      ex.data_files);
    }
}


static void
ngx_http_icetap_journal_gc(ngx_http_icetap_journal_t *j, int64_t listed_ms)
{
    char                        **names, **done;
    size_t                        n, ndone, i, ncs;
    ngx_uint_t                    k, ninv, ok;
    icetap_wal_cursor_t          *inv;
    icetap_error_t                err;
    ngx_file_info_t               fi;
    icetap_wal_cursor_t           min;
    const icetap_wal_cursor_t   **cs;
    u_char                        path[NGX_MAX_PATH];

    if (icetap_wal_list((char *) j->imcf->dir.data, &names, &n, &err)
        != ICETAP_OK)
    {
        return;
    }

    ncs = 0;

    for (k = 0; k < j->ntables; k++) {
        if (j->tables[k].jw) {
            ncs++;
        }

        ncs += (j->tables[k].inventory != 0);
    }

    cs = ngx_alloc((ncs + 1) * sizeof(icetap_wal_cursor_t *), j->log);
    inv = ngx_calloc((ncs + 1) * sizeof(icetap_wal_cursor_t), j->log);

    if (cs == NULL || inv == NULL) {
        ngx_free(cs);
        ngx_free(inv);
        icetap_wal_free_list(names, n);
        return;
    }

    i = 0;
    ninv = 0;
    ok = 1;

    for (k = 0; k < j->ntables; k++) {
        if (j->tables[k].jw) {
            cs[i++] = icetap_journal_writer_cursor(j->tables[k].jw);
        }

        if (!j->tables[k].inventory) {
            continue;
        }

        /* no cursor of the inventory yet: every segment is kept */

        if (ngx_http_icetap_journal_inventory_cursor(j, j->tables[k].bucket,
                                                     &inv[ninv])
            != NGX_OK)
        {
            ok = 0;
            break;
        }

        cs[i++] = &inv[ninv++];
    }

    if (!ok || icetap_journal_cursor_min(cs, i, names, n, &min) != ICETAP_OK)
    {
        for (k = 0; k < ninv; k++) {
            icetap_wal_cursor_free(&inv[k]);
        }

        ngx_free(inv);
        ngx_free(cs);
        icetap_wal_free_list(names, n);
        return;
    }

    for (k = 0; k < ninv; k++) {
        icetap_wal_cursor_free(&inv[k]);
    }

    ngx_free(inv);
    ngx_free(cs);
    icetap_wal_free_list(names, n);

    if (icetap_wal_consumed((char *) j->imcf->dir.data, &min, &done, &ndone,
                            &err)
        != ICETAP_OK)
    {
        icetap_wal_cursor_free(&min);
        return;
    }

    icetap_wal_cursor_free(&min);

    for (i = 0; i < ndone; i++) {
        *ngx_snprintf(path, NGX_MAX_PATH - 1, "%V/%s", &j->imcf->dir,
                      done[i]) = '\0';

        if (ngx_file_info(path, &fi) == NGX_FILE_ERROR
            || (int64_t) ngx_file_mtime(&fi) * 1000
               >= listed_ms - NGX_HTTP_ICETAP_JOURNAL_MARGIN)
        {
            continue;
        }

        if (ngx_delete_file(path) == NGX_FILE_ERROR) {
            ngx_log_error(NGX_LOG_WARN, j->log, ngx_errno,
                          "icetap: journal: deleting \"%s\" failed", path);
            continue;
        }

        j->deleted++;

        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, j->log, 0,
                       "icetap: journal: WAL segment \"%s\" removed",
                       done[i]);
    }

    icetap_wal_free_list(done, ndone);
}


/* "<WAL dir>/inventory-<bucket>.cursor" of the inventory helper */

static ngx_int_t
ngx_http_icetap_journal_inventory_cursor(ngx_http_icetap_journal_t *j,
    const char *bucket, icetap_wal_cursor_t *c)
{
    ssize_t          n;
    ngx_fd_t         fd;
    icetap_error_t   err;
    u_char           path[NGX_MAX_PATH], buf[65536];

    *ngx_snprintf(path, NGX_MAX_PATH - 1, "%V/inventory-%s.cursor",
                  &j->imcf->dir, bucket) = '\0';

    fd = ngx_open_file(path, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        return NGX_DECLINED;
    }

    n = read(fd, buf, sizeof(buf) - 1);
    ngx_close_file(fd);

    if (n <= 0 || n == (ssize_t) sizeof(buf) - 1) {
        return NGX_DECLINED;
    }

    buf[n] = '\0';

    if (icetap_wal_cursor_parse((char *) buf, c, &err) != ICETAP_OK) {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/* "<WAL dir>/journal.json", replaced atomically */

static void
ngx_http_icetap_journal_status(ngx_http_icetap_journal_t *j)
{
    int64_t                        now;
    json_t                        *doc, *list, *t;
    ngx_uint_t                     k;
    const char                    *failed;
    ngx_http_icetap_jtable_t      *jt;
    const icetap_journal_stats_t  *st;

    now = ngx_http_icetap_journal_now_ms();
    list = json_array();

    for (k = 0; list && k < j->ntables; k++) {
        jt = &j->tables[k];
        st = jt->jw ? icetap_journal_writer_stats(jt->jw) : NULL;

        t = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I,"
                      " s:I, s:I, s:s}",
                      "bucket", jt->bucket,
                      "namespace", jt->jt ? jt->jt->entry.namespace : "",
                      "table", jt->jt ? jt->jt->entry.name : "",
                      "arn", jt->jt ? jt->jt->entry.arn : "",
                      "records_behind", (json_int_t) jt->lag,
                      "oldest_uncommitted_age_ms",
                      (json_int_t) (jt->oldest_us
                                    ? now - jt->oldest_us / 1000 : 0),
                      "commits", (json_int_t) (st ? st->commits : 0),
                      "rows", (json_int_t) (st ? st->rows : 0),
                      "last_commit_ms",
                      (json_int_t) (st ? st->last_commit_ms : 0),
                      "snapshot_id", (json_int_t) (st ? st->snapshot_id : 0),
                      "lookups", (json_int_t) (st ? st->lookups : 0),
                      "lookups_ahead",
                      (json_int_t) (st ? st->lookups_ahead : 0),
                      "error", jt->error);

        if (t == NULL || json_array_append_new(list, t) != 0) {
            json_decref(list);
            return;
        }
    }

    doc = json_pack("{s:i, s:i, s:I, s:I, s:o}",
                    "version", 1,
                    "pid", (int) ngx_pid,
                    "updated_ms", (json_int_t) now,
                    "wal_segments_deleted", (json_int_t) j->deleted,
                    "tables", list ? list : json_array());
    if (doc == NULL) {
        return;
    }

    (void) ngx_http_icetap_report_json(&j->imcf->dir, "journal.json", doc,
                                       &failed);
    json_decref(doc);
}


static int64_t
ngx_http_icetap_journal_now_ms(void)
{
    ngx_time_t  *tp;

    ngx_time_update();
    tp = ngx_timeofday();

    return (int64_t) tp->sec * 1000 + tp->msec;
}
