/**
 * @module
 * The two archive formats of a release, written here so `npm run release` needs no `tar`, `gzip`
 * or `zip` program and gives the same bytes on every machine: a ustar `.tar.gz` (POSIX.1-1988,
 * what every `tar` reads) and a `.zip` with deflated entries (APPNOTE 6.3, the subset every
 * unzipper and Windows' Explorer and `Expand-Archive` read; no ZIP64, so entries stay < 4 GiB).
 */
import * as zlib from "node:zlib";

/** One file of an archive. */
export interface Entry {
  name: string;
  data: Uint8Array;
  /** Unix permission bits, e.g. 0o755. */
  mode: number;
}

const encoder = new TextEncoder();

function octal(header: Uint8Array, offset: number, length: number, value: number) {
  const text = value.toString(8).padStart(length - 1, "0");
  if (text.length > length - 1) throw new Error(`tar: ${value} does not fit ${length} bytes`);
  header.set(encoder.encode(text), offset);
  header[offset + length - 1] = 0;
}

function tarHeader(entry: Entry, mtime: number): Uint8Array {
  const header = new Uint8Array(512);
  const name = encoder.encode(entry.name);
  if (name.length > 100) throw new Error(`tar: name too long: ${entry.name}`);
  header.set(name, 0);
  octal(header, 100, 8, entry.mode);
  octal(header, 108, 8, 0); // uid
  octal(header, 116, 8, 0); // gid
  octal(header, 124, 12, entry.data.length);
  octal(header, 136, 12, mtime);
  header.fill(0x20, 148, 156); // the checksum is summed with its own field as spaces
  header[156] = 0x30; // "0": a regular file
  header.set(encoder.encode("ustar\u000000"), 257);
  header.set(encoder.encode("root"), 265);
  header.set(encoder.encode("root"), 297);
  let sum = 0;
  for (const b of header) sum += b;
  header.set(encoder.encode(sum.toString(8).padStart(6, "0")), 148);
  header[154] = 0;
  header[155] = 0x20;
  return header;
}

/** A gzip-compressed ustar archive of `entries`, each dated `mtime` (seconds). */
export function tarGz(entries: Entry[], mtime: number): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const e of entries) {
    parts.push(tarHeader(e, mtime), e.data);
    const pad = (512 - (e.data.length % 512)) % 512;
    if (pad) parts.push(new Uint8Array(pad));
  }
  parts.push(new Uint8Array(1024)); // two empty blocks end the archive
  return zlib.gzipSync(concat(parts), { level: 9 });
}

let table: Uint32Array | undefined;

/** CRC-32 (the zip and gzip one), by node:zlib where the runtime has it. */
export function crc32(data: Uint8Array): number {
  const native = (zlib as { crc32?: (d: Uint8Array) => number }).crc32;
  if (typeof native === "function") return native(data) >>> 0;
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function dosTime(mtime: number): { time: number; date: number } {
  const d = new Date(mtime * 1000);
  const year = Math.max(1980, d.getUTCFullYear());
  return {
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (d.getUTCSeconds() >> 1),
    date: ((year - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
  };
}

/** A zip archive of `entries`, deflated, each dated `mtime` (seconds, as UTC). */
export function zip(entries: Entry[], mtime: number): Uint8Array {
  const { time, date } = dosTime(mtime);
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = encoder.encode(e.name);
    const packed = zlib.deflateRawSync(e.data, { level: 9 });
    const crc = crc32(e.data);
    if (packed.length >= 0xffffffff || e.data.length >= 0xffffffff) {
      throw new Error(`zip: ${e.name} is too large for a zip without ZIP64`);
    }
    const local = new Uint8Array(30 + name.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true); // version needed: 2.0 (deflate)
    lv.setUint16(6, 0x0800, true); // names are UTF-8
    lv.setUint16(8, 8, true); // deflate
    lv.setUint16(10, time, true);
    lv.setUint16(12, date, true);
    lv.setUint32(14, crc, true);
    lv.setUint32(18, packed.length, true);
    lv.setUint32(22, e.data.length, true);
    lv.setUint16(26, name.length, true);
    lv.setUint16(28, 0, true);
    local.set(name, 30);
    locals.push(local, packed);

    const central = new Uint8Array(46 + name.length);
    const cv = new DataView(central.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, (3 << 8) | 20, true); // made by: Unix, 2.0 (so the mode below is read)
    cv.setUint16(6, 20, true);
    cv.setUint16(8, 0x0800, true);
    cv.setUint16(10, 8, true);
    cv.setUint16(12, time, true);
    cv.setUint16(14, date, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, packed.length, true);
    cv.setUint32(24, e.data.length, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(38, ((0o100000 | e.mode) << 16) >>> 0, true); // external attributes: a file
    cv.setUint32(42, offset, true);
    central.set(name, 46);
    centrals.push(central);
    offset += local.length + packed.length;
  }
  const centralSize = centrals.reduce((n, c) => n + c.length, 0);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, entries.length, true);
  ev.setUint16(10, entries.length, true);
  ev.setUint32(12, centralSize, true);
  ev.setUint32(16, offset, true);
  return concat([...locals, ...centrals, end]);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
