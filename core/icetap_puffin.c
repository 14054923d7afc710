/*
 * Copyright (C) icetap authors
 *
 * Puffin layout: "PFA1" blob... footer, where footer = "PFA1" JSON
 * payload, payload length (int32 LE), flags (4 bytes, all zero here:
 * uncompressed) and "PFA1".
 */


#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <icetap/hash.h>
#include <icetap/puffin.h>


#define ICETAP_DV_MAGIC_0  0xD1
#define ICETAP_DV_MAGIC_1  0xD3
#define ICETAP_DV_MAGIC_2  0x39
#define ICETAP_DV_MAGIC_3  0x64


struct icetap_puffin_writer_s {
    icetap_buf_t   data;            /* magic and blobs */
    json_t        *blobs;
    char          *created_by;
};


static void icetap_puffin_put32be(uint8_t *p, uint32_t v);
static uint32_t icetap_puffin_get32be(const uint8_t *p);
static icetap_rc icetap_puffin_props(json_t *obj, icetap_puffin_prop_t **out,
    size_t *n);


icetap_puffin_writer_t *
icetap_puffin_writer_create(const char *created_by)
{
    icetap_puffin_writer_t  *w;

    w = icetap_calloc(1, sizeof(icetap_puffin_writer_t));
    if (w == NULL) {
        return NULL;
    }

    w->blobs = json_array();

    if (created_by != NULL) {
        w->created_by = icetap_strndup(created_by, strlen(created_by));
    }

    if (w->blobs == NULL || (created_by != NULL && w->created_by == NULL)
        || icetap_buf_append(&w->data, ICETAP_PUFFIN_MAGIC, 4) != ICETAP_OK)
    {
        icetap_puffin_writer_destroy(w);
        return NULL;
    }

    return w;
}


void
icetap_puffin_writer_destroy(icetap_puffin_writer_t *w)
{
    if (w == NULL) {
        return;
    }

    json_decref(w->blobs);
    icetap_buf_free(&w->data);
    icetap_free(w->created_by);
    icetap_free(w);
}


icetap_rc
icetap_puffin_add_blob(icetap_puffin_writer_t *w, const char *type,
    const int32_t *fields, size_t nfields, int64_t snapshot_id,
    int64_t sequence_number, const void *data, size_t len,
    const char *const *props, size_t nprops, int64_t *offset,
    int64_t *length, icetap_error_t *err)
{
    size_t   i, off;
    json_t  *blob, *f, *p;

    off = w->data.len;

    blob = json_object();
    f = json_array();
    p = nprops ? json_object() : NULL;

    if (blob == NULL || f == NULL || (nprops && p == NULL)) {
        goto nomem;
    }

    for (i = 0; i < nfields; i++) {
        if (json_array_append_new(f, json_integer(fields[i])) != 0) {
            goto nomem;
        }
    }

    for (i = 0; i < nprops; i++) {
        if (json_object_set_new(p, props[2 * i],
                                json_string(props[2 * i + 1])) != 0)
        {
            json_decref(blob);
            json_decref(f);
            json_decref(p);
            return icetap_error_set(err, ICETAP_INVALID,
                                    "puffin blob property \"%s\" is not "
                                    "valid UTF-8", props[2 * i]);
        }
    }

    /* the key order Java writes */

    if (json_object_set_new(blob, "type", json_string(type)) != 0
        || json_object_set(blob, "fields", f) != 0
        || json_object_set_new(blob, "snapshot-id",
                               json_integer(snapshot_id)) != 0
        || json_object_set_new(blob, "sequence-number",
                               json_integer(sequence_number)) != 0
        || json_object_set_new(blob, "offset", json_integer(off)) != 0
        || json_object_set_new(blob, "length", json_integer(len)) != 0
        || (p != NULL && json_object_set(blob, "properties", p) != 0)
        || icetap_buf_append(&w->data, data, len) != ICETAP_OK)
    {
        goto nomem;
    }

    if (json_array_append(w->blobs, blob) != 0) {
        w->data.len = off;
        goto nomem;
    }

    json_decref(blob);
    json_decref(f);
    json_decref(p);

    if (offset != NULL) {
        *offset = (int64_t) off;
    }

    if (length != NULL) {
        *length = (int64_t) len;
    }

    return ICETAP_OK;

nomem:

    json_decref(blob);
    json_decref(f);
    json_decref(p);

    return icetap_error_set(err, ICETAP_NOMEM, "no memory for a puffin blob");
}


