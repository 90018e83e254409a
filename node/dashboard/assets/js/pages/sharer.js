// One sharer: its offer, capacity and use, heartbeat and offline status,
// its leases, and what it earned over time by service.

import { get, maybe, enc } from '../api.js';
import { esc, num, qc, badge, table, kv, meter, cpu, bytes, serviceLink, short, blockLink, txLink, when } from '../fmt.js';
import { sections, fill, heading, stat } from '../view.js';
import { earnings } from '../economy.js';
import { barChart } from '../chart.js';

export function mount(main, { arg: address }) {
  heading(main, `Sharer <code title="${esc(address)}">${esc(short(address, 14, 8))}</code>`, esc(address));
  const s = sections(main, [
    ['summary', ''],
    ['health', 'Heartbeat and status'],
    ['offer', 'Offer'],
    ['leases', 'Open leases'],
    ['closed', 'Recently closed leases'],
    ['earnings', 'Earnings', 'What the sharer received: usage and rent, less the protocol share.'],
  ]);
  return { refresh: () => refresh(s, address) };
}

function earningsView(e) {
  if (!e) return '<p class="muted" data-k="earnings-none">No earnings recorded yet: this node does not serve earnings.</p>';
  const rows = e.byEpochAndService.length ? e.byEpochAndService : e.byEpoch;
  const groups = new Map();
  for (const t of rows) {
    if (!groups.has(t.epoch)) groups.set(t.epoch, { x: t.epoch, parts: [] });
    groups.get(t.epoch).parts.push({ name: t.service || 'all services', y: Number(t.earned), title: `epoch ${t.epoch}${t.service ? ', ' + t.service : ''}: ${qc(String(t.earned))}` });
  }
  const chart = barChart([...groups.values()].sort((a, b) => a.x - b.x), { id: 'earnings-chart', xlabel: 'epoch', ylabel: 'earned', axis: 'uqc', empty: 'nothing earned yet' });
  return `<p>In total <b data-k="earned-total">${esc(qc(String(e.total.earned)))}</b> (usage ${esc(qc(String(e.total.usage)))}, rent ${esc(qc(String(e.total.rent)))}, protocol share ${esc(qc(String(e.total.protocolShare)))}).</p>` +
    chart + '<h3>By service</h3>' + table(['service', 'earned', 'usage', 'rent', 'records'],
    e.byService.map((t) => [serviceLink(t.service), esc(qc(String(t.earned))), esc(qc(String(t.usage))), esc(qc(String(t.rent))), num(t.records)]), 'Nothing earned yet.');
}

// livenessView lists the sharer's offline and online events, newest first.
function livenessView(live, x) {
  const evs = (live && live.events) || [];
  if (!evs.length) return x.offline_height ? `went offline at block ${num(x.offline_height)}` : 'never offline';
  return '<ul class="events" data-k="liveness">' + evs.map((e) => e.kind === 'offline'
    ? `<li data-kind="offline">${badge('offline')} at block ${blockLink(e.height)}${e.time ? ' (' + esc(when(e.time)) + ')' : ''}, epoch ${num(e.epoch)}: last report for epoch ${num(e.last_reported_epoch)}, ${num(e.leases_closed || 0)} lease(s) closed for re-placement</li>`
    : `<li data-kind="online">${badge('online')} at block ${blockLink(e.height)}, epoch ${num(e.epoch)}: reported again (${txLink(e.tx)})</li>`).join('') + '</ul>';
}

const leaseRow = (l) => [
  '#' + num(l.id), serviceLink(l.service), num(l.replica), badge(l.status),
  l.acked ? 'block ' + num(l.acked_height) : 'not yet (deadline ' + num(l.ack_deadline) + ')',
  'block ' + num(l.placed_height), `${cpu(l.resources.milli_cpu)}, ${bytes(l.resources.memory_bytes)}, ${bytes(l.resources.storage_bytes)}`,
];

