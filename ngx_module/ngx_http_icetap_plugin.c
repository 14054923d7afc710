/*
 * Copyright (C) icetap authors
 *
 * Lua plugins: "icetap_plugin NAME FILE [key=value ...];" runs FILE with
 * Lua 5.4 in a helper process of its own, "nginx: icetap plugin NAME",
 * with a module "icetap" (also the global icetap) over the core:
 *
 *   icetap.name, icetap.params          the directive's name and keys
 *   icetap.log(level, ...)              "debug" .. "error"
 *   icetap.now()                        seconds, with clock_offset
 *   icetap.sleep(seconds)               false when the plugin must stop
 *   icetap.exiting()
 *   icetap.table_buckets()              catalog entries, decoded
 *   icetap.tables([bucket])             table entries, decoded
 *   icetap.maintenance_config(t)        effective, with S3 Tables defaults
 *   icetap.storage_class(t)             table's, else bucket's, or nil
 *   icetap.table_info(t)                format, snapshots, sort order
 *   icetap.files(t)                     live data files
 *   icetap.rewrite(t, opts)             compaction (maintenance.h)
 *   icetap.expire_snapshots(t, opts)
 *   icetap.remove_unreferenced(t, opts)
 *   icetap.job_status(t, type, status[, message])
 *   icetap.get_job_status(t)
 *
 * where t is a table entry of icetap.tables() (table_bucket, namespace,
 * name are what is used).  Failures raise Lua errors with the core's
 * message.  The script is the plugin's main loop: when it returns, the
 * process idles until nginx stops or reloads it; when it raises an
 * error, the error and its traceback are logged and the process exits,
 * to be restarted by the supervisor with back-off.  A hook stops a
 * script that runs without calling icetap.sleep() once nginx asks the
 * helper to exit.  Every store request runs with the store's timeouts.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

#include <jansson.h>

#include <icetap/catalog.h>
#include <icetap/maintenance.h>

#include "ngx_http_icetap_module.h"


#define NGX_HTTP_ICETAP_PLUGIN_HOOK   100000


typedef struct {
    ngx_str_t                      name;        /* "plugin NAME" */
    ngx_str_t                      short_name;
    ngx_str_t                      file;        /* NUL-terminated */
    ngx_array_t                   *params;      /* ngx_keyval_t */
    ngx_msec_t                     clock_offset;
    ngx_http_icetap_main_conf_t   *imcf;
} ngx_http_icetap_plugin_t;


/* the one plugin of this process */
static ngx_http_icetap_plugin_t  *ngx_http_icetap_plg;
static icetap_store_t            *ngx_http_icetap_plg_store;
static ngx_log_t                 *ngx_http_icetap_plg_log;


static ngx_int_t ngx_http_icetap_plugin_run(ngx_cycle_t *cycle, void *data);
static int ngx_http_icetap_plugin_open(lua_State *L);


char *
ngx_http_icetap_plugin(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_icetap_main_conf_t  *imcf = conf;

    u_char                    *p;
    ngx_str_t                 *value, s;
    ngx_uint_t                 i;
    ngx_keyval_t              *kv;
    ngx_file_info_t            fi;
    ngx_http_icetap_plugin_t  *plg;

    value = cf->args->elts;

    if (imcf->plugins == NULL) {
        imcf->plugins = ngx_array_create(cf->pool, 2,
                                         sizeof(ngx_http_icetap_plugin_t));
        if (imcf->plugins == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    for (i = 0; i < value[1].len; i++) {
        if (!(isalnum(value[1].data[i]) || value[1].data[i] == '_'
              || value[1].data[i] == '-'))
        {
            return "has an invalid name (letters, digits, \"-\", \"_\")";
        }
    }

    plg = imcf->plugins->elts;

    for (i = 0; i < imcf->plugins->nelts; i++) {
        if (plg[i].short_name.len == value[1].len
            && ngx_strncmp(plg[i].short_name.data, value[1].data,
                           value[1].len) == 0)
        {
            return "is duplicate";
        }
    }

    plg = ngx_array_push(imcf->plugins);
    if (plg == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(plg, sizeof(ngx_http_icetap_plugin_t));
    plg->short_name = value[1];
    plg->imcf = imcf;

    plg->name.len = sizeof("plugin ") - 1 + value[1].len;
    plg->name.data = ngx_pnalloc(cf->pool, plg->name.len);
    if (plg->name.data == NULL) {
        return NGX_CONF_ERROR;
    }

    p = ngx_cpymem(plg->name.data, "plugin ", sizeof("plugin ") - 1);
    ngx_memcpy(p, value[1].data, value[1].len);

    plg->file = value[2];

    if (ngx_conf_full_name(cf->cycle, &plg->file, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (ngx_file_info(plg->file.data, &fi) == NGX_FILE_ERROR)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "icetap_plugin \"%V\": cannot access \"%s\"",
                           &value[1], plg->file.data);
        return NGX_CONF_ERROR;
    }

    plg->params = ngx_array_create(cf->pool, 4, sizeof(ngx_keyval_t));
    if (plg->params == NULL) {
        return NGX_CONF_ERROR;
    }

    for (i = 3; i < cf->args->nelts; i++) {
        p = (u_char *) ngx_strlchr(value[i].data,
                                   value[i].data + value[i].len, '=');

        if (p == NULL || p == value[i].data) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\" (key=value)",
                               &value[i]);
            return NGX_CONF_ERROR;
        }

        kv = ngx_array_push(plg->params);
        if (kv == NULL) {
            return NGX_CONF_ERROR;
        }

        kv->key.data = value[i].data;
        kv->key.len = p - value[i].data;
        kv->value.data = p + 1;
        kv->value.len = value[i].data + value[i].len - p - 1;

        if (kv->key.len == sizeof("clock_offset") - 1
            && ngx_strncmp(kv->key.data, "clock_offset", kv->key.len) == 0)
        {
            s = kv->value;
            plg->clock_offset = ngx_parse_time(&s, 0);

            if (plg->clock_offset == (ngx_msec_t) NGX_ERROR) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid clock_offset \"%V\"", &s);
                return NGX_CONF_ERROR;
            }
        }
    }

    return NGX_CONF_OK;
}


