// What the CLI needs from its host (Node on Linux, a web terminal in the browser): stdio, the
// environment, an HTTP client to the daemon, files and the terminal. core/cli never imports node:.
import type { Fetch } from '../host.ts';
import type { Command } from './command.ts';
import type { LocalTree } from './build/local-tree.ts';

export interface OutStream {
  /** Resolves when the data is handed on (backpressure for large streams such as `save`). */
  write(data: string | Uint8Array): Promise<void>;
  readonly isTTY: boolean;
}

export interface InStream {
  readonly isTTY: boolean;
  /** The whole input as a stream (for `load`, `login --password-stdin`). */
  stream(): ReadableStream<Uint8Array>;
  /** One line from the terminal (prompts); undefined at end of input. */
  readLine(): Promise<string | undefined>;
  /** One line read with echo off (password prompts); falls back to readLine. */
  readSecret?(): Promise<string | undefined>;
}

/** File access for `-o`, `-i` and the client config; paths are host paths. */
export interface CliFiles {
  /** A file's content, or undefined when it does not exist. */
  readText(path: string): Promise<string | undefined>;
  /** Replaces a file atomically, creating its directory; `mode` for files with secrets. */
  writeText(path: string, text: string, mode?: number): Promise<void>;
  openRead(path: string): Promise<ReadableStream<Uint8Array>>;
  /** Streams into a file, replacing it only once the stream completed. */
  writeStream(path: string, data: ReadableStream<Uint8Array>): Promise<void>;
}

export interface BuildInfo {
  version: string;
  commit: string;
  os: string;
  arch: string;
  /** The runtime the CLI runs on, shown where docker shows its Go version. */
  runtime: string;
  built?: string;
}

/**
 * A connection the daemon took over (attach, exec start): after `101 UPGRADED` the socket is a byte
 * pipe both ways. `closeWrite` half-closes it (stdin EOF) while the output keeps coming.
 */
export interface HijackedConnection {
  output: ReadableStream<Uint8Array>;
  write(data: Uint8Array): Promise<void>;
  closeWrite(): Promise<void>;
  /** Drops the connection both ways. */
  close(): void;
}

/** The answer to a hijack request: `connection` when the daemon upgraded, else a plain response (an error). */
export interface HijackResult {
  response: Response;
  connection?: HijackedConnection;
}

/** Sends one request with `Connection: Upgrade`/`Upgrade: tcp` and hands back the raw connection. */
export type Hijack = (url: string, init: { method: string; headers: Record<string, string>; body?: string }) => Promise<HijackResult>;

/** The local terminal, for `-t`: raw mode, size and resize notifications. */
export interface CliTerminal {
  /** Raw mode on stdin (no echo, no line discipline, no signals from ctrl-c). */
  setRawMode(on: boolean): void;
  /** Rows and columns of the terminal, when there is one. */
  size(): { height: number; width: number } | undefined;
  /** Calls `cb` on each resize (SIGWINCH); returns the unsubscribe function. */
  onResize(cb: () => void): () => void;
}

/** Local file trees as tar streams, for `cp`. */
export interface CliArchive {
  /** What is at a local path (symlinks followed), or undefined when nothing is. */
  stat(path: string): Promise<{ isDir: boolean } | undefined>;
  /** A tar of `path` whose top entry is named `rename` (default: the path's base name). */
  pack(path: string, opts: { followLink: boolean; rename?: string }): ReadableStream<Uint8Array>;
  /** Extracts a tar into the existing directory `dir`, the top entry renamed when asked; resolves with the bytes read. */
  extract(dir: string, tar: ReadableStream<Uint8Array>, opts: { rename?: { from: string; to: string } }): Promise<number>;
}

export interface CliHost {
  stdout: OutStream;
  stderr: OutStream;
  stdin: InStream;
  env: Record<string, string | undefined>;
  /** A fetch that reaches the daemon at `address` (`unix:///path`, `tcp://host:port`, or defaultDaemonHost). */
  daemonFetch(address: string): Fetch;
  /**
   * The daemon's address when neither -H nor BERTH_HOST/DOCKER_HOST names one (default: berthd's socket). A host
   * whose daemon is no socket (the browser's engine worker) names its own, so messages name the right thing.
   */
  defaultDaemonHost?: string;
  files: CliFiles;
  /** The user's home directory (for ~/.docker). */
  homeDir: string;
  /** Terminal columns, when stdout (or stdin) is a terminal. */
  terminalWidth(): number | undefined;
  build: BuildInfo;
  now?(): Date;
  /** Hijacked connections to the daemon at `address` (attach, exec): absent where the host has none. */
  daemonHijack?(address: string): Hijack;
  terminal?: CliTerminal;
  archive?: CliArchive;
  /** Local directories read for `build` contexts: absent where the host has no local files. */
  localTree?: LocalTree;
  /**
   * Calls `cb` with the signal's name (`SIGINT`, `SIGTERM`, ...) instead of the default action while
   * subscribed (the signal proxy of `run`/`attach`); returns the unsubscribe function.
   */
  onSignal?(cb: (signal: string) => void): () => void;
  /** Commands only this host has (`registry serve` on Linux). */
  extraCommands?: Command[];
}
