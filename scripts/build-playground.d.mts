export function buildPlayground(opts?: { outDir?: string }): Promise<{ outDir: string; copied: string[]; missing: string[] }>;
