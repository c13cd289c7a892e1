// A fetch that refuses some hosts as if they did not resolve. BERTH_BLOCK_HOSTS lets tests (and
// people rehearsing an offline machine) make Docker Hub unreachable without touching the network.

export function blockedFetch(inner: typeof fetch, blocked: readonly string[]): typeof fetch {
  if (blocked.length === 0) return inner;
  const set = new Set(blocked.map((h) => h.trim().toLowerCase()).filter(Boolean));
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : input.toString());
    if (set.has(url.hostname.toLowerCase())) {
      const cause = Object.assign(new Error(`getaddrinfo ENOTFOUND ${url.hostname}`), { code: 'ENOTFOUND', hostname: url.hostname });
      throw new TypeError('fetch failed', { cause });
    }
    return inner(input, init);
  }) as typeof fetch;
}
