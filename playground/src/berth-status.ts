// <berth-status>: one line under the terminal with the engine's state, the VM's boot and the pull
// in progress — what is happening behind a command that seems to wait.
import { LitElement, css, html, nothing } from 'lit';
import type { PullState } from './pull-progress.ts';

export type EngineState = { state: 'starting' } | { state: 'ready'; version: string } | { state: 'failed'; error: string };
/** The v86 guest: not needed yet, booting (with a fraction when known), running, or failed. */
export type VmState = { state: 'idle' | 'booting' | 'running' | 'unavailable'; progress?: number; detail?: string } | { state: 'failed' | 'crashed'; detail: string };

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} kB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export class BerthStatus extends LitElement {
  static override properties = {
    engine: { attribute: false },
    vm: { attribute: false },
    pull: { attribute: false },
    command: { attribute: false },
  };

  declare engine: EngineState;
  declare vm: VmState;
  declare pull: PullState | undefined;
  /** The command running in the terminal. */
  declare command: string | undefined;

  static override styles = css`
    :host { display: flex; gap: 1.5rem; align-items: center; padding: 0.3rem 0.8rem; font: 13px/1.4 system-ui, sans-serif;
      background: #181825; color: #bac2de; border-top: 1px solid #313244; white-space: nowrap; overflow: hidden; }
    .item { display: flex; gap: 0.4rem; align-items: center; }
    .dot { width: 0.6rem; height: 0.6rem; border-radius: 50%; background: #6c7086; }
    .ok { background: #a6e3a1; } .busy { background: #f9e2af; } .bad { background: #f38ba8; }
    progress { width: 8rem; height: 0.6rem; }
    .command { margin-left: auto; color: #7f849c; overflow: hidden; text-overflow: ellipsis; }
  `;

  constructor() {
    super();
    this.engine = { state: 'starting' };
    this.vm = { state: 'idle' };
    this.pull = undefined;
    this.command = undefined;
  }

  override render() {
    return html`
      <span class="item" data-part="engine">${this.renderEngine()}</span>
      <span class="item" data-part="vm">${this.renderVm()}</span>
      ${this.pull ? html`<span class="item" data-part="pull">${this.renderPull(this.pull)}</span>` : nothing}
      ${this.command ? html`<span class="command">running: ${this.command}</span>` : nothing}
    `;
  }

  private renderEngine() {
    const e = this.engine;
    if (e.state === 'starting') return html`<span class="dot busy"></span>engine: starting`;
    if (e.state === 'ready') return html`<span class="dot ok"></span>engine: ready (${e.version})`;
    return html`<span class="dot bad"></span>engine: failed — ${e.error}`;
  }

  private renderVm() {
    const v = this.vm;
    const detail = v.detail ? ` — ${v.detail}` : '';
    switch (v.state) {
      case 'idle': return html`<span class="dot"></span>VM: not started${detail}`;
      case 'booting': return html`<span class="dot busy"></span>VM: booting
        ${v.progress !== undefined ? html`<progress max="1" .value=${v.progress}></progress>` : nothing}${detail}`;
      case 'running': return html`<span class="dot ok"></span>VM: running${detail}`;
      case 'unavailable': return html`<span class="dot"></span>VM: unavailable${detail}`;
      case 'crashed': return html`<span class="dot bad"></span>VM: crashed${detail}`;
      default: return html`<span class="dot bad"></span>VM: failed${detail}`;
    }
  }

  private renderPull(p: PullState) {
    const size = p.total ? ` ${bytes(p.current)} / ${bytes(p.total)}` : '';
    if (p.outcome === 'done') return html`<span class="dot ok"></span>pulled ${p.ref}`;
    if (p.outcome) return html`<span class="dot bad"></span>pull ${p.ref} failed: ${p.outcome.error}`;
    return html`<span class="dot busy"></span>pulling ${p.ref}
      <progress max=${p.total || 1} .value=${p.current}></progress>${size} (${p.layersDone}/${p.layers} layers)`;
  }
}

customElements.define('berth-status', BerthStatus);

declare global {
  interface HTMLElementTagNameMap { 'berth-status': BerthStatus }
}
