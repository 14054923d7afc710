/*
 * Copyright (C) icetap authors
 */


#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <icetap/core.h>


static void *icetap_default_alloc(size_t size, void *ctx);
static void *icetap_default_realloc(void *p, size_t size, void *ctx);
static void icetap_default_free(void *p, void *ctx);


static icetap_allocator_t  icetap_allocator = {
    icetap_default_alloc,
    icetap_default_realloc,
    icetap_default_free,
    NULL
};


static void *
icetap_default_alloc(size_t size, void *ctx)
{
    return malloc(size);
}


static void *
icetap_default_realloc(void *p, size_t size, void *ctx)
{
    return realloc(p, size);
}


static void
icetap_default_free(void *p, void *ctx)
{
    free(p);
}


void
icetap_set_allocator(const icetap_allocator_t *a)
{
    icetap_allocator = *a;
}


void *
icetap_alloc(size_t size)
{
    return icetap_allocator.alloc(size ? size : 1, icetap_allocator.ctx);
}


void *
icetap_calloc(size_t n, size_t size)
{
    void  *p;

    if (size != 0 && n > SIZE_MAX / size) {
        return NULL;
    }

    p = icetap_alloc(n * size);
    if (p == NULL) {
        return NULL;
    }

    memset(p, 0, n * size);

    return p;
}


void *
icetap_realloc(void *p, size_t size)
{
    return icetap_allocator.realloc(p, size ? size : 1, icetap_allocator.ctx);
}


void
icetap_free(void *p)
{
    if (p != NULL) {
        icetap_allocator.free(p, icetap_allocator.ctx);
    }
}


char *
icetap_strndup(const char *s, size_t n)
{
    char  *p;

    p = icetap_alloc(n + 1);
    if (p == NULL) {
        return NULL;
    }

    memcpy(p, s, n);
    p[n] = '\0';

    return p;
}


static void
icetap_error_vset(icetap_error_t *err, icetap_rc code, int errnum,
    const char *fmt, va_list args)
{
    size_t  n;

    memset(err, 0, sizeof(icetap_error_t));

    err->code = code;
    err->sys_errno = errnum;

    vsnprintf(err->msg, sizeof(err->msg), fmt, args);

    if (errnum != 0) {
        n = strlen(err->msg);
        snprintf(err->msg + n, sizeof(err->msg) - n, " (%d: %s)",
                 errnum, strerror(errnum));
    }
}


icetap_rc
icetap_error_set(icetap_error_t *err, icetap_rc code, const char *fmt, ...)
{
    va_list  args;

    if (err != NULL) {
        va_start(args, fmt);
        icetap_error_vset(err, code, 0, fmt, args);
        va_end(args);
    }

    return code;
}


icetap_rc
icetap_error_sys(icetap_error_t *err, icetap_rc code, int errnum,
    const char *fmt, ...)
{
    va_list  args;

    if (err != NULL) {
        va_start(args, fmt);
        icetap_error_vset(err, code, errnum, fmt, args);
        va_end(args);
    }

    return code;
}


void
icetap_error_clear(icetap_error_t *err)
{
    if (err != NULL) {
        memset(err, 0, sizeof(icetap_error_t));
    }
}


const char *
icetap_rc_name(icetap_rc rc)
{
    switch (rc) {
    case ICETAP_OK:          return "ok";
    case ICETAP_ERROR:       return "error";
    case ICETAP_NOMEM:       return "out of memory";
    case ICETAP_IO:          return "I/O error";
    case ICETAP_INVALID:     return "invalid input";
    case ICETAP_UNSUPPORTED: return "unsupported";
    case ICETAP_NOTFOUND:    return "not found";
    case ICETAP_CONFLICT:    return "conflict";
    case ICETAP_AGAIN:       return "try again";
    case ICETAP_EOF:         return "end of stream";
    case ICETAP_FULL:        return "full";
    }

    return "unknown";
}


icetap_rc
icetap_buf_reserve(icetap_buf_t *b, size_t extra)
{
    size_t    cap;
    uint8_t  *p;

    if (b->cap - b->len >= extra) {
        return ICETAP_OK;
    }

    if (extra > SIZE_MAX / 2 - b->len) {
        return ICETAP_NOMEM;
    }

    cap = b->cap ? b->cap : 256;

    while (cap - b->len < extra) {
        cap *= 2;
    }

    p = icetap_realloc(b->data, cap);
    if (p == NULL) {
        return ICETAP_NOMEM;
    }

    b->data = p;
    b->cap = cap;

    return ICETAP_OK;
}


icetap_rc
icetap_buf_append(icetap_buf_t *b, const void *p, size_t n)
{
    if (n == 0) {
        return ICETAP_OK;
    }

    if (icetap_buf_reserve(b, n) != ICETAP_OK) {
        return ICETAP_NOMEM;
    }

    memcpy(b->data + b->len, p, n);
    b->len += n;

    return ICETAP_OK;
}


icetap_rc
icetap_buf_putc(icetap_buf_t *b, uint8_t c)
{
    return icetap_buf_append(b, &c, 1);
}


void
icetap_buf_reset(icetap_buf_t *b)
{
    b->len = 0;
}


void
icetap_buf_free(icetap_buf_t *b)
{
    icetap_free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}
