// docker's formatter.Context: `--format` values `table`, `table TEMPLATE`, `json`, `raw` or a
// template, rendered over rows of formatter contexts, with the table header taken from each
// context's header map and aligned by the tabwriter.
import { goJSON, GO_TYPE, headerFuncs, parseTemplate, TemplateError } from './template.ts';
import { tabulate } from './tabwriter.ts';

export const TABLE_FORMAT_KEY = 'table';
export const RAW_FORMAT_KEY = 'raw';
export const JSON_FORMAT_KEY = 'json';
export const DEFAULT_QUIET_FORMAT = '{{.ID}}';
export const JSON_FORMAT = '{{json .}}';

/** The --format help text docker's commands share (flagsHelper.FormatHelp). */
export const FORMAT_HELP = "Format output using a custom template:\n" +
  "'table':            Print output in table format with column headers (default)\n" +
  "'table TEMPLATE':   Print output in table format using the given Go template\n" +
  "'json':             Print in JSON format\n" +
  "'TEMPLATE':         Print output using the given Go template.\n" +
  'Refer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates';

/** `--format` help for commands that print one object (inspect). */
export const INSPECT_FORMAT_HELP = "Format output using a custom template:\n" +
  "'json':             Print in JSON format\n" +
  "'TEMPLATE':         Print output using the given Go template.\n" +
  'Refer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates';

export function isTableFormat(format: string): boolean {
  return format.startsWith(TABLE_FORMAT_KEY);
}

/** Raised when a template does not parse or fails on a row; docker exits 1 with this text. */
export class FormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FormatError';
  }
}

function preFormat(format: string): string {
  let f = format;
  if (isTableFormat(f)) f = f.slice(TABLE_FORMAT_KEY.length);
  else if (f === JSON_FORMAT_KEY) f = JSON_FORMAT;
  f = f.replace(/^ +| +$/g, '');
  return f.replaceAll('\\t', '\t').replaceAll('\\n', '\n');
}

/**
 * A row for the formatter: a Go struct whose exported methods are the template's fields. Its
 * `{{json .}}` is every field, sorted by name, HTML-escaped as Go's json.Marshal does.
 */
export abstract class SubContext {
  readonly [GO_TYPE]: string;
  constructor(goType: string) {
    this[GO_TYPE] = goType;
  }
  /** Field name -> column title. */
  abstract header(): Record<string, string>;
  /** Names of the fields that `{{json .}}` marshals. */
  protected abstract fields(): string[];
  MarshalJSON(): string {
    const o: Record<string, unknown> = {};
    for (const k of [...this.fields()].sort()) o[k] = (this as unknown as Record<string, () => unknown>)[k]!.call(this);
    return goJSON(o, true);
  }
}

/**
 * formatter.SubHeaderContext: the column titles, plus its Label method, which titles a
 * `{{.Label "com.example.key"}}` column with the key's last dotted part.
 */
function subHeaderContext(header: Record<string, string>): object {
  return { [GO_TYPE]: 'formatter.SubHeaderContext', ...header, Label: (name: string) => name.split('.').pop()!.replace(/[-_]/g, ' ') };
}

/** Renders rows with a --format value; returns the text to print (empty when nothing to print). */
export function renderFormat(format: string, rows: SubContext[], header: Record<string, string>): string {
  const finalFormat = preFormat(format);
  let tmpl;
  try {
    tmpl = parseTemplate(finalFormat);
  } catch (e) {
    throw new FormatError(`template parsing error: ${(e as Error).message}`);
  }
  let body = '';
  for (const row of rows) {
    try {
      body += tmpl.execute(row) + '\n';
    } catch (e) {
      if (e instanceof TemplateError) throw new FormatError(`template parsing error: ${e.message}`);
      throw e;
    }
  }
  if (!isTableFormat(format)) return body;
  let head = '';
  try {
    head = tmpl.withFuncs(headerFuncs).execute(subHeaderContext(header));
  } catch {
    // docker ignores a header that fails to render (e.g. a function applied to a column name).
  }
  return tabulate(head + '\n' + body);
}

/** `TruncateID`: the 12-hex short form, without any algorithm prefix. */
export function truncateID(id: string): string {
  const i = id.indexOf(':');
  const hex = i >= 0 ? id.slice(i + 1) : id;
  return hex.slice(0, 12);
}

/** formatter.Ellipsis: shorten to `maxDisplayWidth` columns, ending with `…`. */
export function ellipsis(s: string, maxDisplayWidth: number): string {
  if (maxDisplayWidth <= 0) return '';
  const chars = [...s];
  if (chars.length <= maxDisplayWidth) return s;
  if (maxDisplayWidth === 1) return chars[0]!;
  return chars.slice(0, maxDisplayWidth - 1).join('') + '…';
}
