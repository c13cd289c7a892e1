// Go's text/template, as the docker CLI uses it for --format: actions, pipelines, variables, if /
// else / range / with / break / continue, the builtin functions and docker's own (json, join,
// split, lower, upper, title, pad, truncate). Data are JS values: plain objects behave as Go maps
// (a missing key prints `<no value>`), and objects carrying a GO_TYPE behave as Go structs whose
// methods are their function-valued properties (a missing field is an error, as in docker).
import { formatG } from './units.ts';

/** Marks an object as a Go struct; the value is its type name in error messages. */
export const GO_TYPE: unique symbol = Symbol('goType');

/** Marks a plain object as a Go map, whose JSON has its keys sorted. */
export const GO_MAP: unique symbol = Symbol('goMap');

/** A copy of `o` that encodes as a Go map (keys sorted), as docker's typed maps do. */
export function goMap<T extends object>(o: T): T {
  return Object.assign(Object.create(null) as object, o, { [GO_MAP]: true }) as T;
}

/** Keys only a map can have (`org.label`, `80/tcp`, `docker.io`): struct fields are identifiers. */
function looksLikeMap(o: object): boolean {
  return GO_MAP in o || Object.keys(o).some((k) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(k));
}

export type TemplateFunc = (...args: unknown[]) => unknown;

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

// ---------------------------------------------------------------------------------------------
// Lexer

type TokKind =
  | 'text' | 'left' | 'right' | 'field' | 'var' | 'ident' | 'string' | 'rawstring' | 'char' | 'number'
  | 'bool' | 'nil' | 'dot' | 'pipe' | 'lparen' | 'rparen' | 'declare' | 'assign' | 'comma' | 'space' | 'eof';

interface Tok { kind: TokKind; val: string; pos: number }

const KEYWORDS = new Set(['if', 'else', 'end', 'range', 'with', 'define', 'template', 'block', 'break', 'continue']);

function lex(src: string, name = ''): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  const isSpace = (c: string | undefined) => c === ' ' || c === '\t' || c === '\r' || c === '\n';
  const err = (msg: string, pos: number): never => {
    throw new TemplateError(`template: ${name}:${lineOf(src, pos)}: ${msg}`);
  };
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    if (open < 0) {
      toks.push({ kind: 'text', val: src.slice(i), pos: i });
      break;
    }
    let text = src.slice(i, open);
    let j = open + 2;
    const trimLeft = src[j] === '-' && isSpace(src[j + 1]);
    if (trimLeft) {
      text = text.replace(/[ \t\r\n]+$/, '');
      j += 1;
    }
    if (text) toks.push({ kind: 'text', val: text, pos: i });
    // Comments: {{/* ... */}} with optional trim markers.
    let k = j;
    while (isSpace(src[k])) k++;
    if (src.startsWith('/*', k)) {
      const end = src.indexOf('*/', k + 2);
      if (end < 0) err('unclosed comment', k);
      let after = end + 2;
      let trimRight = false;
      if (src.startsWith(' -}}', after) || src.startsWith('\t-}}', after) || src.startsWith('\n-}}', after)) {
        trimRight = true;
        after += 1;
      }
      if (!src.startsWith(trimRight ? '-}}' : '}}', after)) err('comment ends before closing delimiter', after);
      i = after + (trimRight ? 3 : 2);
      if (trimRight) while (isSpace(src[i])) i++;
      continue;
    }
    toks.push({ kind: 'left', val: '{{', pos: open });
    // Inside an action.
    let trimRight = false;
    for (;;) {
      if (j >= src.length) err('unclosed action', open);
      const c = src[j]!;
      if (isSpace(c)) {
        if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
          // " -}}" ends the action and trims what follows.
          let s = j;
          while (isSpace(src[s])) s++;
          if (src.startsWith('-}}', s)) {
            trimRight = true;
            j = s + 1;
            continue;
          }
        }
        const start = j;
        while (isSpace(src[j])) j++;
        toks.push({ kind: 'space', val: src.slice(start, j), pos: start });
        continue;
      }
      if (src.startsWith('}}', j)) {
        toks.push({ kind: 'right', val: '}}', pos: j });
        j += 2;
        break;
      }
      if (c === '|') { toks.push({ kind: 'pipe', val: c, pos: j }); j++; continue; }
      if (c === '(') { toks.push({ kind: 'lparen', val: c, pos: j }); j++; continue; }
      if (c === ')') { toks.push({ kind: 'rparen', val: c, pos: j }); j++; continue; }
      if (c === ',') { toks.push({ kind: 'comma', val: c, pos: j }); j++; continue; }
      if (c === ':' && src[j + 1] === '=') { toks.push({ kind: 'declare', val: ':=', pos: j }); j += 2; continue; }
      if (c === '=') { toks.push({ kind: 'assign', val: '=', pos: j }); j++; continue; }
      if (c === '"') {
        const start = j;
        j++;
        while (j < src.length && src[j] !== '"') {
          if (src[j] === '\\') j++;
          if (src[j] === '\n') err('unterminated quoted string', start);
          j++;
        }
        if (j >= src.length) err('unterminated quoted string', start);
        j++;
        toks.push({ kind: 'string', val: src.slice(start, j), pos: start });
        continue;
      }
      if (c === '`') {
        const end = src.indexOf('`', j + 1);
        if (end < 0) err('unterminated raw quoted string', j);
        toks.push({ kind: 'rawstring', val: src.slice(j, end + 1), pos: j });
        j = end + 1;
        continue;
      }
      if (c === "'") {
        const start = j;
        j++;
        while (j < src.length && src[j] !== "'") { if (src[j] === '\\') j++; j++; }
        j++;
        toks.push({ kind: 'char', val: src.slice(start, j), pos: start });
        continue;
      }
      if (c === '$') {
        const start = j;
        j++;
        while (j < src.length && /[\p{L}\p{N}_]/u.test(src[j]!)) j++;
        toks.push({ kind: 'var', val: src.slice(start, j), pos: start });
        continue;
      }
      if (c === '.') {
        if (/[0-9]/.test(src[j + 1] ?? '')) {
          const m = /^[.0-9eE+_-]+/.exec(src.slice(j))!;
          toks.push({ kind: 'number', val: m[0], pos: j });
          j += m[0].length;
          continue;
        }
        const start = j;
        j++;
        while (j < src.length && /[\p{L}\p{N}_]/u.test(src[j]!)) {
          j++;
          // .A.B is one field chain
          if (src[j] === '.' && /[\p{L}_]/u.test(src[j + 1] ?? '')) j++;
        }
        if (j === start + 1) toks.push({ kind: 'dot', val: '.', pos: start });
        else toks.push({ kind: 'field', val: src.slice(start, j), pos: start });
        continue;
      }
      if (/[0-9+-]/.test(c)) {
        const m = /^[+-]?(0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|[0-9_]*\.?[0-9_]+(?:[eE][+-]?[0-9]+)?|[0-9_]+\.)/.exec(src.slice(j));
        if (!m) err(`bad number syntax: ${JSON.stringify(src.slice(j, j + 2))}`, j);
        toks.push({ kind: 'number', val: m![0], pos: j });
        j += m![0].length;
        continue;
      }
      if (/[\p{L}_]/u.test(c)) {
        const start = j;
        while (j < src.length && /[\p{L}\p{N}_]/u.test(src[j]!)) j++;
        const word = src.slice(start, j);
        const kind: TokKind = word === 'true' || word === 'false' ? 'bool' : word === 'nil' ? 'nil' : 'ident';
        toks.push({ kind, val: word, pos: start });
        continue;
      }
      err(`bad character U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} '${c}'`, j);
    }
    i = j;
    if (trimRight) while (isSpace(src[i])) i++;
  }
  toks.push({ kind: 'eof', val: '', pos: src.length });
  return toks;
}

