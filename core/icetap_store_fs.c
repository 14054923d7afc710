/*
 * Copyright (C) icetap authors
 *
 * Local-filesystem store.  An object is a file root/<key>; content type and
 * user metadata are extended attributes set on a temporary file before it
 * is renamed into place, so an object and its metadata appear together.
 *
 * Every put takes an exclusive flock on root/.icetap-lock around the
 * condition check and the rename: a conditional put observes no other
 * rename between its check and its own rename, across threads (one handle
 * each) and processes sharing the root.
 */


#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "icetap_store_int.h"


#define ICETAP_FS_IO_SIZE      65536
#define ICETAP_FS_XATTR_CT     "user.icetap.ct"
#define ICETAP_FS_XATTR_META   "user.icetap.m."
#define ICETAP_FS_RESERVED     ".icetap"


typedef struct {
    icetap_store_t   store;
    char            *root;
    int              lock_fd;
    unsigned         seq;
} icetap_store_fs_t;


typedef struct {
    char            *key;
    int64_t          size;
    int64_t          mtime;
    char             etag[64];
} icetap_fs_entry_t;


typedef struct {
    icetap_fs_entry_t  *e;
    size_t              n;
    size_t              cap;
} icetap_fs_list_t;


static icetap_rc icetap_fs_get(icetap_store_t *s, const char *key,
    int64_t offset, int64_t length, icetap_store_sink_pt sink, void *ctx,
    icetap_store_obj_t *obj, icetap_error_t *err);
static icetap_rc icetap_fs_put(icetap_store_t *s, const char *key,
    icetap_store_source_t *src, const icetap_store_put_opts_t *opts,
    char *etag, icetap_error_t *err);
static icetap_rc icetap_fs_head(icetap_store_t *s, const char *key,
    icetap_store_obj_t *obj, icetap_error_t *err);
static icetap_rc icetap_fs_list(icetap_store_t *s,
    const icetap_store_list_opts_t *opts, icetap_store_page_pt page,
    void *ctx, icetap_error_t *err);
static icetap_rc icetap_fs_del(icetap_store_t *s, const char *key,
    icetap_error_t *err);
static icetap_rc icetap_fs_del_batch(icetap_store_t *s,
    const char *const *keys, size_t n, icetap_error_t *err);
static void icetap_fs_destroy(icetap_store_t *s);

static icetap_rc icetap_fs_path(icetap_store_fs_t *fs, const char *key,
    char **path, icetap_error_t *err);
static void icetap_fs_etag(const struct stat *st, char *etag, size_t size);
static icetap_rc icetap_fs_stat_obj(int fd, const char *key,
    icetap_store_obj_t *obj, icetap_error_t *err);
static icetap_rc icetap_fs_mkdirs(char *path, size_t root_len,
    const char *key, icetap_error_t *err);
static icetap_rc icetap_fs_walk(icetap_fs_list_t *l, char *dir,
    size_t root_len, const char *prefix, icetap_error_t *err);
static int icetap_fs_entry_cmp(const void *a, const void *b);


static const icetap_store_ops_t  icetap_store_fs_ops = {
    "fs",
    icetap_fs_get,
    icetap_fs_put,
    icetap_fs_head,
    icetap_fs_list,
    icetap_fs_del,
    icetap_fs_del_batch,
    icetap_fs_destroy
};


