// Watches the CLI's requests to the engine for pulls (POST /images/create, sent by `pull` and by
// `run`/`create` for a missing image) and reads a copy of their progress for the status line.
import type { EngineConnection } from '../../host-browser/worker/client.ts';
import { PullProgress, readPullStream } from './pull-progress.ts';

const CREATE = /^(\/v[\d.]+)?\/images\/create$/;

function pullRef(url: URL): string {
  const image = url.searchParams.get('fromImage') ?? '';
  const tag = url.searchParams.get('tag');
  return tag && !image.includes('@') ? `${image}:${tag}` : image;
}

export function observePulls(link: EngineConnection, onProgress: (p: PullProgress) => void): EngineConnection {
  return {
    hijack: link.hijack,
    async fetch(input, init) {
      const res = await link.fetch(input, init);
      const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
      const url = new URL(input instanceof Request ? input.url : String(input));
      if (method !== 'POST' || !CREATE.test(url.pathname) || !res.body) return res;
      const progress = new PullProgress(pullRef(url));
      if (!res.ok) {
        // Refused before any progress (an unknown image, a registry that cannot be reached): the error's message.
        const text = await res.clone().text().catch(() => '');
        let message = text.trim() || `HTTP ${res.status}`;
        try { message = (JSON.parse(text) as { message?: string }).message ?? message; } catch { /* not JSON */ }
        progress.end(message);
        onProgress(progress);
        return res;
      }
      const [mine, theirs] = res.body.tee();
      onProgress(progress);
      void readPullStream(mine, progress, () => onProgress(progress));
      return new Response(theirs, { status: res.status, statusText: res.statusText, headers: res.headers });
    },
  };
}
