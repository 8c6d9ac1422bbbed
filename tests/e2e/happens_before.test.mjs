// End-to-end: the Happens-before lab in headless Chromium, against the release build.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, nativeSummary } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const circles = (page) => page.locator('svg.spacetime circle.event');

test('home page lists the labs from the registry and links to them', async () => {
  const page = await openPage(browser, '#/');
  await page.locator('.lab-card a', { hasText: 'Happens-before' }).click();
  await page.locator('svg.spacetime').waitFor();
  assert.match(page.url(), /#\/lab\/happens-before/);
  assert.deepEqual(page.errors, []);
});

test('the lab animates, steps, and its event count matches the native run', async () => {
  const params = { seed: 5, nodes: 4, actions: 6 };
  const page = await openPage(browser, `#/lab/happens-before?seed=${params.seed}&nodes=${params.nodes}&actions=${params.actions}`);
  await page.locator('svg.spacetime').waitFor();
  const native = nativeSummary(['--seed', '5', '--nodes', '4', '--actions', '6']);

  // It plays on its own: more events appear over time.
  const early = await circles(page).count();
  await page.waitForFunction((n) => document.querySelectorAll('svg.spacetime circle.event').length > n, early);

  // Back to the start, then step with the button and with the keyboard.
  await page.locator('.pb-first').click();
  assert.equal(await circles(page).count(), 0);
  for (let i = 0; i < 5; i++) await page.locator('.pb-step').click();
  assert.equal(await circles(page).count(), 5);
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('ArrowRight');
  assert.equal(await circles(page).count(), 6);
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowLeft');
  assert.equal(await circles(page).count(), 4);
  assert.match(await page.locator('.pb-position').innerText(), new RegExp(`event 4 / ${native.events}`));

  // At the end, the diagram holds exactly the run's events and messages.
  await page.keyboard.press('End');
  assert.equal(await circles(page).count(), native.events);
  assert.equal(await page.locator('svg.spacetime line.msg').count(), native.messages);
  assert.match(await page.locator('.run-summary').innerText(), new RegExp(`${native.events} events`));
  assert.deepEqual(page.errors, []);
});

test('clicking an event shows its clocks and highlights its causal past', async () => {
  const page = await openPage(browser, '#/lab/happens-before?seed=5&nodes=4&actions=6');
  await page.locator('svg.spacetime').waitFor();
  await page.locator('.pb-last').click();
  // The last receive event has a causal past.
  const receives = page.locator('svg.spacetime circle.event.receive');
  const target = receives.last();
  const id = Number(await target.getAttribute('data-event'));
  await target.click();
  assert.match(await target.getAttribute('class'), /selected/);
  const lamport = Number(await page.locator('.insp-lamport').innerText());
  const pastCount = Number(await page.locator('.insp-past').innerText());
  assert.ok(lamport > 1, `Lamport timestamp ${lamport}`);
  assert.ok(pastCount > 0);
  assert.equal(await page.locator('svg.spacetime circle.past').count(), pastCount);
  assert.match(await page.locator('.insp-vector').innerText(), /^\{"[A-D]":\d+(,"[A-D]":\d+)*\}$/);
  // Hovering shows the same clocks (the circle's tooltip).
  const tooltip = await target.locator('title').textContent();
  assert.ok(tooltip.endsWith(`Lamport ${lamport} · vector ${await page.locator('.insp-vector').innerText()}`), tooltip);
  // Everything in the past happened earlier in the trace; everything else is future or concurrent.
  for (const el of await page.locator('svg.spacetime circle.past').all()) {
    assert.ok(Number(await el.getAttribute('data-event')) < id);
  }
  const total = await circles(page).count();
  const future = await page.locator('svg.spacetime circle.future').count();
  const concurrent = await page.locator('svg.spacetime circle.concurrent').count();
  assert.equal(pastCount + future + concurrent + 1, total);
  // Keyboard selection works too.
  const first = circles(page).first();
  await first.focus();
  await page.keyboard.press('Enter');
  assert.match(await first.getAttribute('class'), /selected/);
  assert.equal(await page.locator('.insp-past').innerText(), '0');
  assert.deepEqual(page.errors, []);
});

test('out-of-range and garbage URL parameters are clamped with a visible message', async () => {
  const page = await openPage(browser, '#/lab/happens-before?nodes=10000&lat_min=-5&seed=garbage&loss=900');
  await page.locator('svg.spacetime').waitFor();
  const notice = await page.locator('.notice[role=alert]').innerText();
  assert.match(notice, /nodes = 10000 is out of range; using 8/);
  assert.match(notice, /seed = "garbage"/);
  assert.match(notice, /lat_min = -5 is out of range; using 0/);
  assert.match(notice, /loss = 900 is out of range; using 50/);
  assert.equal(await page.locator('svg.spacetime g.lane').count(), 8);
  assert.deepEqual(page.errors, []);
});

test('an unknown lab shows a not-found page, not a blank one', async () => {
  const page = await openPage(browser, '#/lab/no-such-lab');
  await page.locator('.not-found').waitFor();
  assert.match(await page.locator('.not-found').innerText(), /no lab called “no-such-lab”/);
});

test('shift-click compares two events and explains the verdict with both clocks', async () => {
  const page = await openPage(browser, '#/lab/happens-before?seed=5&nodes=4&actions=6');
  await page.locator('svg.spacetime').waitFor();
  await page.locator('.pb-last').click();
  const target = page.locator('svg.spacetime circle.event.receive').last();
  await target.click();
  // Compare with a concurrent event: the verdict must say so and give the two witnesses.
  const concurrent = page.locator('svg.spacetime circle.concurrent').first();
  await concurrent.click({ modifiers: ['Shift'] });
  assert.match(await concurrent.getAttribute('class'), /compared/);
  const verdict = await page.locator('.compare-verdict').innerText();
  assert.match(verdict, /a is concurrent b \(the message graph agrees\)/);
  assert.match(await page.locator('.compare').innerText(), /neither clock covers the other/);
  // And with an event of its causal past.
  await page.locator('svg.spacetime circle.past').first().click({ modifiers: ['Shift'] });
  assert.match(await page.locator('.compare-verdict').innerText(), /a is after b \(the message graph agrees\)/);
  assert.match(await page.locator('.compare').innerText(), /Lamport agrees: L\(a\) > L\(b\)/);
  assert.deepEqual(page.errors, []);
});

test('the guided tour sets parameters and pauses at the moment that matters', async () => {
  const page = await openPage(browser, '#/lab/happens-before?seed=9&nodes=3');
  await page.locator('svg.spacetime').waitFor();
  await page.locator('.tour-start').click();
  await page.waitForFunction(() => location.hash.includes('seed=5'));
  await page.waitForFunction(() => /event \d+ \/ \d+/.test(document.querySelector('.pb-position')?.textContent ?? ''));
  const [shown, total] = (await page.locator('.pb-position').innerText()).match(/\d+/g).map(Number);
  assert.equal(shown, Math.round(0.35 * total));
  assert.match(await page.locator('.pb-toggle').innerText(), /Play/); // paused there
  await page.locator('.tour-next').click();
  await page.locator('.tour-next').click();
  await page.locator('.tour-next').click();
  await page.waitForFunction(() => location.hash.includes('loss=30'));
  await page.waitForFunction(() => document.querySelectorAll('svg.spacetime .lost').length > 0);
  await page.locator('.tour-skip').click();
  assert.equal(await page.locator('.tour.active').count(), 0);
  assert.deepEqual(page.errors, []);
});

test('the diagram exports as an SVG file holding every event', async () => {
  const page = await openPage(browser, '#/lab/happens-before?seed=5&nodes=4&actions=6');
  await page.locator('svg.spacetime').waitFor();
  await page.locator('.pb-last').click();
  const events = await circles(page).count();
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('.export-svg').click()]);
  assert.equal(download.suggestedFilename(), 'happens-before-seed5-n4.svg');
  const { readFile } = await import('node:fs/promises');
  const svg = await readFile(await download.path(), 'utf8');
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.equal((svg.match(/<circle/g) ?? []).length, events);
  assert.match(svg, /<style>/);
  const [png] = await Promise.all([page.waitForEvent('download'), page.locator('.export-png').click()]);
  assert.equal(png.suggestedFilename(), 'happens-before-seed5-n4.png');
  const bytes = await readFile(await png.path());
  assert.deepEqual([...bytes.subarray(1, 4)].map((b) => String.fromCharCode(b)).join(''), 'PNG');
  assert.deepEqual(page.errors, []);
});
