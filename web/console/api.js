// api.js - the one way the console talks to /api/v1.
//
// Browser sessions ride on the HttpOnly session cookie set by POST /api/v1/session.
// Every non-GET request must carry the anti-CSRF token as X-CSRF-Token; the token
// comes from the login response or from GET /api/v1/session and is kept here.
// Errors are RFC 7807 problem+json; they are thrown as ApiError.

import { saveFile } from './ui.js';

const BASE = '/api/v1';
const SAFE = new Set(['GET', 'HEAD']);

let csrfToken = null;

export function setCsrfToken(token) {
  csrfToken = token || null;
}

export function hasCsrfToken() {
  return !!csrfToken;
}

// A failed request. title/detail are zh-CN texts from the server; code is stable.
export class ApiError extends Error {
  constructor({ status = 0, title = '请求失败', detail = '', code = 'error', field = null, retryAfter = null, body = null } = {}) {
    super(detail || title);
    this.name = 'ApiError';
    this.status = status;
    this.title = title;
    this.detail = detail || title;
    this.code = code;
    this.field = field;
    this.retryAfter = retryAfter;
    this.body = body;
  }
}

// Events the shell listens to. 'tk:unauthorized' also sends the browser to #/login.
function emit(name, detail) {
  window.dispatchEvent(new CustomEvent(name, { detail }));
}

function buildUrl(path, query) {
  let url = path.startsWith('/api/') || path === '/healthz' ? path : BASE + path;
  if (query) {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      if (v === undefined || v === null || v === '') continue;
      qs.set(k, String(v));
    }
    const s = qs.toString();
    if (s) url += (url.includes('?') ? '&' : '?') + s;
  }
  return url;
}

async function parseBody(res) {
  if (res.status === 204) return null;
  const text = await res.text();
  if (!text) return null;
  const type = res.headers.get('content-type') || '';
  if (type.includes('json')) {
    try { return JSON.parse(text); } catch { return text; }
  }
  return text;
}

function toError(res, body) {
  const retry = res.headers.get('Retry-After');
  if (body && typeof body === 'object' && (body.title || body.detail || body.code)) {
    return new ApiError({
      status: res.status,
      title: body.title || `请求失败（HTTP ${res.status}）`,
      detail: body.detail || body.title || '',
      code: body.code || 'error',
      field: body.field || null,
      retryAfter: retry ? Number(retry) : null,
      body,
    });
  }
  const title = res.status >= 500 ? '服务器暂时无法处理请求' : `请求失败（HTTP ${res.status}）`;
  return new ApiError({ status: res.status, title, detail: title + '，请稍后重试', code: 'http_' + res.status, body });
}

