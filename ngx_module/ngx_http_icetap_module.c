/*
 * Copyright (C) icetap authors
 *
 * The module object: directives, configuration, phase and filter
 * registration.  The work is done in ngx_http_icetap_tap.c (the mutation
 * tap), ngx_http_icetap_wal.c (the worker's WAL writer) and the helper
 * processes of ngx_http_icetap_process.c.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_icetap_module.h"


static void *ngx_http_icetap_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_icetap_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_icetap_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_icetap_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static char *ngx_http_icetap_wal(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_icetap_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static ngx_int_t ngx_http_icetap_init(ngx_conf_t *cf);
static ngx_int_t ngx_http_icetap_init_process(ngx_cycle_t *cycle);
static void ngx_http_icetap_exit_process(ngx_cycle_t *cycle);


static ngx_command_t  ngx_http_icetap_commands[] = {

    { ngx_string("icetap_wal"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_icetap_wal,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("icetap_tap"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_icetap_loc_conf_t, tap),
      NULL },

    { ngx_string("icetap_tap_body_limit"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_icetap_loc_conf_t, body_limit),
      NULL },

    { ngx_string("icetap_status"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_icetap_status,
      0,
      0,
      NULL },

    { ngx_string("icetap_tap_upload_cache"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_icetap_upload_cache,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("icetap_virtual_host_suffix"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_conf_set_str_array_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_icetap_loc_conf_t, vhost_suffixes),
      NULL },

    { ngx_string("icetap_store"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_2MORE,
      ngx_http_icetap_store,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_icetap_main_conf_t, store),
      NULL },

    { ngx_string("icetap_journal"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_ANY,
      ngx_http_icetap_journal,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("icetap_plugin"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_2MORE,
      ngx_http_icetap_plugin,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("icetap_inventory"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_ANY,
      ngx_http_icetap_inventory,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("icetap_access_key"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE2,
      ngx_http_icetap_access_key,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("icetap_access_key_file"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_icetap_access_key_file,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("icetap_region"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_icetap_main_conf_t, region),
      NULL },

    { ngx_string("icetap_account_id"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_icetap_account_id,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("icetap_tables_api"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_icetap_tables_api,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("icetap_tables_api_body_limit"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_icetap_tables_body_limit,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("icetap_tables_s3_endpoint"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_icetap_tables_s3_endpoint,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("icetap_policy"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE4,
      ngx_http_icetap_tables_policy,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_icetap_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_http_icetap_init,                  /* postconfiguration */

    ngx_http_icetap_create_main_conf,      /* create main configuration */
    ngx_http_icetap_init_main_conf,        /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_icetap_create_loc_conf,       /* create location configuration */
    ngx_http_icetap_merge_loc_conf         /* merge location configuration */
};


ngx_module_t  ngx_http_icetap_module = {
    NGX_MODULE_V1,
    &ngx_http_icetap_module_ctx,           /* module context */
    ngx_http_icetap_commands,              /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_icetap_init_process,          /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_icetap_exit_process,          /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static void *
ngx_http_icetap_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_icetap_main_conf_t  *imcf;

    imcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_icetap_main_conf_t));
    if (imcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     imcf->dir = { 0, NULL };
     *     imcf->shm_zone = NULL;
     *     imcf->helpers = NULL;
     *     imcf->configured = 0;
     *     imcf->store = NULL;
     *     imcf->journal = NULL;
     *     imcf->plugins = NULL;
     *     imcf->inventory = NULL;
     *     imcf->keys = NULL;
     *     imcf->region = { 0, NULL };
     *     imcf->account_id = { 0, NULL };
     *     imcf->uploads = NULL;
     *     imcf->status_used = 0;
     */

    imcf->sync_interval = NGX_CONF_UNSET_MSEC;
    imcf->sync_always = NGX_CONF_UNSET;
    imcf->max_size = NGX_CONF_UNSET;
    imcf->segment_size = NGX_CONF_UNSET;
    imcf->uploads_size = NGX_CONF_UNSET_SIZE;

    return imcf;
}


static char *
ngx_http_icetap_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_icetap_main_conf_t  *imcf = conf;

    ngx_conf_init_msec_value(imcf->sync_interval, 100);
    ngx_conf_init_value(imcf->sync_always, 0);
    ngx_conf_init_value(imcf->max_size, (off_t) 1024 * 1024 * 1024);
    ngx_conf_init_value(imcf->segment_size, (off_t) 64 * 1024 * 1024);

    if (imcf->region.data == NULL) {
        ngx_str_set(&imcf->region, "us-east-1");
    }

    if (imcf->account_id.data == NULL) {
        ngx_str_set(&imcf->account_id, "111122223333");
    }

    if (imcf->configured
        && ngx_http_icetap_wal_init_conf(cf, imcf) != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static void *
ngx_http_icetap_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_icetap_loc_conf_t  *ilcf;

    ilcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_icetap_loc_conf_t));
    if (ilcf == NULL) {
        return NULL;
    }

    ilcf->tap = NGX_CONF_UNSET;
    ilcf->body_limit = NGX_CONF_UNSET_SIZE;
    ilcf->vhost_suffixes = NGX_CONF_UNSET_PTR;

    return ilcf;
}


