// make demo: DuckDB answers a question over the journal's Parquet files
// (who did what to which keys, and how many bytes went to each class).
const { DuckDBInstance } = require('@duckdb/node-api');

async function main() {
    const dir = process.argv[2];
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    const files = `read_parquet('${dir}/**/*.parquet')`;
    const q = [
        `SELECT record_type, count(*) AS records,
                coalesce(sum(size), 0) AS bytes
           FROM ${files} GROUP BY record_type ORDER BY record_type`,
        `SELECT key, requester, source_ip_address
           FROM ${files}
          WHERE record_type = 'DELETE' ORDER BY record_timestamp`,
    ];
    for (const sql of q) {
        console.log('duckdb> ' + sql.replace(/\s+/g, ' '));
        const r = await c.runAndReadAll(sql);
        const cols = r.columnNames();
        console.log('  ' + cols.map((x) => x.padEnd(22)).join(''));
        for (const row of r.getRows()) {
            console.log('  ' + row.map((v) => String(v).padEnd(22)).join(''));
        }
    }
}

main().catch((e) => { console.error(e); process.exit(1); });