icetap_rc
icetap_puffin_add_dv(icetap_puffin_writer_t *w,
    const char *referenced_data_file, const icetap_roaring64_t *positions,
    int64_t *offset, int64_t *length, icetap_error_t *err)
{
    char           card[32];
    int32_t        field;
    icetap_rc      rc;
    const char    *props[4];
    icetap_buf_t   blob;

    if (referenced_data_file == NULL || referenced_data_file[0] == '\0') {
        return icetap_error_set(err, ICETAP_INVALID,
                                "a deletion vector needs the referenced "
                                "data file");
    }

    memset(&blob, 0, sizeof(blob));

    rc = icetap_dv_encode(positions, &blob, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    snprintf(card, sizeof(card), "%" PRIu64,
             icetap_roaring64_cardinality(positions));

    props[0] = "referenced-data-file";
    props[1] = referenced_data_file;
    props[2] = "cardinality";
    props[3] = card;
    field = ICETAP_PUFFIN_POS_FIELD;

    rc = icetap_puffin_add_blob(w, ICETAP_PUFFIN_DV_TYPE, &field, 1, -1, -1,
                                blob.data, blob.len, props, 2, offset,
                                length, err);

    icetap_buf_free(&blob);

    return rc;
}


icetap_rc
icetap_puffin_finish(icetap_puffin_writer_t *w, icetap_buf_t *out,
    icetap_error_t *err)
{
    char      *payload;
    size_t     plen, start;
    json_t    *meta, *props;
    uint8_t    tail[12];

    meta = json_object();
    props = NULL;

    if (meta == NULL || json_object_set(meta, "blobs", w->blobs) != 0) {
        json_decref(meta);
        return icetap_error_set(err, ICETAP_NOMEM, "no memory");
    }

    if (w->created_by != NULL) {
        props = json_object();

        if (props == NULL
            || json_object_set_new(props, "created-by",
                                   json_string(w->created_by)) != 0
            || json_object_set_new(meta, "properties", props) != 0)
        {
            json_decref(meta);
            return icetap_error_set(err, ICETAP_NOMEM, "no memory");
        }
    }

    payload = json_dumps(meta, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(meta);

    if (payload == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "no memory for the "
                                "puffin footer");
    }

    plen = strlen(payload);

    if (plen > INT32_MAX) {
        free(payload);
        return icetap_error_set(err, ICETAP_INVALID, "puffin footer too "
                                "large");
    }

    /* payload length int32 LE, flags 0 (uncompressed), magic */

    tail[0] = (uint8_t) plen;
    tail[1] = (uint8_t) (plen >> 8);
    tail[2] = (uint8_t) (plen >> 16);
    tail[3] = (uint8_t) (plen >> 24);
    memset(tail + 4, 0, 4);
    memcpy(tail + 8, ICETAP_PUFFIN_MAGIC, 4);

    start = out->len;

    if (icetap_buf_append(out, w->data.data, w->data.len) != ICETAP_OK
        || icetap_buf_append(out, ICETAP_PUFFIN_MAGIC, 4) != ICETAP_OK
        || icetap_buf_append(out, payload, plen) != ICETAP_OK
        || icetap_buf_append(out, tail, 12) != ICETAP_OK)
    {
        out->len = start;
        free(payload);
        return icetap_error_set(err, ICETAP_NOMEM, "no memory for the "
                                "puffin file");
    }

    free(payload);

    return ICETAP_OK;
}


static icetap_rc
icetap_puffin_props(json_t *obj, icetap_puffin_prop_t **out, size_t *n)
{
    size_t       i;
    json_t      *v;
    const char  *k;

    *out = NULL;
    *n = 0;

    if (obj == NULL) {
        return ICETAP_OK;
    }

    if (!json_is_object(obj)) {
        return ICETAP_INVALID;
    }

    *out = icetap_calloc(json_object_size(obj) + 1,
                         sizeof(icetap_puffin_prop_t));
    if (*out == NULL) {
        return ICETAP_NOMEM;
    }

    i = 0;

    json_object_foreach(obj, k, v) {
        if (!json_is_string(v)) {
            return ICETAP_INVALID;
        }

        (*out)[i].name = icetap_strndup(k, strlen(k));
        (*out)[i].value = icetap_strndup(json_string_value(v),
                                         json_string_length(v));
        *n = ++i;

        if ((*out)[i - 1].name == NULL || (*out)[i - 1].value == NULL) {
            return ICETAP_NOMEM;
        }
    }

    return ICETAP_OK;
}


icetap_rc
icetap_puffin_read_footer(const uint8_t *tail, size_t tail_len,
    uint64_t file_size, icetap_puffin_footer_t *f, size_t *need,
    icetap_error_t *err)
{
    size_t                 i, j;
    json_t                *root, *blobs, *b, *v, *x;
    int64_t                plen;
    uint64_t               footer;
    icetap_rc              rc;
    json_error_t           jerr;
    const uint8_t         *t, *payload;
    icetap_puffin_blob_t  *blob;

    memset(f, 0, sizeof(icetap_puffin_footer_t));

    if (tail_len > file_size) {
        return icetap_error_set(err, ICETAP_INVALID, "puffin tail longer "
                                "than the file");
    }

    if (file_size < 4 + 16) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "puffin file of %" PRIu64 " bytes is too "
                                "short", file_size);
    }

    if (tail_len < 12) {
        if (need != NULL) {
            *need = 12;
        }

        return ICETAP_AGAIN;
    }

    t = tail + tail_len - 12;

    if (memcmp(t + 8, ICETAP_PUFFIN_MAGIC, 4) != 0) {
        return icetap_error_set(err, ICETAP_INVALID, "puffin file does not "
                                "end with PFA1");
    }

    plen = (int32_t) ((uint32_t) t[0] | (uint32_t) t[1] << 8
                      | (uint32_t) t[2] << 16 | (uint32_t) t[3] << 24);

    if (plen < 0) {
        return icetap_error_set(err, ICETAP_INVALID, "negative puffin "
                                "footer length");
    }

    if (t[4] & 1) {
        return icetap_error_set(err, ICETAP_UNSUPPORTED,
                                "LZ4-compressed puffin footers are not "
                                "supported");
    }

    if ((t[4] & ~1) || t[5] || t[6] || t[7]) {
        return icetap_error_set(err, ICETAP_INVALID, "reserved puffin "
                                "footer flags are set");
    }

    footer = (uint64_t) plen + 16;

    if (footer + 4 > file_size) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "puffin footer of %" PRIu64 " bytes does not "
                                "fit a file of %" PRIu64, footer, file_size);
    }

    if (tail_len < footer) {
        if (need != NULL) {
            *need = (size_t) footer;
        }

        return ICETAP_AGAIN;
    }

    payload = tail + tail_len - footer + 4;

    if (memcmp(payload - 4, ICETAP_PUFFIN_MAGIC, 4) != 0) {
        return icetap_error_set(err, ICETAP_INVALID, "puffin footer does "
                                "not start with PFA1");
    }

    if (tail_len == file_size && memcmp(tail, ICETAP_PUFFIN_MAGIC, 4) != 0) {
        return icetap_error_set(err, ICETAP_INVALID, "puffin file does not "
                                "start with PFA1");
    }

    root = json_loadb((const char *) payload, (size_t) plen, 0, &jerr);
    if (root == NULL) {
        return icetap_error_set(err, ICETAP_INVALID, "puffin footer JSON: "
                                "%s at %d", jerr.text, jerr.position);
    }

    rc = ICETAP_INVALID;
    blobs = json_object_get(root, "blobs");

    if (!json_is_array(blobs)) {
        icetap_error_set(err, rc, "puffin footer has no \"blobs\" array");
        goto done;
    }

    if (icetap_puffin_props(json_object_get(root, "properties"), &f->props,
                            &f->nprops) != ICETAP_OK)
    {
        icetap_error_set(err, rc, "bad puffin file properties");
        goto done;
    }

    f->blobs = icetap_calloc(json_array_size(blobs) + 1,
                             sizeof(icetap_puffin_blob_t));
    if (f->blobs == NULL) {
        rc = icetap_error_set(err, ICETAP_NOMEM, "no memory");
        goto done;
    }

    json_array_foreach(blobs, i, b) {
        blob = &f->blobs[i];
        f->nblobs = i + 1;

        v = json_object_get(b, "type");
        x = json_object_get(b, "fields");

        if (!json_is_string(v) || !json_is_array(x)
            || !json_is_integer(json_object_get(b, "snapshot-id"))
            || !json_is_integer(json_object_get(b, "sequence-number"))
            || !json_is_integer(json_object_get(b, "offset"))
            || !json_is_integer(json_object_get(b, "length")))
        {
            icetap_error_set(err, rc, "puffin blob %zu lacks a required "
                             "field", i);
            goto done;
        }

        blob->type = icetap_strndup(json_string_value(v),
                                    json_string_length(v));
        blob->fields = icetap_calloc(json_array_size(x) + 1,
                                     sizeof(int32_t));

        if (blob->type == NULL || blob->fields == NULL) {
            rc = icetap_error_set(err, ICETAP_NOMEM, "no memory");
            goto done;
        }

        json_array_foreach(x, j, v) {
            if (!json_is_integer(v)) {
                icetap_error_set(err, rc, "puffin blob %zu has a "
                                 "non-integer field id", i);
                goto done;
            }

            blob->fields[j] = (int32_t) json_integer_value(v);
            blob->nfields = j + 1;
        }

        blob->snapshot_id =
            json_integer_value(json_object_get(b, "snapshot-id"));
        blob->sequence_number =
            json_integer_value(json_object_get(b, "sequence-number"));
        blob->offset = json_integer_value(json_object_get(b, "offset"));
        blob->length = json_integer_value(json_object_get(b, "length"));

        if (blob->offset < 4 || blob->length < 0
            || (uint64_t) blob->offset + (uint64_t) blob->length
               > file_size - footer)
        {
            icetap_error_set(err, rc, "puffin blob %zu (%" PRId64 "+%"
                             PRId64 ") outside the blob area", i,
                             blob->offset, blob->length);
            goto done;
        }

        v = json_object_get(b, "compression-codec");

        if (v != NULL && !json_is_null(v)) {
            if (!json_is_string(v)) {
                icetap_error_set(err, rc, "puffin blob %zu has a bad "
                                 "compression-codec", i);
                goto done;
            }

            blob->compression_codec = icetap_strndup(json_string_value(v),
                                                     json_string_length(v));
            if (blob->compression_codec == NULL) {
                rc = icetap_error_set(err, ICETAP_NOMEM, "no memory");
                goto done;
            }
        }

        if (icetap_puffin_props(json_object_get(b, "properties"),
                                &blob->props, &blob->nprops) != ICETAP_OK)
        {
            icetap_error_set(err, rc, "puffin blob %zu has bad properties",
                             i);
            goto done;
        }
    }

    rc = ICETAP_OK;