ngx_int_t
ngx_http_icetap_plugin_init(ngx_conf_t *cf,
    ngx_http_icetap_main_conf_t *imcf)
{
    ngx_uint_t                 i;
    ngx_http_icetap_plugin_t  *plg;

    if (imcf->plugins == NULL) {
        return NGX_OK;
    }

    if (!imcf->configured || imcf->store == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"icetap_plugin\" requires \"icetap_wal\" and "
                           "\"icetap_store\" in the http block");
        return NGX_ERROR;
    }

    plg = imcf->plugins->elts;

    for (i = 0; i < imcf->plugins->nelts; i++) {
        if (ngx_http_icetap_helper_add(cf, &plg[i].name,
                                       ngx_http_icetap_plugin_run, &plg[i])
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/* the helper process */


static void
ngx_http_icetap_plugin_hook(lua_State *L, lua_Debug *ar)
{
    if (ngx_http_icetap_helper_should_exit()) {
        luaL_error(L, "stopped: nginx asked the plugin to exit");
    }
}


static int
ngx_http_icetap_plugin_traceback(lua_State *L)
{
    const char  *msg;

    msg = lua_tostring(L, 1);

    if (msg == NULL) {
        msg = lua_pushfstring(L, "(error object is a %s value)",
                              luaL_typename(L, 1));
    }

    luaL_traceback(L, L, msg, 1);

    return 1;
}


static ngx_int_t
ngx_http_icetap_plugin_run(ngx_cycle_t *cycle, void *data)
{
    int                        rc;
    lua_State                 *L;
    icetap_error_t             err;
    ngx_http_icetap_plugin_t  *plg;

    plg = data;
    ngx_http_icetap_plg = plg;
    ngx_http_icetap_plg_log = cycle->log;

    ngx_http_icetap_plg_store = ngx_http_icetap_store_open(
                                    plg->imcf->store,
                                    (char *) plg->imcf->store->bucket.data,
                                    &err);
    if (ngx_http_icetap_plg_store == NULL) {
        ngx_log_error(NGX_LOG_ERR, cycle->log, 0,
                      "icetap: plugin \"%V\": the state store: %s",
                      &plg->short_name, err.msg);
        return NGX_ERROR;
    }

    L = luaL_newstate();
    if (L == NULL) {
        icetap_store_destroy(ngx_http_icetap_plg_store);
        return NGX_ERROR;
    }

    luaL_openlibs(L);

    luaL_requiref(L, "icetap", ngx_http_icetap_plugin_open, 1);
    lua_pop(L, 1);

    lua_sethook(L, ngx_http_icetap_plugin_hook, LUA_MASKCOUNT,
                NGX_HTTP_ICETAP_PLUGIN_HOOK);

    ngx_log_error(NGX_LOG_NOTICE, cycle->log, 0,
                  "icetap: plugin \"%V\" runs \"%s\"", &plg->short_name,
                  plg->file.data);

    lua_pushcfunction(L, ngx_http_icetap_plugin_traceback);

    rc = luaL_loadfile(L, (char *) plg->file.data);

    if (rc == LUA_OK) {
        rc = lua_pcall(L, 0, 0, 1);
    }

    if (rc != LUA_OK) {
        if (ngx_http_icetap_helper_should_exit()) {
            rc = LUA_OK;

        } else {
            ngx_log_error(NGX_LOG_ERR, cycle->log, 0,
                          "icetap: plugin \"%V\" failed: %s",
                          &plg->short_name, lua_tostring(L, -1));
        }
    }

    lua_close(L);
    icetap_store_destroy(ngx_http_icetap_plg_store);

    if (rc != LUA_OK) {
        return NGX_ERROR;
    }

    /* a script that returned: idle until stopped */

    while (!ngx_http_icetap_helper_should_exit()) {
        if (ngx_http_icetap_helper_sleep(60 * 60 * 1000)) {
            break;
        }
    }

    return NGX_OK;
}


/* JSON <-> Lua */


static void
ngx_http_icetap_plugin_push_json(lua_State *L, json_t *j)
{
    size_t       i;
    json_t      *v;
    const char  *k;

    luaL_checkstack(L, 4, "JSON too deep");

    switch (json_typeof(j)) {

    case JSON_OBJECT:
        lua_createtable(L, 0, (int) json_object_size(j));
        json_object_foreach(j, k, v) {
            if (json_is_null(v)) {
                continue;
            }

            ngx_http_icetap_plugin_push_json(L, v);
            lua_setfield(L, -2, k);
        }
        break;

    case JSON_ARRAY:
        lua_createtable(L, (int) json_array_size(j), 0);
        for (i = 0; i < json_array_size(j); i++) {
            ngx_http_icetap_plugin_push_json(L, json_array_get(j, i));
            lua_rawseti(L, -2, (lua_Integer) i + 1);
        }
        break;

    case JSON_STRING:
        lua_pushlstring(L, json_string_value(j), json_string_length(j));
        break;

    case JSON_INTEGER:
        lua_pushinteger(L, (lua_Integer) json_integer_value(j));
        break;

    case JSON_REAL:
        lua_pushnumber(L, json_real_value(j));
        break;

    case JSON_TRUE:
        lua_pushboolean(L, 1);
        break;

    case JSON_FALSE:
        lua_pushboolean(L, 0);
        break;

    default:
        lua_pushnil(L);
    }
}


static json_t *
ngx_http_icetap_plugin_get_json(lua_State *L, const char *key, int missing)
{
    json_t          *j;
    icetap_rc        rc;
    icetap_buf_t     buf;
    json_error_t     jerr;
    icetap_error_t   err;

    ngx_memzero(&buf, sizeof(buf));

    rc = icetap_store_get_buf(ngx_http_icetap_plg_store, key, &buf, &err);

    if (rc == ICETAP_NOTFOUND && missing) {
        return NULL;
    }

    if (rc != ICETAP_OK) {
        icetap_buf_free(&buf);
        luaL_error(L, "%s: %s", key, err.msg);
        return NULL;
    }

    j = json_loadb((const char *) buf.data, buf.len, 0, &jerr);
    icetap_buf_free(&buf);

    if (j == NULL) {
        luaL_error(L, "%s: bad JSON: %s", key, jerr.text);
    }

    return j;
}


/* catalog listings */


typedef struct {
    lua_State                 *L;
    const char                *bucket;
    ngx_uint_t                 depth;       /* 0 buckets, 2 tables */
    char                     **keys;
    size_t                     nkeys;
    size_t                     ckeys;
} ngx_http_icetap_plugin_list_t;


static icetap_rc
ngx_http_icetap_plugin_list_page(void *ctx, const icetap_store_page_t *page)
{
    char                           **nk;
    size_t                           i, len, pl, slashes;
    const char                      *key, *p;
    ngx_http_icetap_plugin_list_t   *ls;

    ls = ctx;
    pl = sizeof(ICETAP_CATALOG_PREFIX) - 1;

    for (i = 0; i < page->nentries; i++) {
        key = page->entries[i].key;
        len = ngx_strlen(key);

        if (len <= pl + 5 || ngx_strcmp(key + len - 5, ".json") != 0) {
            continue;
        }

        slashes = 0;
        for (p = key + pl; *p; p++) {
            slashes += (*p == '/');
        }

        if (slashes != ls->depth) {
            continue;
        }

        if (ls->nkeys == ls->ckeys) {
            ls->ckeys = ls->ckeys ? ls->ckeys * 2 : 32;
            nk = realloc(ls->keys, ls->ckeys * sizeof(char *));
            if (nk == NULL) {
                return ICETAP_NOMEM;
            }

            ls->keys = nk;
        }

        ls->keys[ls->nkeys] = strdup(key);
        if (ls->keys[ls->nkeys] == NULL) {
            return ICETAP_NOMEM;
        }

        ls->nkeys++;
    }

    return ICETAP_OK;
}


static int
ngx_http_icetap_plugin_list(lua_State *L, ngx_uint_t depth,
    const char *bucket)
{
    char                            prefix[ICETAP_CATALOG_NAME_LEN + 32];
    size_t                          i, n;
    json_t                         *j;
    icetap_rc                       rc;
    icetap_error_t                  err;
    icetap_store_list_opts_t        opts;
    ngx_http_icetap_plugin_list_t   ls;

    ngx_memzero(&ls, sizeof(ls));
    ls.L = L;
    ls.depth = depth;

    ngx_memzero(&opts, sizeof(opts));

    if (bucket) {
        if (!icetap_catalog_valid_bucket(bucket)) {
            return luaL_error(L, "invalid table bucket name \"%s\"", bucket);
        }

        ngx_snprintf((u_char *) prefix, sizeof(prefix), "%s%s/%Z",
                     ICETAP_CATALOG_PREFIX, bucket);
        opts.prefix = prefix;

    } else {
        opts.prefix = ICETAP_CATALOG_PREFIX;
    }

    rc = icetap_store_list(ngx_http_icetap_plg_store, &opts,
                           ngx_http_icetap_plugin_list_page, &ls, &err);

    if (rc == ICETAP_NOTFOUND) {
        rc = ICETAP_OK;
    }

    lua_newtable(L);
    n = 0;

    for (i = 0; i < ls.nkeys; i++) {
        if (rc == ICETAP_OK) {
            j = ngx_http_icetap_plugin_get_json(L, ls.keys[i], 1);

            /* tables being created have no metadata yet */

            if (j && (depth == 0
                      || json_is_string(json_object_get(j,
                                                   "metadata_location"))))
            {
                ngx_http_icetap_plugin_push_json(L, j);
                lua_rawseti(L, -2, (lua_Integer) ++n);
            }

            json_decref(j);
        }

        free(ls.keys[i]);
    }

    free(ls.keys);

    if (rc != ICETAP_OK) {
        return luaL_error(L, "listing the catalog failed: %s",
                          rc == ICETAP_NOMEM ? "out of memory" : err.msg);
    }

    return 1;
}


static int
ngx_http_icetap_plugin_table_buckets(lua_State *L)
{
    return ngx_http_icetap_plugin_list(L, 0, NULL);
}


static int
ngx_http_icetap_plugin_tables(lua_State *L)
{
    return ngx_http_icetap_plugin_list(L, 2, luaL_optstring(L, 1, NULL));
}


/* a table argument: its names, its entry and the open table */


typedef struct {
    const char                *bucket;
    const char                *ns;
    const char                *name;
    icetap_catalog_table_t     entry;
    icetap_catalog_pointer_t   cp;
    icetap_table_pointer_t     pointer;
    icetap_table_t            *t;
} ngx_http_icetap_plugin_table_t;


static void
ngx_http_icetap_plugin_names(lua_State *L, int idx,
    ngx_http_icetap_plugin_table_t *pt)
{
    luaL_checktype(L, idx, LUA_TTABLE);

    lua_getfield(L, idx, "table_bucket");
    lua_getfield(L, idx, "namespace");
    lua_getfield(L, idx, "name");

    pt->bucket = lua_tostring(L, -3);
    pt->ns = lua_tostring(L, -2);
    pt->name = lua_tostring(L, -1);

    /* the strings stay referenced by the table argument */
    lua_pop(L, 3);

    if (pt->bucket == NULL || pt->ns == NULL || pt->name == NULL) {
        luaL_error(L, "a table needs table_bucket, namespace and name");
    }
}


static void
ngx_http_icetap_plugin_table_close(ngx_http_icetap_plugin_table_t *pt)
{
    if (pt->t) {
        icetap_table_close(pt->t);
        pt->t = NULL;
    }

    icetap_catalog_table_free(&pt->entry);
}


/* opens the table; on failure a Lua error (nothing left open) */

static void
ngx_http_icetap_plugin_table_open(lua_State *L, int idx,
    ngx_http_icetap_plugin_table_t *pt)
{
    icetap_rc            rc;
    icetap_error_t       err;
    icetap_table_conf_t  tc;

    ngx_memzero(pt, sizeof(ngx_http_icetap_plugin_table_t));
    ngx_http_icetap_plugin_names(L, idx, pt);

    rc = icetap_catalog_table_load(ngx_http_icetap_plg_store, pt->bucket,
                                   pt->ns, pt->name, &pt->entry, NULL, &err);
    if (rc != ICETAP_OK) {
        luaL_error(L, "table %s.%s.%s: %s", pt->bucket, pt->ns, pt->name,
                   err.msg);
        return;
    }

    pt->cp.store = ngx_http_icetap_plg_store;
    pt->cp.entry = &pt->entry;
    pt->pointer.load = icetap_catalog_pointer_load;
    pt->pointer.swap = icetap_catalog_pointer_swap;
    pt->pointer.ctx = &pt->cp;

    ngx_memzero(&tc, sizeof(tc));
    tc.location = pt->entry.warehouse_location;
    tc.prefix = icetap_catalog_table_prefix(&pt->entry);
    tc.pointer = &pt->pointer;
    tc.naming = ICETAP_TABLE_NAMING_CATALOG;
    tc.no_version_hint = 1;

    rc = icetap_table_open(ngx_http_icetap_plg_store, &tc, &pt->t, &err);
    if (rc != ICETAP_OK) {
        icetap_catalog_table_free(&pt->entry);
        luaL_error(L, "table %s.%s.%s: %s", pt->bucket, pt->ns, pt->name,
                   err.msg);
    }
}


/* small functions */


static int64_t
ngx_http_icetap_plugin_now_ms(void)
{
    return icetap_table_now_ms()
           + (int64_t) ngx_http_icetap_plg->clock_offset;
}


static int
ngx_http_icetap_plugin_now(lua_State *L)
{
    lua_pushnumber(L, (lua_Number) ngx_http_icetap_plugin_now_ms() / 1000.0);
    return 1;
}


static int
ngx_http_icetap_plugin_sleep(lua_State *L)
{
    lua_Number  s;

    s = luaL_checknumber(L, 1);

    if (s < 0) {
        s = 0;
    }

    lua_pushboolean(L, !ngx_http_icetap_helper_sleep((ngx_msec_t) (s * 1000))
                       && !ngx_http_icetap_helper_should_exit());
    return 1;
}


static int
ngx_http_icetap_plugin_exiting(lua_State *L)
{
    lua_pushboolean(L, ngx_http_icetap_helper_should_exit() != 0);
    return 1;
}


static int
ngx_http_icetap_plugin_log(lua_State *L)
{
    int                     i, n;
    ngx_uint_t              level, k;
    luaL_Buffer             b;
    lua_Debug               ar;
    const char             *lv;
    static const char      *names[] = {
        "debug", "info", "notice", "warn", "error", NULL
    };
    static const ngx_uint_t levels[] = {
        NGX_LOG_DEBUG, NGX_LOG_INFO, NGX_LOG_NOTICE, NGX_LOG_WARN,
        NGX_LOG_ERR
    };

    lv = luaL_checkstring(L, 1);
    level = NGX_LOG_NOTICE;

    for (k = 0; names[k]; k++) {
        if (ngx_strcmp(lv, names[k]) == 0) {
            level = levels[k];
            break;
        }
    }

    if (names[k] == NULL) {
        return luaL_error(L, "unknown log level \"%s\"", lv);
    }

    n = lua_gettop(L);
    luaL_buffinit(L, &b);

    for (i = 2; i <= n; i++) {
        luaL_tolstring(L, i, NULL);
        luaL_addvalue(&b);
    }

    luaL_pushresult(&b);

    if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "Sl", &ar)
        && ar.currentline > 0)
    {
        ngx_log_error(level, ngx_http_icetap_plg_log, 0,
                      "icetap: plugin \"%V\": %s (%s:%d)",
                      &ngx_http_icetap_plg->short_name, lua_tostring(L, -1),
                      ar.short_src, ar.currentline);

    } else {
        ngx_log_error(level, ngx_http_icetap_plg_log, 0,
                      "icetap: plugin \"%V\": %s",
                      &ngx_http_icetap_plg->short_name, lua_tostring(L, -1));
    }

    return 0;
}


