/*
 * Copyright (C) icetap authors
 *
 * The worker's WAL writer.
 *
 * Invariants:
 *
 *   - Space is reserved before a mutation is forwarded.  A segment's space
 *     is allocated up front (fallocate), so an append into reserved space
 *     cannot fail for lack of disk; when no space can be reserved (disk
 *     full, directory unwritable, size cap reached) the request is refused
 *     before the store sees it.
 *   - All records of one response are written before the response header
 *     is passed on, so the client never sees success for a mutation whose
 *     record is not in the page cache.  The segment is mapped (MAP_SHARED)
 *     and frames are encoded straight into it: no system call per request.
 *     A frame's header is stored last, so a writer killed in the middle of
 *     one leaves a zero header or a CRC mismatch, both of which readers
 *     see as the end of that segment.
 *   - Each worker writes only its own files; names carry the start time and
 *     pid, so workers of an old and a new cycle never share a file.
 *   - A rolled segment ends with a SEAL frame; readers treat a segment of a
 *     dead writer without one as complete up to its last valid frame.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <fcntl.h>

#include "ngx_http_icetap_module.h"


#define NGX_HTTP_ICETAP_WAL_SEAL_ROOM  128
#define NGX_HTTP_ICETAP_WAL_RETRY      1000


typedef struct {
    ngx_fd_t                      fd;
    ngx_err_t                     err;
} ngx_http_icetap_wal_sync_ctx_t;


typedef struct {
    ngx_fd_t                      fd;
    u_char                       *map;         /* the mapped segment */
    u_char                        path[NGX_MAX_PATH];
    off_t                         off;         /* next write offset */
    off_t                         alloc;       /* space allocated */
    off_t                         reserved;    /* held by requests */
    uint64_t                      segno;
    int64_t                       start_ms;
    ngx_uint_t                    dirty;
    ngx_msec_t                    retry_at;
    const char                   *failure;
    ngx_event_t                   sync_ev;
#if (NGX_THREADS)
    ngx_thread_task_t            *sync_task;
    ngx_uint_t                    sync_running;
#endif
    ngx_http_icetap_main_conf_t  *imcf;
    ngx_http_icetap_shctx_t      *sh;
    ngx_log_t                    *log;
} ngx_http_icetap_wal_t;


static ngx_int_t ngx_http_icetap_wal_roll(ngx_http_icetap_wal_t *wal,
    off_t need);
static void ngx_http_icetap_wal_seal(ngx_http_icetap_wal_t *wal);
static off_t ngx_http_icetap_wal_dir_size(ngx_http_icetap_wal_t *wal);
static ngx_int_t ngx_http_icetap_wal_write(ngx_http_icetap_wal_t *wal,
    u_char *buf, size_t len, off_t off);
static void ngx_http_icetap_wal_sync_handler(ngx_event_t *ev);
static void ngx_http_icetap_wal_sync(ngx_http_icetap_wal_t *wal);
#if (NGX_THREADS)
static void ngx_http_icetap_wal_sync_thread(void *data, ngx_log_t *log);
static void ngx_http_icetap_wal_sync_done(ngx_event_t *ev);
#endif


static ngx_http_icetap_wal_t  ngx_http_icetap_wal;


