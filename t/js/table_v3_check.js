'use strict';
// Reads a v3 table icetap wrote to a local directory with readers icetap
// did not write, and prints the live ids:
//
//   node table_v3_check.js METADATA_JSON_PATH
//
// avsc decodes the manifest list and manifests of the current snapshot
// (v3 fields: first_row_id, referenced_data_file, content_offset,
// content_size_in_bytes, with their field ids); each deletion vector is
// cut out of its Puffin file at content_offset/content_size_in_bytes and
// checked (length, magic, CRC-32, cardinality = record_count), its
// 64-bit portable roaring decoded with the npm roaring package; DuckDB
// reads every live data file with file_row_number, and the rows whose
// positions are not in the file's DV are the live rows.
//
// Output JSON: {"live":[ids], "dvs":N, "data_files":N, "row_ids":bool}.

const fs = require('fs');
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

function fail(msg) {
  process.stderr.write('table_v3_check: ' + msg + '\n');
  process.exit(1);
}

function local(uri) {
  if (!uri.startsWith('file://')) fail('not a file URI: ' + uri);
  return uri.slice('file://'.length);
}

function decode(path) {
  return new Promise((resolve, reject) => {
    const out = { records: [], schema: null, meta: {} };
    avro.createFileDecoder(path, {
      parseHook: (schema) => {
        out.schema = schema;
        return avro.Type.forSchema(schema, { registry: { long: BigLong } });
      },
    })
      .on('metadata', (type, codec, header) => {
        for (const k of Object.keys(header.meta)) {
          out.meta[k] = header.meta[k].toString();
        }
      })
      .on('data', (r) => out.records.push(r))
      .on('error', reject)
      .on('end', () => resolve(out));
  });
}

function fieldIds(schema, acc = {}) {
  if (schema && typeof schema === 'object') {
    if (Array.isArray(schema)) {
      schema.forEach((s) => fieldIds(s, acc));
    } else {
      for (const f of schema.fields || []) {
        if (f['field-id'] !== undefined) acc[f.name] = f['field-id'];
        fieldIds(f.type, acc);
      }
      if (schema.items) fieldIds(schema.items, acc);
    }
  }
  return acc;
}

function opt(v) {
  // avsc decodes ["null", T] unions to the bare value (or null)
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
  const md = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  if (md['format-version'] !== 3) fail('not a v3 table');
  const cur = md['current-snapshot-id'];
  const snap = md.snapshots.find((s) => String(s['snapshot-id']) === String(cur));
  if (!snap) fail('no current snapshot');

  const list = await decode(local(snap['manifest-list']));
  const lids = fieldIds(list.schema);
  if (lids.first_row_id !== 520 || lids.manifest_path !== 500) {
    fail('manifest list field ids: ' + JSON.stringify(lids));
  }
  if (list.meta['format-version'] !== '3') fail('list format-version');
  if (list.meta['first-row-id'] !== String(snap['first-row-id'])) {
    fail('list first-row-id header');
  }

  const dataFiles = [];
  const dvs = new Map();
  let rowIds = true;

  for (const mf of list.records) {
    const m = await decode(local(mf.manifest_path));
    const ids = fieldIds(m.schema);
    for (const [name, id] of [['first_row_id', 142],
      ['referenced_data_file', 143], ['content_offset', 144],
      ['content_size_in_bytes', 145], ['file_path', 100]]) {
      if (ids[name] !== id) fail(`manifest field ${name} id ${ids[name]}`);
    }
    const firstRowId = opt(mf.first_row_id);
    if (mf.content === 0 && firstRowId === null) rowIds = false;
    if (mf.content === 1 && firstRowId !== null) fail('delete manifest row id');

    let next = firstRowId;
    for (const e of m.records) {
      const f = e.data_file;
      const seq = opt(e.sequence_number) ?? mf.sequence_number;
      if (e.status === 2) continue;
      if (f.content === 0) {
        let frid = opt(f.first_row_id);
        if (frid === null && next !== null) {
          frid = next;
          next += f.record_count;
        }
        if (frid === null) rowIds = false;
        dataFiles.push({ path: f.file_path, seq, rows: f.record_count });
      } else if (f.content === 1) {
        if (f.file_format !== 'PUFFIN') fail('v3 delete file not Puffin');
        const ref = opt(f.referenced_data_file);
        if (dvs.has(ref)) fail('two live DVs for ' + ref);
        const off = Number(opt(f.content_offset));
        const len = Number(opt(f.content_size_in_bytes));
        const buf = fs.readFileSync(local(f.file_path));
        if (BigInt(buf.length) !== f.file_size_in_bytes) fail('puffin size');
        const pos = decodeDv(buf.subarray(off, off + len));
        if (BigInt(pos.size) !== f.record_count) fail('DV cardinality');
        dvs.set(ref, { pos, seq });
      }
    }
  }

  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  const live = [];
  for (const df of dataFiles) {
    const r = await con.runAndReadAll(
      `SELECT id, file_row_number FROM read_parquet('${local(df.path)}',
       file_row_number = true) ORDER BY file_row_number`);
    const rows = r.getRows();
    if (BigInt(rows.length) !== df.rows) fail('record_count of ' + df.path);
    const dv = dvs.get(df.path);
    for (const [id, pos] of rows) {
      if (dv && dv.seq >= df.seq && dv.pos.has(BigInt(pos))) continue;
      live.push(Number(id));
    }
  }
  for (const ref of dvs.keys()) {
    if (!dataFiles.find((d) => d.path === ref)) fail('DV of a dead file');
  }
  live.sort((a, b) => a - b);
  process.stdout.write(JSON.stringify({
    live, dvs: dvs.size, data_files: dataFiles.length, row_ids: rowIds,
  }) + '\n');
}

main().catch((e) => fail(e.stack || String(e)));
