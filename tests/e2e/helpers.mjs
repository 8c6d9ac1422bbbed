// Shared set-up for the end-to-end tests: Debian's Chromium driven by playwright-core
// (never a downloaded browser), against the release build that `./dev test` serves on
// 127.0.0.1 (BASE_URL).
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';

export const BASE_URL = process.env.BASE_URL ?? 'http://127.0.0.1:8080/';

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// Opens a page and fails the test on any uncaught page error or Rust panic.
export async function openPage(browser, hash) {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.errors = errors;
  await page.goto(BASE_URL + hash);
  return page;
}

// The native example's summary for the same parameters (the run must be identical in wasm).
export function nativeSummary(args) {
  const bin = process.env.HB_EXAMPLE;
  if (!bin) throw new Error('HB_EXAMPLE (path of the happens_before example binary) is not set; run ./dev test');
  const out = execFileSync(bin, [...args, '--summary'], { encoding: 'utf8' });
  return Object.fromEntries(out.trim().split(/\s+/).map((kv) => kv.split('=')).map(([k, v]) => [k, Number(v)]));
}
