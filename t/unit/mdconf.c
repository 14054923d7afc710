/*
 * Copyright (C) icetap authors
 *
 * S3 Metadata configurations: request bodies (good and refused), the
 * document's JSON round trip, the Get XML, and the API operations over
 * the local-filesystem store.
 */


#include <stdlib.h>
#include <unistd.h>

#include <icetap/mdconf.h>
#include <icetap/store.h>

#include "tap.h"


#define ARN_PREFIX                                                           \
    "arn:aws:s3tables:us-east-1:111122223333:bucket/aws-s3/table/"
#define NS  " xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\""


typedef struct {
    icetap_mdconf_op_e   op;
    const char          *body;
    int                  status;            /* 0: accepted */
    const char          *code;
    const char          *what;
} parse_case_t;


static const parse_case_t  parse_cases[] = {

    { ICETAP_MDCONF_CREATE,
      "<MetadataConfiguration" NS "><JournalTableConfiguration>"
      "<RecordExpiration><Expiration>ENABLED</Expiration><Days>30</Days>"
      "</RecordExpiration></JournalTableConfiguration>"
      "<InventoryTableConfiguration><ConfigurationState>ENABLED"
      "</ConfigurationState></InventoryTableConfiguration>"
      "</MetadataConfiguration>", 0, NULL, "boto3's create body" },

    { ICETAP_MDCONF_CREATE,
      "<MetadataConfiguration><JournalTableConfiguration>"
      "<RecordExpiration><Expiration>DISABLED</Expiration>"
      "</RecordExpiration><EncryptionConfiguration><SseAlgorithm>aws:kms"
      "</SseAlgorithm><KmsKeyArn>arn:aws:kms:us-east-1:1:key/k</KmsKeyArn>"
      "</EncryptionConfiguration></JournalTableConfiguration>"
      "</MetadataConfiguration>", 0, NULL, "DISABLED with a KMS key" },

    { ICETAP_MDCONF_CREATE, "<MetadataConfiguration>", 400, "MalformedXML",
      "unterminated document" },

    { ICETAP_MDCONF_CREATE, "", 400, "MissingRequestBodyError",
      "empty body" },

    { ICETAP_MDCONF_CREATE,
      "<JournalTableConfiguration><RecordExpiration><Expiration>DISABLED"
      "</Expiration></RecordExpiration></JournalTableConfiguration>",
      400, "MalformedXML", "wrong root" },

    { ICETAP_MDCONF_CREATE,
      "<MetadataConfiguration><InventoryTableConfiguration>"
      "<ConfigurationState>ENABLED</ConfigurationState>"
      "</InventoryTableConfiguration></MetadataConfiguration>",
      400, "MalformedXML", "no journal configuration" },

    { ICETAP_MDCONF_CREATE,
      "<MetadataConfiguration><JournalTableConfiguration>"
      "</JournalTableConfiguration></MetadataConfiguration>",
      400, "MalformedXML", "no record expiration" },

    { ICETAP_MDCONF_CREATE,
      "<MetadataConfiguration><JournalTableConfiguration>"
      "<RecordExpiration><Expiration>ENABLED</Expiration><Days>6</Days>"
      "</RecordExpiration></JournalTableConfiguration>"
      "</MetadataConfiguration>", 400, "InvalidArgument", "Days 6" },

    { ICETAP_MDCONF_CREATE,
      "<MetadataConfiguration><JournalTableConfiguration>"
      "<RecordExpiration><Expiration>ENABLED</Expiration>"
      "<Days>2147483648</Days></RecordExpiration>"
      "</JournalTableConfiguration></MetadataConfiguration>",
      400, "InvalidArgument", "Days above the maximum" },

    { ICETAP_MDCONF_CREATE,
      "<MetadataConfiguration><JournalTableConfiguration>"
      "<RecordExpiration><Expiration>ENABLED</Expiration>"
      "<Days>seven</Days></RecordExpiration>"
      "</JournalTableConfiguration></MetadataConfiguration>",
      400, "MalformedXML", "Days not a number" },

    { ICETAP_MDCONF_CREATE,
      "<MetadataConfiguration><JournalTableConfiguration>"
      "<RecordExpiration><Expiration>DISABLED</Expiration><Days>30</Days>"
      "</RecordExpiration></JournalTableConfiguration>"
      "</MetadataConfiguration>", 400, "InvalidArgument",
      "Days with DISABLED" },

    { ICETAP_MDCONF_CREATE,
      "<MetadataConfiguration><JournalTableConfiguration>"
      "<RecordExpiration><Expiration>ENABLED</Expiration>"
      "</RecordExpiration></JournalTableConfiguration>"
      "</MetadataConfiguration>", 400, "InvalidArgument",
      "ENABLED without Days" },

    { ICETAP_MDCONF_CREATE,
      "<MetadataConfiguration><JournalTableConfiguration>"
      "<RecordExpiration><Expiration>ON</Expiration>"
      "</RecordExpiration></JournalTableConfiguration>"
      "</MetadataConfiguration>", 400, "InvalidArgument",
      "unknown Expiration" },

    { ICETAP_MDCONF_CREATE,
      "<MetadataConfiguration><JournalTableConfiguration>"
      "<RecordExpiration><Expiration>DISABLED</Expiration>"
      "</RecordExpiration><Colour>red</Colour></JournalTableConfiguration>"
      "</MetadataConfiguration>", 400, "MalformedXML", "unknown element" },

    { ICETAP_MDCONF_CREATE,
      "<MetadataConfiguration><JournalTableConfiguration>"
      "<RecordExpiration><Expiration>DISABLED</Expiration>"
      "</RecordExpiration></JournalTableConfiguration>"
      "<JournalTableConfiguration/></MetadataConfiguration>",
      400, "MalformedXML", "duplicate element" },

    { ICETAP_MDCONF_CREATE,
      "<MetadataConfiguration><JournalTableConfiguration>"
      "<RecordExpiration><Expiration>DISABLED</Expiration>"
      "</RecordExpiration><EncryptionConfiguration><SseAlgorithm>aws:kms"
      "</SseAlgorithm></EncryptionConfiguration>"
      "</JournalTableConfiguration></MetadataConfiguration>",
      400, "InvalidArgument", "aws:kms without a key" },

    { ICETAP_MDCONF_CREATE,
      "<MetadataConfiguration><JournalTableConfiguration>"
      "<RecordExpiration><Expiration>DISABLED</Expiration>"
      "</RecordExpiration><EncryptionConfiguration><SseAlgorithm>AES256"
      "</SseAlgorithm><KmsKeyArn>arn:aws:kms:x</KmsKeyArn>"
      "</EncryptionConfiguration></JournalTableConfiguration>"
      "</MetadataConfiguration>", 400, "InvalidArgument",
      "AES256 with a key" },

    { ICETAP_MDCONF_CREATE,
      "<MetadataConfiguration><JournalTableConfiguration>"
      "<RecordExpiration><Expiration>DISABLED</Expiration>"
      "</RecordExpiration></JournalTableConfiguration>"
      "<InventoryTableConfiguration><ConfigurationState>MAYBE"
      "</ConfigurationState></InventoryTableConfiguration>"
      "</MetadataConfiguration>", 400, "InvalidArgument",
      "unknown ConfigurationState" },

    { ICETAP_MDCONF_CREATE,
      "<MetadataConfiguration><JournalTableConfiguration>"
      "<RecordExpiration><Expiration>DISABLED</Expiration>"
      "</RecordExpiration></JournalTableConfiguration>"
      "<AnnotationTableConfiguration><ConfigurationState>ENABLED"
      "</ConfigurationState></AnnotationTableConfiguration>"
      "</MetadataConfiguration>", 501, "NotImplemented",
      "annotation table" },

    { ICETAP_MDCONF_CREATE,
      "<!DOCTYPE x [<!ENTITY a \"b\">]><MetadataConfiguration/>",
      400, "MalformedXML", "DOCTYPE" },

    { ICETAP_MDCONF_UPDATE_JOURNAL,
      "<JournalTableConfiguration" NS "><RecordExpiration><Expiration>"
      "DISABLED</Expiration></RecordExpiration></JournalTableConfiguration>",
      0, NULL, "boto3's journal update" },

    { ICETAP_MDCONF_UPDATE_JOURNAL,
      "<JournalTableConfiguration><RecordExpiration><Expiration>DISABLED"
      "</Expiration></RecordExpiration><EncryptionConfiguration>"
      "<SseAlgorithm>AES256</SseAlgorithm></EncryptionConfiguration>"
      "</JournalTableConfiguration>", 400, "MalformedXML",
      "journal update cannot change encryption" },

    { ICETAP_MDCONF_UPDATE_JOURNAL,
      "<MetadataConfiguration/>", 400, "MalformedXML",
      "journal update with the create root" },

    { ICETAP_MDCONF_UPDATE_INVENTORY,
      "<InventoryTableConfiguration" NS "><ConfigurationState>DISABLED"
      "</ConfigurationState></InventoryTableConfiguration>",
      0, NULL, "boto3's inventory update" },

    { ICETAP_MDCONF_UPDATE_INVENTORY,
      "<InventoryTableConfiguration></InventoryTableConfiguration>",
      400, "MalformedXML", "inventory update without a state" },

    { ICETAP_MDCONF_V1_CREATE,
      "<MetadataTableConfiguration" NS "><S3TablesDestination>"
      "<TableBucketArn>arn:aws:s3tables:us-east-1:111122223333:bucket/tb"
      "</TableBucketArn><TableName>j</TableName></S3TablesDestination>"
      "</MetadataTableConfiguration>", 0, NULL, "boto3's V1 body" },

    { ICETAP_MDCONF_V1_CREATE,
      "<MetadataTableConfiguration><S3TablesDestination>"
      "<TableBucketArn>arn:aws:s3:::tb</TableBucketArn>"
      "<TableName>j</TableName></S3TablesDestination>"
      "</MetadataTableConfiguration>", 400, "InvalidArgument",
      "V1 with a non table bucket ARN" },

    { ICETAP_MDCONF_V1_CREATE,
      "<MetadataTableConfiguration><S3TablesDestination>"
      "<TableBucketArn>arn:aws:s3tables:us-east-1:111122223333:bucket/tb"
      "</TableBucketArn><TableName>Journal-1</TableName>"
      "</S3TablesDestination></MetadataTableConfiguration>",
      400, "InvalidArgument", "V1 with a bad table name" },

    { ICETAP_MDCONF_V1_CREATE,
      "<MetadataTableConfiguration><S3TablesDestination>"
      "<TableName>j</TableName></S3TablesDestination>"
      "</MetadataTableConfiguration>", 400, "MalformedXML",
      "V1 without a table bucket" },
};


