// GET /containers/{id}/stats: Docker's stats JSON, one-shot or streamed once a second. cpu/precpu
// pairs come from consecutive samples, as dockerd's collector gives them.
import type { ContainerService } from './service.ts';
import type { Container } from './container.ts';
import { ZERO_TIME } from './types.ts';

const EMPTY_CPU = { cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } };

function zeroStats(): Record<string, unknown> {
  return {
    pids_stats: {}, blkio_stats: { io_service_bytes_recursive: null, io_serviced_recursive: null, io_queue_recursive: null, io_service_time_recursive: null, io_wait_time_recursive: null, io_merged_recursive: null, io_time_recursive: null, sectors_recursive: null },
    num_procs: 0, storage_stats: {}, cpu_stats: EMPTY_CPU, memory_stats: {},
  };
}

async function sample(c: Container): Promise<Record<string, unknown>> {
  if (!c.task) return zeroStats();
  try { return { num_procs: 0, storage_stats: {}, ...(await c.task.stats()) }; } catch { return zeroStats(); }
}

export function containerStats(svc: ContainerService, ref: string, opts: { stream: boolean; oneShot: boolean }): ReadableStream<Uint8Array> {
  const c = svc.get(ref);
  const enc = new TextEncoder();
  let stop = false;
  const wrap = (cur: Record<string, unknown>, prev: Record<string, unknown> | undefined, read: string, preread: string) => ({
    read, preread, ...cur, precpu_stats: prev?.cpu_stats ?? EMPTY_CPU, name: c.rec.Name, id: c.id,
  });
  return new ReadableStream<Uint8Array>({
    async start(controller) {
      let prev: Record<string, unknown> | undefined;
      let prevRead = ZERO_TIME;
      if (!opts.stream && !opts.oneShot && c.task) {
        prev = await sample(c);
        prevRead = svc.now().toISOString();
        await new Promise((r) => setTimeout(r, 500));
      }
      for (;;) {
        const cur = await sample(c);
        const read = c.task ? svc.now().toISOString() : ZERO_TIME;
        if (stop) return;
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
