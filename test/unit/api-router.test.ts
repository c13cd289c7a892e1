// The API router: version prefixes, path patterns with slashes, errors as dockerd answers them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Router } from '../../core/api/router.ts';
import { BerthError } from '../../core/errors.ts';
import { compareVersions, splitVersion } from '../../core/api/version.ts';

function router(): Router {
  return new Router()
    .get('/images/json', () => Response.json({ list: true }))
    .get('/images/{name:.*}/json', ({ params, version }) => Response.json({ name: params.name, version }))
    .delete('/images/{name:.*}', ({ params }) => Response.json({ deleted: params.name }))
    .get('/containers/{id}/logs', ({ params }) => Response.json({ id: params.id }))
    .get('/fail', () => { throw new BerthError('conflict', 'in use'); })
    .get('/crash', () => { throw new Error('boom'); });
}

const get = (r: Router, path: string, method = 'GET') => r.handle(new Request(`http://localhost${path}`, { method }));

test('image names with slashes, colons and digests reach the handler whole', async () => {
  const r = router();
  assert.deepEqual(await (await get(r, '/v1.41/images/127.0.0.1:5000/demo/busybox:latest/json')).json(), { name: '127.0.0.1:5000/demo/busybox:latest', version: '1.41' });
  assert.deepEqual(await (await get(r, '/images/busybox@sha256:abc/json')).json(), { name: 'busybox@sha256:abc', version: '1.47' });
  assert.deepEqual(await (await get(r, '/images/a%2Fb/json')).json(), { name: 'a/b', version: '1.47' });
  assert.deepEqual(await (await get(r, '/images/json')).json(), { list: true });
  assert.deepEqual(await (await get(r, '/v1.47/images/x/y:1', 'DELETE')).json(), { deleted: 'x/y:1' });
});

test('one-segment parameters do not swallow slashes', async () => {
  const r = router();
  assert.deepEqual(await (await get(r, '/containers/abc/logs')).json(), { id: 'abc' });
  assert.equal((await get(r, '/containers/a/b/logs')).status, 404);
});

test('errors: BerthError status and message, unknown paths 404, wrong method 405, crashes 500', async () => {
  const r = router();
  const conflict = await get(r, '/fail');
  assert.equal(conflict.status, 409);
  assert.equal(conflict.headers.get('content-type'), 'application/json');
  assert.deepEqual(await conflict.json(), { message: 'in use' });
  assert.deepEqual([(await get(r, '/nope')).status, await (await get(r, '/nope')).json()], [404, { message: 'page not found' }]);
  assert.equal((await get(r, '/images/json', 'POST')).status, 405);
  assert.deepEqual([(await get(r, '/crash')).status, await (await get(r, '/crash')).json()], [500, { message: 'boom' }]);
});

test('versions outside 1.24..1.47 are refused with dockerd\'s texts', async () => {
  const r = router();
  const old = await get(r, '/v1.23/images/json');
  assert.equal(old.status, 400);
  assert.match(old.headers.get('content-type') ?? '', /text\/plain/);
  assert.equal((await old.text()).trim(), 'client version 1.23 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version');
  const high = await get(r, '/v1.48/images/json');
  assert.equal(high.status, 400);
  assert.deepEqual(await high.json(), { message: 'client version 1.48 is too new. Maximum supported API version is 1.47' });
  assert.equal((await get(r, '/v1.24/images/json')).status, 200);
});

test('version helpers compare numerically', () => {
  assert.equal(compareVersions('1.9', '1.10'), -1);
  assert.equal(compareVersions('1.47', '1.47'), 0);
  assert.equal(compareVersions('1.50', '1.47'), 1);
  assert.deepEqual(splitVersion('/v1.41/_ping'), { version: '1.41', path: '/_ping', explicit: true });
  assert.deepEqual(splitVersion('/_ping'), { version: '1.47', path: '/_ping', explicit: false });
});
