/*
 * Copyright (C) icetap authors
 *
 * Authorization: configuration rules and IAM resource policies
 * (include/icetap/policy.h).
 */


#include <string.h>
#include <ctype.h>

#include <jansson.h>

#include <icetap/policy.h>


#define ICETAP_POLICY_NONE   0
#define ICETAP_POLICY_ALLOWS 1
#define ICETAP_POLICY_DENIES 2


static int icetap_policy_match_at(const char *p, const char *s, int nocase,
    int depth);
static icetap_rc icetap_policy_check_strings(json_t *v, const char *member,
    int sid, icetap_error_t *err);
static icetap_rc icetap_policy_check_principal(json_t *v, int sid,
    icetap_error_t *err);
static int icetap_policy_strings_match(json_t *v, const char *s,
    int nocase);
static int icetap_policy_principal_match(json_t *v, const icetap_policy_t *p,
    const char *principal);
static int icetap_policy_principal_is(const char *value,
    const icetap_policy_t *p, const char *principal);
static int icetap_policy_document(const icetap_policy_t *p,
    const char *doc, const char *principal, const char *action,
    const char *resource);


int
icetap_policy_match(const char *pattern, const char *s, int nocase)
{
    return icetap_policy_match_at(pattern, s, nocase, 0);
}


static int
icetap_policy_match_at(const char *p, const char *s, int nocase, int depth)
{
    if (depth > 64) {
        /* pathological patterns: no match rather than a long search */
        return 0;
    }

    for ( ;; ) {

        if (*p == '\0') {
            return *s == '\0';
        }

        if (*p == '*') {
            while (*p == '*') {
                p++;
            }

            if (*p == '\0') {
                return 1;
            }

            for ( ; *s; s++) {
                if (icetap_policy_match_at(p, s, nocase, depth + 1)) {
                    return 1;
                }
            }

            return 0;
        }

        if (*s == '\0') {
            return 0;
        }

        if (*p != '?'
            && *p != *s
            && !(nocase && tolower((unsigned char) *p)
                           == tolower((unsigned char) *s)))
        {
            return 0;
        }

        p++;
        s++;
    }
}


int
icetap_policy_valid_action(const char *action)
{
    const char  *c;

    if (strcmp(action, "*") == 0) {
        return 1;
    }

    c = strchr(action, ':');

    if (c == NULL || c == action || c[1] == '\0') {
        return 0;
    }

    for ( /* void */ ; *action; action++) {
        if (!isalnum((unsigned char) *action) && *action != ':'
            && *action != '*' && *action != '?' && *action != '-')
        {
            return 0;
        }
    }

    return 1;
}


icetap_rc
icetap_policy_validate(const char *doc, size_t len, icetap_error_t *err)
{
    int           sid;
    size_t        i, n;
    json_t       *root, *st, *s, *effect;
    icetap_rc     rc;
    json_error_t  jerr;

    if (len == 0 || len > ICETAP_POLICY_MAX_LEN) {
        return icetap_error_set(err, ICETAP_INVALID, "the policy must be "
                                "1 to %d characters long",
                                ICETAP_POLICY_MAX_LEN);
    }

    root = json_loadb(doc, len, JSON_REJECT_DUPLICATES, &jerr);

    if (root == NULL) {
        return icetap_error_set(err, ICETAP_INVALID, "the policy is not "
                                "valid JSON: %s", jerr.text);
    }

    rc = ICETAP_INVALID;

    if (!json_is_object(root)) {
        icetap_error_set(err, rc, "the policy must be a JSON object");
        goto done;
    }

    st = json_object_get(root, "Statement");

    if (st == NULL || (!json_is_object(st) && !json_is_array(st))) {
        icetap_error_set(err, rc, "the policy needs a \"Statement\" "
                         "object or list");
        goto done;
    }

    n = json_is_array(st) ? json_array_size(st) : 1;

    if (n == 0) {
        icetap_error_set(err, rc, "the policy has no statement");
        goto done;
    }

    for (i = 0; i < n; i++) {
        s = json_is_array(st) ? json_array_get(st, i) : st;
        sid = (int) i;

        if (!json_is_object(s)) {
            icetap_error_set(err, rc, "statement %d is not an object", sid);
            goto done;
        }

        if (json_object_get(s, "NotPrincipal")
            || json_object_get(s, "NotAction")
            || json_object_get(s, "NotResource")
            || json_object_get(s, "Condition"))
        {
            rc = ICETAP_UNSUPPORTED;
            icetap_error_set(err, rc, "statement %d: NotPrincipal, "
                             "NotAction, NotResource and Condition are not "
                             "supported", sid);
            goto done;
        }

        effect = json_object_get(s, "Effect");

        if (!json_is_string(effect)
            || (strcmp(json_string_value(effect), "Allow") != 0
                && strcmp(json_string_value(effect), "Deny") != 0))
        {
            icetap_error_set(err, rc, "statement %d: \"Effect\" must be "
                             "\"Allow\" or \"Deny\"", sid);
            goto done;
        }

        if (icetap_policy_check_principal(json_object_get(s, "Principal"),
                                          sid, err)
            != ICETAP_OK
            || icetap_policy_check_strings(json_object_get(s, "Action"),
                                           "Action", sid, err)
               != ICETAP_OK
            || icetap_policy_check_strings(json_object_get(s, "Resource"),
                                           "Resource", sid, err)
               != ICETAP_OK)
        {
            goto done;
        }
    }

    rc = ICETAP_OK;

done:

    json_decref(root);

    return rc;
}


