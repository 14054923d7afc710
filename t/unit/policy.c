/*
 * Copyright (C) icetap authors
 *
 * Authorization: patterns, configuration rules, resource policies.
 */


#include <icetap/policy.h>

#include "tap.h"


#define BUCKET  "arn:aws:s3tables:us-east-1:111122223333:bucket/sales"
#define TABLE   BUCKET "/table/0b5c6f55-7f47-4a8e-9a53-1f5d2c1e0c11"


static int
decide(const icetap_policy_t *p, const char *who, const char *action,
    const char *res, const char *bp, const char *tp, const char **source)
{
    icetap_error_t            err;
    icetap_policy_decision_t  d;

    if (icetap_policy_evaluate(p, who, action, res, bp, tp, &d, &err)
        != ICETAP_OK)
    {
        return -1;
    }

    if (source) {
        *source = d.source;
    }

    return (int) d.outcome;
}


static icetap_rc
validate(const char *doc, icetap_error_t *err)
{
    return icetap_policy_validate(doc, strlen(doc), err);
}


int
main(void)
{
    const char            *src;
    icetap_error_t         err;
    icetap_policy_t        p;
    icetap_policy_rule_t   rules[4];

    static const char  allow_reader[] =
        "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
        "\"Principal\":{\"AWS\":[\"AKIAREADER\"]},"
        "\"Action\":[\"s3tables:Get*\",\"s3tables:List*\"],"
        "\"Resource\":\"" BUCKET "/*\"}]}";
    static const char  deny_all[] =
        "{\"Statement\":{\"Effect\":\"Deny\",\"Principal\":\"*\","
        "\"Action\":\"s3tables:*\",\"Resource\":\"*\"}}";
    static const char  allow_anon[] =
        "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"*\"},"
        "\"Action\":\"s3tables:GetTable\",\"Resource\":\"" TABLE "\"}}";
    static const char  allow_account[] =
        "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":"
        "\"arn:aws:iam::111122223333:root\"},"
        "\"Action\":\"s3tables:*\",\"Resource\":\"" BUCKET "\"}}";

    /* patterns */

    ok(icetap_policy_match("s3tables:*", "s3tables:GetTable", 1),
       "prefix wildcard");
    ok(icetap_policy_match("S3Tables:get*", "s3tables:GetTable", 1),
       "actions ignore case");
    ok(!icetap_policy_match("arn:*:Bucket/x", "arn:aws:bucket/x", 0),
       "resources do not");
    ok(icetap_policy_match("a?c*e", "abcde", 0), "? and *");
    ok(!icetap_policy_match("a?c", "ac", 0), "? needs a character");
    ok(icetap_policy_match("*", "", 0), "* matches nothing too");
    ok(!icetap_policy_match(BUCKET "/*", BUCKET, 0),
       "bucket/* is not the bucket");
    ok(icetap_policy_match(BUCKET "*", TABLE, 0), "bucket* is its tables");
    ok(!icetap_policy_match("**************************************"
                            "****************************************"
                            "*******************************b",
                            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0),
       "many stars end");

    ok(icetap_policy_valid_action("s3tables:Get*"), "valid action");
    ok(icetap_policy_valid_action("*"), "* action");
    ok(!icetap_policy_valid_action("GetTable"), "action without service");
    ok(!icetap_policy_valid_action("s3tables:Get Table"), "space in action");

    /* documents */

    is_int(icetap_policy_validate(allow_reader, sizeof(allow_reader) - 1,
                                  &err), ICETAP_OK, "reader policy valid");
    is_int(icetap_policy_validate(deny_all, sizeof(deny_all) - 1, &err),
           ICETAP_OK, "one statement object");
    is_int(icetap_policy_validate("{", 1, &err), ICETAP_INVALID, "not JSON");
    is_int(icetap_policy_validate("[]", 2, &err), ICETAP_INVALID,
           "not an object");
    is_int(icetap_policy_validate("{\"Statement\":[]}", 16, &err),
           ICETAP_INVALID, "no statement");
    is_int(validate("{\"Statement\":{\"Effect\":\"Maybe\","
                                  "\"Principal\":\"*\",\"Action\":\"*\","
                                  "\"Resource\":\"*\"}}", &err),
           ICETAP_INVALID, "bad effect");
    is_int(validate("{\"Statement\":{\"Effect\":\"Allow\","
                                  "\"Principal\":\"me\",\"Action\":\"*\","
                                  "\"Resource\":\"*\"}}", &err),
           ICETAP_INVALID, "principal string other than *");
    is_int(validate("{\"Statement\":{\"Effect\":\"Allow\","
                                  "\"Principal\":\"*\",\"Action\":\"*\","
                                  "\"Resource\":\"*\",\"Condition\":{}}}",
                                  &err),
           ICETAP_UNSUPPORTED, "condition unsupported");
    is_int(validate("{\"Statement\":{\"Effect\":\"Allow\","
                                  "\"Principal\":\"*\",\"Action\":[],"
                                  "\"Resource\":\"*\"}}", &err),
           ICETAP_INVALID, "empty action list");

    /* configuration rules */

    memset(&p, 0, sizeof(icetap_policy_t));
    p.account_id = "111122223333";

    is_int(decide(&p, "AKIAADMIN", "s3tables:GetTable", TABLE, NULL, NULL,
                  &src), ICETAP_POLICY_IMPLICIT_DENY, "nothing: denied");
    ok(src == NULL, "no source");

    rules[0].effect = ICETAP_POLICY_ALLOW;
    rules[0].principal = "AKIAADMIN";
    rules[0].action = "s3tables:*";
    rules[0].resource = "*";
    rules[1].effect = ICETAP_POLICY_DENY;
    rules[1].principal = "*";
    rules[1].action = "s3tables:DeleteTableBucket";
    rules[1].resource = BUCKET;
    rules[2].effect = ICETAP_POLICY_ALLOW;
    rules[2].principal = "*";
    rules[2].action = "s3tables:ListTableBuckets";
    rules[2].resource = "*";
    p.rules = rules;
    p.nrules = 3;

    is_int(decide(&p, "AKIAADMIN", "s3tables:GetTable", TABLE, NULL, NULL,
                  &src), ICETAP_POLICY_ALLOWED, "admin allowed");
    ok(src && strcmp(src, "config") == 0, "by config");
    is_int(decide(&p, "AKIAADMIN", "s3tables:DeleteTableBucket", BUCKET,
                  NULL, NULL, NULL),
           ICETAP_POLICY_EXPLICIT_DENY, "config deny wins over allow");
    is_int(decide(&p, "AKIAOTHER", "s3tables:GetTable", TABLE, NULL, NULL,
                  NULL), ICETAP_POLICY_IMPLICIT_DENY, "other key denied");
    is_int(decide(&p, NULL, "s3tables:ListTableBuckets", "*", NULL, NULL,
                  NULL), ICETAP_POLICY_ALLOWED, "anonymous allowed by *");
    is_int(decide(&p, NULL, "s3tables:GetTable", TABLE, NULL, NULL, NULL),
           ICETAP_POLICY_IMPLICIT_DENY, "anonymous otherwise denied");

    /* resource policies */

    is_int(decide(&p, "AKIAREADER", "s3tables:GetTable", TABLE, allow_reader,
                  NULL, &src), ICETAP_POLICY_ALLOWED, "bucket policy allows");
    ok(src && strcmp(src, "table bucket policy") == 0,
       "by the bucket policy");
    is_int(decide(&p, "AKIAREADER", "s3tables:DeleteTable", TABLE,
                  allow_reader, NULL, NULL),
           ICETAP_POLICY_IMPLICIT_DENY, "not its action");
    is_int(decide(&p, "AKIAREADER", "s3tables:GetTableBucket", BUCKET,
                  allow_reader, NULL, NULL),
           ICETAP_POLICY_IMPLICIT_DENY, "not its resource");
    is_int(decide(&p, "AKIAADMIN", "s3tables:GetTable", TABLE, allow_reader,
                  deny_all, &src),
           ICETAP_POLICY_EXPLICIT_DENY, "table policy deny wins");
    ok(src && strcmp(src, "table policy") == 0, "by the table policy");
    is_int(decide(&p, NULL, "s3tables:GetTable", TABLE, NULL, allow_anon,
                  NULL), ICETAP_POLICY_ALLOWED, "anonymous by AWS *");
    is_int(decide(&p, NULL, "s3tables:GetTableBucket", BUCKET, allow_account,
                  NULL, NULL), ICETAP_POLICY_IMPLICIT_DENY,
           "the account is not anonymous");
    is_int(decide(&p, "AKIAOTHER", "s3tables:GetTableBucket", BUCKET,
                  allow_account, NULL, NULL), ICETAP_POLICY_ALLOWED,
           "the account is every key");
    is_int(decide(&p, "AKIAOTHER", "s3tables:GetTableBucket", BUCKET,
                  "{not json", NULL, NULL), ICETAP_POLICY_IMPLICIT_DENY,
           "a broken stored policy allows nothing");

    return done_testing();
}
