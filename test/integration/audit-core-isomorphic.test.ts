// Issue 2 audit: core/ must run in a browser worker as well as in Node. tsc cannot tell (the project
// compiles with Node's types everywhere), so every core module is bundled for the browser, where a
// `node:` import (or a package that needs one) does not resolve, and type-checked with the browser's
// libraries only, where Node's globals are not declared.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { build } from 'esbuild';
import ts from 'typescript';
import { REPO_ROOT } from '../helpers/registry.ts';

const CORE = join(REPO_ROOT, 'core');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sources(p);
    return p.endsWith('.ts') && !p.endsWith('.d.ts') ? [p] : [];
  });
}

test('every core module bundles for the browser: no node: imports, directly or through a package', async () => {
  const entries = sources(CORE);
  assert.ok(entries.length > 50, `found only ${entries.length} core modules`);
  const result = await build({
    entryPoints: entries, bundle: true, platform: 'browser', format: 'esm', target: 'es2022',
    write: false, outdir: join(REPO_ROOT, 'build/audit-browser-bundle'), logLevel: 'silent', metafile: true,
  }).catch((e: { errors?: { text: string; location?: { file: string; line: number } | null }[] }) => {
    const lines = (e.errors ?? []).map((x) => `${x.location ? `${x.location.file}:${x.location.line}: ` : ''}${x.text}`);
    assert.fail(`core does not bundle for the browser:\n${lines.join('\n')}`);
  });
  const packages = new Set(Object.keys(result.metafile.inputs).filter((i) => i.includes('node_modules/')).map((i) => i.split('node_modules/')[1]!.split('/')[0]!));
  for (const p of packages) assert.ok(!p.startsWith('@types'), p);
});

test('core type-checks without Node\'s type definitions: no Buffer, process, require or node: modules', () => {
  // Only the "not found" diagnostics are this test's business; other type errors are tsc's (npx tsc -p tsconfig.json).
  const NOT_FOUND = new Set([2304, 2307, 2580, 2591, 2592, 2662, 2867, 2868]);
  const program = ts.createProgram(sources(CORE), {
    target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ['lib.es2023.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'], types: [], strict: true, noEmit: true,
    allowImportingTsExtensions: true, skipLibCheck: true,
  });
  const problems = ts.getPreEmitDiagnostics(program).filter((d) => NOT_FOUND.has(d.code)).map((d) => {
    const where = d.file && d.start !== undefined ? `${relative(REPO_ROOT, d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}: ` : '';
    return `${where}${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
  });
  assert.deepEqual(problems, []);
});
