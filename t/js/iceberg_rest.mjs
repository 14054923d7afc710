// Drives the gateway's Iceberg REST catalog with iceberg-js (npm), then
// writes a table's files through the gateway's S3 endpoint -- a Parquet
// data file from DuckDB, a manifest and a manifest list from avsc --
// commits them with add-snapshot through the REST API and reads the
// table back with icebird:
//
//   node iceberg_rest.mjs GATEWAY_ENDPOINT TABLE_BUCKET_ARN
//
// The table bucket's policy lets anonymous callers in (iceberg-js does
// not sign), and the store accepts anonymous object requests.  Prints
// one JSON object of results.

import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { randomUUID } from 'node:crypto'
import { createRequire } from 'node:module'
import { IcebergRestCatalog } from 'iceberg-js'
import { DuckDBInstance } from '@duckdb/node-api'
import { icebergRead } from 'icebird'

const require = createRequire(import.meta.url)
const avro = require('avsc')

const [endpoint, arn] = process.argv.slice(2)
const prefix = encodeURIComponent(arn)
const out = {}

const catalog = new IcebergRestCatalog({
  baseUrl: `${endpoint}/iceberg`,
  catalogName: prefix,
})

const ns = { namespace: ['jsns'] }
const id = { namespace: ['jsns'], name: 'pets' }

function s3Key (uri) {
  const m = /^s3:\/\/([^/]+)\/(.*)$/.exec(uri)
  return { bucket: m[1], key: m[2] }
}

async function put (uri, body) {
  const { bucket, key } = s3Key(uri)
  const r = await fetch(`${endpoint}/${bucket}/${key}`, { method: 'PUT', body })
  if (!r.ok) throw new Error(`PUT ${uri}: ${r.status} ${await r.text()}`)
}

function avroFile (file, schema, meta, records) {
  return new Promise((resolve, reject) => {
    const m = {}
    for (const [k, v] of Object.entries(meta)) m[k] = Buffer.from(v)
    const enc = new avro.streams.BlockEncoder(schema, { metadata: m })
    const w = fs.createWriteStream(file)
    enc.on('error', reject)
    w.on('error', reject)
    w.on('finish', resolve)
    enc.pipe(w)
    for (const r of records) enc.write(r)
    enc.end()
  })
}

const opt = (name, type, fid) =>
  ({ name, type: ['null', type], default: null, 'field-id': fid })

const manifestSchema = {
  type: 'record',
  name: 'manifest_entry',
  fields: [
    { name: 'status', type: 'int', 'field-id': 0 },
    opt('snapshot_id', 'long', 1),
    opt('sequence_number', 'long', 3),
    opt('file_sequence_number', 'long', 4),
    {
      name: 'data_file',
      'field-id': 2,
      type: {
        type: 'record',
        name: 'r2',
        fields: [
          { name: 'content', type: 'int', 'field-id': 134 },
          { name: 'file_path', type: 'string', 'field-id': 100 },
          { name: 'file_format', type: 'string', 'field-id': 101 },
          { name: 'partition', type: { type: 'record', name: 'r102', fields: [] }, 'field-id': 102 },
          { name: 'record_count', type: 'long', 'field-id': 103 },
          { name: 'file_size_in_bytes', type: 'long', 'field-id': 104 },
        ],
      },
    },
  ],
}

const listSchema = {
  type: 'record',
  name: 'manifest_file',
  fields: [
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
  ],
}

const schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', type: 'long', required: true },
    { id: 2, name: 'name', type: 'string', required: false },
  ],
}

