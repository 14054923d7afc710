// Reads a journal table with icebird (an Iceberg reader icetap did not
// write: manifest lists, manifests, Parquet data files and v2 delete
// files all decoded by it) straight from the store, and prints its rows
// in the shape journal_rows.js prints them:
//
//   node journal_icebird.mjs STORE_ENDPOINT TABLE_LOCATION METADATA_FILE
//
// TABLE_LOCATION is the table's s3://bucket/prefix; METADATA_FILE the
// name of its current metadata file under metadata/.  icebird turns
// s3://b/k into https://b.s3.amazonaws.com/k; fetch is routed to the
// local store (path style), where the objects are read anonymously.
// Output JSON: {"rows": [...], "format": N}; timestamps as
// microseconds (icebird gives milliseconds), maps as objects.

import { icebergMetadata, icebergRead } from 'icebird'

const [endpoint, tableUrl, metadataFileName] = process.argv.slice(2)
const realFetch = globalThis.fetch

globalThis.fetch = (input, init) => {
  let url = typeof input === 'string' ? input : input.url
  const m = /^https:\/\/([a-z0-9.-]+)\.s3\.amazonaws\.com\/(.*)$/.exec(url)
  if (m) url = `${endpoint}/${m[1]}/${m[2]}`
  else if (!url.startsWith(endpoint)) throw new Error('outside the store: ' + url)
  return realFetch(url, init)
}

function plain(v) {
  if (v instanceof Date) return v.getTime() * 1000
  if (typeof v === 'bigint') return Number(v)
  if (Array.isArray(v)) {
    // a map decoded as key/value entries
    const o = {}
    for (const e of v) o[e.key] = e.value === undefined ? null : e.value
    return o
  }
  if (v && typeof v === 'object') {
    const o = {}
    for (const [k, x] of Object.entries(v)) o[k] = x === undefined ? null : x
    return o
  }
  return v === undefined ? null : v
}

try {
  const metadata = await icebergMetadata({ tableUrl, metadataFileName })
  const rows = (await icebergRead({ tableUrl, metadata })).map((r) => {
    const o = {}
    for (const [k, v] of Object.entries(r)) o[k] = plain(v)
    return o
  })
  process.stdout.write(JSON.stringify({
    rows, format: metadata['format-version'],
  }) + '\n')
} catch (e) {
  process.stderr.write('journal_icebird: ' + (e.stack || e) + '\n')
  process.exit(1)
}