/* configuration */


static json_t *
ngx_http_icetap_plugin_bucket_entry(lua_State *L, const char *bucket)
{
    char  key[ICETAP_CATALOG_NAME_LEN + 32];

    ngx_snprintf((u_char *) key, sizeof(key), "%s%s.json%Z",
                 ICETAP_CATALOG_PREFIX, bucket);

    return ngx_http_icetap_plugin_get_json(L, key, 1);
}


static json_t *
ngx_http_icetap_plugin_table_entry(lua_State *L,
    ngx_http_icetap_plugin_table_t *pt)
{
    char  key[3 * ICETAP_CATALOG_NAME_LEN + 32];

    if (icetap_catalog_table_key(pt->bucket, pt->ns, pt->name, key,
                                 sizeof(key))
        != ICETAP_OK)
    {
        luaL_error(L, "invalid table name %s.%s.%s", pt->bucket, pt->ns,
                   pt->name);
    }

    return ngx_http_icetap_plugin_get_json(L, key, 0);
}


/*
 * One maintenance type, effective: the configured status and settings
 * over the S3 Tables defaults.
 */

static json_t *
ngx_http_icetap_plugin_mtype(json_t *conf, const char *type,
    json_t *defaults)
{
    json_t      *c, *st, *set, *out, *s, *v;
    const char  *k;

    c = json_object_get(conf, type);
    st = json_object_get(c, "status");
    set = json_object_get(json_object_get(c, "settings"), type);

    s = json_deep_copy(defaults);

    if (json_is_object(set)) {
        json_object_foreach(set, k, v) {
            json_object_set(s, k, v);
        }
    }

    out = json_pack("{s:s, s:o, s:b}", "status",
                    json_is_string(st) ? json_string_value(st) : "enabled",
                    "settings", s, "configured", c != NULL);

    return out;
}


