#!/usr/bin/env python3
"""Compares journal rows (journal_rows.js) with a workload's ground truth
(tap_workload.py --out), column by column with S3 Metadata's NULL rules.

usage: compare_journal.py [--rows-only] GROUND_TRUTH ROWS_JSON BUCKET...

The spec's example questions answered by DuckDB (ROWS_JSON "queries")
are checked too: the deletions against the ground truth, the counts and
sums against the rows (--rows-only: a reader that ran no queries).

Only the truth of the BUCKETs counts.  Every accepted mutation must have
exactly one row, ambiguous ones (connection lost) at most one, and no
other row may exist.  The columns a lookup fills (copies, completed
multipart uploads, tagging changes) may all be NULL together: the version
was gone when the journal looked, as S3 Metadata does (what the request
itself showed, e.g. a copy's storage class, stays).  Prints
"match: N rows" or the differences, and exits 0 or 1.
"""

import json
import sys

RECORD_TYPE = {
    'PutObject': 'CREATE', 'CopyObject': 'CREATE',
    'CompleteMultipartUpload': 'CREATE', 'DeleteObject': 'DELETE',
    'DeleteObjects': 'DELETE', 'PutObjectTagging': 'UPDATE_METADATA',
    'DeleteObjectTagging': 'UPDATE_METADATA',
}
LOOKUP = {'CopyObject', 'CompleteMultipartUpload', 'PutObjectTagging',
          'DeleteObjectTagging'}
LOOKED_UP = ['size', 'e_tag', 'storage_class', 'user_metadata',
             'object_tags', 'last_modified_date']
OBJECT_COLUMNS = ['size', 'last_modified_date', 'e_tag', 'storage_class',
                  'is_multipart', 'encryption_status',
                  'is_bucket_key_enabled', 'kms_key_arn',
                  'checksum_algorithm', 'object_tags', 'user_metadata']


def unquote(v):
    return v.strip('"') if isinstance(v, str) else v


def expected(t):
    rt = RECORD_TYPE[t['op']]
    e = {'record_type': rt, 'version_id': t.get('version_id')}
    if rt == 'DELETE':
        e['is_delete_marker'] = t.get('is_delete_marker')
        if t.get('is_delete_marker'):
            e['size'] = 0
        else:
            for c in OBJECT_COLUMNS:
                e[c] = None
        for c in ('e_tag', 'storage_class', 'object_tags', 'user_metadata'):
            e[c] = None
        return e
    e['is_delete_marker'] = False
    for c in ('size', 'e_tag', 'storage_class', 'user_metadata',
              'object_tags'):
        if c in t:
            e[c] = t[c]
    if rt == 'CREATE':
        e['is_multipart'] = t['op'] == 'CompleteMultipartUpload'
    if t['op'] == 'CopyObject':
        # the model's idea of the source is not always the store's
        e.pop('size', None)
        if t.get('directive') != 'REPLACE':
            # the source's tags and metadata at the copy: only the store
            # knew them (a later change of the source is not modelled)
            e.pop('user_metadata', None)
            e.pop('object_tags', None)
    return e


def diffs(t, row):
    out = []
    e = expected(t)
    gone = t['op'] in LOOKUP and row.get('size') is None
    for c, want in e.items():
        got = row.get(c)
        if c == 'e_tag':
            want, got = unquote(want), unquote(got)
        if gone and c in LOOKED_UP and got is None:
            continue
        if gone and t['op'] == 'CompleteMultipartUpload' \
                and c == 'is_multipart':
            continue
        if want != got:
            out.append('%s: want %r got %r' % (c, want, got))
    for c in ('requester', 'source_ip_address', 'request_id',
              'sequence_number', 'record_timestamp'):
        if row.get(c) in (None, ''):
            out.append('%s is NULL' % c)
    return out


