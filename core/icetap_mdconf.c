/*
 * Copyright (C) icetap authors
 *
 * S3 Metadata configurations: request bodies, the document in the store
 * (its format is described in include/icetap/mdconf.h), Get responses and
 * the API operations.
 */


#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>

#include <jansson.h>

#include <icetap/mdconf.h>
#include <icetap/metadata.h>
#include <icetap/store.h>
#include <icetap/xml.h>


#define ICETAP_MDCONF_XMLNS  "http://s3.amazonaws.com/doc/2006-03-01/"


/* what a request body may contain, relative to its root */

enum {
    MD_JOURNAL = 0,
    MD_EXPIRATION,
    MD_EXPIRATION_STATE,
    MD_DAYS,
    MD_JOURNAL_ENC,
    MD_JOURNAL_SSE,
    MD_JOURNAL_KMS,
    MD_INVENTORY,
    MD_INVENTORY_STATE,
    MD_INVENTORY_ENC,
    MD_INVENTORY_SSE,
    MD_INVENTORY_KMS,
    MD_ANNOTATION,
    MD_DESTINATION,
    MD_TABLE_BUCKET_ARN,
    MD_TABLE_NAME,
    MD_NELEMS
};


typedef struct {
    const char  *path;
    int          elem;
    unsigned     ops;               /* bit per icetap_mdconf_op_e */
} icetap_mdconf_elem_t;


#define OP(o)  (1u << (o))
#define OPS_JOURNAL                                                          \
    (OP(ICETAP_MDCONF_CREATE) | OP(ICETAP_MDCONF_UPDATE_JOURNAL))


/*
 * Paths are written as in a create body; an update body's root is the
 * table configuration itself, so its paths lose the first component.
 */

static const icetap_mdconf_elem_t  icetap_mdconf_elems[] = {
    { "JournalTableConfiguration", MD_JOURNAL, OP(ICETAP_MDCONF_CREATE) },
    { "JournalTableConfiguration/RecordExpiration", MD_EXPIRATION,
      OPS_JOURNAL },
    { "JournalTableConfiguration/RecordExpiration/Expiration",
      MD_EXPIRATION_STATE, OPS_JOURNAL },
    { "JournalTableConfiguration/RecordExpiration/Days", MD_DAYS,
      OPS_JOURNAL },
    { "JournalTableConfiguration/EncryptionConfiguration", MD_JOURNAL_ENC,
      OP(ICETAP_MDCONF_CREATE) },
    { "JournalTableConfiguration/EncryptionConfiguration/SseAlgorithm",
      MD_JOURNAL_SSE, OP(ICETAP_MDCONF_CREATE) },
    { "JournalTableConfiguration/EncryptionConfiguration/KmsKeyArn",
      MD_JOURNAL_KMS, OP(ICETAP_MDCONF_CREATE) },
    { "InventoryTableConfiguration", MD_INVENTORY,
      OP(ICETAP_MDCONF_CREATE) },
    { "InventoryTableConfiguration/ConfigurationState", MD_INVENTORY_STATE,
      OP(ICETAP_MDCONF_CREATE) | OP(ICETAP_MDCONF_UPDATE_INVENTORY) },
    { "InventoryTableConfiguration/EncryptionConfiguration",
      MD_INVENTORY_ENC,
      OP(ICETAP_MDCONF_CREATE) | OP(ICETAP_MDCONF_UPDATE_INVENTORY) },
    { "InventoryTableConfiguration/EncryptionConfiguration/SseAlgorithm",
      MD_INVENTORY_SSE,
      OP(ICETAP_MDCONF_CREATE) | OP(ICETAP_MDCONF_UPDATE_INVENTORY) },
    { "InventoryTableConfiguration/EncryptionConfiguration/KmsKeyArn",
      MD_INVENTORY_KMS,
      OP(ICETAP_MDCONF_CREATE) | OP(ICETAP_MDCONF_UPDATE_INVENTORY) },
    { "AnnotationTableConfiguration", MD_ANNOTATION,
      OP(ICETAP_MDCONF_CREATE) },
    { "S3TablesDestination", MD_DESTINATION, OP(ICETAP_MDCONF_V1_CREATE) },
    { "S3TablesDestination/TableBucketArn", MD_TABLE_BUCKET_ARN,
      OP(ICETAP_MDCONF_V1_CREATE) },
    { "S3TablesDestination/TableName", MD_TABLE_NAME,
      OP(ICETAP_MDCONF_V1_CREATE) },
    { NULL, 0, 0 }
};


typedef struct {
    icetap_mdconf_op_e   op;
    const char          *root;
    const char          *prefix;            /* prepended to update paths */
    int                  seen[MD_NELEMS];
    char                 text[MD_NELEMS][ICETAP_MDCONF_ARN_LEN];
    const char          *bad;               /* why the body was refused */
    char                 bad_name[64];
    int                  annotation;
} icetap_mdconf_parse_t;


static icetap_rc icetap_mdconf_fail(icetap_error_t *err, icetap_rc rc,
    int status, const char *code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;


static icetap_rc
icetap_mdconf_fail(icetap_error_t *err, icetap_rc rc, int status,
    const char *code, const char *fmt, ...)
{
    va_list  ap;

    if (err == NULL) {
        return rc;
    }

    memset(err, 0, sizeof(icetap_error_t));

    err->code = rc;
    err->http_status = status;
    snprintf(err->store_code, sizeof(err->store_code), "%s", code);

    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);

    return rc;
}


/* a store failure as the client sees it; the message keeps the details */

static icetap_rc
icetap_mdconf_store_fail(icetap_error_t *err, icetap_rc rc, const char *what)
{
    char  msg[ICETAP_ERR_MSG_LEN];

    snprintf(msg, sizeof(msg), "%s", err ? err->msg : "");

    if (rc == ICETAP_AGAIN || rc == ICETAP_IO) {
        return icetap_mdconf_fail(err, rc, 503, "ServiceUnavailable",
                                  "icetap could not %s in its store, "
                                  "retry later: %s", what, msg);
    }

    return icetap_mdconf_fail(err, rc, 500, "InternalError",
                              "icetap could not %s in its store: %s",
                              what, msg);
}


