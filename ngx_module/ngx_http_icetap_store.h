/*
 * Copyright (C) icetap authors
 *
 * "icetap_store": the S3 store and bucket where icetap keeps its durable
 * state, and store handles for thread pool tasks.  Kept apart from
 * ngx_http_icetap_module.h so that code using include/icetap/store.h
 * need not see include/icetap/wal.h (both define an icetap_kv_t).
 */


#ifndef _NGX_HTTP_ICETAP_STORE_H_INCLUDED_
#define _NGX_HTTP_ICETAP_STORE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#if (NGX_THREADS)
#include <ngx_thread_pool.h>
#endif

#include <icetap/core.h>


typedef struct icetap_store_s  icetap_store_t;


typedef struct {
    ngx_str_t                  endpoint;        /* strings NUL-terminated */
    ngx_str_t                  bucket;
    ngx_str_t                  region;
    ngx_str_t                  access_key;
    ngx_str_t                  secret_key;
    ngx_uint_t                 path_style;      /* unsigned:1 */
#if (NGX_THREADS)
    ngx_thread_pool_t         *thread_pool;     /* runs every store request */
#endif
} ngx_http_icetap_store_conf_t;


/*
 * icetap_store URL bucket=NAME [region=R] access_key=K secret_key=S
 *     [addressing=path|virtual] [thread_pool=NAME];
 *
 * sets the ngx_http_icetap_store_conf_t * at cmd->offset of conf.
 */
char *ngx_http_icetap_store(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);

/*
 * For thread pool tasks only: the calling thread's handle on the state
 * bucket (kept for the thread's lifetime), and a new handle on another
 * bucket of the same store (the caller destroys it).
 */
icetap_store_t *ngx_http_icetap_store_get(ngx_http_icetap_store_conf_t *scf,
    icetap_error_t *err);
icetap_store_t *ngx_http_icetap_store_open(ngx_http_icetap_store_conf_t *scf,
    const char *bucket, icetap_error_t *err);
void ngx_http_icetap_store_close(icetap_store_t *store);


#endif /* _NGX_HTTP_ICETAP_STORE_H_INCLUDED_ */
