// berth's own CLI for tests: from the sources (tsx), or from dist/ with BERTH_TEST_BUNDLE=1, or
// bundled into a test's temp dir the way scripts/build.mjs bundles it (a test that times many
// invocations or needs the bundled form without touching dist/).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { REPO_ROOT } from './registry.ts';

export const CLI_SOURCE = join(REPO_ROOT, 'host-linux/cli/main.ts');
export const CLI_BUNDLE = join(REPO_ROOT, 'dist/berth.mjs');

/** BERTH_TEST_BUNDLE=1: tests run dist/'s bundles (CLI and daemon) instead of the sources. */
export const TEST_BUNDLE = process.env.BERTH_TEST_BUNDLE === '1';

/** The command line that runs `berth`; null while it does not exist. */
export function berthCliCommand(): string[] | null {
  if (TEST_BUNDLE) return existsSync(CLI_BUNDLE) ? [process.execPath, CLI_BUNDLE] : null;
  return existsSync(CLI_SOURCE) ? [process.execPath, '--import', 'tsx', CLI_SOURCE] : null;
}

/** Bundles the CLI into `out`, as scripts/build.mjs does (the native addon stays external). */
export async function bundleBerthCli(out: string): Promise<void> {
  await build({
    entryPoints: [CLI_SOURCE], outfile: out, bundle: true, platform: 'node', format: 'esm', target: 'node20',
    logLevel: 'error', external: ['*.node'],
    banner: { js: "import { createRequire as __berthCreateRequire } from 'node:module'; const require = __berthCreateRequire(import.meta.url);" },
  });
}
