// The host seam for containers: what a host (Linux with its shim, the browser's v86 guest) must do
// to run a container. core decides what runs and keeps the records; the runtime runs it.
import type { ImageConfig } from '../../image/types.ts';
import type { ContainerRecord, HostConfig } from './types.ts';

/** A bidirectional byte pipe (attach, exec start): closing `writable` is a half-close. */
export interface StreamPair {
  readable: ReadableStream<Uint8Array>;
  writable: WritableStream<Uint8Array>;
}

export interface ExitStatus {
  exitCode: number;
  signal?: number | null;
  oomKilled: boolean;
  startedAt?: string;
  finishedAt: string;
  /** Why the process never ran or the supervisor vanished (`shim died`). */
  error?: string;
}

export interface StdioOptions { stdin: boolean; stdinOnce: boolean; tty: boolean }

/** The image a container is created from. */
export interface ContainerImage { id: string; config: ImageConfig; diffIDs: string[] }

/** An extra process in a running container. */
export interface ExecProcess {
  args: string[];
  env: string[];
  cwd: string;
  user: string;
  privileged: boolean;
  tty: boolean;
  stdin: boolean;
  consoleSize?: [number, number];
}

export interface ProcessTask {
  readonly pid: number;
  /** Lets the process exec; rejects with the runtime's text when it cannot (`executable file not found`). */
  start(): Promise<void>;
  attach(): Promise<StreamPair>;
  resize(height: number, width: number): Promise<void>;
  closeStdin(): Promise<void>;
  kill(signal: number): Promise<void>;
  wait(): Promise<ExitStatus>;
}

export interface ContainerTask extends ProcessTask {
  /** `all`: every process in the container's cgroup. */
  kill(signal: number, all?: boolean): Promise<void>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  update(resources: HostConfig): Promise<void>;
  /** Docker's stats JSON (without read/preread/name/id, which the engine adds). */
  stats(): Promise<Record<string, unknown>>;
  /** `docker top`: ps output restricted to the container's processes. */
  top(psArgs: string): Promise<{ Titles: string[]; Processes: string[][] }>;
  exec(execId: string, process: ExecProcess): Promise<ProcessTask>;
  /** Drops connections to the supervisor without touching the container. */
  close(): void;
}

export interface LogEntry { stream: 'stdout' | 'stderr'; line: Uint8Array; time: string }

export interface LogReadOptions {
  /** Lines from the end; undefined: all. */
  tail?: number;
  /** Unix nanoseconds; only entries after it. */
  since?: bigint;
  until?: bigint;
  follow: boolean;
  /** Aborted when the client goes away or the container stops (after which the rest is drained). */
  signal: AbortSignal;
  /** Resolves when following must end (the container stopped). */
  stopped: Promise<void>;
}

export interface PathStat { name: string; size: number; mode: number; mtime: string; linkTarget: string }

export interface Change { Path: string; Kind: 0 | 1 | 2 }

/** Facts about the host that create-time checks need. */
export interface RuntimeHost {
  /** CPUs the daemon may use (`--cpus` range). */
  ncpu: number;
  /** 1 (v1 or hybrid) or 2 (unified): decides the default cgroup namespace mode. */
  cgroupVersion: 1 | 2;
  /** The host's hostname: a `--network host` container's. */
  hostname?: string;
}

export interface ContainerRuntime {
  readonly host?: RuntimeHost;
  /**
   * Checks resource limits against what the host's cgroups can enforce (dockerd's
   * verifyPlatformContainerResources): returns the limits with what cannot be enforced dropped,
   * and dockerd's warnings; throws BerthError invalid_argument with dockerd's text.
   */
  validateResources?(hc: HostConfig, opts: { update?: boolean }): { hostConfig: HostConfig; warnings: string[] };
  /** Refuses at create what the host cannot mount (a `--mount type=bind` source that does not exist), with dockerd's text. */
  checkMounts?(hc: HostConfig): void;
  /** Makes the container's files (hostname, hosts, resolv.conf, log) at create time; returns their paths. */
  prepare(rec: ContainerRecord, image: ContainerImage): Promise<Pick<ContainerRecord, 'ResolvConfPath' | 'HostnamePath' | 'HostsPath' | 'LogPath'>>;
  /** Creates the container process (stopped before exec) with its rootfs, cgroup and supervisor. */
  create(rec: ContainerRecord, image: ContainerImage, stdio: StdioOptions): Promise<ContainerTask>;
  /** The supervisor of an earlier daemon: its task while alive, else how the container ended. */
  reconnect(rec: ContainerRecord): Promise<ContainerTask | ExitStatus>;
  /** After exit: releases the rootfs mount and the cgroup (the upper dir stays). Idempotent. */
  cleanup(rec: ContainerRecord): Promise<void>;
  /** Removes every file of the container. */
  remove(rec: ContainerRecord): Promise<void>;
  readLogs(rec: ContainerRecord, opts: LogReadOptions): AsyncIterable<LogEntry>;

  statPath(rec: ContainerRecord, path: string): Promise<PathStat>;
  getArchive(rec: ContainerRecord, path: string): Promise<{ stat: PathStat; tar: ReadableStream<Uint8Array> }>;
  putArchive(rec: ContainerRecord, path: string, tar: ReadableStream<Uint8Array>, opts: { noOverwriteDirNonDir: boolean; copyUIDGID: boolean }): Promise<void>;
  changes(rec: ContainerRecord): Promise<Change[]>;
  export(rec: ContainerRecord): Promise<ReadableStream<Uint8Array>>;
  /** The container's changes as a layer tar (overlay whiteouts turned into `.wh.` entries). */
  diffTar(rec: ContainerRecord): Promise<ReadableStream<Uint8Array>>;
  /** Bytes in the writable layer, and of the whole rootfs. */
  size(rec: ContainerRecord): Promise<{ rw: number; rootFs: number }>;
}