static int
icetap_mdconf_xml(void *data, icetap_xml_event_e ev, const char **path,
    int depth, const char *text, size_t len)
{
    icetap_mdconf_parse_t  *p = data;

    int                          i, n;
    char                         full[512];
    size_t                       off;
    const icetap_mdconf_elem_t  *e;

    if (depth == 1) {
        if (ev == ICETAP_XML_START && strcmp(path[0], p->root) != 0) {
            p->bad = "the root element must be";
            return 1;
        }

        return 0;
    }

    /* the path below the root, with the update prefix */

    off = 0;
    full[0] = '\0';

    if (p->prefix) {
        off = snprintf(full, sizeof(full), "%s", p->prefix);
    }

    for (i = 1; i < depth && off < sizeof(full); i++) {
        n = snprintf(full + off, sizeof(full) - off, "%s%s",
                     off ? "/" : "", path[i]);
        off += n;
    }

    if (off >= sizeof(full)) {
        p->bad = "unexpected element";
        return 1;
    }

    for (e = icetap_mdconf_elems; e->path; e++) {
        if (strcmp(e->path, full) == 0 && (e->ops & OP(p->op))) {
            break;
        }
    }

    if (e->path == NULL) {
        if (p->annotation) {
            return 0;
        }

        p->bad = "unexpected element";
        snprintf(p->bad_name, sizeof(p->bad_name), "%s", path[depth - 1]);
        return 1;
    }

    if (e->elem == MD_ANNOTATION) {
        /* its contents are not ours to check: the whole is refused */
        p->annotation = (ev == ICETAP_XML_START);
        p->seen[MD_ANNOTATION] = 1;
        return 0;
    }

    if (ev == ICETAP_XML_START) {
        if (p->seen[e->elem]) {
            p->bad = "duplicate element";
            snprintf(p->bad_name, sizeof(p->bad_name), "%s",
                     path[depth - 1]);
            return 1;
        }

        p->seen[e->elem] = 1;
        return 0;
    }

    /* leaf text, without surrounding white space */

    while (len && isspace((unsigned char) text[0])) {
        text++;
        len--;
    }

    while (len && isspace((unsigned char) text[len - 1])) {
        len--;
    }

    if (len >= sizeof(p->text[0])) {
        p->bad = "value too long in element";
        snprintf(p->bad_name, sizeof(p->bad_name), "%s", path[depth - 1]);
        return 1;
    }

    memcpy(p->text[e->elem], text, len);
    p->text[e->elem][len] = '\0';

    return 0;
}


static icetap_rc
icetap_mdconf_parse_enc(icetap_mdconf_parse_t *p, int enc, int sse, int kms,
    icetap_mdconf_enc_t *out, icetap_error_t *err)
{
    if (!p->seen[enc]) {
        return ICETAP_OK;
    }

    if (!p->seen[sse]) {
        return icetap_mdconf_fail(err, ICETAP_INVALID, 400, "MalformedXML",
                                  "EncryptionConfiguration needs "
                                  "SseAlgorithm");
    }

    if (strcmp(p->text[sse], "AES256") != 0
        && strcmp(p->text[sse], "aws:kms") != 0)
    {
        return icetap_mdconf_fail(err, ICETAP_INVALID, 400, "InvalidArgument",
                                  "SseAlgorithm must be AES256 or aws:kms, "
                                  "not \"%.64s\"", p->text[sse]);
    }

    if (p->text[sse][0] == 'a') {
        if (!p->seen[kms] || p->text[kms][0] == '\0') {
            return icetap_mdconf_fail(err, ICETAP_INVALID, 400,
                                      "InvalidArgument", "KmsKeyArn is "
                                      "required with SseAlgorithm aws:kms");
        }

        if (strncmp(p->text[kms], "arn:", 4) != 0) {
            return icetap_mdconf_fail(err, ICETAP_INVALID, 400,
                                      "InvalidArgument", "KmsKeyArn "
                                      "\"%.128s\" is not an ARN",
                                      p->text[kms]);
        }

    } else if (p->seen[kms]) {
        return icetap_mdconf_fail(err, ICETAP_INVALID, 400, "InvalidArgument",
                                  "KmsKeyArn is only allowed with "
                                  "SseAlgorithm aws:kms");
    }

    /* one of the two names checked above */
    memcpy(out->sse_algorithm, p->text[sse], strlen(p->text[sse]) + 1);
    snprintf(out->kms_key_arn, sizeof(out->kms_key_arn), "%s",
             p->text[kms]);

    return ICETAP_OK;
}


static icetap_rc
icetap_mdconf_parse_expiration(icetap_mdconf_parse_t *p,
    icetap_mdconf_input_t *in, icetap_error_t *err)
{
    char       *end;
    const char *s;
    long long   days;

    if (!p->seen[MD_EXPIRATION] || !p->seen[MD_EXPIRATION_STATE]) {
        return icetap_mdconf_fail(err, ICETAP_INVALID, 400, "MalformedXML",
                                  "RecordExpiration with Expiration is "
                                  "required");
    }

    s = p->text[MD_EXPIRATION_STATE];

    if (strcmp(s, "DISABLED") == 0) {
        if (p->seen[MD_DAYS]) {
            return icetap_mdconf_fail(err, ICETAP_INVALID, 400,
                                      "InvalidArgument", "Days is not "
                                      "allowed when Expiration is DISABLED");
        }

        in->days = 0;
        return ICETAP_OK;
    }

    if (strcmp(s, "ENABLED") != 0) {
        return icetap_mdconf_fail(err, ICETAP_INVALID, 400, "InvalidArgument",
                                  "Expiration must be ENABLED or DISABLED, "
                                  "not \"%.64s\"", s);
    }

    if (!p->seen[MD_DAYS]) {
        return icetap_mdconf_fail(err, ICETAP_INVALID, 400, "InvalidArgument",
                                  "Days is required when Expiration is "
                                  "ENABLED");
    }

    s = p->text[MD_DAYS];
    errno = 0;
    days = strtoll(s, &end, 10);

    if (s[0] == '\0' || *end != '\0' || errno == ERANGE
        || !(isdigit((unsigned char) s[0]) || s[0] == '-'))
    {
        return icetap_mdconf_fail(err, ICETAP_INVALID, 400, "MalformedXML",
                                  "Days \"%.64s\" is not an integer", s);
    }

    if (days < ICETAP_MDCONF_MIN_DAYS || days > ICETAP_MDCONF_MAX_DAYS) {
        return icetap_mdconf_fail(err, ICETAP_INVALID, 400, "InvalidArgument",
                                  "Days must be between %d and %lld, "
                                  "not %lld", ICETAP_MDCONF_MIN_DAYS,
                                  ICETAP_MDCONF_MAX_DAYS, days);
    }

    in->days = days;

    return ICETAP_OK;
}


static icetap_rc
icetap_mdconf_parse_inventory(icetap_mdconf_parse_t *p,
    icetap_mdconf_input_t *in, icetap_error_t *err)
{
    const char  *s;

    if (!p->seen[MD_INVENTORY_STATE]) {
        return icetap_mdconf_fail(err, ICETAP_INVALID, 400, "MalformedXML",
                                  "InventoryTableConfiguration needs "
                                  "ConfigurationState");
    }

    s = p->text[MD_INVENTORY_STATE];

    if (strcmp(s, "ENABLED") == 0) {
        in->inventory_enabled = 1;

    } else if (strcmp(s, "DISABLED") != 0) {
        return icetap_mdconf_fail(err, ICETAP_INVALID, 400, "InvalidArgument",
                                  "ConfigurationState must be ENABLED or "
                                  "DISABLED, not \"%.64s\"", s);
    }

    in->has_inventory = 1;

    return icetap_mdconf_parse_enc(p, MD_INVENTORY_ENC, MD_INVENTORY_SSE,
                                   MD_INVENTORY_KMS, &in->inventory_enc, err);
}