static char  root[256];


static void
test_parse(void)
{
    size_t                 i;
    icetap_rc              rc;
    icetap_error_t         err;
    icetap_mdconf_input_t  in;
    const parse_case_t    *c;

    for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
        c = &parse_cases[i];

        memset(&err, 0, sizeof(err));
        rc = icetap_mdconf_parse(c->op, c->body, strlen(c->body), &in, &err);

        if (c->status == 0) {
            if (!ok(rc == ICETAP_OK, "parse: %s accepted", c->what)) {
                diag("%s: %s", err.store_code, err.msg);
            }

            continue;
        }

        ok(rc != ICETAP_OK && err.http_status == c->status
           && strcmp(err.store_code, c->code) == 0,
           "parse: %s is %d %s (%d %s: %s)", c->what, c->status, c->code,
           err.http_status, err.store_code, err.msg);
    }

    rc = icetap_mdconf_parse(ICETAP_MDCONF_CREATE, parse_cases[0].body,
                             strlen(parse_cases[0].body), &in, &err);
    is_int(rc, ICETAP_OK, "create body parsed");
    is_int(in.days, 30, "days");
    is_int(in.has_inventory, 1, "inventory given");
    is_int(in.inventory_enabled, 1, "inventory enabled");

    rc = icetap_mdconf_parse(ICETAP_MDCONF_CREATE, parse_cases[1].body,
                             strlen(parse_cases[1].body), &in, &err);
    is_int(in.days, 0, "DISABLED is no expiry");
    is_str(in.journal_enc.sse_algorithm, "aws:kms", "sse algorithm");
    is_str(in.journal_enc.kms_key_arn, "arn:aws:kms:us-east-1:1:key/k",
           "kms key");
    is_int(in.has_inventory, 0, "no inventory");
}


