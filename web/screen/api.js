// api.js - how the big screen talks to /api/v1.
//
// The screen rides on the HttpOnly session cookie set by POST /api/v1/session.
// It only reads, except for login and logout; those carry the anti-CSRF token
// handed out by the session endpoints. A 401 anywhere calls the handler set with
// onUnauthorized (the screen then shows its login form again).

const BASE = '/api/v1';

let csrfToken = null;
let unauthorized = () => {};

export function onUnauthorized(fn) {
  unauthorized = fn;
}

export class ApiError extends Error {
  constructor(status, body) {
    const detail = (body && (body.detail || body.title)) || `请求失败（HTTP ${status}）`;
    super(detail);
    this.status = status;
    this.code = (body && body.code) || `http_${status}`;
    this.detail = detail;
  }
}

function url(path, query) {
  let u = path.startsWith('/') ? path : `${BASE}/${path}`;
  if (query) {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
    const s = qs.toString();
    if (s) u += (u.includes('?') ? '&' : '?') + s;
  }
  return u;
}

async function request(method, path, { query, body, quiet401 = false } = {}) {
  const headers = { Accept: 'application/json, application/problem+json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let res;
  try {
    res = await fetch(url(path, query), {
      method, headers, credentials: 'same-origin', cache: 'no-store',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, { detail: '无法连接服务器' });
  }
  const text = await res.text();
  let parsed = null;
  if (text && (res.headers.get('content-type') || '').includes('json')) {
    try { parsed = JSON.parse(text); } catch { parsed = null; }
  }
  if (res.ok) {
    if (parsed && typeof parsed.csrf_token === 'string') csrfToken = parsed.csrf_token;
    return parsed;
  }
  if (res.status === 401 && !quiet401) {
    csrfToken = null;
    unauthorized();
  }
  throw new ApiError(res.status, parsed);
}

export const get = (path, query, opts = {}) => request('GET', path, { ...opts, query });

// Every page of a cursor-paginated list (items + next_cursor), up to maxPages.
export async function getAll(path, query = {}, maxPages = 20) {
  const items = [];
  let cursor;
  for (let i = 0; i < maxPages; i++) {
    const page = await get(path, { ...query, cursor });
    items.push(...(page.items || []));
    if (!page.next_cursor) break;
    cursor = page.next_cursor;
  }
  return items;
}

// The current session, or null when nobody is logged in.
export async function currentSession() {
  try {
    return await request('GET', 'session', { quiet401: true });
  } catch (e) {
    if (e.status === 401) return null;
    throw e;
  }
}

export const login = (username, password) =>
  request('POST', 'session', { body: { username, password }, quiet401: true });

export const logout = () => request('DELETE', 'session', { quiet401: true });