static int
ngx_http_icetap_plugin_maintenance_config(lua_State *L)
{
    json_t                          *te, *be, *out;
    ngx_http_icetap_plugin_table_t   pt;

    ngx_memzero(&pt, sizeof(pt));
    ngx_http_icetap_plugin_names(L, 1, &pt);

    te = ngx_http_icetap_plugin_table_entry(L, &pt);
    be = ngx_http_icetap_plugin_bucket_entry(L, pt.bucket);

    out = json_object();

    json_object_set_new(out, "icebergCompaction",
        ngx_http_icetap_plugin_mtype(json_object_get(te, "maintenance"),
            "icebergCompaction",
            json_pack("{s:i, s:s}", "targetFileSizeMB", 512,
                      "strategy", "auto")));

    json_object_set_new(out, "icebergSnapshotManagement",
        ngx_http_icetap_plugin_mtype(json_object_get(te, "maintenance"),
            "icebergSnapshotManagement",
            json_pack("{s:i, s:i}", "minSnapshotsToKeep", 1,
                      "maxSnapshotAgeHours", 120)));

    /* unreferenced file removal is a bucket-level configuration */

    json_object_set_new(out, "icebergUnreferencedFileRemoval",
        ngx_http_icetap_plugin_mtype(json_object_get(be, "maintenance"),
            "icebergUnreferencedFileRemoval",
            json_pack("{s:i, s:i}", "unreferencedDays", 3,
                      "nonCurrentDays", 10)));

    ngx_http_icetap_plugin_push_json(L, out);

    json_decref(out);
    json_decref(te);
    json_decref(be);

    return 1;
}


