'use strict';
// Cross-checks icetap's Avro manifests and manifest lists with avsc, an
// Avro implementation we did not write.
//
//   node avro_check.js check-manifest FILE EXPECTED.json VERSION
//   node avro_check.js check-list FILE EXPECTED.json VERSION
//   node avro_check.js write-manifest VERSION CODEC OUT   (prints expected)
//   node avro_check.js write-list VERSION CODEC OUT       (prints expected)
//
// Longs are read and written as BigInt (a LongType registry entry), so
// values above 2^53 compare exactly.  Output: JSON; exit 1 with a message
// on stderr when a check fails.

const fs = require('fs');
const avro = require('avsc');

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

function typeOf(schema) {
  return avro.Type.forSchema(schema, { registry: { long: BigLong } });
}

function fail(msg) {
  process.stderr.write('avro_check: ' + msg + '\n');
  process.exit(1);
}

// BigInt -> decimal string, Buffer -> hex, recursively
function norm(v) {
  if (typeof v === 'bigint') return v.toString();
  if (Buffer.isBuffer(v)) return v.toString('hex');
  if (Array.isArray(v)) return v.map(norm);
  if (v && typeof v === 'object') {
    const o = {};
    for (const k of Object.keys(v)) o[k] = norm(v[k]);
    return o;
  }
  return v;
}

function canon(v) {
  if (Array.isArray(v)) return '[' + v.map(canon).join(',') + ']';
  if (v && typeof v === 'object') {
    return '{' + Object.keys(v).sort()
      .map((k) => JSON.stringify(k) + ':' + canon(v[k])).join(',') + '}';
  }
  return JSON.stringify(v);
}

function decode(path) {
  return new Promise((resolve, reject) => {
    const out = { records: [] };
    avro.createFileDecoder(path, {
      parseHook: (schema) => {
        out.schema = schema;
        return typeOf(schema);
      },
    })
      .on('metadata', (type, codec, header) => {
        out.codec = codec;
        out.meta = {};
        for (const k of Object.keys(header.meta)) {
          out.meta[k] = header.meta[k].toString();
        }
      })
      .on('data', (r) => out.records.push(r))
      .on('error', reject)
      .on('end', () => resolve(out));
  });
}

// field name -> {id, type} of a record schema
function fieldsOf(rec) {
  const m = {};
  for (const f of rec.fields) m[f.name] = f;
  return m;
}

function unwrap(t) {
  if (Array.isArray(t)) return t.find((b) => b !== 'null');
  return t;
}

function expectIds(fields, ids, where) {
  for (const [name, id] of Object.entries(ids)) {
    if (!fields[name]) fail(where + ': no field ' + name);
    if (fields[name]['field-id'] !== id) {
      fail(where + ': ' + name + ' has field-id ' + fields[name]['field-id'] +
           ', expected ' + id);
    }
  }
}

function checkManifestSchema(schema, version) {
  if (schema.name !== 'manifest_entry') fail('record name ' + schema.name);
  const top = fieldsOf(schema);
  expectIds(top, { status: 0, snapshot_id: 1, sequence_number: 3,
                   file_sequence_number: 4, data_file: 2 }, 'manifest_entry');
  const r2 = top.data_file.type;
  if (r2.name !== 'r2') fail('data_file record is ' + r2.name);
  const df = fieldsOf(r2);
  const ids = {
    content: 134, file_path: 100, file_format: 101, partition: 102,
    record_count: 103, file_size_in_bytes: 104, column_sizes: 108,
    value_counts: 109, null_value_counts: 110, nan_value_counts: 137,
    lower_bounds: 125, upper_bounds: 128, key_metadata: 131,
    split_offsets: 132, equality_ids: 135, sort_order_id: 140,
    referenced_data_file: 143,
  };
  if (version >= 3) {
    Object.assign(ids, { first_row_id: 142, content_offset: 144,
                         content_size_in_bytes: 145 });
  } else {
    for (const n of ['first_row_id', 'content_offset',
                     'content_size_in_bytes']) {
      if (df[n]) fail('v2 manifest has ' + n);
    }
  }
  expectIds(df, ids, 'r2');
  const maps = {
    column_sizes: [117, 118], value_counts: [119, 120],
    null_value_counts: [121, 122], nan_value_counts: [138, 139],
    lower_bounds: [126, 127], upper_bounds: [129, 130],
  };
  for (const [name, [k, v]] of Object.entries(maps)) {
    const arr = unwrap(df[name].type);
    if (arr.type !== 'array' || arr.logicalType !== 'map') {
      fail(name + ' is not an array with logicalType map');
    }
    if (arr.items.name !== 'k' + k + '_v' + v) {
      fail(name + ' entry record is ' + arr.items.name);
    }
    expectIds(fieldsOf(arr.items), { key: k, value: v }, name);
  }
  if (unwrap(df.split_offsets.type)['element-id'] !== 133) {
    fail('split_offsets element-id');
  }
  if (unwrap(df.equality_ids.type)['element-id'] !== 136) {
    fail('equality_ids element-id');
  }
  const part = df.partition.type;
  if (part.name !== 'r102') fail('partition record is ' + part.name);
  expectIds(fieldsOf(part), { record_timestamp_day: 1000 }, 'r102');
  const day = unwrap(fieldsOf(part).record_timestamp_day.type);
  if (day.logicalType !== 'date') fail('day partition is not a date');
}

