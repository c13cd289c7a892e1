// Go's text/tabwriter (the elastic-tabstops algorithm) as docker's formatter uses it: cells are
// tab-terminated, a column is a run of consecutive lines that have a cell in it, and only text
// after the last tab of a line is left unpadded. Docker tables use minwidth 10, tabwidth 1,
// padding 3, padchar ' '.

interface Cell { text: string; width: number; htab: boolean }

export interface TabWriterOptions {
  minwidth: number;
  tabwidth: number;
  padding: number;
  padchar?: string;
  alignRight?: boolean;
  discardEmptyColumns?: boolean;
}

/** Display width as go-runewidth counts it: East Asian wide characters take two columns. */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c < 0x20 || (c >= 0x7f && c < 0xa0) || (c >= 0x300 && c < 0x370) || c === 0x200b) continue;
    if (
      (c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf && c !== 0x303f) || (c >= 0xac00 && c <= 0xd7a3) ||
      (c >= 0xf900 && c <= 0xfaff) || (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) ||
      (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x1f300 && c <= 0x1f64f) || (c >= 0x1f900 && c <= 0x1f9ff) ||
      (c >= 0x20000 && c <= 0x3fffd)
    ) w += 2;
    else w += 1;
  }
  return w;
}

export class TabWriter {
  private lines: Cell[][] = [[]];
  private cell = '';
  private widths: number[] = [];
  private out = '';

  constructor(private readonly opts: TabWriterOptions) {}

  write(text: string): void {
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (ch === '\t' || ch === '\v' || ch === '\n' || ch === '\f') {
        this.cell += text.slice(start, i);
        start = i + 1;
        const ncells = this.terminateCell(ch === '\t');
        if (ch === '\n' || ch === '\f') {
          this.lines.push([]);
          // A line of a single cell cannot affect alignment of later lines: flush early as Go does.
          if (ch === '\f' || ncells === 1) this.flushInternal();
        }
      }
    }
    this.cell += text.slice(start);
  }

  /** Formats everything buffered and returns the output produced since the last call. */
  flush(): string {
    this.flushInternal();
    const s = this.out;
    this.out = '';
    return s;
  }

  private terminateCell(htab: boolean): number {
    const line = this.lines[this.lines.length - 1]!;
    line.push({ text: this.cell, width: displayWidth(this.cell), htab });
    this.cell = '';
    return line.length;
  }

  private flushInternal(): void {
    if (this.cell.length > 0) this.terminateCell(false);
    this.format(0, this.lines.length);
    this.lines = [[]];
    this.widths = [];
    this.cell = '';
  }

  private padding(textw: number, cellw: number): string {
    const padchar = this.opts.padchar ?? ' ';
    if (padchar === '\t') {
      if (this.opts.tabwidth === 0) return '';
      const cw = Math.ceil(cellw / this.opts.tabwidth) * this.opts.tabwidth;
      return '\t'.repeat(Math.ceil((cw - textw) / this.opts.tabwidth));
    }
    return padchar.repeat(Math.max(0, cellw - textw));
  }

  private writeLines(line0: number, line1: number): void {
    for (let i = line0; i < line1; i++) {
      const line = this.lines[i]!;
      for (let j = 0; j < line.length; j++) {
        const c = line[j]!;
        if (c.text.length === 0) {
          if (j < this.widths.length) this.out += this.padding(c.width, this.widths[j]!);
        } else if (!this.opts.alignRight) {
          this.out += c.text;
          if (j < this.widths.length) this.out += this.padding(c.width, this.widths[j]!);
        } else {
          if (j < this.widths.length) this.out += this.padding(c.width, this.widths[j]!);
          this.out += c.text;
        }
      }
      // The last buffered line has no newline of its own (its text is the pending cell).
      if (i + 1 < this.lines.length) this.out += '\n';
    }
  }

  private format(line0: number, line1: number): void {
    const column = this.widths.length;
    for (let th = line0; th < line1; th++) {
      const line = this.lines[th]!;
      if (column >= line.length - 1) continue;
      // This line has a cell in this column: print the lines above, then size the column block.
      this.writeLines(line0, th);
      line0 = th;
      let width = this.opts.minwidth;
      let discardable = true;
      for (; th < line1; th++) {
        const l = this.lines[th]!;
        if (column >= l.length - 1) break;
        const c = l[column]!;
        const w = c.width + this.opts.padding;
        if (w > width) width = w;
        if (c.width > 0 || c.htab) discardable = false;
      }
      if (discardable && this.opts.discardEmptyColumns) width = 0;
      this.widths.push(width);
      this.format(line0, th);
      this.widths.pop();
      line0 = th;
    }
    this.writeLines(line0, line1);
  }
}

/** Aligns tab-separated text the way docker's tables do. */
export function tabulate(text: string, opts: TabWriterOptions = { minwidth: 10, tabwidth: 1, padding: 3 }): string {
  const w = new TabWriter(opts);
  w.write(text);
  return w.flush();
}
