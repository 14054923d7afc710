'use strict';
// Reads a journal table downloaded from the store with readers icetap did
// not write, and prints its rows:
//
//   node journal_rows.js METADATA_JSON_PATH DIR S3_PREFIX
//
// (paths under S3_PREFIX, "s3://bucket/", are read from DIR).  avsc
// decodes the manifest list and the manifests of the current snapshot,
// checking the partition field day(record_timestamp) and each data
// file's partition value against its rows; DuckDB reads every live data
// file.  The journal is append-only: a delete file fails the check.
//
// Then the spec's example questions in SQL over the same files: what was
// deleted in the last 7 days and by whom, how many objects are not
// encrypted, who uploaded how much to which storage class.
//
// Output JSON: {"rows": [...], "data_files": N, "manifests": N,
// "snapshots": N, "summary": {...}, "queries": {...}}; timestamps as
// microseconds, maps as objects, SQL NULL as null.

const fs = require('fs');
const path = require('path');
const avro = require('avsc');
const { DuckDBInstance } = require('@duckdb/node-api');

const BigLong = avro.types.LongType.__with({
  fromBuffer: (buf) => buf.readBigInt64LE(),
  toBuffer: (n) => {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(BigInt(n));
    return buf;
  },
  fromJSON: BigInt,
  toJSON: Number,
  isValid: (n) => typeof n === 'bigint',
  compare: (a, b) => (a === b ? 0 : a < b ? -1 : 1),
});

const [mdPath, dir, prefix] = process.argv.slice(2);

function fail(msg) {
  process.stderr.write('journal_rows: ' + msg + '\n');
  process.exit(1);
}

function local(uri) {
  if (!uri.startsWith(prefix)) fail('not under ' + prefix + ': ' + uri);
  return path.join(dir, uri.slice(prefix.length));
}

function decode(p) {
  return new Promise((resolve, reject) => {
    const out = { records: [], schema: null };
    avro.createFileDecoder(p, {
      parseHook: (schema) => {
        out.schema = schema;
        return avro.Type.forSchema(schema, { registry: { long: BigLong } });
      },
    })
      .on('data', (r) => out.records.push(r))
      .on('error', reject)
      .on('end', () => resolve(out));
  });
}

function unwrap(v) {
  if (v && typeof v === 'object' && !Buffer.isBuffer(v)) {
    const keys = Object.keys(v);
    if (keys.length === 1 && ['long', 'string', 'int'].includes(keys[0])) {
      return v[keys[0]];
    }
  }
  return v;
}

async function main() {
  const md = JSON.parse(fs.readFileSync(mdPath, 'utf8'));
  const spec = md['partition-specs'].find(
    (s) => s['spec-id'] === md['default-spec-id']);
  if (spec.fields.length !== 1 || spec.fields[0].transform !== 'day'
      || spec.fields[0]['source-id'] !== 5) {
    fail('partition spec: ' + JSON.stringify(spec));
  }
  const cur = md['current-snapshot-id'];
  const snap = md.snapshots.find(
    (s) => String(s['snapshot-id']) === String(cur));
  if (!snap) fail('no current snapshot');

  const list = await decode(local(snap['manifest-list']));
  const files = [];
  for (const mf of list.records) {
    if (mf.content !== 0) fail('a delete manifest in an append-only table');
    const m = await decode(local(mf.manifest_path));
    for (const e of m.records) {
      if (e.status === 2) continue;
      const f = e.data_file;
      if (f.content !== 0) fail('a delete file');
      const day = unwrap(f.partition.record_timestamp_day);
      files.push({ path: local(f.file_path), rows: Number(f.record_count),
        day });
    }
  }

  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  const rows = [];
  for (const f of files) {
    const r = await con.runAndReadAll(
      `SELECT * REPLACE (
         epoch_us(record_timestamp) AS record_timestamp,
         epoch_us(last_modified_date) AS last_modified_date,
         to_json(object_tags)::VARCHAR AS object_tags,
         to_json(user_metadata)::VARCHAR AS user_metadata),
         (epoch_us(record_timestamp) // 86400000000) AS _day
       FROM read_parquet('${f.path}', hive_partitioning = false)`);
    const got = r.getRowObjectsJson();
    if (got.length !== f.rows) fail('record_count of ' + f.path);
    for (const row of got) {
      if (Number(row._day) !== f.day) fail('row outside its partition');
      delete row._day;
      for (const k of ['object_tags', 'user_metadata']) {
        row[k] = row[k] === null ? null : JSON.parse(row[k]);
      }
      for (const k of ['record_timestamp', 'last_modified_date', 'size']) {
        row[k] = row[k] === null ? null : Number(row[k]);
      }
      rows.push(row);
    }
  }
  // the spec's example questions, over the same files
  const all = files.map((f) => `'${f.path}'`).join(', ');
  const from = `read_parquet([${all}], hive_partitioning = false)`;
  const queries = {};
  if (files.length) {
    queries.deleted_7d = (await con.runAndReadAll(
      `SELECT key, version_id, is_delete_marker, requester, source_ip_address
       FROM ${from} WHERE record_type = 'DELETE'
       AND record_timestamp >= now()::TIMESTAMP - INTERVAL 7 DAY
       ORDER BY key, sequence_number`)).getRowObjectsJson();
    queries.not_encrypted = (await con.runAndReadAll(
      `SELECT count(*)::BIGINT AS n FROM ${from}
       WHERE record_type <> 'DELETE' AND encryption_status IS NULL`))
      .getRowObjectsJson()[0].n;
    queries.uploads = (await con.runAndReadAll(
      `SELECT requester, storage_class, count(*)::BIGINT AS objects,
       sum(size)::BIGINT AS bytes FROM ${from}
       WHERE record_type = 'CREATE'
       AND record_timestamp >= now()::TIMESTAMP - INTERVAL 30 DAY
       GROUP BY requester, storage_class ORDER BY requester, storage_class`))
      .getRowObjectsJson();
  }
  process.stdout.write(JSON.stringify({
    rows, data_files: files.length, manifests: list.records.length,
    snapshots: md.snapshots.length, summary: snap.summary, queries,
  }) + '\n');
}

main().catch((e) => fail(e.stack || String(e)));