// Fetches a fresh anti-CSRF token (after a token mismatch, e.g. a login in another tab).
async function refreshCsrf() {
  try {
    const res = await fetch(BASE + '/session', { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    if (!res.ok) return false;
    const body = await res.json();
    setCsrfToken(body.csrf_token);
    return !!body.csrf_token;
  } catch {
    return false;
  }
}

/**
 * request(method, path, {body, query, noAuthRedirect, file, idempotencyKey, contentType})
 * path is relative to /api/v1 ("/users") or absolute ("/api/v1/users").
 * The body is sent as JSON, or as it is with contentType (a CSV import).
 * Resolves with the parsed JSON body (null for 204), or with { blob, filename }
 * when file is set (a download); rejects with ApiError.
 */
export async function request(method, path, opts = {}) {
  const { body, query, noAuthRedirect = false, retried = false, file = false, idempotencyKey = null, contentType = null } = opts;
  method = method.toUpperCase();
  const headers = { Accept: 'application/json, application/problem+json' };
  if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
  // A FormData body (file upload) sets its own multipart Content-Type.
  const isForm = typeof FormData !== 'undefined' && body instanceof FormData;
  const asIs = isForm || !!contentType;
  if (body !== undefined && !isForm) headers['Content-Type'] = contentType || 'application/json';
  if (!SAFE.has(method) && csrfToken) headers['X-CSRF-Token'] = csrfToken;

  let res;
  try {
    res = await fetch(buildUrl(path, query), {
      method,
      headers,
      body: body === undefined ? undefined : asIs ? body : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch {
    throw new ApiError({ status: 0, title: '网络错误', detail: '无法连接服务器，请检查网络后重试', code: 'network_error' });
  }

  if (file && res.ok) {
    // filename* (RFC 6266) carries the Chinese name; filename its ASCII part.
    const cd = res.headers.get('content-disposition') || '';
    const utf8 = /filename\*=UTF-8''([^;]+)/.exec(cd);
    const plain = /filename="([^"]+)"/.exec(cd);
    return { blob: await res.blob(), filename: utf8 ? decodeURIComponent(utf8[1]) : plain ? plain[1] : 'download' };
  }
  const parsed = await parseBody(res);
  if (res.ok) {
    // The session endpoints hand out the anti-CSRF token: keep it.
    if (parsed && typeof parsed === 'object' && typeof parsed.csrf_token === 'string') setCsrfToken(parsed.csrf_token);
    return parsed;
  }

  const err = toError(res, parsed);
  if (res.status === 401 && !noAuthRedirect) {
    setCsrfToken(null);
    emit('tk:unauthorized', err);
  } else if (res.status === 403 && err.code === 'csrf_failed' && !retried && (await refreshCsrf())) {
    return request(method, path, { ...opts, retried: true });
  } else if (res.status === 403 && err.code === 'password_change_required') {
    emit('tk:password-required', err);
  }
  throw err;
}

export const api = {
  get: (path, query, opts = {}) => request('GET', path, { ...opts, query }),
  post: (path, body, opts = {}) => request('POST', path, { ...opts, body }),
  put: (path, body, opts = {}) => request('PUT', path, { ...opts, body }),
  patch: (path, body, opts = {}) => request('PATCH', path, { ...opts, body }),
  del: (path, opts = {}) => request('DELETE', path, opts),
  // multipart/form-data POST (photo upload); same CSRF and error handling.
  upload: (path, form, opts = {}) => request('POST', path, { ...opts, body: form }),
  // A CSV file's text as the body (the imports); same CSRF and error handling.
  postCsv: (path, text, query, opts = {}) => request('POST', path, { ...opts, query, body: text, contentType: 'text/csv; charset=utf-8' }),
  // A file the server builds (an export), saved by the browser under its name.
  async download(path, query) {
    const { blob, filename } = await request('GET', path, { query, file: true });
    saveFile(blob, filename);
    return filename;
  },
};

// ---------------------------------------------------------------- sending again

// 32 hex characters (crypto.randomUUID needs a secure context; this does not).
export function newRequestKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

// The Idempotency-Key of a form: the same body sent again keeps its key, so the
// server answers a repeat with what the first request made; a changed body is a
// new report and gets a new key.
export function requestKeys() {
  let sent = null;
  let key = null;
  return (body) => {
    const text = JSON.stringify(body);
    if (text !== sent) {
      sent = text;
      key = newRequestKey();
    }
    return key;
  };
}

const RETRY_STATUS = new Set([0, 502, 503, 504]);

// Runs send() and, when the network failed or the server was briefly unavailable,
// runs it again after 1, 2 and 4 seconds. Only for writes that are safe to repeat
// (an Idempotency-Key, a photo upload). onRetry(n) is told before the n-th retry.
export async function sendAgain(send, { tries = 4, onRetry = () => {} } = {}) {
  for (let n = 1; ; n++) {
    try {
      return await send();
    } catch (err) {
      if (n >= tries || !(err instanceof ApiError) || !RETRY_STATUS.has(err.status)) throw err;
      onRetry(n);
      await new Promise((resolve) => setTimeout(resolve, 1000 * 2 ** (n - 1)));
    }
  }
}
