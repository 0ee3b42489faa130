// What the browser suites share: a headless Debian chromium (CHROMIUM overrides
// the path) and a folder of screenshots, kept when a step fails or KEEP_SHOTS=1
// and removed otherwise.
import { it } from 'node:test';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { tempDir } from '../../api/lib/server.mjs';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

export function launchChromium() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** The end of a browser suite: the browser, the server and its files, the screenshots. */
export async function finishSuite({ browser, srv, shots }) {
  if (browser) await browser.close();
  if (srv) {
    await srv.stop();
    srv.cleanup();
  }
  shots.finish();
}

export class Shots {
  constructor(prefix) {
    this.dir = tempDir(prefix);
    this.failed = false;
  }

  take(page, name) {
    return page.screenshot({ path: path.join(this.dir, `${name}.png`) });
  }

  // A test step: when it fails, the page pageOf() names is photographed too.
  step(name, fn, pageOf) {
    return it(name, async (t) => {
      try {
        await fn(t);
      } catch (e) {
        this.failed = true;
        const page = pageOf();
        if (page) await this.take(page, `FAILED-${name.replace(/[^\w\u4e00-\u9fff-]+/g, '_')}`).catch(() => {});
        throw e;
      }
    });
  }

  finish() {
    if (this.failed || process.env.KEEP_SHOTS) console.log(`# screenshots kept in ${this.dir}`);
    else rmSync(this.dir, { recursive: true, force: true });
  }
}
