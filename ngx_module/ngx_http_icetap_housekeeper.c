/*
 * Copyright (C) icetap authors
 *
 * The WAL housekeepers, two helper processes:
 *
 *   "nginx: icetap wal"         every second, accounts for the WAL
 *                               directory (segments, records, bytes,
 *                               damage, the oldest unsealed segment) and
 *                               writes it to "<WAL dir>/status.json";
 *   "nginx: icetap wal-verify"  re-reads every sealed segment end to end,
 *                               checking each frame's CRC again, and
 *                               writes "<WAL dir>/verify.json".
 *
 * Status reads each byte once: a segment is read from the end of its last
 * valid record, and a sealed one is not read again.  Frames past the last
 * valid record (a tail being written, or damage) are looked at again on
 * every pass, so damage is counted once and a tail caught mid-write is
 * reported as torn for one pass at most.  Verification is the slow one,
 * and runs in its own process so that it never delays the status; it
 * spends at most a tenth of its time reading.
 *
 * Both files are replaced atomically (a temporary file, then rename()), so
 * a reader sees one whole version or the previous one.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <jansson.h>

#include "ngx_http_icetap_module.h"


#define NGX_HTTP_ICETAP_STATUS_INTERVAL  1000
#define NGX_HTTP_ICETAP_VERIFY_DUTY      10         /* 1 / 10 of the time */


typedef struct {
    char                         *name;
    uint64_t                      next;         /* after the last record */
    uint64_t                      records;      /* records before next */
    uint64_t                      bad;          /* bad frames before next */
    uint64_t                      tail_bad;     /* bad frames after next */
    int64_t                       created_ms;
    icetap_wal_end_e              end;
    unsigned                      unreadable:1;
    unsigned                      seen_unreadable:1;
} ngx_http_icetap_segment_t;


typedef struct {
    ngx_http_icetap_segment_t    *segs;
    size_t                        nsegs;
    ngx_uint_t                    write_failed;
    ngx_log_t                    *log;
    ngx_http_icetap_main_conf_t  *imcf;
} ngx_http_icetap_housekeeper_t;


static ngx_int_t ngx_http_icetap_status_run(ngx_cycle_t *cycle, void *data);
static ngx_int_t ngx_http_icetap_status_pass(
    ngx_http_icetap_housekeeper_t *hk, uint64_t pass);
static ngx_int_t ngx_http_icetap_verify_run(ngx_cycle_t *cycle, void *data);
static ngx_int_t ngx_http_icetap_verify_pass(
    ngx_http_icetap_housekeeper_t *hk, uint64_t pass, ngx_msec_t *took);
static void ngx_http_icetap_segment_scan(ngx_http_icetap_housekeeper_t *hk,
    ngx_http_icetap_segment_t *seg);
static void ngx_http_icetap_segments_free(ngx_http_icetap_segment_t *segs,
    size_t n);
static ngx_uint_t ngx_http_icetap_segment_damaged(
    ngx_http_icetap_segment_t *seg);
static ngx_int_t ngx_http_icetap_housekeeper_write(
    ngx_http_icetap_housekeeper_t *hk, const char *file, json_t *doc);
static int64_t ngx_http_icetap_now_ms(void);


