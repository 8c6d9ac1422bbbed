// Measures the Chronos ledger's failover between real tabs: three tabs elect a leader by
// majority lease (2 s lease, 0.25 s margin, up to 0.5 s backoff); the leader's tab is closed
// and the time until another tab leads under a higher token is measured from outside (page
// closed → a remaining tab shows itself leading) and as the tabs themselves measure it
// (the old leader's last message → the new leader known, data-failover-ms). Five rounds;
// after each, a new tab takes the free seat.
// Run against a served release build: (cd tests && BASE_URL=http://127.0.0.1:PORT/ node bench/ledger_failover.mjs)
import { launch } from '../e2e/helpers.mjs';
const BASE = process.env.BASE_URL;
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const browser = await launch();
const ctx = await browser.newContext();
const room = 'failover' + Date.now();
const url = `${BASE}#/lab/ledger?mode=tabs&room=${room}&seats=3`;
const attr = (p, n) => p.locator('.tabs-ledger').getAttribute(`data-${n}`);
async function open() {
  const p = await ctx.newPage();
  p.on('pageerror', (e) => console.log('pageerror', String(e)));
  await p.goto(url);
  await p.locator('.tabs-ledger[data-standing=seated]').waitFor({ timeout: 30000 });
  return p;
}
async function waitFor(what, fn, ms = 30000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const r = await fn();
    if (r) return r;
    await new Promise((res) => setTimeout(res, 20));
  }
  throw new Error(`timed out: ${what}`);
}
const tabs = [await open(), await open(), await open()];
const leaderOf = async () => {
  for (const p of tabs) if ((await attr(p, 'leading')) === 'true') return p;
  return null;
};
const outside = [];
const inside = [];
for (let round = 0; round < ROUNDS; round++) {
  const leader = await waitFor('a leader known everywhere', async () => {
    const l = await leaderOf();
    if (!l) return null;
    const seat = await attr(l, 'seat');
    const known = await Promise.all(tabs.map((p) => attr(p, 'leader')));
    return known.every((k) => k === seat) ? l : null;
  });
  const token = Number(await attr(leader, 'token'));
  await new Promise((res) => setTimeout(res, 500 + Math.random() * 1000)); // anywhere in the renewal cycle
  tabs.splice(tabs.indexOf(leader), 1);
  const earlier = await Promise.all(tabs.map((p) => attr(p, 'failover-ms')));
  const t0 = Date.now();
  await leader.close({ runBeforeUnload: true });
  const next = await waitFor('another tab leads', async () => {
    for (const p of tabs) {
      if ((await attr(p, 'leading')) === 'true' && Number(await attr(p, 'token')) > token) return p;
    }
    return null;
  });
  const ms = Date.now() - t0;
  outside.push(ms);
  const measured = await waitFor('the tabs measured it', async () => {
    const i = tabs.findIndex((p) => p !== next);
    const v = await attr(tabs[i], 'failover-ms');
    return v && v !== earlier[i] ? { v: Number(v) } : null;
  }, 10000);
  inside.push(measured.v);
  console.log(`round ${round + 1}: leader closed → new leader in ${ms} ms (outside); the follower measured ${measured.v} ms from the old leader's last message`);
  tabs.push(await open());
}
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return `median ${s[Math.floor(s.length / 2)]} ms, min ${s[0]} ms, max ${s[s.length - 1]} ms`;
};
console.log(`ledger failover between tabs (lease 2000 ms + margin 250 ms, backoff ≤ 500 ms), ${ROUNDS} rounds:`);
console.log(`  page closed → another tab leads: ${stats(outside)}`);
console.log(`  as the follower measured it (old leader's last message → new leader known): ${stats(inside)}`);
await browser.close();
