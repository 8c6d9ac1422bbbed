// End-to-end: the shared space-time diagram reads cleanly and works from the keyboard, in
// every lab of the registry (walked from the home page, so a new lab is covered as soon as it
// is listed):
// - Tab from the page top reaches the export buttons in at most 40 presses (the parameter form
//   is folded behind one summary), and stops once at most in each diagram (a roving tab stop,
//   not one per event);
// - the arrow keys walk the diagram's events (→ the next event of the lane in time order, ↓ the
//   nearest event on the lane below), without stepping the playback; Enter selects;
// - no lane label's box overlaps an event or the first segment of a lane line, in the SVG
//   itself (getBBox, what the exports carry) and on screen (the pinned gutter);
// - every visible text reads at a WCAG contrast of at least 4.5:1 against its background.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, BASE_URL } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

// The collaborative editor has no run until peers type (editor.test.mjs covers it).
const NO_DEFAULT_RUN = new Set(['#/lab/editor']);
const MAX_TABS = 40;

async function labLinks() {
  const page = await openPage(browser, '#/');
  await page.locator('.lab-list a').first().waitFor();
  const links = await page.locator('.lab-list a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  await page.close();
  assert.ok(links.length >= 10, `the home page lists ${links.length} labs`);
  return links.filter((l) => !NO_DEFAULT_RUN.has(l));
}

// Opens a lab in a fresh page with the focus on the body and the run at its end (by key, so no
// click moves the sequential-focus starting point).
async function openLab(href) {
  const page = await openPage(browser, href);
  await page.locator('svg.spacetime').first().waitFor();
  await page.evaluate(() => { document.activeElement?.blur(); window.scrollTo(0, 0); });
  await page.keyboard.press('End');
  if (await page.locator('.pb-position').count() > 0) {
    await page.waitForFunction(() => {
      const [at, total] = document.querySelector('.pb-position').textContent.match(/\d+/g).map(Number);
      return at === total;
    });
  }
  await page.waitForFunction(() => document.querySelector('svg.spacetime circle.event[tabindex="0"]'));
  return page;
}

const position = (page) => page.evaluate(() => document.querySelector('.pb-position')?.textContent ?? '');

// The focused event: its id and its lane (cy).
const focused = (page) => page.evaluate(() => {
  const el = document.activeElement;
  if (!el?.matches('svg.spacetime circle.event')) return null;
  return { event: Number(el.dataset.event), cy: Number(el.getAttribute('cy')), tab: el.getAttribute('tabindex') };
});

test('in every lab, Tab reaches the exports in at most 40 presses, stopping once in the diagram', async (t) => {
  for (const href of await labLinks()) {
    await t.test(href, async () => {
      const page = await openLab(href);
      const stops = [];
      let reached = 0;
      for (let i = 1; i <= MAX_TABS; i++) {
        await page.keyboard.press('Tab');
        const where = await page.evaluate(() => {
          const el = document.activeElement;
          return {
            diagram: Boolean(el?.closest('svg.spacetime')),
            export: Boolean(el?.matches('.export button')),
            what: el ? `${el.tagName.toLowerCase()}.${el.getAttribute('class') ?? ''}` : 'none',
          };
        });
        stops.push(where.what);
        if (where.diagram) {
          assert.equal((await focused(page))?.tab, '0', `${href}: the diagram's tab stop is its active event`);
        }
        if (where.export) { reached = i; break; }
      }
      try {
        assert.ok(reached > 0, `${href}: Tab never reached an export button in ${MAX_TABS} presses: ${stops.join(' → ')}`);
        const inDiagrams = stops.filter((s) => s.startsWith('circle.')).length;
        const diagrams = await page.locator('svg.spacetime').count();
        assert.ok(inDiagrams >= 1 && inDiagrams <= diagrams, `${href}: ${inDiagrams} tab stops in ${diagrams} diagram(s)`);
        assert.equal(await page.locator('svg.spacetime circle.event[tabindex="0"]').count(), diagrams, `${href}: one tab stop per diagram`);
        assert.deepEqual(page.errors, [], `${href}: errors`);
      } finally {
        await page.close();
      }
    });
  }
});

test('in every lab, arrow keys walk the diagram\'s events and leave the playback alone', async () => {
  for (const href of await labLinks()) {
    const page = await openLab(href);
    const stop = page.locator('svg.spacetime circle.event[tabindex="0"]').first();
    await page.evaluate(() => document.querySelector('svg.spacetime circle.event[tabindex="0"]').focus());
    const start = await focused(page);
    assert.ok(start, `${href}: the tab stop takes the focus`);
    const playback = await position(page);
    // The events of the focused lane, in time (event) order, as drawn.
    const lane = await page.evaluate((cy) => [...document.querySelectorAll('svg.spacetime circle.event')]
      .filter((c) => Number(c.getAttribute('cy')) === cy)
      .map((c) => Number(c.dataset.event)).sort((a, b) => a - b), start.cy);
    await page.keyboard.press('Home');
    assert.equal((await focused(page)).event, lane[0], `${href}: Home → the lane's first event`);
    const steps = Math.min(lane.length - 1, 5);
    for (let i = 1; i <= steps; i++) {
      await page.keyboard.press('ArrowRight');
      await page.waitForFunction((e) => Number(document.activeElement?.dataset?.event) === e, lane[i]);
    }
    if (steps > 0) {
      await page.keyboard.press('ArrowLeft');
      await page.waitForFunction((e) => Number(document.activeElement?.dataset?.event) === e, lane[steps - 1]);
    }
    // ↓ then ↑: another lane (when there is one below with events), then back to this one.
    const lanes = await page.evaluate(() => [...new Set([...document.querySelectorAll('svg.spacetime circle.event')]
      .map((c) => Number(c.getAttribute('cy'))))].sort((a, b) => a - b));
    const here = await focused(page);
    await page.keyboard.press('ArrowDown');
    const below = await focused(page);
    if (lanes.some((y) => y > here.cy)) {
      assert.ok(below.cy > here.cy, `${href}: ↓ moves to a lane below (${here.cy} → ${below.cy})`);
      await page.keyboard.press('ArrowUp');
      assert.ok((await focused(page)).cy < below.cy, `${href}: ↑ moves back up`);
    } else {
      assert.equal(below.event, here.event, `${href}: ↓ on the bottom lane stays`);
    }
    // The focused event is the only tab stop; the playback did not move.
    assert.equal((await focused(page)).tab, '0');
    assert.equal(await page.locator('svg.spacetime circle.event[tabindex="0"]').count(), await page.locator('svg.spacetime').count());
    assert.equal(await position(page), playback, `${href}: arrows in the diagram do not step the playback`);
    // Enter selects the focused event.
    const chosen = (await focused(page)).event;
    await page.keyboard.press('Enter');
    await page.waitForFunction((e) =>
      document.querySelector(`svg.spacetime circle[data-event="${e}"]`)?.classList.contains('selected'), chosen);
    assert.ok(await stop.count() > 0);
    assert.deepEqual(page.errors, [], `${href}: errors`);
    await page.close();
  }
});

// Rectangles [left, top, right, bottom] overlap (touching edges do not count).
const overlap = (a, b) => a[0] < b[2] - 0.5 && b[0] < a[2] - 0.5 && a[1] < b[3] - 0.5 && b[1] < a[3] - 0.5;

test('in every lab, no lane label overlaps an event or the first segment of a lane', async () => {
  for (const href of await labLinks()) {
    const page = await openLab(href);
    await page.locator('.diagram-scroll').first().evaluate((el) => { el.scrollLeft = 0; });
    const geometry = await page.evaluate(() => {
      const svg = document.querySelector('svg.spacetime');
      const box = (b) => [b.x, b.y, b.x + b.width, b.y + b.height];
      const dots = [...svg.querySelectorAll('circle.event')].map((c) => {
        const r = Number(c.getAttribute('r')) + 2; // the white outline
        const [x, y] = [Number(c.getAttribute('cx')), Number(c.getAttribute('cy'))];
        return { svg: [x - r, y - r, x + r, y + r], screen: box(c.getBoundingClientRect()), y };
      });
      // Each lane line's first segment: from its start to its first event (or its end).
      const lines = [...svg.querySelectorAll('.lane line')].map((l) => {
        const [x1, x2, y] = ['x1', 'x2', 'y1'].map((a) => Number(l.getAttribute(a)));
        const first = Math.min(x2, ...dots.filter((d) => d.y === y).map((d) => (d.svg[0] + d.svg[2]) / 2));
        const s = l.getBoundingClientRect();
        return { svg: [x1, y - 1, first, y + 1], screen: [s.left, s.top - 1, s.left + (first - x1), s.bottom + 1], y };
      });
      const copies = [...svg.querySelectorAll('.gutter-copy text')].map((t) => box(t.getBBox()));
      const pinned = [...document.querySelectorAll('.lane-gutter text')].map((t) => ({
        box: box(t.getBoundingClientRect()), text: t.lastChild.textContent, full: t.querySelector('title')?.textContent,
      }));
      const scroller = document.querySelector('.diagram-scroll').getBoundingClientRect();
      const gutter = document.querySelector('.lane-gutter').getBoundingClientRect();
      return { dots, lines, copies, pinned, scrollerLeft: scroller.left, gutterRight: gutter.right };
    });
    const { dots, lines, copies, pinned } = geometry;
    assert.ok(dots.length > 0 && lines.length > 0, `${href}: a diagram with lanes and events`);
    assert.equal(copies.length, lines.length, `${href}: one label per lane in the SVG`);
    assert.equal(pinned.length, lines.length, `${href}: one pinned label per lane`);
    for (const [i, label] of copies.entries()) {
      for (const d of dots) assert.ok(!overlap(label, d.svg), `${href}: SVG label ${i} ${label} overlaps an event ${d.svg}`);
      for (const l of lines) assert.ok(!overlap(label, l.svg), `${href}: SVG label ${i} ${label} overlaps a lane ${l.svg}`);
    }
    for (const [i, label] of pinned.entries()) {
      assert.ok(label.text.length > 0 && label.full.length >= label.text.replace('…', '').length, `${href}: label ${i}`);
      for (const d of dots) assert.ok(!overlap(label.box, d.screen), `${href}: label ${label.text} overlaps an event on screen`);
      for (const l of lines) assert.ok(!overlap(label.box, l.screen), `${href}: label ${label.text} overlaps a lane on screen`);
      // Beside its own lane.
      const mid = (label.box[1] + label.box[3]) / 2;
      const nearest = lines.map((l) => (l.screen[1] + l.screen[3]) / 2).reduce((a, b) => (Math.abs(a - mid) <= Math.abs(b - mid) ? a : b));
      assert.ok(Math.abs(nearest - ((lines[i].screen[1] + lines[i].screen[3]) / 2)) < 1, `${href}: label ${label.text} is beside lane ${i}`);
    }
    // The scroller starts right of the names: scrolled events never pass under them.
    assert.ok(geometry.scrollerLeft >= geometry.gutterRight - 0.5, `${href}: the scroller starts after the gutter`);
    assert.deepEqual(page.errors, [], `${href}: errors`);
    await page.close();
  }
});

// WCAG 2 contrast of every visible text node against its background (the nearest ancestor
// with an opaque-ish background colour, white by default), the text's colour blended over it
// with the opacities on the way up. Disabled controls are exempt (WCAG 1.4.3).
function lowContrastTexts() {
  const parse = (c) => {
    const m = c.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const [r, g, b, a = 1] = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return [r, g, b, a];
  };
  const blend = (fg, bg, a) => fg.slice(0, 3).map((v, i) => v * a + bg[i] * (1 - a));
  const lum = (rgb) => {
    const [r, g, b] = rgb.map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    let bg = [255, 255, 255];
    for (const c of layers.reverse()) bg = blend(c, bg, c[3]);
    return bg;
  };
  const bad = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const text = n.textContent.trim();
    const el = n.parentElement;
    if (!text || !el || el.closest('title, style, script, noscript, [hidden], :disabled')) continue;
    const rects = [...n.parentElement.getClientRects()];
    if (rects.every((r) => r.width === 0 || r.height === 0)) continue;
    const style = getComputedStyle(el);
    if (style.visibility !== 'visible' || style.display === 'none') continue;
    const svg = el instanceof SVGElement;
    const colour = parse(svg ? style.fill : style.color);
    if (!colour) continue;
    let alpha = colour[3];
    for (let e = el; e; e = e.parentElement) alpha *= Number(getComputedStyle(e).opacity);
    const bg = background(el);
    const fg = blend(colour, bg, alpha);
    const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    if (ratio < 4.5) bad.push(`${ratio.toFixed(2)}:1 "${text.slice(0, 40)}" (${el.tagName.toLowerCase()}.${el.getAttribute('class') ?? ''})`);
  }
  return bad;
}

