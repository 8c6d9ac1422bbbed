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

test('lane names stay in view beside the scroller, and scrolled events never pass under them', async () => {
  const page = await openPage(browser, '#/lab/happens-before?seed=5&nodes=4&actions=40');
  await page.locator('svg.spacetime').waitFor();
  await page.locator('.pb-last').click();
  const names = page.locator('.lane-gutter text');
  // The drawn text of each label (its last child; the first is its hover title).
  const texts = () => names.evaluateAll((ts) => ts.map((t) => t.lastChild.textContent));
  assert.deepEqual(await texts(), ['A', 'B', 'C', 'D']);
  const scroller = page.locator('.diagram-scroll');
  for (const left of [0, 600, 0]) {
    await scroller.evaluate((el, left) => { el.scrollLeft = left; }, left);
    assert.equal(await scroller.evaluate((el) => el.scrollLeft), left, 'the scroller keeps its position');
    assert.equal(await names.first().isVisible(), true);
    assert.deepEqual(await texts(), ['A', 'B', 'C', 'D']);
    // The names sit left of the scroller: an event is either right of them or clipped away.
    const [gutterRight, scrollerLeft] = await page.evaluate(() => [
      document.querySelector('.lane-gutter').getBoundingClientRect().right,
      document.querySelector('.diagram-scroll').getBoundingClientRect().left,
    ]);
    assert.ok(scrollerLeft >= gutterRight - 0.5);
  }
  // At the start, the first event is right next to the names.
  const first = await page.locator('svg.spacetime circle[data-event="0"]').boundingBox();
  const gutter = await page.locator('.lane-gutter').boundingBox();
  assert.ok(first.x > gutter.x + gutter.width && first.x < gutter.x + gutter.width + 60, JSON.stringify({ first, gutter }));
  assert.deepEqual(page.errors, []);
});