icetap_store_t *
icetap_store_fs_create(const char *root, icetap_error_t *err)
{
    char               *path;
    size_t              len;
    struct stat         st;
    icetap_store_fs_t  *fs;

    if (root == NULL || root[0] == '\0') {
        icetap_error_set(err, ICETAP_INVALID, "empty fs store root");
        return NULL;
    }

    if (stat(root, &st) != 0) {
        icetap_error_sys(err, ICETAP_INVALID, errno,
                         "fs store root \"%s\"", root);
        return NULL;
    }

    if (!S_ISDIR(st.st_mode)) {
        icetap_error_set(err, ICETAP_INVALID,
                         "fs store root \"%s\" is not a directory", root);
        return NULL;
    }

    fs = icetap_calloc(1, sizeof(icetap_store_fs_t));
    if (fs == NULL) {
        icetap_error_set(err, ICETAP_NOMEM, "no memory for fs store");
        return NULL;
    }

    fs->store.ops = &icetap_store_fs_ops;
    fs->lock_fd = -1;

    len = strlen(root);

    while (len > 1 && root[len - 1] == '/') {
        len--;
    }

    fs->root = icetap_strndup(root, len);
    path = icetap_alloc(len + sizeof("/" ICETAP_FS_RESERVED "-lock"));

    if (fs->root == NULL || path == NULL) {
        icetap_free(path);
        icetap_fs_destroy(&fs->store);
        icetap_error_set(err, ICETAP_NOMEM, "no memory for fs store");
        return NULL;
    }

    sprintf(path, "%s/" ICETAP_FS_RESERVED "-tmp", fs->root);

    if (mkdir(path, 0700) != 0 && errno != EEXIST) {
        icetap_error_sys(err, ICETAP_IO, errno, "mkdir \"%s\"", path);
        goto failed;
    }

    sprintf(path, "%s/" ICETAP_FS_RESERVED "-lock", fs->root);

    fs->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fs->lock_fd == -1) {
        icetap_error_sys(err, ICETAP_IO, errno, "open \"%s\"", path);
        goto failed;
    }

    icetap_free(path);

    return &fs->store;

failed:

    icetap_free(path);
    icetap_fs_destroy(&fs->store);

    return NULL;
}


static void
icetap_fs_destroy(icetap_store_t *s)
{
    icetap_store_fs_t  *fs = (icetap_store_fs_t *) s;

    if (fs->lock_fd != -1) {
        close(fs->lock_fd);
    }

    icetap_free(fs->root);
    icetap_free(fs);
}


/*
 * Keys map to paths one to one; a key that could leave the root or alias
 * another key ("..", ".", empty segments, a leading "/") or that names
 * the store's own files is refused.
 */

static icetap_rc
icetap_fs_path(icetap_store_fs_t *fs, const char *key, char **path,
    icetap_error_t *err)
{
    size_t       seg, rlen, klen;
    const char  *p, *start;

    start = key;

    for (p = key; ; p++) {
        if (*p != '/' && *p != '\0') {
            continue;
        }

        seg = p - start;

        if (seg == 0 || (seg == 1 && start[0] == '.')
            || (seg == 2 && start[0] == '.' && start[1] == '.'))
        {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "key \"%s\" cannot be stored in a "
                                    "file system store", key);
        }

        if (*p == '\0') {
            break;
        }

        start = p + 1;
    }

    if (strncmp(key, ICETAP_FS_RESERVED, sizeof(ICETAP_FS_RESERVED) - 1)
        == 0)
    {
        return icetap_error_set(err, ICETAP_INVALID,
                                "key \"%s\" is reserved", key);
    }

    rlen = strlen(fs->root);
    klen = strlen(key);

    *path = icetap_alloc(rlen + klen + 2);
    if (*path == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "no memory");
    }

    memcpy(*path, fs->root, rlen);
    (*path)[rlen] = '/';
    memcpy(*path + rlen + 1, key, klen + 1);

    return ICETAP_OK;
}


static void
icetap_fs_etag(const struct stat *st, char *etag, size_t size)
{
    /* a rename always installs a new inode, so the triple changes */

    snprintf(etag, size, "\"%llx-%llx%09lx-%llx\"",
             (unsigned long long) st->st_ino,
             (unsigned long long) st->st_mtim.tv_sec,
             (unsigned long) st->st_mtim.tv_nsec,
             (unsigned long long) st->st_size);
}