function checkListSchema(schema, version) {
  if (schema.name !== 'manifest_file') fail('record name ' + schema.name);
  const f = fieldsOf(schema);
  const ids = {
    manifest_path: 500, manifest_length: 501, partition_spec_id: 502,
    content: 517, sequence_number: 515, min_sequence_number: 516,
    added_snapshot_id: 503, added_files_count: 504,
    existing_files_count: 505, deleted_files_count: 506,
    added_rows_count: 512, existing_rows_count: 513,
    deleted_rows_count: 514, partitions: 507, key_metadata: 519,
  };
  if (version >= 3) ids.first_row_id = 520;
  else if (f.first_row_id) fail('v2 list has first_row_id');
  expectIds(f, ids, 'manifest_file');
  const arr = unwrap(f.partitions.type);
  if (arr['element-id'] !== 508) fail('partitions element-id');
  if (arr.items.name !== 'r508') fail('field summary record name');
  expectIds(fieldsOf(arr.items), { contains_null: 509, contains_nan: 518,
                                   lower_bound: 510, upper_bound: 511 },
            'r508');
}

function compare(got, want, what) {
  const g = canon(got);
  const w = canon(want);
  if (g !== w) fail(what + ' differ:\n got:  ' + g + '\n want: ' + w);
}

async function checkManifest(file, expectedFile, version) {
  const exp = JSON.parse(fs.readFileSync(expectedFile, 'utf8'));
  const d = await decode(file);
  checkManifestSchema(d.schema, version);
  if (d.meta['format-version'] !== String(version)) fail('format-version');
  for (const k of ['schema', 'schema-id', 'partition-spec',
                   'partition-spec-id', 'content']) {
    if (d.meta[k] === undefined) fail('header has no ' + k);
  }
  const spec = JSON.parse(d.meta['partition-spec']);
  if (spec[0]['field-id'] !== 1000 || spec[0].transform !== 'day') {
    fail('partition-spec header ' + d.meta['partition-spec']);
  }
  if (JSON.parse(d.meta.schema)['schema-id'] !== 0) fail('schema header');
  compare(norm(d.records), exp.entries, 'manifest entries');
  console.log(JSON.stringify({ codec: d.codec, entries: d.records.length }));
}

async function checkList(file, expectedFile, version) {
  const exp = JSON.parse(fs.readFileSync(expectedFile, 'utf8'));
  const d = await decode(file);
  checkListSchema(d.schema, version);
  const want = {
    'snapshot-id': '3051729675574597004',
    'parent-snapshot-id': '9007199254740993',
    'sequence-number': '7',
    'format-version': String(version),
  };
  if (version >= 3) want['first-row-id'] = '9007199254740000';
  for (const [k, v] of Object.entries(want)) {
    if (d.meta[k] !== v) fail('list header ' + k + ' = ' + d.meta[k]);
  }
  compare(norm(d.records), exp.manifests, 'manifest list');
  console.log(JSON.stringify({ codec: d.codec,
                               manifests: d.records.length }));
}

