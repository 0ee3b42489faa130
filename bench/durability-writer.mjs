// bench/durability-writer.mjs - the client side of bench/durability.sh (Node 20,
// built-in fetch, no packages).
//
//   node bench/durability-writer.mjs write BASE_URL [--concurrency 64] [--run ID]
//        [--summary FILE] [--client fetch|http]
//     Keeps CONCURRENCY POST /api/v1/_probe/writes requests in flight, each with
//     a unique key "<run>-<worker>-<n>". Every key answered 201 is written to
//     stdout as one line the moment the answer arrives (stdout redirected to a
//     file is written synchronously by Node), so the list survives whatever
//     happens to the server. A worker stops at its first network error (the
//     server was killed); the request it had in flight is "unacknowledged".
//     On exit, FILE gets a JSON summary with the unacknowledged keys.
//     SIGTERM/SIGINT stop sending and let the requests in flight finish.
//     --client picks the HTTP client: fetch (default, the built-in fetch) or http
//     (node:http with a keep-alive agent). Node 20's fetch costs about 1 ms of CPU
//     per request on a small machine, which caps it near 1,500 writes/s; node:http
//     drives the server about ten times harder.
//
//   node bench/durability-writer.mjs check BASE_URL KEYS_FILE [--concurrency 64]
//        [--client fetch|http]
//     GET /api/v1/_probe/writes/{key} for every line of KEYS_FILE; prints
//     "checked N, present N, missing N" and the first missing keys on stderr;
//     exits 1 if any is missing or a check could not be made.
import { readFileSync, writeFileSync, writeSync } from 'node:fs';
import http from 'node:http';

function parseArgs(argv) {
  const pos = [];
  const opt = { concurrency: 64, run: `${Date.now().toString(36)}`, summary: null, client: 'fetch' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--concurrency') opt.concurrency = Number(argv[++i]);
    else if (a === '--run') opt.run = argv[++i];
    else if (a === '--summary') opt.summary = argv[++i];
    else if (a === '--client') opt.client = argv[++i];
    else pos.push(a);
  }
  if (!Number.isInteger(opt.concurrency) || opt.concurrency < 1) usage('bad --concurrency');
  if (opt.client !== 'fetch' && opt.client !== 'http') usage('--client needs fetch or http');
  return { pos, opt };
}

function usage(msg) {
  process.stderr.write(`durability-writer: ${msg}\n` +
    'usage: durability-writer.mjs write BASE_URL [--concurrency N] [--run ID] [--summary FILE]\n' +
    '                                [--client fetch|http]\n' +
    '       durability-writer.mjs check BASE_URL KEYS_FILE [--concurrency N] [--client fetch|http]\n');
  process.exit(2);
}

// POSTs {"key": key}; resolves to the HTTP status once the answer's status line
// has arrived, rejects when no answer comes (connection refused, reset, timeout).
// The body is drained in the background: an answer cut short after its status
// still counts as answered.
function fetchPoster(url) {
  return async (key) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key }),
      signal: AbortSignal.timeout(15000),
    });
    res.arrayBuffer().catch(() => {});
    return res.status;
  };
}

function httpPoster(url, concurrency) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const u = new URL(url);
  return (key) => new Promise((resolve, reject) => {
    const body = JSON.stringify({ key });
    const req = http.request({
      host: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    }, (res) => {
      res.on('error', () => {});
      res.resume();
      resolve(res.statusCode);
    });
    req.setTimeout(15000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

async function write(base, opt) {
  const url = `${base}/api/v1/_probe/writes`;
  const post = opt.client === 'http' ? httpPoster(url, opt.concurrency) : fetchPoster(url);
  const stats = {
    client: opt.client, sent: 0, acknowledged: 0, unacknowledged: 0, conflicts: 0,
    other_status: 0, statuses: {}, first_error: null, unacknowledged_keys: [],
  };
  let stopping = false;
  const stop = () => { stopping = true; };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);

  async function worker(w) {
    for (let n = 1; !stopping; n++) {
      const key = `${opt.run}-${w}-${n}`;
      stats.sent++;
      let status;
      try {
        status = await post(key);
      } catch (e) {
        // No answer: the server died (or hung) with this request in flight. It may
        // or may not have been committed; it was never acknowledged.
        stats.unacknowledged++;
        stats.unacknowledged_keys.push(key);
        stats.first_error ??= String(e.cause?.code || e.code || e.message);
        stopping = true;
        return;
      }
      if (status === 201) {
        // Acknowledged: the server answers 201 only after the commit is durable.
        writeSync(1, `${key}\n`);
        stats.acknowledged++;
      } else if (status === 409) {
        stats.conflicts++;
      } else {
        stats.other_status++;
      }
      stats.statuses[status] = (stats.statuses[status] || 0) + 1;
    }
  }

  await Promise.all(Array.from({ length: opt.concurrency }, (_, w) => worker(w + 1)));
  const summary = JSON.stringify(stats);
  if (opt.summary) writeFileSync(opt.summary, summary + '\n');
  process.stderr.write(`durability-writer (${opt.client}): sent ${stats.sent}, acknowledged ${stats.acknowledged}, ` +
    `unacknowledged ${stats.unacknowledged}, conflicts ${stats.conflicts}, other ${stats.other_status}` +
    (stats.first_error ? `, first error ${stats.first_error}` : '') + '\n');
}

// GETs a probe row back: resolves to { status, body }.
function getter(base, client, concurrency) {
  if (client === 'fetch') {
    return async (path) => {
      const res = await fetch(base + path, { signal: AbortSignal.timeout(15000) });
      return { status: res.status, body: await res.text() };
    };
  }
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  return (path) => new Promise((resolve, reject) => {
    const req = http.get(base + path, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode, body }));
      res.on('error', reject);
    });
    req.setTimeout(15000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

async function check(base, file, opt) {
  const get = getter(base, opt.client, opt.concurrency);
  const keys = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  let next = 0;
  let present = 0;
  const missing = [];
  const failed = [];
  async function worker() {
    while (next < keys.length) {
      const key = keys[next++];
      for (let attempt = 1; ; attempt++) {
        try {
          const { status, body } = await get(`/api/v1/_probe/writes/${encodeURIComponent(key)}`);
          if (status === 200 && JSON.parse(body).key === key) present++;
          else if (status === 404) missing.push(key);
          else failed.push(`${key}: HTTP ${status} ${body.slice(0, 200)}`);
          break;
        } catch (e) {
          if (attempt >= 3) {
            failed.push(`${key}: ${e.cause?.code || e.code || e.message}`);
            break;
          }
        }
      }
    }
  }
  await Promise.all(Array.from({ length: opt.concurrency }, worker));
  process.stdout.write(`checked ${keys.length}, present ${present}, missing ${missing.length}` +
    (failed.length ? `, unchecked ${failed.length}` : '') + '\n');
  for (const k of missing.slice(0, 20)) process.stderr.write(`missing: ${k}\n`);
  for (const f of failed.slice(0, 20)) process.stderr.write(`check failed: ${f}\n`);
  return missing.length === 0 && failed.length === 0 ? 0 : 1;
}

const { pos, opt } = parseArgs(process.argv.slice(2));
const [mode, base, file] = pos;
if (!base) usage('missing BASE_URL');
if (mode === 'write') {
  await write(base.replace(/\/+$/, ''), opt);
  process.exit(0); // keep-alive sockets to a dead server must not hold the process
} else if (mode === 'check') {
  if (!file) usage('missing KEYS_FILE');
  process.exitCode = await check(base.replace(/\/+$/, ''), file, opt);
} else {
  usage(`unknown mode ${mode}`);
}
