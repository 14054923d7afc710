/*
 * Copyright (C) icetap authors
 */


#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <icetap/form.h>


static const char *
icetap_memmem(const char *h, size_t hl, const char *n, size_t nl)
{
    return memmem(h, hl, n, nl);
}


icetap_rc
icetap_form_boundary(const char *ct, size_t len, char *boundary, size_t size,
    icetap_error_t *err)
{
    size_t       n;
    const char  *p, *end, *q;

    end = ct + len;

    if (len < 19 || strncasecmp(ct, "multipart/form-data", 19) != 0) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "not a multipart/form-data body");
    }

    for (p = ct + 19; p < end; p++) {
        if (end - p > 9 && strncasecmp(p, "boundary=", 9) == 0
            && (p[-1] == ';' || p[-1] == ' ' || p[-1] == '\t'))
        {
            p += 9;

            if (p < end && *p == '"') {
                p++;
                q = memchr(p, '"', end - p);
                if (q == NULL) {
                    break;
                }

            } else {
                for (q = p; q < end && *q != ';' && *q != ' '; q++) {
                    /* void */
                }
            }

            n = q - p;

            if (n == 0 || n > 70 || n >= size) {
                break;
            }

            memcpy(boundary, p, n);
            boundary[n] = '\0';

            return ICETAP_OK;
        }
    }

    return icetap_error_set(err, ICETAP_INVALID,
                            "multipart/form-data without a valid boundary");
}


/* a parameter of a Content-Disposition header: name="x" */

static int
icetap_form_param(const char *h, size_t len, const char *param, char *out,
    size_t size)
{
    size_t       pl, n;
    const char  *p, *end, *q;

    pl = strlen(param);
    end = h + len;

    for (p = h; p + pl + 2 <= end; p++) {
        if (strncasecmp(p, param, pl) != 0 || p[pl] != '='
            || (p > h && p[-1] != ' ' && p[-1] != ';' && p[-1] != '\t'))
        {
            continue;
        }

        p += pl + 1;

        if (*p == '"') {
            p++;
            q = memchr(p, '"', end - p);
            if (q == NULL) {
                return -1;
            }

        } else {
            for (q = p; q < end && *q != ';' && *q != ' '; q++) {
                /* void */
            }
        }

        n = q - p;

        if (n >= size) {
            return -1;
        }

        memcpy(out, p, n);
        out[n] = '\0';

        return 0;
    }

    return -1;
}


icetap_rc
icetap_form_parse(const char *head, size_t len, const char *boundary,
    icetap_form_field_pt handler, void *ctx, icetap_form_file_t *file,
    icetap_error_t *err)
{
    char         delim[80], name[256];
    size_t       dl;
    const char  *p, *end, *hdrs, *hend, *line, *next, *data;

    dl = snprintf(delim, sizeof(delim), "\r\n--%s", boundary);
    end = head + len;

    file->file_offset = 0;
    file->filename[0] = '\0';

    /* the first delimiter may open the body without the CRLF */

    if (len >= dl - 2 && memcmp(head, delim + 2, dl - 2) == 0) {
        p = head + dl - 2;

    } else {
        p = icetap_memmem(head, len, delim, dl);
        if (p == NULL) {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "form body without a boundary");
        }

        p += dl;
    }

    for ( ;; ) {
        if (end - p >= 2 && p[0] == '-' && p[1] == '-') {
            return icetap_error_set(err, ICETAP_NOTFOUND,
                                    "form has no file field");
        }

        if (end - p < 2 || p[0] != '\r' || p[1] != '\n') {
            return icetap_error_set(err, end - p < 2 ? ICETAP_NOTFOUND
                                                     : ICETAP_INVALID,
                                    "malformed form part delimiter");
        }

        hdrs = p + 2;
        hend = icetap_memmem(hdrs, end - hdrs, "\r\n\r\n", 4);

        if (hend == NULL) {
            return icetap_error_set(err, ICETAP_NOTFOUND,
                                    "form part headers incomplete");
        }

        name[0] = '\0';
        file->filename[0] = '\0';

        for (line = hdrs; line < hend; line = next + 2) {
            next = icetap_memmem(line, hend + 2 - line, "\r\n", 2);

            if (next - line > 20
                && strncasecmp(line, "Content-Disposition:", 20) == 0)
            {
                if (icetap_form_param(line + 20, next - line - 20, "name",
                                      name, sizeof(name)) != 0)
                {
                    return icetap_error_set(err, ICETAP_INVALID,
                                            "form part without a name");
                }

                (void) icetap_form_param(line + 20, next - line - 20,
                                         "filename", file->filename,
                                         sizeof(file->filename));
            }
        }

        data = hend + 4;

        if (strcasecmp(name, "file") == 0) {
            file->file_offset = data - head;
            return ICETAP_OK;
        }

        p = icetap_memmem(data, end - data, delim, dl);
        if (p == NULL) {
            return icetap_error_set(err, ICETAP_NOTFOUND,
                                    "form field \"%s\" incomplete", name);
        }

        if (handler(ctx, name, data, p - data) != 0) {
            return icetap_error_set(err, ICETAP_ERROR,
                                    "form field \"%s\" refused", name);
        }

        p += dl;
    }
}


icetap_rc
icetap_form_file_end(const char *tail, size_t tail_len, size_t body_len,
    size_t file_offset, const char *boundary, size_t *end,
    icetap_error_t *err)
{
    char         delim[80];
    size_t       dl, tail_start, skip;
    const char  *p;

    dl = snprintf(delim, sizeof(delim), "\r\n--%s", boundary);

    /*
     * The file ends at the first delimiter after its first byte.  Its
     * bytes cannot contain the delimiter, so when the tail starts inside
     * the file the first delimiter found in the tail is that one; only
     * fields after the file (which S3 ignores) follow it.
     */

    tail_start = body_len - tail_len;
    skip = file_offset > tail_start ? file_offset - tail_start : 0;

    if (skip > tail_len) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "form file starts after the body's end");
    }

    p = icetap_memmem(tail + skip, tail_len - skip, delim, dl);

    if (p == NULL) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "form body has no closing boundary");
    }

    *end = tail_start + (p - tail);

    return ICETAP_OK;
}