/* S3 Tables names: 1-255 of [a-z0-9_], starting with a letter or digit */

static int
icetap_mdconf_table_name_ok(const char *s)
{
    size_t  i, len;

    len = strlen(s);

    if (len == 0 || len > 255 || s[0] == '_') {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (!(islower((unsigned char) s[i]) || isdigit((unsigned char) s[i])
              || s[i] == '_'))
        {
            return 0;
        }
    }

    return 1;
}


/* arn:aws:s3tables:<region>:<account>:bucket/<name> */

static int
icetap_mdconf_bucket_arn_ok(const char *s)
{
    int          i;
    const char  *p, *name;

    if (strncmp(s, "arn:aws:s3tables:", 17) != 0) {
        return 0;
    }

    p = s + 17;

    for (i = 0; i < 2; i++) {
        p = strchr(p, ':');
        if (p == NULL) {
            return 0;
        }

        p++;
    }

    if (strncmp(p, "bucket/", 7) != 0) {
        return 0;
    }

    name = p + 7;

    if (name[0] == '\0' || strlen(name) > 63 || strchr(name, '/') != NULL) {
        return 0;
    }

    for (p = name; *p; p++) {
        if (!(islower((unsigned char) *p) || isdigit((unsigned char) *p)
              || *p == '-'))
        {
            return 0;
        }
    }

    return 1;
}


icetap_rc
icetap_mdconf_parse(icetap_mdconf_op_e op, const char *body, size_t len,
    icetap_mdconf_input_t *in, icetap_error_t *err)
{
    icetap_rc               rc;
    icetap_error_t          xerr;
    icetap_mdconf_parse_t  *p;

    memset(in, 0, sizeof(icetap_mdconf_input_t));

    switch (op) {

    case ICETAP_MDCONF_GET:
    case ICETAP_MDCONF_DELETE:
    case ICETAP_MDCONF_V1_GET:
    case ICETAP_MDCONF_V1_DELETE:
        return ICETAP_OK;

    default:
        break;
    }

    if (len == 0) {
        return icetap_mdconf_fail(err, ICETAP_INVALID, 400,
                                  "MissingRequestBodyError",
                                  "Request Body is empty");
    }

    p = icetap_calloc(1, sizeof(icetap_mdconf_parse_t));
    if (p == NULL) {
        return icetap_mdconf_fail(err, ICETAP_NOMEM, 500, "InternalError",
                                  "out of memory");
    }

    p->op = op;

    switch (op) {

    case ICETAP_MDCONF_CREATE:
        p->root = "MetadataConfiguration";
        break;

    case ICETAP_MDCONF_UPDATE_JOURNAL:
        p->root = "JournalTableConfiguration";
        p->prefix = p->root;
        break;

    case ICETAP_MDCONF_UPDATE_INVENTORY:
        p->root = "InventoryTableConfiguration";
        p->prefix = p->root;
        break;

    default: /* ICETAP_MDCONF_V1_CREATE */
        p->root = "MetadataTableConfiguration";
        break;
    }

    rc = icetap_xml_walk(body, len, icetap_mdconf_xml, p, &xerr);

    if (rc != ICETAP_OK) {
        if (rc == ICETAP_NOMEM) {
            rc = icetap_mdconf_fail(err, rc, 500, "InternalError",
                                    "out of memory");

        } else if (p->bad) {
            rc = icetap_mdconf_fail(err, ICETAP_INVALID, 400, "MalformedXML",
                                    "The XML you provided was not "
                                    "well-formed or did not validate "
                                    "against our published schema: %s %s",
                                    p->bad, p->bad_name[0] ? p->bad_name
                                                           : p->root);
        } else {
            rc = icetap_mdconf_fail(err, ICETAP_INVALID, 400, "MalformedXML",
                                    "The XML you provided was not "
                                    "well-formed or did not validate "
                                    "against our published schema: %s",
                                    xerr.msg);
        }

        goto done;
    }

    if (p->seen[MD_ANNOTATION]) {
        rc = icetap_mdconf_fail(err, ICETAP_UNSUPPORTED, 501,
                                "NotImplemented", "annotation tables are not "
                                "supported by icetap");
        goto done;
    }

    switch (op) {

    case ICETAP_MDCONF_CREATE:
        if (!p->seen[MD_JOURNAL]) {
            rc = icetap_mdconf_fail(err, ICETAP_INVALID, 400, "MalformedXML",
                                    "JournalTableConfiguration is required");
            goto done;
        }

        rc = icetap_mdconf_parse_expiration(p, in, err);
        if (rc != ICETAP_OK) {
            goto done;
        }

        rc = icetap_mdconf_parse_enc(p, MD_JOURNAL_ENC, MD_JOURNAL_SSE,
                                     MD_JOURNAL_KMS, &in->journal_enc, err);
        if (rc != ICETAP_OK || !p->seen[MD_INVENTORY]) {
            goto done;
        }

        rc = icetap_mdconf_parse_inventory(p, in, err);
        break;

    case ICETAP_MDCONF_UPDATE_JOURNAL:
        rc = icetap_mdconf_parse_expiration(p, in, err);
        break;

    case ICETAP_MDCONF_UPDATE_INVENTORY:
        rc = icetap_mdconf_parse_inventory(p, in, err);
        break;

    default: /* ICETAP_MDCONF_V1_CREATE */
        if (!p->seen[MD_TABLE_BUCKET_ARN] || !p->seen[MD_TABLE_NAME]) {
            rc = icetap_mdconf_fail(err, ICETAP_INVALID, 400, "MalformedXML",
                                    "S3TablesDestination needs "
                                    "TableBucketArn and TableName");
            goto done;
        }

        if (!icetap_mdconf_bucket_arn_ok(p->text[MD_TABLE_BUCKET_ARN])) {
            rc = icetap_mdconf_fail(err, ICETAP_INVALID, 400,
                                    "InvalidArgument", "TableBucketArn "
                                    "\"%.256s\" is not a table bucket ARN",
                                    p->text[MD_TABLE_BUCKET_ARN]);
            goto done;
        }

        if (!icetap_mdconf_table_name_ok(p->text[MD_TABLE_NAME])) {
            rc = icetap_mdconf_fail(err, ICETAP_INVALID, 400,
                                    "InvalidArgument", "TableName "
                                    "\"%.256s\" is not a valid table name",
                                    p->text[MD_TABLE_NAME]);
            goto done;
        }

        snprintf(in->table_bucket_arn, sizeof(in->table_bucket_arn), "%s",
                 p->text[MD_TABLE_BUCKET_ARN]);
        /* a valid name is at most 255 bytes */
        memcpy(in->table_name, p->text[MD_TABLE_NAME],
               strlen(p->text[MD_TABLE_NAME]) + 1);
        rc = ICETAP_OK;
    }

done:

    icetap_free(p);

    return rc;
}


