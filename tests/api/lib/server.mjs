// Starts the real tiaokuai binary on a free port with a temporary database and
// speaks HTTP to it. TIAOKUAI_BIN picks the binary (the sanitizer build in the
// second pass of `make check`).
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const BIN = process.env.TIAOKUAI_BIN || path.join(root, 'build/tiaokuai');
export const ROOT = root;

export function tempDir(prefix = 'tk-') {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

// Runs a tiaokuai command to completion: { code, stdout, stderr }.
export function runCli(args, { env = {}, input, timeout = 120000 } = {}) {
  return new Promise((resolve, reject) => {
    const p = spawn(BIN, args, { env: { ...process.env, ...env }, timeout, killSignal: 'SIGKILL' });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    if (input !== undefined) p.stdin.end(input);
    else p.stdin.end();
  });
}

export class Server {
  constructor(opts = {}) {
    this.dir = opts.dir || tempDir();
    this.db = opts.db || path.join(this.dir, 'test.db');
    this.args = opts.args || [];
    this.env = opts.env || {};
    this.log = '';
  }

  async start() {
    const args = ['serve', '--listen', '127.0.0.1:0', '--db', this.db,
      '--web', path.join(root, 'web'), '--vendor', path.join(root, 'node_modules/echarts/dist'),
      ...this.args];
    this.proc = spawn(BIN, args, { env: { ...process.env, ...this.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => this.proc.on('exit', (code, signal) => resolve({ code, signal })));
    this.port = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start:\n${this.log}`)), 90000);
      const onData = (d) => {
        this.log += d;
        const m = /msg="listening" port=(\d+)/.exec(this.log);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      };
      this.proc.stderr.on('data', onData);
      this.proc.stdout.on('data', (d) => (this.log += d));
      this.proc.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`server exited with ${code}:\n${this.log}`));
      });
    });
    this.base = `http://127.0.0.1:${this.port}`;
    return this;
  }

  // Graceful stop; resolves with the exit status. Sanitizer reports make it non-zero.
  async stop() {
    if (!this.proc || this.proc.exitCode !== null) return this.exited;
    this.proc.kill('SIGTERM');
    const st = await this.exited;
    return st;
  }

  async kill9() {
    this.proc.kill('SIGKILL');
    return this.exited;
  }

  cleanup() {
    rmSync(this.dir, { recursive: true, force: true });
  }

  // fetch wrapper: returns { status, headers, body (parsed JSON or text), text }.
  async request(method, urlPath, { json, body, headers = {}, cookie } = {}) {
    const h = { ...headers };
    let payload = body;
    if (json !== undefined) {
      payload = JSON.stringify(json);
      h['content-type'] = h['content-type'] || 'application/json';
    }
    if (cookie) h.cookie = cookie;
    const res = await fetch(this.base + urlPath, { method, headers: h, body: payload, redirect: 'manual' });
    const text = await res.text();
    let parsed = text;
    const ct = res.headers.get('content-type') || '';
    if (ct.includes('json') && text) parsed = JSON.parse(text);
    return { status: res.status, headers: res.headers, body: parsed, text };
  }

  get(p, o) { return this.request('GET', p, o); }
  post(p, json, o = {}) { return this.request('POST', p, { ...o, json }); }
}

// Sends raw bytes over one TCP connection and returns the raw response text.
export function rawRequest(port, data, { timeout = 10000, host = '127.0.0.1' } = {}) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ port, host });
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => { sock.destroy(); resolve(buf.toString('utf8')); }, timeout);
    sock.on('connect', () => sock.write(data));
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
    });
    sock.on('error', (e) => {
      // The server may close early (a refused oversize body): keep what came back.
      if (buf.length) { clearTimeout(timer); resolve(buf.toString('utf8')); } else { clearTimeout(timer); reject(e); }
    });
    sock.on('end', () => { clearTimeout(timer); resolve(buf.toString('utf8')); });
  });
}

export function parseRawResponse(text) {
  const [head, ...rest] = text.split('\r\n\r\n');
  const lines = head.split('\r\n');
  const status = Number(lines[0].split(' ')[1]);
  const headers = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
  }
  return { status, headers, body: rest.join('\r\n') };
}

// A demo database at db. `make check` builds the demo once and names it in
// TIAOKUAI_DEMO_TEMPLATE, so each suite copies it instead of building its own;
// run alone, a suite builds it. Resolves like runCli: { code, stdout, stderr }.
export async function demoDatabase(db, { timeout = 600000 } = {}) {
  const template = process.env.TIAOKUAI_DEMO_TEMPLATE;
  if (template && existsSync(template)) {
    copyFileSync(template, db);
    return { code: 0, signal: null, stdout: '', stderr: '' };
  }
  return runCli(['demo', '--db', db, '--data', path.join(root, 'data')], { timeout });
}

// A demo account's password, from the file the demo itself reads.
export function demoPassword(username) {
  const lines = readFileSync(path.join(root, 'data/demo-users.csv'), 'utf8').trim().split('\n');
  const head = lines[0].split(',');
  for (const line of lines.slice(1)) {
    const row = Object.fromEntries(line.split(',').map((v, i) => [head[i], v]));
    if (row.username === username) return row.password;
  }
  throw new Error(`no demo user ${username}`);
}
