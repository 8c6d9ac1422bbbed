// End-to-end: the Chronos ledger lab in headless Chromium, against the release build. The
// frozen leader's stale batch is refused (REJECTED: token 101 < 102) and every badge holds;
// without fencing the "committed stable" badge turns red; the fault buttons change the run
// (a crash restores from a backup); the guided tour walks its five steps.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, BASE_URL } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const RUN = '#/lab/ledger?freeze=1500&freeze_at=597&seed=7';

async function toEnd(page) {
  await page.locator('svg.spacetime').waitFor();
  await page.locator('.pb-last').click();
}

async function badgeStates(page) {
  return page.locator('.badge').evaluateAll((bs) => Object.fromEntries(bs.map((b) => [
    b.querySelector('.badge-name').textContent,
    b.classList.contains('broken') ? 'broken' : 'holds',
  ])));
}

test('ledger: a frozen leader is fenced off, every verdict holds, logs agree', async () => {
  const page = await openPage(browser, RUN);
  await toEnd(page);
  const badges = await badgeStates(page);
  assert.equal(Object.keys(badges).length, 7, JSON.stringify(badges));
  assert.ok(Object.values(badges).every((s) => s === 'holds'), JSON.stringify(badges));
  const story = await page.locator('.ledger-story').innerText();
  assert.match(story, /REJECTED B's shipment: token 101 < 102/);
  assert.match(story, /freezes \(GC pause\) for 1\.500 s/);
  assert.match(story, /holds the lease from a majority: token 102/);
  // Three replicas, the same committed length everywhere.
  const committed = await page.locator('.ledger-log').evaluateAll((ls) => ls.map((l) => l.dataset.committed));
  assert.equal(committed.length, 3);
  assert.equal(new Set(committed).size, 1, `committed lengths ${committed}`);
  assert.ok(Number(committed[0]) > 0);
  // The lease timeline shows both tokens and the refused shipments; a cut is complete.
  const timeline = await page.locator('svg.ledger-timeline').innerHTML();
  assert.match(timeline, /token 101/);
  assert.match(timeline, /token 102/);
  assert.ok(await page.locator('.tl-mark.rejected').count() >= 1);
  assert.ok(await page.locator('.ledger-cuts .cut.complete').count() >= 1);
  assert.deepEqual(page.errors, []);
});

test('ledger: without fencing the stale batch overwrites committed entries', async () => {
  const page = await openPage(browser, `${RUN}&fencing=0`);
  await toEnd(page);
  const badges = await badgeStates(page);
  assert.equal(badges['committed stable'], 'broken', JSON.stringify(badges));
  assert.match(await page.locator('.ledger-story').innerText(), /REPLACED committed .* split brain/);
  assert.deepEqual(page.errors, []);
});

test('ledger: the fault buttons change the run; a crashed replica restores from a backup', async () => {
  const page = await openPage(browser, RUN);
  await page.locator('svg.spacetime').waitFor();
  await page.locator('a.fault[data-fault="crash"]').click();
  await page.waitForFunction(() => location.hash.includes('restore_after=400'));
  await page.waitForFunction(() => document.querySelector('[name="restore_after"]')?.value === '400');
  await page.locator('.pb-last').click();
  const story = await page.locator('.ledger-story').innerText();
  assert.match(story, /crashes: its log and queues are lost/);
  assert.match(story, /restores from backup #1/);
  const badges = await badgeStates(page);
  assert.ok(Object.values(badges).every((s) => s === 'holds'), JSON.stringify(badges));
  await page.locator('a.fault[data-fault="partition"]').click();
  await page.waitForFunction(() => location.hash.includes('restore_after=0') && !location.hash.includes('partition=0&'));
  await page.locator('.pb-last').click();
  assert.match(await page.locator('.ledger-story').innerText(), /is cut off for/);
  assert.deepEqual(page.errors, []);
});

test('ledger: the guided tour walks from the election to the restore', async () => {
  const page = await openPage(browser, '#/lab/ledger');
  await page.locator('svg.spacetime').waitFor();
  await page.locator('.tour-start').click();
  await page.waitForFunction(() => location.hash.includes('freeze=0'));
  await page.locator('.tour-next').click();
  await page.waitForFunction(() => location.hash.includes('freeze=1500'));
  await page.locator('.tour-next').click();
  await page.locator('.tour-next').click();
  await page.waitForFunction(() => location.hash.includes('fencing=0'));
  await page.waitForFunction(() => [...document.querySelectorAll('.badge.broken .badge-name')]
    .some((b) => b.textContent === 'committed stable'));
  await page.locator('.tour-next').click();
  await page.waitForFunction(() => location.hash.includes('crash_at=2300'));
  await page.locator('.tour-skip').click();
  assert.equal(await page.locator('.tour.active').count(), 0);
  assert.deepEqual(page.errors, []);
});

test('ledger: absurd parameters are clamped with a visible note', async () => {
  const page = await openPage(browser, '#/lab/ledger?replicas=99&lease=0&tick=500&seed=3');
  await page.locator('svg.spacetime').waitFor();
  const notice = await page.locator('.notice').first().innerText();
  assert.match(notice, /replicas = 99 is out of range; using 9/);
  assert.match(notice, /lease = 0 is out of range; using 100/);
  // The tick is in its own range but not within a quarter of the lease (the spec's rule).
  assert.match(notice, /tick = 500 is out of range; using 25/);
  assert.equal(await page.locator('.ledger-log').count(), 9);
  // The form is the spec's: a switch is a check box, a number carries its range and help.
  assert.equal(await page.locator('input[name="fencing"]').getAttribute('type'), 'checkbox');
  const crash = page.locator('input[name="crash"]');
  assert.equal(await crash.getAttribute('max'), '8');
  assert.match(await page.locator('label:has(input[name="crash"])').getAttribute('title'), /replica crashes/);
  assert.equal(await page.locator('input[name="tick"]').inputValue(), '25');
  assert.deepEqual(page.errors, []);
});
