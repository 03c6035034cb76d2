// Target description served as qXfer:features:read:target.xml (gdb manual,
// "Target Descriptions"). Everything is inlined in one document, as gdbserver
// does. Feature contents and type definitions follow gdb's own
// features/i386/64bit-{core,sse,linux,segments,avx}.xml so that `p $xmm0`
// prints the same union as against gdbserver; the registers themselves come
// from AMD64_REGISTERS, the table the `g` codec uses.

import { RspParseError, parseHexNumber } from './packet.js';
import { AMD64_REGISTERS, registerCount, type RegisterInfo, type TdescFeature } from './regs.js';

export interface TdescOptions {
  /** Include org.gnu.gdb.i386.avx (ymm0h..ymm15h, regnums 60-75). */
  avx: boolean;
}

const FEATURE_NAMES: Record<TdescFeature, string> = {
  core: 'org.gnu.gdb.i386.core',
  sse: 'org.gnu.gdb.i386.sse',
  linux: 'org.gnu.gdb.i386.linux',
  segments: 'org.gnu.gdb.i386.segments',
  avx: 'org.gnu.gdb.i386.avx',
};

function flags(id: string, fields: Array<[string, number]>): string[] {
  return [
    `    <flags id="${id}" size="4">`,
    ...fields.map(([name, bit]) => `      <field name="${name}" start="${bit}" end="${bit}"/>`),
    '    </flags>',
  ];
}

const FEATURE_TYPES: Record<TdescFeature, string[]> = {
  core: flags('i386_eflags', [
    ['CF', 0], ['', 1], ['PF', 2], ['AF', 4], ['ZF', 6], ['SF', 7], ['TF', 8], ['IF', 9], ['DF', 10],
    ['OF', 11], ['NT', 14], ['RF', 16], ['VM', 17], ['AC', 18], ['VIF', 19], ['VIP', 20], ['ID', 21],
  ]),
  sse: [
    '    <vector id="v8bf16" type="bfloat16" count="8"/>',
    '    <vector id="v8h" type="ieee_half" count="8"/>',
    '    <vector id="v4f" type="ieee_single" count="4"/>',
    '    <vector id="v2d" type="ieee_double" count="2"/>',
    '    <vector id="v16i8" type="int8" count="16"/>',
    '    <vector id="v8i16" type="int16" count="8"/>',
    '    <vector id="v4i32" type="int32" count="4"/>',
    '    <vector id="v2i64" type="int64" count="2"/>',
    '    <union id="vec128">',
    '      <field name="v8_bfloat16" type="v8bf16"/>',
    '      <field name="v8_half" type="v8h"/>',
    '      <field name="v4_float" type="v4f"/>',
    '      <field name="v2_double" type="v2d"/>',
    '      <field name="v16_int8" type="v16i8"/>',
    '      <field name="v8_int16" type="v8i16"/>',
    '      <field name="v4_int32" type="v4i32"/>',
    '      <field name="v2_int64" type="v2i64"/>',
    '      <field name="uint128" type="uint128"/>',
    '    </union>',
    ...flags('i386_mxcsr', [
      ['IE', 0], ['DE', 1], ['ZE', 2], ['OE', 3], ['UE', 4], ['PE', 5], ['DAZ', 6], ['IM', 7],
      ['DM', 8], ['ZM', 9], ['OM', 10], ['UM', 11], ['PM', 12], ['FZ', 15],
    ]),
  ],
  linux: [],
  segments: [],
  avx: [],
};

function regXml(reg: RegisterInfo): string {
  // Every register carries its regnum: gdb would number them consecutively
  // anyway, but the regnum is the remote number that fixes the `g` layout,
  // so it is stated rather than implied.
  const attrs = [`name="${reg.name}"`, `bitsize="${reg.bitsize}"`, `type="${reg.type}"`, `regnum="${reg.regnum}"`];
  if (reg.group) attrs.push(`group="${reg.group}"`);
  return `    <reg ${attrs.join(' ')}/>`;
}

/** The complete target.xml for x86_64 GNU/Linux. */
export function amd64LinuxTargetXml(options: TdescOptions): string {
  const regs = AMD64_REGISTERS.slice(0, registerCount(options.avx));
  const features: TdescFeature[] = ['core', 'sse', 'linux', 'segments'];
  if (options.avx) features.push('avx');
  const lines = [
    '<?xml version="1.0"?>',
    '<!DOCTYPE target SYSTEM "gdb-target.dtd">',
    '<target version="1.0">',
    '  <architecture>i386:x86-64</architecture>',
    '  <osabi>GNU/Linux</osabi>',
  ];
  for (const feature of features) {
    lines.push(`  <feature name="${FEATURE_NAMES[feature]}">`);
    lines.push(...FEATURE_TYPES[feature]);
    for (const reg of regs) if (reg.feature === feature) lines.push(regXml(reg));
    lines.push('  </feature>');
  }
  lines.push('</target>');
  return lines.join('\n') + '\n';
}

const cache = new Map<boolean, Buffer>();

/** target.xml as bytes (cached; treat as read-only). */
export function targetXmlBuffer(options: TdescOptions): Buffer {
  let b = cache.get(options.avx);
  if (!b) {
    b = Buffer.from(amd64LinuxTargetXml(options), 'utf8');
    cache.set(options.avx, b);
  }
  return b;
}

/**
 * The reply to one `qXfer:…:read:…:OFF,LEN` request over `data`: `m` + chunk
 * when more remains after it, `l` + chunk for the last (possibly empty) piece.
 * The chunk is raw: encodePacket escapes it.
 */
export function qXferSlice(data: Buffer, offset: number, length: number): Buffer {
  const start = Math.min(Math.max(0, offset), data.length);
  const end = Math.min(data.length, start + Math.max(0, length));
  const more = end < data.length;
  const out = Buffer.allocUnsafe(1 + end - start);
  out[0] = more ? 0x6d /* m */ : 0x6c /* l */;
  data.copy(out, 1, start, end);
  return out;
}

export interface QXferRead {
  object: string;
  annex: string;
  offset: number;
  length: number;
}

/**
 * Parses `qXfer:OBJECT:read:ANNEX:OFFSET,LENGTH` (e.g.
 * `qXfer:features:read:target.xml:0,1000`, `qXfer:auxv:read::0,1000`).
 * Returns undefined for other packets; throws RspParseError when malformed.
 */
export function parseQXferRead(payload: string): QXferRead | undefined {
  if (!payload.startsWith('qXfer:')) return undefined;
  const parts = payload.split(':');
  if (parts.length !== 5 || parts[2] !== 'read') return undefined;
  const range = /^([0-9a-fA-F]+),([0-9a-fA-F]+)$/.exec(parts[4]!);
  if (!range) throw new RspParseError(`bad qXfer range '${parts[4]}'`);
  return { object: parts[1]!, annex: parts[3]!, offset: parseHexNumber(range[1]!), length: parseHexNumber(range[2]!) };
}
