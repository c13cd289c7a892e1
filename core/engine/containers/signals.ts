// Signal names and numbers as on Linux (x86 and arm alike for the ones Docker users name).
import { BerthError } from '../../errors.ts';

export const SIGNALS: Record<string, number> = {
  HUP: 1, INT: 2, QUIT: 3, ILL: 4, TRAP: 5, ABRT: 6, IOT: 6, BUS: 7, FPE: 8, KILL: 9, USR1: 10, SEGV: 11, USR2: 12,
  PIPE: 13, ALRM: 14, TERM: 15, STKFLT: 16, CHLD: 17, CONT: 18, STOP: 19, TSTP: 20, TTIN: 21, TTOU: 22, URG: 23,
  XCPU: 24, XFSZ: 25, VTALRM: 26, PROF: 27, WINCH: 28, IO: 29, POLL: 29, PWR: 30, SYS: 31,
};

/** dockerd's signal.ParseSignal: a number, `TERM`, `SIGTERM` or `RTMIN+3`. */
export function parseSignal(raw: string): number {
  const s = raw.trim();
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    if (n === 0 || n > 64) throw new BerthError('invalid_argument', `Invalid signal: ${raw}`);
    return n;
  }
  const name = s.toUpperCase().replace(/^SIG/, '');
  if (name in SIGNALS) return SIGNALS[name]!;
  const rt = /^RTMIN(?:\+(\d+))?$/.exec(name) ?? /^RTMAX(?:-(\d+))?$/.exec(name);
  if (rt) {
    const n = name.startsWith('RTMIN') ? 34 + Number(rt[1] ?? 0) : 64 - Number(rt[1] ?? 0);
    if (n >= 34 && n <= 64) return n;
  }
  throw new BerthError('invalid_argument', `Invalid signal: ${raw}`);
}