function lineOf(src: string, pos: number): number {
  let n = 1;
  for (let i = 0; i < pos && i < src.length; i++) if (src[i] === '\n') n++;
  return n;
}

// ---------------------------------------------------------------------------------------------
// Parse tree

type Arg =
  | { t: 'field'; names: string[]; pos: number }
  | { t: 'chain'; node: Arg; names: string[]; pos: number }
  | { t: 'var'; name: string; names: string[]; pos: number }
  | { t: 'ident'; name: string; pos: number }
  | { t: 'dot'; pos: number }
  | { t: 'nil'; pos: number }
  | { t: 'lit'; value: unknown; text: string; pos: number }
  | { t: 'pipe'; pipe: Pipe; pos: number };

interface Command { args: Arg[]; pos: number }
interface Pipe { decl: string[]; isAssign: boolean; cmds: Command[]; pos: number }

type Node =
  | { t: 'text'; text: string }
  | { t: 'action'; pipe: Pipe }
  | { t: 'if' | 'with' | 'range'; pipe: Pipe; list: Node[]; elseList?: Node[] }
  | { t: 'break' | 'continue' }
  | { t: 'template'; name: string; pipe?: Pipe };

function unquote(tok: Tok): string {
  if (tok.kind === 'rawstring') return tok.val.slice(1, -1).replaceAll('\r', '');
  const body = tok.val.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') { out += c; continue; }
    const n = body[++i];
    switch (n) {
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case 'a': out += '\x07'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'v': out += '\v'; break;
      case '\\': out += '\\'; break;
      case '"': out += '"'; break;
      case "'": out += "'"; break;
      case 'x': out += String.fromCharCode(parseInt(body.slice(i + 1, i + 3), 16)); i += 2; break;
      case 'u': out += String.fromCodePoint(parseInt(body.slice(i + 1, i + 5), 16)); i += 4; break;
      case 'U': out += String.fromCodePoint(parseInt(body.slice(i + 1, i + 9), 16)); i += 8; break;
      default:
        if (n !== undefined && /[0-7]/.test(n)) { out += String.fromCharCode(parseInt(body.slice(i, i + 3), 8)); i += 2; }
        else throw new TemplateError(`invalid syntax in string ${tok.val}`);
    }
  }
  return out;
}

class Parser {
  private i = 0;
  private readonly vars: string[][] = [['$']];
  constructor(private readonly toks: Tok[], private readonly src: string, private readonly name = '') {}

  private fail(msg: string, pos?: number): never {
    throw new TemplateError(`template: ${this.name}:${lineOf(this.src, pos ?? this.peek().pos)}: ${msg}`);
  }
  private peek(): Tok { return this.toks[this.i]!; }
  private next(): Tok { return this.toks[this.i++]!; }
  private peekNonSpace(): Tok {
    while (this.peek().kind === 'space') this.i++;
    return this.peek();
  }
  private nextNonSpace(): Tok {
    this.peekNonSpace();
    return this.next();
  }

  parse(): Node[] {
    const [list, end] = this.itemList(false);
    if (end) this.fail(`unexpected {{${end}}}`);
    return list;
  }