/* the document */


icetap_rc
icetap_mdconf_key(const char *bucket, char *key, size_t size)
{
    int  n;

    n = snprintf(key, size, "icetap/config/buckets/%s/metadata.json",
                 bucket);

    return (n < 0 || (size_t) n >= size) ? ICETAP_INVALID : ICETAP_OK;
}


icetap_rc
icetap_mdconf_namespace(const char *bucket, char *ns, size_t size)
{
    size_t  i, len;

    len = strlen(bucket);

    if (len + 3 > size) {
        return ICETAP_INVALID;
    }

    ns[0] = 'b';
    ns[1] = '_';

    for (i = 0; i < len; i++) {
        ns[i + 2] = (bucket[i] == '.') ? '_' : tolower((unsigned char)
                                                       bucket[i]);
    }

    ns[len + 2] = '\0';

    return ICETAP_OK;
}


static void
icetap_mdconf_time(int64_t us, char *out, size_t size)
{
    time_t     t;
    struct tm  tm;

    t = (time_t) (us / 1000000);
    gmtime_r(&t, &tm);

    snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec, (int) (us % 1000000));
}


static int64_t
icetap_mdconf_parse_time(const char *s)
{
    int        n, usec;
    time_t     t;
    struct tm  tm;

    memset(&tm, 0, sizeof(tm));
    usec = 0;

    n = sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%6dZ", &tm.tm_year, &tm.tm_mon,
               &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &usec);
    if (n < 6) {
        return -1;
    }

    tm.tm_year -= 1900;
    tm.tm_mon -= 1;

    t = timegm(&tm);

    return (int64_t) t * 1000000 + usec;
}


static int
icetap_mdconf_json_table(json_t *o, const icetap_mdconf_table_t *t)
{
    json_t  *e;

    if (json_object_set_new(o, "table_name", json_string(t->name))
        || json_object_set_new(o, "table_arn", json_string(t->arn))
        || json_object_set_new(o, "status", json_string(t->status)))
    {
        return -1;
    }

    if (t->error_code[0]) {
        e = json_pack("{s:s, s:s}", "code", t->error_code, "message",
                      t->error_message);
        if (e == NULL || json_object_set_new(o, "error", e)) {
            return -1;
        }
    }

    if (t->enc.sse_algorithm[0]) {
        e = json_pack("{s:s}", "sse_algorithm", t->enc.sse_algorithm);
        if (e == NULL) {
            return -1;
        }

        if ((t->enc.kms_key_arn[0]
             && json_object_set_new(e, "kms_key_arn",
                                    json_string(t->enc.kms_key_arn)))
            || json_object_set_new(o, "encryption", e))
        {
            return -1;
        }
    }

    return 0;
}