ngx_int_t
ngx_http_icetap_wal_init_conf(ngx_conf_t *cf,
    ngx_http_icetap_main_conf_t *imcf)
{
    ngx_path_t  *path;

    /* nginx creates the directory and hands it to the worker user */

    path = ngx_pcalloc(cf->pool, sizeof(ngx_path_t));
    if (path == NULL) {
        return NGX_ERROR;
    }

    path->name = imcf->dir;
    path->conf_file = cf->conf_file->file.name.data;
    path->line = cf->conf_file->line;

    if (ngx_add_path(cf, &path) != NGX_OK) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_icetap_wal_init_process(ngx_cycle_t *cycle)
{
    ngx_time_t                   *tp;
    ngx_http_icetap_wal_t        *wal;
    ngx_http_icetap_main_conf_t  *imcf;

    imcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_icetap_module);

    if (imcf == NULL || !imcf->configured) {
        return NGX_OK;
    }

    wal = &ngx_http_icetap_wal;

    wal->fd = NGX_INVALID_FILE;
    wal->imcf = imcf;
    wal->sh = imcf->shm_zone->data;
    wal->log = cycle->log;

    tp = ngx_timeofday();
    wal->start_ms = (int64_t) tp->sec * 1000 + tp->msec;

    wal->sync_ev.handler = ngx_http_icetap_wal_sync_handler;
    wal->sync_ev.data = wal;
    wal->sync_ev.log = cycle->log;
    wal->sync_ev.cancelable = 1;

#if (NGX_THREADS)
    wal->sync_task = ngx_thread_task_alloc(cycle->pool,
                                       sizeof(ngx_http_icetap_wal_sync_ctx_t));
    if (wal->sync_task == NULL) {
        return NGX_ERROR;
    }

    wal->sync_task->handler = ngx_http_icetap_wal_sync_thread;
    wal->sync_task->event.handler = ngx_http_icetap_wal_sync_done;
    wal->sync_task->event.data = wal;
    wal->sync_task->event.log = cycle->log;
#endif

    /*
     * A failure here is not fatal: the worker serves reads and refuses
     * mutations until a segment can be opened.
     */

    if (ngx_http_icetap_wal_roll(wal, 0) != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, cycle->log, 0,
                      "icetap: WAL unavailable (%s), mutating requests "
                      "are refused until it recovers", wal->failure);
        wal->retry_at = ngx_current_msec + NGX_HTTP_ICETAP_WAL_RETRY;
    }

    return NGX_OK;
}


void
ngx_http_icetap_wal_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_icetap_wal_t  *wal;

    wal = &ngx_http_icetap_wal;

    if (wal->imcf == NULL || wal->fd == NGX_INVALID_FILE) {
        return;
    }

    ngx_http_icetap_wal_seal(wal);
}


uint64_t
ngx_http_icetap_wal_next_seq(void)
{
    uint64_t                old, now, seq;
    ngx_time_t             *tp;
    ngx_http_icetap_wal_t  *wal;

    /*
     * A hybrid clock: wall time in microseconds, but never less than one
     * past the last value any worker took, so records of one key sort in
     * the order the store answered, across workers and restarts.
     */

    wal = &ngx_http_icetap_wal;

    tp = ngx_timeofday();
    now = (uint64_t) tp->sec * 1000000 + (uint64_t) tp->msec * 1000;

    for ( ;; ) {
        old = wal->sh->seq;
        seq = now > old ? now : old + 1;

        if (ngx_atomic_cmp_set(&wal->sh->seq, old, seq)) {
            return seq;
        }
    }
}


const char *
ngx_http_icetap_wal_failure(void)
{
    return ngx_http_icetap_wal.failure ? ngx_http_icetap_wal.failure
                                       : "WAL not configured";
}


ngx_int_t
ngx_http_icetap_wal_reserve(ngx_http_request_t *r, size_t size)
{
    off_t                   need;
    ngx_http_icetap_wal_t  *wal;

    wal = &ngx_http_icetap_wal;

    if (wal->imcf == NULL) {
        return NGX_DECLINED;
    }

    need = wal->reserved + (off_t) size + NGX_HTTP_ICETAP_WAL_SEAL_ROOM;

    if (wal->fd == NGX_INVALID_FILE || wal->off + need > wal->alloc) {

        if (wal->failure
            && (ngx_msec_int_t) (ngx_current_msec - wal->retry_at) < 0)
        {
            return NGX_DECLINED;
        }

        if (ngx_http_icetap_wal_roll(wal, need) != NGX_OK) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "icetap: WAL cannot take records (%s), "
                          "refusing mutations", wal->failure);
            wal->retry_at = ngx_current_msec + NGX_HTTP_ICETAP_WAL_RETRY;
            return NGX_DECLINED;
        }
    }

    wal->reserved += size;

    return NGX_OK;
}


void
ngx_http_icetap_wal_release(size_t size)
{
    ngx_http_icetap_wal.reserved -= size;
}