  /** Parses nodes up to {{end}} or {{else}}; returns which ended it (undefined at EOF). */
  private itemList(inBlock: boolean): [Node[], string | undefined] {
    const out: Node[] = [];
    for (;;) {
      const tok = this.peek();
      if (tok.kind === 'eof') {
        if (inBlock) this.fail('unexpected EOF');
        return [out, undefined];
      }
      if (tok.kind === 'text') {
        this.next();
        out.push({ t: 'text', text: tok.val });
        continue;
      }
      // left delimiter
      this.next();
      const kw = this.peekNonSpace();
      if (kw.kind === 'ident' && KEYWORDS.has(kw.val)) {
        this.next();
        switch (kw.val) {
          case 'end':
            this.expectRight('end');
            if (!inBlock) this.fail('unexpected {{end}}', kw.pos);
            return [out, 'end'];
          case 'else':
            if (!inBlock) this.fail('unexpected {{else}}', kw.pos);
            return [out, 'else'];
          case 'if': case 'with': case 'range':
            out.push(this.control(kw.val));
            continue;
          case 'break': case 'continue':
            this.expectRight(kw.val);
            out.push({ t: kw.val });
            continue;
          case 'template': {
            const name = this.nextNonSpace();
            if (name.kind !== 'string' && name.kind !== 'rawstring') this.fail('unexpected token in template clause');
            const nt = this.peekNonSpace();
            let pipe: Pipe | undefined;
            if (nt.kind !== 'right') pipe = this.pipeline('template');
            else this.next();
            out.push({ t: 'template', name: unquote(name), pipe });
            continue;
          }
          default:
            this.fail(`{{${kw.val}}} is not supported in --format templates`, kw.pos);
        }
      }
      out.push({ t: 'action', pipe: this.pipeline('command') });
    }
  }

  private expectRight(ctx: string): void {
    const t = this.nextNonSpace();
    if (t.kind !== 'right') this.fail(`unexpected ${JSON.stringify(t.val)} in ${ctx}`, t.pos);
  }

  private control(kind: 'if' | 'with' | 'range'): Node {
    this.vars.push([...this.vars[this.vars.length - 1]!]);
    const pipe = this.pipeline(kind);
    const [list, end] = this.itemList(true);
    let elseList: Node[] | undefined;
    if (end === 'else') {
      // {{else if ...}} / {{else with ...}} chain into a nested node.
      const t = this.peekNonSpace();
      if ((kind === 'if' && t.kind === 'ident' && t.val === 'if') || (kind === 'with' && t.kind === 'ident' && t.val === 'with')) {
        this.next();
        elseList = [this.control(t.val as 'if' | 'with')];
      } else {
        this.expectRight('else');
        const [l2, end2] = this.itemList(true);
        if (end2 !== 'end') this.fail('expected end; found {{else}}');
        elseList = l2;
      }
    }
    this.vars.pop();
    return { t: kind, pipe, list, elseList };
  }

  private pipeline(ctx: string): Pipe {
    const pos = this.peekNonSpace().pos;
    const decl: string[] = [];
    let isAssign = false;
    // Variable declarations: $x := , $i, $v :=
    const save = this.i;
    const v = this.peekNonSpace();
    if (v.kind === 'var') {
      this.next();
      const t = this.peekNonSpace();
      if (t.kind === 'declare' || t.kind === 'assign') {
        this.next();
        decl.push(v.val);
        isAssign = t.kind === 'assign';
        if (!isAssign) this.vars[this.vars.length - 1]!.push(v.val);
      } else if (t.kind === 'comma' && ctx === 'range') {
        this.next();
        const v2 = this.nextNonSpace();
        if (v2.kind !== 'var') this.fail(`range can only initialize variables`);
        const t2 = this.nextNonSpace();
        if (t2.kind !== 'declare' && t2.kind !== 'assign') this.fail(`range can only initialize variables`);
        decl.push(v.val, v2.val);
        isAssign = t2.kind === 'assign';
        if (!isAssign) this.vars[this.vars.length - 1]!.push(v.val, v2.val);
      } else {
        this.i = save;
      }
    }
    const cmds: Command[] = [];
    for (;;) {
      const t = this.peekNonSpace();
      if (t.kind === 'right' || t.kind === 'rparen') {
        if (t.kind === 'right') this.next();
        break;
      }
      cmds.push(this.command());
      const sep = this.peekNonSpace();
      if (sep.kind === 'pipe') { this.next(); continue; }
      if (sep.kind === 'right' || sep.kind === 'rparen') continue;
      this.fail(`unexpected ${JSON.stringify(sep.val)} in operand`, sep.pos);
    }
    if (cmds.length === 0) this.fail(`missing value for ${ctx}`, pos);
    return { decl, isAssign, cmds, pos };
  }

  private command(): Command {
    const args: Arg[] = [];
    const pos = this.peekNonSpace().pos;
    for (;;) {
      const t = this.peek();
      if (t.kind === 'space') { this.next(); continue; }
      if (t.kind === 'right' || t.kind === 'rparen' || t.kind === 'pipe') break;
      args.push(this.operand());
      const after = this.peek();
      if (after.kind !== 'space' && after.kind !== 'right' && after.kind !== 'rparen' && after.kind !== 'pipe') {
        this.fail(`unexpected ${JSON.stringify(after.val)} in operand`, after.pos);
      }
    }
    if (args.length === 0) this.fail('empty command', pos);
    return { args, pos };
  }

