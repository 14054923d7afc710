/*
 * Copyright (C) icetap authors
 */


#ifndef _NGX_HTTP_ICETAP_MODULE_H_INCLUDED_
#define _NGX_HTTP_ICETAP_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <icetap/sigv4.h>
#include <icetap/wal.h>
#include <jansson.h>

#include "ngx_http_icetap_store.h"


#define NGX_HTTP_ICETAP_BUFFERED  0x80


/* ngx_http_icetap_process.c: the helpers declared for a cycle */
typedef struct ngx_http_icetap_helpers_s  ngx_http_icetap_helpers_t;

/* a helper's main loop; NGX_OK when asked to stop, else it is restarted */
typedef ngx_int_t (*ngx_http_icetap_helper_pt)(ngx_cycle_t *cycle,
    void *data);


/* ngx_http_icetap_journal.c: "icetap_journal" */
typedef struct ngx_http_icetap_journal_conf_s  ngx_http_icetap_journal_conf_t;

/* ngx_http_icetap_inventory.c: "icetap_inventory" */
typedef struct ngx_http_icetap_inventory_conf_s
    ngx_http_icetap_inventory_conf_t;


/* ngx_http_icetap_tables.c: "icetap_tables_api" and "icetap_policy" */
typedef struct ngx_http_icetap_tables_conf_s  ngx_http_icetap_tables_conf_t;


/* "icetap_access_key": the keys of the APIs icetap answers itself */
typedef struct {
    ngx_str_t                  access_key;      /* NUL-terminated */
    ngx_str_t                  secret_key;
} ngx_http_icetap_key_t;


typedef struct {
    ngx_str_t                  dir;
    ngx_msec_t                 sync_interval;
    ngx_flag_t                 sync_always;
    off_t                      max_size;
    off_t                      segment_size;
    ngx_shm_zone_t            *shm_zone;
    ngx_http_icetap_helpers_t *helpers;         /* helper processes */
#if (NGX_THREADS)
    ngx_thread_pool_t         *thread_pool;     /* for grouped fsync */
#endif
    ngx_uint_t                 configured;      /* icetap_wal given */

    ngx_http_icetap_store_conf_t  *store;       /* NULL: no icetap_store */
    ngx_http_icetap_journal_conf_t  *journal;   /* NULL: no journal */
    ngx_array_t               *plugins;         /* icetap_plugin */
    ngx_http_icetap_inventory_conf_t  *inventory;   /* NULL: none */
    ngx_array_t               *keys;            /* ngx_http_icetap_key_t */
    ngx_str_t                  region;          /* for ARNs and SigV4 */
    ngx_str_t                  account_id;
    ngx_shm_zone_t            *uploads;         /* NULL: no upload cache */
    size_t                     uploads_size;
    ngx_uint_t                 status_used;     /* icetap_status given */
} ngx_http_icetap_main_conf_t;


typedef struct {
    ngx_flag_t                 tap;
    size_t                     body_limit;
    ngx_array_t               *vhost_suffixes;  /* of ngx_str_t */
    ngx_http_icetap_tables_conf_t  *tables;     /* NULL: none given */
} ngx_http_icetap_loc_conf_t;


/* shared by all workers: the clock that orders records of a key */
typedef struct {
    ngx_atomic_t               seq;
} ngx_http_icetap_shctx_t;


typedef struct {
    ngx_uint_t                 op;              /* icetap_wal_op_e */
    ngx_str_t                  bucket;
    ngx_str_t                  key;
    ngx_str_t                  version_id;      /* ?versionId= */
    ngx_str_t                  upload_id;       /* ?uploadId= */
    size_t                     reserved;        /* WAL bytes reserved */
    ngx_int_t                  status;          /* of the body read */
    ngx_buf_t                 *body;            /* held response body */
    ngx_str_t                  request_body;    /* small bodies we parse */
    ngx_uint_t                 vhost;           /* unsigned:1 */

    /* the fields of a POST upload form that precede the file */
    ngx_str_t                  form_key;
    ngx_str_t                  form_filename;
    ngx_str_t                  form_storage_class;
    ngx_str_t                  form_tagging;
    ngx_str_t                  form_requester;
    ngx_array_t               *form_meta;       /* icetap_kv_t */
    off_t                      form_size;
    ngx_uint_t                 form_ok;         /* unsigned:1 */

    unsigned                   body_read:1;
    unsigned                   hold:1;
    unsigned                   done:1;
    unsigned                   mpu_create:1;    /* CreateMultipartUpload */
    unsigned                   mpu_abort:1;     /* AbortMultipartUpload */
} ngx_http_icetap_ctx_t;


extern ngx_module_t  ngx_http_icetap_module;


/* ngx_http_icetap_wal.c: the worker's WAL writer */
ngx_int_t ngx_http_icetap_wal_init_process(ngx_cycle_t *cycle);
void ngx_http_icetap_wal_exit_process(ngx_cycle_t *cycle);
ngx_int_t ngx_http_icetap_wal_init_conf(ngx_conf_t *cf,
    ngx_http_icetap_main_conf_t *imcf);
