'use strict';
// Reads the data files of a journal table (downloaded into DIR) with
// DuckDB and prints counts: {"n", "keys" (distinct), "creates",
// "nullmeta", "nullrid" (rows without _row_id), "files"}.
//
//   node maint_journal_duckdb.js DIR

const { DuckDBInstance } = require('@duckdb/node-api');

(async () => {
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  const glob = process.argv[2].replace(/'/g, "''") + '/*.parquet';
  const r = await con.runAndReadAll(
    `SELECT count(*)::INT, count(DISTINCT key)::INT,
            (count(*) FILTER (WHERE record_type = 'CREATE'))::INT,
            (count(*) FILTER (WHERE user_metadata IS NULL))::INT
     FROM read_parquet('${glob}', union_by_name=true)`);
  const [n, keys, creates, nullmeta] = r.getRows()[0];
  const f = await con.runAndReadAll(`SELECT count(*)::INT FROM glob('${glob}')`);
  process.stdout.write(JSON.stringify({ n, keys, creates, nullmeta,
    files: f.getRows()[0][0] }) + '\n');
})().catch((e) => {
  process.stderr.write('maint_journal_duckdb: ' + (e.stack || e) + '\n');
  process.exit(1);
});
