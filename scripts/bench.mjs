// Runs every benchmark (bench/*.ts, helpers in bench/lib/ excluded), one after another; names given on the
// command line (`npm run bench -- pull`) pick some. Each writes its own section of BENCHMARKS.md.
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const all = readdirSync('bench').filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3)).sort();
const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !all.includes(w));
if (unknown.length) {
  console.error(`bench: no benchmark named ${unknown.join(', ')} (there are: ${all.join(', ')})`);
  process.exit(2);
}
let failed = 0;
for (const name of wanted.length ? wanted : all) {
  console.error(`\n==> bench/${name}.ts`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', `bench/${name}.ts`], { stdio: 'inherit' });
  if (r.status !== 0) { failed++; console.error(`bench: ${name} failed (exit ${r.status ?? r.signal})`); }
}
process.exit(failed ? 1 : 0);