// Moves the playback to a fraction of the run with the scrub slider (no slider: stays).
async function seek(page, part) {
  const scrub = page.locator('.pb-scrub').first();
  if (await scrub.count() === 0) return;
  await scrub.evaluate((el, part) => {
    el.value = String(Math.round(Number(el.max) * part));
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }, part);
  const want = await scrub.evaluate((el) => el.value);
  await page.waitForFunction((w) => document.querySelector('.pb-position').textContent.match(/\d+/)[0] === w, want);
}

test('in every lab, every visible text reads at a contrast of at least 4.5:1', async () => {
  for (const href of await labLinks()) {
    const page = await openLab(href);
    // At the end, with an event selected (the inspector's colour keys show), and at the start
    // (later sync rounds and lease marks are dimmed).
    await page.evaluate(() => document.querySelector('svg.spacetime circle.event[tabindex="0"]').focus());
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('svg.spacetime circle.event.selected'));
    const atEnd = await page.evaluate(lowContrastTexts);
    await page.evaluate(() => document.activeElement?.blur());
    const seen = [...atEnd];
    // Part-way (pending chat lines, held-back messages, dimmed later rounds) and at the start.
    for (const part of [0.75, 0.5, 0.25, 0]) {
      await seek(page, part);
      seen.push(...await page.evaluate(lowContrastTexts));
    }
    assert.deepEqual([...new Set(seen)], [], `${href}: low-contrast text`);
    assert.deepEqual(page.errors, [], `${href}: errors`);
    await page.close();
  }
});