async function appendAndRead (name, version, loaded0, tmp, pqBytes, names) {
  const res = {}
  const loaded = name === 'pets'
    ? loaded0
    : await catalog.createTable(ns, {
      name,
      schema,
      properties: { 'format-version': String(version) },
    })
  const loc = loaded.location
  const dataUri = `${loc}/data/00000-0-${randomUUID()}.parquet`
  await put(dataUri, pqBytes)

  const snapshotId = 4242
  const manifest = path.join(tmp, `m-${name}.avro`)
  await avroFile(manifest, manifestSchema, {
    schema: JSON.stringify(schema),
    'schema-id': '0',
    'partition-spec': '[]',
    'partition-spec-id': '0',
    'format-version': String(version),
    content: 'data',
  }, [{
    status: 1,
    snapshot_id: snapshotId,
    sequence_number: null,
    file_sequence_number: null,
    data_file: {
      content: 0,
      file_path: dataUri,
      file_format: 'PARQUET',
      partition: {},
      record_count: names.length,
      file_size_in_bytes: pqBytes.length,
    },
  }])
  const manifestUri = `${loc}/metadata/${randomUUID()}-m0.avro`
  const mBytes = fs.readFileSync(manifest)
  await put(manifestUri, mBytes)

  const list = path.join(tmp, `l-${name}.avro`)
  const entry = {
    manifest_path: manifestUri,
    manifest_length: mBytes.length,
    partition_spec_id: 0,
    content: 0,
    sequence_number: 1,
    min_sequence_number: 1,
    added_snapshot_id: snapshotId,
    added_files_count: 1,
    existing_files_count: 0,
    deleted_files_count: 0,
    added_rows_count: names.length,
    existing_rows_count: 0,
    deleted_rows_count: 0,
  }
  let ls = listSchema
  if (version >= 3) {
    ls = { ...listSchema, fields: [...listSchema.fields, opt('first_row_id', 'long', 520)] }
    entry.first_row_id = 0
  }
  await avroFile(list, ls, {
    'snapshot-id': String(snapshotId),
    'parent-snapshot-id': 'null',
    'sequence-number': '1',
    'format-version': String(version),
  }, [entry])
  const listUri = `${loc}/metadata/snap-${snapshotId}-1-${randomUUID()}.avro`
  await put(listUri, fs.readFileSync(list))

  // the commit, as PyIceberg sends it

  const snapshot = {
    'snapshot-id': snapshotId,
    'sequence-number': 1,
    'timestamp-ms': Date.now(),
    'manifest-list': listUri,
    summary: { operation: 'append', 'added-records': String(names.length) },
    'schema-id': 0,
  }
  if (version >= 3) {
    snapshot['first-row-id'] = 0
    snapshot['added-rows'] = names.length
  }
  const r = await fetch(`${endpoint}/iceberg/v1/${prefix}/namespaces/jsns/tables/${name}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      requirements: [
        { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': null },
        { type: 'assert-table-uuid', uuid: loaded['table-uuid'] },
      ],
      updates: [
        { action: 'add-snapshot', snapshot },
        { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': snapshotId },
      ],
    }),
  })
  res.commit = r.status
  const committed = await r.json()
  res.formatVersion = committed.metadata['format-version']
  res.nextRowId = committed.metadata['next-row-id']

  // icebird, with s3:// mapped onto the gateway

  const realFetch = globalThis.fetch
  const urls = []
  globalThis.fetch = (input, init) => {
    let url = typeof input === 'string' ? input : input.url
    const m = /^https:\/\/([a-z0-9-]+)\.s3\.amazonaws\.com\/(.*)$/.exec(url)
    if (m) url = `${endpoint}/${m[1]}/${m[2]}`
    urls.push(url)
    return realFetch(url, init)
  }
  try {
    const rows = await icebergRead({
      tableUrl: loc,
      metadataFileName: path.basename(committed['metadata-location']),
    })
    res.rows = rows.length
    res.names = rows.map((x) => x.name).sort()
  } finally {
    globalThis.fetch = realFetch
  }
  res.outside = urls.filter((u) => !u.startsWith(endpoint)).length
  return res
}

try {
  await catalog.createNamespace(ns, { properties: { owner: 'js' } })
  out.namespaces = (await catalog.listNamespaces()).map((n) => n.namespace)
  out.nsExists = await catalog.namespaceExists(ns)
  out.nsMissing = await catalog.namespaceExists({ namespace: ['nope'] })

  const created = await catalog.createTable(ns, {
    name: 'pets',
    schema,
    'partition-spec': { 'spec-id': 0, fields: [] },
    'write-order': { 'order-id': 0, fields: [] },
    properties: {},
  })
  out.created = { 'format-version': created['format-version'], 'table-uuid': created['table-uuid'] }
  out.tables = await catalog.listTables(ns)
  const loaded = await catalog.loadTable(id)
  out.loaded = { 'table-uuid': loaded['table-uuid'] }
  out.tableExists = await catalog.tableExists(id)
  try {
    await catalog.createTable(ns, { name: 'pets', schema })
    out.duplicate = 200
  } catch (e) {
    out.duplicate = e.status
  }

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'icetap-rest-'))
  const names = ['ada', 'bob', 'cyd', 'dee', 'eve']
  const pq = path.join(tmp, 'data.parquet')
  const db = await DuckDBInstance.create(':memory:')
  const con = await db.connect()
  await con.run(`COPY (SELECT CAST(i AS BIGINT) AS id, n AS name FROM (VALUES ${names.map((n, i) => `(${i + 1}, '${n}')`).join(', ')}) t(i, n)) TO '${pq}' (FORMAT parquet, FIELD_IDS {id: 1, name: 2})`)
  const pqBytes = fs.readFileSync(pq)

  // v2 (pets) and v3 (pets3): the files, written through the gateway,
  // committed through REST, read back by icebird

  for (const [name, version] of [['pets', 2], ['pets3', 3]]) {
    const r = await appendAndRead(name, version, loaded, tmp, pqBytes, names)
    out[name] = r
  }
  fs.rmSync(tmp, { recursive: true, force: true })
  process.stdout.write(JSON.stringify(out) + '\n')
} catch (e) {
  process.stderr.write('iceberg_rest: ' + (e.stack || e) + '\n' + JSON.stringify(out) + '\n')
  process.exit(1)
}