static icetap_rc
icetap_policy_check_strings(json_t *v, const char *member, int sid,
    icetap_error_t *err)
{
    size_t   i;
    json_t  *e;

    if (json_is_string(v)) {
        if (strcmp(member, "Action") == 0
            && !icetap_policy_valid_action(json_string_value(v)))
        {
            return icetap_error_set(err, ICETAP_INVALID, "statement %d: "
                                    "invalid action \"%s\"", sid,
                                    json_string_value(v));
        }

        return ICETAP_OK;
    }

    if (!json_is_array(v) || json_array_size(v) == 0) {
        return icetap_error_set(err, ICETAP_INVALID, "statement %d: "
                                "\"%s\" must be a string or a list of "
                                "strings", sid, member);
    }

    json_array_foreach(v, i, e) {
        if (icetap_policy_check_strings(e, member, sid, err) != ICETAP_OK
            || !json_is_string(e))
        {
            return icetap_error_set(err, ICETAP_INVALID, "statement %d: "
                                    "\"%s\" must be a string or a list of "
                                    "strings", sid, member);
        }
    }

    return ICETAP_OK;
}


static icetap_rc
icetap_policy_check_principal(json_t *v, int sid, icetap_error_t *err)
{
    json_t  *aws;

    if (json_is_string(v) && strcmp(json_string_value(v), "*") == 0) {
        return ICETAP_OK;
    }

    if (json_is_object(v) && json_object_size(v) == 1) {
        aws = json_object_get(v, "AWS");

        if (aws && icetap_policy_check_strings(aws, "Principal", sid, err)
                   == ICETAP_OK)
        {
            return ICETAP_OK;
        }
    }

    return icetap_error_set(err, ICETAP_INVALID, "statement %d: "
                            "\"Principal\" must be \"*\" or {\"AWS\": ...}",
                            sid);
}


icetap_rc
icetap_policy_evaluate(const icetap_policy_t *p, const char *principal,
    const char *action, const char *resource, const char *bucket_policy,
    const char *table_policy, icetap_policy_decision_t *d,
    icetap_error_t *err)
{
    int                          r;
    size_t                       i;
    const char                  *allowed_by;
    const icetap_policy_rule_t  *rule;

    (void) err;

    allowed_by = NULL;

    d->outcome = ICETAP_POLICY_IMPLICIT_DENY;
    d->source = NULL;

    for (i = 0; p && i < p->nrules; i++) {
        rule = &p->rules[i];

        if (strcmp(rule->principal, "*") != 0
            && (principal == NULL || strcmp(rule->principal, principal) != 0))
        {
            continue;
        }

        if (!icetap_policy_match(rule->action, action, 1)
            || !icetap_policy_match(rule->resource, resource, 0))
        {
            continue;
        }

        if (rule->effect == ICETAP_POLICY_DENY) {
            d->outcome = ICETAP_POLICY_EXPLICIT_DENY;
            d->source = "config";
            return ICETAP_OK;
        }

        allowed_by = "config";
    }

    if (bucket_policy) {
        r = icetap_policy_document(p, bucket_policy, principal, action,
                                   resource);

        if (r & ICETAP_POLICY_DENIES) {
            d->outcome = ICETAP_POLICY_EXPLICIT_DENY;
            d->source = "table bucket policy";
            return ICETAP_OK;
        }

        if ((r & ICETAP_POLICY_ALLOWS) && allowed_by == NULL) {
            allowed_by = "table bucket policy";
        }
    }

    if (table_policy) {
        r = icetap_policy_document(p, table_policy, principal, action,
                                   resource);

        if (r & ICETAP_POLICY_DENIES) {
            d->outcome = ICETAP_POLICY_EXPLICIT_DENY;
            d->source = "table policy";
            return ICETAP_OK;
        }

        if ((r & ICETAP_POLICY_ALLOWS) && allowed_by == NULL) {
            allowed_by = "table policy";
        }
    }

    if (allowed_by) {
        d->outcome = ICETAP_POLICY_ALLOWED;
        d->source = allowed_by;
    }

    return ICETAP_OK;
}


