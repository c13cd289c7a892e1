// HostConfig.SecurityOpt as dockerd parses it (`no-new-privileges`, `seccomp=unconfined|<json>`,
// `apparmor=`, `label=`), with its error texts.
import { BerthError } from '../errors.ts';

export interface SecurityOptions {
  noNewPrivileges: boolean;
  /** '' = Docker's default profile; 'unconfined'; or a profile's JSON text. */
  seccompProfile: string;
  apparmorProfile: string;
  labelOpts: string[];
}

function goQuote(s: string): string {
  return JSON.stringify(s);
}

function parseBool(s: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  return undefined;
}

export function parseSecurityOpts(opts: readonly string[] | null | undefined): SecurityOptions {
  const out: SecurityOptions = { noNewPrivileges: false, seccompProfile: '', apparmorProfile: '', labelOpts: [] };
  for (const opt of opts ?? []) {
    if (opt === 'no-new-privileges') { out.noNewPrivileges = true; continue; }
    if (opt === 'disable') { out.labelOpts.push('disable'); continue; }
    const sep = opt.includes('=') ? '=' : opt.includes(':') ? ':' : '';
    if (!sep) throw new BerthError('invalid_argument', `invalid --security-opt 1: ${goQuote(opt)}`);
    const i = opt.indexOf(sep);
    const key = opt.slice(0, i);
    const value = opt.slice(i + 1);
    switch (key) {
      case 'label': out.labelOpts.push(value); break;
      case 'apparmor': out.apparmorProfile = value; break;
      case 'seccomp': out.seccompProfile = value; break;
      case 'no-new-privileges': {
        const b = parseBool(value);
        if (b === undefined) throw new BerthError('invalid_argument', `invalid --security-opt 2: ${goQuote(opt)}`);
        out.noNewPrivileges = b;
        break;
      }
      default: throw new BerthError('invalid_argument', `invalid --security-opt 2: ${goQuote(opt)}`);
    }
  }
  return out;
}
