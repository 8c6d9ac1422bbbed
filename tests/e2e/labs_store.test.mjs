// End-to-end: the Conflict-store and CRDT labs in headless Chromium, against the release build.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const badge = (page, scope, name) => page.locator(`${scope} li.badge`, { hasText: name });

test('conflict store: LWW with a skewed clock acks writes, then loses them (red badge)', async () => {
  const page = await openPage(browser, '#/lab/conflict-store?strategy=lww&skew=5000&seed=1');
  await page.locator('svg.spacetime').waitFor();
  await page.locator('.pb-last').click();
  const lost = page.locator('.lost-writes .lost-write');
  assert.ok(await lost.count() >= 1, 'no acked-then-lost write listed');
  assert.match(await lost.first().innerText(), /B#1 cart = "eggs" — acked at 10 ms/);
  assert.match(await badge(page, '.run', 'no acknowledged write lost').getAttribute('class'), /broken/);
  assert.match(await badge(page, '.run', 'replicas converged').getAttribute('class'), /holds/);
  // The side-by-side table agrees: LWW loses writes, vector clocks and DVV do not.
  const lostCount = async (s) => Number(await page.locator(`tr[data-strategy=${s}] td.lost-count`).innerText());
  assert.equal(await lostCount('lww'), await lost.count());
  assert.equal(await lostCount('vclock'), 0);
  assert.equal(await lostCount('dvv'), 0);
  // Clicking a lost write selects its acknowledgement in the diagram.
  const target = await lost.first().getAttribute('data-event');
  await lost.first().click();
  assert.equal(await page.locator('svg.spacetime circle.selected').getAttribute('data-event'), target);
  assert.match(await page.locator('pre.transcript').innerText(), /DROPPED B#1 "eggs" \(it had been acked\)/);
  assert.deepEqual(page.errors, []);
});

test('conflict store: vector clocks keep concurrent siblings and lose nothing (green badge)', async () => {
  const page = await openPage(browser, '#/lab/conflict-store?strategy=vclock&skew=5000&seed=1');
  await page.locator('svg.spacetime').waitFor();
  await page.locator('.pb-last').click();
  assert.equal(await page.locator('.lost-writes .lost-write').count(), 0);
  const siblings = page.locator('.siblings .sibling-pair');
  assert.ok(await siblings.count() >= 1);
  assert.match(await siblings.first().innerText(), /cart: A#1 ∥ B#1 — both kept/);
  assert.match(await badge(page, '.run', 'no acknowledged write lost').getAttribute('class'), /holds/);
  assert.match(await page.locator('tr.current').innerText(), /eggs,milk/);
  // Switching strategy from the table re-runs under it and updates the URL.
  await page.locator('tr[data-strategy=lww] .strategy-link').click();
  await page.waitForFunction(() => location.hash.includes('strategy=lww'));
  await page.locator('.lost-writes').waitFor();
  assert.deepEqual(page.errors, []);
});

test('conflict store: the metadata plot draws on its canvas; bad params are clamped', async () => {
  const page = await openPage(browser, '#/lab/conflict-store?strategy=nope&skew=99999999');
  await page.locator('svg.spacetime').waitFor();
  const canvas = page.locator('.metadata-cost canvas');
  await canvas.waitFor();
  await page.waitForFunction(() => {
    const c = document.querySelector('.metadata-cost canvas');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let ink = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] < 200 || d[i + 1] < 200 || d[i + 2] < 200) ink++;
    return ink > 500;
  });
  const notice = await page.locator('.notice[role=alert]').innerText();
  assert.match(notice, /strategy = "nope"/);
  assert.match(notice, /skew = 99999999/);
  assert.deepEqual(page.errors, []);
});

test('CRDTs: two OR-Set replicas diverge, then converge after merging both ways', async () => {
  const page = await openPage(browser, '#/lab/crdt?type=or-set');
  await page.locator('svg.spacetime').waitFor();
  const a = page.locator('.crdt-replica[data-replica=A]');
  const b = page.locator('.crdt-replica[data-replica=B]');
  await a.locator('.crdt-input').fill('milk');
  await a.locator('.op-add').click();
  await b.locator('.crdt-input').fill('eggs');
  await b.locator('.op-add').click();
  assert.match(await badge(page, '.crdt-panel', 'replicas converged').getAttribute('class'), /broken/);
  await page.locator('.merge-a-from-b').click();
  await page.locator('.merge-b-from-a').click();
  assert.match(await badge(page, '.crdt-panel', 'replicas converged').getAttribute('class'), /holds/);
  const va = await a.locator('.crdt-value').innerText();
  assert.equal(va, await b.locator('.crdt-value').innerText());
  assert.equal(va, '{"eggs", "milk"}');
  // The simulated counter run converges too, once it has played to the end.
  await page.locator('.pb-last').click();
  assert.match(await badge(page, '.run', 'replicas converged').getAttribute('class'), /holds/);
  assert.deepEqual(page.errors, []);
});

test('CRDTs: an invalid operation shows the core\'s typed error', async () => {
  const page = await openPage(browser, '#/lab/crdt?type=2p-set');
  await page.locator('svg.spacetime').waitFor();
  const a = page.locator('.crdt-replica[data-replica=A]');
  await a.locator('.crdt-input').fill('ghost');
  await a.locator('.op-remove').click();
  assert.match(await a.locator('.crdt-error').innerText(), /element is not in the set/);
  assert.equal(await a.locator('.crdt-value').innerText(), '{}');
  assert.deepEqual(page.errors, []);
});