/* ICETAP_POLICY_ALLOWS and/or ICETAP_POLICY_DENIES */

static int
icetap_policy_document(const icetap_policy_t *p, const char *doc,
    const char *principal, const char *action, const char *resource)
{
    int      r, deny;
    size_t   i, n;
    json_t  *root, *st, *s;

    r = ICETAP_POLICY_NONE;

    if (icetap_policy_validate(doc, strlen(doc), NULL) != ICETAP_OK) {
        return r;
    }

    root = json_loads(doc, 0, NULL);
    if (root == NULL) {
        return r;
    }

    st = json_object_get(root, "Statement");
    n = json_is_array(st) ? json_array_size(st) : 1;

    for (i = 0; i < n; i++) {
        s = json_is_array(st) ? json_array_get(st, i) : st;

        if (!icetap_policy_principal_match(json_object_get(s, "Principal"),
                                           p, principal)
            || !icetap_policy_strings_match(json_object_get(s, "Action"),
                                            action, 1)
            || !icetap_policy_strings_match(json_object_get(s, "Resource"),
                                            resource, 0))
        {
            continue;
        }

        deny = (strcmp(json_string_value(json_object_get(s, "Effect")),
                       "Deny") == 0);

        r |= deny ? ICETAP_POLICY_DENIES : ICETAP_POLICY_ALLOWS;
    }

    json_decref(root);

    return r;
}


static int
icetap_policy_strings_match(json_t *v, const char *s, int nocase)
{
    size_t   i;
    json_t  *e;

    if (json_is_string(v)) {
        return icetap_policy_match(json_string_value(v), s, nocase);
    }

    json_array_foreach(v, i, e) {
        if (json_is_string(e)
            && icetap_policy_match(json_string_value(e), s, nocase))
        {
            return 1;
        }
    }

    return 0;
}


static int
icetap_policy_principal_match(json_t *v, const icetap_policy_t *p,
    const char *principal)
{
    size_t   i;
    json_t  *aws, *e;

    if (json_is_string(v)) {
        return strcmp(json_string_value(v), "*") == 0;
    }

    aws = json_object_get(v, "AWS");

    if (json_is_string(aws)) {
        return icetap_policy_principal_is(json_string_value(aws), p,
                                          principal);
    }

    json_array_foreach(aws, i, e) {
        if (json_is_string(e)
            && icetap_policy_principal_is(json_string_value(e), p,
                                          principal))
        {
            return 1;
        }
    }

    return 0;
}


/*
 * "*": everybody, anonymous included; an access key id; the account
 * ("111122223333" or "arn:aws:iam::111122223333:root"): every key of
 * the gateway; "arn:aws:iam::111122223333:user/KEY": that key.
 */

static int
icetap_policy_principal_is(const char *value, const icetap_policy_t *p,
    const char *principal)
{
    size_t       n;
    const char  *acct, *rest;

    if (strcmp(value, "*") == 0) {
        return 1;
    }

    if (principal == NULL) {
        return 0;
    }

    if (strcmp(value, principal) == 0) {
        return 1;
    }

    acct = (p && p->account_id) ? p->account_id : "";
    n = strlen(acct);

    if (n == 0) {
        return 0;
    }

    if (strcmp(value, acct) == 0) {
        return 1;
    }

    if (strncmp(value, "arn:aws:iam::", 13) != 0
        || strncmp(value + 13, acct, n) != 0
        || value[13 + n] != ':')
    {
        return 0;
    }

    rest = value + 13 + n + 1;

    if (strcmp(rest, "root") == 0) {
        return 1;
    }

    return strncmp(rest, "user/", 5) == 0 && strcmp(rest + 5, principal) == 0;
}
