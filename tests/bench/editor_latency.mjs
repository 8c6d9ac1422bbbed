// Measures the Collaborative editor with a 100,000-character document and 10 tabs: paste time,
// state transfer to each joiner, keystroke handling and the next frame, remote arrival.
// Run against a served release build: (cd tests && BASE_URL=http://127.0.0.1:PORT/ node bench/editor_latency.mjs)
import { launch } from '../e2e/helpers.mjs';
const BASE = process.env.BASE_URL;
const browser = await launch();
const ctx = await browser.newContext();
const room = 'lat' + Date.now();
const url = `${BASE}#/lab/editor?room=${room}`;
const a = await ctx.newPage();
a.on('pageerror', (e) => console.log('pageerror', String(e)));
await a.goto(url);
await a.locator('.editor[data-synced=true]').waitFor();
const pasteMs = await a.locator('textarea.doc').evaluate((el) => {
  const t0 = performance.now();
  el.value = 'abcdefghij'.repeat(10000);
  el.dispatchEvent(new InputEvent('input', { bubbles: true }));
  return performance.now() - t0;
});
console.log('paste 100k chars (1 tab):', pasteMs.toFixed(1), 'ms');
await a.waitForTimeout(800); // the replica is saved within 300 ms of a change
console.log('saved replica (UTF-16 units):', await a.evaluate((room) => Object.keys(localStorage)
  .filter((k) => k.startsWith(`chronoscope-editor:rga:${room}:`) && !k.endsWith(':last'))
  .map((k) => localStorage.getItem(k).length).join(', '), room),
  '| save warning:', await a.locator('.notice.warning').filter({ hasText: /could not save/ }).count());
const others = [];
for (let i = 0; i < 9; i++) {
  const p = await ctx.newPage(); await p.goto(url); others.push(p);
  const t0 = Date.now();
  await p.waitForFunction(() => document.querySelector('textarea.doc')?.value.length === 100000, null, { timeout: 60000 });
  console.log('tab', i + 2, 'has the 100k document after', Date.now() - t0, 'ms');
}
await a.waitForTimeout(2000);
console.log('A sees live peers:', await a.locator('.peers li.peer.live').count(), 'gone:', await a.locator('.peers li.peer.gone').count());
await a.bringToFront();
const samples = [];
const sync = [];
for (let k = 0; k < 20; k++) {
  const ms = await a.locator('textarea.doc').evaluate(async (el, k) => {
    const t0 = performance.now();
    const at = 50000 + k;
    el.value = el.value.slice(0, at) + 'x' + el.value.slice(at);
    el.dispatchEvent(new InputEvent('input', { bubbles: true }));
    const t1 = performance.now();
    await new Promise((r) => requestAnimationFrame(() => r()));
    return [t1 - t0, performance.now() - t0];
  }, k);
  sync.push(ms[0]);
  samples.push(ms[1]);
  await a.waitForTimeout(50);
}
samples.sort((x, y) => x - y);
sync.sort((x, y) => x - y);
console.log('keystroke -> input handler done (ms): median', sync[10].toFixed(1), 'max', sync[19].toFixed(1));
console.log('keystroke -> handled and next frame (ms): median', samples[10].toFixed(1), 'max', samples[19].toFixed(1));
const t1 = Date.now();
await others[3].waitForFunction(() => document.querySelector('textarea.doc')?.value.length === 100020, null, { timeout: 30000 });
console.log('remote tab has all 20 edits', Date.now() - t1, 'ms after the last');
await browser.close();
