/*
 * Copyright (C) icetap authors
 *
 * S3 Metadata configurations of general purpose buckets: the request
 * bodies of the configuration API, the durable document kept in the
 * store, the Get responses, and the operations (create, get, update,
 * delete) as conditional read-modify-writes of that document.
 *
 * The document: one JSON object per bucket at
 *
 *     icetap/config/buckets/<bucket>/metadata.json
 *
 * in the bucket named by "icetap_store":
 *
 *     {
 *       "format": 1,
 *       "bucket": "photos",
 *       "version": "V2",                      V1 or V2 API
 *       "created_at": "2026-11-22T10:00:00.123456Z",
 *       "updated_at": "2026-11-22T10:05:00.000001Z",
 *       "enabled_at_us": 1795255200123456,    journal WAL records with
 *                                             time_us >= this only
 *       "destination": {
 *         "table_bucket_type": "aws",         V1: "customer"
 *         "table_bucket_arn":
 *             "arn:aws:s3tables:us-east-1:111122223333:bucket/aws-s3",
 *         "namespace": "b_photos"             V1: "aws_s3_metadata"
 *       },
 *       "journal": {
 *         "table_name": "journal",
 *         "table_arn": "arn:aws:s3tables:...:bucket/aws-s3/table/<uuid>",
 *         "status": "CREATING",               CREATING, ACTIVE, FAILED
 *         "error": { "code": "...", "message": "..." },     optional
 *         "record_expiration": { "expiration": "ENABLED", "days": 30 },
 *         "encryption": { "sse_algorithm": "aws:kms",       optional
 *                         "kms_key_arn": "arn:aws:kms:..." }
 *       },
 *       "inventory": {                        optional (V2 only)
 *         "configuration_state": "ENABLED",   or DISABLED
 *         "enabled_at_us": 1795255200123456,  last DISABLED -> ENABLED
 *         "table_name": "inventory",          these three while ENABLED
 *         "table_arn": "arn:...:bucket/aws-s3/table/<uuid>",
 *         "status": "CREATING",               CREATING, BACKFILLING,
 *                                             ACTIVE, FAILED
 *         "error": { ... }, "encryption": { ... }            optional
 *       }
 *     }
 *
 * Writers change it only by conditional PUT: If-None-Match: * to create,
 * If-Match: <etag of what they read> to update (a helper moving a status
 * from CREATING to ACTIVE does the same), so concurrent writers never
 * lose each other's changes; the API deletes it.  Readers ignore members
 * they do not know.
 */

#ifndef ICETAP_MDCONF_H
#define ICETAP_MDCONF_H


#include <icetap/core.h>


/* include/icetap/store.h (not included: its icetap_kv_t is not wal.h's) */
typedef struct icetap_store_s  icetap_store_t;


#define ICETAP_MDCONF_FORMAT        1
#define ICETAP_MDCONF_MIN_DAYS      7
#define ICETAP_MDCONF_MAX_DAYS      2147483647LL
#define ICETAP_MDCONF_RETRIES       5

#define ICETAP_MDCONF_ARN_LEN       2048
#define ICETAP_MDCONF_NAME_LEN      256


typedef enum {
    ICETAP_MDCONF_CREATE = 0,           /* POST ?metadataConfiguration */
    ICETAP_MDCONF_GET,                  /* GET ?metadataConfiguration */
    ICETAP_MDCONF_DELETE,               /* DELETE ?metadataConfiguration */
    ICETAP_MDCONF_UPDATE_JOURNAL,       /* PUT ?metadataJournalTable */
    ICETAP_MDCONF_UPDATE_INVENTORY,     /* PUT ?metadataInventoryTable */
    ICETAP_MDCONF_V1_CREATE,            /* POST ?metadataTable */
    ICETAP_MDCONF_V1_GET,               /* GET ?metadataTable */
    ICETAP_MDCONF_V1_DELETE             /* DELETE ?metadataTable */
} icetap_mdconf_op_e;


typedef struct {
    char        sse_algorithm[16];      /* "" none, "AES256", "aws:kms" */
    char        kms_key_arn[ICETAP_MDCONF_ARN_LEN];
} icetap_mdconf_enc_t;


