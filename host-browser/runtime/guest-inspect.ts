// `docker top` and `docker stats` of a container in the guest: the agent sends /proc and cgroup2
// files as it read them; they are shaped here as ps -ef and as dockerd's cgroup2 stats JSON.

interface GuestProc { pid: number; ppid: number; uid: number; tty: number; ticks: number; start: number; cmd: string }

export interface GuestInspect {
  hz: number;
  ncpu: number;
  /** /proc/stat's `cpu` line. */
  procStat: string;
  /** Boot time, seconds since the epoch. */
  btime: number;
  memTotalKiB: number;
  procs?: GuestProc[];
  files?: Record<string, string>;
}

const pad = (n: number) => String(n).padStart(2, '0');

function ttyName(nr: number): string {
  if (!nr) return '?';
  const major = (nr >> 8) & 0xfff;
  const minor = (nr & 0xff) | ((nr >> 12) & 0xfff00);
  return major === 136 ? `pts/${minor}` : major === 4 ? `tty${minor}` : major === 5 && minor === 1 ? 'console' : '?';
}

/** The processes as `ps -ef` prints them (the columns dockerd shows by default). */
export function psTable(raw: GuestInspect): { Titles: string[]; Processes: string[][] } {
  const hz = raw.hz || 100;
  const rows = (raw.procs ?? []).sort((a, b) => a.pid - b.pid).map((p) => {
    const started = new Date((raw.btime + p.start / hz) * 1000);
    const cpu = Math.floor(p.ticks / hz);
    return [
      p.uid === 0 ? 'root' : String(p.uid), String(p.pid), String(p.ppid), '0',
      `${pad(started.getHours())}:${pad(started.getMinutes())}`, ttyName(p.tty),
      `${pad(Math.floor(cpu / 3600))}:${pad(Math.floor(cpu / 60) % 60)}:${pad(cpu % 60)}`, p.cmd,
    ];
  });
  return { Titles: ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD'], Processes: rows };
}

function keyed(text: string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of (text ?? '').split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^\d+$/.test(v)) out[k] = Number(v);
  }
  return out;
}

const num = (text: string | undefined): number | undefined => (text && /^\d+/.test(text.trim()) ? Number(text.trim()) : undefined);

/** dockerd's stats for a cgroup2 container (without read/preread/name/id, which the engine adds). */
export function dockerStats(raw: GuestInspect): Record<string, unknown> {
  const f = raw.files ?? {};
  const hz = raw.hz || 100;
  const cpu = keyed(f['cpu.stat']);
  const mem = keyed(f['memory.stat']);
  const machine = raw.memTotalKiB * 1024;
  const max = num(f['memory.max']);
  const systemTicks = raw.procStat.trim().split(/\s+/).slice(1, 8).reduce((n, v) => n + (Number(v) || 0), 0);
  const pidsMax = num(f['pids.max']);
  return {
    memory_stats: {
      usage: num(f['memory.current']) ?? 0,
      limit: max === undefined ? machine : Math.min(max, machine),
      stats: mem,
      ...(keyed(f['memory.events']).oom ? { failcnt: keyed(f['memory.events']).oom } : {}),
    },
    cpu_stats: {
      cpu_usage: {
        total_usage: (cpu.usage_usec ?? 0) * 1000,
        usage_in_kernelmode: (cpu.system_usec ?? 0) * 1000,
        usage_in_usermode: (cpu.user_usec ?? 0) * 1000,
      },
      system_cpu_usage: systemTicks * (1e9 / hz),
      online_cpus: raw.ncpu || 1,
      throttling_data: { periods: cpu.nr_periods ?? 0, throttled_periods: cpu.nr_throttled ?? 0, throttled_time: (cpu.throttled_usec ?? 0) * 1000 },
    },
    pids_stats: { current: num(f['pids.current']) ?? 0, ...(pidsMax !== undefined ? { limit: pidsMax } : {}) },
    blkio_stats: {
      io_service_bytes_recursive: null, io_serviced_recursive: null, io_queue_recursive: null, io_service_time_recursive: null,
      io_wait_time_recursive: null, io_merged_recursive: null, io_time_recursive: null, sectors_recursive: null,
    },
    num_procs: 0,
  };
}
