// Reads a v2 table with icebird, an Iceberg reader icetap did not write,
// at a given metadata file, and prints every live row:
//
//   node maint_icebird.mjs STORE_ENDPOINT s3://BUCKET/PREFIX METADATA_FILE
//
// Objects are fetched anonymously from the store (path style).  Output
// JSON: {"rows":[[id, cat, name, score], ...] sorted by id}.

import { icebergRead } from 'icebird'

const [endpoint, tableUrl, metadataFileName] = process.argv.slice(2)
const realFetch = globalThis.fetch

globalThis.fetch = (input, init) => {
  let url = typeof input === 'string' ? input : input.url
  const m = /^https:\/\/([a-z0-9-]+)\.s3\.amazonaws\.com\/(.*)$/.exec(url)
  if (m) url = `${endpoint}/${m[1]}/${m[2]}`
  return realFetch(url, init)
}

try {
  const rows = await icebergRead({ tableUrl, metadataFileName })
  const out = rows.map((r) => [Number(r.id), r.cat, r.name ?? null,
    r.score]).sort((a, b) => a[0] - b[0])
  process.stdout.write(JSON.stringify({ rows: out }) + '\n')
} catch (e) {
  process.stderr.write('maint_icebird: ' + (e.stack || e) + '\n')
  process.exit(1)
}