  private operand(): Arg {
    const t = this.next();
    let node: Arg;
    switch (t.kind) {
      case 'field': node = { t: 'field', names: t.val.slice(1).split('.'), pos: t.pos }; return node;
      case 'var': {
        if (!this.vars[this.vars.length - 1]!.includes(t.val)) this.fail(`undefined variable "${t.val}"`, t.pos);
        node = { t: 'var', name: t.val, names: [], pos: t.pos };
        break;
      }
      case 'ident': node = { t: 'ident', name: t.val, pos: t.pos }; break;
      case 'dot': node = { t: 'dot', pos: t.pos }; break;
      case 'nil': node = { t: 'nil', pos: t.pos }; break;
      case 'bool': node = { t: 'lit', value: t.val === 'true', text: t.val, pos: t.pos }; break;
      case 'string': case 'rawstring': node = { t: 'lit', value: unquote(t), text: t.val, pos: t.pos }; break;
      case 'char': {
        const s = unquote({ ...t, val: '"' + t.val.slice(1, -1) + '"' });
        node = { t: 'lit', value: s.codePointAt(0) ?? 0, text: t.val, pos: t.pos };
        break;
      }
      case 'number': {
        const n = Number(t.val.replaceAll('_', ''));
        if (Number.isNaN(n)) this.fail(`bad number syntax: "${t.val}"`, t.pos);
        node = { t: 'lit', value: n, text: t.val, pos: t.pos };
        break;
      }
      case 'lparen': {
        const pipe = this.pipeline('parenthesized pipeline');
        const r = this.next();
        if (r.kind !== 'rparen') this.fail('unclosed left paren', t.pos);
        node = { t: 'pipe', pipe, pos: t.pos };
        break;
      }
      default:
        this.fail(`unexpected ${JSON.stringify(t.val)} in operand`, t.pos);
    }
    // Field access on a variable or a parenthesized pipeline: $x.A.B, (pipe).A
    const fields: string[] = [];
    while (this.peek().kind === 'field') fields.push(...this.next().val.slice(1).split('.'));
    if (fields.length) {
      if (node.t === 'var') return { ...node, names: fields };
      return { t: 'chain', node, names: fields, pos: node.pos };
    }
    return node;
  }
}

function argString(a: Arg): string {
  switch (a.t) {
    case 'field': return '.' + a.names.join('.');
    case 'chain': return `${argString(a.node)}.${a.names.join('.')}`;
    case 'var': return a.name + a.names.map((n) => '.' + n).join('');
    case 'ident': return a.name;
    case 'dot': return '.';
    case 'nil': return 'nil';
    case 'lit': return a.text;
    case 'pipe': return `(${pipeString(a.pipe)})`;
  }
}
function pipeString(p: Pipe): string {
  const d = p.decl.length ? `${p.decl.join(', ')} ${p.isAssign ? '=' : ':='} ` : '';
  return d + p.cmds.map((c) => c.args.map(argString).join(' ')).join(' | ');
}

// ---------------------------------------------------------------------------------------------
// Values

/** Go's zero reflect.Value: a missing map key. Printed as `<no value>`. */
const NO_VALUE = undefined;

function isStruct(v: unknown): v is Record<string | symbol, unknown> {
  return typeof v === 'object' && v !== null && GO_TYPE in v;
}

function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'interface {}';
  if (isStruct(v)) return String(v[GO_TYPE]);
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64';
  if (Array.isArray(v)) return '[]interface {}';
  if (typeof v === 'function') return 'func';
  return 'map[string]interface {}';
}

