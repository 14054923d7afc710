/*
 * Copyright (C) icetap authors
 *
 * The catalog: table buckets, namespaces and tables kept as small JSON
 * documents in the store, under the bucket named by "icetap_store":
 *
 *     icetap/catalog/<table-bucket>.json                 a table bucket
 *     icetap/catalog/<table-bucket>/<namespace>.json     a namespace
 *     icetap/catalog/<table-bucket>/<namespace>/<table>.json   a table
 *
 * Names follow S3 Tables: table buckets of lowercase letters, digits and
 * hyphens; namespaces and tables of lowercase letters, digits and
 * underscores; so none holds a "/" or a ".", and a listing with the
 * delimiter "/" separates the levels.
 *
 * A table bucket:
 *
 *     { "format": 1, "name": "aws-s3",
 *       "arn": "arn:aws:s3tables:us-east-1:111122223333:bucket/aws-s3",
 *       "type": "aws",                     "aws" (managed) or "customer"
 *       "created_at_ms": 1795255200123 }
 *
 * A namespace:
 *
 *     { "format": 1, "table_bucket": "aws-s3", "name": "b_photos",
 *       "created_at_ms": 1795255200123 }
 *
 * A table:
 *
 *     { "format": 1, "table_bucket": "aws-s3", "namespace": "b_photos",
 *       "name": "journal",
 *       "table_id": "<uuid>",
 *       "arn": "arn:aws:s3tables:...:bucket/aws-s3/table/<uuid>",
 *       "warehouse_location": "s3://<state bucket>/icetap/warehouse/
 *                              aws-s3/<uuid>",         (one string)
 *       "metadata_location": "s3://.../metadata/00003-<uuid>.metadata.json",
 *       "version_token": "3",              changes with every swap
 *       "managed_by": "icetap journal",    absent: a customer's table
 *       "created_at_ms": ..., "updated_at_ms": ... }
 *
 * The table's data and metadata lie under warehouse_location, which is a
 * prefix of the state bucket.  A table entry is written only by
 * conditional PUT (If-None-Match: * when it is created, If-Match: <ETag
 * read> afterwards), so the catalog pointer below -- the swap of
 * metadata_location -- is the commit point of every table change: two
 * writers never both win.  Readers ignore members they do not know.
 *
 * Members the S3 Tables API adds, kept in the AWS JSON shapes:
 *
 *     table bucket and table: "maintenance": the "configuration" map of
 *         Get(TableBucket|Table)MaintenanceConfiguration, e.g.
 *         { "icebergCompaction": { "status": "enabled",
 *             "settings": { "icebergCompaction": {
 *                 "targetFileSizeMB": 512, "strategy": "auto" } } } };
 *         a type absent means its S3 Tables default
 *     "policy": the resource policy document, as a JSON string
 *     "encryption", "storage_class": the configuration objects
 *     "tags": { "key": "value", ... }
 *     "renamed_to": [namespace, name] while RenameTable moves the entry:
 *         a swap of such an entry fails with ICETAP_CONFLICT
 *
 * Maintenance job status of a table (written by the maintenance plugin,
 * served by GetTableMaintenanceJobStatus) lies apart, keyed by table id
 * so that a rename keeps it:
 *
 *     icetap/jobs/<table-id>.json   the "status" map of the response,
 *         { "icebergCompaction": { "status": "Successful",
 *             "lastRunTimestamp": "2026-11-22T07:00:00Z",
 *             "failureMessage": null }, ... }
 */

#ifndef ICETAP_CATALOG_H
#define ICETAP_CATALOG_H


#include <icetap/core.h>
#include <icetap/store.h>


#define ICETAP_CATALOG_FORMAT      1
#define ICETAP_CATALOG_PREFIX      "icetap/catalog/"
#define ICETAP_CATALOG_WAREHOUSE   "icetap/warehouse/"
#define ICETAP_CATALOG_JOBS        "icetap/jobs/"
#define ICETAP_CATALOG_NAME_LEN    256


typedef struct {
    char      *table_bucket;
    char      *namespace;
    char      *name;
    char      *table_id;
    char      *arn;
    char      *warehouse_location;      /* s3://bucket/prefix */
    char      *metadata_location;       /* NULL: being created */
    char      *version_token;
    char      *managed_by;              /* NULL: none */
    int64_t    created_at_ms;
    int64_t    updated_at_ms;
    void      *extra;                   /* json_t *: the other members
                                           ("policy", "tags", ...), kept
                                           as they are on every rewrite */
} icetap_catalog_table_t;


/* whether a name is a valid table bucket, namespace or table name */
int icetap_catalog_valid_bucket(const char *name);
int icetap_catalog_valid_name(const char *name);

/* the store key of a table entry; ICETAP_INVALID for a bad name */
icetap_rc icetap_catalog_table_key(const char *table_bucket,
    const char *ns, const char *name, char *key, size_t size);

/*
 * Creates the table bucket and namespace entries when missing (an
 * existing one is kept as it is).
 */
icetap_rc icetap_catalog_ensure_bucket(icetap_store_t *store,
    const char *table_bucket, const char *arn, const char *type,
    icetap_error_t *err);
icetap_rc icetap_catalog_ensure_namespace(icetap_store_t *store,
    const char *table_bucket, const char *ns, icetap_error_t *err);

/* ICETAP_NOTFOUND when absent; etag may be NULL */
icetap_rc icetap_catalog_table_load(icetap_store_t *store,
    const char *table_bucket, const char *ns, const char *name,
    icetap_catalog_table_t *t, char *etag, icetap_error_t *err);
icetap_rc icetap_catalog_table_from_json(const char *doc, size_t len,
    icetap_catalog_table_t *t, icetap_error_t *err);
icetap_rc icetap_catalog_table_to_json(const icetap_catalog_table_t *t,
    icetap_buf_t *out, icetap_error_t *err);
void icetap_catalog_table_free(icetap_catalog_table_t *t);

/*
 * A new table's entry, without a metadata location yet: id from the
 * ARN's last component (a new UUID when arn is NULL, with the ARN formed
 * from bucket_arn), warehouse location under the state bucket.
 */
icetap_rc icetap_catalog_table_init(icetap_catalog_table_t *t,
    const char *state_bucket, const char *table_bucket, const char *ns,
    const char *name, const char *arn, const char *bucket_arn,
    const char *managed_by, icetap_error_t *err);

/* the store key prefix of the table's location ("icetap/warehouse/...") */
const char *icetap_catalog_table_prefix(const icetap_catalog_table_t *t);


/*
 * The table pointer (icetap_table_pointer_t of table.h) over a table
 * entry.  entry holds the table's fixed members, used when swap()
 * creates the entry (expected NULL).  swap() reads the entry, checks
 * metadata_location is "expected" and writes it back If-Match with the
 * new location and a new version token.
 */

typedef struct {
    icetap_store_t            *store;
    icetap_catalog_table_t    *entry;
} icetap_catalog_pointer_t;

icetap_rc icetap_catalog_pointer_load(void *ctx, char **location,
    icetap_error_t *err);
icetap_rc icetap_catalog_pointer_swap(void *ctx, const char *expected,
    const char *location, icetap_error_t *err);


/* every table entry of the catalog (table_bucket NULL: of all buckets) */

typedef icetap_rc (*icetap_catalog_table_pt)(void *ctx,
    const icetap_catalog_table_t *t);

icetap_rc icetap_catalog_tables(icetap_store_t *store,
    const char *table_bucket, icetap_catalog_table_pt cb, void *ctx,
    icetap_error_t *err);


#endif /* ICETAP_CATALOG_H */