static int
ngx_http_icetap_plugin_storage_class(lua_State *L)
{
    json_t                          *te, *be, *sc;
    ngx_http_icetap_plugin_table_t   pt;

    ngx_memzero(&pt, sizeof(pt));
    ngx_http_icetap_plugin_names(L, 1, &pt);

    te = ngx_http_icetap_plugin_table_entry(L, &pt);
    be = ngx_http_icetap_plugin_bucket_entry(L, pt.bucket);

    sc = json_object_get(te, "storage_class");
    if (sc == NULL) {
        sc = json_object_get(be, "storage_class");
    }

    if (sc) {
        ngx_http_icetap_plugin_push_json(L, sc);

    } else {
        lua_pushnil(L);
    }

    json_decref(te);
    json_decref(be);

    return 1;
}


/* table state */


static int
ngx_http_icetap_plugin_table_info(lua_State *L)
{
    size_t                           i, k;
    const char                      *op;
    icetap_schema_t                 *schema;
    const icetap_table_metadata_t   *md;
    const icetap_sort_order_t       *so;
    ngx_http_icetap_plugin_table_t   pt;

    ngx_http_icetap_plugin_table_open(L, 1, &pt);

    md = icetap_table_metadata(pt.t);
    schema = icetap_metadata_current_schema(
                 (icetap_table_metadata_t *) md);

    lua_newtable(L);

    lua_pushinteger(L, md->format_version);
    lua_setfield(L, -2, "format_version");
    lua_pushinteger(L, md->last_sequence_number);
    lua_setfield(L, -2, "last_sequence_number");
    lua_pushinteger(L, md->current_snapshot_id);
    lua_setfield(L, -2, "current_snapshot_id");
    lua_pushstring(L, icetap_table_metadata_location(pt.t));
    lua_setfield(L, -2, "metadata_location");
    lua_pushstring(L, pt.entry.table_id);
    lua_setfield(L, -2, "table_id");

    lua_newtable(L);
    for (i = 0; i < md->nsnapshots; i++) {
        lua_newtable(L);
        lua_pushinteger(L, md->snapshots[i].snapshot_id);
        lua_setfield(L, -2, "snapshot_id");
        lua_pushinteger(L, md->snapshots[i].sequence_number);
        lua_setfield(L, -2, "sequence_number");
        lua_pushnumber(L, md->snapshots[i].timestamp_ms / 1000.0);
        lua_setfield(L, -2, "timestamp");

        op = icetap_kvs_get(&md->snapshots[i].summary, "operation");
        if (op) {
            lua_pushstring(L, op);
            lua_setfield(L, -2, "operation");
        }

        lua_rawseti(L, -2, (lua_Integer) i + 1);
    }
    lua_setfield(L, -2, "snapshots");

    lua_newtable(L);
    for (i = 0; schema && i < schema->root->nfields; i++) {
        lua_pushstring(L, schema->root->fields[i].name);
        lua_rawseti(L, -2, (lua_Integer) i + 1);
    }
    lua_setfield(L, -2, "columns");

    so = NULL;
    for (i = 0; i < md->nsort_orders; i++) {
        if (md->sort_orders[i].order_id == md->default_sort_order_id) {
            so = &md->sort_orders[i];
        }
    }

    lua_newtable(L);
    for (i = 0; so && schema && i < so->nfields; i++) {
        lua_newtable(L);

        for (k = 0; k < schema->root->nfields; k++) {
            if (schema->root->fields[k].id == so->fields[i].source_id) {
                lua_pushstring(L, schema->root->fields[k].name);
                lua_setfield(L, -2, "column");
            }
        }

        lua_pushstring(L, so->fields[i].transform);
        lua_setfield(L, -2, "transform");
        lua_pushstring(L, so->fields[i].descending ? "desc" : "asc");
        lua_setfield(L, -2, "direction");
        lua_pushstring(L, so->fields[i].nulls_last ? "nulls-last"
                                                   : "nulls-first");
        lua_setfield(L, -2, "null_order");
        lua_rawseti(L, -2, (lua_Integer) i + 1);
    }
    lua_setfield(L, -2, "sort_order");

    ngx_http_icetap_plugin_table_close(&pt);

    return 1;
}


typedef struct {
    lua_State                      *L;
    const icetap_table_metadata_t  *md;
    int64_t                         now_ms;
    lua_Integer                     n;
} ngx_http_icetap_plugin_files_t;


