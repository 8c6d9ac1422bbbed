// A big, valid GoVector-style ShiViz log for the Trace visualizer's big-log test and benchmark:
// `events` events on 8 hosts in 4 pairs (a-b, c-d, e-f, g-h); each host works locally, sends
// to its partner or receives (FIFO) what its partner sent. Clocks therefore hold two entries,
// which keeps 1,000,000 events under the page's 32 MB limit. Seeded xorshift: every run writes
// the same log. Returns the text and the counts the page must show.
export const HOSTS = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];

export function generateLog(events) {
  let s = 0x2545f491;
  const rand = (n) => { s ^= s << 13; s ^= s >>> 17; s ^= s << 5; return (s >>> 0) % n; };
  const own = HOSTS.map(() => 0);
  const known = HOSTS.map(() => 0); // each host's entry for its partner
  const inbox = HOSTS.map(() => []);
  const parts = [];
  let messages = 0;
  for (let i = 0; i < events; i++) {
    const h = rand(HOSTS.length);
    const partner = h ^ 1;
    let text;
    if (inbox[h].length > 0 && rand(2) === 0) {
      known[h] = Math.max(known[h], inbox[h].shift());
      messages++;
      text = 'recv';
    } else if (rand(4) === 0) {
      text = 'send';
    } else {
      text = 'step';
    }
    own[h] += 1;
    if (text === 'send') inbox[partner].push(own[h]);
    // Entries in a fixed order (lower-named host first), zero entries left out.
    const mine = `"${HOSTS[h]}":${own[h]}`;
    const theirs = known[h] > 0 ? `"${HOSTS[partner]}":${known[h]}` : null;
    const clock = theirs === null ? mine : (h < partner ? `${mine},${theirs}` : `${theirs},${mine}`);
    parts.push(`${HOSTS[h]} {${clock}}\n${text}\n`);
  }
  return { text: parts.join(''), events, hosts: HOSTS.length, messages };
}