ngx_int_t
ngx_http_icetap_housekeeper_init(ngx_conf_t *cf,
    ngx_http_icetap_main_conf_t *imcf)
{
    ngx_str_t  name;

    ngx_str_set(&name, "wal");

    if (ngx_http_icetap_helper_add(cf, &name, ngx_http_icetap_status_run,
                                   imcf)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_str_set(&name, "wal-verify");

    return ngx_http_icetap_helper_add(cf, &name, ngx_http_icetap_verify_run,
                                      imcf);
}


static ngx_int_t
ngx_http_icetap_status_run(ngx_cycle_t *cycle, void *data)
{
    uint64_t                       pass;
    ngx_http_icetap_housekeeper_t  hk;

    ngx_memzero(&hk, sizeof(ngx_http_icetap_housekeeper_t));
    hk.imcf = data;
    hk.log = cycle->log;

    for (pass = 1; !ngx_http_icetap_helper_should_exit(); pass++) {

        if (ngx_http_icetap_status_pass(&hk, pass) != NGX_OK) {
            ngx_http_icetap_segments_free(hk.segs, hk.nsegs);
            return NGX_ERROR;
        }

        if (ngx_http_icetap_helper_sleep(NGX_HTTP_ICETAP_STATUS_INTERVAL)) {
            break;
        }
    }

    ngx_http_icetap_segments_free(hk.segs, hk.nsegs);

    return NGX_OK;
}


static ngx_int_t
ngx_http_icetap_status_pass(ngx_http_icetap_housekeeper_t *hk,
    uint64_t pass)
{
    int                         c;
    char                      **names;
    size_t                      n, i, j;
    json_t                     *doc, *oldest;
    int64_t                     now;
    uint64_t                    records, bytes, bad;
    ngx_int_t                   rc;
    ngx_uint_t                  sealed, damaged;
    icetap_error_t              err;
    ngx_file_info_t             fi;
    ngx_http_icetap_segment_t  *segs, *seg, *old;
    u_char                      path[NGX_MAX_PATH];

    if (icetap_wal_list((char *) hk->imcf->dir.data, &names, &n, &err)
        != ICETAP_OK)
    {
        ngx_log_error(NGX_LOG_WARN, hk->log, 0,
                      "icetap: WAL status: %s, retrying", err.msg);
        return NGX_OK;
    }

    segs = ngx_calloc(ngx_max(n, 1) * sizeof(ngx_http_icetap_segment_t),
                      hk->log);
    if (segs == NULL) {
        icetap_wal_free_list(names, n);
        return NGX_ERROR;
    }

    /* both lists are sorted by name: carry over what is known */

    j = 0;

    for (i = 0; i < n; i++) {
        seg = &segs[i];
        c = 1;

        while (j < hk->nsegs
               && (c = ngx_strcmp(hk->segs[j].name, names[i])) < 0)
        {
            j++;
        }

        if (j < hk->nsegs && c == 0) {
            old = &hk->segs[j];
            *seg = *old;
            old->name = NULL;
            j++;

        } else {
            seg->name = names[i];
            names[i] = NULL;
        }
    }

    icetap_wal_free_list(names, n);
    ngx_http_icetap_segments_free(hk->segs, hk->nsegs);

    hk->segs = segs;
    hk->nsegs = n;

    now = ngx_http_icetap_now_ms();
    records = 0;
    bytes = 0;
    bad = 0;
    sealed = 0;
    damaged = 0;
    oldest = NULL;

    for (i = 0; i < n; i++) {
        seg = &segs[i];

        if (seg->end != ICETAP_WAL_END_SEALED) {
            ngx_http_icetap_segment_scan(hk, seg);
        }

        *ngx_snprintf(path, NGX_MAX_PATH - 1, "%V/%s", &hk->imcf->dir,
                      seg->name) = '\0';

        if (ngx_file_info(path, &fi) != NGX_FILE_ERROR) {
            bytes += ngx_file_size(&fi);
        }

        records += seg->records;
        bad += seg->bad + seg->tail_bad;

        if (ngx_http_icetap_segment_damaged(seg)) {
            damaged++;
        }

        if (seg->end == ICETAP_WAL_END_SEALED) {
            sealed++;
            continue;
        }

        if (!seg->seen_unreadable
            && (oldest == NULL
                || seg->created_ms < json_integer_value(
                                        json_object_get(oldest, "created_ms"))))
        {
            json_decref(oldest);
            oldest = json_pack("{s:s, s:I, s:I}",
                               "segment", seg->name,
                               "created_ms", (json_int_t) seg->created_ms,
                               "age_ms", (json_int_t) (now - seg->created_ms));
        }
    }

    doc = json_pack("{s:i, s:s, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
                    " s:I, s:I, s:o}",
                    "version", 1,
                    "dir", (char *) hk->imcf->dir.data,
                    "pid", (int) ngx_pid,
                    "updated_ms", (json_int_t) now,
                    "passes", (json_int_t) pass,
                    "segments", (json_int_t) n,
                    "sealed", (json_int_t) sealed,
                    "open", (json_int_t) (n - sealed),
                    "records", (json_int_t) records,
                    "bytes", (json_int_t) bytes,
                    "damaged_segments", (json_int_t) damaged,
                    "bad_frames", (json_int_t) bad,
                    "oldest_unsealed", oldest ? oldest : json_null());
    if (doc == NULL) {
        return NGX_ERROR;
    }

    rc = ngx_http_icetap_housekeeper_write(hk, "status.json", doc);

    json_decref(doc);

    return rc;
}


/*
 * Reads a segment from the end of its last valid record on.  Bad frames
 * before a valid record are final; those after the last one are counted
 * again on the next pass, which starts before them.
 */

static void
ngx_http_icetap_segment_scan(ngx_http_icetap_housekeeper_t *hk,
    ngx_http_icetap_segment_t *seg)
{
    uint64_t              next, bad, bad_at_record;
    icetap_rc             rc;
    icetap_error_t        err;
    icetap_wal_rec_t      rec;
    icetap_wal_reader_t  *r;
    u_char                path[NGX_MAX_PATH];

    *ngx_snprintf(path, NGX_MAX_PATH - 1, "%V/%s", &hk->imcf->dir,
                  seg->name) = '\0';

    if (icetap_wal_reader_open((char *) path, &r, &err) != ICETAP_OK) {
        /*
         * removed meanwhile, or created and its header not written yet:
         * damaged only when it stays unreadable on the next pass
         */
        seg->unreadable = seg->seen_unreadable;
        seg->seen_unreadable = 1;
        return;
    }

    seg->unreadable = 0;
    seg->seen_unreadable = 0;
    seg->created_ms = icetap_wal_reader_info(r)->created_ms;

    if (seg->next
        && icetap_wal_reader_seek(r, seg->next, &err) != ICETAP_OK)
    {
        /* the segment shrank: it was replaced, count it afresh */
        ngx_log_error(NGX_LOG_WARN, hk->log, 0,
                      "icetap: WAL status: %s, reading \"%s\" again",
                      err.msg, seg->name);
        seg->next = 0;
        seg->records = 0;
        seg->bad = 0;
    }

    bad_at_record = 0;

    for ( ;; ) {
        rc = icetap_wal_reader_next(r, &rec, NULL, &next, &err);

        if (rc != ICETAP_OK) {
            break;
        }

        icetap_wal_rec_free(&rec);

        seg->records++;
        seg->next = next;

        (void) icetap_wal_reader_end(r, &bad_at_record, NULL);
    }

    if (rc != ICETAP_EOF) {
        ngx_log_error(NGX_LOG_WARN, hk->log, 0,
                      "icetap: WAL status: reading \"%s\": %s",
                      seg->name, err.msg);
    }

    seg->end = icetap_wal_reader_end(r, &bad, NULL);
    seg->bad += bad_at_record;
    seg->tail_bad = bad - bad_at_record;

    icetap_wal_reader_close(r);

    if (seg->end != ICETAP_WAL_END_CORRUPT || seg->tail_bad) {
        return;
    }

    /*
     * All its damage lies before the last record, and a damaged segment
     * reads as corrupt whatever follows: read the tail alone to see
     * whether the segment is sealed.
     */

    if (icetap_wal_reader_open((char *) path, &r, &err) != ICETAP_OK) {
        return;
    }

    if (icetap_wal_reader_seek(r, seg->next, &err) == ICETAP_OK) {
        rc = icetap_wal_reader_next(r, &rec, NULL, NULL, &err);

        if (rc == ICETAP_OK) {
            /* appended since the loop above: the next pass reads it */
            icetap_wal_rec_free(&rec);

        } else if (rc == ICETAP_EOF) {
            seg->end = icetap_wal_reader_end(r, NULL, NULL);
        }
    }

    icetap_wal_reader_close(r);
}


static ngx_uint_t
ngx_http_icetap_segment_damaged(ngx_http_icetap_segment_t *seg)
{
    return seg->unreadable
           || seg->bad + seg->tail_bad > 0
           || seg->end == ICETAP_WAL_END_TORN
           || seg->end == ICETAP_WAL_END_CORRUPT;
}


static void
ngx_http_icetap_segments_free(ngx_http_icetap_segment_t *segs, size_t n)
{
    size_t  i;

    if (segs == NULL) {
        return;
    }

    for (i = 0; i < n; i++) {
        icetap_free(segs[i].name);
    }

    ngx_free(segs);
}


static ngx_int_t
ngx_http_icetap_verify_run(ngx_cycle_t *cycle, void *data)
{
    uint64_t                       pass;
    ngx_msec_t                     took;
    ngx_http_icetap_housekeeper_t  hk;

    ngx_memzero(&hk, sizeof(ngx_http_icetap_housekeeper_t));
    hk.imcf = data;
    hk.log = cycle->log;

    for (pass = 1; !ngx_http_icetap_helper_should_exit(); pass++) {

        if (ngx_http_icetap_verify_pass(&hk, pass, &took) != NGX_OK) {
            ngx_http_icetap_segments_free(hk.segs, hk.nsegs);
            return NGX_ERROR;
        }

        if (ngx_http_icetap_helper_sleep(
                ngx_max(NGX_HTTP_ICETAP_STATUS_INTERVAL,
                        took * (NGX_HTTP_ICETAP_VERIFY_DUTY - 1))))
        {
            break;
        }
    }

    ngx_http_icetap_segments_free(hk.segs, hk.nsegs);

    return NGX_OK;
}


/*
 * hk->segs holds the segments found damaged by the previous pass, so that
 * damage is logged once, when it is first seen.
 */

static ngx_int_t
ngx_http_icetap_verify_pass(ngx_http_icetap_housekeeper_t *hk,
    uint64_t pass, ngx_msec_t *took)
{
    char                      **names;
    size_t                      n, i, j, ndamaged;
    json_t                     *doc, *list;
    int64_t                     start;
    uint64_t                    records, bad, verified;
    ngx_int_t                   rc;
    ngx_uint_t                  known;
    icetap_error_t              err;
    ngx_http_icetap_segment_t   seg, *damaged;

    start = ngx_http_icetap_now_ms();

    if (icetap_wal_list((char *) hk->imcf->dir.data, &names, &n, &err)
        != ICETAP_OK)
    {
        ngx_log_error(NGX_LOG_WARN, hk->log, 0,
                      "icetap: WAL verify: %s, retrying", err.msg);
        *took = 0;
        return NGX_OK;
    }

    damaged = ngx_calloc(ngx_max(n, 1) * sizeof(ngx_http_icetap_segment_t),
                         hk->log);
    list = json_array();

    if (damaged == NULL || list == NULL) {
        ngx_free(damaged);
        json_decref(list);
        icetap_wal_free_list(names, n);
        return NGX_ERROR;
    }

    ndamaged = 0;
    records = 0;
    bad = 0;
    verified = 0;

    for (i = 0; i < n; i++) {

        if (ngx_http_icetap_helper_should_exit()) {
            break;
        }

        ngx_memzero(&seg, sizeof(ngx_http_icetap_segment_t));
        seg.name = names[i];

        ngx_http_icetap_segment_scan(hk, &seg);

        if (seg.end != ICETAP_WAL_END_SEALED) {
            /* still written to (or unreadable): status watches those */
            continue;
        }

        verified++;
        records += seg.records;
        bad += seg.bad + seg.tail_bad;

        if (!ngx_http_icetap_segment_damaged(&seg)) {
            continue;
        }

        known = 0;
        for (j = 0; j < hk->nsegs; j++) {
            if (ngx_strcmp(hk->segs[j].name, seg.name) == 0) {
                known = 1;
                break;
            }
        }

        if (!known) {
            ngx_log_error(NGX_LOG_ERR, hk->log, 0,
                          "icetap: WAL segment \"%s\" is damaged: %uL bad "
                          "frame(s); the records around them are lost",
                          seg.name, seg.bad + seg.tail_bad);
        }

        damaged[ndamaged].name = seg.name;
        names[i] = NULL;
        ndamaged++;

        json_array_append_new(list, json_string(damaged[ndamaged - 1].name));
    }

    icetap_wal_free_list(names, n);
    ngx_http_icetap_segments_free(hk->segs, hk->nsegs);

    hk->segs = damaged;
    hk->nsegs = ndamaged;

    *took = (ngx_msec_t) (ngx_http_icetap_now_ms() - start);

    doc = json_pack("{s:i, s:s, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:o}",
                    "version", 1,
                    "dir", (char *) hk->imcf->dir.data,
                    "pid", (int) ngx_pid,
                    "updated_ms", (json_int_t) ngx_http_icetap_now_ms(),
                    "passes", (json_int_t) pass,
                    "pass_ms", (json_int_t) *took,
                    "verified_segments", (json_int_t) verified,
                    "records", (json_int_t) records,
                    "bad_frames", (json_int_t) bad,
                    "damaged", list);
    if (doc == NULL) {
        return NGX_ERROR;
    }

    rc = ngx_http_icetap_housekeeper_write(hk, "verify.json", doc);

    json_decref(doc);

    return rc;
}


/*
 * A failure to write is logged once and retried on every pass; only
 * running out of memory ends the helper.
 */

static ngx_int_t
ngx_http_icetap_housekeeper_write(ngx_http_icetap_housekeeper_t *hk,
    const char *file, json_t *doc)
{
    const char  *failed;

    if (ngx_http_icetap_report_json(&hk->imcf->dir, file, doc, &failed)
        == NGX_OK)
    {
        if (hk->write_failed) {
            ngx_log_error(NGX_LOG_NOTICE, hk->log, 0,
                          "icetap: \"%V/%s\" is written again",
                          &hk->imcf->dir, file);
            hk->write_failed = 0;
        }

        return NGX_OK;
    }

    if (!hk->write_failed) {
        ngx_log_error(NGX_LOG_WARN, hk->log, ngx_errno,
                      "icetap: %s() of \"%V/%s\" failed, retrying every "
                      "pass", failed, &hk->imcf->dir, file);
        hk->write_failed = 1;
    }

    return NGX_OK;
}


static int64_t
ngx_http_icetap_now_ms(void)
{
    ngx_time_t  *tp;

    ngx_time_update();
    tp = ngx_timeofday();

    return (int64_t) tp->sec * 1000 + tp->msec;
}
