// End-to-end: the shared space-time diagram zooms (distance between events) and keeps its
// lanes named once it scrolls.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const svgWidth = async (page) => Number(await page.locator('svg.spacetime').getAttribute('width'));

test('zoom changes the distance between events, by mouse and by keyboard, and stays bounded', async () => {
  const page = await openPage(browser, '#/lab/happens-before?seed=5&nodes=4&actions=6');
  await page.locator('svg.spacetime').waitFor();
  await page.locator('.pb-last').click();
  const events = await page.locator('svg.spacetime circle.event').count();
  const at100 = await svgWidth(page);
  assert.equal(await page.locator('.zoom-level').innerText(), '100%');

  await page.locator('.zoom-out').click();
  assert.equal(await page.locator('.zoom-level').innerText(), '50%');
  const at50 = await svgWidth(page);
  assert.ok(at50 < at100, `zooming out narrows the diagram (${at50} < ${at100})`);
  // Every event is still drawn: zoom moves dots, it never hides them.
  assert.equal(await page.locator('svg.spacetime circle.event').count(), events);

  // Keyboard: focus the zoom-in button and press Enter twice.
  await page.locator('.zoom-in').focus();
  await page.keyboard.press('Enter');
  await page.keyboard.press('Enter');
  assert.equal(await page.locator('.zoom-level').innerText(), '150%');
  assert.ok(await svgWidth(page) > at100);

  // The levels are bounded: the buttons disable at either end.
  while (await page.locator('.zoom-in').isEnabled()) await page.locator('.zoom-in').click();
  assert.equal(await page.locator('.zoom-level').innerText(), '200%');
  while (await page.locator('.zoom-out').isEnabled()) await page.locator('.zoom-out').click();
  assert.equal(await page.locator('.zoom-level').innerText(), '10%');
  assert.deepEqual(page.errors, []);
});

test('lane names stay in view when the diagram is scrolled', async () => {
  const page = await openPage(browser, '#/lab/happens-before?seed=5&nodes=4&actions=40');
  await page.locator('svg.spacetime').waitFor();
  await page.locator('.pb-first').click();
  await page.locator('.diagram-scroll').evaluate((el) => { el.scrollLeft = 0; });
  const pinned = page.locator('.lane-names span').first();
  assert.equal(await pinned.isVisible(), false);
  await page.locator('.diagram-scroll').evaluate((el) => { el.scrollLeft = 600; });
  await pinned.waitFor({ state: 'visible' });
  assert.deepEqual(await page.locator('.lane-names span').allInnerTexts(), ['A', 'B', 'C', 'D']);
  // Scrolling back hides the pinned copy and keeps the scroller itself (its position is kept).
  await page.locator('.diagram-scroll').evaluate((el) => { el.scrollLeft = 0; });
  await pinned.waitFor({ state: 'hidden' });
  assert.equal(await page.locator('.diagram-scroll').evaluate((el) => el.scrollLeft), 0);
  assert.deepEqual(page.errors, []);
});
