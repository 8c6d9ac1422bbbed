// Measures the Collaborative editor (core collab::Replica on the tab runtime) with 3 tabs:
// 1. remote keystroke latency: tab A types 2,000 characters (one input event each, 10 ms
//    apart); the time until each character is in tab B's text area (p50, p99, max);
// 2. input latency in an honest tab during a 1,000-message flood a fourth page posts:
//    a keystroke queued behind the flood until it is handled and the next frame (p50, p99).
// Run against a served release build: (cd tests && BASE_URL=http://127.0.0.1:PORT/ node bench/editor_latency.mjs)
import { chromium } from 'playwright-core';
const BASE = process.env.BASE_URL;
const CHARS = Number(process.env.EDITOR_CHARS ?? 2000);
// Pages of one headless browser are background tabs of one window, whose timers Chromium
// throttles to about one wake-up per second; side-by-side windows are not throttled, so the
// bench turns background throttling off (EDITOR_THROTTLE=1 keeps it, to see the difference).
const throttle = process.env.EDITOR_THROTTLE === '1';
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    ...(throttle ? [] : ['--disable-background-timer-throttling', '--disable-renderer-backgrounding',
      '--disable-backgrounding-occluded-windows'])],
});
console.log(`background timer throttling: ${throttle ? 'on (as in background tabs)' : 'off (as in visible windows)'}`);
const ctx = await browser.newContext();
const room = 'lat' + Date.now();
const url = `${BASE}#/lab/editor?room=${room}`;
const tabs = [];
for (let i = 0; i < 3; i++) {
  const p = await ctx.newPage();
  p.on('pageerror', (e) => console.log('pageerror', String(e)));
  await p.goto(url);
  await p.locator('.editor[data-synced=true]').waitFor();
  tabs.push(p);
}
for (const p of tabs) await p.waitForFunction(() => document.querySelectorAll('.peers li.peer:not(.gone)').length >= 2);
const [a, b, c] = tabs;
const pct = (xs, q) => { const s = [...xs].sort((x, y) => x - y); return s[Math.min(s.length - 1, Math.floor(q * s.length))]; };
const fmt = (xs) => `p50 ${pct(xs, 0.5).toFixed(1)} ms, p99 ${pct(xs, 0.99).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms (n=${xs.length})`;

// B records when its text area's value is set, on a clock shared by the pages.
await b.locator('textarea.doc').evaluate((el) => {
  window.arrived = [];
  window.longTasks = [];
  new PerformanceObserver((l) => { for (const e of l.getEntries()) window.longTasks.push(e.duration); }).observe({ type: 'longtask' });
  const proto = Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value');
  Object.defineProperty(el, 'value', {
    get() { return proto.get.call(this); },
    set(v) { proto.set.call(this, v); window.arrived.push([performance.timeOrigin + performance.now(), v.length]); },
  });
});
const sent = await a.locator('textarea.doc').evaluate(async (el, n) => {
  const times = [];
  for (let k = 0; k < n; k++) {
    el.value += String.fromCharCode(97 + (k % 26));
    times.push(performance.timeOrigin + performance.now());
    el.dispatchEvent(new InputEvent('input', { bubbles: true }));
    await new Promise((r) => setTimeout(r, 10));
  }
  return times;
}, CHARS);
await b.waitForFunction((n) => document.querySelector('textarea.doc').value.length >= n, CHARS, { timeout: 120000 });
const arrived = await b.evaluate(() => window.arrived);
const long = await b.evaluate(() => window.longTasks);
console.log(`tab B long tasks (> 50 ms) while receiving: ${long.length}${long.length ? `, longest ${Math.max(...long).toFixed(0)} ms, total ${long.reduce((x, y) => x + y, 0).toFixed(0)} ms` : ''}`);
const remote = [];
let j = 0;
for (let k = 0; k < CHARS; k++) {
  while (j < arrived.length && arrived[j][1] < k + 1) j++;
  if (j < arrived.length) remote.push(arrived[j][0] - sent[k]);
}
if (process.env.EDITOR_BUCKETS) for (let i = 0; i < remote.length; i += 250) console.log(`  chars ${i}-${i + 249}: ${fmt(remote.slice(i, i + 250))}`);
console.log(`remote keystroke visible in another tab (3 tabs, ${CHARS} characters): ${fmt(remote)}`);
const bytes = await a.evaluate(() => [...document.querySelectorAll('.net-counters')].map((e) => e.textContent).join(' '));
console.log('tab A counters:', bytes);

// The flood: a fourth page posts 1,000 messages from made-up tabs to the honest tabs.
const rogue = await ctx.newPage();
await rogue.goto(BASE + '#/');
const ids = await Promise.all(tabs.map((p) => p.locator('.editor').getAttribute('data-peer')));
await a.bringToFront();
const input = a.locator('textarea.doc').evaluate(async (el) => {
  const samples = [];
  await new Promise((r) => setTimeout(r, 30));
  for (let k = 0; k < 60; k++) {
    const t0 = performance.now();
    await new Promise((r) => setTimeout(() => {
      el.value += 'y';
      el.dispatchEvent(new InputEvent('input', { bubbles: true }));
      requestAnimationFrame(() => r());
    }, 0));
    samples.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 15));
  }
  return samples;
});
await rogue.evaluate(({ name, ids }) => {
  const ch = new BroadcastChannel(name);
  for (let k = 0; k < 1000; k++) {
    const fake = 900000 + (k % 200);
    ch.postMessage(JSON.stringify({ k: 'msg', seat: fake, token: fake, to: Number(ids[k % 3]), m: '00' + 'ab'.repeat(200) }));
  }
  ch.close();
}, { name: `chronoscope-editor:hash:${room}`, ids });
console.log(`input in an honest tab during a 1,000-message flood (queued keystroke -> handled and next frame): ${fmt(await input)}`);
console.log('refused in A:', await a.locator('.editor').getAttribute('data-refused'));
await browser.close();
