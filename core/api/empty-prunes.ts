// POST /networks/prune and /build/prune: `docker system prune` asks for both. A host without a
// network service has only the predefined networks (never pruned), and one that does not build has
// no build cache, so each answers dockerd's empty result after checking the filters as dockerd does.
import { parseFilters } from './query.ts';
import { jsonResponse } from './http-error.ts';
import type { Router } from './router.ts';

export function emptyPruneRoutes(router: Router, opts: { networks: boolean; builds: boolean }): void {
  if (!opts.networks) {
    router.post('/networks/prune', ({ query }) => {
      parseFilters(query.get('filters'), ['until', 'label', 'label!']);
      return jsonResponse({ NetworksDeleted: null });
    });
  }
  if (opts.builds) return;
  router.post('/build/prune', ({ query }) => {
    parseFilters(query.get('filters'), ['until', 'id', 'parent', 'type', 'description', 'inuse', 'shared', 'private', 'label', 'label!']);
    return jsonResponse({ CachesDeleted: null, SpaceReclaimed: 0 });
  });
}
