// The served playground in headless chromium, timed from the page's navigation start: when the shell's prompt
// is up, when the engine answers (status line "engine: ready"), and when a command typed at the first prompt
// printed its first line of output. Times are read in the page (performance.now(), whose origin is the
// navigation's start), so the CDP round trips of driving the browser are not counted.
import type { Page } from 'playwright-core';

export interface PageTimes {
  /** ms from navigation start to the shell's first prompt. */
  promptMs: number;
  /** ms from navigation start to the engine's answer to GET /version. */
  engineReadyMs: number;
  /** ms from navigation start to the command's first output line; the command was typed at the first prompt. */
  outputMs: number;
  /** The VM's states and details the status line went through, each after the ms since navigation start it showed at. */
  vm: string[];
}

interface PlaygroundElement extends HTMLElement {
  shell?: { type(line: string): Promise<number>; busy: boolean };
  screenLines(): string[];
}

/**
 * Loads (or reloads) the playground and runs `command` at its first prompt; resolves once a line of its output
 * contains `expect`, with the times. Rejects when the page has not printed it within `timeoutMs`.
 */
export async function timeFirstOutput(page: Page, load: () => Promise<unknown>, command: string, expect: string, timeoutMs: number): Promise<PageTimes> {
  await load();
  const r = await page.evaluate(async ({ command, expect, timeoutMs }) => {
    const times: { prompt?: number; engine?: number; output?: number } = {};
    const vm: string[] = [];
    let last = '';
    const deadline = performance.now() + timeoutMs;
    let error = '';
    while (performance.now() < deadline) {
      const el = document.querySelector('berth-playground') as PlaygroundElement | null;
      const status = el?.shadowRoot?.querySelector('berth-status') as (HTMLElement & { engine?: { state: string; error?: string }; vm?: { state: string; detail?: string } }) | null | undefined;
      const v = status?.vm && `${status.vm.state}${status.vm.detail ? `: ${status.vm.detail}` : ''}`;
      if (v && last !== v) { vm.push(`${Math.round(performance.now())} ms ${v}`); last = v; }
      if (times.engine === undefined && status?.engine?.state === 'ready') times.engine = performance.now();
      if (status?.engine?.state === 'failed') { error = `the engine failed: ${status.engine.error}`; break; }
      const lines = el?.shell ? el.screenLines() : [];
      if (times.prompt === undefined && lines.includes('$')) {
        times.prompt = performance.now();
        void el!.shell!.type(command);
      }
      // (the banner's examples may contain `expect`: only lines after the command's own count)
      const from = lines.findLastIndex((l) => l.startsWith('$') && l.endsWith(command));
      if (times.prompt !== undefined && times.output === undefined && from >= 0 && lines.slice(from + 1).some((l) => l.includes(expect))) times.output = performance.now();
      if (times.output !== undefined && times.engine !== undefined && !el!.shell!.busy) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    const screen = (document.querySelector('berth-playground') as PlaygroundElement | null)?.screenLines() ?? [];
    return { times, vm, error, screen: screen.slice(-8) };
  }, { command, expect, timeoutMs });
  const { prompt, engine, output } = r.times;
  if (prompt === undefined || engine === undefined || output === undefined) {
    throw new Error(`${command}: ${r.error || `no "${expect}" within ${timeoutMs / 1000} s`} (VM: ${r.vm.join(' -> ')}; screen: ${r.screen.join(' | ')})`);
  }
  return { promptMs: prompt, engineReadyMs: engine, outputMs: output, vm: r.vm };
}

/** Waits until the VM's status line says `detail` (e.g. the state saved to OPFS). */
export async function waitForVmDetail(page: Page, detail: RegExp, timeoutMs: number): Promise<void> {
  await page.waitForFunction((source) => {
    const el = document.querySelector('berth-playground');
    const status = el?.shadowRoot?.querySelector('berth-status') as (HTMLElement & { vm?: { detail?: string } }) | null | undefined;
    return new RegExp(source).test(status?.vm?.detail ?? '');
  }, detail.source, { timeout: timeoutMs, polling: 50 });
}