export function truth(v: unknown): boolean {
  if (v === null || v === undefined) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return v.length > 0;
  if (Array.isArray(v)) return v.length > 0;
  if (isStruct(v)) return true;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

function formatNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  // Go's %v for float64 is %g with the shortest representation, exponent from 1e21.
  const abs = Math.abs(n);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e21)) {
    const [m, e] = n.toExponential().split('e') as [string, string];
    const exp = Number(e);
    return `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return String(n);
}

/** fmt.Sprint's %v for one value. */
export function goString(v: unknown): string {
  if (v === undefined) return '<no value>';
  if (v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return '[' + v.map(goValueInner).join(' ') + ']';
  if (isStruct(v)) {
    const s = (v as { String?: () => string }).String;
    if (typeof s === 'function') return s.call(v);
    return '{' + Object.keys(v).map((k) => goValueInner(v[k])).join(' ') + '}';
  }
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return 'map[' + Object.keys(o).sort().map((k) => `${k}:${goValueInner(o[k])}`).join(' ') + ']';
  }
  return String(v);
}
function goValueInner(v: unknown): string {
  return v === undefined || v === null ? '<nil>' : goString(v);
}

function jsonString(s: string, escapeHTML: boolean): string {
  let out = JSON.stringify(s).replaceAll('\u2028', '\\u2028').replaceAll('\u2029', '\\u2029');
  if (escapeHTML) out = out.replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
  return out;
}

/**
 * Go's encoding/json: struct-like values (GO_TYPE) may provide `MarshalJSON(): string`, whose
 * output is embedded as is (docker's formatter contexts escape HTML there, the outer encoder not).
 */
export function goJSON(v: unknown, escapeHTML = false): string {
  if (v === undefined || v === null || typeof v === 'function') return 'null';
  if (typeof v === 'string') return jsonString(v, escapeHTML);
  if (typeof v === 'number') return Number.isFinite(v) ? (Number.isInteger(v) ? String(v) : formatJSONFloat(v)) : 'null';
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return '[' + v.map((x) => goJSON(x, escapeHTML)).join(',') + ']';
  if (isStruct(v) && typeof v.MarshalJSON === 'function') return (v.MarshalJSON as () => string)();
  const o = v as Record<string, unknown>;
  let keys = Object.keys(o).filter((k) => o[k] !== undefined && typeof o[k] !== 'function');
  if (looksLikeMap(o)) keys = keys.sort();
  return '{' + keys.map((k) => `${jsonString(k, escapeHTML)}:${goJSON(o[k], escapeHTML)}`).join(',') + '}';
}

function formatJSONFloat(n: number): string {
  const abs = Math.abs(n);
  if (abs !== 0 && (abs < 1e-6 || abs >= 1e21)) {
    return n.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
  }
  return String(n);
}

// ---------------------------------------------------------------------------------------------
// fmt.Sprintf (the verbs templates use)

function sprintf(format: string, args: unknown[]): string {
  let out = '';
  let ai = 0;
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    if (c !== '%') { out += c; continue; }
    let j = i + 1;
    let flags = '';
    while ('+-# 0'.includes(format[j] ?? 'x')) flags += format[j++];
    let width = '';
    while (/[0-9]/.test(format[j] ?? '')) width += format[j++];
    let prec: number | undefined;
    if (format[j] === '.') {
      j++;
      let p = '';
      while (/[0-9]/.test(format[j] ?? '')) p += format[j++];
      prec = Number(p || '0');
    }
    const verb = format[j];
    i = j;
    if (verb === undefined) { out += '%!(NOVERB)'; break; }
    if (verb === '%') { out += '%'; continue; }
    if (ai >= args.length) { out += `%!${verb}(MISSING)`; continue; }
    const a = args[ai++];
    let s: string;
    switch (verb) {
      case 'v': case 's': s = goString(a); if (prec !== undefined && typeof a === 'string') s = s.slice(0, prec); break;
      case 'q': s = JSON.stringify(goString(a)); break;
      case 'd': s = typeof a === 'number' ? String(Math.trunc(a)) : `%!d(${typeName(a)}=${goString(a)})`; if (flags.includes('+') && typeof a === 'number' && a >= 0) s = '+' + s; break;
      case 'x': case 'X': {
        s = typeof a === 'number' ? Math.trunc(a).toString(16) : [...new TextEncoder().encode(goString(a))].map((b) => b.toString(16).padStart(2, '0')).join('');
        if (verb === 'X') s = s.toUpperCase();
        break;
      }
      case 'f': case 'F': s = typeof a === 'number' ? a.toFixed(prec ?? 6) : `%!f(${typeName(a)}=${goString(a)})`; break;
      case 'g': s = typeof a === 'number' ? (prec !== undefined ? formatG(a, prec) : formatNumber(a)) : `%!g(${typeName(a)}=${goString(a)})`; break;
      case 'e': s = typeof a === 'number' ? a.toExponential(prec ?? 6).replace(/e([+-])(\d)$/, 'e$10$2') : `%!e(${typeName(a)})`; break;
      case 't': s = typeof a === 'boolean' ? String(a) : `%!t(${typeName(a)}=${goString(a)})`; break;
      case 'T': s = typeName(a); break;
      case 'c': s = typeof a === 'number' ? String.fromCodePoint(a) : `%!c(${typeName(a)})`; break;
      default: s = `%!${verb}(${typeName(a)}=${goString(a)})`;
    }
    const w = Number(width || '0');
    if (s.length < w) {
      if (flags.includes('-')) s = s.padEnd(w);
      else if (flags.includes('0') && /[dfegxX]/.test(verb)) s = s.startsWith('-') ? '-' + s.slice(1).padStart(w - 1, '0') : s.padStart(w, '0');
      else s = s.padStart(w);
    }
    out += s;
  }
  if (ai < args.length) out += '%!(EXTRA ' + args.slice(ai).map((a) => `${typeName(a)}=${goString(a)}`).join(', ') + ')';
  return out;
}

/** fmt.Sprint: spaces between operands when neither side is a string. */
function sprint(args: unknown[]): string {
  let out = '';
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += goString(a);
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Functions

function basicKind(v: unknown): string {
  if (typeof v === 'number') return 'number';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (v === null || v === undefined) return 'nil';
  return 'other';
}

function eq(a: unknown, ...bs: unknown[]): boolean {
  if (bs.length === 0) throw new TemplateError('missing argument for comparison');
  for (const b of bs) {
    const ka = basicKind(a);
    const kb = basicKind(b);
    if (ka === 'other' || kb === 'other') {
      if (ka === kb || ka === 'nil' || kb === 'nil') {
        if (a === b) return true;
        if ((a === null || a === undefined) && (b === null || b === undefined)) return true;
        continue;
      }
      throw new TemplateError('incompatible types for comparison');
    }
    if (ka !== kb && ka !== 'nil' && kb !== 'nil') throw new TemplateError('incompatible types for comparison');
    if (a === b || ((a === null || a === undefined) && (b === null || b === undefined))) return true;
  }
  return false;
}

function lt(a: unknown, b: unknown): boolean {
  const ka = basicKind(a);
  if (ka !== basicKind(b)) throw new TemplateError('incompatible types for comparison');
  if (ka !== 'number' && ka !== 'string') throw new TemplateError('invalid type for comparison');
  return (a as number) < (b as number);
}

function goTitle(s: string): string {
  // strings.Title: upper-case the first letter of each word.
  return s.replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_m, pre: string, ch: string) => pre + ch.toUpperCase());
}

function indexOf(item: unknown, ...keys: unknown[]): unknown {
  let v = item;
  for (const k of keys) {
    if (Array.isArray(v) || typeof v === 'string') {
      if (typeof k !== 'number' || !Number.isInteger(k)) throw new TemplateError(`cannot index slice/array with type ${typeName(k)}`);
      if (k < 0 || k >= v.length) throw new TemplateError(`error calling index: index out of range: ${k}`);
      v = typeof v === 'string' ? v.charCodeAt(k) : v[k];
    } else if (v === null || v === undefined) {
      // A nil map: Go answers the element type's zero value; labels (map[string]string) are the
      // common case, so that zero is "".
      v = '';
    } else if (typeof v === 'object') {
      const o = v as Record<string, unknown>;
      const key = String(k);
      if (Object.prototype.hasOwnProperty.call(o, key)) v = o[key];
      else v = Object.values(o).every((x) => typeof x === 'string') ? '' : NO_VALUE;
    } else {
      throw new TemplateError(`error calling index: can't index item of type ${typeName(v)}`);
    }
  }
  return v;
}