static icetap_rc
ngx_http_icetap_plugin_file(void *ctx, const icetap_table_file_t *f)
{
    u_char                          *p, hex[1024];
    size_t                           i;
    lua_State                       *L;
    const icetap_value_t            *v;
    const icetap_snapshot_t         *snap;
    ngx_http_icetap_plugin_files_t  *fl;

    fl = ctx;
    L = fl->L;

    lua_newtable(L);

    lua_pushstring(L, f->file->file_path);
    lua_setfield(L, -2, "path");
    lua_pushinteger(L, f->file->file_size_in_bytes);
    lua_setfield(L, -2, "size");
    lua_pushinteger(L, f->file->record_count);
    lua_setfield(L, -2, "records");
    lua_pushinteger(L, (lua_Integer) f->ndeleted);
    lua_setfield(L, -2, "deleted");
    lua_pushinteger(L, f->spec_id);
    lua_setfield(L, -2, "spec_id");
    lua_pushinteger(L, f->sequence_number);
    lua_setfield(L, -2, "sequence_number");
    lua_pushstring(L, f->file->file_format);
    lua_setfield(L, -2, "format");

    /* the partition, as a key: spec id, then each value */

    p = ngx_snprintf(hex, sizeof(hex) - 64, "%D", f->spec_id);

    for (i = 0; i < f->file->npartition && p < hex + sizeof(hex) - 64; i++)
    {
        v = &f->file->partition[i];
        *p++ = '/';

        if (v->is_null) {
            p = ngx_cpymem(p, "null", 4);
            continue;
        }

        switch (v->type) {

        case ICETAP_TYPE_BOOLEAN:
            p = ngx_sprintf(p, "%d", v->v.b);
            break;

        case ICETAP_TYPE_INT:
        case ICETAP_TYPE_DATE:
            p = ngx_sprintf(p, "%D", v->v.i);
            break;

        case ICETAP_TYPE_FLOAT:
        case ICETAP_TYPE_DOUBLE:
            p = ngx_sprintf(p, "%.6f",
                            v->type == ICETAP_TYPE_FLOAT ? (double) v->v.f
                                                         : v->v.d);
            break;

        case ICETAP_TYPE_STRING:
        case ICETAP_TYPE_BINARY:
        case ICETAP_TYPE_FIXED:
            p = ngx_hex_dump(p, (u_char *) v->v.bin.data,
                             ngx_min(v->v.bin.len,
                                     (size_t) (hex + sizeof(hex) - 64 - p)
                                     / 2));
            break;

        default:
            p = ngx_sprintf(p, "%L", v->v.l);
        }
    }

    lua_pushlstring(L, (char *) hex, p - hex);
    lua_setfield(L, -2, "partition");

    /* age: since the snapshot that added it, while it is kept */

    snap = NULL;
    for (i = 0; i < fl->md->nsnapshots; i++) {
        if (fl->md->snapshots[i].snapshot_id == f->snapshot_id) {
            snap = &fl->md->snapshots[i];
        }
    }

    if (snap) {
        lua_pushnumber(L, (fl->now_ms - snap->timestamp_ms) / 1000.0);
        lua_setfield(L, -2, "age");
    }

    /* last access and tier: unknown to icetap so far (nil) */

    lua_rawseti(L, -2, ++fl->n);

    return ICETAP_OK;
}


static int
ngx_http_icetap_plugin_files(lua_State *L)
{
    icetap_rc                        rc;
    icetap_error_t                   err;
    ngx_http_icetap_plugin_files_t   fl;
    ngx_http_icetap_plugin_table_t   pt;

    ngx_http_icetap_plugin_table_open(L, 1, &pt);

    lua_newtable(L);

    fl.L = L;
    fl.md = icetap_table_metadata(pt.t);
    fl.now_ms = ngx_http_icetap_plugin_now_ms();
    fl.n = 0;

    rc = icetap_table_files(pt.t, -1, ngx_http_icetap_plugin_file, &fl,
                            &err);

    ngx_http_icetap_plugin_table_close(&pt);

    if (rc != ICETAP_OK) {
        return luaL_error(L, "files: %s",
                          rc == ICETAP_NOMEM ? "out of memory" : err.msg);
    }

    return 1;
}


/* maintenance */


static lua_Integer
ngx_http_icetap_plugin_optint(lua_State *L, int idx, const char *name,
    lua_Integer def)
{
    lua_Integer  v;

    lua_getfield(L, idx, name);
    v = lua_isnil(L, -1) ? def : (lua_Integer) luaL_checknumber(L, -1);
    lua_pop(L, 1);

    return v;
}


