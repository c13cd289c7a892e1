// The Docker Engine API over an Engine: one handler (Request -> Response) that the Linux daemon
// serves on its socket and the browser host serves in its worker.
import type { Engine } from '../engine/engine.ts';
import { Router } from './router.ts';
import { systemRoutes } from './system.ts';
import { eventRoutes } from './events.ts';
import { imageRoutes } from './images.ts';
import { containerRoutes } from './containers.ts';
import { execRoutes } from './exec.ts';
import { emptyPruneRoutes } from './empty-prunes.ts';
import { volumeRoutes } from './volumes.ts';
import { networkRoutes } from './networks.ts';
import { buildPruneRoute, buildRoutes } from './build.ts';

export function createApi(engine: Engine): Router {
  const router = new Router();
  systemRoutes(router, engine);
  eventRoutes(router, engine.events, () => engine.now());
  imageRoutes(router, engine);
  if (engine.volumes) volumeRoutes(router, engine.volumes);
  const networks = engine.containers?.opts.networks?.nets;
  if (networks) networkRoutes(router, networks, engine.containers);
  emptyPruneRoutes(router, { networks: !!networks, builds: !!(engine.builds && engine.containers) });
  if (engine.containers) {
    containerRoutes(router, engine.containers);
    execRoutes(router, engine.containers);
    if (engine.builds) {
      const { host, contexts, platform } = engine.builds;
      buildRoutes(router, { containers: engine.containers, images: engine.images, host, platform, now: () => engine.now() }, contexts);
      buildPruneRoute(router, host);
    }
  }
  return router;
}
