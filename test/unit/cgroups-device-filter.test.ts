// The cgroup2 device program the native addon generates, run by a small eBPF interpreter over
// every combination of a set of requests, against the rules' meaning: the last rule that matches
// decides, a request matches when its type, major and minor fit and every access it asks for is
// granted, and nothing matching is a deny. (The kernel runs the same programs in
// test/integration/cgroups-devices.test.ts.) Also the rule encoding and runc's appended defaults.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findAddon, native } from '../../host-linux/native/index.ts';
import { encodeDeviceRules } from '../../host-linux/cgroups/v2/devices.ts';
import { RUNTIME_DEVICE_RULES, accessMask } from '../../host-linux/cgroups/device-rules.ts';
import type { DeviceRule } from '../../host-linux/cgroups/resources.ts';
import { defaultDeviceRules } from '../../core/runtime-spec/resources.ts';

const skip = findAddon() ? false : 'the native addon is not built';

interface Request { type: 'b' | 'c'; major: number; minor: number; access: number }

/** Runs the program on the kernel's struct bpf_cgroup_dev_ctx; returns R0. Only the opcodes a device filter needs. */
function run(program: Buffer, req: Request): number {
  const ctx = [((req.access << 16) | (req.type === 'b' ? 1 : 2)) >>> 0, req.major, req.minor];
  const r = new Array<number>(11).fill(0);
  let steps = 0;
  for (let pc = 0; ; pc++) {
    if (++steps > 100_000 || pc * 8 >= program.length) throw new Error(`ran off the program at ${pc}`);
    const code = program[pc * 8]!;
    const dst = program[pc * 8 + 1]! & 0xf;
    const src = program[pc * 8 + 1]! >> 4;
    const off = program.readInt16LE(pc * 8 + 2);
    const imm = program.readInt32LE(pc * 8 + 4);
    switch (code) {
      case 0x61: assert.equal(src, 1, 'loads only from the context'); r[dst] = ctx[off / 4]!; break; // ldxw
      case 0x54: r[dst] = (r[dst]! & imm) >>> 0; break; // and32 imm
      case 0x74: r[dst] = r[dst]! >>> imm; break; // rsh32 imm
      case 0xb4: r[dst] = imm >>> 0; break; // mov32 imm
      case 0xbc: r[dst] = r[src]! >>> 0; break; // mov32 reg
      case 0x55: if (r[dst] !== imm >>> 0) pc += off; break; // jne imm
      case 0x5d: if (r[dst] !== r[src]) pc += off; break; // jne reg
      case 0x95: return r[0]!; // exit
      default: throw new Error(`unexpected opcode 0x${code.toString(16)} at ${pc}`);
    }
  }
}

/** What the rules mean. */
function decide(rules: DeviceRule[], req: Request): number {
  for (const rule of [...rules].reverse()) {
    const type = rule.type ?? 'a';
    if (type !== 'a' && type !== req.type) continue;
    if (rule.major !== undefined && rule.major >= 0 && rule.major !== req.major) continue;
    if (rule.minor !== undefined && rule.minor >= 0 && rule.minor !== req.minor) continue;
    if ((accessMask(rule.access) & req.access) !== req.access) continue;
    return rule.allow ? 1 : 0;
  }
  return 0;
}

const requests: Request[] = [];
for (const type of ['b', 'c'] as const) {
  for (const [major, minor] of [[1, 3], [1, 5], [1, 9], [5, 2], [7, 0], [10, 229], [136, 4], [259, 1048575]]) {
    for (let access = 1; access <= 7; access++) requests.push({ type, major: major!, minor: minor!, access });
  }
}

const allow = (type: 'a' | 'b' | 'c', major?: number, minor?: number, access?: string): DeviceRule => ({ allow: true, type, major, minor, access });
const deny = (type: 'a' | 'b' | 'c', major?: number, minor?: number, access?: string): DeviceRule => ({ ...allow(type, major, minor, access), allow: false });

const RULE_SETS: Record<string, DeviceRule[]> = {
  'none (deny everything)': [],
  "dockerd's default then runc's": [...defaultDeviceRules(false), ...RUNTIME_DEVICE_RULES],
  'privileged': [...defaultDeviceRules(true), ...RUNTIME_DEVICE_RULES],
  'deny after allow-all': [allow('a'), deny('c', 1, 5), deny('b', 7, undefined, 'w')],
  'allow after deny': [deny('c', 1, 5), allow('a', undefined, undefined, 'rwm')],
  'partial access': [deny('a'), allow('c', 1, 3, 'r'), allow('c', 1, 3, 'w'), allow('c', 1, undefined, 'rm'), allow('b', undefined, undefined, 'm')],
  'allow-all in the middle hides what is before it': [deny('c', 1, 3), allow('a'), deny('c', 1, 5, 'w')],
  'major wildcard, minor fixed': [deny('a'), allow('c', undefined, 2), allow('b', -1, 0, 'rw')],
  'a type with numbers': [deny('a'), allow('a', 1, 3), allow('a', 7)],
};

for (const [name, rules] of Object.entries(RULE_SETS)) {
  test(`device program: ${name}`, { skip }, () => {
    const program = native().deviceFilterProgram(encodeDeviceRules(rules));
    assert.equal(program.length % 8, 0);
    const wrong = requests.filter((q) => run(program, q) !== decide(rules, q));
    assert.deepEqual(wrong, [], `requests the program decides differently from the rules (${program.length / 8} instructions)`);
  });
}

test('a rule that matches everything ends the program: what is before it is not generated', { skip }, () => {
  const short = native().deviceFilterProgram(encodeDeviceRules([allow('a')])).length;
  const long = native().deviceFilterProgram(encodeDeviceRules([deny('c', 1, 3), deny('c', 1, 5), allow('a')])).length;
  assert.equal(long, short);
  // The context loads plus "allow; exit".
  assert.equal(short / 8, 8);
});

test('encoding: five int32s per rule, wildcards as -1, access bits m=1 r=2 w=4, empty access is rwm', () => {
  const bytes = encodeDeviceRules([allow('c', 1, 3, 'rw'), deny('a'), { allow: true, type: 'b', major: 8, minor: -1, access: '' }]);
  assert.deepEqual([...new Int32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4)], [1, 99, 1, 3, 6, 0, 97, -1, -1, 7, 1, 98, 8, -1, 7]);
  assert.throws(() => encodeDeviceRules([allow('c', 1, 3, 'rx')]), /invalid device access "rx"/);
});

test("runc's rules come after the spec's: mknod anywhere, the pty devices and /dev/net/tun", () => {
  const lines = RUNTIME_DEVICE_RULES.map((r) => `${r.type} ${r.major ?? '*'}:${r.minor ?? '*'} ${r.access}`);
  assert.deepEqual(lines, ['c *:* m', 'b *:* m', 'c 1:3 rwm', 'c 1:8 rwm', 'c 1:7 rwm', 'c 5:0 rwm', 'c 1:5 rwm', 'c 1:9 rwm', 'c 136:* rwm', 'c 5:2 rwm', 'c 10:200 rwm']);
});