done:

    json_decref(root);

    if (rc != ICETAP_OK) {
        icetap_puffin_footer_free(f);
    }

    return rc;
}


void
icetap_puffin_footer_free(icetap_puffin_footer_t *f)
{
    size_t                 i, j;
    icetap_puffin_blob_t  *b;

    for (i = 0; i < f->nblobs; i++) {
        b = &f->blobs[i];

        icetap_free(b->type);
        icetap_free(b->fields);
        icetap_free(b->compression_codec);

        for (j = 0; j < b->nprops; j++) {
            icetap_free(b->props[j].name);
            icetap_free(b->props[j].value);
        }

        icetap_free(b->props);
    }

    for (j = 0; j < f->nprops; j++) {
        icetap_free(f->props[j].name);
        icetap_free(f->props[j].value);
    }

    icetap_free(f->props);
    icetap_free(f->blobs);

    memset(f, 0, sizeof(icetap_puffin_footer_t));
}


const char *
icetap_puffin_blob_prop(const icetap_puffin_blob_t *b, const char *name)
{
    size_t  i;

    for (i = 0; i < b->nprops; i++) {
        if (strcmp(b->props[i].name, name) == 0) {
            return b->props[i].value;
        }
    }

    return NULL;
}


static void
icetap_puffin_put32be(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t) (v >> 24);
    p[1] = (uint8_t) (v >> 16);
    p[2] = (uint8_t) (v >> 8);
    p[3] = (uint8_t) v;
}


