// GET /containers/{id}/stats: Docker's stats JSON, one-shot or streamed once a second. cpu/precpu
// pairs come from consecutive samples, as dockerd's collector gives them.
import type { ContainerService } from './service.ts';
import type { Container } from './container.ts';
import { ZERO_TIME } from './types.ts';
import { errorMessage } from '../../errors.ts';

const EMPTY_CPU = { cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } };

function zeroStats(): Record<string, unknown> {
  return {
    pids_stats: {}, blkio_stats: { io_service_bytes_recursive: null, io_serviced_recursive: null, io_queue_recursive: null, io_service_time_recursive: null, io_wait_time_recursive: null, io_merged_recursive: null, io_time_recursive: null, sectors_recursive: null },
    num_procs: 0, storage_stats: {}, cpu_stats: EMPTY_CPU, memory_stats: {},
  };
}

/** A sample, or the runtime's refusal (a runtime with no stats, e.g. WASI's). */
async function sample(c: Container): Promise<Record<string, unknown> | { failed: unknown }> {
  if (!c.task) return zeroStats();
  try { return { num_procs: 0, storage_stats: {}, ...(await c.task.stats()) }; } catch (e) { return { failed: e }; }
}

const failed = (s: Record<string, unknown>): s is { failed: unknown } => 'failed' in s;
/**
 * As dockerd: a running container whose runtime gives no stats sends no frame (its stats collector logs the
 * error and publishes nothing, so docker stats shows `--` once it has waited), and one-shot answers the error.
 */
export async function containerStats(svc: ContainerService, ref: string, opts: { stream: boolean; oneShot: boolean }): Promise<ReadableStream<Uint8Array>> {
  const c = svc.get(ref);
  let first: Record<string, unknown> | undefined;
  if (opts.oneShot && c.task) {
    const s = await sample(c);
    if (failed(s)) throw s.failed;
    first = s;
  }
  const enc = new TextEncoder();
  let stop = false;
  const wrap = (cur: Record<string, unknown>, prev: Record<string, unknown> | undefined, read: string, preread: string) => ({
    read, preread, ...cur, precpu_stats: prev?.cpu_stats ?? EMPTY_CPU, name: c.rec.Name, id: c.id,
  });
  return new ReadableStream<Uint8Array>({
    async start(controller) {
      let prev: Record<string, unknown> | undefined;
      let prevRead = ZERO_TIME;
      let logged = false;
      for (;;) {
        const cur = first ?? await sample(c);
        first = undefined;
        if (stop) return;
        if (failed(cur)) {
          if (!logged) svc.log('error', `collecting stats for ${c.id}: ${errorMessage(cur.failed)}`);
          logged = true;
          await new Promise((r) => setTimeout(r, 1000));
          continue;
        }
        const read = c.task ? svc.now().toISOString() : ZERO_TIME;
        // Without a stream, dockerd primes the CPU figures with a first sample a moment before.
        if (!opts.stream && !opts.oneShot && c.task && !prev) {
          prev = cur;
          prevRead = read;
          await new Promise((r) => setTimeout(r, 500));
          continue;
        }
        controller.enqueue(enc.encode(JSON.stringify(wrap(cur, prev, read, prevRead)) + '\n'));
        if (!opts.stream || !c.task) { controller.close(); return; }
        prev = cur;
        prevRead = read;
        await new Promise((r) => setTimeout(r, 1000));
        if (stop) return;
      }
    },
    cancel() { stop = true; },
  });
}
