#!/usr/bin/env python3
"""Compares an inventory table, as read back by t/js/inventory_rows.js,
with the ground truth of t/py/inventory_workload.py truth.

usage: compare_inventory.py TRUTH_JSONL ROWS_JSON BUCKET [BUCKET...]

Rows are matched on (bucket, key, version_id) and must be equal column for
column; sequence_number must be 16 hex digits; a delete marker's
last_modified_date may differ by up to 2 s (the store keeps the time it
made the marker, the tap the time of the request).  Prints "match: N
rows" or the differences, and exits 1 on any.
"""

import json
import re
import sys

COLUMNS = ['bucket', 'key', 'sequence_number', 'version_id',
           'is_delete_marker', 'size', 'last_modified_date', 'e_tag',
           'storage_class', 'is_multipart', 'encryption_status',
           'is_bucket_key_enabled', 'kms_key_arn', 'checksum_algorithm',
           'object_tags', 'user_metadata']


def main():
    buckets = set(sys.argv[3:])
    truth = {}
    for line in open(sys.argv[1]):
        r = json.loads(line)
        if r['bucket'] in buckets:
            truth[(r['bucket'], r['key'], r['version_id'])] = r
    got = json.load(open(sys.argv[2]))['rows']
    problems = []
    seen = {}
    for r in got:
        if sorted(r) != sorted(COLUMNS):
            problems.append('columns %s' % sorted(r))
            continue
        if r['bucket'] not in buckets:
            problems.append('row of another bucket: %s' % r['bucket'])
            continue
        k = (r['bucket'], r['key'], r['version_id'])
        if k in seen:
            problems.append('twice: %s' % (k,))
            continue
        seen[k] = r
        if not re.fullmatch(r'[0-9a-f]{16}', r['sequence_number'] or ''):
            problems.append('sequence_number %r' % r['sequence_number'])
        t = truth.get(k)
        if t is None:
            problems.append('not in the bucket: %s' % (k,))
            continue
        for c in COLUMNS:
            if c == 'sequence_number':
                continue
            a, b = r[c], t[c]
            if c == 'last_modified_date' and t['is_delete_marker'] \
                    and a is not None and abs(a - b) <= 2000000:
                continue
            if a != b:
                problems.append('%s %s: %r, truth %r' % (k, c, a, b))
    for k in truth:
        if k not in seen:
            problems.append('missing: %s' % (k,))
    if problems:
        for p in problems[:40]:
            print(p)
        print('mismatch: %d problems (%d rows, %d in truth)' % (
            len(problems), len(got), len(truth)))
        return 1
    print('match: %d rows' % len(got))
    return 0


if __name__ == '__main__':
    sys.exit(main())
