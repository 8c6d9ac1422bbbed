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
let log;
before(async () => {
  browser = await launch();
  log = generateLog(EVENTS);
  file = path.join(await mkdtemp(path.join(tmpdir(), 'chronoscope-big-')), 'generated-1m.log');
  await writeFile(file, log.text);
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
  const started = Date.now();
  await page.locator('.trace-upload').setInputFiles(file);
  await page.locator('.trace-progress').waitFor({ timeout: 10_000 });
  const done = () => page.evaluate((n) => !!document.querySelector('.trace-summary')?.textContent.includes(`${n} events`), EVENTS);
  const error = () => page.evaluate(() => document.querySelector('.trace-error')?.textContent ?? null);
  const { worst, states } = await watch(page, async () => !(await done()) && (await error()) === null);
  const seconds = (Date.now() - started) / 1000;
  assert.equal(await error(), null);
  console.log(`# 1 M events: imported in ${seconds.toFixed(1)} s; worst rAF round trip ${worst} ms; progress states: ${states.length}`);
  // The bar showed more than one state (stages, or values within a stage).
  assert.ok(states.length >= 2, `progress states seen: ${states.join(', ')}`);
  assert.ok(states.some((s) => s.startsWith('receive:')), `progress states seen: ${states.join(', ')}`);
  assert.ok(worst < 1_000, `the page answered a frame request only after ${worst} ms`);
  const summary = await page.locator('.trace-summary').innerText();
  assert.match(summary, new RegExp(`${log.hosts} hosts · ${EVENTS} events · ${log.messages} messages`));
  assert.equal(await page.locator('.trace-progress').count(), 0);

  // A second import, cancelled while the worker parses: the 1 M-event trace stays.
  await page.locator('.trace-upload').setInputFiles(file);
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
});

test('a big log with an error is refused with the line, from the worker', { timeout: 120_000 }, async () => {
  const page = await openPage(browser, '#/lab/trace');
  await page.locator('svg.spacetime').waitFor();
  // 300 KB of valid events (over the page's worker threshold), then a clock that skips a step.
  const small = generateLog(10_000);
  const lines = small.text.split('\n').length - 1;
  const broken = `${small.text}a {"a":999999}\nbad\n`;
  await page.locator('.trace-text').fill(broken);
  await page.locator('.trace-parse').click();
  await page.locator('.trace-error').waitFor({ timeout: 60_000 });
  assert.match(await page.locator('.trace-error').innerText(), new RegExp(`line ${lines + 1}`));
  assert.match(await page.locator('.trace-summary').innerText(), /5 events/);
  // A wrong regex names the pattern as written.
  await page.locator('.trace-regex').fill('(?<host>\\S*) (?<clock>{.*}');
  await page.locator('.trace-parse').click();
  await page.waitForFunction(() => document.querySelector('.trace-error')?.textContent.includes('(?<clock>{.*}'), null, { timeout: 60_000 });
  assert.deepEqual(page.errors, []);
});
