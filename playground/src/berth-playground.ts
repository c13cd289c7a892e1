// <berth-playground>: the page. A terminal running the berth CLI against the engine in a Web
// Worker, a status line, and the panel where later issues draw the architecture. The terminal
// takes commands at once; those that need the VM wait for it (the status line says so).
import { LitElement, css, html } from 'lit';
import { superviseEngine, type SupervisedEngine } from '../../host-browser/worker/supervised-engine.ts';
import { Shell } from '../../host-browser/cli/shell.ts';
import { TerminalDevice } from '../../host-browser/cli/terminal-device.ts';
import { memoryFiles } from '../../host-browser/cli/memory-files.ts';
import type { EngineConnection } from '../../host-browser/worker/client.ts';
import { playgroundBuild } from './build-info.ts';
import { observePulls } from './observe-pulls.ts';
import { storedHistory } from './stored-history.ts';
import type { BerthStatus } from './berth-status.ts';
import type { BerthTerminal } from './berth-terminal.ts';
import './berth-status.ts';
import './berth-terminal.ts';
import './architecture-panel.ts';

const BANNER = '\x1b[1mberth playground\x1b[0m — a Docker-compatible engine running in this page.\n' +
  'Type \x1b[1mhelp\x1b[0m (it shows how to write a Dockerfile and build it), or try \x1b[1mberth images\x1b[0m,\n' +
  '\x1b[1mberth run --rm busybox echo hello\x1b[0m.\n\n';

export class BerthPlayground extends LitElement {
  static override styles = css`
    :host { display: grid; height: 100vh; grid-template-rows: auto 1fr auto; background: #11111b; color: #cdd6f4;
      font: 14px/1.4 system-ui, sans-serif; }
    header { display: flex; align-items: baseline; gap: 1rem; padding: 0.5rem 0.9rem; border-bottom: 1px solid #313244; }
    header h1 { margin: 0; font-size: 1.05rem; }
    header span { color: #7f849c; font-size: 0.85rem; }
    main { display: grid; grid-template-columns: minmax(0, 3fr) minmax(16rem, 2fr); min-height: 0; }
    berth-terminal { min-height: 0; }
    @media (max-width: 800px) { main { grid-template-columns: 1fr; grid-template-rows: 2fr 1fr; } }
  `;

  /** The shell in the terminal, once the terminal is up. */
  shell: Shell | undefined;
  engine: EngineConnection | undefined;
  private supervised: SupervisedEngine | undefined;

  /** The engine's worker now serving (a new one replaces a worker that died). */
  get engineWorker(): Worker | undefined {
    return this.supervised?.worker;
  }

  override render() {
    return html`
      <header><h1>berth playground</h1><span>containers in your browser: a v86 x86 VM and WASI, one Docker Engine API</span></header>
      <main>
        <berth-terminal @terminal-ready=${() => this.boot()}></berth-terminal>
        <berth-architecture></berth-architecture>
      </main>
      <berth-status></berth-status>
    `;
  }

  private get status(): BerthStatus {
    return this.renderRoot.querySelector('berth-status')!;
  }

  private get terminalElement(): BerthTerminal {
    return this.renderRoot.querySelector('berth-terminal')!;
  }

  /** What the terminal shows, line by line (for tests and for copying a session). */
  screenLines(): string[] {
    return this.terminalElement.lines();
  }

  private async boot(): Promise<void> {
    const status = this.status;
    const engine = superviseEngine((lifeline) => {
      const url = new URL('./engine-worker.js', import.meta.url);
      url.searchParams.set('lifeline', lifeline);
      return new Worker(url, { type: 'module', name: 'berth-engine' });
    }, {
      started: (worker, restart) => {
        worker.addEventListener('message', (e) => this.onWorkerMessage(e.data));
        if (restart) { status.engine = { state: 'starting' }; void this.probeEngine(); }
      },
      stopped: (error) => {
        status.engine = { state: 'failed', error: error.message };
        void this.shell?.notice(`\x1b[1;31mberth: ${error.message}\x1b[0m`);
      },
    });
    this.engine = observePulls(engine, (p) => { status.pull = p.state; });
    this.supervised = engine;
    const tty = new TerminalDevice(this.terminalElement.terminal);
    this.shell = new Shell({
      tty, engine: this.engine, files: memoryFiles(localStorage), build: playgroundBuild(), history: storedHistory,
      onCommand: (ev) => { status.command = ev.phase === 'start' ? ev.argv.join(' ') : undefined; },
    });
    await this.shell.start(BANNER);
    this.dispatchEvent(new CustomEvent('playground-ready', { bubbles: true, composed: true }));
    await this.probeEngine();
  }

  /** Asks the engine for its version: the status line says whether it answers. */
  private async probeEngine(): Promise<void> {
    const status = this.status;
    try {
      const res = await this.engine!.fetch('http://api.moby.localhost/version');
      if (!res.ok) throw new Error(`HTTP ${res.status}: ${(await res.text()).trim()}`);
      const v = await res.json() as { Version: string };
      status.engine = { state: 'ready', version: v.Version };
    } catch (e) {
      status.engine = { state: 'failed', error: e instanceof Error ? e.message : String(e) };
    }
  }

  /**
   * Status the worker posts besides comlink's traffic: `{ berthStatus: 'vm', state, progress?, detail? }`
   * while the guest boots.
   */
  private onWorkerMessage(data: unknown): void {
    if (!data || typeof data !== 'object' || !('berthStatus' in data)) return;
    const m = data as { berthStatus: string; state?: string; progress?: number; detail?: string };
    if (m.berthStatus !== 'vm' || !m.state) return;
    // A crash ends containers nobody may be attached to (-d, or --rm, whose exit docker reports bare): say it here.
    if (m.state === 'crashed' && this.status.vm.state !== 'crashed') void this.shell?.notice(`\x1b[1;31mberth: ${m.detail}\x1b[0m`);
    this.status.vm = { state: m.state, progress: m.progress, detail: m.detail } as BerthStatus['vm'];
  }
}

customElements.define('berth-playground', BerthPlayground);

declare global {
  interface HTMLElementTagNameMap { 'berth-playground': BerthPlayground }
}