typedef struct {
    char                  name[ICETAP_MDCONF_NAME_LEN];
    char                  arn[ICETAP_MDCONF_ARN_LEN];
    char                  status[16];
    char                  error_code[64];
    char                  error_message[512];
    icetap_mdconf_enc_t   enc;
} icetap_mdconf_table_t;


/* the document */

typedef struct {
    int                    version;             /* 1 or 2 */
    char                   bucket[ICETAP_MDCONF_NAME_LEN];
    char                   table_bucket_type[16];
    char                   table_bucket_arn[ICETAP_MDCONF_ARN_LEN];
    char                   namespace[ICETAP_MDCONF_NAME_LEN];
    int64_t                created_at_us;
    int64_t                updated_at_us;
    int64_t                enabled_at_us;

    icetap_mdconf_table_t  journal;
    int64_t                expiration_days;     /* 0: DISABLED */

    icetap_mdconf_table_t  inventory;
    int64_t                inventory_enabled_at_us;
    unsigned               has_inventory:1;
    unsigned               inventory_enabled:1;
} icetap_mdconf_t;


/* a parsed request body */

typedef struct {
    int64_t                days;                /* 0: DISABLED */
    icetap_mdconf_enc_t    journal_enc;
    icetap_mdconf_enc_t    inventory_enc;
    char                   table_bucket_arn[ICETAP_MDCONF_ARN_LEN];
    char                   table_name[ICETAP_MDCONF_NAME_LEN];
    unsigned               has_inventory:1;
    unsigned               inventory_enabled:1;
} icetap_mdconf_input_t;


typedef struct {
    icetap_mdconf_op_e      op;
    const char             *bucket;
    const char             *region;
    const char             *account_id;
    int64_t                 now_us;
    icetap_mdconf_input_t   in;                 /* from icetap_mdconf_parse */
} icetap_mdconf_req_t;


/*
 * Errors of the API: functions return ICETAP_OK or an icetap_rc with
 * err->http_status and err->store_code set to the S3 answer (MalformedXML,
 * InvalidArgument, NoSuchBucket, MetadataConfigurationNotFound, ...) and
 * err->msg to its message.
 */

/* the request body of op (empty for Get and Delete) */
icetap_rc icetap_mdconf_parse(icetap_mdconf_op_e op, const char *body,
    size_t len, icetap_mdconf_input_t *in, icetap_error_t *err);

/*
 * Runs one API request against the store holding the documents.  bucket,
 * when not NULL, is a store handle on the general purpose bucket: a
 * bucket that does not exist there is NoSuchBucket.  A Get's response
 * XML is appended to out.
 */
icetap_rc icetap_mdconf_execute(icetap_store_t *catalog,
    icetap_store_t *bucket, const icetap_mdconf_req_t *req,
    icetap_buf_t *out, icetap_error_t *err);


/* the document, for the helpers that act on it */

/* "icetap/config/buckets/<bucket>/metadata.json" into key */
icetap_rc icetap_mdconf_key(const char *bucket, char *key, size_t size);

/*
 * ICETAP_NOTFOUND when the bucket has no configuration; etag, when not
 * NULL, receives the document's ETag (ICETAP_STORE_ETAG_LEN bytes).
 */
icetap_rc icetap_mdconf_load(icetap_store_t *catalog, const char *bucket,
    icetap_mdconf_t *conf, char *etag, icetap_error_t *err);

/*
 * Writes conf: created (If-None-Match) when if_match is NULL, else
 * replaced If-Match; ICETAP_CONFLICT when the condition fails.  new_etag
 * may be NULL.
 */
icetap_rc icetap_mdconf_save(icetap_store_t *catalog,
    const icetap_mdconf_t *conf, const char *if_match, char *new_etag,
    icetap_error_t *err);

icetap_rc icetap_mdconf_to_json(const icetap_mdconf_t *conf,
    icetap_buf_t *out, icetap_error_t *err);
icetap_rc icetap_mdconf_from_json(const char *doc, size_t len,
    icetap_mdconf_t *conf, icetap_error_t *err);

/* the XML of GetBucketMetadata[Table]Configuration */
icetap_rc icetap_mdconf_render(const icetap_mdconf_t *conf, int v1,
    icetap_buf_t *out, icetap_error_t *err);

/* "b_<bucket>" with dots as underscores */
icetap_rc icetap_mdconf_namespace(const char *bucket, char *ns,
    size_t size);


#endif /* ICETAP_MDCONF_H */
