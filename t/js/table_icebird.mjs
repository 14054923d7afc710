// Reads a v2 table icetap wrote to an S3 store with icebird, an Iceberg
// reader we did not write, and prints the live ids it returns:
//
//   node table_icebird.mjs STORE_ENDPOINT s3://BUCKET/PREFIX
//
// icebird turns s3://b/k into https://b.s3.amazonaws.com/k; fetch is
// routed to the local store (path style), where the objects are read
// anonymously.  Output JSON: {"live":[ids], "rows":N, "bad":N} where
// bad counts rows whose other columns differ from what the id implies.

import { icebergRead } from 'icebird'

const [endpoint, tableUrl] = process.argv.slice(2)
const realFetch = globalThis.fetch
const requests = []

globalThis.fetch = (input, init) => {
  let url = typeof input === 'string' ? input : input.url
  const m = /^https:\/\/([a-z0-9-]+)\.s3\.amazonaws\.com\/(.*)$/.exec(url)
  if (m) url = `${endpoint}/${m[1]}/${m[2]}`
  requests.push(url)
  return realFetch(url, init)
}

const cats = ['red', 'green', 'blue']

try {
  const rows = await icebergRead({ tableUrl })
  let bad = 0
  const live = rows.map((r) => {
    const id = Number(r.id)
    if (r.cat !== cats[id % 3]) bad++
    if (r.score !== id / 4) bad++
    if ((id % 7 === 3) !== (r.name === null || r.name === undefined)) bad++
    return id
  }).sort((a, b) => a - b)
  const outside = requests.filter((u) => !u.startsWith(endpoint)).length
  process.stdout.write(JSON.stringify({ live, rows: rows.length, bad, outside }) + '\n')
} catch (e) {
  process.stderr.write('table_icebird: ' + (e.stack || e) + '\n')
  process.exit(1)
}
