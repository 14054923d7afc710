// Reads a v2 inventory table downloaded from the store with icebird, an
// Iceberg reader icetap did not write (it applies the position deletes
// itself), and prints the live rows:
//
//   node inventory_icebird.mjs METADATA_JSON_PATH DIR S3_PREFIX
//
// icebird turns s3://b/k into https://b.s3.amazonaws.com/k; fetch is
// answered from DIR (the objects under S3_PREFIX, "s3://bucket/"), with
// HEAD and Range requests as a store would.  Output JSON: {"rows": [...]}
// in the form of inventory_rows.js (timestamps as microseconds, maps as
// objects, SQL NULL as null).

import fs from 'fs'
import path from 'path'
import { icebergRead } from 'icebird'

const [mdPath, dir, prefix] = process.argv.slice(2)
const bucket = prefix.replace(/^s3:\/\//, '').replace(/\/$/, '')

globalThis.fetch = async (input, init = {}) => {
  const url = typeof input === 'string' ? input : input.url
  const m = /^https:\/\/([a-z0-9.-]+)\.s3\.amazonaws\.com\/(.*)$/.exec(url)
  if (!m || m[1] !== bucket) throw new Error('unexpected fetch ' + url)
  const file = path.join(dir, decodeURIComponent(m[2]))
  if (!fs.existsSync(file)) return new Response('', { status: 404 })
  const buf = fs.readFileSync(file)
  const headers = init.headers || {}
  const range = headers.Range || headers.range ||
    (headers.get && headers.get('range'))
  if ((init.method || 'GET') === 'HEAD') {
    return new Response(null, { status: 200,
      headers: { 'content-length': String(buf.length) } })
  }
  if (range) {
    const r = /bytes=(\d+)-(\d*)/.exec(range)
    const start = Number(r[1])
    const end = r[2] === '' ? buf.length - 1 : Number(r[2])
    return new Response(buf.subarray(start, end + 1), { status: 206,
      headers: { 'content-length': String(end + 1 - start),
        'content-range': `bytes ${start}-${end}/${buf.length}` } })
  }
  return new Response(buf, { status: 200,
    headers: { 'content-length': String(buf.length) } })
}

function map(v) {
  if (v === null || v === undefined) return null
  if (Array.isArray(v)) {
    return Object.fromEntries(v.map((e) => [e.key, e.value]))
  }
  if (v instanceof Map) return Object.fromEntries(v)
  return v
}

function micros(v) {
  if (v === null || v === undefined) return null
  if (v instanceof Date) return v.getTime() * 1000
  return Number(v)
}

try {
  const md = JSON.parse(fs.readFileSync(mdPath, 'utf8'))
  const tableUrl = md.location
  const metadataFileName = path.basename(mdPath)
  const rows = await icebergRead({ tableUrl, metadataFileName, metadata: md })
  const out = rows.map((r) => {
    const o = { ...r }
    o.size = o.size === null || o.size === undefined ? null : Number(o.size)
    o.last_modified_date = micros(o.last_modified_date)
    o.object_tags = map(o.object_tags)
    o.user_metadata = map(o.user_metadata)
    for (const k of Object.keys(o)) if (o[k] === undefined) o[k] = null
    return o
  })
  process.stdout.write(JSON.stringify({ rows: out }) + '\n')
} catch (e) {
  process.stderr.write('inventory_icebird: ' + (e.stack || e) + '\n')
  process.exit(1)
}