static uint32_t
icetap_puffin_get32be(const uint8_t *p)
{
    return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16
           | (uint32_t) p[2] << 8 | (uint32_t) p[3];
}


icetap_rc
icetap_dv_encode(const icetap_roaring64_t *positions, icetap_buf_t *out,
    icetap_error_t *err)
{
    size_t    start, vlen;
    uint8_t   magic[4] = { ICETAP_DV_MAGIC_0, ICETAP_DV_MAGIC_1,
                           ICETAP_DV_MAGIC_2, ICETAP_DV_MAGIC_3 };
    uint64_t  max;
    uint32_t  crc;

    if (icetap_roaring64_max(positions, &max) && (max >> 63)) {
        return icetap_error_set(err, ICETAP_INVALID, "deletion vector "
                                "position %" PRIu64 " has the sign bit set",
                                max);
    }

    start = out->len;

    if (icetap_buf_append(out, "\0\0\0\0", 4) != ICETAP_OK
        || icetap_buf_append(out, magic, 4) != ICETAP_OK
        || icetap_roaring64_serialize(positions, out) != ICETAP_OK
        || icetap_buf_reserve(out, 4) != ICETAP_OK)
    {
        out->len = start;
        return icetap_error_set(err, ICETAP_NOMEM, "no memory for a "
                                "deletion vector");
    }

    vlen = out->len - start - 8;

    if (vlen + 4 > UINT32_MAX) {
        out->len = start;
        return icetap_error_set(err, ICETAP_INVALID, "deletion vector too "
                                "large");
    }

    /* length covers magic + vector; CRC-32 over the same bytes */

    icetap_puffin_put32be(out->data + start, (uint32_t) (vlen + 4));

    crc = icetap_crc32(0, out->data + start + 4, vlen + 4);
    icetap_puffin_put32be(out->data + out->len, crc);
    out->len += 4;

    return ICETAP_OK;
}


