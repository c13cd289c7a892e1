// berthd's runtime: Linux containers go to LinuxRuntime (berth-shim), containers of wasi/wasm
// images to core's WasiRuntime. A wasm container still gets the Linux runtime's container
// directory (its json-file log) and its file operations (cp, export, diff on the image's layers,
// which are unpacked like any other).
import type {
  ContainerImage, ContainerRuntime, ContainerTask, ExitStatus, LogEntry, LogReadOptions, RuntimeHost, StdioOptions,
} from '../../core/engine/containers/runtime.ts';
import type { ContainerRecord, HostConfig } from '../../core/engine/containers/types.ts';
import { isWasiPlatform, type WasiRuntime } from '../../core/wasi/runtime.ts';
import type { LinuxRuntime } from './linux-runtime.ts';

export function isWasmContainer(rec: ContainerRecord): boolean {
  return isWasiPlatform(rec.Platform);
}

export class PlatformRuntime implements ContainerRuntime {
  constructor(readonly linux: LinuxRuntime, readonly wasi: WasiRuntime) {}

  get host(): RuntimeHost | undefined { return this.linux.host; }

  validateResources(hc: HostConfig, opts: { update?: boolean }): { hostConfig: HostConfig; warnings: string[] } {
    return this.linux.validateResources(hc, opts);
  }

  checkMounts(hc: HostConfig): void {
    this.linux.checkMounts(hc);
  }

  prepare(rec: ContainerRecord) { return this.linux.prepare(rec); }

  create(rec: ContainerRecord, image: ContainerImage, stdio: StdioOptions): Promise<ContainerTask> {
    return isWasmContainer(rec) ? this.wasi.create(rec, image, stdio) : this.linux.create(rec, image, stdio);
  }

  reconnect(rec: ContainerRecord): Promise<ContainerTask | ExitStatus> {
    return isWasmContainer(rec) ? this.wasi.reconnect() : this.linux.reconnect(rec);
  }

  async cleanup(rec: ContainerRecord): Promise<void> {
    if (isWasmContainer(rec)) await this.wasi.cleanup(rec);
    await this.linux.cleanup(rec);
  }

  async remove(rec: ContainerRecord): Promise<void> {
    if (isWasmContainer(rec)) await this.wasi.cleanup(rec);
    await this.linux.remove(rec);
  }

  readLogs(rec: ContainerRecord, opts: LogReadOptions): AsyncIterable<LogEntry> { return this.linux.readLogs(rec, opts); }
  statPath(...a: Parameters<LinuxRuntime['statPath']>) { return this.linux.statPath(...a); }
  getArchive(...a: Parameters<LinuxRuntime['getArchive']>) { return this.linux.getArchive(...a); }
  putArchive(...a: Parameters<LinuxRuntime['putArchive']>) { return this.linux.putArchive(...a); }
  changes(...a: Parameters<LinuxRuntime['changes']>) { return this.linux.changes(...a); }
  export(...a: Parameters<LinuxRuntime['export']>) { return this.linux.export(...a); }
  diffTar(...a: Parameters<LinuxRuntime['diffTar']>) { return this.linux.diffTar(...a); }
  size(...a: Parameters<LinuxRuntime['size']>) { return this.linux.size(...a); }
}
