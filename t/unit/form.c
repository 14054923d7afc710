/*
 * Copyright (C) icetap authors
 *
 * POST object upload forms.
 */


#include <icetap/form.h>

#include "tap.h"


typedef struct {
    int   n;
    char  names[8][32];
    char  values[8][64];
} fields_t;


static int
on_field(void *ctx, const char *name, const char *value, size_t len)
{
    fields_t  *f = ctx;

    if (f->n == 8 || len >= 64) {
        return 1;
    }

    snprintf(f->names[f->n], 32, "%s", name);
    memcpy(f->values[f->n], value, len);
    f->values[f->n][len] = '\0';
    f->n++;

    return 0;
}


int
main(void)
{
    char                b[80];
    size_t              end;
    fields_t            f;
    icetap_error_t      err;
    icetap_form_file_t  file;
    const char         *body =
        "--XyZ\r\n"
        "Content-Disposition: form-data; name=\"key\"\r\n\r\n"
        "uploads/${filename}\r\n"
        "--XyZ\r\n"
        "Content-Disposition: form-data; name=\"x-amz-meta-owner\"\r\n\r\n"
        "me\r\n"
        "--XyZ\r\n"
        "Content-Disposition: form-data; name=\"file\"; "
        "filename=\"a b.txt\"\r\n"
        "Content-Type: text/plain\r\n\r\n"
        "hello\r\n--XyZ\r\n"
        "Content-Disposition: form-data; name=\"ignored\"\r\n\r\n"
        "after\r\n"
        "--XyZ--\r\n";

    ok(icetap_form_boundary("multipart/form-data; boundary=XyZ", 33, b,
                            sizeof(b), &err) == ICETAP_OK, "boundary");
    is_str(b, "XyZ", "boundary value");
    ok(icetap_form_boundary("multipart/form-data; boundary=\"a;b\"", 35, b,
                            sizeof(b), &err) == ICETAP_OK && strcmp(b, "a;b")
       == 0, "quoted boundary");
    ok(icetap_form_boundary("text/plain", 10, b, sizeof(b), &err)
       == ICETAP_INVALID, "not a form: %s", err.msg);
    ok(icetap_form_boundary("multipart/form-data", 19, b, sizeof(b), &err)
       == ICETAP_INVALID, "form without boundary: %s", err.msg);

    memset(&f, 0, sizeof(f));
    ok(icetap_form_parse(body, strlen(body), "XyZ", on_field, &f, &file,
                         &err) == ICETAP_OK, "parse");
    is_int(f.n, 2, "two fields before the file");
    is_str(f.names[0], "key", "key field");
    is_str(f.values[0], "uploads/${filename}", "key value");
    is_str(f.values[1], "me", "metadata value");
    is_str(file.filename, "a b.txt", "filename");
    ok(memcmp(body + file.file_offset, "hello", 5) == 0, "file offset");

    ok(icetap_form_file_end(body, strlen(body), strlen(body),
                            file.file_offset, "XyZ", &end, &err)
       == ICETAP_OK, "file end");
    is_int(end - file.file_offset, 5, "file size");

    /* a tail that starts inside the file */
    ok(icetap_form_file_end(body + file.file_offset + 2,
                            strlen(body) - file.file_offset - 2,
                            strlen(body), file.file_offset, "XyZ", &end,
                            &err) == ICETAP_OK
       && end - file.file_offset == 5, "file end from a tail");

    memset(&f, 0, sizeof(f));
    ok(icetap_form_parse(body, 60, "XyZ", on_field, &f, &file, &err)
       == ICETAP_NOTFOUND, "head cut before the file: %s", err.msg);

    ok(icetap_form_parse("--XyZ\r\nContent-Disposition: form-data\r\n\r\nx"
                         "\r\n--XyZ--", 49, "XyZ", on_field, &f, &file, &err)
       == ICETAP_INVALID, "part without a name: %s", err.msg);

    ok(icetap_form_parse("garbage", 7, "XyZ", on_field, &f, &file, &err)
       == ICETAP_INVALID, "garbage: %s", err.msg);

    ok(icetap_form_parse("--XyZ--\r\n", 9, "XyZ", on_field, &f, &file, &err)
       == ICETAP_NOTFOUND, "no file: %s", err.msg);

    return done_testing();
}
