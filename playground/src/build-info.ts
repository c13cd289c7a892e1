// What `berth version` says about the client in the page; the commit is filled in by the bundler.
import type { BuildInfo } from '../../core/cli/host.ts';

declare const __BERTH_COMMIT__: string | undefined;
declare const __BERTH_BUILT__: string | undefined;

export function playgroundBuild(): BuildInfo {
  const ua = navigator.userAgent;
  const browser = /(Chrom(e|ium)|Firefox|Safari)\/[\d.]+/.exec(ua)?.[0] ?? 'a browser';
  return {
    version: '0.1.0',
    commit: typeof __BERTH_COMMIT__ === 'string' ? __BERTH_COMMIT__ : 'unknown',
    os: 'browser',
    arch: 'js',
    runtime: browser,
    ...(typeof __BERTH_BUILT__ === 'string' ? { built: __BERTH_BUILT__ } : {}),
  };
}
