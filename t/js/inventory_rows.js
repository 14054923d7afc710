'use strict';
// Reads a live inventory table downloaded from the store with readers
// icetap did not write, and prints its live rows:
//
//   node inventory_rows.js METADATA_JSON_PATH DIR S3_PREFIX
//
// (paths under S3_PREFIX, "s3://bucket/", are read from DIR).  avsc
// decodes the manifest list and the manifests of the current snapshot;
// a v3 table's deletion vectors are cut out of their Puffin files and
// decoded with the npm roaring package (length, magic, CRC-32 and
// cardinality checked), a v2 table's position-delete files are read with
// DuckDB; DuckDB reads every live data file with file_row_number, and the
// rows whose positions no delete covers are the live rows.  The schema
// must be the spec's 16 columns.
//
// Output JSON: {"rows": [...], "format": 2|3, "data_files": N,
// "delete_files": N, "deleted": N, "summary": {...}}; timestamps as
// microseconds, maps as objects, SQL NULL as null.

const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const avro = require('avsc');
const { RoaringBitmap32 } = require('roaring');
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

const COLUMNS = ['bucket', 'key', 'sequence_number', 'version_id',
  'is_delete_marker', 'size', 'last_modified_date', 'e_tag',
  'storage_class', 'is_multipart', 'encryption_status',
  'is_bucket_key_enabled', 'kms_key_arn', 'checksum_algorithm',
  'object_tags', 'user_metadata'];

const [mdPath, dir, prefix] = process.argv.slice(2);

