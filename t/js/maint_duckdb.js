'use strict';
// Reads the data files of a table (downloaded into DIR) with DuckDB, a
// Parquet reader icetap did not write:
//
//   node maint_duckdb.js DIR [SORT_COLUMN]
//
// Output JSON: {"ids":[sorted ids], "rows":N, "bad":N, "files":N,
// "sorted":bool} where bad counts rows whose columns differ from what the
// id implies (t/unit/table_util.h), and sorted says whether every file
// is in SORT_COLUMN DESC NULLS LAST order (file_row_number order).

const fs = require('fs');
const { DuckDBInstance } = require('@duckdb/node-api');

const cats = ['red', 'green', 'blue'];

async function main() {
  const [dir, sortCol] = process.argv.slice(2);
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.parquet'));
  const out = { ids: [], rows: 0, bad: 0, files: files.length, sorted: true };
  if (files.length === 0) {
    process.stdout.write(JSON.stringify(out) + '\n');
    return;
  }

  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  await con.run('SET threads=1');

  for (const f of files) {
    const path = `${dir}/${f}`.replace(/'/g, "''");
    const r = await con.runAndReadAll(
      `SELECT id, cat, name, score FROM read_parquet('${path}', ` +
      'file_row_number=true) ORDER BY file_row_number');
    let prev = null;
    for (const row of r.getRows()) {
      const id = Number(row[0]);
      out.ids.push(id);
      out.rows++;
      if (row[1] !== cats[id % 3]) out.bad++;
      if (row[3] !== id / 4) out.bad++;
      if ((id % 7 === 3) !== (row[2] === null)) out.bad++;
      if (row[2] !== null && !String(row[2]).startsWith(
        `name-${String(id).padStart(6, '0')}-`)) out.bad++;
      if (sortCol && prev !== null && row[3] > prev) out.sorted = false;
      prev = row[3];
    }
  }

  out.ids.sort((a, b) => a - b);
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((e) => {
  process.stderr.write('maint_duckdb: ' + (e.stack || e) + '\n');
  process.exit(1);
});