test('the home page reads at 4.5:1; long lane names are shortened in the gutter and whole on hover', async () => {
  const page = await openPage(browser, '#/');
  await page.locator('.lab-list a').first().waitFor();
  assert.deepEqual(await page.evaluate(lowContrastTexts), [], 'home page contrast');
  await page.goto(BASE_URL + '#/lab/trace');
  await page.locator('svg.spacetime').waitFor();
  const long = 'client-0123456789.eu-west-1.example.org';
  const text = await page.locator('.trace-text').inputValue();
  assert.match(text, /client/);
  await page.locator('.trace-text').fill(text.replaceAll('client', long));
  await page.locator('.trace-parse').click();
  await page.waitForFunction((l) => [...document.querySelectorAll('.lane-gutter text title')].some((t) => t.textContent === l), long);
  const labels = await page.locator('.lane-gutter text').evaluateAll((ts) =>
    ts.map((t) => [t.childNodes[t.childNodes.length - 1].textContent, t.querySelector('title').textContent]));
  const [shown] = labels.find(([, full]) => full === long);
  assert.ok(shown.endsWith('…') && long.startsWith(shown.slice(0, -1)) && shown.length < long.length, shown);
  // Short names stay whole.
  assert.ok(labels.some(([s, full]) => s === full), JSON.stringify(labels));
  // Nothing overlaps, even with the widest gutter.
  const clear = await page.evaluate(() => {
    const gutter = document.querySelector('.lane-gutter').getBoundingClientRect();
    const labels = [...document.querySelectorAll('.lane-gutter text')].map((t) => t.getBoundingClientRect());
    const firstDot = Math.min(...[...document.querySelectorAll('svg.spacetime circle.event')].map((c) => c.getBoundingClientRect().left));
    return labels.every((l) => l.right <= gutter.right) && firstDot > gutter.right;
  });
  assert.ok(clear, 'labels inside the gutter, events right of it');
  assert.deepEqual(page.errors, []);
  await page.close();
});
