// An instruction's `--flags` as BuildKit's BFlags checks them: each instruction declares the flags it
// takes, then the words the parser found are matched against them, first error wins.
import { BerthError } from '../../errors.ts';
import { withSuggestion } from './suggest.ts';

type FlagType = 'bool' | 'string' | 'strings';

interface Flag {
  type: FlagType;
  value: string;
  values: string[];
  used: boolean;
}

export class InstructionFlags {
  readonly #args: readonly string[];
  readonly #flags = new Map<string, Flag>();
  #parsed = false;

  constructor(args: readonly string[]) {
    this.#args = args;
  }

  addBool(name: string, def = false): () => boolean {
    const f = this.#add(name, 'bool', def ? 'true' : 'false');
    return () => (this.#check(), f.value === 'true');
  }

  addString(name: string, def = ''): () => string {
    const f = this.#add(name, 'string', def);
    return () => (this.#check(), f.value);
  }

  addStrings(name: string): () => string[] {
    const f = this.#add(name, 'strings', '');
    return () => (this.#check(), [...f.values]);
  }

  /** Whether the flag was given (as opposed to left at its default). */
  isUsed(name: string): boolean {
    return this.#flags.get(name)?.used ?? false;
  }

  /** Matches the words against the declared flags; throws BuildKit's texts. */
  parse(): void {
    this.#parsed = true;
    for (const arg of this.#args) {
      if (!arg.startsWith('--')) throw invalid(`arg should start with -- : ${arg}`);
      if (arg === '--') return;
      const body = arg.slice(2);
      const eq = body.indexOf('=');
      const name = eq >= 0 ? body.slice(0, eq) : body;
      const value = eq >= 0 ? body.slice(eq + 1) : '';
      const flag = this.#flags.get(name);
      if (!flag) throw invalid(withSuggestion(`unknown flag: ${name}`, name, [...this.#flags.keys()], true));
      if (flag.used && flag.type !== 'strings') throw invalid(`duplicate flag specified: ${name}`);
      flag.used = true;
      if (flag.type === 'bool') {
        if (eq >= 0 && value === '') throw invalid(`missing a value on flag: ${name}`);
        const lower = value.toLowerCase();
        if (lower === '') flag.value = 'true';
        else if (lower === 'true' || lower === 'false') flag.value = lower;
        else throw invalid(`expecting boolean value for flag ${name}, not: ${value}`);
      } else {
        if (eq < 0) throw invalid(`missing a value on flag: ${name}`);
        if (flag.type === 'string') flag.value = value;
        else flag.values.push(value);
      }
    }
  }

  #add(name: string, type: FlagType, value: string): Flag {
    const flag: Flag = { type, value, values: [], used: false };
    this.#flags.set(name, flag);
    return flag;
  }

  #check(): void {
    if (!this.#parsed) throw new BerthError('internal', 'flags read before they were parsed');
  }
}

function invalid(message: string): BerthError {
  return new BerthError('invalid_argument', message);
}