icetap_rc
icetap_mdconf_to_json(const icetap_mdconf_t *conf, icetap_buf_t *out,
    icetap_error_t *err)
{
    char       created[64], updated[64], *s;
    json_t    *root, *journal, *exp, *inv;
    icetap_rc  rc;

    icetap_mdconf_time(conf->created_at_us, created, sizeof(created));
    icetap_mdconf_time(conf->updated_at_us, updated, sizeof(updated));

    /* json_object_set_new() takes the value, also when it fails */

    root = json_pack("{s:i, s:s, s:s, s:s, s:s, s:I}",
                     "format", ICETAP_MDCONF_FORMAT,
                     "bucket", conf->bucket,
                     "version", conf->version == 1 ? "V1" : "V2",
                     "created_at", created,
                     "updated_at", updated,
                     "enabled_at_us", (json_int_t) conf->enabled_at_us);
    if (root == NULL) {
        goto nomem;
    }

    if (json_object_set_new(root, "destination",
                            json_pack("{s:s, s:s, s:s}",
                                      "table_bucket_type",
                                      conf->table_bucket_type,
                                      "table_bucket_arn",
                                      conf->table_bucket_arn,
                                      "namespace", conf->namespace)))
    {
        goto nomem;
    }

    if (conf->expiration_days) {
        exp = json_pack("{s:s, s:I}", "expiration", "ENABLED", "days",
                        (json_int_t) conf->expiration_days);

    } else {
        exp = json_pack("{s:s}", "expiration", "DISABLED");
    }

    journal = json_object();

    if (journal == NULL) {
        json_decref(exp);
        goto nomem;
    }

    if (json_object_set_new(root, "journal", journal)
        || icetap_mdconf_json_table(journal, &conf->journal))
    {
        json_decref(exp);
        goto nomem;
    }

    if (json_object_set_new(journal, "record_expiration", exp)) {
        goto nomem;
    }

    if (conf->has_inventory) {
        inv = json_pack("{s:s, s:I}", "configuration_state",
                        conf->inventory_enabled ? "ENABLED" : "DISABLED",
                        "enabled_at_us",
                        (json_int_t) conf->inventory_enabled_at_us);

        if (json_object_set_new(root, "inventory", inv)
            || (conf->inventory_enabled
                && icetap_mdconf_json_table(inv, &conf->inventory)))
        {
            goto nomem;
        }
    }

    s = json_dumps(root, JSON_INDENT(2));
    json_decref(root);

    if (s == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    out->len = 0;
    rc = icetap_buf_append(out, s, strlen(s));
    free(s);

    if (rc == ICETAP_OK) {
        rc = icetap_buf_putc(out, '\n');
    }

    return rc == ICETAP_OK ? ICETAP_OK
                           : icetap_error_set(err, rc, "out of memory");

nomem:

    json_decref(root);

    return icetap_error_set(err, ICETAP_NOMEM, "out of memory building "
                            "the configuration of \"%s\"", conf->bucket);
}


static int
icetap_mdconf_json_str(json_t *o, const char *name, char *out, size_t size,
    int required)
{
    json_t      *v;
    const char  *s;

    v = json_object_get(o, name);

    if (v == NULL || json_is_null(v)) {
        out[0] = '\0';
        return required ? -1 : 0;
    }

    s = json_string_value(v);

    if (s == NULL || strlen(s) >= size) {
        return -1;
    }

    memcpy(out, s, strlen(s) + 1);

    return 0;
}


static int
icetap_mdconf_json_int(json_t *o, const char *name, int64_t *out)
{
    json_t  *v;

    v = json_object_get(o, name);

    if (v == NULL) {
        *out = 0;
        return 0;
    }

    if (!json_is_integer(v)) {
        return -1;
    }

    *out = (int64_t) json_integer_value(v);

    return 0;
}


static int
icetap_mdconf_json_read_table(json_t *o, icetap_mdconf_table_t *t)
{
    json_t  *e;

    if (icetap_mdconf_json_str(o, "table_name", t->name, sizeof(t->name), 1)
        || icetap_mdconf_json_str(o, "table_arn", t->arn, sizeof(t->arn), 1)
        || icetap_mdconf_json_str(o, "status", t->status, sizeof(t->status),
                                  1))
    {
        return -1;
    }

    e = json_object_get(o, "error");

    if (e != NULL
        && (!json_is_object(e)
            || icetap_mdconf_json_str(e, "code", t->error_code,
                                      sizeof(t->error_code), 1)
            || icetap_mdconf_json_str(e, "message", t->error_message,
                                      sizeof(t->error_message), 0)))
    {
        return -1;
    }

    e = json_object_get(o, "encryption");

    if (e != NULL
        && (!json_is_object(e)
            || icetap_mdconf_json_str(e, "sse_algorithm",
                                      t->enc.sse_algorithm,
                                      sizeof(t->enc.sse_algorithm), 1)
            || icetap_mdconf_json_str(e, "kms_key_arn", t->enc.kms_key_arn,
                                      sizeof(t->enc.kms_key_arn), 0)))
    {
        return -1;
    }

    return 0;
}


icetap_rc
icetap_mdconf_from_json(const char *doc, size_t len, icetap_mdconf_t *conf,
    icetap_error_t *err)
{
    char          version[8], tbuf[64], state[16];
    json_t       *root, *o, *exp;
    const char   *why;
    json_error_t  jerr;

    memset(conf, 0, sizeof(icetap_mdconf_t));

    root = json_loadb(doc, len, 0, &jerr);
    if (root == NULL) {
        return icetap_error_set(err, ICETAP_INVALID, "metadata configuration "
                                "is not JSON: %s at line %d", jerr.text,
                                jerr.line);
    }

    why = "a member is missing or has the wrong type";

    if (!json_is_object(root)
        || icetap_mdconf_json_str(root, "version", version, sizeof(version),
                                  1)
        || icetap_mdconf_json_str(root, "bucket", conf->bucket,
                                  sizeof(conf->bucket), 1)
        || icetap_mdconf_json_int(root, "enabled_at_us",
                                  &conf->enabled_at_us))
    {
        goto invalid;
    }

    if (strcmp(version, "V1") == 0) {
        conf->version = 1;

    } else if (strcmp(version, "V2") == 0) {
        conf->version = 2;

    } else {
        why = "unknown version";
        goto invalid;
    }

    if (icetap_mdconf_json_str(root, "created_at", tbuf, sizeof(tbuf), 0)) {
        goto invalid;
    }

    conf->created_at_us = tbuf[0] ? icetap_mdconf_parse_time(tbuf) : 0;

    if (icetap_mdconf_json_str(root, "updated_at", tbuf, sizeof(tbuf), 0)) {
        goto invalid;
    }

    conf->updated_at_us = tbuf[0] ? icetap_mdconf_parse_time(tbuf) : 0;

    o = json_object_get(root, "destination");

    if (!json_is_object(o)
        || icetap_mdconf_json_str(o, "table_bucket_type",
                                  conf->table_bucket_type,
                                  sizeof(conf->table_bucket_type), 1)
        || icetap_mdconf_json_str(o, "table_bucket_arn",
                                  conf->table_bucket_arn,
                                  sizeof(conf->table_bucket_arn), 1)
        || icetap_mdconf_json_str(o, "namespace", conf->namespace,
                                  sizeof(conf->namespace), 1))
    {
        goto invalid;
    }

    o = json_object_get(root, "journal");

    if (!json_is_object(o)
        || icetap_mdconf_json_read_table(o, &conf->journal))
    {
        goto invalid;
    }

    exp = json_object_get(o, "record_expiration");

    if (!json_is_object(exp)
        || icetap_mdconf_json_str(exp, "expiration", state, sizeof(state), 1)
        || icetap_mdconf_json_int(exp, "days", &conf->expiration_days))
    {
        goto invalid;
    }

    if (strcmp(state, "DISABLED") == 0) {
        conf->expiration_days = 0;

    } else if (strcmp(state, "ENABLED") != 0
               || conf->expiration_days < ICETAP_MDCONF_MIN_DAYS)
    {
        why = "bad record expiration";
        goto invalid;
    }

    o = json_object_get(root, "inventory");

    if (o != NULL) {
        if (!json_is_object(o)
            || icetap_mdconf_json_str(o, "configuration_state", state,
                                      sizeof(state), 1)
            || icetap_mdconf_json_int(o, "enabled_at_us",
                                      &conf->inventory_enabled_at_us))
        {
            goto invalid;
        }

        conf->has_inventory = 1;
        conf->inventory_enabled = (strcmp(state, "ENABLED") == 0);

        if (conf->inventory_enabled
            && icetap_mdconf_json_read_table(o, &conf->inventory))
        {
            goto invalid;
        }
    }

    json_decref(root);

    return ICETAP_OK;

invalid:

    json_decref(root);

    return icetap_error_set(err, ICETAP_INVALID, "metadata configuration "
                            "document is invalid: %s", why);
}


/* Get responses */


static icetap_rc
icetap_mdconf_put(icetap_buf_t *b, const char *s)
{
    return icetap_buf_append(b, s, strlen(s));
}


static icetap_rc
icetap_mdconf_elem(icetap_buf_t *b, const char *name, const char *value)
{
    if (icetap_buf_putc(b, '<') != ICETAP_OK
        || icetap_mdconf_put(b, name) != ICETAP_OK
        || icetap_buf_putc(b, '>') != ICETAP_OK
        || icetap_xml_escape(b, value, strlen(value)) != ICETAP_OK
        || icetap_mdconf_put(b, "</") != ICETAP_OK
        || icetap_mdconf_put(b, name) != ICETAP_OK
        || icetap_buf_putc(b, '>') != ICETAP_OK)
    {
        return ICETAP_NOMEM;
    }

    return ICETAP_OK;
}


static icetap_rc
icetap_mdconf_render_error(icetap_buf_t *b, const icetap_mdconf_table_t *t)
{
    if (t->error_code[0] == '\0') {
        return ICETAP_OK;
    }

    if (icetap_mdconf_put(b, "<Error>") != ICETAP_OK
        || icetap_mdconf_elem(b, "ErrorCode", t->error_code) != ICETAP_OK
        || icetap_mdconf_elem(b, "ErrorMessage", t->error_message)
           != ICETAP_OK
        || icetap_mdconf_put(b, "</Error>") != ICETAP_OK)
    {
        return ICETAP_NOMEM;
    }

    return ICETAP_OK;
}


static icetap_rc
icetap_mdconf_render_v2(const icetap_mdconf_t *conf, icetap_buf_t *b)
{
    char  days[24];

    if (icetap_mdconf_put(b, "<GetBucketMetadataConfigurationResult xmlns=\""
                          ICETAP_MDCONF_XMLNS "\"><MetadataConfiguration"
                          "Result><DestinationResult>") != ICETAP_OK
        || icetap_mdconf_elem(b, "TableBucketType", conf->table_bucket_type)
        || icetap_mdconf_elem(b, "TableBucketArn", conf->table_bucket_arn)
        || icetap_mdconf_elem(b, "TableNamespace", conf->namespace)
        || icetap_mdconf_put(b, "</DestinationResult>"
                             "<JournalTableConfigurationResult>")
        || icetap_mdconf_elem(b, "TableStatus", conf->journal.status)
        || icetap_mdconf_render_error(b, &conf->journal)
        || icetap_mdconf_elem(b, "TableName", conf->journal.name)
        || icetap_mdconf_elem(b, "TableArn", conf->journal.arn)
        || icetap_mdconf_put(b, "<RecordExpiration>"))
    {
        return ICETAP_NOMEM;
    }

    if (conf->expiration_days) {
        snprintf(days, sizeof(days), "%lld",
                 (long long) conf->expiration_days);

        if (icetap_mdconf_elem(b, "Expiration", "ENABLED")
            || icetap_mdconf_elem(b, "Days", days))
        {
            return ICETAP_NOMEM;
        }

    } else if (icetap_mdconf_elem(b, "Expiration", "DISABLED")) {
        return ICETAP_NOMEM;
    }

    if (icetap_mdconf_put(b, "</RecordExpiration>"
                          "</JournalTableConfigurationResult>"))
    {
        return ICETAP_NOMEM;
    }

    if (conf->has_inventory) {
        if (icetap_mdconf_put(b, "<InventoryTableConfigurationResult>")
            || icetap_mdconf_elem(b, "ConfigurationState",
                                  conf->inventory_enabled ? "ENABLED"
                                                          : "DISABLED"))
        {
            return ICETAP_NOMEM;
        }

        if (conf->inventory_enabled
            && (icetap_mdconf_elem(b, "TableStatus", conf->inventory.status)
                || icetap_mdconf_render_error(b, &conf->inventory)
                || icetap_mdconf_elem(b, "TableName", conf->inventory.name)
                || icetap_mdconf_elem(b, "TableArn", conf->inventory.arn)))
        {
            return ICETAP_NOMEM;
        }

        if (icetap_mdconf_put(b, "</InventoryTableConfigurationResult>")) {
            return ICETAP_NOMEM;
        }
    }

    return icetap_mdconf_put(b, "</MetadataConfigurationResult>"
                             "</GetBucketMetadataConfigurationResult>");
}


static icetap_rc
icetap_mdconf_render_v1(const icetap_mdconf_t *conf, icetap_buf_t *b)
{
    if (icetap_mdconf_put(b, "<GetBucketMetadataTableConfigurationResult "
                          "xmlns=\"" ICETAP_MDCONF_XMLNS "\">"
                          "<MetadataTableConfigurationResult>"
                          "<S3TablesDestinationResult>")
        || icetap_mdconf_elem(b, "TableBucketArn", conf->table_bucket_arn)
        || icetap_mdconf_elem(b, "TableName", conf->journal.name)
        || icetap_mdconf_elem(b, "TableArn", conf->journal.arn)
        || icetap_mdconf_elem(b, "TableNamespace", conf->namespace)
        || icetap_mdconf_put(b, "</S3TablesDestinationResult>"
                             "</MetadataTableConfigurationResult>")
        || icetap_mdconf_elem(b, "Status", conf->journal.status)
        || icetap_mdconf_render_error(b, &conf->journal)
        || icetap_mdconf_put(b, "</GetBucketMetadataTableConfiguration"
                             "Result>"))
    {
        return ICETAP_NOMEM;
    }

    return ICETAP_OK;
}


icetap_rc
icetap_mdconf_render(const icetap_mdconf_t *conf, int v1, icetap_buf_t *out,
    icetap_error_t *err)
{
    icetap_rc  rc;

    rc = icetap_mdconf_put(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                           "\n");

    if (rc == ICETAP_OK) {
        rc = v1 ? icetap_mdconf_render_v1(conf, out)
                : icetap_mdconf_render_v2(conf, out);
    }

    if (rc != ICETAP_OK) {
        return icetap_mdconf_fail(err, rc, 500, "InternalError",
                                  "out of memory");
    }

    return ICETAP_OK;
}


/* the document in the store */


static icetap_rc
icetap_mdconf_sink(void *ctx, const void *data, size_t len)
{
    icetap_buf_t  *b = ctx;

    if (b->len + len > 1024 * 1024) {
        return ICETAP_INVALID;
    }

    return icetap_buf_append(b, data, len);
}


icetap_rc
icetap_mdconf_load(icetap_store_t *catalog, const char *bucket,
    icetap_mdconf_t *conf, char *etag, icetap_error_t *err)
{
    char                key[ICETAP_MDCONF_NAME_LEN + 64];
    icetap_rc           rc;
    icetap_buf_t        b;
    icetap_store_obj_t  obj;

    if (icetap_mdconf_key(bucket, key, sizeof(key)) != ICETAP_OK) {
        return icetap_error_set(err, ICETAP_INVALID, "bucket name too long");
    }

    memset(&b, 0, sizeof(b));
    icetap_store_obj_init(&obj);

    rc = icetap_store_get(catalog, key, 0, -1, icetap_mdconf_sink, &b, &obj,
                          err);

    if (rc == ICETAP_OK) {
        if (etag) {
            snprintf(etag, ICETAP_STORE_ETAG_LEN, "%s", obj.etag);
        }

        rc = icetap_mdconf_from_json((char *) b.data, b.len, conf, err);
    }

    icetap_store_obj_free(&obj);
    icetap_buf_free(&b);

    return rc;
}


icetap_rc
icetap_mdconf_save(icetap_store_t *catalog, const icetap_mdconf_t *conf,
    const char *if_match, char *new_etag, icetap_error_t *err)
{
    char                     key[ICETAP_MDCONF_NAME_LEN + 64];
    icetap_rc                rc;
    icetap_buf_t             b;
    icetap_store_put_opts_t  opts;

    if (icetap_mdconf_key(conf->bucket, key, sizeof(key)) != ICETAP_OK) {
        return icetap_error_set(err, ICETAP_INVALID, "bucket name too long");
    }

    memset(&b, 0, sizeof(b));

    rc = icetap_mdconf_to_json(conf, &b, err);
    if (rc != ICETAP_OK) {
        icetap_buf_free(&b);
        return rc;
    }

    memset(&opts, 0, sizeof(opts));
    opts.content_type = "application/json";
    opts.if_match = if_match;
    opts.if_none_match = (if_match == NULL);

    rc = icetap_store_put_buf(catalog, key, b.data, b.len, &opts, new_etag,
                              err);

    /* the store's first use: its bucket may not exist yet */

    if (rc == ICETAP_NOTFOUND && err != NULL
        && strcmp(err->store_code, "NoSuchBucket") == 0
        && icetap_store_s3_create_bucket(catalog, err) == ICETAP_OK)
    {
        rc = icetap_store_put_buf(catalog, key, b.data, b.len, &opts,
                                  new_etag, err);
    }

    icetap_buf_free(&b);

    return rc;
}


/* the API */


static icetap_rc
icetap_mdconf_page(void *ctx, const icetap_store_page_t *page)
{
    return ICETAP_EOF;
}


static icetap_rc
icetap_mdconf_table_arn(const char *table_bucket_arn, char *arn,
    size_t size, icetap_error_t *err)
{
    char       uuid[37];
    icetap_rc  rc;

    rc = icetap_uuid4(uuid, err);
    if (rc != ICETAP_OK) {
        return icetap_mdconf_fail(err, rc, 500, "InternalError",
                                  "no random bytes for a table id");
    }

    if ((size_t) snprintf(arn, size, "%s/table/%s", table_bucket_arn, uuid)
        >= size)
    {
        return icetap_mdconf_fail(err, ICETAP_INVALID, 400, "InvalidArgument",
                                  "table bucket ARN too long");
    }

    return ICETAP_OK;
}


static void
icetap_mdconf_new_table(icetap_mdconf_table_t *t, const char *name)
{
    memset(t, 0, sizeof(icetap_mdconf_table_t));
    snprintf(t->name, sizeof(t->name), "%s", name);
    snprintf(t->status, sizeof(t->status), "CREATING");
}


static icetap_rc
icetap_mdconf_create(icetap_store_t *catalog, const icetap_mdconf_req_t *req,
    icetap_error_t *err)
{
    char               prefix[256];
    icetap_rc          rc;
    icetap_mdconf_t   *conf;

    conf = icetap_calloc(1, sizeof(icetap_mdconf_t));
    if (conf == NULL) {
        return icetap_mdconf_fail(err, ICETAP_NOMEM, 500, "InternalError",
                                  "out of memory");
    }

    snprintf(conf->bucket, sizeof(conf->bucket), "%s", req->bucket);
    conf->created_at_us = req->now_us;
    conf->updated_at_us = req->now_us;
    conf->enabled_at_us = req->now_us;

    icetap_mdconf_new_table(&conf->journal, "journal");

    if (req->op == ICETAP_MDCONF_V1_CREATE) {
        /* the table bucket must be the gateway's region and account */

        snprintf(prefix, sizeof(prefix), "arn:aws:s3tables:%s:%s:bucket/",
                 req->region, req->account_id);

        if (strncmp(req->in.table_bucket_arn, prefix, strlen(prefix)) != 0) {
            icetap_free(conf);
            return icetap_mdconf_fail(err, ICETAP_INVALID, 400,
                                      "InvalidArgument", "the table bucket "
                                      "must be in region %s of account %s",
                                      req->region, req->account_id);
        }

        conf->version = 1;
        snprintf(conf->table_bucket_type, sizeof(conf->table_bucket_type),
                 "customer");
        snprintf(conf->table_bucket_arn, sizeof(conf->table_bucket_arn),
                 "%s", req->in.table_bucket_arn);
        snprintf(conf->namespace, sizeof(conf->namespace),
                 "aws_s3_metadata");
        snprintf(conf->journal.name, sizeof(conf->journal.name), "%s",
                 req->in.table_name);

    } else {
        conf->version = 2;
        snprintf(conf->table_bucket_type, sizeof(conf->table_bucket_type),
                 "aws");
        snprintf(conf->table_bucket_arn, sizeof(conf->table_bucket_arn),
                 "arn:aws:s3tables:%s:%s:bucket/aws-s3", req->region,
                 req->account_id);

        if (icetap_mdconf_namespace(req->bucket, conf->namespace,
                                    sizeof(conf->namespace))
            != ICETAP_OK)
        {
            icetap_free(conf);
            return icetap_mdconf_fail(err, ICETAP_INVALID, 400,
                                      "InvalidBucketName", "bucket name "
                                      "too long");
        }

        conf->expiration_days = req->in.days;
        conf->journal.enc = req->in.journal_enc;

        if (req->in.has_inventory) {
            conf->has_inventory = 1;
            conf->inventory_enabled = req->in.inventory_enabled;

            if (conf->inventory_enabled) {
                icetap_mdconf_new_table(&conf->inventory, "inventory");
                conf->inventory.enc = req->in.inventory_enc;
                conf->inventory_enabled_at_us = req->now_us;

                rc = icetap_mdconf_table_arn(conf->table_bucket_arn,
                                             conf->inventory.arn,
                                             sizeof(conf->inventory.arn),
                                             err);
                if (rc != ICETAP_OK) {
                    icetap_free(conf);
                    return rc;
                }
            }
        }
    }

    rc = icetap_mdconf_table_arn(conf->table_bucket_arn, conf->journal.arn,
                                 sizeof(conf->journal.arn), err);

    if (rc == ICETAP_OK) {
        rc = icetap_mdconf_save(catalog, conf, NULL, NULL, err);

        if (rc == ICETAP_CONFLICT) {
            rc = icetap_mdconf_fail(err, rc, 409,
                                    "MetadataConfigurationAlreadyExists",
                                    "A metadata configuration already "
                                    "exists for bucket %s", req->bucket);

        } else if (rc != ICETAP_OK) {
            rc = icetap_mdconf_store_fail(err, rc, "save the configuration");
        }
    }

    icetap_free(conf);

    return rc;
}


static icetap_rc
icetap_mdconf_not_found(const icetap_mdconf_req_t *req, icetap_error_t *err)
{
    return icetap_mdconf_fail(err, ICETAP_NOTFOUND, 404,
                              "MetadataConfigurationNotFound",
                              "The specified metadata configuration does "
                              "not exist for bucket %s", req->bucket);
}


static icetap_rc
icetap_mdconf_wrong_version(const icetap_mdconf_req_t *req,
    icetap_error_t *err)
{
    return icetap_mdconf_fail(err, ICETAP_INVALID, 405, "MethodNotAllowed",
                              "The specified method is not allowed against "
                              "this resource: bucket %s has a %s metadata "
                              "configuration", req->bucket,
                              (req->op == ICETAP_MDCONF_V1_GET
                               || req->op == ICETAP_MDCONF_V1_DELETE)
                              ? "V2" : "V1");
}


/* up to 10 ms times the attempt, at random: racing writers spread out */

static void
icetap_mdconf_backoff(unsigned attempt)
{
    uint8_t          r;
    struct timespec  ts;

    if (getrandom(&r, 1, GRND_NONBLOCK) != 1) {
        r = 128;
    }

    ts.tv_sec = 0;
    ts.tv_nsec = (long) (attempt + 1) * r * 40000;

    (void) nanosleep(&ts, NULL);
}


/* a change to an existing document: read, modify, write If-Match */

static icetap_rc
icetap_mdconf_update(icetap_store_t *catalog,
    const icetap_mdconf_req_t *req, icetap_error_t *err)
{
    char              etag[ICETAP_STORE_ETAG_LEN];
    unsigned          attempt;
    icetap_rc         rc;
    icetap_mdconf_t  *conf;
    const icetap_mdconf_input_t  *in;

    in = &req->in;

    conf = icetap_calloc(1, sizeof(icetap_mdconf_t));
    if (conf == NULL) {
        return icetap_mdconf_fail(err, ICETAP_NOMEM, 500, "InternalError",
                                  "out of memory");
    }

    for (attempt = 0; attempt < ICETAP_MDCONF_RETRIES; attempt++) {

        rc = icetap_mdconf_load(catalog, req->bucket, conf, etag, err);

        if (rc == ICETAP_NOTFOUND) {
            rc = icetap_mdconf_not_found(req, err);
            goto done;
        }

        if (rc != ICETAP_OK) {
            rc = icetap_mdconf_store_fail(err, rc, "read the configuration");
            goto done;
        }

        if (conf->version != 2) {
            rc = icetap_mdconf_wrong_version(req, err);
            goto done;
        }

        if (req->op == ICETAP_MDCONF_UPDATE_JOURNAL) {
            conf->expiration_days = in->days;

        } else if (in->inventory_enabled) {
            if (conf->inventory_enabled) {
                /* encryption is chosen when the table is created */

                if (in->inventory_enc.sse_algorithm[0]
                    && (strcmp(in->inventory_enc.sse_algorithm,
                               conf->inventory.enc.sse_algorithm) != 0
                        || strcmp(in->inventory_enc.kms_key_arn,
                                  conf->inventory.enc.kms_key_arn) != 0))
                {
                    rc = icetap_mdconf_fail(err, ICETAP_INVALID, 400,
                                            "InvalidArgument", "the "
                                            "encryption of an existing "
                                            "inventory table cannot be "
                                            "changed");
                    goto done;
                }

            } else {
                conf->has_inventory = 1;
                conf->inventory_enabled = 1;
                conf->inventory_enabled_at_us = req->now_us;
                icetap_mdconf_new_table(&conf->inventory, "inventory");
                conf->inventory.enc = in->inventory_enc;

                rc = icetap_mdconf_table_arn(conf->table_bucket_arn,
                                             conf->inventory.arn,
                                             sizeof(conf->inventory.arn),
                                             err);
                if (rc != ICETAP_OK) {
                    goto done;
                }
            }

        } else {
            conf->has_inventory = 1;
            conf->inventory_enabled = 0;
            memset(&conf->inventory, 0, sizeof(icetap_mdconf_table_t));
        }

        conf->updated_at_us = req->now_us;

        rc = icetap_mdconf_save(catalog, conf, etag, NULL, err);

        if (rc == ICETAP_OK) {
            goto done;
        }

        /* changed or deleted since we read it: read again, a bit later */

        if (rc != ICETAP_CONFLICT && rc != ICETAP_NOTFOUND) {
            rc = icetap_mdconf_store_fail(err, rc, "save the configuration");
            goto done;
        }

        icetap_mdconf_backoff(attempt);
    }

    rc = icetap_mdconf_fail(err, ICETAP_CONFLICT, 409, "OperationAborted",
                            "A conflicting conditional operation is "
                            "currently in progress against this resource. "
                            "Please try again.");

done:

    icetap_free(conf);

    return rc;
}


icetap_rc
icetap_mdconf_execute(icetap_store_t *catalog, icetap_store_t *bucket,
    const icetap_mdconf_req_t *req, icetap_buf_t *out, icetap_error_t *err)
{
    char                       key[ICETAP_MDCONF_NAME_LEN + 64];
    icetap_rc                  rc;
    icetap_mdconf_t           *conf;
    icetap_store_list_opts_t   lo;

    if (icetap_mdconf_key(req->bucket, key, sizeof(key)) != ICETAP_OK
        || req->bucket[0] == '\0')
    {
        return icetap_mdconf_fail(err, ICETAP_INVALID, 400,
                                  "InvalidBucketName", "The specified bucket "
                                  "is not valid");
    }

    if (bucket != NULL) {
        memset(&lo, 0, sizeof(lo));
        lo.max_keys = 1;

        rc = icetap_store_list(bucket, &lo, icetap_mdconf_page, NULL, err);

        if (rc == ICETAP_NOTFOUND) {
            return icetap_mdconf_fail(err, rc, 404, "NoSuchBucket",
                                      "The specified bucket does not exist");
        }

        if (rc != ICETAP_OK) {
            return icetap_mdconf_store_fail(err, rc, "look the bucket up");
        }
    }

    switch (req->op) {

    case ICETAP_MDCONF_CREATE:
    case ICETAP_MDCONF_V1_CREATE:
        return icetap_mdconf_create(catalog, req, err);

    case ICETAP_MDCONF_UPDATE_JOURNAL:
    case ICETAP_MDCONF_UPDATE_INVENTORY:
        return icetap_mdconf_update(catalog, req, err);

    default:
        break;
    }

    conf = icetap_calloc(1, sizeof(icetap_mdconf_t));
    if (conf == NULL) {
        return icetap_mdconf_fail(err, ICETAP_NOMEM, 500, "InternalError",
                                  "out of memory");
    }

    rc = icetap_mdconf_load(catalog, req->bucket, conf, NULL, err);

    if (rc == ICETAP_NOTFOUND) {
        rc = icetap_mdconf_not_found(req, err);
        goto done;
    }

    if (rc != ICETAP_OK) {
        rc = icetap_mdconf_store_fail(err, rc, "read the configuration");
        goto done;
    }

    if ((req->op == ICETAP_MDCONF_V1_GET || req->op == ICETAP_MDCONF_V1_DELETE)
        && conf->version != 1)
    {
        rc = icetap_mdconf_wrong_version(req, err);
        goto done;
    }

    switch (req->op) {

    case ICETAP_MDCONF_GET:
    case ICETAP_MDCONF_V1_GET:
        rc = icetap_mdconf_render(conf, req->op == ICETAP_MDCONF_V1_GET, out,
                                  err);
        break;

    default: /* ICETAP_MDCONF_DELETE, ICETAP_MDCONF_V1_DELETE */
        rc = icetap_store_delete(catalog, key, err);

        if (rc != ICETAP_OK) {
            rc = icetap_mdconf_store_fail(err, rc, "delete the "
                                          "configuration");
        }
    }

done:

    icetap_free(conf);

    return rc;
}