static icetap_rc
icetap_fs_stat_obj(int fd, const char *key, icetap_store_obj_t *obj,
    icetap_error_t *err)
{
    char         *names, *name, *value;
    size_t        nlen;
    ssize_t       n, vn;
    icetap_rc     rc;
    struct stat   st;

    icetap_store_obj_init(obj);

    if (fstat(fd, &st) != 0) {
        return icetap_error_sys(err, ICETAP_IO, errno, "stat \"%s\"", key);
    }

    obj->size = st.st_size;
    obj->last_modified = st.st_mtim.tv_sec;
    icetap_fs_etag(&st, obj->etag, sizeof(obj->etag));

    n = flistxattr(fd, NULL, 0);
    if (n <= 0) {
        return ICETAP_OK;
    }

    names = icetap_alloc(n);
    value = icetap_alloc(65536);

    if (names == NULL || value == NULL) {
        rc = icetap_error_set(err, ICETAP_NOMEM, "no memory");
        goto done;
    }

    n = flistxattr(fd, names, n);
    rc = ICETAP_OK;

    for (name = names; n > 0 && name < names + n; name += nlen + 1) {
        nlen = strlen(name);

        if (strncmp(name, "user.icetap.", 12) != 0) {
            continue;
        }

        vn = fgetxattr(fd, name, value, 65536);
        if (vn < 0) {
            continue;
        }

        if (strcmp(name, ICETAP_FS_XATTR_CT) == 0) {
            icetap_free(obj->content_type);
            obj->content_type = icetap_strndup(value, vn);
            if (obj->content_type == NULL) {
                rc = icetap_error_set(err, ICETAP_NOMEM, "no memory");
                break;
            }

        } else if (strncmp(name, ICETAP_FS_XATTR_META,
                           sizeof(ICETAP_FS_XATTR_META) - 1) == 0)
        {
            rc = icetap_store_obj_add_meta(obj,
                                  name + sizeof(ICETAP_FS_XATTR_META) - 1,
                                  nlen - (sizeof(ICETAP_FS_XATTR_META) - 1),
                                  value, vn);
            if (rc != ICETAP_OK) {
                icetap_error_set(err, rc, "no memory");
                break;
            }
        }
    }

done:

    icetap_free(names);
    icetap_free(value);

    return rc;
}


static icetap_rc
icetap_fs_get(icetap_store_t *s, const char *key, int64_t offset,
    int64_t length, icetap_store_sink_pt sink, void *ctx,
    icetap_store_obj_t *obj, icetap_error_t *err)
{
    int                 fd;
    char               *path, *buf;
    size_t              chunk;
    int64_t             end;
    ssize_t             n;
    icetap_rc           rc;
    icetap_store_obj_t  local;
    icetap_store_fs_t  *fs = (icetap_store_fs_t *) s;

    rc = icetap_fs_path(fs, key, &path, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    fd = open(path, O_RDONLY | O_CLOEXEC);
    icetap_free(path);

    if (fd == -1) {
        if (errno == ENOENT || errno == ENOTDIR || errno == EISDIR) {
            return icetap_error_set(err, ICETAP_NOTFOUND,
                                    "no object \"%s\"", key);
        }

        return icetap_error_sys(err, ICETAP_IO, errno, "open \"%s\"", key);
    }

    buf = NULL;

    icetap_store_obj_init(&local);

    if (obj == NULL) {
        obj = &local;
    }

    rc = icetap_fs_stat_obj(fd, key, obj, err);
    if (rc != ICETAP_OK) {
        goto done;
    }

    if ((offset != 0 || length != -1) && offset >= obj->size) {
        rc = icetap_error_set(err, ICETAP_INVALID,
                              "range %lld+%lld outside \"%s\" "
                              "(%lld bytes)", (long long) offset,
                              (long long) length, key,
                              (long long) obj->size);
        goto done;
    }

    end = obj->size;

    if (length >= 0 && offset + length < end) {
        end = offset + length;
    }

    buf = icetap_alloc(ICETAP_FS_IO_SIZE);
    if (buf == NULL) {
        rc = icetap_error_set(err, ICETAP_NOMEM, "no memory");
        goto done;
    }

    while (offset < end) {
        chunk = (size_t) icetap_min(end - offset, ICETAP_FS_IO_SIZE);

        n = pread(fd, buf, chunk, offset);

        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }

            rc = icetap_error_sys(err, ICETAP_IO, errno, "read \"%s\"", key);
            goto done;
        }

        if (n == 0) {
            rc = icetap_error_set(err, ICETAP_IO,
                                  "\"%s\" shrank while being read", key);
            goto done;
        }

        rc = sink(ctx, buf, n);
        if (rc != ICETAP_OK) {
            if (err != NULL && err->code == ICETAP_OK) {
                icetap_error_set(err, rc, "reading \"%s\" aborted by the "
                                 "consumer", key);
            }

            goto done;
        }

        offset += n;
    }

