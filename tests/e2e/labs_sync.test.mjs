// End-to-end: the clock labs (drift & sync, leases & fencing, Byzantine sync) in headless
// Chromium, against the release build: each opens, steps, and shows its specific verdict.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, BASE_URL } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const circles = (page) => page.locator('svg.spacetime circle.event');
const badge = (page, name) => page.locator('.badge').filter({ hasText: name });

// Polls until `fn` returns a truthy value (the page re-renders asynchronously).
async function eventually(fn, what, ms = 3000) {
  const until = Date.now() + ms;
  let last;
  while (Date.now() < until) {
    last = await fn();
    if (last) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what} (last: ${last})`);
}

async function badgeState(page, name) {
  const cls = await badge(page, name).first().getAttribute('class');
  return /broken/.test(cls) ? 'broken' : /holds/.test(cls) ? 'holds' : cls;
}

async function open(hash) {
  const page = await openPage(browser, hash);
  await page.locator('svg.spacetime').waitFor();
  return page;
}

// Moves an open page to another run of a lab without reloading the app (only the URL's
// fragment changes), and waits until the form shows `value` in field `name`.
async function go(page, hash, name, value) {
  await page.goto(BASE_URL + hash);
  await page.waitForFunction(([n, v]) => document.querySelector(`[name="${n}"]`)?.value === v, [name, value]);
  await page.locator('.pb-last').click();
}

// Opens a lab, checks it plays, steps with button and keyboard, then jumps to the end.
async function openStepAndEnd(hash) {
  const page = await open(hash);
  await page.locator('.pb-first').click();
  assert.equal(await circles(page).count(), 0);
  for (let i = 0; i < 3; i++) await page.locator('.pb-step').click();
  assert.equal(await circles(page).count(), 3);
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('ArrowRight');
  assert.equal(await circles(page).count(), 4);
  await page.keyboard.press('End');
  const total = Number((await page.locator('.pb-position').innerText()).split('/')[1]);
  assert.ok(total > 4, `run has ${total} events`);
  assert.equal(Number(await page.locator('svg.spacetime').getAttribute('data-shown')), total);
  const drawn = await circles(page).count();
  if (total <= 1000) assert.equal(drawn, total);
  else assert.ok(drawn > 0 && drawn < total, `runs over 1,000 events draw only what is near the view (${drawn} of ${total})`);
  return page;
}

const DRIFT = '#/lab/clock-drift?nodes=4&drift=200&skew=100&duration=120&tick=1000&seed=1';

test('clock drift: sync reduces the skew; stepping back a jumped clock breaks monotonicity', async () => {
  // Without sync nobody sends anything: the diagram has no events, only drifting clocks.
  const none = await open(`${DRIFT}&method=none`);
  await none.locator('.pb-last').click();
  const skewNone = Number(await none.locator('.skew-now').getAttribute('data-ms'));
  assert.equal(await badgeState(none, 'monotonic'), 'holds');
  assert.equal(await none.locator('.plot canvas').count(), 2);

  const synced = none;
  await go(synced, `${DRIFT}&method=berkeley&adjust=step`, 'method', 'berkeley');
  const skewSynced = Number(await synced.locator('.skew-now').getAttribute('data-ms'));
  assert.ok(skewSynced * 10 < skewNone, `skew with Berkeley ${skewSynced} ms vs none ${skewNone} ms`);
  assert.ok(await synced.locator('.syncs li').count() > 0);
  assert.equal(await badgeState(synced, 'monotonic'), 'holds');

  // The jump button puts the jump in the URL; stepping it back breaks monotonicity…
  await synced.locator('.jump-button').click();
  await eventually(() => /jump=10000/.test(synced.url()), 'the jump in the URL');
  await synced.locator('.pb-last').click();
  await eventually(async () => (await badgeState(synced, 'monotonic')) === 'broken', 'monotonic badge red');
  // …slewing it back does not.
  await go(synced, `${DRIFT}&method=berkeley&adjust=slew&jump=10000&jump_at=48&jump_node=3`, 'adjust', 'slew');
  assert.equal(await badgeState(synced, 'monotonic'), 'holds');

  // Stepping through a synchronised run, with the buttons and the keyboard.
  const stepped = await openStepAndEnd(`${DRIFT}&method=cristian`);
  for (const p of [none, stepped]) assert.deepEqual(p.errors, []);
});

test('leases: fencing rejects the stale write; without it the data is corrupted', async () => {
  const page = await openStepAndEnd('#/lab/leases?fencing=1&lease=5000&pause=10000&seed=1');
  await eventually(async () => (await badgeState(page, 'tokens never decrease')) === 'holds', 'green badge');
  assert.match(await page.locator('.lease-outcome').innerText(), /rejected/);
  assert.match(await page.locator('.lease-story').innerText(), /store rejected/);
  assert.equal(await page.locator('svg.lease-timeline .tl-bar.pause').count(), 1);

  // Untick fencing: the run is redone without it.
  // The form is folded: open it, then untick.
  await page.locator('details.params-fold > summary').click();
  await page.locator('input[name=fencing]').uncheck();
  await eventually(() => /fencing=0/.test(page.url()), 'fencing=0 in the URL');
  await page.locator('.pb-last').click();
  await eventually(async () => (await badgeState(page, 'tokens never decrease')) === 'broken', 'red badge');
  assert.match(await page.locator('.lease-outcome').innerText(), /Corrupted/);

  // The slow-clock case: no pause, B's clock at half speed.
  await go(page, '#/lab/leases?fencing=0&pause=0&a_drift=-500000&a_write=4000&seed=1', 'a_drift', '-500000');
  assert.equal(await badgeState(page, "B's lease"), 'broken');
  assert.deepEqual(page.errors, []);
});

test('Byzantine sync: n = 4 keeps the bound, n = 3 with a two-faced liar does not', async () => {
  const base = 'f=1&faulty=1&strategy=two-faced&lie=500&drift=1000&rounds=40&seed=1';
  const four = await openStepAndEnd(`#/lab/byzantine-sync?nodes=4&${base}`);
  assert.equal(await badgeState(four, 'correct clocks within bound'), 'holds');
  assert.equal(await badgeState(four, 'n ≥ 3f + 1'), 'holds');
  assert.ok(await four.locator('svg.marzullo .mz-source').count() === 4);
  assert.equal(await four.locator('svg.marzullo .mz-agreed').count(), 1);

  const three = four;
  await go(three, `#/lab/byzantine-sync?nodes=3&${base}`, 'nodes', '3');
  await eventually(async () => (await badgeState(three, 'correct clocks within bound')) === 'broken', 'red badge');
  assert.equal(await badgeState(three, 'n ≥ 3f + 1'), 'broken');
  assert.deepEqual(four.errors, []);
});

test('clock labs clamp bad URL parameters with a visible note', async () => {
  const page = await open('#/lab/byzantine-sync?nodes=999&rounds=2&strategy=sly');
  const notice = await page.locator('.notice').innerText();
  assert.match(notice, /nodes/);
  assert.match(notice, /strategy/);
  assert.equal(await page.locator('.notice.error').count(), 0);
  assert.deepEqual(page.errors, []);
});
