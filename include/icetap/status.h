/*
 * Copyright (C) icetap authors
 *
 * The status document: what icetap's helpers report, gathered from the
 * WAL directory where each keeps its own small JSON file, written whole
 * and renamed into place at the end of each pass:
 *
 *     status.json     the WAL housekeeper: segments, records, bytes,
 *                     damage, the oldest unsealed segment  ("wal")
 *     verify.json     the WAL verifier                     ("verify")
 *     journal.json    the journal helper: per table lag, commits, rows,
 *                     last commit, last error              ("journal")
 *     <name>.json     any other helper's report            ("<name>")
 *
 * and whether each helper runs (it holds helpers/<name>.lock while it
 * does).  Rendered as one JSON object
 *
 *     { "version": 1, "now_ms": ..., "helpers": { "journal":
 *       { "running": true }, ... }, "wal": { ... }, "journal": { ... } }
 *
 * or as Prometheus text: every number of a report becomes a gauge
 * icetap_<report>_<member> (members of nested objects joined with "_",
 * booleans as 0/1); an array of objects, e.g. the journal's "tables",
 * gives one sample per element labelled with the element's short string
 * members (bucket, namespace, table, ...), and a string member "error"
 * becomes a 0/1 gauge; "updated_ms" becomes icetap_<report>_age_seconds.
 */

#ifndef ICETAP_STATUS_H
#define ICETAP_STATUS_H


#include <icetap/core.h>


typedef enum {
    ICETAP_STATUS_JSON = 0,
    ICETAP_STATUS_PROMETHEUS
} icetap_status_format_e;


icetap_rc icetap_status_render(const char *wal_dir,
    icetap_status_format_e format, int64_t now_ms, icetap_buf_t *out,
    icetap_error_t *err);


#endif /* ICETAP_STATUS_H */