def check_queries(q, truth, rows, buckets):
    """The spec's example questions, answered by DuckDB: deletions (with
    who and from where) equal the ground truth's; the counts and sums
    agree with the rows."""
    if not q:
        return ['no example queries were run']
    out = []
    want = sorted([(t['key'], t.get('version_id'), t.get('is_delete_marker'))
                   for t in truth if t['bucket'] in buckets
                   and t['outcome'] == 'accepted'
                   and RECORD_TYPE.get(t['op']) == 'DELETE'], key=repr)
    got = sorted([(r['key'], r['version_id'], r['is_delete_marker'])
                  for r in q['deleted_7d']], key=repr)
    if want != got:
        out.append('deleted in the last 7 days: %d rows, truth %d' % (
            len(got), len(want)))
    if any(r['requester'] is None or r['source_ip_address'] != '127.0.0.1'
           for r in q['deleted_7d']):
        out.append('deletions without requester or source IP')
    n = sum(1 for r in rows if r['record_type'] != 'DELETE'
            and r['encryption_status'] is None)
    if int(q['not_encrypted']) != n:
        out.append('not encrypted: %s, rows say %d' % (q['not_encrypted'], n))
    up = {}
    for r in rows:
        if r['record_type'] == 'CREATE':
            k = (r['requester'], r['storage_class'])
            o, b = up.get(k, (0, 0))
            up[k] = (o + 1, b + (r['size'] or 0))
    got = {(r['requester'], r['storage_class']):
           (int(r['objects']), int(r['bytes'] or 0)) for r in q['uploads']}
    if got != up:
        out.append('uploads by requester and storage class differ')
    if sum(o for o, _ in up.values()) != sum(
            1 for t in truth if t['bucket'] in buckets
            and t['outcome'] == 'accepted'
            and RECORD_TYPE.get(t['op']) == 'CREATE'):
        out.append('uploads: not one per accepted create')
    return out


def main():
    rows_only = sys.argv[1] == '--rows-only'
    if rows_only:
        del sys.argv[1]
    truth = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
    rows = json.load(open(sys.argv[2]))['rows']
    buckets = set(sys.argv[3:])
    problems = []

    by_key = {}
    for r in sorted(rows, key=lambda r: r['sequence_number']):
        if r['bucket'] not in buckets:
            problems.append('row of bucket %s without configuration: %s' % (
                r['bucket'], r['key']))
            continue
        by_key.setdefault((r['bucket'], r['key']), []).append(r)

    used = set()
    accepted = 0
    last = {}
    for t in truth:
        if t['bucket'] not in buckets or t['outcome'] != 'accepted':
            continue
        if t['op'] not in RECORD_TYPE:
            continue
        accepted += 1
        k = (t['bucket'], t['key'])
        cands = [r for r in by_key.get(k, [])
                 if id(r) not in used
                 and r['record_type'] == RECORD_TYPE[t['op']]]
        best = next((r for r in cands if not diffs(t, r)), None)
        if best is None:
            problems.append('missing or different: %s %s/%s %s' % (
                t['op'], t['bucket'], t['key'],
                [diffs(t, r) for r in cands[:2]] or 'no row'))
            continue
        used.add(id(best))
        if k in last and best['sequence_number'] <= last[k]:
            problems.append('out of order: %s %s/%s' % (t['op'], *k))
        last[k] = best['sequence_number']

    ambiguous = [t for t in truth if t['outcome'] == 'ambiguous'
                 and t['bucket'] in buckets]
    extra = [r for rs in by_key.values() for r in rs if id(r) not in used]
    for r in list(extra):
        for t in ambiguous:
            keys = t.get('keys') or [t.get('key')]
            if not t.get('_used') and t['bucket'] == r['bucket'] \
                    and r['key'] in keys:
                if t['op'] != 'DeleteObjects':
                    t['_used'] = True
                extra.remove(r)
                break
    for r in extra[:20]:
        problems.append('unexpected row: %s %s/%s %s' % (
            r['record_type'], r['bucket'], r['key'], r.get('version_id')))

    if not rows_only:
        problems += check_queries(
            json.load(open(sys.argv[2])).get('queries'), truth, rows,
            buckets)

    if problems:
        for p in problems[:40]:
            print(p)
        print('mismatch: %d problems (%d accepted, %d rows)' % (
            len(problems), accepted, len(rows)))
        return 1
    print('match: %d rows (%d accepted, %d ambiguous)' % (
        len(rows), accepted, len(ambiguous)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
