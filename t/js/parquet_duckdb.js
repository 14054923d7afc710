// Cross-checks icetap's Parquet writer and reader against DuckDB.
//
//   node parquet_duckdb.js PQ_TOOL TMPDIR
//
// A. Files our writer produces for a matrix of types, nullability, nesting,
//    codecs and sizes are read by DuckDB: every value and every field_id
//    must come back exactly.
// B. Files DuckDB writes (four codecs, data page v1 and v2, nested types,
//    dictionary strings) are decoded by our reader and re-encoded by our
//    writer (pq_tool rewrite); DuckDB must read identical rows from both.
// C. Whole row groups of several files are appended without decoding
//    (pq_tool concat); DuckDB must read the concatenation.
// Prints TAP lines; the Perl driver relays them.
'use strict';

const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { DuckDBInstance } = require('@duckdb/node-api');

const [tool, tmp] = process.argv.slice(2);
let n = 0;
let failed = 0;

function ok(cond, name, diag) {
    n++;
    console.log(`${cond ? '' : 'not '}ok ${n} - ${name}`);
    if (!cond) {
        failed++;
        if (diag) {
            for (const l of String(diag).split('\n')) {
                console.log(`# ${l}`);
            }
        }
    }
    return cond;
}

// deterministic PRNG (mulberry32)
function rng(seed) {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

const hex = (bytes) => Buffer.from(bytes).toString('hex');

function schemaFields(required) {
    const o = !required;
    const f = (id, name, type, opt = o) => ({ id, name, required: !opt, type });
    return [
        f(1, 'id', 'long', false),
        f(2, 'b', 'boolean'),
        f(3, 'i', 'int'),
        f(4, 'l', 'long'),
        f(5, 'f', 'float'),
        f(6, 'd', 'double'),
        f(7, 'dec9', 'decimal(9,2)'),
        f(8, 'dec18', 'decimal(18,4)'),
        f(9, 'dec38', 'decimal(38,10)'),
        f(10, 'dt', 'date'),
        f(11, 'tm', 'time'),
        f(12, 'ts', 'timestamp'),
        f(13, 'tstz', 'timestamptz'),
        f(14, 'tsns', 'timestamp_ns'),
        f(40, 'tstzns', 'timestamptz_ns'),
        f(15, 's', 'string'),
        f(16, 's2', 'string'),
        f(17, 'u', 'uuid'),
        f(18, 'fx', 'fixed[5]'),
        f(19, 'bin', 'binary'),
        f(20, 'req_s', 'string', false),
        f(21, 'st', { type: 'struct', fields: [
            f(22, 'a', 'int', false), f(23, 'b', 'string')] }),
        f(24, 'lst', { type: 'list', 'element-id': 25, element: 'string',
                       'element-required': required }),
        f(26, 'm', { type: 'map', 'key-id': 27, key: 'string',
                     'value-id': 28, value: 'long',
                     'value-required': required }),
        f(29, 'lol', { type: 'list', 'element-id': 30,
                       'element-required': required,
                       element: { type: 'list', 'element-id': 31,
                                  element: 'int',
                                  'element-required': required } }),
        f(32, 'los', { type: 'list', 'element-id': 35,
                       'element-required': required,
                       element: { type: 'struct', fields: [
                           f(33, 'x', 'long', false), f(34, 'y', 'double')] } }),
        f(36, 'ms', { type: 'map', 'key-id': 38, key: 'int', 'value-id': 39,
                      'value-required': required,
                      value: { type: 'struct', fields: [
                          f(37, 'p', 'string')] } }),
    ];
}

// Random values in "generated" form (BigInt for 64-bit and temporal types)
function genValue(type, required, r, row, depth = 0) {
    if (!required && r() < 0.2) {
        return null;
    }
    const big = (lo, hi) => BigInt(Math.floor(lo + r() * (hi - lo)));
    if (typeof type === 'object') {
        if (type.type === 'struct') {
            const o = {};
            for (const f of type.fields) {
                o[f.name] = genValue(f.type, f.required, r, row, depth + 1);
            }
            return o;
        }
        const len = Math.floor(r() * 4);
        const a = [];
        if (type.type === 'list') {
            for (let k = 0; k < len; k++) {
                a.push(genValue(type.element, type['element-required'], r, row,
                                depth + 1));
            }
            return a;
        }
        const keys = new Set();
        for (let k = 0; k < len; k++) {
            let key = genValue(type.key, true, r, row, depth + 1);
            if (keys.has(String(key))) {
                continue;
            }
            keys.add(String(key));
            a.push([key, genValue(type.value, type['value-required'], r, row,
                                  depth + 1)]);
        }
        return a;
    }
    switch (type) {
    case 'boolean': return r() < 0.5;
    case 'int': return Math.floor(r() * 4294967296) - 2147483648;
    case 'long': {
        const v = r();
        return v < 0.1 ? -(2n ** 63n) : v < 0.2 ? 2n ** 63n - 1n
            : big(-1e15, 1e15) * 1000n + big(0, 1000);
    }
    case 'float': {
        const v = r();
        return v < 0.05 ? NaN : v < 0.1 ? -Infinity : v < 0.12 ? -0
            : Math.fround((r() - 0.5) * 1e6);
    }
    case 'double': {
        const v = r();
        return v < 0.05 ? NaN : v < 0.1 ? Infinity : (r() - 0.5) * 1e12;
    }
    case 'decimal(9,2)': return big(-999999999, 999999999);
    case 'decimal(18,4)': return big(-1e15, 1e15) * 1000n + big(0, 999);
    case 'decimal(38,10)': {
        let v = big(1, 1e15) * 10n ** 22n + big(0, 1e15);
        return r() < 0.5 ? -v : v;
    }
    case 'date': return Math.floor((r() - 0.5) * 50000);
    case 'time': return big(0, 86400e6);
    case 'timestamp':
    case 'timestamptz': return big(-2e15, 4e15);
    case 'timestamp_ns':
    case 'timestamptz_ns': return big(-2e15, 4e15) * 1000n + big(0, 1000);
    case 's_low': return 'cat-' + Math.floor(r() * 10);
    case 'string': return r() < 0.5 ? 'k' + Math.floor(r() * 8)
        : 'str-' + row + '-' + 'é✓'.repeat(Math.floor(r() * 3));
    case 'uuid': return hex(Array.from({ length: 16 }, () => r() * 256 | 0));
    case 'fixed[5]': return hex(Array.from({ length: 5 }, () => r() * 256 | 0));
    case 'binary':
        return hex(Array.from({ length: Math.floor(r() * 12) },
                              () => r() * 256 | 0));
    default: throw new Error('type ' + type);
    }
}

// generated value -> pq_tool spec JSON
function toSpec(type, v) {
    if (v === null) {
        return null;
    }
    if (typeof type === 'object') {
        if (type.type === 'struct') {
            const o = {};
            for (const f of type.fields) {
                o[f.name] = toSpec(f.type, v[f.name]);
            }
            return o;
        }
        if (type.type === 'list') {
            return v.map((e) => toSpec(type.element, e));
        }
        return v.map(([k, x]) => [toSpec(type.key, k), toSpec(type.value, x)]);
    }
    if (typeof v === 'bigint') {
        return v.toString();
    }
    if (typeof v === 'number' && !Number.isFinite(v)) {
        return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
    }
    if (Object.is(v, -0)) {
        return '-0';
    }
    return v;
}

// canonical comparable form of a generated value
function canonGen(type, v) {
    if (v === null) {
        return null;
    }
    if (type === 'timestamptz_ns') {
        // DuckDB has no TIMESTAMPTZ_NS: it reads these as microseconds,
        // truncated toward zero
        return String((v / 1000n) * 1000n);
    }
    if (typeof type === 'object') {
        if (type.type === 'struct') {
            const o = {};
            for (const f of type.fields) {
                o[f.name] = canonGen(f.type, v[f.name]);
            }
            return o;
        }
        if (type.type === 'list') {
            return v.map((e) => canonGen(type.element, e));
        }
        return v.map(([k, x]) => [canonGen(type.key, k),
                                  canonGen(type.value, x)]);
    }
    if (typeof v === 'bigint') {
        return v.toString();
    }
    if (typeof v === 'number') {
        if (Number.isNaN(v)) {
            return 'NaN';
        }
        if (!Number.isFinite(v)) {
            return v > 0 ? 'Infinity' : '-Infinity';
        }
        return v === 0 ? 0 : v;
    }
    return v;
}

function parseFrac(s, digits) {
    const f = (s || '').padEnd(digits, '0');
    return BigInt(f.slice(0, digits));
}

// DuckDB JSON value -> canonical form
function canonDuck(type, v) {
    if (v === null || v === undefined) {
        return null;
    }
    if (typeof type === 'object') {
        if (type.type === 'struct') {
            const o = {};
            for (const f of type.fields) {
                o[f.name] = canonDuck(f.type, v[f.name]);
            }
            return o;
        }
        if (type.type === 'list') {
            return v.map((e) => canonDuck(type.element, e));
        }
        return v.map((e) => [canonDuck(type.key, e.key),
                             canonDuck(type.value, e.value)]);
    }
    let m;
    switch (type) {
    case 'long': return String(v);
    case 'float':
    case 'double':
        return typeof v === 'number' ? (v === 0 ? 0 : v) : v;
    case 'date':
        m = /^(\d+)-(\d+)-(\d+)$/.exec(v);
        return Date.UTC(+m[1], +m[2] - 1, +m[3]) / 86400000;
    case 'time':
        m = /^(\d+):(\d+):(\d+)(?:\.(\d+))?$/.exec(v);
        return String(BigInt((+m[1] * 3600 + +m[2] * 60 + +m[3])) * 1000000n
                      + parseFrac(m[4], 6));
    case 'timestamp':
    case 'timestamptz':
    case 'timestamp_ns':
    case 'timestamptz_ns': {
        m = /^(\d+)-(\d+)-(\d+) (\d+):(\d+):(\d+)(?:\.(\d+))?(\+00)?$/
            .exec(v);
        const ns = type.endsWith('_ns');
        const secs = BigInt(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5],
                                     +m[6]) / 1000);
        return String(secs * (ns ? 1000000000n : 1000000n)
                      + parseFrac(m[7], ns ? 9 : 6));
    }
    case 'uuid': return v.replace(/-/g, '');
    case 'fixed[5]':
    case 'binary': {
        const out = [];
        for (let k = 0; k < v.length;) {
            if (v[k] === '\\' && v[k + 1] === 'x') {
                out.push(parseInt(v.substr(k + 2, 2), 16));
                k += 4;
            } else {
                out.push(...Buffer.from(v[k]));
                k++;
            }
        }
        return hex(out);
    }
    default:
        m = /^decimal\(\d+,(\d+)\)$/.exec(type);
        if (m) {
            const scale = +m[1];
            const neg = v.startsWith('-');
            const [ip, fp = ''] = v.replace('-', '').split('.');
            const u = BigInt(ip + fp.padEnd(scale, '0'));
            return String(neg ? -u : u);
        }
        return v;
    }
}

