/*
 * Copyright (C) icetap authors
 *
 * "icetap_store" and the store handles of thread pool tasks.  A store
 * handle is used by one thread at a time, so each thread of the pool
 * keeps its own, created on first use and destroyed when the thread
 * exits.  Nothing here runs nginx code in those threads.
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <pthread.h>

#include <icetap/store.h>

#include "ngx_http_icetap_store.h"


typedef struct {
    ngx_http_icetap_store_conf_t  *scf;
    icetap_store_t                *store;
} ngx_http_icetap_store_tls_t;


static icetap_store_t *ngx_http_icetap_store_create(
    ngx_http_icetap_store_conf_t *scf, const char *bucket,
    icetap_error_t *err);
static void ngx_http_icetap_store_key_init(void);
static void ngx_http_icetap_store_tls_free(void *data);


static pthread_once_t  ngx_http_icetap_store_once = PTHREAD_ONCE_INIT;
static pthread_key_t   ngx_http_icetap_store_key;
static int             ngx_http_icetap_store_key_err;


char *
ngx_http_icetap_store(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char  *p = conf;

    ngx_str_t                      *value, s, pool;
    ngx_uint_t                      i;
    icetap_error_t                  err;
    icetap_store_t                 *store;
    ngx_http_icetap_store_conf_t  **field, *scf;

    field = (ngx_http_icetap_store_conf_t **) (p + cmd->offset);

    if (*field != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strncmp(value[1].data, "http://", 7) != 0
        && ngx_strncmp(value[1].data, "https://", 8) != 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid store URL \"%V\", expected "
                           "\"http://HOST[:PORT]\" or \"https://...\"",
                           &value[1]);
        return NGX_CONF_ERROR;
    }

    scf = ngx_pcalloc(cf->pool, sizeof(ngx_http_icetap_store_conf_t));
    if (scf == NULL) {
        return NGX_CONF_ERROR;
    }

    scf->endpoint = value[1];
    ngx_str_set(&scf->region, "us-east-1");
    ngx_str_null(&pool);

    /* arguments are NUL-terminated, so are their tails after "name=" */

    for (i = 2; i < cf->args->nelts; i++) {

        s.data = (u_char *) ngx_strchr(value[i].data, '=');

        if (s.data == NULL) {
            goto invalid;
        }

        s.data++;
        s.len = value[i].data + value[i].len - s.data;

        if (s.len == 0) {
            goto invalid;
        }

        if (ngx_strncmp(value[i].data, "bucket=", 7) == 0) {
            scf->bucket = s;

        } else if (ngx_strncmp(value[i].data, "region=", 7) == 0) {
            scf->region = s;

        } else if (ngx_strncmp(value[i].data, "access_key=", 11) == 0) {
            scf->access_key = s;

        } else if (ngx_strncmp(value[i].data, "secret_key=", 11) == 0) {
            scf->secret_key = s;

        } else if (ngx_strncmp(value[i].data, "thread_pool=", 12) == 0) {
            pool = s;

        } else if (ngx_strcmp(value[i].data, "addressing=path") == 0) {
            scf->path_style = 1;

        } else if (ngx_strcmp(value[i].data, "addressing=virtual") == 0) {
            scf->path_style = 0;

        } else {
            goto invalid;
        }
    }

    if (scf->bucket.len == 0) {
        return "needs \"bucket=NAME\"";
    }

    if (scf->access_key.len == 0 || scf->secret_key.len == 0) {
        return "needs \"access_key=\" and \"secret_key=\"";
    }

    /* the core checks the rest now, so that workers never fail on it */

    store = ngx_http_icetap_store_create(scf, (char *) scf->bucket.data,
                                         &err);
    if (store == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid store: %s",
                           err.msg);
        return NGX_CONF_ERROR;
    }

    icetap_store_destroy(store);

#if (NGX_THREADS)

    scf->thread_pool = ngx_thread_pool_add(cf, pool.len ? &pool : NULL);
    if (scf->thread_pool == NULL) {
        return NGX_CONF_ERROR;
    }

#else

    return "requires nginx built with threads (--with-threads)";

#endif

    *field = scf;

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid parameter \"%V\"",
                       &value[i]);
    return NGX_CONF_ERROR;
}


static icetap_store_t *
ngx_http_icetap_store_create(ngx_http_icetap_store_conf_t *scf,
    const char *bucket, icetap_error_t *err)
{
    icetap_s3_conf_t  c;

    ngx_memzero(&c, sizeof(icetap_s3_conf_t));

    c.endpoint = (char *) scf->endpoint.data;
    c.region = (char *) scf->region.data;
    c.bucket = bucket;
    c.access_key = (char *) scf->access_key.data;
    c.secret_key = (char *) scf->secret_key.data;
    c.path_style = scf->path_style;

    /* a client waits for these: fail fast rather than retry for long */

    c.max_retries = 2;
    c.connect_timeout_ms = 3000;
    c.timeout_ms = 20000;

    return icetap_store_s3_create(&c, err);
}


static void
ngx_http_icetap_store_key_init(void)
{
    ngx_http_icetap_store_key_err =
        pthread_key_create(&ngx_http_icetap_store_key,
                           ngx_http_icetap_store_tls_free);
}


static void
ngx_http_icetap_store_tls_free(void *data)
{
    ngx_http_icetap_store_tls_t  *tls = data;

    if (tls->store) {
        icetap_store_destroy(tls->store);
    }

    icetap_free(tls);
}


icetap_store_t *
ngx_http_icetap_store_get(ngx_http_icetap_store_conf_t *scf,
    icetap_error_t *err)
{
    ngx_http_icetap_store_tls_t  *tls;

    (void) pthread_once(&ngx_http_icetap_store_once,
                        ngx_http_icetap_store_key_init);

    if (ngx_http_icetap_store_key_err) {
        icetap_error_set(err, ICETAP_ERROR, "pthread_key_create() failed");
        return NULL;
    }

    tls = pthread_getspecific(ngx_http_icetap_store_key);

    if (tls != NULL && tls->scf == scf) {
        return tls->store;
    }

    if (tls == NULL) {
        tls = icetap_calloc(1, sizeof(ngx_http_icetap_store_tls_t));
        if (tls == NULL) {
            icetap_error_set(err, ICETAP_NOMEM, "out of memory");
            return NULL;
        }

        if (pthread_setspecific(ngx_http_icetap_store_key, tls) != 0) {
            icetap_free(tls);
            icetap_error_set(err, ICETAP_ERROR,
                             "pthread_setspecific() failed");
            return NULL;
        }

    } else {
        /* a handle of a previous configuration */

        if (tls->store) {
            icetap_store_destroy(tls->store);
            tls->store = NULL;
        }
    }

    tls->store = ngx_http_icetap_store_create(scf, (char *) scf->bucket.data,
                                              err);
    tls->scf = tls->store ? scf : NULL;

    return tls->store;
}


icetap_store_t *
ngx_http_icetap_store_open(ngx_http_icetap_store_conf_t *scf,
    const char *bucket, icetap_error_t *err)
{
    return ngx_http_icetap_store_create(scf, bucket, err);
}


void
ngx_http_icetap_store_close(icetap_store_t *store)
{
    icetap_store_destroy(store);
}