// the schemas of spec section 3, written out independently of the C code
function manifestSchema(version) {
  const opt = (name, type, id) =>
    ({ name, type: ['null', type], default: null, 'field-id': id });
  const map = (name, id, k, v, vt) => opt(name, {
    type: 'array', logicalType: 'map',
    items: { type: 'record', name: 'k' + k + '_v' + v, fields: [
      { name: 'key', type: 'int', 'field-id': k },
      { name: 'value', type: vt, 'field-id': v }] } }, id);
  const df = [
    { name: 'content', type: 'int', 'field-id': 134 },
    { name: 'file_path', type: 'string', 'field-id': 100 },
    { name: 'file_format', type: 'string', 'field-id': 101 },
    { name: 'partition', 'field-id': 102, type: { type: 'record',
      name: 'r102', fields: [opt('record_timestamp_day',
        { type: 'int', logicalType: 'date' }, 1000)] } },
    { name: 'record_count', type: 'long', 'field-id': 103 },
    { name: 'file_size_in_bytes', type: 'long', 'field-id': 104 },
    map('column_sizes', 108, 117, 118, 'long'),
    map('value_counts', 109, 119, 120, 'long'),
    map('null_value_counts', 110, 121, 122, 'long'),
    map('nan_value_counts', 137, 138, 139, 'long'),
    map('lower_bounds', 125, 126, 127, 'bytes'),
    map('upper_bounds', 128, 129, 130, 'bytes'),
    opt('key_metadata', 'bytes', 131),
    opt('split_offsets', { type: 'array', items: 'long',
                           'element-id': 133 }, 132),
    opt('equality_ids', { type: 'array', items: 'int',
                          'element-id': 136 }, 135),
    opt('sort_order_id', 'int', 140),
  ];
  if (version >= 3) df.push(opt('first_row_id', 'long', 142));
  df.push(opt('referenced_data_file', 'string', 143));
  if (version >= 3) {
    df.push(opt('content_offset', 'long', 144));
    df.push(opt('content_size_in_bytes', 'long', 145));
  }
  return { type: 'record', name: 'manifest_entry', fields: [
    { name: 'status', type: 'int', 'field-id': 0 },
    opt('snapshot_id', 'long', 1),
    opt('sequence_number', 'long', 3),
    opt('file_sequence_number', 'long', 4),
    { name: 'data_file', 'field-id': 2,
      type: { type: 'record', name: 'r2', fields: df } }] };
}

function listSchema(version) {
  const opt = (name, type, id) =>
    ({ name, type: ['null', type], default: null, 'field-id': id });
  const f = [
    { name: 'manifest_path', type: 'string', 'field-id': 500 },
    { name: 'manifest_length', type: 'long', 'field-id': 501 },
    { name: 'partition_spec_id', type: 'int', 'field-id': 502 },
    { name: 'content', type: 'int', 'field-id': 517 },
    { name: 'sequence_number', type: 'long', 'field-id': 515 },
    { name: 'min_sequence_number', type: 'long', 'field-id': 516 },
    { name: 'added_snapshot_id', type: 'long', 'field-id': 503 },
    { name: 'added_files_count', type: 'int', 'field-id': 504 },
    { name: 'existing_files_count', type: 'int', 'field-id': 505 },
    { name: 'deleted_files_count', type: 'int', 'field-id': 506 },
    { name: 'added_rows_count', type: 'long', 'field-id': 512 },
    { name: 'existing_rows_count', type: 'long', 'field-id': 513 },
    { name: 'deleted_rows_count', type: 'long', 'field-id': 514 },
    opt('partitions', { type: 'array', 'element-id': 508, items: {
      type: 'record', name: 'r508', fields: [
        { name: 'contains_null', type: 'boolean', 'field-id': 509 },
        opt('contains_nan', 'boolean', 518),
        opt('lower_bound', 'bytes', 510),
        opt('upper_bound', 'bytes', 511)] } }, 507),
    opt('key_metadata', 'bytes', 519),
  ];
  if (version >= 3) f.push(opt('first_row_id', 'long', 520));
  return { type: 'record', name: 'manifest_file', fields: f };
}

function encode(path, schema, codec, metadata, records) {
  return new Promise((resolve, reject) => {
    const meta = {};
    for (const [k, v] of Object.entries(metadata)) meta[k] = Buffer.from(v);
    // a schema object keeps the field ids in the header; the BigInt type
    // is swapped in for encoding
    const enc = new avro.streams.BlockEncoder(schema, { codec, metadata: meta,
                                                        blockSize: 256 });
    enc._type = typeOf(schema);
    const file = fs.createWriteStream(path);
    enc.on('error', reject);
    file.on('error', reject);
    file.on('finish', resolve);
    enc.pipe(file);
    for (const r of records) enc.write(r);
    enc.end();
  });
}