icetap_rc
icetap_dv_decode(const uint8_t *blob, size_t len,
    icetap_roaring64_t **positions, icetap_error_t *err)
{
    size_t               used;
    uint32_t             n, crc;
    uint64_t             max;
    icetap_rc            rc;
    icetap_roaring64_t  *r;

    *positions = NULL;

    if (len < 12 + 8) {
        return icetap_error_set(err, ICETAP_INVALID, "deletion vector blob "
                                "of %zu bytes is too short", len);
    }

    n = icetap_puffin_get32be(blob);

    if ((size_t) n != len - 8) {
        return icetap_error_set(err, ICETAP_INVALID, "deletion vector "
                                "length field %u, blob of %zu bytes needs "
                                "%zu", n, len, len - 8);
    }

    if (blob[4] != ICETAP_DV_MAGIC_0 || blob[5] != ICETAP_DV_MAGIC_1
        || blob[6] != ICETAP_DV_MAGIC_2 || blob[7] != ICETAP_DV_MAGIC_3)
    {
        return icetap_error_set(err, ICETAP_INVALID, "bad deletion vector "
                                "magic %02x%02x%02x%02x", blob[4], blob[5],
                                blob[6], blob[7]);
    }

    crc = icetap_crc32(0, blob + 4, n);

    if (crc != icetap_puffin_get32be(blob + 4 + n)) {
        return icetap_error_set(err, ICETAP_INVALID, "deletion vector "
                                "CRC-32 mismatch (computed %08x, stored "
                                "%08x)", crc,
                                icetap_puffin_get32be(blob + 4 + n));
    }

    rc = icetap_roaring64_deserialize(blob + 8, n - 4, &r, &used, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    if (used != n - 4) {
        icetap_roaring64_destroy(r);
        return icetap_error_set(err, ICETAP_INVALID, "deletion vector has "
                                "%zu bytes after its bitmap",
                                (size_t) (n - 4 - used));
    }

    if (icetap_roaring64_max(r, &max) && (max >> 63)) {
        icetap_roaring64_destroy(r);
        return icetap_error_set(err, ICETAP_INVALID, "deletion vector "
                                "position with the sign bit set");
    }

    *positions = r;

    return ICETAP_OK;
}
