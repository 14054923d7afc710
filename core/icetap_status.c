/*
 * Copyright (C) icetap authors
 *
 * The status document (include/icetap/status.h).
 */


#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <jansson.h>

#include <icetap/status.h>


#define ICETAP_STATUS_MAX_FILE   (1024 * 1024)
#define ICETAP_STATUS_MAX_LABEL  256


typedef struct {
    char       *name;
    char       *labels;                 /* "" or {a="b",...} */
    double      value;
} icetap_status_sample_t;


typedef struct {
    icetap_status_sample_t  *v;
    size_t                   n;
    size_t                   cap;
    int64_t                  now_ms;
    int                      failed;
} icetap_status_samples_t;


static json_t *icetap_status_file(const char *path);
static json_t *icetap_status_helpers(const char *dir);
static void icetap_status_flatten(icetap_status_samples_t *s,
    const char *prefix, const char *labels, json_t *v, int top);
static void icetap_status_add(icetap_status_samples_t *s, const char *name,
    const char *labels, double value);
static icetap_rc icetap_status_prometheus(json_t *doc, int64_t now_ms,
    icetap_buf_t *out, icetap_error_t *err);


icetap_rc
icetap_status_render(const char *wal_dir, icetap_status_format_e format,
    int64_t now_ms, icetap_buf_t *out, icetap_error_t *err)
{
    DIR            *d;
    char           *s, path[4096], name[256];
    size_t          len;
    json_t         *doc, *v;
    icetap_rc       rc;
    struct dirent  *de;

    d = opendir(wal_dir);
    if (d == NULL) {
        return icetap_error_sys(err, ICETAP_IO, errno, "opendir(\"%s\")",
                                wal_dir);
    }

    doc = json_pack("{s:i,s:I}", "version", 1, "now_ms", (json_int_t) now_ms);
    if (doc == NULL) {
        closedir(d);
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    json_object_set_new(doc, "helpers", icetap_status_helpers(wal_dir));

    while ((de = readdir(d)) != NULL) {
        len = strlen(de->d_name);

        /* reports only: no hidden files, no temporary ones */

        if (de->d_name[0] == '.' || len <= 5 || len - 5 >= sizeof(name)
            || strcmp(de->d_name + len - 5, ".json") != 0)
        {
            continue;
        }

        memcpy(name, de->d_name, len - 5);
        name[len - 5] = '\0';

        if (strcmp(name, "version") == 0 || strcmp(name, "now_ms") == 0
            || strcmp(name, "helpers") == 0)
        {
            continue;
        }

        if (strcmp(name, "status") == 0) {
            /* the WAL housekeeper's report */
            strcpy(name, "wal");
        }

        snprintf(path, sizeof(path), "%s/%s", wal_dir, de->d_name);

        v = icetap_status_file(path);
        if (v == NULL) {
            continue;
        }

        json_object_set_new(doc, name, v);
    }

    closedir(d);

    if (format == ICETAP_STATUS_PROMETHEUS) {
        rc = icetap_status_prometheus(doc, now_ms, out, err);
        json_decref(doc);
        return rc;
    }

    s = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(doc);

    if (s == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    rc = icetap_buf_append(out, s, strlen(s));
    if (rc == ICETAP_OK) {
        rc = icetap_buf_putc(out, '\n');
    }

    free(s);

    if (rc != ICETAP_OK) {
        return icetap_error_set(err, rc, "out of memory");
    }

    return ICETAP_OK;
}


/* a report, or {"error": why} when it cannot be read */

static json_t *
icetap_status_file(const char *path)
{
    int            fd;
    char           msg[300];
    json_t        *v;
    ssize_t        n;
    icetap_buf_t   b;
    json_error_t   je;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
        if (errno == ENOENT) {
            return NULL;                /* renamed away meanwhile */
        }

        snprintf(msg, sizeof(msg), "open: %s", strerror(errno));
        return json_pack("{s:s}", "error", msg);
    }

    memset(&b, 0, sizeof(b));

    for ( ;; ) {
        if (icetap_buf_reserve(&b, 65536) != ICETAP_OK) {
            close(fd);
            icetap_buf_free(&b);
            return json_pack("{s:s}", "error", "out of memory");
        }

        n = read(fd, b.data + b.len, 65536);

        if (n < 0 && errno == EINTR) {
            continue;
        }

        if (n <= 0) {
            break;
        }

        b.len += (size_t) n;

        if (b.len > ICETAP_STATUS_MAX_FILE) {
            break;
        }
    }

    close(fd);

    if (n < 0) {
        snprintf(msg, sizeof(msg), "read: %s", strerror(errno));
        icetap_buf_free(&b);
        return json_pack("{s:s}", "error", msg);
    }

    if (b.len > ICETAP_STATUS_MAX_FILE) {
        icetap_buf_free(&b);
        return json_pack("{s:s}", "error", "report too large");
    }

    v = json_loadb((const char *) b.data, b.len, 0, &je);
    icetap_buf_free(&b);

    if (v == NULL || !json_is_object(v)) {
        json_decref(v);
        snprintf(msg, sizeof(msg), "not a JSON object: %s", je.text);
        return json_pack("{s:s}", "error", msg);
    }

    return v;
}


/*
 * Whether each helper runs: it holds an exclusive flock() on
 * helpers/<name>.lock.  A shared lock taken and dropped at once tells
 * without waiting; a helper starting in that instant retries its lock.
 */

static json_t *
icetap_status_helpers(const char *dir)
{
    int             fd, running;
    DIR            *d;
    char            path[4096], name[256];
    size_t          len;
    json_t         *hs;
    struct dirent  *de;

    hs = json_object();
    if (hs == NULL) {
        return NULL;
    }

    snprintf(path, sizeof(path), "%s/helpers", dir);

    d = opendir(path);
    if (d == NULL) {
        return hs;
    }

    while ((de = readdir(d)) != NULL) {
        len = strlen(de->d_name);

        if (de->d_name[0] == '.' || len <= 5 || len - 5 >= sizeof(name)
            || strcmp(de->d_name + len - 5, ".lock") != 0)
        {
            continue;
        }

        memcpy(name, de->d_name, len - 5);
        name[len - 5] = '\0';

        snprintf(path, sizeof(path), "%s/helpers/%s", dir, de->d_name);

        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd == -1) {
            continue;
        }

        running = 0;

        if (flock(fd, LOCK_SH | LOCK_NB) == -1) {
            running = (errno == EWOULDBLOCK);

        } else {
            (void) flock(fd, LOCK_UN);
        }

        close(fd);

        json_object_set_new(hs, name,
                            json_pack("{s:b}", "running", running));
    }

    closedir(d);

    return hs;
}


