// End-to-end: the Snapshot, Causal-broadcast and Lamport-chat labs in headless Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

// Opens a lab, jumps to the end of its run, and returns the page.
async function atEnd(hash) {
  const page = await openPage(browser, hash);
  await page.locator('svg.spacetime').waitFor();
  await page.locator('.pb-last').click();
  const [shown, total] = (await page.locator('.pb-position').innerText()).match(/\d+/g).map(Number);
  assert.ok(total > 0 && shown === total, `at the end: ${shown} / ${total}`);
  assert.equal(await page.locator('svg.spacetime circle.event').count(), total);
  return page;
}

const badge = (page, name) => page.locator('li.badge', { hasText: name });

test('snapshot: every completed snapshot adds up to the initial total', async () => {
  const page = await atEnd('#/lab/snapshot?seed=3&nodes=4&snapshots=3&transfers=10&window=60');
  const totals = page.locator('.cut-total');
  assert.equal(await totals.count(), 3);
  for (const t of await totals.all()) {
    assert.equal(await t.getAttribute('data-total'), await t.getAttribute('data-initial'));
    assert.equal(await t.getAttribute('data-initial'), '400');
  }
  for (const id of [1, 2, 3]) {
    assert.match(await badge(page, `snapshot #${id} total = initial total`).getAttribute('class'), /holds/);
  }
  assert.equal(await page.locator('li.badge.broken').count(), 0);
  // The cut is ringed on the diagram: one recorded point per node per snapshot.
  assert.ok(await page.locator('svg.spacetime .marked').count() > 0);
  // Money now: balances plus in flight equal the initial total.
  assert.equal(await page.locator('.total-now td').last().innerText(), '400');
  // Out-of-range parameters are clamped with a visible note.
  const bad = await openPage(browser, '#/lab/snapshot?nodes=99&snapshots=0');
  await bad.locator('svg.spacetime').waitFor();
  assert.match(await bad.locator('.notice[role=alert]').innerText(), /nodes = 99 is out of range; using 8/);
  assert.deepEqual(page.errors, []);
  assert.deepEqual(bad.errors, []);
});

test('causal broadcast: a message is held back, then delivered in causal order', async () => {
  const page = await atEnd('#/lab/causal-broadcast?seed=1&nodes=3&messages=3&slow=2000');
  assert.match(await badge(page, 'no delivery before its dependencies').getAttribute('class'), /holds/);
  assert.match(await badge(page, 'nothing stuck').getAttribute('class'), /holds/);
  const summary = await page.locator('.run-summary').innerText();
  const held = Number(summary.match(/(\d+) messages held back then delivered/)[1]);
  assert.ok(held >= 1, summary);
  // The last node (behind the slow link) delivered in an order different from arrival.
  const last = page.locator('.node-view').last();
  assert.match(await last.locator('.held-then-delivered').innerText(), /[A-H]:\d/);
  const arrival = await last.locator('ol.arrival li').allInnerTexts();
  const delivery = (await last.locator('ol.delivery li').allInnerTexts()).filter((id) => !id.startsWith('C:'));
  assert.notDeepEqual(arrival, delivery);
  // Scrubbing into the middle shows a non-empty hold-back queue at some position.
  const [, total] = (await page.locator('.pb-position').innerText()).match(/\d+/g).map(Number);
  let sawHeld = false;
  for (let at = 1; at < total && !sawHeld; at += Math.max(1, Math.floor(total / 40))) {
    await page.locator('.pb-scrub').fill(String(at));
    sawHeld = await page.locator('.holdback li.held').count() > 0;
  }
  assert.ok(sawHeld, 'some hold-back queue was non-empty mid-run');
  assert.deepEqual(page.errors, []);
});

test('lamport chat: every pane lists the same order', async () => {
  const page = await atEnd('#/lab/lamport-chat?seed=1&nodes=3&slow=2000');
  assert.match(await badge(page, 'identical display order at every node').getAttribute('class'), /holds/);
  const panes = page.locator('.chat-pane');
  assert.equal(await panes.count(), 3);
  const orders = [];
  for (const p of await panes.all()) orders.push(await p.getAttribute('data-order'));
  assert.equal(orders[0], '(1, A) (2, B)');
  assert.ok(orders.every((o) => o === orders[0]), orders.join(' | '));
  // The lagging node saw the answer first and held it back.
  const c = await panes.last().locator('.chat-line').allInnerTexts();
  assert.deepEqual(c, ['[PENDING] (2, B): Hello Alice', '[DISPLAY] (1, A): Hi', '[DISPLAY] (2, B): Hello Alice']);
  assert.deepEqual(page.errors, []);
});
