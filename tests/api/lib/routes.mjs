// The routes table of src/api/routes.c as written: { method, path, action,
// public, raw, stream } for every API route (the web UI's static files left out).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './server.mjs';

export function routesInSource() {
  const src = readFileSync(path.join(ROOT, 'src/api/routes.c'), 'utf8');
  const re = /\{\s*"([A-Z]+)",\s*"([^"]+)",\s*\w+,\s*"([^"]+)",\s*([A-Z_0 |]+?)\s*\}/g;
  return [...src.matchAll(re)]
    .map((m) => ({
      method: m[1],
      path: m[2],
      action: m[3],
      public: m[4].includes('TK_ROUTE_PUBLIC'),
      raw: m[4].includes('TK_ROUTE_RAW'),
      stream: m[4].includes('TK_ROUTE_STREAM'),
    }))
    .filter((r) => !r.path.includes('{*path}'));
}
