// The shell's history in the page's localStorage, so the up arrow still knows the commands after a
// reload; a storage that is full or unavailable just keeps no history.
const KEY = 'berth.history';
const MAX = 200;

export const storedHistory = {
  load(): string[] {
    try {
      const lines: unknown = JSON.parse(localStorage.getItem(KEY) ?? '[]');
      return Array.isArray(lines) ? lines.filter((l): l is string => typeof l === 'string') : [];
    } catch {
      return [];
    }
  },
  save(lines: readonly string[]): void {
    try { localStorage.setItem(KEY, JSON.stringify(lines.slice(-MAX))); } catch { /* quota or no storage */ }
  },
};
