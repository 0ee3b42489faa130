// docs/openapi.yaml against the server it describes: every route of
// src/api/routes.c is documented with its method and permission and nothing
// else is; every $ref resolves; and real answers of the demo server match the
// documented schemas, with no field left undocumented.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import Ajv2020 from 'ajv/dist/2020.js';
import { Server, tempDir, ROOT, demoDatabase } from './lib/server.mjs';
import { loginClient } from './lib/auth.mjs';
import { routesInSource } from './lib/routes.mjs';

const DOC = YAML.parse(readFileSync(path.join(ROOT, 'docs/openapi.yaml'), 'utf8'));
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];
const DOC_ID = 'https://tiaokuai.invalid/openapi';

function operations() {
  const ops = [];
  for (const [p, item] of Object.entries(DOC.paths))
    for (const m of METHODS) if (item[m]) ops.push([m.toUpperCase(), p, item[m]]);
  return ops;
}

// Every {$ref} in the document, with where it is.
function refs(node, at = '#', out = []) {
  if (Array.isArray(node)) node.forEach((x, i) => refs(x, `${at}/${i}`, out));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref') out.push([v, at]);
      else refs(v, `${at}/${k}`, out);
    }
  }
  return out;
}

function resolve(ref) {
  assert.ok(ref.startsWith('#/'), `a local $ref: ${ref}`);
  return ref.slice(2).split('/').reduce((n, k) => (n === undefined ? n : n[k]), DOC);
}

// The fields of value that its schema does not declare, as paths ("items.3.foo"):
// every field of an answer must be documented. $ref, allOf (merged), oneOf and
// anyOf (the branch that fits) are followed; an object schema without
// properties is free-form.
function undocumented(value, schema, at = '') {
  if (!schema) return [];
  if (schema.$ref) return undocumented(value, resolve(schema.$ref), at);
  const branches = schema.oneOf || schema.anyOf;
  if (branches) {
    const tries = branches.map((b) => undocumented(value, b, at));
    return tries.find((t) => t.length === 0) || tries.sort((a, b) => a.length - b.length)[0];
  }
  const parts = [schema, ...(schema.allOf || []).map((b) => (b.$ref ? resolve(b.$ref) : b))];
  const props = Object.assign({}, ...parts.map((p) => p.properties || {}));
  const items = parts.map((p) => p.items).filter(Boolean).pop();
  if (Array.isArray(value)) return items ? value.flatMap((v, i) => undocumented(v, items, `${at}${i}.`)) : [];
  if (!value || typeof value !== 'object' || Object.keys(props).length === 0) return [];
  return Object.entries(value).flatMap(([k, v]) =>
    (props[k] ? undocumented(v, props[k], `${at}${k}.`) : [`${at}${k}`]));
}

describe('docs/openapi.yaml', () => {
  test('is OpenAPI 3.1 with unique operation ids', () => {
    assert.equal(DOC.openapi, '3.1.0');
    const ids = operations().map(([, , op]) => op.operationId);
    assert.ok(ids.every(Boolean), 'every operation has an id');
    assert.equal(new Set(ids).size, ids.length, 'operation ids are unique');
  });

  test('documents every route of routes.c, with its permission, and no other', () => {
    const source = routesInSource();
    assert.ok(source.length > 80, `routes found: ${source.length}`);
    const documented = new Map(operations().map(([m, p, op]) => [`${m} ${p}`, op]));
    for (const { method, path: p, action, public: open } of source) {
      const op = documented.get(`${method} ${p}`);
      assert.ok(op, `${method} ${p} is documented`);
      if (open) assert.deepEqual(op.security, [], `${method} ${p} needs no login`);
      else assert.equal(op['x-permission'], action, `${method} ${p}: x-permission`);
      documented.delete(`${method} ${p}`);
    }
    assert.deepEqual([...documented.keys()], [], 'documented routes the server does not have');
  });

  test('no key without a value (words of a description split off by an unquoted comma)', () => {
    const stray = [];
    const walk = (node, at) => {
      if (Array.isArray(node)) node.forEach((x, i) => walk(x, `${at}/${i}`));
      else if (node && typeof node === 'object') {
        for (const [k, v] of Object.entries(node)) {
          if (v === null && !['default', 'const', 'example'].includes(k)) stray.push(`${at}/${k}`);
          walk(v, `${at}/${k}`);
        }
      }
    };
    walk(DOC, '#');
    assert.deepEqual(stray, []);
  });

  test('every $ref resolves', () => {
    for (const [ref, at] of refs(DOC)) assert.ok(resolve(ref) !== undefined, `${ref} at ${at}`);
  });
});