static int
ngx_http_icetap_plugin_rewrite(lua_State *L)
{
    size_t                           i, n;
    const char                      *s, **files, **cols;
    icetap_rc                        rc;
    icetap_error_t                   err;
    icetap_rewrite_conf_t            rc_conf;
    icetap_rewrite_result_t          res;
    ngx_http_icetap_plugin_table_t   pt;

    luaL_checktype(L, 2, LUA_TTABLE);

    ngx_memzero(&rc_conf, sizeof(rc_conf));

    lua_getfield(L, 2, "strategy");
    s = luaL_optstring(L, -1, "binpack");

    if (ngx_strcmp(s, "binpack") == 0) {
        rc_conf.strategy = ICETAP_REWRITE_BINPACK;

    } else if (ngx_strcmp(s, "sort") == 0) {
        rc_conf.strategy = ICETAP_REWRITE_SORT;

    } else if (ngx_strcmp(s, "z-order") == 0) {
        rc_conf.strategy = ICETAP_REWRITE_ZORDER;

    } else {
        return luaL_error(L, "unknown strategy \"%s\"", s);
    }

    lua_pop(L, 1);

    rc_conf.target_file_size = (size_t) ngx_http_icetap_plugin_optint(L, 2,
                                            "target_file_size", 0);
    rc_conf.row_group_size = (size_t) ngx_http_icetap_plugin_optint(L, 2,
                                            "row_group_size", 0);
    rc_conf.memory = (size_t) ngx_http_icetap_plugin_optint(L, 2, "memory",
                                                            0);
    rc_conf.no_copy = ngx_http_icetap_plugin_optint(L, 2, "no_copy", 0) != 0;

    /* the strings live in the options table during the call */

    files = NULL;
    cols = NULL;

    lua_getfield(L, 2, "files");
    if (lua_istable(L, -1)) {
        n = lua_rawlen(L, -1);
        files = lua_newuserdatauv(L, (n + 1) * sizeof(char *), 0);

        for (i = 0; i < n; i++) {
            lua_rawgeti(L, -2, (lua_Integer) i + 1);
            files[i] = luaL_checkstring(L, -1);
            lua_pop(L, 1);
        }

        rc_conf.files = files;
        rc_conf.nfiles = n;
    }

    lua_getfield(L, 2, "columns");
    if (lua_istable(L, -1)) {
        n = lua_rawlen(L, -1);
        cols = lua_newuserdatauv(L, (n + 1) * sizeof(char *), 0);

        for (i = 0; i < n; i++) {
            lua_rawgeti(L, -2, (lua_Integer) i + 1);
            cols[i] = luaL_checkstring(L, -1);
            lua_pop(L, 1);
        }

        rc_conf.columns = cols;
        rc_conf.ncolumns = n;
    }

    if (rc_conf.files && rc_conf.nfiles == 0) {
        lua_newtable(L);
        lua_pushinteger(L, 0);
        lua_setfield(L, -2, "files_rewritten");
        return 1;
    }

    ngx_http_icetap_plugin_table_open(L, 1, &pt);

    rc = icetap_table_rewrite(pt.t, &rc_conf, &res, &err);

    ngx_http_icetap_plugin_table_close(&pt);

    if (rc != ICETAP_OK) {
        return luaL_error(L, "rewrite: %s%s", err.msg,
                          rc == ICETAP_CONFLICT ? " (conflict)" : "");
    }

    lua_newtable(L);
    lua_pushinteger(L, (lua_Integer) res.files_rewritten);
    lua_setfield(L, -2, "files_rewritten");
    lua_pushinteger(L, (lua_Integer) res.files_added);
    lua_setfield(L, -2, "files_added");
    lua_pushinteger(L, (lua_Integer) res.row_groups_copied);
    lua_setfield(L, -2, "row_groups_copied");
    lua_pushinteger(L, (lua_Integer) res.runs);
    lua_setfield(L, -2, "runs");
    lua_pushinteger(L, res.rows);
    lua_setfield(L, -2, "rows");
    lua_pushinteger(L, res.rows_deleted);
    lua_setfield(L, -2, "rows_deleted");
    lua_pushinteger(L, (lua_Integer) res.bytes_read);
    lua_setfield(L, -2, "bytes_read");
    lua_pushinteger(L, (lua_Integer) res.bytes_written);
    lua_setfield(L, -2, "bytes_written");
    lua_pushinteger(L, res.snapshot_id);
    lua_setfield(L, -2, "snapshot_id");

    return 1;
}


static int
ngx_http_icetap_plugin_expire(lua_State *L)
{
    size_t                           expired;
    int64_t                          older;
    icetap_rc                        rc;
    lua_Integer                      min_keep, hours;
    icetap_error_t                   err;
    ngx_http_icetap_plugin_table_t   pt;

    luaL_checktype(L, 2, LUA_TTABLE);

    min_keep = ngx_http_icetap_plugin_optint(L, 2, "min_snapshots_to_keep",
                                             1);
    hours = ngx_http_icetap_plugin_optint(L, 2, "max_snapshot_age_hours",
                                          120);

    if (min_keep < 1 || hours < 1) {
        return luaL_error(L, "min_snapshots_to_keep and "
                          "max_snapshot_age_hours must be at least 1");
    }

    older = ngx_http_icetap_plugin_now_ms() - hours * 3600 * 1000;

    ngx_http_icetap_plugin_table_open(L, 1, &pt);

    rc = icetap_table_expire_snapshots(pt.t, older, min_keep, &expired,
                                       &err);

    ngx_http_icetap_plugin_table_close(&pt);

    if (rc != ICETAP_OK) {
        return luaL_error(L, "expire snapshots: %s", err.msg);
    }

    lua_newtable(L);
    lua_pushinteger(L, (lua_Integer) expired);
    lua_setfield(L, -2, "expired");

    return 1;
}


static int
ngx_http_icetap_plugin_unreferenced(lua_State *L)
{
    char                             key[128];
    icetap_rc                        rc;
    lua_Integer                      udays, ndays;
    icetap_error_t                   err;
    icetap_unreferenced_conf_t       uc;
    icetap_unreferenced_result_t     res;
    ngx_http_icetap_plugin_table_t   pt;

    luaL_checktype(L, 2, LUA_TTABLE);

    udays = ngx_http_icetap_plugin_optint(L, 2, "unreferenced_days", 3);
    ndays = ngx_http_icetap_plugin_optint(L, 2, "noncurrent_days", 10);

    if (udays < 1 || ndays < 1) {
        return luaL_error(L, "unreferenced_days and noncurrent_days must "
                          "be at least 1");
    }

    ngx_http_icetap_plugin_table_open(L, 1, &pt);

    ngx_snprintf((u_char *) key, sizeof(key),
                 "icetap/maintenance/%s/noncurrent.json%Z",
                 pt.entry.table_id);

    uc.now_ms = ngx_http_icetap_plugin_now_ms();
    uc.unreferenced_ms = udays * 24 * 3600 * 1000;
    uc.noncurrent_ms = ndays * 24 * 3600 * 1000;
    uc.marks_key = key;

    rc = icetap_table_remove_unreferenced(pt.t, &uc, &res, &err);

    ngx_http_icetap_plugin_table_close(&pt);

    if (rc != ICETAP_OK) {
        return luaL_error(L, "remove unreferenced files: %s", err.msg);
    }

    lua_newtable(L);
    lua_pushinteger(L, (lua_Integer) res.objects);
    lua_setfield(L, -2, "objects");
    lua_pushinteger(L, (lua_Integer) res.referenced);
    lua_setfield(L, -2, "referenced");
    lua_pushinteger(L, (lua_Integer) res.marked);
    lua_setfield(L, -2, "marked");
    lua_pushinteger(L, (lua_Integer) res.pending);
    lua_setfield(L, -2, "pending");
    lua_pushinteger(L, (lua_Integer) res.deleted);
    lua_setfield(L, -2, "deleted");

    return 1;
}