ngx_int_t
ngx_http_icetap_wal_append(ngx_http_request_t *r, icetap_wal_rec_t *recs,
    ngx_uint_t n, size_t reserved)
{
    off_t                   need;
    size_t                  len;
    u_char                 *buf, *p;
    ngx_uint_t              i;
    ngx_http_icetap_wal_t  *wal;

    wal = &ngx_http_icetap_wal;

    len = 0;

    for (i = 0; i < n; i++) {
        len += ICETAP_WAL_FRAME_HDR + icetap_wal_rec_size(&recs[i]);
    }

    wal->reserved -= reserved;

    need = wal->reserved + (off_t) len + NGX_HTTP_ICETAP_WAL_SEAL_ROOM;

    if (wal->fd == NGX_INVALID_FILE || wal->off + need > wal->alloc) {

        /* more than was reserved: only a misbehaving store gets here */

        if (ngx_http_icetap_wal_roll(wal, need) != NGX_OK) {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "icetap: WAL cannot take %uz bytes of records "
                          "for an accepted mutation (%s)", len,
                          wal->failure);
            return NGX_ERROR;
        }
    }

    if (wal->map) {
        buf = wal->map + wal->off;

    } else {
        buf = ngx_pnalloc(r->pool, len);
        if (buf == NULL) {
            return NGX_ERROR;
        }
    }

    p = buf;

    for (i = 0; i < n; i++) {
        recs[i].seq = ngx_http_icetap_wal_next_seq();
        p += icetap_wal_frame_encode(&recs[i], p);
    }

    if (wal->map == NULL
        && ngx_http_icetap_wal_write(wal, buf, len, wal->off) != NGX_OK)
    {
        return NGX_ERROR;
    }

    wal->off += len;
    wal->dirty = 1;

    if (wal->imcf->sync_always) {
        ngx_http_icetap_wal_sync(wal);

    } else if (!wal->sync_ev.timer_set) {
        ngx_add_timer(&wal->sync_ev, wal->imcf->sync_interval);
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_icetap_wal_write(ngx_http_icetap_wal_t *wal, u_char *buf,
    size_t len, off_t off)
{
    ssize_t  n;

    if (wal->map) {
        ngx_memcpy(wal->map + off, buf, len);
        return NGX_OK;
    }

    while (len) {
        n = pwrite(wal->fd, buf, len, off);

        if (n == -1) {
            if (ngx_errno == NGX_EINTR) {
                continue;
            }

            ngx_log_error(NGX_LOG_CRIT, wal->log, ngx_errno,
                          "icetap: pwrite() to WAL segment \"%s\" failed",
                          wal->path);
            wal->failure = "WAL write failed";
            return NGX_ERROR;
        }

        buf += n;
        off += n;
        len -= n;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_icetap_wal_roll(ngx_http_icetap_wal_t *wal, off_t need)
{
    int                     rc;
    off_t                   size, used;
    u_char                 *map;
    ngx_fd_t                fd;
    ngx_err_t               err;
    icetap_wal_seg_info_t   info;
    u_char                  hdr[ICETAP_WAL_SEG_HDR_SIZE], *last;

    size = ngx_max(wal->imcf->segment_size,
                   need + ICETAP_WAL_SEG_HDR_SIZE
                   + NGX_HTTP_ICETAP_WAL_SEAL_ROOM);

    used = ngx_http_icetap_wal_dir_size(wal);

    if (used == -1) {
        wal->failure = "WAL directory unreadable";
        return NGX_ERROR;
    }

    if (used + size > wal->imcf->max_size) {
        wal->failure = "WAL size cap reached";
        return NGX_ERROR;
    }

    last = ngx_snprintf(wal->path, NGX_MAX_PATH - 1, "%V/%013L-%P-%06uL.wal",
                        &wal->imcf->dir, wal->start_ms, ngx_pid,
                        wal->segno + 1);
    *last = '\0';

    fd = open((char *) wal->path, O_RDWR|O_CREAT|O_EXCL|O_CLOEXEC, 0600);

    if (fd == NGX_INVALID_FILE) {
        err = ngx_errno;
        ngx_log_error(NGX_LOG_ERR, wal->log, err,
                      "icetap: open() WAL segment \"%s\" failed", wal->path);
        wal->failure = (err == NGX_EACCES || err == EROFS)
                       ? "WAL directory not writable"
                       : (err == ENOSPC ? "no space for the WAL"
                                        : "WAL segment cannot be created");
        return NGX_ERROR;
    }

    /*
     * Allocate the whole segment now (and extend the file over it, for the
     * mapping): appends into it cannot hit ENOSPC, nor fault for a block.
     */

    rc = fallocate(fd, 0, 0, size);

    if (rc == -1 && (ngx_errno == EOPNOTSUPP || ngx_errno == ENOSYS)) {
        rc = posix_fallocate(fd, 0, size);
        if (rc != 0) {
            errno = rc;
            rc = -1;
        }
    }

    if (rc == -1) {
        err = ngx_errno;
        ngx_log_error(NGX_LOG_ERR, wal->log, err,
                      "icetap: fallocate() of %O bytes for \"%s\" failed",
                      size, wal->path);
        wal->failure = err == ENOSPC ? "no space for the WAL"
                                     : "WAL segment cannot be allocated";
        goto failed;
    }

    info.version = ICETAP_WAL_SEG_VERSION;
    info.pid = (int32_t) ngx_pid;
    info.created_ms = wal->start_ms;
    info.segno = wal->segno + 1;

    icetap_wal_seg_header(&info, hdr);

    /* the header through the file: a reader must see it at once */

    if (pwrite(fd, hdr, sizeof(hdr), 0) != (ssize_t) sizeof(hdr)) {
        ngx_log_error(NGX_LOG_ERR, wal->log, ngx_errno,
                      "icetap: writing the header of \"%s\" failed",
                      wal->path);
        wal->failure = "WAL write failed";
        goto failed;
    }

    map = mmap(NULL, size, PROT_READ|PROT_WRITE, MAP_SHARED, fd, 0);

    if (map == MAP_FAILED) {
        ngx_log_error(NGX_LOG_WARN, wal->log, ngx_errno,
                      "icetap: mmap() of \"%s\" failed, appending with "
                      "pwrite()", wal->path);
        map = NULL;
    }

    if (wal->fd != NGX_INVALID_FILE) {
        ngx_http_icetap_wal_seal(wal);
    }

    wal->fd = fd;
    wal->map = map;
    wal->off = ICETAP_WAL_SEG_HDR_SIZE;
    wal->alloc = size;
    wal->segno++;
    wal->dirty = 1;

    if (wal->failure) {
        ngx_log_error(NGX_LOG_NOTICE, wal->log, 0,
                      "icetap: WAL recovered, segment \"%s\"", wal->path);
        wal->failure = NULL;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, wal->log, 0,
                   "icetap: WAL segment \"%s\" opened", wal->path);

    return NGX_OK;

failed:

    (void) unlink((char *) wal->path);
    (void) close(fd);

    return NGX_ERROR;
}


static void
ngx_http_icetap_wal_seal(ngx_http_icetap_wal_t *wal)
{
    u_char            frame[NGX_HTTP_ICETAP_WAL_SEAL_ROOM];
    size_t            len;
    icetap_wal_rec_t  rec;

    ngx_memzero(&rec, sizeof(icetap_wal_rec_t));
    rec.op = ICETAP_WAL_OP_SEAL;

    if (ICETAP_WAL_FRAME_HDR + icetap_wal_rec_size(&rec) > sizeof(frame)) {
        ngx_log_error(NGX_LOG_ALERT, wal->log, 0,
                      "icetap: SEAL frame larger than its room");
        return;
    }

    len = icetap_wal_frame_encode(&rec, frame);

    if (wal->off + (off_t) len <= wal->alloc) {
        (void) ngx_http_icetap_wal_write(wal, frame, len, wal->off);
        wal->off += len;
    }

    if (wal->map) {
        if (munmap(wal->map, wal->alloc) == -1) {
            ngx_log_error(NGX_LOG_ALERT, wal->log, ngx_errno,
                          "icetap: munmap() of \"%s\" failed", wal->path);
        }

        wal->map = NULL;
    }

    /* the space after the SEAL frame is never written: give it back */

    if (ftruncate(wal->fd, wal->off) == -1) {
        ngx_log_error(NGX_LOG_ALERT, wal->log, ngx_errno,
                      "icetap: ftruncate() of \"%s\" failed", wal->path);
    }

    if (fdatasync(wal->fd) == -1) {
        ngx_log_error(NGX_LOG_ALERT, wal->log, ngx_errno,
                      "icetap: fdatasync() of \"%s\" failed", wal->path);
    }

    if (close(wal->fd) == -1) {
        ngx_log_error(NGX_LOG_ALERT, wal->log, ngx_errno,
                      "icetap: close() of \"%s\" failed", wal->path);
    }

    wal->fd = NGX_INVALID_FILE;
    wal->dirty = 0;
}


/* space taken by all WAL segments of the directory, allocated blocks */

static off_t
ngx_http_icetap_wal_dir_size(ngx_http_icetap_wal_t *wal)
{
    off_t            total;
    size_t           len;
    ngx_dir_t        dir;
    ngx_file_info_t  fi;
    u_char           path[NGX_MAX_PATH], *last, *name;

    if (ngx_open_dir(&wal->imcf->dir, &dir) == NGX_ERROR) {
        ngx_log_error(NGX_LOG_ERR, wal->log, ngx_errno,
                      "icetap: opendir() \"%V\" failed", &wal->imcf->dir);
        return -1;
    }

    total = 0;

    while (ngx_read_dir(&dir) == NGX_OK) {
        name = ngx_de_name(&dir);
        len = ngx_de_namelen(&dir);

        if (len < 5 || ngx_strcmp(name + len - 4, ".wal") != 0) {
            continue;
        }

        last = ngx_snprintf(path, NGX_MAX_PATH - 1, "%V/%s",
                            &wal->imcf->dir, name);
        *last = '\0';

        if (ngx_file_info(path, &fi) == NGX_FILE_ERROR) {
            continue;       /* removed by the journal helper meanwhile */
        }

        total += ngx_max(ngx_file_size(&fi), (off_t) fi.st_blocks * 512);
    }

    ngx_close_dir(&dir);

    return total;
}


/*
 * The grouped fsync of "sync=TIME": a thread syncs a duplicate of the
 * segment's descriptor, so a roll that closes the segment meanwhile does
 * not disturb it.  Records appended while it runs are synced next time.
 */

static void
ngx_http_icetap_wal_sync_handler(ngx_event_t *ev)
{
#if (NGX_THREADS)
    ngx_fd_t                         fd;
    ngx_http_icetap_wal_t           *wal;
    ngx_http_icetap_wal_sync_ctx_t  *ctx;

    wal = ev->data;

    if (wal->imcf->thread_pool && wal->fd != NGX_INVALID_FILE) {

        if (wal->sync_running || !wal->dirty) {
            return;
        }

        fd = dup(wal->fd);

        if (fd != -1) {
            ctx = wal->sync_task->ctx;
            ctx->fd = fd;
            ctx->err = 0;

            if (ngx_thread_task_post(wal->imcf->thread_pool, wal->sync_task)
                == NGX_OK)
            {
                wal->sync_running = 1;
                wal->dirty = 0;
                return;
            }

            (void) close(fd);
        }
    }
#endif

    ngx_http_icetap_wal_sync(ev->data);
}


#if (NGX_THREADS)

static void
ngx_http_icetap_wal_sync_thread(void *data, ngx_log_t *log)
{
    ngx_http_icetap_wal_sync_ctx_t  *ctx = data;

    if (fdatasync(ctx->fd) == -1) {
        ctx->err = ngx_errno;
    }

    (void) close(ctx->fd);
}


static void
ngx_http_icetap_wal_sync_done(ngx_event_t *ev)
{
    ngx_http_icetap_wal_t           *wal;
    ngx_http_icetap_wal_sync_ctx_t  *ctx;

    wal = ev->data;
    ctx = wal->sync_task->ctx;

    wal->sync_running = 0;

    if (ctx->err) {
        ngx_log_error(NGX_LOG_ALERT, wal->log, ctx->err,
                      "icetap: fdatasync() of WAL segment failed");
        wal->dirty = 1;
    }

    if (wal->dirty && !wal->sync_ev.timer_set && !ngx_exiting) {
        ngx_add_timer(&wal->sync_ev, wal->imcf->sync_interval);
    }
}

#endif


static void
ngx_http_icetap_wal_sync(ngx_http_icetap_wal_t *wal)
{
    if (!wal->dirty || wal->fd == NGX_INVALID_FILE) {
        return;
    }

    if (fdatasync(wal->fd) == -1) {
        ngx_log_error(NGX_LOG_ALERT, wal->log, ngx_errno,
                      "icetap: fdatasync() of \"%s\" failed", wal->path);
        return;
    }

    wal->dirty = 0;
}