static void
test_json(void)
{
    icetap_rc         rc;
    icetap_buf_t      b;
    icetap_error_t    err;
    icetap_mdconf_t   a, c;

    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));

    a.version = 2;
    strcpy(a.bucket, "my.photos");
    strcpy(a.table_bucket_type, "aws");
    strcpy(a.table_bucket_arn, "arn:aws:s3tables:eu-west-1:1:bucket/aws-s3");
    icetap_mdconf_namespace(a.bucket, a.namespace, sizeof(a.namespace));
    a.created_at_us = 1795255200123456LL;
    a.updated_at_us = 1795255300000001LL;
    a.enabled_at_us = 1795255200123456LL;
    strcpy(a.journal.name, "journal");
    strcpy(a.journal.arn, "arn:x/table/1");
    strcpy(a.journal.status, "FAILED");
    strcpy(a.journal.error_code, "ServerInternalError");
    strcpy(a.journal.error_message, "boom <&>");
    strcpy(a.journal.enc.sse_algorithm, "aws:kms");
    strcpy(a.journal.enc.kms_key_arn, "arn:aws:kms:k");
    a.expiration_days = 2147483647LL;
    a.has_inventory = 1;
    a.inventory_enabled = 1;
    a.inventory_enabled_at_us = 42;
    strcpy(a.inventory.name, "inventory");
    strcpy(a.inventory.arn, "arn:x/table/2");
    strcpy(a.inventory.status, "BACKFILLING");

    is_str(a.namespace, "b_my_photos", "namespace: dots to underscores");

    rc = icetap_mdconf_to_json(&a, &b, &err);
    is_int(rc, ICETAP_OK, "to JSON");

    rc = icetap_mdconf_from_json((char *) b.data, b.len, &c, &err);
    if (!ok(rc == ICETAP_OK, "from JSON")) {
        diag("%s", err.msg);
    }

    ok(memcmp(&a, &c, sizeof(a)) == 0, "JSON round trip keeps every field");
    ok(strstr((char *) b.data, "\"created_at\": \"2026-11-21T"
              "10:00:00.123456Z\"") != NULL, "created_at in UTC");

    b.len = 0;
    rc = icetap_mdconf_render(&a, 0, &b, &err);
    is_int(rc, ICETAP_OK, "render V2");
    icetap_buf_putc(&b, '\0');

    ok(strstr((char *) b.data, "<JournalTableConfigurationResult>"
              "<TableStatus>FAILED</TableStatus><Error><ErrorCode>"
              "ServerInternalError</ErrorCode><ErrorMessage>boom &lt;&amp;"
              "&gt;</ErrorMessage></Error><TableName>journal</TableName>"
              "<TableArn>arn:x/table/1</TableArn><RecordExpiration>"
              "<Expiration>ENABLED</Expiration><Days>2147483647</Days>"
              "</RecordExpiration></JournalTableConfigurationResult>")
       != NULL, "journal result with its error");
    ok(strstr((char *) b.data, "<InventoryTableConfigurationResult>"
              "<ConfigurationState>ENABLED</ConfigurationState>"
              "<TableStatus>BACKFILLING</TableStatus><TableName>inventory"
              "</TableName><TableArn>arn:x/table/2</TableArn>"
              "</InventoryTableConfigurationResult>") != NULL,
       "inventory result");
    ok(strstr((char *) b.data, "kms") == NULL, "encryption not echoed");

    rc = icetap_mdconf_from_json("{\"version\":\"V3\"}", 16, &c, &err);
    is_int(rc, ICETAP_INVALID, "unknown document refused: %s", err.msg);

    rc = icetap_mdconf_from_json("nope", 4, &c, &err);
    is_int(rc, ICETAP_INVALID, "not JSON refused");

    icetap_buf_free(&b);
}