async function refresh(s, address) {
  const [x, recent, earned, live] = await Promise.all([
    get(`v1/sharers/${enc(address)}`),
    get('v1/leases?limit=200'),
    earnings(address).catch(() => null),
    maybe(`v1/sharers/${enc(address)}/liveness`).catch(() => null),
  ]);
  const leases = x.leases || [];
  fill(s.summary, '<div class="stats">' + [
    stat('status', badge(x.draining ? 'draining' : x.status), 'status', x.status),
    stat('open leases', num(leases.length), 'lease-count', leases.length),
    stat('collateral', esc(qc(x.collateral, 2)), 'collateral', x.collateral),
    stat('last report', x.last_reported_epoch ? 'epoch ' + num(x.last_reported_epoch) : 'none', 'last-report', x.last_reported_epoch),
    x.audits ? stat('audited', `${num(x.audits.passed)} passed, ${num(x.audits.failed)} failed, ${num(x.audits.forfeited)} forfeited`, 'audited',
      `${x.audits.passed}/${x.audits.failed}/${x.audits.forfeited}`) : '',
    x.audits ? stat('as auditor', `${num(x.audits.performed)} performed, ${num(x.audits.missed)} missed`, 'auditor',
      `${x.audits.performed}/${x.audits.missed}`) : '',
  ].join('') + '</div>');
  const ep = x.epoch || {};
  // A report for epoch e is due during e+1, so at epoch C the reports up
  // to C-2 are overdue if missing (x/sharers liveness).
  const missed = ep.number ? Number(ep.number) - 2 - Number(x.last_reported_epoch || 0) : 0;
  fill(s.health, kv([
    ['status', badge(x.status) + (x.status === 'offline' && x.offline_height ? ` since block ${num(x.offline_height)}` : '')],
    ['reports', (x.last_reported_epoch ? `last for epoch ${num(x.last_reported_epoch)}` : 'none yet') + `; the chain is in epoch ${num(ep.number)}` +
      (missed > 0 ? ` <span class="badge warn">${missed} report(s) overdue</span>` : '')],
    ['epochs', `${num(ep.blocks_per_epoch)} blocks each; this one started at block ${num(ep.start_height)}`],
    ['registered', 'at block ' + num(x.registered_height) + ', offer last changed at block ' + num(x.updated_height)],
    ['offline history', livenessView(live, x)],
    ['endpoint', `<code>${esc(x.endpoint)}</code>`],
    ['hot key', `<code title="${esc(x.hot_key)}">${esc(short(x.hot_key, 12, 6))}</code> <span class="muted">(sends acknowledgements and reports)</span>`],
  ]));
  const c = x.capacity, u = x.used;
  const p = x.prices || {};
  fill(s.offer, kv([
    ['CPU', meter(u.milli_cpu, c.milli_cpu, `${cpu(u.milli_cpu)} of ${cpu(c.milli_cpu)} reserved`)],
    ['memory', meter(u.memory_bytes, c.memory_bytes, `${bytes(u.memory_bytes)} of ${bytes(c.memory_bytes)} reserved`)],
    ['storage', meter(u.storage_bytes, c.storage_bytes, `${bytes(u.storage_bytes)} of ${bytes(c.storage_bytes)} reserved`)],
    ['egress', bytes(c.egress_bytes_per_hour) + ' per hour'],
    ['prices', `CPU ${esc(p.cpu_per_core_second)} uqc/core-s · memory ${esc(p.memory_per_mib_hour)} uqc/MiB-h · storage ${esc(p.storage_per_gib_hour)} uqc/GiB-h · ${esc(p.per_1k_requests)} uqc/1k requests · egress ${esc(p.egress_per_gib)} uqc/GiB`],
    ['attributes', (x.attributes || []).map((a) => `${esc(a.key)}=${esc(a.value)}`).join(', ') || 'none'],
    ['refuses', [...((x.deny || {}).services || []).map((n) => 'service ' + esc(n)), ...((x.deny || {}).owners || []).map((o) => 'owner ' + esc(short(o)))].join(', ') || 'nothing'],
  ]));
  const headers = ['lease', 'service', 'replica', 'status', 'acknowledged', 'placed', 'reserves'];
  fill(s.leases, table(headers, leases.map(leaseRow), 'No open leases.', (i) => ` data-lease="${esc(leases[i].id)}"`));
  const closed = (recent.leases || []).filter((l) => l.sharer === address && l.status !== 'open');
  fill(s.closed, table([...headers, 'closed'], closed.map((l) => [...leaseRow(l), `block ${num(l.closed_height)}: ${esc(l.close_reason || '')} ${esc(l.close_detail || '')}`]), 'None among the latest leases.'));
  fill(s.earnings, earningsView(earned));
}