done:

    icetap_free(buf);
    icetap_store_obj_free(&local);
    close(fd);

    return rc;
}


static icetap_rc
icetap_fs_mkdirs(char *path, size_t root_len, const char *key,
    icetap_error_t *err)
{
    char  *p;

    for (p = path + root_len + 1; *p != '\0'; p++) {
        if (*p != '/') {
            continue;
        }

        *p = '\0';

        if (mkdir(path, 0755) != 0 && errno != EEXIST) {
            *p = '/';
            return icetap_error_sys(err, ICETAP_IO, errno,
                                    "mkdir for \"%s\"", key);
        }

        *p = '/';
    }

    return ICETAP_OK;
}


static icetap_rc
icetap_fs_put(icetap_store_t *s, const char *key, icetap_store_source_t *src,
    const icetap_store_put_opts_t *opts, char *etag, icetap_error_t *err)
{
    int                 fd, locked, dfd;
    char               *path, *tmp, *buf, *slash, name[300];
    char                cur[ICETAP_STORE_ETAG_LEN];
    size_t              i, n, off;
    ssize_t             w;
    icetap_rc           rc;
    struct stat         st;
    icetap_store_fs_t  *fs = (icetap_store_fs_t *) s;

    rc = icetap_fs_path(fs, key, &path, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    fd = -1;
    locked = 0;
    buf = NULL;

    tmp = icetap_alloc(strlen(fs->root) + 64);
    if (tmp == NULL) {
        rc = icetap_error_set(err, ICETAP_NOMEM, "no memory");
        goto done;
    }

    sprintf(tmp, "%s/" ICETAP_FS_RESERVED "-tmp/%ld-%u-XXXXXX", fs->root,
            (long) getpid(), fs->seq++);

    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd == -1) {
        rc = icetap_error_sys(err, ICETAP_IO, errno,
                              "create temporary file for \"%s\"", key);
        icetap_free(tmp);
        tmp = NULL;
        goto done;
    }

    buf = icetap_alloc(ICETAP_FS_IO_SIZE);
    if (buf == NULL) {
        rc = icetap_error_set(err, ICETAP_NOMEM, "no memory");
        goto done;
    }

    for ( ;; ) {
        n = 0;

        rc = src->read(src->ctx, buf, ICETAP_FS_IO_SIZE, &n);
        if (rc != ICETAP_OK) {
            if (err != NULL && err->code == ICETAP_OK) {
                icetap_error_set(err, rc, "source of \"%s\" failed", key);
            }

            goto done;
        }

        if (n == 0) {
            break;
        }

        for (off = 0; off < n; off += w) {
            w = write(fd, buf + off, n - off);

            if (w < 0) {
                if (errno == EINTR) {
                    w = 0;
                    continue;
                }

                rc = icetap_error_sys(err,
                                      errno == ENOSPC ? ICETAP_FULL
                                                      : ICETAP_IO,
                                      errno, "write \"%s\"", key);
                goto done;
            }
        }
    }

    if (opts->content_type != NULL
        && fsetxattr(fd, ICETAP_FS_XATTR_CT, opts->content_type,
                     strlen(opts->content_type), 0) != 0)
    {
        rc = icetap_error_sys(err, ICETAP_IO, errno,
                              "set content type of \"%s\"", key);
        goto done;
    }

    for (i = 0; i < opts->nmeta; i++) {
        if (snprintf(name, sizeof(name), ICETAP_FS_XATTR_META "%s",
                     opts->meta[i].name) >= (int) sizeof(name))
        {
            rc = icetap_error_set(err, ICETAP_INVALID,
                                  "metadata name too long on \"%s\"", key);
            goto done;
        }

        if (fsetxattr(fd, name, opts->meta[i].value,
                      strlen(opts->meta[i].value), 0) != 0)
        {
            rc = icetap_error_sys(err, ICETAP_IO, errno,
                                  "set metadata \"%s\" of \"%s\"",
                                  opts->meta[i].name, key);
            goto done;
        }
    }

    if (fsync(fd) != 0 || fstat(fd, &st) != 0) {
        rc = icetap_error_sys(err, ICETAP_IO, errno, "fsync \"%s\"", key);
        goto done;
    }

    rc = icetap_fs_mkdirs(path, strlen(fs->root), key, err);
    if (rc != ICETAP_OK) {
        goto done;
    }

    while (flock(fs->lock_fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            rc = icetap_error_sys(err, ICETAP_IO, errno, "lock fs store");
            goto done;
        }
    }

    locked = 1;

    if (opts->if_none_match || opts->if_match != NULL) {
        struct stat  cst;

        if (stat(path, &cst) == 0) {
            if (opts->if_none_match) {
                rc = icetap_error_set(err, ICETAP_CONFLICT,
                                      "\"%s\" already exists", key);
                goto done;
            }

            icetap_fs_etag(&cst, cur, sizeof(cur));

            if (strcmp(cur, opts->if_match) != 0) {
                rc = icetap_error_set(err, ICETAP_CONFLICT,
                                      "\"%s\" has ETag %s, not %s",
                                      key, cur, opts->if_match);
                goto done;
            }

        } else if (opts->if_match != NULL) {
            rc = icetap_error_set(err, ICETAP_NOTFOUND,
                                  "no object \"%s\" to match %s", key,
                                  opts->if_match);
            goto done;
        }
    }

    if (rename(tmp, path) != 0) {
        rc = icetap_error_sys(err, ICETAP_IO, errno, "rename to \"%s\"", key);
        goto done;
    }

    icetap_free(tmp);
    tmp = NULL;

    /* make the new name durable */

    slash = strrchr(path, '/');
    *slash = '\0';

    dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd != -1) {
        (void) fsync(dfd);
        close(dfd);
    }

    if (etag != NULL) {
        icetap_fs_etag(&st, etag, ICETAP_STORE_ETAG_LEN);
    }

    rc = ICETAP_OK;

