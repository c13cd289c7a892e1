import type { BuildOptions } from 'esbuild';
export const ROOT: string;
export const ENGINE_WORKER_ENTRY: string;
export const WASI_WORKER_ENTRY: string;
export const BROWSER_BUILD: Readonly<BuildOptions>;
export function buildEngineWorker(opts?: { outfile?: string; minify?: boolean }): Promise<{ outfile: string; wasiWorker: string }>;
export const WORKER_ASSETS: readonly (readonly [string, string])[];
export function buildBrowser(opts?: { outDir?: string }): Promise<{ outDir: string; worker: string; copied: string[] }>;