describe('the demo server answers as documented', () => {
  let srv;
  let ajv;
  const as = {};
  let checked = 0;

  before(async () => {
    const dir = tempDir('tk-openapi-');
    const db = path.join(dir, 'demo.db');
    const demo = await demoDatabase(db);
    assert.equal(demo.code, 0, demo.stderr);
    srv = new Server({ dir, db, args: ['--data', path.join(ROOT, 'data')] });
    await srv.start();
    for (const [who, pw] of [['admin', 'Demo-Admin-2026'], ['command', 'Demo-Command-2026'],
      ['grid', 'Demo-Grid-2026'], ['leader', 'Demo-Leader-2026']])
      as[who] = await loginClient(srv, who, pw);
    ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
    ajv.addSchema({ $id: DOC_ID, components: DOC.components });
  });

  after(async () => {
    if (!srv) return;
    const st = await srv.stop();
    srv.cleanup();
    assert.equal(st.code, 0);
  });

  // Checks a real answer against the documented schema of its operation and status.
  function check(method, docPath, res) {
    const op = DOC.paths[docPath] && DOC.paths[docPath][method.toLowerCase()];
    assert.ok(op, `${method} ${docPath} documented`);
    let answer = op.responses[String(res.status)];
    assert.ok(answer, `${method} ${docPath}: status ${res.status} documented (${res.text.slice(0, 300)})`);
    if (answer.$ref) answer = resolve(answer.$ref);
    const type = String(res.headers['content-type'] || '').split(';')[0];
    const media = answer.content && answer.content[type];
    assert.ok(media, `${method} ${docPath} ${res.status}: ${type} documented`);
    const validate = ajv.compile({ $id: `${DOC_ID}/check/${checked++}`, ...rebase(media.schema) });
    assert.ok(validate(res.body), `${method} ${docPath} ${res.status}: ${ajv.errorsText(validate.errors, { separator: '\n' })}`);
    assert.deepEqual(undocumented(res.body, media.schema), [], `${method} ${docPath} ${res.status}: undocumented fields`);
  }

  // Local refs of an operation's schema point into the document registered as DOC_ID.
  function rebase(node) {
    if (Array.isArray(node)) return node.map(rebase);
    if (!node || typeof node !== 'object') return node;
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, k === '$ref' ? `${DOC_ID}${v}` : rebase(v)]));
  }

  test('the event loop', async () => {
    const created = await as.grid.post('/api/v1/events', { category: '0102', description: '文档校验：路边垃圾', source: 'grid_patrol', lng: 118.737409981, lat: 29.0773997419 });
    check('POST', '/api/v1/events', created);
    const id = created.body.id;
    check('GET', '/api/v1/events', await as.command.get('/api/v1/events?limit=5'));
    check('GET', '/api/v1/events', await as.leader.get('/api/v1/events?box=overdue&limit=5'));
    check('GET', '/api/v1/events/{id}', await as.command.get(`/api/v1/events/${id}`));
    check('GET', '/api/v1/events/boxes', await as.command.get('/api/v1/events/boxes'));
    check('POST', '/api/v1/events/{id}/{action}', await as.command.post(`/api/v1/events/${id}/accept`, {}));
    check('POST', '/api/v1/events/{id}/{action}', await as.command.post(`/api/v1/events/${id}/close`, {}));
    check('POST', '/api/v1/events/{id}/supervise', await as.leader.post(`/api/v1/events/${id}/supervise`, { note: '请尽快交办' }));
    check('POST', '/api/v1/events', await as.grid.post('/api/v1/events', { category: '0102', source: 'grid_patrol' }));
    check('GET', '/api/v1/notifications', await as.command.get('/api/v1/notifications?limit=5'));
    check('GET', '/api/v1/stats/summary', await as.leader.get('/api/v1/stats/summary'));
    check('GET', '/api/v1/stats/daily', await as.leader.get('/api/v1/stats/daily'));
    check('GET', '/api/v1/stats/children', await as.leader.get('/api/v1/stats/children?kind=county'));
    check('GET', '/api/v1/stats/departments', await as.leader.get('/api/v1/stats/departments'));
  });

  test('identity', async () => {
    check('GET', '/api/v1/session', await as.command.get('/api/v1/session'));
    check('GET', '/api/v1/sessions', await as.command.get('/api/v1/sessions'));
    check('GET', '/api/v1/permissions', await as.command.get('/api/v1/permissions'));
    check('GET', '/api/v1/users', await as.admin.get('/api/v1/users?limit=5'));
    const users = await as.admin.get('/api/v1/users?limit=1');
    check('GET', '/api/v1/users/{id}', await as.admin.get(`/api/v1/users/${users.body.items[0].id}`));
    check('GET', '/api/v1/api-keys', await as.admin.get('/api/v1/api-keys'));
    check('GET', '/api/v1/audit', await as.admin.get('/api/v1/audit?limit=5'));
    check('GET', '/healthz', await as.admin.get('/healthz'));
  });

  test('territory, organisation, lists and calendar', async () => {
    const me = (await as.command.get('/api/v1/session')).body.user;
    check('GET', '/api/v1/units', await as.admin.get('/api/v1/units?limit=5'));
    check('GET', '/api/v1/units/{id}', await as.admin.get(`/api/v1/units/${me.unit.id}`));
    check('GET', '/api/v1/units/{id}/children', await as.admin.get(`/api/v1/units/${me.unit.id}/children`));
    check('GET', '/api/v1/units/{id}/ancestors', await as.admin.get(`/api/v1/units/${me.unit.id}/ancestors`));
    check('GET', '/api/v1/territory/summary', await as.admin.get('/api/v1/territory/summary'));
    check('GET', '/api/v1/locate', await as.admin.get('/api/v1/locate?lng=118.737409981&lat=29.0773997419'));
    check('GET', '/api/v1/people', await as.admin.get('/api/v1/people?limit=5'));
    check('GET', '/api/v1/staffing', await as.admin.get('/api/v1/staffing'));
    check('GET', '/api/v1/teams', await as.admin.get('/api/v1/teams'));
    check('GET', '/api/v1/subject-types', await as.admin.get('/api/v1/subject-types'));
    check('GET', '/api/v1/lists/summary', await as.admin.get('/api/v1/lists/summary'));
    const items = await as.admin.get('/api/v1/list-items?limit=5');
    check('GET', '/api/v1/list-items', items);
    check('GET', '/api/v1/list-items/{code}', await as.admin.get(`/api/v1/list-items/${items.body.items[0].code}`));
    check('GET', '/api/v1/list-items/{code}/history', await as.admin.get(`/api/v1/list-items/${items.body.items[0].code}/history`));
    check('GET', '/api/v1/categories', await as.admin.get('/api/v1/categories'));
    check('GET', '/api/v1/categories/{code}', await as.admin.get('/api/v1/categories/0102'));
    check('GET', '/api/v1/calendar', await as.admin.get('/api/v1/calendar?from=2026-02-01&to=2026-02-28'));
    check('GET', '/api/v1/calendar/deadline', await as.admin.get('/api/v1/calendar/deadline?start=2026-02-13T16:00:00%2B08:00&amount=8&unit=work_hours'));
    check('GET', '/api/v1/calendar/schedules', await as.admin.get('/api/v1/calendar/schedules'));
  });
});