done:

    if (locked) {
        (void) flock(fs->lock_fd, LOCK_UN);
    }

    if (fd != -1) {
        close(fd);
    }

    if (tmp != NULL) {
        (void) unlink(tmp);
        icetap_free(tmp);
    }

    icetap_free(buf);
    icetap_free(path);

    return rc;
}


static icetap_rc
icetap_fs_head(icetap_store_t *s, const char *key, icetap_store_obj_t *obj,
    icetap_error_t *err)
{
    int                 fd;
    char               *path;
    icetap_rc           rc;
    struct stat         st;
    icetap_store_fs_t  *fs = (icetap_store_fs_t *) s;

    rc = icetap_fs_path(fs, key, &path, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    fd = open(path, O_RDONLY | O_CLOEXEC);
    icetap_free(path);

    if (fd == -1 || (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode))) {
        if (fd != -1) {
            close(fd);

        } else if (errno != ENOENT && errno != ENOTDIR) {
            return icetap_error_sys(err, ICETAP_IO, errno, "open \"%s\"",
                                    key);
        }

        return icetap_error_set(err, ICETAP_NOTFOUND, "no object \"%s\"",
                                key);
    }

    rc = icetap_fs_stat_obj(fd, key, obj, err);
    close(fd);

    return rc;
}


