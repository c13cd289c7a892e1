// `-m` for a wasm module: its memory section is rewritten so the declared maximum is at most the
// limit. The engine then refuses to grow past it (memory.grow returns -1, malloc returns NULL),
// which is the wasm form of a memory cgroup: the module sees allocation failures, not the host.
import { BerthError } from '../errors.ts';

export const WASM_PAGE = 65536;
const MEMORY_SECTION = 5;

function readLeb(b: Uint8Array, at: number): { value: bigint; next: number } {
  let value = 0n; let shift = 0n; let i = at;
  for (;;) {
    if (i >= b.length) throw new BerthError('invalid_argument', 'the wasm module is truncated (a LEB128 number runs past its end)');
    const byte = b[i++]!;
    value |= BigInt(byte & 0x7f) << shift;
    shift += 7n;
    if (!(byte & 0x80)) return { value, next: i };
  }
}

function leb(value: bigint): number[] {
  const out: number[] = [];
  do {
    let byte = Number(value & 0x7fn);
    value >>= 7n;
    if (value) byte |= 0x80;
    out.push(byte);
  } while (value);
  return out;
}

/** The memories a module defines itself: minimum and maximum in pages (max undefined: none declared). */
export function declaredMemories(module: Uint8Array): { min: bigint; max?: bigint }[] {
  const found: { min: bigint; max?: bigint }[] = [];
  walkMemories(module, (m) => { found.push(m); return undefined; });
  return found;
}

/**
 * The module with every defined memory's maximum lowered to `maxBytes` (whole pages). Throws when a
 * memory's initial size is already above it: such a module cannot start within the limit.
 */
export function capMemory(module: Uint8Array, maxBytes: number): Uint8Array {
  const cap = BigInt(Math.floor(maxBytes / WASM_PAGE));
  return walkMemories(module, ({ min, max }) => {
    if (min > cap) {
      throw new BerthError('invalid_argument', `the wasm module needs ${min * 64n} KiB of memory to start, more than the container's memory limit (-m ${maxBytes} bytes, ${cap} pages of 64 KiB)`);
    }
    return max !== undefined && max <= cap ? max : cap;
  });
}

/**
 * Visits each limits entry of the memory section; `change` returns a new maximum or undefined to
 * keep it. Returns the module, rebuilt only if something changed.
 */
function walkMemories(module: Uint8Array, change: (m: { min: bigint; max?: bigint }) => bigint | undefined): Uint8Array {
  if (module.length < 8 || module[0] !== 0 || module[1] !== 0x61 || module[2] !== 0x73 || module[3] !== 0x6d) {
    throw new BerthError('invalid_argument', 'not a WebAssembly module (no \\0asm magic number)');
  }
  let at = 8;
  while (at < module.length) {
    const id = module[at]!;
    const size = readLeb(module, at + 1);
    const start = size.next;
    const end = start + Number(size.value);
    if (end > module.length) throw new BerthError('invalid_argument', 'the wasm module is truncated (a section runs past its end)');
    if (id !== MEMORY_SECTION) { at = end; continue; }
    const count = readLeb(module, start);
    const body: number[] = [...leb(count.value)];
    let p = count.next;
    let changed = false;
    for (let i = 0n; i < count.value; i++) {
      const flags = module[p++]!;
      const min = readLeb(module, p); p = min.next;
      let max: bigint | undefined;
      if (flags & 1) { const m = readLeb(module, p); p = m.next; max = m.value; }
      const next = change(max === undefined ? { min: min.value } : { min: min.value, max: max });
      if (next !== undefined && next !== max) changed = true;
      const newMax = next ?? max;
      body.push(newMax === undefined ? flags : flags | 1, ...leb(min.value), ...(newMax === undefined ? [] : leb(newMax)));
    }
    if (!changed) return module;
    const section = [MEMORY_SECTION, ...leb(BigInt(body.length)), ...body];
    const out = new Uint8Array(at + section.length + (module.length - end));
    out.set(module.subarray(0, at));
    out.set(section, at);
    out.set(module.subarray(end), at + section.length);
    return out;
  }
  return module;
}
