// Browser benchmark (not a test): the Trace visualizer with a generated 10,000-event ShiViz log
// (8 hosts, random messages), release build, headless Chromium. Reports the import time and the
// frame times while scrolling the diagram from one end to the other (only the chunks near the
// visible window are drawn). Run with `./dev bench` (or BASE_URL=... node tests/bench/trace_scroll.mjs;
// EVENTS=100000 for a bigger log).
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { launch, BASE_URL } from '../e2e/helpers.mjs';

const EVENTS = Number(process.env.EVENTS ?? 10_000);
const HOSTS = Array.from({ length: 8 }, (_, i) => `h${i}`);

// A valid log in the lab's default (GoVector) form: "host {clock}" then the event text.
// Seeded xorshift so every run measures the same log.
function generateLog() {
  let s = 0x2545f491;
  const rand = (n) => { s ^= s << 13; s ^= s >>> 17; s ^= s << 5; return (s >>> 0) % n; };
  const clocks = HOSTS.map(() => Object.fromEntries(HOSTS.map((h) => [h, 0])));
  const inbox = HOSTS.map(() => []);
  const lines = [];
  for (let i = 0; i < EVENTS; i++) {
    const h = rand(HOSTS.length);
    const clock = clocks[h];
    let text;
    if (inbox[h].length > 0 && rand(2) === 0) {
      const sent = inbox[h].shift();
      for (const k of HOSTS) clock[k] = Math.max(clock[k], sent[k]);
      text = 'receive';
    } else if (rand(3) === 0) {
      text = 'local step';
    } else {
      text = null;
    }
    clock[HOSTS[h]] += 1;
    if (text === null) {
      const to = (h + 1 + rand(HOSTS.length - 1)) % HOSTS.length;
      inbox[to].push({ ...clock });
      text = `send to ${HOSTS[to]}`;
    }
    const entries = HOSTS.filter((k) => clock[k] > 0).map((k) => `"${k}":${clock[k]}`).join(', ');
    lines.push(`${HOSTS[h]} {${entries}}`, text);
  }
  return lines.join('\n') + '\n';
}

const browser = await launch();
const page = await browser.newPage({ viewport: { width: 1300, height: 760 } });
page.on('pageerror', (e) => console.log('pageerror', String(e)));
await page.goto(BASE_URL + '#/lab/trace');
await page.locator('svg.spacetime').waitFor();
const file = path.join(await mkdtemp(path.join(tmpdir(), 'chronoscope-')), 'generated-10k.log');
await writeFile(file, generateLog());
const t0 = Date.now();
await page.locator('.trace-upload').setInputFiles(file);
await page.waitForFunction((n) => document.querySelector('.trace-summary')?.textContent.includes(`${n} events`),
  EVENTS, { timeout: 60_000 });
const importMs = Date.now() - t0;
// Frame times while scrolling the whole diagram from one end to the other.
async function scrollThrough() {
  return page.evaluate(async () => {
    const scroller = document.querySelector('.diagram-scroll');
    const frame = () => new Promise((r) => requestAnimationFrame(() => r()));
    const width = scroller.scrollWidth - scroller.clientWidth;
    const frames = [];
    const steps = 150;
    for (let i = 0; i <= steps; i++) {
      const t = performance.now();
      scroller.scrollLeft = Math.round((width * i) / steps);
      // The scroll event re-renders the chunks near the window; the second frame shows them.
      await frame();
      await frame();
      frames.push((performance.now() - t) / 2);
    }
    return { width: scroller.scrollWidth, frames };
  });
}
// Time from a click on a zoom button to the frame after the redrawn diagram.
async function zoom(button) {
  return page.evaluate(async (selector) => {
    const frame = () => new Promise((r) => requestAnimationFrame(() => r()));
    const t = performance.now();
    document.querySelector(selector).click();
    await frame();
    await frame();
    return performance.now() - t;
  }, button);
}
const stats = (frames) => {
  const sorted = [...frames].sort((a, b) => a - b);
  const q = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  return `median frame ${q(0.5).toFixed(1)} ms (${(1000 / q(0.5)).toFixed(0)} fps), p90 ${q(0.9).toFixed(1)} ms, ` +
    `max ${sorted[sorted.length - 1].toFixed(1)} ms`;
};
console.log(`trace visualizer, ${EVENTS} events on ${HOSTS.length} hosts: import + first draw ${importMs} ms`);
const full = await scrollThrough();
console.log(`  scrolling ${full.width} px at 100 %: ${stats(full.frames)}`);
const zoomOut = [];
while (await page.locator('.zoom-out').isEnabled()) zoomOut.push(await zoom('.zoom-out'));
const level = await page.locator('.zoom-level').innerText();
const small = await scrollThrough();
console.log(`  zooming out step by step to ${level}: ${zoomOut.map((t) => t.toFixed(0)).join(', ')} ms per step`);
console.log(`  scrolling ${small.width} px at ${level}: ${stats(small.frames)}`);
if (process.env.SHOT) await page.screenshot({ path: process.env.SHOT });
await browser.close();