static char *
ngx_http_icetap_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_icetap_loc_conf_t *prev = parent;
    ngx_http_icetap_loc_conf_t *conf = child;

    ngx_http_icetap_main_conf_t  *imcf;

    ngx_conf_merge_value(conf->tap, prev->tap, 0);
    ngx_conf_merge_size_value(conf->body_limit, prev->body_limit,
                              4 * 1024 * 1024);
    ngx_conf_merge_ptr_value(conf->vhost_suffixes, prev->vhost_suffixes,
                             NULL);

    if (ngx_http_icetap_tables_merge(cf, prev, conf) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    if (conf->tap) {
        imcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_icetap_module);

        if (!imcf->configured) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"icetap_tap\" requires \"icetap_wal\" "
                               "in the http block");
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


/*
 * icetap_wal DIR [sync=always|TIME] [max_size=SIZE] [segment_size=SIZE];
 */

static char *
ngx_http_icetap_wal(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_icetap_main_conf_t  *imcf = conf;

    off_t        size;
    ngx_str_t   *value, s, name;
    ngx_msec_t   ms;
    ngx_uint_t   i;

    if (imcf->configured) {
        return "is duplicate";
    }

    value = cf->args->elts;

    imcf->dir = value[1];

    if (ngx_conf_full_name(cf->cycle, &imcf->dir, 0) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "sync=", 5) == 0) {
            s.data = value[i].data + 5;
            s.len = value[i].len - 5;

            if (s.len == 6 && ngx_strncmp(s.data, "always", 6) == 0) {
                imcf->sync_always = 1;
                imcf->sync_interval = 0;
                continue;
            }

            ms = ngx_parse_time(&s, 0);
            if (ms == (ngx_msec_t) NGX_ERROR || ms == 0) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid sync interval \"%V\", expected "
                                   "\"always\" or a time like \"100ms\"",
                                   &s);
                return NGX_CONF_ERROR;
            }

            imcf->sync_always = 0;
            imcf->sync_interval = ms;
            continue;
        }

        if (ngx_strncmp(value[i].data, "max_size=", 9) == 0
            || ngx_strncmp(value[i].data, "segment_size=", 13) == 0)
        {
            s.data = (u_char *) ngx_strchr(value[i].data, '=') + 1;
            s.len = value[i].data + value[i].len - s.data;

            size = ngx_parse_offset(&s);
            if (size == NGX_ERROR || size <= 0) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid size in \"%V\"", &value[i]);
                return NGX_CONF_ERROR;
            }

            if (value[i].data[0] == 'm') {
                imcf->max_size = size;

            } else {
                if (size < 64 * 1024) {
                    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                       "\"segment_size\" must be at least "
                                       "64k");
                    return NGX_CONF_ERROR;
                }

                imcf->segment_size = size;
            }

            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\"", &value[i]);
        return NGX_CONF_ERROR;
    }

#if (NGX_THREADS)
    /* grouped fsyncs run on the default thread pool, off the event loop */

    imcf->thread_pool = ngx_thread_pool_add(cf, NULL);
    if (imcf->thread_pool == NULL) {
        return NGX_CONF_ERROR;
    }
#endif

    ngx_str_set(&name, "icetap");

    imcf->shm_zone = ngx_shared_memory_add(cf, &name, 8 * ngx_pagesize,
                                           &ngx_http_icetap_module);
    if (imcf->shm_zone == NULL) {
        return NGX_CONF_ERROR;
    }

    imcf->shm_zone->init = ngx_http_icetap_init_zone;
    imcf->shm_zone->data = imcf;
    imcf->configured = 1;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_icetap_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_slab_pool_t          *shpool;
    ngx_http_icetap_shctx_t  *sh;

    if (data) {
        /* reload: keep the clock of the previous cycle */
        shm_zone->data = data;
        return NGX_OK;
    }

    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        shm_zone->data = shpool->data;
        return NGX_OK;
    }

    sh = ngx_slab_alloc(shpool, sizeof(ngx_http_icetap_shctx_t));
    if (sh == NULL) {
        return NGX_ERROR;
    }

    sh->seq = 0;
    shpool->data = sh;
    shm_zone->data = sh;

    return NGX_OK;
}


static ngx_int_t
ngx_http_icetap_init(ngx_conf_t *cf)
{
    ngx_http_icetap_main_conf_t  *imcf;

    imcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_icetap_module);

    if (imcf->status_used && !imcf->configured) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"icetap_status\" requires \"icetap_wal\"");
        return NGX_ERROR;
    }

    if (imcf->configured
        && ngx_http_icetap_housekeeper_init(cf, imcf) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ngx_http_icetap_journal_init(cf, imcf) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_http_icetap_uploads_init(cf, imcf) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_http_icetap_plugin_init(cf, imcf) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_http_icetap_inventory_init(cf, imcf) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_icetap_tap_init(cf);
}


static ngx_int_t
ngx_http_icetap_init_process(ngx_cycle_t *cycle)
{
    if (ngx_process != NGX_PROCESS_WORKER
        && ngx_process != NGX_PROCESS_SINGLE)
    {
        return NGX_OK;
    }

    return ngx_http_icetap_wal_init_process(cycle);
}


static void
ngx_http_icetap_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_icetap_wal_exit_process(cycle);
}
