/*
 * Copyright (C) icetap authors
 *
 * Authorization of the control-plane APIs: who (an access key id, or
 * nobody) may do which action ("s3tables:GetTable") on which resource
 * (a table bucket or table ARN).  Two sources of statements combine:
 *
 *   - rules from the nginx configuration ("icetap_policy allow|deny
 *     PRINCIPAL ACTION RESOURCE"), and
 *   - resource policies, IAM JSON documents stored with a table bucket
 *     or a table (Put(TableBucket|Table)Policy).
 *
 * As in IAM: an explicit deny in any source wins; otherwise an allow in
 * any source allows; otherwise the request is denied.  Anonymous
 * requests match only statements whose principal is "*".
 *
 * Patterns: "*" matches any run of characters and "?" one character;
 * actions compare without regard to case, resources with it.
 */

#ifndef ICETAP_POLICY_H
#define ICETAP_POLICY_H


#include <icetap/core.h>


#define ICETAP_POLICY_MAX_LEN  20480


typedef enum {
    ICETAP_POLICY_ALLOW = 0,
    ICETAP_POLICY_DENY
} icetap_policy_effect_e;


typedef struct {
    icetap_policy_effect_e   effect;
    const char              *principal;    /* "*" or an access key id */
    const char              *action;       /* pattern */
    const char              *resource;     /* pattern */
} icetap_policy_rule_t;


typedef enum {
    ICETAP_POLICY_IMPLICIT_DENY = 0,       /* nothing allowed it */
    ICETAP_POLICY_ALLOWED,
    ICETAP_POLICY_EXPLICIT_DENY
} icetap_policy_outcome_e;


typedef struct {
    icetap_policy_outcome_e  outcome;
    const char              *source;       /* "config", "table bucket
                                              policy", "table policy",
                                              NULL when implicit */
} icetap_policy_decision_t;


typedef struct {
    const icetap_policy_rule_t  *rules;     /* from the configuration */
    size_t                       nrules;
    const char                  *account_id;  /* "arn:aws:iam::ID:root" */
} icetap_policy_t;


/* whether s matches pattern; nocase: ASCII case-insensitive */
int icetap_policy_match(const char *pattern, const char *s, int nocase);

/* whether an action pattern is well formed ("service:Name*") */
int icetap_policy_valid_action(const char *action);

/*
 * Checks a resource policy document: JSON, a "Statement" (an object or
 * a list of them) whose statements have "Effect" ("Allow" or "Deny"),
 * "Principal" ("*" or {"AWS": string or list}), "Action" and
 * "Resource" (string or list of strings).  Members icetap cannot honour
 * (NotPrincipal, NotAction, NotResource, Condition) make the document
 * ICETAP_UNSUPPORTED; a malformed one is ICETAP_INVALID.
 */
icetap_rc icetap_policy_validate(const char *doc, size_t len,
    icetap_error_t *err);

/*
 * The decision for principal (NULL: anonymous) doing action on
 * resource, with the resource policies that apply (NULL: none).  A
 * stored policy that does not parse allows nothing and denies nothing.
 */
icetap_rc icetap_policy_evaluate(const icetap_policy_t *p,
    const char *principal, const char *action, const char *resource,
    const char *bucket_policy, const char *table_policy,
    icetap_policy_decision_t *d, icetap_error_t *err);


#endif /* ICETAP_POLICY_H */
