// End-to-end: a 1,000,000-event log (generated here, ≈ 29 MB) imports through the Trace
// visualizer's Web Worker: a progress bar appears and advances, the page keeps answering input
// throughout (a requestAnimationFrame round trip from the test, generous 1 s bound; the real
// figure is in tests/bench/trace_import.mjs), the import ends with the right counts, and a
// second import cancelled midway leaves the previous trace and a usable page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { launch, openPage } from './helpers.mjs';
import { generateLog } from './trace_log.mjs';

const EVENTS = 1_000_000;

let browser;
let file;
let again;
let log;
before(async () => {
  browser = await launch();
  log = generateLog(EVENTS);
  file = path.join(await mkdtemp(path.join(tmpdir(), 'chronoscope-big-')), 'generated-1m.log');
  await writeFile(file, log.text);
  // The same log under another name: choosing the very same file again fires no change event.
  again = file.replace('generated-1m', 'generated-1m-again');
  await writeFile(again, log.text);
});
after(async () => { await browser?.close(); });

const summaryHas = (page, text, timeout) =>
  page.waitForFunction((t) => document.querySelector('.trace-summary')?.textContent.includes(t), text, { timeout });

// While `busy()` holds: the slowest requestAnimationFrame round trip seen from the test, and
// every progress state shown (stage and value).
async function watch(page, busy) {
  let worst = 0;
  const states = new Set();
  while (await busy()) {
    const t = Date.now();
    const state = await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => {
      const bar = document.querySelector('.trace-progress');
      resolve(bar ? `${bar.dataset.stage}:${bar.getAttribute('value') ?? ''}` : null);
    })));
    worst = Math.max(worst, Date.now() - t);
    if (state) states.add(state);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { worst, states: [...states] };
}

test('a 1,000,000-event log imports in the background with progress, and cancel keeps the old trace', { timeout: 600_000 }, async () => {
  const page = await openPage(browser, '#/lab/trace');
  await page.locator('svg.spacetime').waitFor();
  await summaryHas(page, '5 events');
  // In the page: the longest gap between two animation frames (a click waits at most that).
  await page.evaluate(() => {
    window.__gap = { worst: 0, running: true };
    let last = performance.now();
    const tick = (t) => {
      window.__gap.worst = Math.max(window.__gap.worst, t - last);
      last = t;
      if (window.__gap.running) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  const started = Date.now();
  await page.locator('.trace-upload').setInputFiles(file);
  await page.locator('.trace-progress').waitFor({ timeout: 10_000 });
  const done = () => page.evaluate((n) => !!document.querySelector('.trace-summary')?.textContent.includes(`${n} events`), EVENTS);
  const error = () => page.evaluate(() => document.querySelector('.trace-error')?.textContent ?? null);
  const { worst, states } = await watch(page, async () => !(await done()) && (await error()) === null);
  const seconds = (Date.now() - started) / 1000;
  const gap = await page.evaluate(() => { window.__gap.running = false; return Math.round(window.__gap.worst); });
  assert.equal(await error(), null);
  console.log(`# 1 M events: imported in ${seconds.toFixed(1)} s; worst frame gap in the page ${gap} ms; ` +
    `worst rAF round trip from the test ${worst} ms; progress states: ${states.length}`);
  // The bar showed a measured value at least twice, and different ones: it advanced (which
  // stages the polling catches depends on the machine's speed).
  const measured = states.filter((s) => !s.endsWith(':'));
  assert.ok(measured.length >= 2, `progress states seen: ${states.join(', ')}`);
  // Generous bounds for a loaded 2-core CI machine (the benchmark reports the real figures):
  // the page never went 1 s without a frame; the test's own round trip adds the driver's
  // latency, hence 2 s.
  assert.ok(gap < 1_000, `the page went ${gap} ms without a frame`);
  assert.ok(worst < 2_000, `the page answered a frame request only after ${worst} ms`);
  const summary = await page.locator('.trace-summary').innerText();
  assert.match(summary, new RegExp(`${log.hosts} hosts · ${EVENTS} events · ${log.messages} messages`));
  assert.equal(await page.locator('.trace-progress').count(), 0);

  // A second import, cancelled while the worker parses: the 1 M-event trace stays.
  await page.locator('.trace-upload').setInputFiles(again);
  await page.locator('.trace-progress[data-stage="parse"]').waitFor({ timeout: 30_000 });
  await page.locator('.trace-cancel').click();
  assert.match(await page.locator('.trace-notice').innerText(), /import cancelled/);
  assert.equal(await page.locator('.trace-progress').count(), 0);
  await page.waitForTimeout(500);
  assert.match(await page.locator('.trace-summary').innerText(), new RegExp(`${EVENTS} events`));
  // The page is usable: a small log parses on the page as before.
  await page.locator('.trace-text').fill('x {"x":1}\nhello\n');
  await page.locator('.trace-parse').click();
  await summaryHas(page, '1 events', 30_000);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('a big log with an error is refused with the line, from the worker', { timeout: 120_000 }, async () => {
  const page = await openPage(browser, '#/lab/trace');
  await page.locator('svg.spacetime').waitFor();
  // ≈ 290 KB of valid events (over the page's 256 KB worker threshold), then a clock that
  // skips a step.
  const small = generateLog(12_000);
  const lines = small.text.split('\n').length - 1;
  const broken = `${small.text}a {"a":999999}\nbad\n`;
  // Set in one go (typing 300 KB through the driver is slow and tests nothing here).
  await page.locator('.trace-text').evaluate((el, text) => {
    el.value = text;
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }, broken);
  await page.locator('.trace-parse').click();
  await page.locator('.trace-error').waitFor({ timeout: 60_000 });
  assert.match(await page.locator('.trace-error').innerText(), new RegExp(`line ${lines + 1}`));
  assert.match(await page.locator('.trace-summary').innerText(), /5 events/);
  // A wrong regex names the pattern as written.
  await page.locator('.trace-regex').fill('(?<host>\\S*) (?<clock>{.*}');
  await page.locator('.trace-parse').click();
  await page.waitForFunction(() => document.querySelector('.trace-error')?.textContent.includes('(?<clock>{.*}'), null, { timeout: 60_000 });
  assert.deepEqual(page.errors, []);
  await page.close();
});