function fail(msg) {
  process.stderr.write('inventory_rows: ' + msg + '\n');
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

function opt(v) {
  if (v && typeof v === 'object' && !Buffer.isBuffer(v)) {
    const keys = Object.keys(v);
    if (keys.length === 1 && ['long', 'string', 'int'].includes(keys[0])) {
      return v[keys[0]];
    }
  }
  return v;
}

function size32(buf, off) {
  const cookie = buf.readUInt32LE(off);
  let n;
  let hasRun = false;
  let pos;
  if ((cookie & 0xffff) === 12347) {
    hasRun = true;
    n = (cookie >>> 16) + 1;
    pos = off + 4 + Math.ceil(n / 8);
  } else if (cookie === 12346) {
    n = buf.readUInt32LE(off + 4);
    pos = off + 8;
  } else {
    throw new Error(`bad roaring cookie ${cookie}`);
  }
  const desc = pos;
  pos += 4 * n;
  if (!hasRun || n >= 4) pos += 4 * n;
  for (let i = 0; i < n; i++) {
    const card = buf.readUInt16LE(desc + 4 * i + 2) + 1;
    const run = hasRun && ((buf[off + 4 + (i >> 3)] >> (i & 7)) & 1);
    if (run) pos += 2 + 4 * buf.readUInt16LE(pos);
    else if (card > 4096) pos += 8192;
    else pos += 2 * card;
  }
  return pos - off;
}

// a deletion-vector-v1 blob -> Set of positions (BigInt)
function decodeDv(blob) {
  const len = blob.readUInt32BE(0);
  if (len !== blob.length - 8) fail(`DV length ${len}, blob ${blob.length}`);
  if (blob.readUInt32BE(4) !== 0xd1d33964) fail('DV magic');
  const crc = blob.readUInt32BE(blob.length - 4);
  if (zlib.crc32(blob.subarray(4, blob.length - 4)) !== crc) fail('DV CRC');
  const vec = blob.subarray(8, blob.length - 4);
  const count = vec.readBigUInt64LE(0);
  const out = new Set();
  let off = 8;
  for (let i = 0n; i < count; i++) {
    const key = vec.readUInt32LE(off);
    off += 4;
    const n = size32(vec, off);
    const bm = RoaringBitmap32.deserialize(vec.subarray(off, off + n),
      'portable');
    for (const low of bm.toArray()) out.add((BigInt(key) << 32n) | BigInt(low));
    off += n;
  }
  if (off !== vec.length) fail('bytes left after the DV bitmaps');
  return out;
}

async function main() {
  const md = JSON.parse(fs.readFileSync(mdPath, 'utf8'));
  const format = md['format-version'];
  const schema = md.schemas.find(
    (s) => s['schema-id'] === md['current-schema-id']);
  const names = schema.fields.map((f) => f.name);
  if (JSON.stringify(names) !== JSON.stringify(COLUMNS)) {
    fail('columns: ' + JSON.stringify(names));
  }
  const cur = md['current-snapshot-id'];
  const snap = md.snapshots.find(
    (s) => String(s['snapshot-id']) === String(cur));
  if (!snap) fail('no current snapshot');

  const list = await decode(local(snap['manifest-list']));
  const dataFiles = [];
  const dvs = new Map();
  const posFiles = [];
  for (const mf of list.records) {
    const m = await decode(local(mf.manifest_path));
    for (const e of m.records) {
      if (e.status === 2) continue;
      const f = e.data_file;
      const seq = opt(e.sequence_number) ?? mf.sequence_number;
      if (f.content === 0) {
        dataFiles.push({ path: f.file_path, seq, rows: f.record_count });
      } else if (f.content === 1 && f.file_format === 'PUFFIN') {
        if (format !== 3) fail('a deletion vector in a v2 table');
        const ref = opt(f.referenced_data_file);
        if (dvs.has(ref)) fail('two live DVs for ' + ref);
        const off = Number(opt(f.content_offset));
        const len = Number(opt(f.content_size_in_bytes));
        const buf = fs.readFileSync(local(f.file_path));
        const pos = decodeDv(buf.subarray(off, off + len));
        if (BigInt(pos.size) !== f.record_count) fail('DV cardinality');
        dvs.set(ref, { pos, seq });
      } else if (f.content === 1) {
        if (format !== 2) fail('a position-delete file in a v3 table');
        posFiles.push({ path: f.file_path, seq, rows: f.record_count });
      } else {
        fail('an equality delete file');
      }
    }
  }

  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();

  // v2: position deletes, each applying to files not newer than itself
  const posDeletes = new Map();
  for (const pf of posFiles) {
    const r = await con.runAndReadAll(
      `SELECT file_path, pos FROM read_parquet('${local(pf.path)}')`);
    const got = r.getRows();
    if (BigInt(got.length) !== pf.rows) fail('record_count of ' + pf.path);
    for (const [fp, pos] of got) {
      if (!posDeletes.has(fp)) posDeletes.set(fp, []);
      posDeletes.get(fp).push({ pos: BigInt(pos), seq: pf.seq });
    }
  }

  const rows = [];
  let deleted = 0;
  for (const df of dataFiles) {
    const r = await con.runAndReadAll(
      `SELECT * REPLACE (
         epoch_us(last_modified_date) AS last_modified_date,
         to_json(object_tags)::VARCHAR AS object_tags,
         to_json(user_metadata)::VARCHAR AS user_metadata)
       FROM read_parquet('${local(df.path)}', file_row_number = true)
       ORDER BY file_row_number`);
    const got = r.getRowObjectsJson();
    if (BigInt(got.length) !== df.rows) fail('record_count of ' + df.path);
    const dv = dvs.get(df.path);
    const pd = new Set((posDeletes.get(df.path) || [])
      .filter((d) => d.seq >= df.seq).map((d) => d.pos));
    for (const row of got) {
      const pos = BigInt(row.file_row_number);
      delete row.file_row_number;
      if ((dv && dv.seq >= df.seq && dv.pos.has(pos)) || pd.has(pos)) {
        deleted++;
        continue;
      }
      for (const k of ['object_tags', 'user_metadata']) {
        row[k] = row[k] === null ? null : JSON.parse(row[k]);
      }
      for (const k of ['last_modified_date', 'size']) {
        row[k] = row[k] === null ? null : Number(row[k]);
      }
      rows.push(row);
    }
  }
  for (const ref of dvs.keys()) {
    if (!dataFiles.find((d) => d.path === ref)) fail('DV of a dead file');
  }
  process.stdout.write(JSON.stringify({
    rows, format, data_files: dataFiles.length,
    delete_files: dvs.size + posFiles.length, deleted,
    summary: snap.summary,
  }) + '\n');
}

main().catch((e) => fail(e.stack || String(e)));
