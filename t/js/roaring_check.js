// Cross-check of icetap's 64-bit portable roaring bitmaps (the vector of
// an Iceberg deletion vector) with the npm roaring package (CRoaring).
//
//   node roaring_check.js read FILE64 POSITIONS
//       decodes FILE64 with RoaringBitmap32.deserialize(.., 'portable') per
//       key and compares with POSITIONS (one decimal position per line);
//       prints {"count":N,"identical":bool} where identical says every
//       32-bit bitmap equals CRoaring's own run-optimised serialisation
//   node roaring_check.js write POSITIONS FILE64
//       writes POSITIONS in the 64-bit framing around CRoaring's 32-bit
//       portable bitmaps
'use strict';

const fs = require('fs');
const { RoaringBitmap32 } = require('roaring');

function readPositions(file) {
  return fs.readFileSync(file, 'utf8').split('\n')
    .filter((l) => l.length > 0).map((l) => BigInt(l));
}

// byte length of the 32-bit portable bitmap at off, from its headers
function size32(buf, off) {
  const cookie = buf.readUInt32LE(off);
  let n;
  let hasRun = false;
  let pos;
  if ((cookie & 0xffff) === 12347) {
    hasRun = true;
    n = (cookie >>> 16) + 1;
    pos = off + 4 + Math.ceil(n / 8);
  } else if (cookie === 12346) {
    n = buf.readUInt32LE(off + 4);
    pos = off + 8;
  } else {
    throw new Error(`bad cookie ${cookie} at ${off}`);
  }
  const desc = pos;
  pos += 4 * n;
  if (!hasRun || n >= 4) pos += 4 * n;
  for (let i = 0; i < n; i++) {
    const card = buf.readUInt16LE(desc + 4 * i + 2) + 1;
    const run = hasRun && ((buf[off + 4 + (i >> 3)] >> (i & 7)) & 1);
    if (run) pos += 2 + 4 * buf.readUInt16LE(pos);
    else if (card > 4096) pos += 8192;
    else pos += 2 * card;
  }
  return pos - off;
}

function read(file64, posFile) {
  const buf = fs.readFileSync(file64);
  const want = readPositions(posFile);
  const count = buf.readBigUInt64LE(0);
  let off = 8;
  let identical = true;
  const got = [];
  let prevKey = -1;
  for (let i = 0n; i < count; i++) {
    const key = buf.readUInt32LE(off);
    if (key <= prevKey) throw new Error(`keys not ascending at ${off}`);
    prevKey = key;
    off += 4;
    const len = size32(buf, off);
    const slice = buf.subarray(off, off + len);
    const bm = RoaringBitmap32.deserialize(slice, 'portable');
    for (const low of bm.toArray()) {
      got.push((BigInt(key) << 32n) | BigInt(low));
    }
    const again = new RoaringBitmap32(bm.toArray());
    again.runOptimize();
    if (!again.serialize('portable').equals(slice)) identical = false;
    off += len;
  }
  if (off !== buf.length) throw new Error(`${buf.length - off} bytes left`);
  if (got.length !== want.length) {
    throw new Error(`${got.length} positions, expected ${want.length}`);
  }
  for (let i = 0; i < got.length; i++) {
    if (got[i] !== want[i]) {
      throw new Error(`position ${i}: ${got[i]}, expected ${want[i]}`);
    }
  }
  process.stdout.write(JSON.stringify({ count: got.length, identical }));
}

function write(posFile, file64) {
  const byKey = new Map();
  for (const p of readPositions(posFile)) {
    const key = Number(p >> 32n);
    if (!byKey.has(key)) byKey.set(key, []);
    byKey.get(key).push(Number(p & 0xffffffffn));
  }
  const keys = [...byKey.keys()].sort((a, b) => a - b);
  const parts = [];
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(keys.length));
  parts.push(head);
  for (const key of keys) {
    const k = Buffer.alloc(4);
    k.writeUInt32LE(key);
    const bm = new RoaringBitmap32(byKey.get(key));
    bm.runOptimize();
    parts.push(k, bm.serialize('portable'));
  }
  fs.writeFileSync(file64, Buffer.concat(parts));
}

const [mode, a, b] = process.argv.slice(2);
if (mode === 'read') read(a, b);
else if (mode === 'write') write(a, b);
else {
  process.stderr.write('usage: roaring_check.js read|write A B\n');
  process.exit(2);
}