/* job status: icetap/jobs/<table-id>.json, the response's "status" map */


static const char *
ngx_http_icetap_plugin_table_id(lua_State *L,
    ngx_http_icetap_plugin_table_t *pt, json_t **te)
{
    json_t  *id;

    ngx_memzero(pt, sizeof(ngx_http_icetap_plugin_table_t));
    ngx_http_icetap_plugin_names(L, 1, pt);

    *te = ngx_http_icetap_plugin_table_entry(L, pt);
    id = json_object_get(*te, "table_id");

    if (!json_is_string(id)
        || ngx_strchr(json_string_value(id), '/') != NULL)
    {
        json_decref(*te);
        luaL_error(L, "table %s.%s.%s has no table id", pt->bucket, pt->ns,
                   pt->name);
    }

    return json_string_value(id);
}


static int
ngx_http_icetap_plugin_job_status(lua_State *L)
{
    char                             key[256], ts[32], *text;
    time_t                           now;
    json_t                          *te, *doc, *st;
    struct tm                        tm;
    icetap_rc                        rc;
    const char                      *type, *status, *msg, *id;
    icetap_error_t                   err;
    ngx_http_icetap_plugin_table_t   pt;
    static const char               *types[] = {
        "icebergCompaction", "icebergSnapshotManagement",
        "icebergUnreferencedFileRemoval", NULL
    };
    static const char               *statuses[] = {
        "Not_Yet_Run", "Successful", "Failed", "Disabled", NULL
    };

    type = types[luaL_checkoption(L, 2, NULL, types)];
    status = statuses[luaL_checkoption(L, 3, NULL, statuses)];
    msg = luaL_optstring(L, 4, NULL);

    id = ngx_http_icetap_plugin_table_id(L, &pt, &te);

    ngx_snprintf((u_char *) key, sizeof(key), "%s%s.json%Z",
                 ICETAP_CATALOG_JOBS, id);

    doc = ngx_http_icetap_plugin_get_json(L, key, 1);
    if (!json_is_object(doc)) {
        json_decref(doc);
        doc = json_object();
    }

    now = (time_t) (ngx_http_icetap_plugin_now_ms() / 1000);
    gmtime_r(&now, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);

    st = json_pack("{s:s, s:s}", "status", status, "lastRunTimestamp", ts);

    if (st && ngx_strcmp(status, "Not_Yet_Run") == 0) {
        json_object_del(st, "lastRunTimestamp");
    }

    if (st && msg && ngx_strcmp(status, "Failed") == 0) {
        json_object_set_new(st, "failureMessage", json_string(msg));
    }

    if (st) {
        json_object_set_new(doc, type, st);
    }

    text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(doc);
    json_decref(te);

    if (text == NULL) {
        return luaL_error(L, "out of memory");
    }

    rc = icetap_store_put_buf(ngx_http_icetap_plg_store, key, text,
                              ngx_strlen(text), NULL, NULL, &err);
    free(text);

    if (rc != ICETAP_OK) {
        return luaL_error(L, "job status: %s", err.msg);
    }

    return 0;
}


static int
ngx_http_icetap_plugin_get_job_status(lua_State *L)
{
    char                             key[256];
    json_t                          *te, *doc;
    const char                      *id;
    ngx_http_icetap_plugin_table_t   pt;

    id = ngx_http_icetap_plugin_table_id(L, &pt, &te);

    ngx_snprintf((u_char *) key, sizeof(key), "%s%s.json%Z",
                 ICETAP_CATALOG_JOBS, id);
    json_decref(te);

    doc = ngx_http_icetap_plugin_get_json(L, key, 1);

    if (doc) {
        ngx_http_icetap_plugin_push_json(L, doc);
        json_decref(doc);

    } else {
        lua_newtable(L);
    }

    return 1;
}


static int
ngx_http_icetap_plugin_open(lua_State *L)
{
    ngx_uint_t                 i;
    ngx_keyval_t              *kv;
    ngx_http_icetap_plugin_t  *plg;

    static const luaL_Reg  funcs[] = {
        { "log", ngx_http_icetap_plugin_log },
        { "now", ngx_http_icetap_plugin_now },
        { "sleep", ngx_http_icetap_plugin_sleep },
        { "exiting", ngx_http_icetap_plugin_exiting },
        { "table_buckets", ngx_http_icetap_plugin_table_buckets },
        { "tables", ngx_http_icetap_plugin_tables },
        { "maintenance_config", ngx_http_icetap_plugin_maintenance_config },
        { "storage_class", ngx_http_icetap_plugin_storage_class },
        { "table_info", ngx_http_icetap_plugin_table_info },
        { "files", ngx_http_icetap_plugin_files },
        { "rewrite", ngx_http_icetap_plugin_rewrite },
        { "expire_snapshots", ngx_http_icetap_plugin_expire },
        { "remove_unreferenced", ngx_http_icetap_plugin_unreferenced },
        { "job_status", ngx_http_icetap_plugin_job_status },
        { "get_job_status", ngx_http_icetap_plugin_get_job_status },
        { NULL, NULL }
    };

    plg = ngx_http_icetap_plg;

    luaL_newlib(L, funcs);

    lua_pushlstring(L, (char *) plg->short_name.data, plg->short_name.len);
    lua_setfield(L, -2, "name");

    lua_newtable(L);
    kv = plg->params->elts;

    for (i = 0; i < plg->params->nelts; i++) {
        lua_pushlstring(L, (char *) kv[i].key.data, kv[i].key.len);
        lua_pushlstring(L, (char *) kv[i].value.data, kv[i].value.len);
        lua_settable(L, -3);
    }

    lua_setfield(L, -2, "params");

    return 1;
}