static icetap_rc
run(icetap_store_t *s, icetap_mdconf_op_e op, const char *bucket,
    const char *body, icetap_buf_t *out, icetap_error_t *err)
{
    icetap_rc            rc;
    icetap_mdconf_req_t  req;

    memset(&req, 0, sizeof(req));
    req.op = op;
    req.bucket = bucket;
    req.region = "us-east-1";
    req.account_id = "111122223333";
    req.now_us = 1795255200000000LL;

    rc = icetap_mdconf_parse(op, body, body ? strlen(body) : 0, &req.in,
                             err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    if (out) {
        out->len = 0;
    }

    rc = icetap_mdconf_execute(s, NULL, &req, out, err);

    if (rc == ICETAP_OK && out) {
        icetap_buf_putc(out, '\0');
    }

    return rc;
}


static void
test_api(void)
{
    char             etag[ICETAP_STORE_ETAG_LEN];
    icetap_rc        rc;
    icetap_buf_t     out;
    icetap_error_t   err;
    icetap_store_t  *s;
    icetap_mdconf_t  conf;

    s = icetap_store_fs_create(root, &err);
    if (!ok(s != NULL, "fs store")) {
        return;
    }

    memset(&out, 0, sizeof(out));

    rc = run(s, ICETAP_MDCONF_GET, "photos", NULL, &out, &err);
    ok(rc == ICETAP_NOTFOUND && err.http_status == 404
       && strcmp(err.store_code, "MetadataConfigurationNotFound") == 0,
       "get without a configuration: 404 %s", err.store_code);

    rc = run(s, ICETAP_MDCONF_CREATE, "photos", parse_cases[0].body, NULL,
             &err);
    is_int(rc, ICETAP_OK, "create V2: %s", err.msg);

    rc = run(s, ICETAP_MDCONF_CREATE, "photos", parse_cases[1].body, NULL,
             &err);
    ok(rc == ICETAP_CONFLICT && err.http_status == 409
       && strcmp(err.store_code, "MetadataConfigurationAlreadyExists") == 0,
       "second create: 409 %s", err.store_code);

    rc = icetap_mdconf_load(s, "photos", &conf, etag, &err);
    is_int(rc, ICETAP_OK, "document loads");
    is_int(conf.version, 2, "V2");
    is_int(conf.expiration_days, 30, "first create kept: 30 days");
    is_int(conf.enabled_at_us, 1795255200000000LL, "enabled_at_us");
    is_str(conf.journal.status, "CREATING", "journal CREATING");
    is_str(conf.inventory.status, "CREATING", "inventory CREATING");
    ok(strncmp(conf.journal.arn, ARN_PREFIX, strlen(ARN_PREFIX)) == 0
       && strlen(conf.journal.arn) == strlen(ARN_PREFIX) + 36,
       "journal table ARN: %s", conf.journal.arn);
    ok(strcmp(conf.journal.arn, conf.inventory.arn) != 0,
       "tables have their own ids");

    rc = run(s, ICETAP_MDCONF_GET, "photos", NULL, &out, &err);
    is_int(rc, ICETAP_OK, "get");
    ok(strstr((char *) out.data, "<DestinationResult><TableBucketType>aws"
              "</TableBucketType><TableBucketArn>arn:aws:s3tables:us-east-1:"
              "111122223333:bucket/aws-s3</TableBucketArn><TableNamespace>"
              "b_photos</TableNamespace></DestinationResult>") != NULL,
       "get: destination");

    rc = run(s, ICETAP_MDCONF_V1_GET, "photos", NULL, &out, &err);
    ok(rc != ICETAP_OK && err.http_status == 405
       && strcmp(err.store_code, "MethodNotAllowed") == 0,
       "V1 get of a V2 configuration: 405");

    rc = run(s, ICETAP_MDCONF_V1_DELETE, "photos", NULL, NULL, &err);
    ok(rc != ICETAP_OK && err.http_status == 405,
       "V1 delete of a V2 configuration: 405");

    rc = run(s, ICETAP_MDCONF_UPDATE_JOURNAL, "photos",
             "<JournalTableConfiguration><RecordExpiration><Expiration>"
             "ENABLED</Expiration><Days>7</Days></RecordExpiration>"
             "</JournalTableConfiguration>", NULL, &err);
    is_int(rc, ICETAP_OK, "update journal");

    rc = run(s, ICETAP_MDCONF_UPDATE_INVENTORY, "photos",
             "<InventoryTableConfiguration><ConfigurationState>DISABLED"
             "</ConfigurationState></InventoryTableConfiguration>", NULL,
             &err);
    is_int(rc, ICETAP_OK, "disable inventory");

    rc = icetap_mdconf_load(s, "photos", &conf, NULL, &err);
    is_int(conf.expiration_days, 7, "7 days now");
    ok(conf.has_inventory && !conf.inventory_enabled
       && conf.inventory.arn[0] == '\0', "inventory disabled");

    /* a writer holding an old ETag loses */

    rc = icetap_mdconf_save(s, &conf, etag, NULL, &err);
    is_int(rc, ICETAP_CONFLICT, "save with a stale ETag: conflict");

    rc = run(s, ICETAP_MDCONF_DELETE, "photos", NULL, NULL, &err);
    is_int(rc, ICETAP_OK, "delete");

    rc = run(s, ICETAP_MDCONF_DELETE, "photos", NULL, NULL, &err);
    ok(rc == ICETAP_NOTFOUND && err.http_status == 404,
       "delete again: 404");

    rc = run(s, ICETAP_MDCONF_UPDATE_JOURNAL, "photos",
             parse_cases[20].body, NULL, &err);
    ok(rc == ICETAP_NOTFOUND && err.http_status == 404,
       "update without a configuration: 404");

    /* V1 */

    rc = run(s, ICETAP_MDCONF_V1_CREATE, "logs", parse_cases[25].body, NULL,
             &err);
    is_int(rc, ICETAP_OK, "V1 create: %s", err.msg);

    rc = run(s, ICETAP_MDCONF_V1_GET, "logs", NULL, &out, &err);
    is_int(rc, ICETAP_OK, "V1 get");
    ok(strstr((char *) out.data, "<S3TablesDestinationResult><TableBucketArn>"
              "arn:aws:s3tables:us-east-1:111122223333:bucket/tb"
              "</TableBucketArn><TableName>j</TableName><TableArn>arn:aws:"
              "s3tables:us-east-1:111122223333:bucket/tb/table/") != NULL
       && strstr((char *) out.data, "<TableNamespace>aws_s3_metadata"
                 "</TableNamespace></S3TablesDestinationResult>"
                 "</MetadataTableConfigurationResult><Status>CREATING"
                 "</Status></GetBucketMetadataTableConfigurationResult>")
          != NULL, "V1 get body");

    rc = run(s, ICETAP_MDCONF_GET, "logs", NULL, &out, &err);
    ok(rc == ICETAP_OK && strstr((char *) out.data, "<TableBucketType>"
                                 "customer</TableBucketType>") != NULL,
       "V2 get of a V1 configuration: customer");

    rc = run(s, ICETAP_MDCONF_UPDATE_JOURNAL, "logs", parse_cases[20].body,
             NULL, &err);
    ok(rc != ICETAP_OK && err.http_status == 405,
       "journal update of a V1 configuration: 405");

    rc = run(s, ICETAP_MDCONF_V1_CREATE, "logs2",
             "<MetadataTableConfiguration><S3TablesDestination>"
             "<TableBucketArn>arn:aws:s3tables:eu-west-1:111122223333:"
             "bucket/tb</TableBucketArn><TableName>j</TableName>"
             "</S3TablesDestination></MetadataTableConfiguration>", NULL,
             &err);
    ok(rc != ICETAP_OK && err.http_status == 400,
       "V1 table bucket of another region: 400 %s", err.store_code);

    rc = run(s, ICETAP_MDCONF_V1_DELETE, "logs", NULL, NULL, &err);
    is_int(rc, ICETAP_OK, "V1 delete");

    rc = run(s, ICETAP_MDCONF_V1_GET, "logs", NULL, &out, &err);
    is_int(err.http_status, 404, "V1 get after delete: 404");

    icetap_buf_free(&out);
    icetap_store_destroy(s);
}


int
main(void)
{
    char         cmd[300];
    const char  *tmp;

    test_parse();
    test_json();

    tmp = getenv("TMPDIR");
    snprintf(root, sizeof(root), "%s/icetap-mdconf-XXXXXX",
             tmp ? tmp : "/tmp");

    if (mkdtemp(root) == NULL) {
        diag("cannot create a temporary directory");
        return 1;
    }

    test_api();

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    if (system(cmd) != 0) {
        diag("could not remove %s", root);
    }

    return done_testing();
}
