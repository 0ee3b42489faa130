// Identity fixtures for the API tests: bootstraps the first administrator with
// the CLI, logs in, gets through the forced password change, and hands back
// small clients that send `Authorization: Bearer`. Every response body any
// client sees is kept in `transcript`, and every secret a test uses can be
// registered with `secret()`, so a test can show that no secret leaks.
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';
import { runCli } from './server.mjs';

export const ROOT_UNIT = '330800';

// Every response body seen by request(): { index, method, path, status, text }.
export const transcript = [];
// Secrets the tests used: { value, label, origins: Set of transcript indexes
// (the one response allowed to show it: the one that issued it) }.
export const secrets = [];

export function secret(value, label, originRes) {
  if (!value) return value;
  let s = secrets.find((x) => x.value === value);
  if (!s) secrets.push((s = { value, label, origins: new Set() }));
  if (originRes && originRes.index !== undefined) s.origins.add(originRes.index);
  return value;
}

// A password that passes the policy (10+ characters, not common, not the username).
export function strongPassword(tag = 'Pw') {
  return `${tag}-${randomBytes(12).toString('base64url')}!9`;
}

export function uniqueName(prefix) {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

// One HTTP request over a fresh connection (node:http, so headers such as
// Origin and Cookie go out exactly as given, and the source address can be
// chosen). Returns { status, headers (lower-case names), body, text, index }.
export function request(srv, method, path, { json, body, headers = {}, token, cookie, localAddress } = {}) {
  const h = { ...headers };
  let payload = body;
  if (json !== undefined) {
    payload = Buffer.from(JSON.stringify(json));
    if (!Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) h['content-type'] = 'application/json';
  }
  if (token) h.authorization = `Bearer ${token}`;
  if (cookie) h.cookie = cookie;
  if (payload !== undefined) h['content-length'] = Buffer.byteLength(payload);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: srv.port, method, path, headers: h, agent: false, localAddress },
      (res) => {
        const parts = [];
        res.on('data', (d) => parts.push(d));
        res.on('end', () => {
          const text = Buffer.concat(parts).toString('utf8');
          let parsed = text;
          const ct = res.headers['content-type'] || '';
          if (ct.includes('json') && text) parsed = JSON.parse(text);
          const index = transcript.length;
          transcript.push({ index, method, path, status: res.statusCode, text });
          resolve({ status: res.statusCode, headers: res.headers, body: parsed, text, index });
        });
        res.on('error', reject);
      });
    req.setTimeout(60000, () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

export function assertProblem(res, status, code, field) {
  const what = `${res.status} ${typeof res.body === 'string' ? res.body : JSON.stringify(res.body)}`;
  assert.equal(res.status, status, `expected ${status} ${code || ''}, got ${what}`);
  assert.match(res.headers['content-type'] || '', /^application\/problem\+json/, what);
  assert.equal(res.body.status, status, what);
  if (code) assert.equal(res.body.code, code, what);
  if (field !== undefined) assert.equal(res.body.field, field, what);
}

export function assertStatus(res, status, what = '') {
  assert.equal(res.status, status, `${what} expected ${status}, got ${res.status} ${res.text}`);
}

// A caller: a bearer token (session or API key) or a cookie session.
export class Client {
  constructor(srv, { token, cookie, csrf, username, password, user, localAddress } = {}) {
    Object.assign(this, { srv, token, cookie, csrf, username, password, user, localAddress });
  }

  get id() { return this.user && this.user.id; }

  request(method, path, opts = {}) {
    const o = { localAddress: this.localAddress, ...opts };
    if (this.cookie) o.cookie = this.cookie;
    else o.token = this.token;
    return request(this.srv, method, path, o);
  }

  get(p, o) { return this.request('GET', p, o); }
  post(p, json, o = {}) { return this.request('POST', p, json === undefined ? o : { ...o, json }); }
  put(p, json, o = {}) { return this.request('PUT', p, json === undefined ? o : { ...o, json }); }
  patch(p, json, o = {}) { return this.request('PATCH', p, json === undefined ? o : { ...o, json }); }
  delete(p, o) { return this.request('DELETE', p, o); }
}

// POST /api/v1/session. bearer: true gives a token in the body, otherwise a
// cookie. A session it issues is registered as a secret of that response.
export async function login(srv, username, password, { bearer = true, localAddress } = {}) {
  const res = await request(srv, 'POST', '/api/v1/session', { json: { username, password, bearer }, localAddress });
  if (res.status === 201) {
    if (res.body.token) secret(res.body.token, `session token of ${username}`, res);
    const cookie = sessionCookie(res);
    if (cookie) secret(cookie.slice('tk_session='.length), `cookie session of ${username}`, res);
  }
  return res;
}

// The tk_session cookie (name=value) from a login response, or null.
export function sessionCookie(res) {
  const all = [].concat(res.headers['set-cookie'] || []);
  const c = all.find((x) => x.startsWith('tk_session='));
  return c ? c.split(';')[0] : null;
}

// Logs in with a bearer token; returns a Client (asserts success).
export async function loginClient(srv, username, password, opts = {}) {
  const res = await login(srv, username, password, { ...opts, bearer: true });
  assertStatus(res, 201, `login ${username}`);
  secret(res.body.token, `session token of ${username}`, res);
  return new Client(srv, { token: res.body.token, username, password, user: res.body.user, localAddress: opts.localAddress });
}

// Logs in with the cookie; the client sends the cookie, and the CSRF header
// and same Origin on writes only when asked.
export async function loginCookie(srv, username, password) {
  const res = await login(srv, username, password, { bearer: false });
  assertStatus(res, 201, `cookie login ${username}`);
  const cookie = sessionCookie(res);
  assert.ok(cookie, 'login without bearer sets the session cookie');
  secret(cookie.slice('tk_session='.length), `cookie session of ${username}`, res);
  return new Client(srv, { cookie, csrf: res.body.csrf_token, username, password, user: res.body.user });
}

// PUT /api/v1/session/password with a fresh strong password; updates client.password.
export async function changePassword(client, next = strongPassword()) {
  secret(next, `password of ${client.username}`);
  const res = await client.put('/api/v1/session/password', { current_password: client.password, new_password: next });
  assertStatus(res, 204, `password change of ${client.username}`);
  client.password = next;
  return client;
}

// The first administrator, made with `tiaokuai init` and `tiaokuai user add`
// beside the running server (SQLite WAL lets both use the database), logged in
// with a bearer token and past the forced password change.
export async function bootstrapAdmin(srv, { username = 'admin', name = '管理员' } = {}) {
  const init = await runCli(['init', '--db', srv.db]);
  assert.equal(init.code, 0, `tiaokuai init: ${init.stderr}`);
  const initial = secret(strongPassword('Init'), 'initial admin password');
  const add = await runCli(['user', 'add', '--db', srv.db, '--role', 'admin', '--unit', ROOT_UNIT,
    '--name', name, username, '--password-stdin'], { input: `${initial}\n` });
  assert.equal(add.code, 0, `tiaokuai user add: ${add.stdout}${add.stderr}`);
  assert.ok(!add.stdout.includes(initial), 'the CLI does not echo a password given on stdin');
  const admin = await loginClient(srv, username, initial);
  const me = await admin.get('/api/v1/session');
  assertStatus(me, 200);
  assert.equal(me.body.must_change_password, true, 'a CLI-made admin must change the password first');
  await changePassword(admin);
  return admin;
}

// POST /api/v1/users as admin (temporary password), then logs in as the new
// user and changes the password. fields may set username, display_name, role,
// unit_code, phone, id_number. Returns the user's Client; .created is the 201.
export async function createUser(admin, role, fields = {}, { changePassword: change = true } = {}) {
  const body = {
    username: fields.username || uniqueName(role),
    display_name: fields.display_name || `测试${role}`,
    role,
    unit_code: fields.unit_code || ROOT_UNIT,
    ...fields,
  };
  const res = await admin.post('/api/v1/users', body);
  assertStatus(res, 201, `create ${role} ${body.username}`);
  const temp = secret(res.body.temporary_password, `temporary password of ${body.username}`, res);
  assert.ok(temp, 'a generated temporary password is returned once');
  const client = await loginClient(admin.srv, body.username, temp);
  client.created = res;
  if (change) await changePassword(client);
  return client;
}

// An integration user with an API key of the given scopes; the Client sends the key.
export async function createIntegration(admin, scopes = '*', fields = {}) {
  const username = fields.username || uniqueName('integration');
  const res = await admin.post('/api/v1/users', { username, display_name: fields.display_name || '对接系统', role: 'integration', unit_code: ROOT_UNIT });
  assertStatus(res, 201, `create integration ${username}`);
  secret(res.body.temporary_password, `temporary password of ${username}`, res);
  const key = await admin.post('/api/v1/api-keys', { user_id: res.body.id, name: `${username}-key`, scopes });
  assertStatus(key, 201, `api key for ${username}`);
  secret(key.body.key, `api key of ${username}`, key);
  const client = new Client(admin.srv, { token: key.body.key, username, user: res.body });
  client.keyId = key.body.id;
  client.keyRes = key;
  return client;
}

// Moves the manual clock: { advance_minutes } or { now } (ISO time); returns the new now.
export async function clock(srv, change) {
  const res = await request(srv, change ? 'POST' : 'GET', '/api/v1/_clock', change ? { json: change } : {});
  assertStatus(res, 200, 'clock');
  return res.body.now;
}

// Sessions are touched at most once a minute, by a write queued after the
// request that used them. Waits (by polling, never by sleeping on the clock
// that matters) until the caller's session shows last_seen_at == now.
export async function settleTouch(client, now, { tries = 200 } = {}) {
  for (let i = 0; i < tries; i++) {
    const res = await client.get('/api/v1/sessions');
    assertStatus(res, 200, 'sessions while settling the touch');
    const mine = res.body.items.find((s) => s.current);
    if (mine && mine.last_seen_at === now) return mine;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`session of ${client.username} was never touched at ${now}`);
}