async function writeManifest(version, codec, out) {
  const B = (hex) => Buffer.from(hex, 'hex');
  const df = (o) => {
    const d = Object.assign({
      content: 0, file_format: 'PARQUET',
      partition: { record_timestamp_day: null },
      column_sizes: null, value_counts: null, null_value_counts: null,
      nan_value_counts: null, lower_bounds: null, upper_bounds: null,
      key_metadata: null, split_offsets: null, equality_ids: null,
      sort_order_id: null, referenced_data_file: null,
    }, o);
    if (version >= 3) {
      d.first_row_id = o.first_row_id === undefined ? null : o.first_row_id;
      d.content_offset = null;
      d.content_size_in_bytes = null;
    }
    return d;
  };
  const records = [
    { status: 1, snapshot_id: 8070450532247928832n, sequence_number: null,
      file_sequence_number: null, data_file: df({
        file_path: 's3://avsc/data/x.parquet',
        partition: { record_timestamp_day: 17486 },
        record_count: 12n, file_size_in_bytes: 4096n,
        column_sizes: [{ key: 1, value: 123n }, { key: 2, value: 9n }],
        value_counts: [{ key: 1, value: 12n }],
        null_value_counts: [{ key: 1, value: 0n }],
        nan_value_counts: [],
        lower_bounds: [{ key: 1, value: B('00ff') }],
        upper_bounds: [{ key: 1, value: B('') }],
        split_offsets: [4n, 9007199254740993n],
        sort_order_id: 0 }) },
    { status: 0, snapshot_id: 5n, sequence_number: 2n,
      file_sequence_number: 9223372036854775807n, data_file: df({
        file_path: 's3://avsc/data/y.parquet',
        partition: { record_timestamp_day: -1 },
        record_count: 1n, file_size_in_bytes: 2n,
        key_metadata: B('beef'), equality_ids: [3, 4],
        first_row_id: 9007199254740995n }) },
    { status: 2, snapshot_id: null, sequence_number: 1n,
      file_sequence_number: 1n, data_file: df({
        file_path: 's3://avsc/data/z.parquet', file_format: 'AVRO',
        record_count: 0n, file_size_in_bytes: 0n }) },
  ];
  if (version < 3) delete records[1].data_file.first_row_id;
  const schema = manifestSchema(version);
  const meta = {
    schema: '{"type":"struct","schema-id":0,"fields":[' +
      '{"id":4,"name":"ts","required":true,"type":"timestamp"}]}',
    'schema-id': '0',
    'partition-spec': '[{"name":"record_timestamp_day","transform":"day",' +
      '"source-id":4,"field-id":1000}]',
    'partition-spec-id': '0',
    'format-version': String(version),
    content: 'data',
  };
  await encode(out, schema, codec, meta, records);
  const entries = norm(records);
  // an empty map reads back as null from our reader (no entries)
  entries[0].data_file.nan_value_counts = null;
  console.log(JSON.stringify({ meta: { 'format-version': String(version),
                                       content: 'data' }, entries }));
}

async function writeList(version, codec, out) {
  const B = (hex) => Buffer.from(hex, 'hex');
  const m = (o) => {
    const r = Object.assign({
      partition_spec_id: 0, content: 0, added_files_count: 1,
      existing_files_count: 0, deleted_files_count: 0,
      added_rows_count: 1n, existing_rows_count: 0n, deleted_rows_count: 0n,
      partitions: null, key_metadata: null,
    }, o);
    if (version >= 3 && r.first_row_id === undefined) r.first_row_id = null;
    if (version < 3) delete r.first_row_id;
    return r;
  };
  const records = [
    m({ manifest_path: 's3://avsc/m0.avro', manifest_length: 5000n,
        sequence_number: 7n, min_sequence_number: 7n,
        added_snapshot_id: 3051729675574597004n,
        added_rows_count: 9007199254740993n,
        partitions: [{ contains_null: true, contains_nan: false,
                       lower_bound: B('4e440000'), upper_bound: null }],
        first_row_id: 9007199254740000n }),
    m({ manifest_path: 's3://avsc/m1.avro', manifest_length: 1n,
        partition_spec_id: 3, content: 1, sequence_number: 3n,
        min_sequence_number: 1n, added_snapshot_id: 1n,
        key_metadata: B('00'), partitions: [] }),
  ];
  const meta = {
    'snapshot-id': '3051729675574597004',
    'parent-snapshot-id': '9007199254740993', 'sequence-number': '7',
    'format-version': String(version),
  };
  if (version >= 3) meta['first-row-id'] = '9007199254740000';
  await encode(out, listSchema(version), codec, meta, records);
  console.log(JSON.stringify({ meta, manifests: norm(records) }));
}

async function main() {
  const [cmd, a, b, c] = process.argv.slice(2);
  if (cmd === 'check-manifest') await checkManifest(a, b, Number(c));
  else if (cmd === 'check-list') await checkList(a, b, Number(c));
  else if (cmd === 'write-manifest') await writeManifest(Number(a), b, c);
  else if (cmd === 'write-list') await writeList(Number(a), b, c);
  else fail('unknown command ' + cmd);
}

main().catch((e) => fail(e.stack || String(e)));
