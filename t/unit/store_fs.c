/*
 * Copyright (C) icetap authors
 *
 * The shared store suite against the local-filesystem store, plus the
 * checks only a file system store needs.
 */


#include <stdlib.h>
#include <unistd.h>

#include "store_suite.h"


static char  root[256];


static icetap_store_t *
open_fs(void)
{
    icetap_error_t  err;

    return icetap_store_fs_create(root, &err);
}


int
main(void)
{
    char             cmd[300];
    icetap_rc        rc;
    const char      *tmp;
    icetap_error_t   err;
    icetap_store_t  *s;

    tmp = getenv("TMPDIR");
    snprintf(root, sizeof(root), "%s/icetap-store-XXXXXX",
             tmp ? tmp : "/tmp");

    if (mkdtemp(root) == NULL) {
        printf("1..0 # SKIP cannot create a temporary directory\n");
        return 0;
    }

    suite_run(open_fs, 3 * 1024 * 1024 + 17, 1);

    s = icetap_store_fs_create(root, &err);

    rc = icetap_store_put_buf(s, "a/../../etc/x", "x", 1, NULL, NULL, &err);
    is_int(rc, ICETAP_INVALID, "key with .. refused: %s", err.msg);
    rc = icetap_store_put_buf(s, "/abs", "x", 1, NULL, NULL, &err);
    is_int(rc, ICETAP_INVALID, "key with a leading / refused");
    rc = icetap_store_put_buf(s, "a//b", "x", 1, NULL, NULL, &err);
    is_int(rc, ICETAP_INVALID, "key with an empty segment refused");
    rc = icetap_store_put_buf(s, ".icetap-lock", "x", 1, NULL, NULL, &err);
    is_int(rc, ICETAP_INVALID, "reserved key refused");

    icetap_store_destroy(s);

    s = icetap_store_fs_create("/nonexistent/icetap", &err);
    ok(s == NULL && err.code == ICETAP_INVALID, "missing root: %s", err.msg);

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    if (system(cmd) != 0) {
        diag("could not remove %s", root);
    }

    return done_testing();
}
