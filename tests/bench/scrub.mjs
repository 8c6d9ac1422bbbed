// Browser benchmark (not a test): frame times while scrubbing a 2,000+-event run in the
// Happens-before lab, release build, headless Chromium. Prints what it measured.
// Run with `./dev bench` (or BASE_URL=... node tests/bench/scrub.mjs).
import { launch, BASE_URL } from '../e2e/helpers.mjs';

const browser = await launch();
const page = await browser.newPage({ viewport: { width: 1300, height: 760 } });
await page.goto(BASE_URL + '#/lab/happens-before?seed=5&nodes=8&actions=150');
await page.locator('svg.spacetime').waitFor();
await page.locator('.pb-first').click();
const result = await page.evaluate(async () => {
  const input = document.querySelector('.pb-scrub');
  const total = Number(input.max);
  const frames = [];
  const steps = 120;
  for (let i = 0; i <= steps; i++) {
    const t0 = performance.now();
    input.value = String(Math.round((total * i) / steps));
    input.dispatchEvent(new Event('input', { bubbles: true }));
    await new Promise((r) => requestAnimationFrame(() => r()));
    frames.push(performance.now() - t0);
  }
  frames.sort((a, b) => a - b);
  const q = (p) => frames[Math.min(frames.length - 1, Math.floor(p * frames.length))];
  return { events: total, frames: frames.length, median_ms: q(0.5), p90_ms: q(0.9), max_ms: frames[frames.length - 1] };
});
console.log(`scrub ${result.events} events, ${result.frames} frames: median ${result.median_ms.toFixed(1)} ms ` +
  `(${(1000 / result.median_ms).toFixed(0)} fps), p90 ${result.p90_ms.toFixed(1)} ms, max ${result.max_ms.toFixed(1)} ms`);
await browser.close();