static icetap_rc
icetap_fs_walk(icetap_fs_list_t *l, char *dir, size_t root_len,
    const char *prefix, icetap_error_t *err)
{
    DIR                *d;
    char               *path;
    size_t              dlen, nlen, klen, plen;
    icetap_rc           rc;
    struct stat         st;
    struct dirent      *de;
    icetap_fs_entry_t  *e;

    d = opendir(dir);
    if (d == NULL) {
        if (errno == ENOENT) {
            return ICETAP_OK;
        }

        return icetap_error_sys(err, ICETAP_IO, errno, "opendir \"%s\"",
                                dir);
    }

    dlen = strlen(dir);
    plen = strlen(prefix);
    rc = ICETAP_OK;

    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) {
            continue;
        }

        if (dlen == root_len
            && strncmp(de->d_name, ICETAP_FS_RESERVED,
                       sizeof(ICETAP_FS_RESERVED) - 1) == 0)
        {
            continue;
        }

        nlen = strlen(de->d_name);

        path = icetap_alloc(dlen + nlen + 2);
        if (path == NULL) {
            rc = icetap_error_set(err, ICETAP_NOMEM, "no memory");
            break;
        }

        sprintf(path, "%s/%s", dir, de->d_name);

        /* prune directories that cannot hold keys under the prefix */

        klen = strlen(path) - root_len - 1;

        if (strncmp(path + root_len + 1, prefix, icetap_min(klen, plen))
            != 0 || stat(path, &st) != 0)
        {
            icetap_free(path);
            continue;
        }

        if (S_ISDIR(st.st_mode)) {
            rc = icetap_fs_walk(l, path, root_len, prefix, err);
            icetap_free(path);

            if (rc != ICETAP_OK) {
                break;
            }

            continue;
        }

        if (!S_ISREG(st.st_mode) || klen < plen) {
            icetap_free(path);
            continue;
        }

        if (l->n == l->cap) {
            l->cap = l->cap ? 2 * l->cap : 64;
            e = icetap_realloc(l->e, l->cap * sizeof(icetap_fs_entry_t));
            if (e == NULL) {
                icetap_free(path);
                rc = icetap_error_set(err, ICETAP_NOMEM, "no memory");
                break;
            }

            l->e = e;
        }

        e = &l->e[l->n];
        e->key = icetap_strndup(path + root_len + 1, klen);
        icetap_free(path);

        if (e->key == NULL) {
            rc = icetap_error_set(err, ICETAP_NOMEM, "no memory");
            break;
        }

        e->size = st.st_size;
        e->mtime = st.st_mtim.tv_sec;
        icetap_fs_etag(&st, e->etag, sizeof(e->etag));
        l->n++;
    }

    closedir(d);

    return rc;
}


static int
icetap_fs_entry_cmp(const void *a, const void *b)
{
    const icetap_fs_entry_t  *x = a, *y = b;

    return strcmp(x->key, y->key);
}