/* Prometheus text */

static void
icetap_status_metric_name(char *dst, size_t size, const char *prefix,
    const char *member)
{
    size_t   i;
    int      n;

    n = snprintf(dst, size, "%s_%s", prefix, member);

    if (n < 0) {
        dst[0] = '\0';
        return;
    }

    for (i = 0; dst[i]; i++) {
        if (!((dst[i] >= 'a' && dst[i] <= 'z') || (dst[i] >= 'A'
              && dst[i] <= 'Z') || (dst[i] >= '0' && dst[i] <= '9')
              || dst[i] == '_'))
        {
            dst[i] = '_';
        }
    }
}


/* labels plus name="value", escaped as the exposition format wants */

static char *
icetap_status_label(const char *labels, const char *name, const char *value)
{
    char          *s;
    size_t         i;
    icetap_buf_t   b;

    memset(&b, 0, sizeof(b));

    if (labels[0]) {
        /* {a="b"} -> {a="b", */
        icetap_buf_append(&b, labels, strlen(labels) - 1);
        icetap_buf_putc(&b, ',');

    } else {
        icetap_buf_putc(&b, '{');
    }

    icetap_buf_append(&b, name, strlen(name));
    icetap_buf_append(&b, "=\"", 2);

    for (i = 0; value[i]; i++) {
        switch (value[i]) {
        case '\\':
            icetap_buf_append(&b, "\\\\", 2);
            break;
        case '"':
            icetap_buf_append(&b, "\\\"", 2);
            break;
        case '\n':
            icetap_buf_append(&b, "\\n", 2);
            break;
        default:
            icetap_buf_putc(&b, (uint8_t) value[i]);
        }
    }

    icetap_buf_append(&b, "\"}", 3);        /* with the NUL */

    if (b.data == NULL || b.len == 0 || b.data[b.len - 1] != '\0') {
        icetap_buf_free(&b);
        return NULL;
    }

    s = (char *) b.data;

    return s;
}