function expectedIds(fields, out = {}) {
    for (const f of fields) {
        out[f.name + ':' + f.id] = f.id;
        const t = f.type;
        if (typeof t !== 'object') {
            continue;
        }
        if (t.type === 'struct') {
            expectedIds(t.fields, out);
        } else if (t.type === 'list') {
            expectedIds([{ id: t['element-id'], name: 'element',
                           type: t.element }], out);
        } else {
            expectedIds([{ id: t['key-id'], name: 'key', type: t.key },
                         { id: t['value-id'], name: 'value', type: t.value }],
                        out);
        }
    }
    return out;
}

async function main() {
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    const q = async (sql) => (await con.runAndReadAll(sql)).getRowObjectsJson();
    await con.run("SET TimeZone = 'UTC'");

    // ---- A: our writer, DuckDB reads
    const cases = [];
    for (const codec of ['uncompressed', 'snappy', 'gzip', 'zstd']) {
        cases.push({ codec, rows: 25, required: false, seed: 1 });
        cases.push({ codec, rows: 25, required: true, seed: 2 });
        cases.push({ codec, rows: 3000, required: false, seed: 3,
                     page_size: 2048, row_group_size: 65536,
                     dict_size: 4096 });
    }
    cases.push({ codec: 'zstd', rows: 500, required: false, seed: 4,
                 no_dictionary: true, page_size: 1024 });

    for (const c of cases) {
        const fields = schemaFields(c.required);
        // a low-cardinality string column exercises dictionaries
        fields.find((f) => f.name === 's').type = 'string';
        const r = rng(c.seed);
        const gen = [];
        for (let i = 0; i < c.rows; i++) {
            gen.push(fields.map((f) => f.name === 'id' ? BigInt(i)
                : f.name === 's' ? (f.required || r() >= 0.2
                                    ? genValue('s_low', true, r, i) : null)
                : genValue(f.type, f.required, r, i)));
        }
        const spec = {
            codec: c.codec, page_size: c.page_size || 0,
            row_group_size: c.row_group_size || 0,
            dict_size: c.dict_size || 0, no_dictionary: !!c.no_dictionary,
            schema: fields,
            rows: gen.map((row) => row.map((v, k) => toSpec(fields[k].type, v))),
        };
        const label = `${c.codec} ${c.rows} rows ${c.required ? 'required'
            : 'optional'}${c.no_dictionary ? ' plain' : ''}`;
        const specFile = path.join(tmp, `a-${n}.json`);
        const file = path.join(tmp, `a-${n}.parquet`);
        fs.writeFileSync(specFile, JSON.stringify(spec));
        let metrics;
        try {
            metrics = JSON.parse(execFileSync(tool, ['write', specFile, file],
                                              { encoding: 'utf8' }));
        } catch (e) {
            ok(false, `${label}: pq_tool write`, e.stderr || e.message);
            continue;
        }
        ok(metrics.rows === c.rows, `${label}: writer counted ${c.rows} rows`);

        const got = await q(`SELECT * FROM read_parquet('${file}')`);
        let bad = null;
        if (got.length !== c.rows) {
            bad = `DuckDB read ${got.length} rows`;
        }
        for (let i = 0; !bad && i < c.rows; i++) {
            for (let k = 0; k < fields.length; k++) {
                const f = fields[k];
                const want = JSON.stringify(canonGen(f.type, gen[i][k]));
                const have = JSON.stringify(canonDuck(f.type, got[i][f.name]));
                if (want !== have) {
                    bad = `row ${i} column ${f.name}:\n  want ${want}\n`
                        + `  have ${have} (raw ${JSON.stringify(got[i][f.name])})`;
                    break;
                }
            }
        }
        ok(!bad, `${label}: DuckDB returns every written value`, bad);

        const ids = await q(`SELECT name, field_id FROM parquet_schema('${file}')`);
        const want = expectedIds(fields);
        let idBad = null;
        let seen = 0;
        for (const e of ids) {
            if (e.name === 'table' || e.name === 'list' || e.name === 'key_value') {
                if (e.field_id !== null) {
                    idBad = `${e.name} has field_id ${e.field_id}`;
                }
                continue;
            }
            if (!(want[e.name + ':' + e.field_id])) {
                idBad = `${e.name} has field_id ${e.field_id}`;
                break;
            }
            seen++;
        }
        if (!idBad && seen !== Object.keys(want).length) {
            idBad = `${seen} ids of ${Object.keys(want).length}`;
        }
        ok(!idBad, `${label}: field_id on every schema element`, idBad);

        const meta = await q(`SELECT row_group_id, path_in_schema, compression,
            stats_null_count, num_values FROM parquet_metadata('${file}')`);
        const codecName = c.codec.toUpperCase();
        ok(meta.every((m) => m.compression === codecName),
           `${label}: every chunk uses ${codecName}`,
           JSON.stringify(meta.find((m) => m.compression !== codecName)));
        if (c.row_group_size) {
            ok(metrics.row_groups.length > 1,
               `${label}: several row groups (${metrics.row_groups.length})`);
        }
        // value and null counts of the metrics agree with DuckDB's footer view
        const byPath = {};
        for (const m of meta) {
            byPath[m.path_in_schema] = byPath[m.path_in_schema]
                || { v: 0, nulls: 0 };
            byPath[m.path_in_schema].v += Number(m.num_values);
            byPath[m.path_in_schema].nulls += Number(m.stats_null_count);
        }
        const paths = Object.keys(byPath);
        const mm = metrics.metrics;
        ok(mm.length === paths.length
           && mm.every((m, k) => m.value_count === byPath[paths[k]].v
                       && m.null_count === byPath[paths[k]].nulls),
           `${label}: metrics value/null counts match the footer`);
    }

    // ---- B: DuckDB writes, our reader decodes and our writer re-encodes
    const sel = (N) => `SELECT i AS id,
        CASE WHEN i % 5 = 0 THEN NULL ELSE i % 2 = 0 END AS b,
        (i * 7)::INTEGER AS i32, (i % 100)::TINYINT AS i8,
        CASE WHEN i % 3 = 0 THEN NULL ELSE i * 1000003 END::BIGINT AS i64,
        (i / 3.0)::FLOAT AS f, CASE WHEN i % 11 = 0 THEN NULL
            ELSE (i / 7.0)::DOUBLE END AS d,
        (i * 1.25)::DECIMAL(9,2) AS dec9, (i * 3.3333)::DECIMAL(18,4) AS dec18,
        (i * 1.5)::DECIMAL(38,10) AS dec38,
        DATE '2020-01-01' + (i % 4000)::INTEGER AS dt,
        make_time(i % 24, i % 60, (i % 60)::DOUBLE) AS tm,
        TIMESTAMP '2020-01-01' + to_seconds(i) AS ts,
        TIMESTAMPTZ '2020-01-01 00:00:00+00' + to_microseconds(i) AS tz,
        'cat' || (i % 10) AS s_dict,
        CASE WHEN i % 9 = 0 THEN NULL ELSE 'unique-' || i END AS s_uniq,
        CASE WHEN i % 4 = 0 THEN NULL ELSE ('x' || i)::BLOB END AS bl,
        md5(i::VARCHAR)::UUID AS u,
        [i, i + 1, NULL] AS lst,
        CASE WHEN i % 6 = 0 THEN NULL WHEN i % 6 = 1 THEN []
             ELSE ['a' || i, NULL] END AS lst_s,
        {'x': i, 'y': 'v' || (i % 3)} AS st,
        CASE WHEN i % 7 = 0 THEN NULL
             ELSE MAP {'k' || (i % 3): i, 'z': NULL} END AS m,
        [[i], [i, i]] AS lol,
        [{'p': i, 'q': [i]}] AS los
        FROM range(${N}) t(i)`;
    const made = [];
    for (const codec of ['uncompressed', 'snappy', 'gzip', 'zstd']) {
        for (const v2 of [false, true]) {
            const file = path.join(tmp, `b-${codec}-${v2 ? 2 : 1}.parquet`);
            await con.run(`COPY (${sel(3000)}) TO '${file}' (FORMAT parquet,
                COMPRESSION ${codec}, ROW_GROUP_SIZE 1000
                ${v2 ? ', PARQUET_VERSION v2' : ''})`);
            made.push(file);
            const label = `DuckDB ${codec}${v2 ? ' v2' : ''}`;
            const out = file.replace('.parquet', '-ours.parquet');
            try {
                execFileSync(tool, ['rewrite', file, out, 'zstd'],
                             { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
            } catch (e) {
                ok(false, `${label}: our reader decodes every column`,
                   e.stderr || e.message);
                continue;
            }
            const a = await q(`SELECT * FROM read_parquet('${file}')`);
            const b = await q(`SELECT * FROM read_parquet('${out}')`);
            let bad = a.length !== b.length ? `${a.length} vs ${b.length} rows`
                : null;
            for (let i = 0; !bad && i < a.length; i++) {
                if (JSON.stringify(a[i]) !== JSON.stringify(b[i])) {
                    bad = `row ${i}:\n  ${JSON.stringify(a[i])}\n  `
                        + JSON.stringify(b[i]);
                }
            }
            ok(!bad, `${label}: our reader returns every value (${a.length} rows)`,
               bad);
            if (v2) {
                const enc = await q(`SELECT DISTINCT encodings
                    FROM parquet_metadata('${file}')`);
                diagList(`${label} encodings`, enc.map((e) => e.encodings));
                // the page v2 files are where the DELTA decoders get tested
                const all = enc.map((e) => e.encodings).join(',');
                for (const want of ['DELTA_BINARY_PACKED',
                                    'DELTA_LENGTH_BYTE_ARRAY',
                                    'BYTE_STREAM_SPLIT']) {
                    ok(all.includes(want), `${label}: has ${want} pages`,
                       all);
                }
            }
        }
    }

    // ---- C: row-group copy
    const cat = path.join(tmp, 'concat.parquet');
    try {
        execFileSync(tool, ['concat', cat, made[0], made[3], made[7]],
                     { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
        const a = await q(`SELECT * FROM read_parquet('${made[0]}')
            UNION ALL SELECT * FROM read_parquet('${made[3]}')
            UNION ALL SELECT * FROM read_parquet('${made[7]}')`);
        const b = await q(`SELECT * FROM read_parquet('${cat}')`);
        ok(JSON.stringify(a) === JSON.stringify(b),
           `row-group copy of 3 DuckDB files: ${b.length} rows read back`);
        const rgCount = async (f) => Number((await q(`SELECT
            count(DISTINCT row_group_id) n FROM parquet_metadata('${f}')`))[0].n);
        const want = await rgCount(made[0]) + await rgCount(made[3])
            + await rgCount(made[7]);
        const have = await rgCount(cat);
        ok(want === have && want >= 3,
           `concatenation has the ${want} row groups of its inputs`,
           `has ${have}`);
    } catch (e) {
        ok(false, 'row-group copy', e.stderr || e.message);
    }

    const other = path.join(tmp, 'a-0.parquet');
    try {
        execFileSync(tool, ['concat', path.join(tmp, 'bad.parquet'), made[0],
                            other], { stdio: ['ignore', 'pipe', 'pipe'] });
        ok(false, 'row-group copy refuses another schema');
    } catch (e) {
        ok(/another schema/.test(String(e.stderr)),
           'row-group copy refuses another schema', String(e.stderr));
    }

    console.log(`1..${n}`);
    process.exit(failed ? 1 : 0);
}

function diagList(label, list) {
    console.log(`# ${label}: ${list.join(' | ')}`);
}

main().catch((e) => {
    console.log(`not ok ${++n} - exception: ${e.stack}`);
    console.log(`1..${n}`);
    process.exit(1);
});
