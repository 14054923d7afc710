// DuckDB baseline for bench/parquet/run, single-threaded.
//   node duckdb.js OURS.parquet DUCK.parquet
// Loads the rows our writer produced into a DuckDB table (untimed), times
// COPY ... (FORMAT parquet, COMPRESSION zstd) of that table, then times
// reading each file into a temporary table.  Prints one JSON line.
'use strict';

const path = require('path');
const { DuckDBInstance } = require(path.join(__dirname, '../../t/node_modules',
                                             '@duckdb/node-api'));

async function main() {
    const [ours, duck] = process.argv.slice(2);
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    await con.run('SET threads = 1');
    await con.run(`CREATE TABLE t AS SELECT * FROM read_parquet('${ours}')`);

    const time = async (sql) => {
        const t0 = process.hrtime.bigint();
        await con.run(sql);
        return Number(process.hrtime.bigint() - t0) / 1e9;
    };

    const write = await time(`COPY t TO '${duck}'
        (FORMAT parquet, COMPRESSION zstd)`);
    const readDuck = await time(`CREATE TEMP TABLE r1 AS
        SELECT * FROM read_parquet('${duck}')`);
    const readOurs = await time(`CREATE TEMP TABLE r2 AS
        SELECT * FROM read_parquet('${ours}')`);
    const rows = (await con.runAndReadAll('SELECT count(*) n FROM t'))
        .getRowObjectsJson()[0].n;
    const same = (await con.runAndReadAll(`SELECT count(*) n FROM
        (SELECT * FROM r1 EXCEPT ALL SELECT * FROM t)`)).getRowObjectsJson()[0].n;

    console.log(JSON.stringify({ rows: Number(rows), write, readDuck,
                                 readOurs, differing: Number(same) }));
}

main().catch((e) => { console.error(String(e)); process.exit(1); });
