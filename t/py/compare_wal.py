#!/usr/bin/env python3
"""Compares the WAL (JSON lines of `icetap wal dump`) with a workload's
ground truth (tap_workload.py --out).

usage: compare_wal.py GROUND_TRUTH WAL_DUMP

Every accepted mutation must have exactly one record, with the same
fields; ambiguous ones (connection lost mid-request) at most one; no other
record may exist.  Records of one key must come in the client's order
(sequence numbers ascending).  Fields the tap cannot see (the size and
metadata of a copy, of a completed multipart upload) must be null and the
record flagged needs_enrichment.  Prints "match: N records" or the
differences, and exits 0 or 1.
"""

import json
import sys

FIELDS = ['version_id', 'is_delete_marker', 'e_tag', 'size', 'object_tags',
          'user_metadata', 'storage_class']


def load(path):
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]


def main():
    truth = load(sys.argv[1])
    wal = load(sys.argv[2])
    problems = []

    by_key = {}
    for r in sorted(wal, key=lambda r: r['sequence_number']):
        by_key.setdefault((r['bucket'], r['key']), []).append(r)

    for recs in by_key.values():
        seqs = [r['sequence_number'] for r in recs]
        if len(set(seqs)) != len(seqs):
            problems.append('duplicate sequence numbers %r' % seqs)

    used = set()

    def candidates(t):
        return [r for r in by_key.get((t['bucket'], t['key']), [])
                if id(r) not in used and r['op'] == t['op']]

    def matches(t, r):
        diffs = []
        for f in FIELDS:
            if f not in t:
                continue
            want, got = t[f], r.get(f)
            if got is None and r.get('needs_enrichment') \
                    and f in ('size', 'object_tags', 'user_metadata',
                              'storage_class', 'e_tag'):
                continue
            if f == 'e_tag' and want and got:
                want, got = want.strip('"'), got.strip('"')
            if want != got:
                diffs.append('%s: want %r got %r' % (f, want, got))
        if t['op'] == 'CompleteMultipartUpload' and not r.get('is_multipart'):
            diffs.append('is_multipart not set')
        if t['op'] in ('CopyObject', 'CompleteMultipartUpload') \
                and not r.get('needs_enrichment'):
            diffs.append('not flagged needs_enrichment')
        if t['op'] == 'CopyObject' and t.get('directive') == 'REPLACE':
            # REPLACE directives: the request shows tags and metadata
            for f in ('object_tags', 'user_metadata'):
                if r.get(f) is None:
                    diffs.append('%s of a REPLACE copy not recorded' % f)
        return diffs

    last_seq = {}
    accepted = 0
    for t in truth:
        if t['outcome'] != 'accepted':
            continue
        accepted += 1
        cands = candidates(t)
        best = None
        for r in cands:
            if not matches(t, r):
                best = r
                break
        if best is None:
            why = [matches(t, r) for r in cands[:3]]
            problems.append('missing or different: %s %s/%s %s' % (
                t['op'], t['bucket'], t['key'], why or 'no record'))
            continue
        used.add(id(best))
        k = (t['bucket'], t['key'])
        if k in last_seq and best['sequence_number'] <= last_seq[k]:
            problems.append('out of order: %s %s/%s' % (t['op'], *k))
        last_seq[k] = best['sequence_number']

    ambiguous = [t for t in truth if t['outcome'] == 'ambiguous']
    extra = [r for r in wal if id(r) not in used]
    for r in list(extra):
        for t in ambiguous:
            if t.get('_used'):
                continue
            keys = t.get('keys') or [t.get('key')]
            if t['bucket'] == r['bucket'] and r['key'] in keys \
                    and (t['op'] == r['op'] or t['op'] == 'failing'):
                if t['op'] != 'DeleteObjects':
                    t['_used'] = True
                extra.remove(r)
                break

    for r in extra[:20]:
        problems.append('unexpected record: %s %s/%s %s' % (
            r['op'], r['bucket'], r['key'], r.get('version_id')))
    if len(extra) > 20:
        problems.append('... and %d more unexpected records' % (len(extra) - 20))

    if problems:
        for p in problems[:40]:
            print(p)
        print('mismatch: %d problems (%d accepted, %d records)' % (
            len(problems), accepted, len(wal)))
        return 1
    print('match: %d records (%d accepted, %d ambiguous)' % (
        len(wal), accepted, len(ambiguous)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
