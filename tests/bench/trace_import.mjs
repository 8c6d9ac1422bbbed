// Browser benchmark (not a test): importing a generated 1,000,000-event ShiViz log (≈ 29 MB,
// 8 hosts; tests/e2e/trace_log.mjs) into the Trace visualizer, release build, headless
// Chromium. The log is parsed and checked in the page's Web Worker and reaches the page in
// chunks. Reports the time from choosing the file to the drawn diagram, when each stage ended,
// and the main thread's worst input latency during the import: the longest gap between two
// animation frames (a page busy for longer cannot answer a click sooner), plus the slowest
// requestAnimationFrame round trip seen from the test. Goals (issue 12): < 10 s, < 100 ms.
// Run with `./dev bench` (or BASE_URL=... node tests/bench/trace_import.mjs).
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { launch, BASE_URL } from '../e2e/helpers.mjs';
import { generateLog } from '../e2e/trace_log.mjs';

const EVENTS = Number(process.env.EVENTS ?? 1_000_000);
const log = generateLog(EVENTS);
const file = path.join(await mkdtemp(path.join(tmpdir(), 'chronoscope-')), 'generated.log');
await writeFile(file, log.text);

const browser = await launch();
const page = await browser.newPage({ viewport: { width: 1300, height: 760 } });
page.on('pageerror', (e) => console.log('pageerror', String(e)));
await page.goto(BASE_URL + '#/lab/trace');
await page.locator('svg.spacetime').waitFor();
// In the page: every animation frame's gap, and when each progress stage was first seen.
await page.evaluate(() => {
  window.__bench = { gaps: [], stages: {}, running: true };
  let last = performance.now();
  const tick = (t) => {
    window.__bench.gaps.push(t - last);
    last = t;
    const stage = document.querySelector('.trace-progress')?.dataset.stage;
    if (stage && !(stage in window.__bench.stages)) window.__bench.stages[stage] = t;
    if (window.__bench.running) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  window.__bench.t0 = performance.now();
});
const t0 = Date.now();
await page.locator('.trace-upload').setInputFiles(file);
let roundTrip = 0;
for (;;) {
  const t = Date.now();
  const finished = await page.evaluate((n) => new Promise((resolve) => requestAnimationFrame(() =>
    resolve(!!document.querySelector('.trace-summary')?.textContent.includes(`${n} events`)
      || !!document.querySelector('.trace-error')))), EVENTS);
  roundTrip = Math.max(roundTrip, Date.now() - t);
  if (finished) break;
  if (Date.now() - t0 > 600_000) throw new Error('import did not finish in 10 minutes');
  await new Promise((r) => setTimeout(r, 50));
}
const ms = Date.now() - t0;
const error = await page.locator('.trace-error').count() ? await page.locator('.trace-error').innerText() : null;
const result = await page.evaluate(() => {
  window.__bench.running = false;
  const { gaps, stages, t0 } = window.__bench;
  const sorted = [...gaps].sort((a, b) => a - b);
  const rel = Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, Math.round(v - t0)]));
  return { worst: sorted[sorted.length - 1], p99: sorted[Math.floor(0.99 * (sorted.length - 1))], frames: gaps.length, stages: rel };
});
console.log(`trace import, ${EVENTS} events on ${log.hosts} hosts (${(log.text.length / 1048576).toFixed(1)} MB): ` +
  (error ? `FAILED: ${error}` : `${(ms / 1000).toFixed(1)} s from choosing the file to the drawn diagram`));
console.log(`  stages first seen (ms after the upload): ${JSON.stringify(result.stages)}`);
console.log(`  main thread during the import: worst frame gap ${result.worst.toFixed(0)} ms, p99 ${result.p99.toFixed(0)} ms ` +
  `over ${result.frames} frames; slowest rAF round trip from the test ${roundTrip} ms`);
await browser.close();
