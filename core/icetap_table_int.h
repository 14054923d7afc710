/*
 * Copyright (C) icetap authors
 *
 * Internals shared by the table files: the handle, a small string-keyed
 * hash map, owned copies of manifest entries and manifest-list items,
 * and store helpers.
 */

#ifndef ICETAP_TABLE_INT_H
#define ICETAP_TABLE_INT_H


#include <icetap/table.h>


struct icetap_table_s {
    icetap_store_t                *store;
    char                          *location;
    char                          *prefix;
    icetap_table_naming_e          naming;
    unsigned                       no_hint;
    unsigned                       max_attempts;
    unsigned                       retry_base_ms;
    unsigned                       retry_max_ms;
    unsigned                       merge_min_count;
    size_t                         merge_target_size;

    icetap_table_pointer_t         pointer;
    icetap_table_store_pointer_t   store_pointer;
    char                          *pointer_key;

    icetap_table_metadata_t       *md;
    char                          *md_location;
    icetap_table_stats_t           stats;
};


/* string -> pointer hash map (open addressing, keys copied) */

typedef struct {
    char                          *key;
    void                          *value;
} icetap_tmap_slot_t;

typedef struct {
    icetap_tmap_slot_t            *slots;
    size_t                         cap;
    size_t                         n;
} icetap_tmap_t;

void *icetap_tmap_get(const icetap_tmap_t *m, const char *key);
/* inserts or replaces; ICETAP_NOMEM */
icetap_rc icetap_tmap_put(icetap_tmap_t *m, const char *key, void *value);
/* free_value may be NULL */
void icetap_tmap_free(icetap_tmap_t *m, void (*free_value)(void *));


/* an owned data file (deep copy of icetap_data_file_t) */

struct icetap_table_df_s {
    icetap_data_file_t             f;
    int32_t                        spec_id;
    void                          *mem;         /* one block, all arrays */
};

icetap_table_df_t *icetap_table_df_copy(const icetap_data_file_t *f,
    int32_t spec_id);


/* an owned manifest-list item */

typedef struct {
    icetap_manifest_file_t         mf;
    void                          *mem;
} icetap_table_mf_t;

icetap_rc icetap_table_mf_copy(icetap_table_mf_t *dst,
    const icetap_manifest_file_t *src);
void icetap_table_mf_clear(icetap_table_mf_t *m);

/* the manifests of a snapshot's list (none when snapshot is NULL) */
icetap_rc icetap_table_read_list(icetap_table_t *t,
    const icetap_snapshot_t *snap, icetap_table_mf_t **mfs, size_t *n,
    icetap_error_t *err);
void icetap_table_mfs_free(icetap_table_mf_t *mfs, size_t n);

/* whole object into memory */
icetap_rc icetap_table_get(icetap_table_t *t, const char *path,
    icetap_buf_t *out, icetap_error_t *err);
icetap_rc icetap_table_put(icetap_table_t *t, const char *path,
    const void *data, size_t len, int if_none_match, icetap_error_t *err);
void icetap_table_delete_quiet(icetap_table_t *t, const char *path);

/* "<location>/<dir>/<name>" into an icetap_alloc'd string */
char *icetap_table_path(const icetap_table_t *t, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* partition tuple as a byte key (grouping, comparisons) */
icetap_rc icetap_table_partition_key(const icetap_value_t *pv, size_t n,
    int32_t spec_id, icetap_buf_t *out);

/* DV positions of a deletion vector entry, or of a v2 delete file */
icetap_rc icetap_table_read_dv(icetap_table_t *t, const char *puffin,
    int64_t offset, int64_t length, icetap_roaring64_t **pos,
    icetap_error_t *err);

/* calls cb(ctx, file_path, pos) for every row of a position-delete file */
typedef icetap_rc (*icetap_table_posdel_pt)(void *ctx, const char *path,
    size_t path_len, int64_t pos);
icetap_rc icetap_table_read_posdel(icetap_table_t *t, const char *path,
    int64_t size, icetap_table_posdel_pt cb, void *ctx,
    icetap_error_t *err);

/* a Parquet reader over a store object (read-at by ranged gets) */
typedef struct {
    icetap_table_t                *t;
    char                          *key;
    icetap_buf_t                   cache;       /* the file tail */
    uint64_t                       cache_off;
    uint64_t                       size;
} icetap_table_pqsrc_t;

icetap_rc icetap_table_pq_open(icetap_table_t *t, const char *path,
    int64_t size, icetap_table_pqsrc_t *src, icetap_pq_reader_t **r,
    icetap_error_t *err);
void icetap_table_pq_close(icetap_table_pqsrc_t *src, icetap_pq_reader_t *r);
/* reads row group rg of r with one ranged get when it is small enough */
icetap_rc icetap_table_pq_prefetch(icetap_table_pqsrc_t *src,
    icetap_pq_reader_t *r, int rg, icetap_error_t *err);

/* Parquet schema of an Iceberg schema (field ids on every element) */
icetap_rc icetap_table_pq_schema(const icetap_schema_t *schema,
    icetap_pq_schema_t **out, icetap_error_t *err);
/* the same, with the v3 row lineage columns last when lineage is set */
#define ICETAP_FIELD_ROW_ID             2147483540
#define ICETAP_FIELD_LAST_UPDATED_SEQ   2147483539
icetap_rc icetap_table_pq_schema_ex(const icetap_schema_t *schema,
    int lineage, icetap_pq_schema_t **out, icetap_error_t *err);

void icetap_table_sleep_ms(unsigned ms);


/* a manifest's entries with their inherited values filled in */

typedef struct {
    icetap_buf_t                   buf;
    icetap_manifest_reader_t      *r;
    const icetap_manifest_file_t  *mf;
    int64_t                        next_row_id;    /* v3 inheritance */
} icetap_table_mr_t;

icetap_rc icetap_table_mr_open(icetap_table_t *t,
    const icetap_manifest_file_t *mf, icetap_table_mr_t *mr,
    icetap_error_t *err);
icetap_rc icetap_table_mr_next(icetap_table_mr_t *mr,
    icetap_manifest_entry_t *e, icetap_error_t *err);
void icetap_table_mr_close(icetap_table_mr_t *mr);


/* the commit loop; abort() runs after an attempt that did not commit */
typedef void (*icetap_table_abort_pt)(void *ctx, icetap_table_t *t);

icetap_rc icetap_table_commit_ex(icetap_table_t *t,
    icetap_table_apply_pt apply, icetap_table_abort_pt abort_cb, void *ctx,
    icetap_error_t *err);


#endif /* ICETAP_TABLE_INT_H */
