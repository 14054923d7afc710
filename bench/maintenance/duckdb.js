'use strict';
// The reference of bench/maintenance: DuckDB, single-threaded, rewrites
// the same input files into one Parquet file (zstd), sorted or not:
//
//   node duckdb.js FILES_JSON OUT sort|copy
//
// Prints {"seconds":S, "maxrss_kib":N}.

const fs = require('fs');
const { DuckDBInstance } = require('@duckdb/node-api');

async function main() {
  const [filesJson, out, mode] = process.argv.slice(2);
  const files = JSON.parse(fs.readFileSync(filesJson, 'utf8')).files;
  const list = files.map((f) => `'${f.replace(/'/g, "''")}'`).join(',');
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  await con.run('SET threads=1');
  await con.run('SET preserve_insertion_order=true');
  const order = mode === 'sort' ? ' ORDER BY k' : '';
  const t0 = process.hrtime.bigint();
  await con.run(`COPY (SELECT * FROM read_parquet([${list}])${order}) ` +
                `TO '${out.replace(/'/g, "''")}' ` +
                '(FORMAT parquet, COMPRESSION zstd)');
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  process.stdout.write(JSON.stringify({
    seconds: s, maxrss_kib: process.resourceUsage().maxRSS }) + '\n');
}

main().catch((e) => {
  process.stderr.write('duckdb.js: ' + (e.stack || e) + '\n');
  process.exit(1);
});