export const builtinFuncs: Record<string, TemplateFunc> = {
  // and/or short-circuit, so the executor evaluates them itself; these entries only declare them.
  and: (...a) => a.find((x) => !truth(x)) ?? a[a.length - 1],
  or: (...a) => a.find((x) => truth(x)) ?? a[a.length - 1],
  not: (a) => !truth(a),
  len: (a) => {
    if (typeof a === 'string') return new TextEncoder().encode(a).length;
    if (Array.isArray(a)) return a.length;
    if (a && typeof a === 'object') return Object.keys(a).length;
    throw new TemplateError(`error calling len: len of type ${typeName(a)}`);
  },
  index: indexOf,
  slice: (item, ...idx) => {
    if (typeof item !== 'string' && !Array.isArray(item)) throw new TemplateError(`error calling slice: can't slice item of type ${typeName(item)}`);
    const [a = 0, b = item.length] = idx as number[];
    return item.slice(a, b);
  },
  print: (...a) => sprint(a),
  printf: (f, ...a) => sprintf(String(f), a),
  println: (...a) => a.map(goString).join(' ') + '\n',
  eq: (a, ...b) => eq(a, ...b),
  ne: (a, b) => !eq(a, b),
  lt: (a, b) => lt(a, b),
  le: (a, b) => lt(a, b) || eq(a, b),
  gt: (a, b) => !lt(a, b) && !eq(a, b),
  ge: (a, b) => !lt(a, b),
  html: (...a) => sprint(a).replace(/[&'<>"\0]/g, (c) => ({ '&': '&amp;', "'": '&#39;', '<': '&lt;', '>': '&gt;', '"': '&#34;', '\0': '\uFFFD' })[c]!),
  js: (...a) => sprint(a).replace(/[\\'"<>&=]/g, (c) => ({ '\\': '\\\\', "'": "\\'", '"': '\\"', '<': '\\u003C', '>': '\\u003E', '&': '\\u0026', '=': '\\u003D' })[c]!),
  urlquery: (...a) => encodeURIComponent(sprint(a)).replace(/%20/g, '+'),
  call: (fn, ...a) => {
    if (typeof fn !== 'function') throw new TemplateError(`error calling call: non-function of type ${typeName(fn)}`);
    return (fn as TemplateFunc)(...a);
  },
};

/** The docker CLI's template functions (templates.basicFunctions). */
export const dockerFuncs: Record<string, TemplateFunc> = {
  json: (v) => goJSON(v),
  split: (s, sep) => {
    const str = String(s);
    const sp = String(sep);
    if (sp === '') return [...str];
    return str.split(sp);
  },
  join: (a, sep) => {
    if (!Array.isArray(a)) throw new TemplateError(`wrong type for value; expected []string; got ${typeName(a)}`);
    return a.map((x) => goString(x)).join(String(sep));
  },
  title: (s) => goTitle(String(s)),
  lower: (s) => String(s).toLowerCase(),
  upper: (s) => String(s).toUpperCase(),
  pad: (s, prefix, suffix) => {
    const str = String(s);
    if (str === '') return str;
    return ' '.repeat(Number(prefix)) + str + ' '.repeat(Number(suffix));
  },
  truncate: (s, n) => {
    const bytes = new TextEncoder().encode(String(s));
    if (bytes.length < Number(n)) return String(s);
    return new TextDecoder().decode(bytes.slice(0, Number(n)));
  },
};

/** docker's HeaderFunctions: keep header cells intact while rendering a table's header row. */
export const headerFuncs: Record<string, TemplateFunc> = {
  json: (v) => v,
  split: (v) => v,
  join: (v) => v,
  title: (v) => v,
  lower: (v) => v,
  upper: (v) => v,
  truncate: (v) => v,
};

// ---------------------------------------------------------------------------------------------
// Execution

class Break { }
class Continue { }

interface Scope { vars: Map<string, unknown>[] }

export class Template {
  private readonly tree: Node[];
  private funcs: Record<string, TemplateFunc>;

  constructor(readonly source: string, funcs: Record<string, TemplateFunc> = dockerFuncs, readonly name = '') {
    this.funcs = { ...builtinFuncs, ...funcs };
    const toks = lex(source, name);
    const p = new Parser(toks, source, name);
    this.tree = p.parse();
    this.checkFuncs(this.tree);
  }

  /** Go's Option("missingkey=error"): a missing map key fails instead of printing <no value>. */
  missingKeyError = false;

  /** Replaces or adds functions (docker swaps in HeaderFunctions for table headers). */
  withFuncs(funcs: Record<string, TemplateFunc>): Template {
    const t = Object.create(Template.prototype) as Template;
    Object.assign(t, this);
    t.funcs = { ...this.funcs, ...funcs };
    return t;
  }

  private checkFuncs(nodes: Node[]): void {
    const checkPipe = (p: Pipe) => {
      for (const c of p.cmds) for (const a of c.args) checkArg(a);
    };
    const checkArg = (a: Arg): void => {
      if (a.t === 'ident' && !(a.name in this.funcs)) {
        throw new TemplateError(`template: ${this.name}:${lineOf(this.source, a.pos)}: function "${a.name}" not defined`);
      }
      if (a.t === 'pipe') checkPipe(a.pipe);
      if (a.t === 'chain') checkArg(a.node);
    };
    for (const n of nodes) {
      if (n.t === 'action') checkPipe(n.pipe);
      if (n.t === 'if' || n.t === 'with' || n.t === 'range') {
        checkPipe(n.pipe);
        this.checkFuncs(n.list);
        if (n.elseList) this.checkFuncs(n.elseList);
      }
      if (n.t === 'template' && n.pipe) checkPipe(n.pipe);
    }
  }

  execute(data: unknown): string {
    const out: string[] = [];
    const scope: Scope = { vars: [new Map([['$', data]])] };
    this.walkList(out, data, scope, this.tree);
    return out.join('');
  }

  private errAt(pos: number, node: string, msg: string): never {
    const before = this.source.slice(0, pos);
    const nl = before.lastIndexOf('\n');
    const col = nl < 0 ? pos : pos - (nl + 1);
    throw new TemplateError(`template: ${this.name}:${lineOf(this.source, pos)}:${col}: executing "${this.name}" at <${node}>: ${msg}`);
  }

  private walkList(out: string[], dot: unknown, scope: Scope, nodes: Node[]): void {
    for (const n of nodes) this.walk(out, dot, scope, n);
  }

  private walk(out: string[], dot: unknown, scope: Scope, n: Node): void {
    switch (n.t) {
      case 'text': out.push(n.text); return;
      case 'action': {
        const v = this.evalPipe(dot, scope, n.pipe);
        if (n.pipe.decl.length === 0) out.push(goString(v));
        return;
      }
      case 'if': case 'with': {
        scope.vars.push(new Map());
        try {
          const v = this.evalPipe(dot, scope, n.pipe);
          if (truth(v)) this.walkList(out, n.t === 'with' ? v : dot, scope, n.list);
          else if (n.elseList) this.walkList(out, dot, scope, n.elseList);
        } finally {
          scope.vars.pop();
        }
        return;
      }
      case 'range': return this.walkRange(out, dot, scope, n);
      case 'break': throw new Break();
      case 'continue': throw new Continue();
      case 'template': throw new TemplateError(`template: ${this.name}:1: no such template "${n.name}"`);
    }
  }

  private walkRange(out: string[], dot: unknown, scope: Scope, n: { pipe: Pipe; list: Node[]; elseList?: Node[] }): void {
    scope.vars.push(new Map());
    try {
      const saved = n.pipe.decl;
      // The range's own declarations bind per element, not to the ranged value.
      const v = this.evalPipe(dot, scope, { ...n.pipe, decl: [] });
      let entries: [unknown, unknown][];
      if (Array.isArray(v)) entries = v.map((x, i) => [i, x]);
      else if (typeof v === 'number' && Number.isInteger(v)) entries = Array.from({ length: Math.max(0, v) }, (_, i) => [i, i]);
      else if (v === null || v === undefined) entries = [];
      else if (typeof v === 'object' && !isStruct(v)) entries = Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]);
      else this.errAt(n.pipe.pos, pipeString(n.pipe), `range can't iterate over ${goString(v)}`);
      if (entries.length === 0) {
        if (n.elseList) this.walkList(out, dot, scope, n.elseList);
        return;
      }
      for (const [k, x] of entries) {
        const frame = scope.vars[scope.vars.length - 1]!;
        if (saved.length === 1) this.setVar(scope, saved[0]!, x, n.pipe.isAssign);
        if (saved.length === 2) {
          this.setVar(scope, saved[0]!, k, n.pipe.isAssign);
          this.setVar(scope, saved[1]!, x, n.pipe.isAssign);
        }
        try {
          this.walkList(out, x, scope, n.list);
        } catch (e) {
          if (e instanceof Break) break;
          if (e instanceof Continue) continue;
          throw e;
        }
        void frame;
      }
    } finally {
      scope.vars.pop();
    }
  }

  private setVar(scope: Scope, name: string, value: unknown, assign: boolean): void {
    if (assign) {
      for (let i = scope.vars.length - 1; i >= 0; i--) {
        if (scope.vars[i]!.has(name)) { scope.vars[i]!.set(name, value); return; }
      }
    }
    scope.vars[scope.vars.length - 1]!.set(name, value);
  }

  private getVar(scope: Scope, name: string): unknown {
    for (let i = scope.vars.length - 1; i >= 0; i--) {
      if (scope.vars[i]!.has(name)) return scope.vars[i]!.get(name);
    }
    throw new TemplateError(`undefined variable: ${name}`);
  }

  private evalPipe(dot: unknown, scope: Scope, pipe: Pipe): unknown {
    let value: unknown;
    let hasFinal = false;
    for (const cmd of pipe.cmds) {
      value = this.evalCommand(dot, scope, cmd, hasFinal, value);
      hasFinal = true;
    }
    for (const d of pipe.decl) this.setVar(scope, d, value, pipe.isAssign);
    return value;
  }

  private evalCommand(dot: unknown, scope: Scope, cmd: Command, hasFinal: boolean, final: unknown): unknown {
    const [first, ...rest] = cmd.args as [Arg, ...Arg[]];
    switch (first.t) {
      case 'field':
        return this.evalFields(dot, first.names, first, rest, dot, scope, hasFinal, final);
      case 'chain': {
        const base = this.evalArg(dot, scope, first.node);
        return this.evalFields(dot, first.names, first, rest, base, scope, hasFinal, final);
      }
      case 'var': {
        const base = this.getVar(scope, first.name);
        if (first.names.length) return this.evalFields(dot, first.names, first, rest, base, scope, hasFinal, final);
        break;
      }
      case 'ident':
        return this.evalFunction(dot, scope, first, rest, hasFinal, final);
      default:
        break;
    }
    if (rest.length > 0 || hasFinal) this.errAt(first.pos, argString(first), `can't give argument to non-function ${argString(first)}`);
    return this.evalArg(dot, scope, first);
  }

  private evalArg(dot: unknown, scope: Scope, a: Arg): unknown {
    switch (a.t) {
      case 'dot': return dot;
      case 'nil': return null;
      case 'lit': return a.value;
      case 'var': {
        const v = this.getVar(scope, a.name);
        return a.names.length ? this.evalFields(dot, a.names, a, [], v, scope, false, undefined) : v;
      }
      case 'field': return this.evalFields(dot, a.names, a, [], dot, scope, false, undefined);
      case 'chain': return this.evalFields(dot, a.names, a, [], this.evalArg(dot, scope, a.node), scope, false, undefined);
      case 'pipe': {
        scope.vars.push(new Map());
        try { return this.evalPipe(dot, scope, a.pipe); } finally { scope.vars.pop(); }
      }
      case 'ident': return this.evalFunction(dot, scope, a, [], false, undefined);
    }
  }

  private evalFunction(dot: unknown, scope: Scope, id: { name: string; pos: number }, argNodes: Arg[], hasFinal: boolean, final: unknown): unknown {
    const fn = this.funcs[id.name];
    if (!fn) this.errAt(id.pos, id.name, `function "${id.name}" not defined`);
    // and/or evaluate lazily and return the deciding operand, as Go 1.18+ does.
    if (id.name === 'and' || id.name === 'or') {
      const thunks: (() => unknown)[] = argNodes.map((a) => () => this.evalArg(dot, scope, a));
      if (hasFinal) thunks.push(() => final);
      if (thunks.length === 0) this.errAt(id.pos, id.name, `wrong number of args for ${id.name}: want at least 1 got 0`);
      let v: unknown;
      for (const t of thunks) {
        v = t();
        if (truth(v) === (id.name === 'or')) return v;
      }
      return v;
    }
    const args = argNodes.map((a) => this.evalArg(dot, scope, a));
    if (hasFinal) args.push(final);
    try {
      return fn(...args);
    } catch (e) {
      if (e instanceof TemplateError && e.message.startsWith('template:')) throw e;
      const msg = (e as Error).message;
      this.errAt(id.pos, [id.name, ...argNodes.map(argString)].join(' '), msg.startsWith('error calling') ? msg : `error calling ${id.name}: ${msg}`);
    }
  }

  private evalFields(dot: unknown, names: string[], node: Arg, argNodes: Arg[], receiver: unknown, scope: Scope, hasFinal: boolean, final: unknown): unknown {
    let v = receiver;
    for (let i = 0; i < names.length; i++) {
      const last = i === names.length - 1;
      v = this.evalField(dot, names[i]!, node, last ? argNodes : [], v, scope, last && hasFinal, final);
    }
    return v;
  }

  private evalField(dot: unknown, name: string, node: Arg, argNodes: Arg[], receiver: unknown, scope: Scope, hasFinal: boolean, final: unknown): unknown {
    const where = argString(node);
    if (receiver === undefined) return NO_VALUE;
    if (receiver === null) this.errAt(node.pos, where, `nil pointer evaluating interface {}.${name}`);
    if (isStruct(receiver)) {
      const member = receiver[name];
      if (typeof member === 'function') {
        const args = argNodes.map((a) => this.evalArg(dot, scope, a));
        if (hasFinal) args.push(final);
        return (member as TemplateFunc).apply(receiver, args);
      }
      if (!(name in receiver) || name.startsWith('_')) {
        this.errAt(node.pos, where, `can't evaluate field ${name} in type ${String(receiver[GO_TYPE])}`);
      }
      if (argNodes.length || hasFinal) this.errAt(node.pos, where, `${name} has arguments but cannot be invoked as function`);
      return member;
    }
    if (typeof receiver === 'object' && !Array.isArray(receiver)) {
      if (argNodes.length || hasFinal) this.errAt(node.pos, where, `${name} is not a method but has arguments`);
      const o = receiver as Record<string, unknown>;
      if (Object.prototype.hasOwnProperty.call(o, name)) return o[name];
      if (this.missingKeyError) this.errAt(node.pos, where, `map has no entry for key "${name}"`);
      return NO_VALUE;
    }
    this.errAt(node.pos, where, `can't evaluate field ${name} in type ${typeName(receiver)}`);
  }
}

/** Parses a template with docker's functions; errors carry Go's wording. */
export function parseTemplate(source: string, funcs: Record<string, TemplateFunc> = dockerFuncs, name = ''): Template {
  return new Template(source, funcs, name);
}