static void
icetap_status_flatten(icetap_status_samples_t *s, const char *prefix,
    const char *labels, json_t *v, int top)
{
    char         name[512], *lab, *next;
    size_t       i;
    json_t      *m, *e;
    const char  *k;

    switch (json_typeof(v)) {

    case JSON_INTEGER:
        icetap_status_add(s, prefix, labels,
                          (double) json_integer_value(v));
        return;

    case JSON_REAL:
        icetap_status_add(s, prefix, labels, json_real_value(v));
        return;

    case JSON_TRUE:
    case JSON_FALSE:
        icetap_status_add(s, prefix, labels, json_is_true(v) ? 1 : 0);
        return;

    case JSON_OBJECT:
        json_object_foreach(v, k, m) {
            if (top && (strcmp(k, "version") == 0 || strcmp(k, "pid") == 0))
            {
                continue;
            }

            if (strcmp(k, "updated_ms") == 0 && json_is_integer(m)) {
                icetap_status_metric_name(name, sizeof(name), prefix,
                                          "age_seconds");
                icetap_status_add(s, name, labels,
                                  (double) (s->now_ms
                                            - json_integer_value(m))
                                  / 1000.0);
                continue;
            }

            icetap_status_metric_name(name, sizeof(name), prefix, k);

            if (strcmp(k, "error") == 0 && json_is_string(m)) {
                icetap_status_add(s, name, labels,
                                  json_string_length(m) ? 1 : 0);
                continue;
            }

            icetap_status_flatten(s, name, labels, m, 0);
        }

        return;

    case JSON_ARRAY:
        icetap_status_metric_name(name, sizeof(name), prefix, "count");
        icetap_status_add(s, name, labels, (double) json_array_size(v));

        json_array_foreach(v, i, e) {
            if (!json_is_object(e)) {
                continue;
            }

            /* an element's short strings label its samples */

            lab = icetap_strndup(labels, strlen(labels));

            json_object_foreach(e, k, m) {
                if (lab == NULL || !json_is_string(m)
                    || strcmp(k, "error") == 0
                    || json_string_length(m) > ICETAP_STATUS_MAX_LABEL)
                {
                    continue;
                }

                icetap_status_metric_name(name, sizeof(name), "", k);
                next = icetap_status_label(lab, name + 1,
                                           json_string_value(m));
                icetap_free(lab);
                lab = next;
            }

            if (lab == NULL) {
                s->failed = 1;
                return;
            }

            json_object_foreach(e, k, m) {
                if (json_is_string(m) && strcmp(k, "error") != 0) {
                    continue;
                }

                icetap_status_metric_name(name, sizeof(name), prefix, k);

                if (json_is_string(m)) {
                    icetap_status_add(s, name, lab,
                                      json_string_length(m) ? 1 : 0);

                } else {
                    icetap_status_flatten(s, name, lab, m, 0);
                }
            }

            icetap_free(lab);
        }

        return;

    default:
        /* strings and nulls are not measures */
        return;
    }
}


static void
icetap_status_add(icetap_status_samples_t *s, const char *name,
    const char *labels, double value)
{
    icetap_status_sample_t  *v;

    if (s->failed) {
        return;
    }

    if (s->n == s->cap) {
        v = icetap_realloc(s->v, (s->cap ? 2 * s->cap : 64)
                                 * sizeof(icetap_status_sample_t));
        if (v == NULL) {
            s->failed = 1;
            return;
        }

        s->v = v;
        s->cap = s->cap ? 2 * s->cap : 64;
    }

    v = &s->v[s->n];
    v->name = icetap_strndup(name, strlen(name));
    v->labels = icetap_strndup(labels, strlen(labels));
    v->value = value;

    if (v->name == NULL || v->labels == NULL) {
        icetap_free(v->name);
        icetap_free(v->labels);
        s->failed = 1;
        return;
    }

    s->n++;
}


static icetap_rc
icetap_status_prometheus(json_t *doc, int64_t now_ms, icetap_buf_t *out,
    icetap_error_t *err)
{
    int                       n;
    char                      line[1024], *lab;
    size_t                    i, j;
    json_t                   *v, *h;
    const char               *k;
    icetap_status_samples_t   s;

    memset(&s, 0, sizeof(s));
    s.now_ms = now_ms;

    icetap_status_add(&s, "icetap_up", "", 1);

    json_object_foreach(json_object_get(doc, "helpers"), k, h) {
        lab = icetap_status_label("", "helper", k);
        if (lab == NULL) {
            s.failed = 1;
            break;
        }

        icetap_status_add(&s, "icetap_helper_running", lab,
                          json_is_true(json_object_get(h, "running")));
        icetap_free(lab);
    }

    json_object_foreach(doc, k, v) {
        if (!json_is_object(v) || strcmp(k, "helpers") == 0) {
            continue;
        }

        icetap_status_metric_name(line, sizeof(line), "icetap", k);
        icetap_status_flatten(&s, line, "", v, 1);
    }

    /* the samples of a metric together, in order of first appearance */

    for (i = 0; i < s.n && !s.failed; i++) {
        if (s.v[i].name == NULL) {
            continue;
        }

        n = snprintf(line, sizeof(line), "# TYPE %s gauge\n", s.v[i].name);
        if (icetap_buf_append(out, line, n) != ICETAP_OK) {
            s.failed = 1;
        }

        for (j = i; j < s.n && !s.failed; j++) {
            if (s.v[j].name == NULL
                || (j != i && strcmp(s.v[j].name, s.v[i].name) != 0))
            {
                continue;
            }

            n = snprintf(line, sizeof(line), " %.15g\n", s.v[j].value);

            if (icetap_buf_append(out, s.v[j].name, strlen(s.v[j].name))
                != ICETAP_OK
                || icetap_buf_append(out, s.v[j].labels,
                                     strlen(s.v[j].labels)) != ICETAP_OK
                || icetap_buf_append(out, line, n) != ICETAP_OK)
            {
                s.failed = 1;
            }

            if (j != i) {
                icetap_free(s.v[j].name);
                s.v[j].name = NULL;
            }
        }
    }

    for (i = 0; i < s.n; i++) {
        icetap_free(s.v[i].name);
        icetap_free(s.v[i].labels);
    }

    icetap_free(s.v);

    if (s.failed) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    return ICETAP_OK;
}