static icetap_rc
icetap_fs_list(icetap_store_t *s, const icetap_store_list_opts_t *opts,
    icetap_store_page_pt page_cb, void *ctx, icetap_error_t *err)
{
    char                  *root, *next, **prefixes, *d;
    size_t                 i, np, ne, plen, dlen, max, clen;
    icetap_rc              rc;
    const char            *prefix, *after, *key;
    icetap_fs_list_t       l;
    icetap_store_page_t    page;
    icetap_store_fs_t     *fs = (icetap_store_fs_t *) s;
    icetap_store_entry_t  *entries;

    memset(&l, 0, sizeof(l));

    prefix = opts->prefix ? opts->prefix : "";
    plen = strlen(prefix);
    dlen = opts->delimiter ? strlen(opts->delimiter) : 0;
    max = opts->max_keys ? opts->max_keys : 1000;

    root = icetap_strndup(fs->root, strlen(fs->root));
    entries = icetap_alloc(max * sizeof(icetap_store_entry_t));
    prefixes = icetap_alloc(max * sizeof(char *));
    next = NULL;
    np = 0;

    if (root == NULL || entries == NULL || prefixes == NULL) {
        rc = icetap_error_set(err, ICETAP_NOMEM, "no memory");
        goto done;
    }

    rc = icetap_fs_walk(&l, root, strlen(root), prefix, err);
    if (rc != ICETAP_OK) {
        goto done;
    }

    if (l.n > 1) {
        qsort(l.e, l.n, sizeof(icetap_fs_entry_t), icetap_fs_entry_cmp);
    }

    /*
     * The continuation token is the last key or common prefix returned;
     * after a common prefix P the next page starts after every key that
     * begins with P (P followed by 0xff sorts after all of them: 0xff
     * never occurs in UTF-8).
     */

    after = opts->continuation ? opts->continuation : opts->start_after;

    i = 0;

    if (after != NULL) {
        while (i < l.n && strcmp(l.e[i].key, after) <= 0) {
            i++;
        }
    }

    do {
        ne = 0;
        np = 0;

        while (i < l.n && ne + np < max) {
            key = l.e[i].key;

            if (dlen
                && (d = strstr(key + plen, opts->delimiter)) != NULL)
            {
                clen = d + dlen - key;
                prefixes[np] = icetap_strndup(key, clen);
                if (prefixes[np] == NULL) {
                    rc = icetap_error_set(err, ICETAP_NOMEM, "no memory");
                    goto done;
                }

                while (i < l.n && strncmp(l.e[i].key, key, clen) == 0) {
                    i++;
                }

                np++;
                continue;
            }

            entries[ne].key = key;
            entries[ne].size = l.e[i].size;
            entries[ne].last_modified = l.e[i].mtime;
            entries[ne].etag = l.e[i].etag;
            ne++;
            i++;
        }

        icetap_free(next);
        next = NULL;

        if (i < l.n) {
            /* the greater of the last key and the last prefix */

            key = ne ? entries[ne - 1].key : "";

            if (np && strcmp(prefixes[np - 1], key) > 0) {
                next = icetap_alloc(strlen(prefixes[np - 1]) + 2);
                if (next != NULL) {
                    sprintf(next, "%s\xff", prefixes[np - 1]);
                }

            } else {
                next = icetap_strndup(key, strlen(key));
            }

            if (next == NULL) {
                rc = icetap_error_set(err, ICETAP_NOMEM, "no memory");
                goto done;
            }
        }

        page.entries = entries;
        page.nentries = ne;
        page.prefixes = (const char *const *) prefixes;
        page.nprefixes = np;
        page.next = next;

        rc = page_cb(ctx, &page);

        while (np) {
            icetap_free(prefixes[--np]);
        }

        if (rc == ICETAP_EOF) {
            rc = ICETAP_OK;
            break;
        }

        if (rc != ICETAP_OK) {
            if (err != NULL && err->code == ICETAP_OK) {
                icetap_error_set(err, rc, "listing aborted by the consumer");
            }

            break;
        }

    } while (i < l.n);

done:

    while (np) {
        icetap_free(prefixes[--np]);
    }

    for (i = 0; i < l.n; i++) {
        icetap_free(l.e[i].key);
    }

    icetap_free(l.e);
    icetap_free(next);
    icetap_free(root);
    icetap_free(entries);
    icetap_free(prefixes);

    return rc;
}


static icetap_rc
icetap_fs_del(icetap_store_t *s, const char *key, icetap_error_t *err)
{
    char               *path;
    icetap_rc           rc;
    icetap_store_fs_t  *fs = (icetap_store_fs_t *) s;

    rc = icetap_fs_path(fs, key, &path, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    if (unlink(path) != 0 && errno != ENOENT && errno != ENOTDIR) {
        rc = icetap_error_sys(err, ICETAP_IO, errno, "delete \"%s\"", key);
    }

    icetap_free(path);

    return rc;
}


static icetap_rc
icetap_fs_del_batch(icetap_store_t *s, const char *const *keys, size_t n,
    icetap_error_t *err)
{
    size_t          i;
    icetap_rc       rc, first;
    icetap_error_t  e;

    first = ICETAP_OK;

    for (i = 0; i < n; i++) {
        rc = icetap_fs_del(s, keys[i], &e);

        if (rc != ICETAP_OK && first == ICETAP_OK) {
            first = rc;

            if (err != NULL) {
                *err = e;
            }
        }
    }

    return first;
}