ngx_int_t ngx_http_icetap_wal_reserve(ngx_http_request_t *r, size_t size);
void ngx_http_icetap_wal_release(size_t size);
ngx_int_t ngx_http_icetap_wal_append(ngx_http_request_t *r,
    icetap_wal_rec_t *recs, ngx_uint_t n, size_t reserved);
uint64_t ngx_http_icetap_wal_next_seq(void);
const char *ngx_http_icetap_wal_failure(void);

/* ngx_http_icetap_tap.c: the mutation tap */
ngx_int_t ngx_http_icetap_tap_init(ngx_conf_t *cf);

/*
 * ngx_http_icetap_process.c: helper processes.  Declare them from
 * postconfiguration (they need "icetap_wal"); each runs run(cycle, data)
 * in its own process titled "nginx: icetap NAME".
 */
ngx_int_t ngx_http_icetap_helper_add(ngx_conf_t *cf, ngx_str_t *name,
    ngx_http_icetap_helper_pt run, void *data);
ngx_uint_t ngx_http_icetap_helper_should_exit(void);
ngx_uint_t ngx_http_icetap_helper_sleep(ngx_msec_t ms);

/* ngx_http_icetap_housekeeper.c: the WAL status and verify helpers */
ngx_int_t ngx_http_icetap_housekeeper_init(ngx_conf_t *cf,
    ngx_http_icetap_main_conf_t *imcf);

/*
 * ngx_http_icetap_auth.c: keys and SigV4 verification of the requests
 * icetap answers itself.  NGX_OK with res->access_key set, NGX_DECLINED
 * with err->http_status, err->store_code and err->msg to answer, or
 * NGX_ERROR.  service is the signing name ("s3", "s3tables").
 */
char *ngx_http_icetap_access_key(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_icetap_access_key_file(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_icetap_account_id(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_icetap_auth_verify(ngx_http_request_t *r,
    const char *service, ngx_str_t *body, icetap_sigv4_result_t *res,
    icetap_error_t *err);

/* ngx_http_icetap_journal.c: the journal helper */
char *ngx_http_icetap_journal(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_icetap_journal_init(ngx_conf_t *cf,
    ngx_http_icetap_main_conf_t *imcf);

/* ngx_http_icetap_plugin.c: Lua plugins in helper processes */
char *ngx_http_icetap_plugin(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_icetap_plugin_init(ngx_conf_t *cf,
    ngx_http_icetap_main_conf_t *imcf);

/* ngx_http_icetap_inventory.c: the inventory helper */
char *ngx_http_icetap_inventory(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_icetap_inventory_init(ngx_conf_t *cf,
    ngx_http_icetap_main_conf_t *imcf);

/* ngx_http_icetap_mdconf.c: the S3 Metadata configuration API */
ngx_int_t ngx_http_icetap_mdconf_handler(ngx_http_request_t *r);

/* ngx_http_icetap_uploads.c: tags of multipart uploads under way */
char *ngx_http_icetap_upload_cache(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_icetap_uploads_init(ngx_conf_t *cf,
    ngx_http_icetap_main_conf_t *imcf);
void ngx_http_icetap_upload_remember(ngx_http_request_t *r,
    ngx_str_t *bucket, ngx_str_t *key, ngx_str_t *id, ngx_str_t *tagging,
    ngx_str_t *storage_class);
ngx_int_t ngx_http_icetap_upload_take(ngx_http_request_t *r,
    ngx_str_t *bucket, ngx_str_t *key, ngx_str_t *id, ngx_str_t *tagging,
    ngx_str_t *storage_class);
void ngx_http_icetap_upload_forget(ngx_http_request_t *r, ngx_str_t *id);

/* ngx_http_icetap_status.c: the status document and the reports behind it */
char *ngx_http_icetap_status(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
ngx_int_t ngx_http_icetap_report_write(ngx_str_t *dir, const char *name,
    const char *text, size_t len, const char **failed);
ngx_int_t ngx_http_icetap_report_json(ngx_str_t *dir, const char *name,
    json_t *doc, const char **failed);

/* ngx_http_icetap_tables.c: the S3 Tables API and Iceberg REST catalog */
char *ngx_http_icetap_tables_api(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_icetap_tables_body_limit(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_icetap_tables_s3_endpoint(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_icetap_tables_policy(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_icetap_tables_merge(ngx_conf_t *cf,
    ngx_http_icetap_loc_conf_t *prev, ngx_http_icetap_loc_conf_t *conf);

/* ngx_http_icetap_s3.c: S3 protocol helpers */
ngx_int_t ngx_http_icetap_s3_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *code, const char *message);


#endif /* _NGX_HTTP_ICETAP_MODULE_H_INCLUDED_ */
