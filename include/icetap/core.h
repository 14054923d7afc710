/*
 * Copyright (C) icetap authors
 *
 * Common definitions of the icetap core library: return codes, the
 * caller-supplied error, allocator hooks and small helpers.  The core never
 * includes nginx headers, never logs and never prints.
 */

#ifndef ICETAP_CORE_H
#define ICETAP_CORE_H


#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include <sys/types.h>


typedef enum {
    ICETAP_OK = 0,
    ICETAP_ERROR = -1,          /* generic failure, see icetap_error_t */
    ICETAP_NOMEM = -2,
    ICETAP_IO = -3,             /* local or remote I/O failure */
    ICETAP_INVALID = -4,        /* malformed input */
    ICETAP_UNSUPPORTED = -5,    /* valid input using a feature we lack */
    ICETAP_NOTFOUND = -6,
    ICETAP_CONFLICT = -7,       /* precondition / commit conflict */
    ICETAP_AGAIN = -8,          /* retryable (throttled, 5xx) */
    ICETAP_EOF = -9,            /* clean end of a stream */
    ICETAP_FULL = -10           /* capacity exhausted (WAL cap, disk) */
} icetap_rc;


#define ICETAP_ERR_MSG_LEN  512

typedef struct {
    icetap_rc   code;
    int         sys_errno;                  /* errno, 0 when none */
    int         http_status;                /* store status, 0 when none */
    char        store_code[64];             /* e.g. "NoSuchKey" */
    char        request_id[96];             /* store request id */
    char        msg[ICETAP_ERR_MSG_LEN];
} icetap_error_t;


/* allocator hooks: one set per process, defaults to malloc/realloc/free */

typedef struct {
    void     *(*alloc)(size_t size, void *ctx);
    void     *(*realloc)(void *p, size_t size, void *ctx);
    void      (*free)(void *p, void *ctx);
    void       *ctx;
} icetap_allocator_t;


void icetap_set_allocator(const icetap_allocator_t *a);
void *icetap_alloc(size_t size);
void *icetap_calloc(size_t n, size_t size);
void *icetap_realloc(void *p, size_t size);
void icetap_free(void *p);
char *icetap_strndup(const char *s, size_t n);


/* error helpers: fill err (may be NULL) and return code */

icetap_rc icetap_error_set(icetap_error_t *err, icetap_rc code,
    const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
icetap_rc icetap_error_sys(icetap_error_t *err, icetap_rc code, int errnum,
    const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
void icetap_error_clear(icetap_error_t *err);
const char *icetap_rc_name(icetap_rc rc);


/* growable byte buffer used by encoders */

typedef struct {
    uint8_t    *data;
    size_t      len;
    size_t      cap;
} icetap_buf_t;


icetap_rc icetap_buf_reserve(icetap_buf_t *b, size_t extra);
icetap_rc icetap_buf_append(icetap_buf_t *b, const void *p, size_t n);
icetap_rc icetap_buf_putc(icetap_buf_t *b, uint8_t c);
void icetap_buf_reset(icetap_buf_t *b);
void icetap_buf_free(icetap_buf_t *b);


#define icetap_min(a, b)  ((a) < (b) ? (a) : (b))
#define icetap_max(a, b)  ((a) > (b) ? (a) : (b))
#define icetap_nelems(a)  (sizeof(a) / sizeof((a)[0]))


#endif /* ICETAP_CORE_H */
