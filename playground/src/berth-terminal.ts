// <berth-terminal>: xterm.js sized to its box by the fit addon. The element only owns the screen;
// what runs in it (the shell) is attached by the page through `terminal`.
import { LitElement, css, html, unsafeCSS, type PropertyValues } from 'lit';
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import xtermCss from '@xterm/xterm/css/xterm.css';

export class BerthTerminal extends LitElement {
  static override styles = [unsafeCSS(xtermCss), css`
    :host { display: block; position: relative; background: #1e1e2e; min-height: 12rem; }
    .screen { position: absolute; inset: 0.5rem; }
  `];

  readonly terminal = new Terminal({
    cursorBlink: true,
    fontFamily: '"DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas, monospace',
    fontSize: 14,
    scrollback: 5000,
    theme: { background: '#1e1e2e', foreground: '#cdd6f4', cursor: '#f5e0dc', selectionBackground: '#585b70' },
  });
  private readonly fit = new FitAddon();
  private readonly resizes = new ResizeObserver(() => this.fitNow());

  override render() {
    return html`<div class="screen"></div>`;
  }

  protected override firstUpdated(_: PropertyValues): void {
    const screen = this.renderRoot.querySelector<HTMLElement>('.screen')!;
    this.terminal.loadAddon(this.fit);
    // ctrl-c (or ctrl-shift-c) with text selected copies it, as terminal windows do; without a selection it is ^C.
    this.terminal.attachCustomKeyEventHandler((e) => {
      if (e.type !== 'keydown' || !e.ctrlKey || e.key.toLowerCase() !== 'c' || !this.terminal.hasSelection()) return true;
      void navigator.clipboard?.writeText(this.terminal.getSelection()).catch((err) => console.warn(`berth: copy failed: ${err}`));
      this.terminal.clearSelection();
      return false;
    });
    this.terminal.open(screen);
    this.fitNow();
    this.resizes.observe(this);
    this.terminal.focus();
    this.dispatchEvent(new CustomEvent('terminal-ready', { bubbles: true, composed: true }));
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.resizes.disconnect();
  }

  override focus(): void {
    this.terminal.focus();
  }

  /**
   * The screen's text with its scrollback, one string per line as written (a line the terminal wrapped is
   * joined again), trailing blanks trimmed.
   */
  lines(): string[] {
    const buf = this.terminal.buffer.active;
    const out: string[] = [];
    for (let i = 0; i < buf.length; i++) {
      const line = buf.getLine(i);
      const text = line?.translateToString(true) ?? '';
      if (line?.isWrapped && out.length) out[out.length - 1] += text;
      else out.push(text);
    }
    for (let i = 0; i < out.length; i++) out[i] = out[i]!.trimEnd();
    while (out.length && out.at(-1) === '') out.pop();
    return out;
  }

  private fitNow(): void {
    // A hidden or zero-sized box has no geometry to fit to.
    if (this.offsetWidth && this.offsetHeight) this.fit.fit();
  }
}

customElements.define('berth-terminal', BerthTerminal);

declare global {
  interface HTMLElementTagNameMap { 'berth-terminal': BerthTerminal }
}
