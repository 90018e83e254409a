// One service: its current manifest laid out for people, the pending
// change and its approvals, version history, where its replicas run,
// usage over time, and its logs for those allowed to read them.

import { get, maybe, enc } from '../api.js';
import { esc, num, qc, badge, table, kv, accountLink, sharerLink, short, bytes, cpu } from '../fmt.js';
import { sections, fill, heading } from '../view.js';
import { economics, usage, capText } from '../economy.js';
import { lineChart } from '../chart.js';
import { mountLogs } from '../logs.js';
import { timeLeft } from './services.js';

export function mount(main, { arg: name }) {
  heading(main, `Service <span data-k="service-name">${esc(name)}</span>`, '');
  const s = sections(main, [
    ['summary', 'Now'],
    ['pending', 'Pending change'],
    ['permissions', 'Who may do what', 'From the manifest in force (permissions).'],
    ['policies', 'Policies, resources and pricing'],
    ['replicas', 'Where it runs', 'Leases of this service on sharers.'],
    ['schedules', 'Schedules', 'Requests the network sends on a timetable (manifest schedules, UTC): each tick runs on one replica; the last run as the replicas\' nodes recorded it.'],
    ['usage', 'Usage over time', 'One point per usage record: a sharer\'s report for one lease and one epoch, with the root of its receipts and its audit.'],
    ['history', 'Version history'],
    ['logs', 'Logs'],
  ]);
  const logs = mountLogs(s.logs, name);
  return {
    refresh: async () => {
      await refresh(s, name);
      await logs.refresh();
    },
  };
}

const list = (xs, f = esc) => (xs && xs.length ? xs.map(f).join(', ') : '<span class="muted">none</span>');

function allowText(allow) {
  if (allow === 'public') return 'anyone';
  if (Array.isArray(allow)) return 'requests signed by ' + list(allow, accountLink);
  return esc(JSON.stringify(allow));
}

function logViewersText(lv) {
  if (lv === 'public') return 'anyone';
  if (lv === 'owners' || lv === undefined) return 'the owners';
  if (Array.isArray(lv)) return 'the owners and ' + list(lv, accountLink);
  return esc(JSON.stringify(lv));
}

function capabilitiesText(caps) {
  const out = [];
  for (const [k, v] of Object.entries(caps || {})) {
    if (k === 'kv') out.push(`key-value store (quota ${esc(v.quota || '—')})`);
    else if (k === 'egress') out.push(`outgoing HTTP to ${list(v.hosts, (h) => `<code>${esc(h)}</code>`)}`);
    else if (k === 'log') { if (v) out.push('writing log lines'); }
    else out.push(`${esc(k)} <code>${esc(JSON.stringify(v))}</code>`);
  }
  return out.length ? out.join('<br>') : 'none: the code may only answer requests';
}

// permissions lays out a manifest's permissions for people.
export function permissions(m) {
  const p = m.permissions || {};
  const o = p.owners || {};
  return kv([
    ['owners', `${list(o.accounts, accountLink)}<br><span class="muted">${num(o.threshold || 1)} of ${num((o.accounts || []).length)} must approve a change, a withdrawal or deletion</span>`],
    ['operators', list(p.operators, accountLink) + '<br><span class="muted">may fund, pause, resume and scale</span>'],
    ['callers', (p.callers || []).map((c) => `${list(c.paths, (x) => `<code>${esc(x)}</code>`)} → ${allowText(c.allow)}`).join('<br>') + '<br><span class="muted">first matching rule wins</span>'],
    ['log viewers', logViewersText(p.logViewers)],
    ['capabilities', capabilitiesText(p.capabilities)],
  ]);
}

function policies(m) {
  const u = (m.policies || {}).update || {};
  const b = (m.policies || {}).budget || {};
  const rl = (m.policies || {}).rateLimit || {};
  const r = m.resources || {};
  const pl = m.placement || {};
  const pr = m.pricing || {};
  const attrs = (o) => Object.entries(o || {}).map(([k, v]) => `${esc(k)}=${esc(v)}`).join(', ') || 'none';
  return '<div class="cols">' + kv([
    ['changes', u.noticeBlocks ? `take effect ${num(u.noticeBlocks)} blocks after approval, visible to all meanwhile` : 'take effect as soon as they are approved'],
    ['frozen fields', list(u.frozen, (f) => `<code>${esc(f)}</code>`)],
    ['rate limit', rl.perCaller ? esc(rl.perCaller) + ' per caller' : 'none'],
    ['budget', b.maxPerHour ? 'at most ' + esc(b.maxPerHour) + ' per hour' : 'no hourly cap'],
    ['when escrow runs out', esc(b.onDepletion || 'pause') + (b.graceBlocks ? `, deleted after ${num(b.graceBlocks)} blocks unless funded` : '')],
    ['low escrow warning', b.lowBalanceBlocks ? `when it lasts fewer than ${num(b.lowBalanceBlocks)} blocks` : '—'],
  ]) + kv([
    ['per replica', `${esc(r.cpu || '—')} CPU, ${esc(r.memory || '—')} memory, ${esc(r.storage || '0')} storage, ${esc(r.requestTimeout || '—')} per request`],
    ['replicas', `${num(pl.replicas)}${pl.replicasMax ? ' (operators may scale to ' + num(pl.replicasMax) + ')' : ''}, spread by ${esc(pl.spread || 'node')}`],
    ['sharers must have', attrs(pl.requireAttributes)],
    ['minimum collateral', esc(pl.minCollateral || 'none')],
    ['code', `<code title="${esc((m.code || {}).wasm)}">${esc(short((m.code || {}).wasm, 16, 6))}</code> (${esc((m.code || {}).abi || '')})`],
  ]) + kv([
    ['CPU', esc(pr.cpuPerCoreSecond || '—') + ' per core-second at most'],
    ['memory', esc(pr.memoryPerMiBHour || '—') + ' per MiB-hour at most'],
    ['storage', esc(pr.storagePerGiBHour || '—') + ' per GiB-hour at most'],
    ['requests', esc(pr.per1kRequests || '—') + ' per 1,000 at most'],
    ['egress', esc(pr.egressPerGiB || '—') + ' per GiB at most'],
  ]) + '</div>';
}

// manifestChanges lists the fields an update changes, as q1 service approve
// shows them: the most specific changed paths of the manifests' canonical
// JSON (lists count as one value), with the old and the new value.
export function manifestChanges(cur, next, prefix = '') {
  const show = (v) => (v === undefined ? '(none)' : typeof v === 'string' ? v : JSON.stringify(v));
  const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
  const out = [];
  const keys = [...new Set([...Object.keys(cur || {}), ...Object.keys(next || {})])].sort();
  for (const k of keys) {
    const a = (cur || {})[k];
    const b = (next || {})[k];
    const path = prefix + k;
    const objOrNone = (v) => v === undefined || isObj(v);
    if ((isObj(a) || isObj(b)) && objOrNone(a) && objOrNone(b)) out.push(...manifestChanges(a || {}, b || {}, path + '.'));
    else if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ path, from: show(a), to: show(b) });
  }
  return out;
}

function pending(p, svc) {
  if (!p) return '<p class="muted">None: the manifest in force is the latest approved.</p>';
  const approvals = p.approvals || [];
  const changes = p.kind === 'update' ? manifestChanges(svc.manifest, p.manifest) : [];
  const age = svc.height && p.proposed_height ? ` <span class="muted">(${num(Math.max(0, svc.height - p.proposed_height))} blocks ago)</span>` : '';
  return kv([
    ['proposal', `<b data-k="pending-id">#${num(p.id)}</b>: ${esc(p.kind)} ${badge(p.status)}`],
    p.kind === 'update' ? ['changes', changes.length
      ? changes.map((c) => `<span data-k="pending-change"><code>${esc(c.path)}</code>: ${esc(c.from)} → ${esc(c.to)}</span>`).join('<br>')
      : '<span class="muted">none</span>'] : null,
    ['proposed by', `${accountLink(p.proposer)} at block <span data-k="pending-height">${num(p.proposed_height)}</span>${age}`],
    ['approvals', `<b data-k="approvals">${approvals.length}</b> of ${num(p.threshold)} needed: ${list(approvals, accountLink)}`],
    p.activation_height ? ['takes effect', 'at block ' + num(p.activation_height)] : null,
    p.amount ? ['amount', `<span data-k="pending-amount">${esc(qc(p.amount))}</span>` + (p.to ? ' to ' + accountLink(p.to) : '')] : null,
    svc.pending_replaces ? ['replaces', replaced(svc.pending_replaces)] : null,
    ['hash', `<code data-k="pending-hash">${esc(p.hash)}</code><br><span class="muted">An approval names this id and hash ` +
      `(<code>q1 service approve ${esc(svc.name)} --proposal ${esc(p.id)} --hash …</code>), so it approves this proposal only: ` +
      'a proposal cancelled and replaced by another is not approved by approvals of the first. Compare the id and hash with what you read.</span>'],
  ]);
}

// replaced is the proposal the pending one took the place of: an owner who
// read the first must see that another is pending now.
function replaced(r) {
  const what = r.amount ? `${esc(r.kind)} ${esc(qc(r.amount))}` + (r.to ? ' to ' + accountLink(r.to) : '') : esc(r.kind);
  return `<span data-k="pending-replaces"><b>#${num(r.id)}</b>: ${what}</span>, proposed at block ${num(r.proposed_height)}, ` +
    `cancelled by ${accountLink(r.cancelled_by)} at block ${num(r.cancelled_height)}<br><code>${esc(r.hash)}</code>`;
}

function usageView(records) {
  if (records === null) return '<p class="muted" data-k="usage-none">No usage recorded yet: this node does not serve usage records.</p>';
  if (!records.length) return lineChart([], { id: 'usage-chart', empty: 'no usage recorded yet' });
  const bySharer = new Map();
  for (const r of records) {
    if (!bySharer.has(r.sharer)) bySharer.set(r.sharer, []);
    bySharer.get(r.sharer).push(r);
  }
  const series = (f, t) => [...bySharer].map(([sh, rs]) => ({ name: short(sh), points: rs.map((r) => ({ x: r.epoch, y: f(r), title: `epoch ${r.epoch}, lease ${r.lease}, ${short(sh)}: ${t(r)}` })) }));
  return '<h3>Requests per epoch</h3>' +
    lineChart(series((r) => Number(r.requests), (r) => `${num(r.requests)} requests, ${num(r.cpuMillis)} ms CPU, ${bytes(r.egressBytes)} out`), { id: 'usage-chart', xlabel: 'epoch', ylabel: 'requests' }) +
    '<h3>Spend per epoch</h3>' +
    lineChart(series((r) => Number(r.charged), (r) => `${qc(r.charged)} charged, ${qc(r.toSharer)} to the sharer`), { id: 'spend-chart', xlabel: 'epoch', ylabel: 'spend', axis: 'uqc' }) +
    capsView(records) + auditsView(records);
}

// auditsView lists the newest records with their receipts root and audit:
// its state and every assigned auditor's verdict (what it found on hover).
function auditsView(records) {
  const latest = records.slice(-20).reverse();
  const verdict = (v) => v.verdict
    ? `<span class="verdict" data-verdict="${esc(v.verdict)}" title="${esc(v.detail)}">${esc(short(v.auditor))}: ${esc(v.verdict)}</span>`
    : `<span class="muted">${esc(short(v.auditor))}: ${v.committed ? 'committed' : 'no verdict'}${v.missed ? ' (missed)' : ''}</span>`;
  return '<h3>Receipts and audits</h3><div data-k="usage-audits">' + table(
    ['epoch', 'lease', 'sharer', 'receipts', 'root', 'audit', 'verdicts'],
    latest.map((r) => [num(r.epoch), '#' + num(r.lease), sharerLink(r.sharer), num(r.receipts),
      r.root ? `<code title="${esc(r.root)}">${esc(r.root.slice(0, 16))}</code>` : '—',
      r.auditState ? badge(r.auditState) + (r.auditId ? ` #${num(r.auditId)}` : '') +
        (r.audit && (Number(r.audit.refunded) > 0 || Number(r.audit.slashed) > 0) ? ` <span class="muted">${esc(qc(r.audit.refunded))} refunded, ${esc(qc(r.audit.slashed))} slashed</span>` : '') : '—',
      r.audit ? r.audit.votes.map(verdict).join('<br>') : '—']),
    'No usage records yet.',
    (i) => ` data-record="${esc(latest[i].epoch)}-${esc(latest[i].lease)}" data-audit="${esc(latest[i].auditState)}"`,
  ) + '</div>';
}

// capsView lists the latest records the chain capped, newest first: what
// each claim was cut to and why (the detail is the cap's title).
function capsView(records) {
  const capped = records.filter((r) => r.caps.length).slice(-20).reverse();
  return '<h3>Caps applied</h3><div data-k="usage-caps">' + table(
    ['epoch', 'lease', 'sharer', 'charged', 'caps'],
    capped.map((r) => [num(r.epoch), '#' + num(r.lease), sharerLink(r.sharer), esc(qc(r.charged)),
      r.caps.map((c) => `<span class="cap" title="${esc(c.detail)}">${esc(capText(c))}</span>`).join('<br>')]),
    'No caps applied: every claim was charged as reported.',
    (i) => ` data-record="${esc(capped[i].epoch)}-${esc(capped[i].lease)}"`,
  ) + '</div>';
}

async function refresh(s, name) {
  const [svc, hist, place, econ, records, sharers, scheds] = await Promise.all([
    get(`v1/services/${enc(name)}`),
    get(`v1/services/${enc(name)}/history`),
    maybe(`v1/services/${enc(name)}/placement`),
    economics(name).catch(() => null),
    usage(name).catch(() => null),
    get('v1/sharers').catch(() => null),
    maybe(`v1/services/${enc(name)}/schedules`).catch(() => null),
  ]);
  // Any sharer's gateway serves every service (it forwards when it runs no replica).
  const gw = ((sharers && sharers.sharers) || []).find((x) => x.status === 'active' && /^https?:\/\//.test(x.endpoint || ''));
  const callAt = gw ? gw.endpoint.replace(/\/+$/, '') + '/s/' + encodeURIComponent(name) + '/' : '';
  const m = svc.manifest || {};
  fill(s.summary, kv([
    ['status', badge(svc.status) + (svc.pause ? ` <span class="muted">(${esc(svc.pause.reason)} at block ${num(svc.pause.height)})</span>` : '')],
    ['version', `v${num(svc.version)} <code title="${esc(svc.hash)}">${esc(short(svc.hash, 16, 6))}</code>`],
    ['escrow', `<span data-k="escrow" data-v="${esc(svc.escrow)}">${esc(qc(svc.escrow))}</span>`],
    econ ? ['burn per hour', esc(qc(econ.burnPerHour, 4))] : null,
    econ ? ['time left', timeLeft(econ)] : null,
    ['created', `by ${accountLink(svc.creator)} at block ${num(svc.created_height)}`],
    ['called at', (callAt ? `<a href="${esc(callAt)}" rel="noopener noreferrer" target="_blank">${esc(callAt)}</a>, or ` : '') + `<code>/s/${esc(name)}/</code> on any node's gateway, or its own origin <code>${esc(name)}.GATEWAY-HOST</code>`],
  ]));
  fill(s.pending, pending(svc.pending, svc));
  fill(s.permissions, permissions(m));
  fill(s.policies, policies(m) + `<details><summary>The manifest as stored on chain</summary><pre class="json">${esc(JSON.stringify(m, null, 2))}</pre></details>`);
  const leases = (place && place.leases) || [];
  fill(s.replicas, (place ? `<p>${num(place.placed)} of ${num(place.wanted)} replicas placed${place.queued ? ', waiting for capacity' : ''}. ${esc(place.explanation || '')}</p>` : '') + table(
    ['replica', 'sharer', 'lease', 'status', 'acknowledged', 'placed at', 'reserves'],
    leases.map((l) => [num(l.replica), sharerLink(l.sharer), '#' + num(l.id), badge(l.status), l.acked ? 'yes, block ' + num(l.acked_height) : 'not yet', 'block ' + num(l.placed_height),
      `${cpu(l.resources.milli_cpu)}, ${bytes(l.resources.memory_bytes)}`]),
    'No replica placed.',
    (i) => ` data-lease="${esc(leases[i].id)}"`,
  ));
  fill(s.schedules, schedulesView(scheds));
  fill(s.usage, usageView(records));
  fill(s.history, table(
    ['version', 'hash', 'how', 'proposed by', 'approved by', 'proposed at', 'in force from'],
    [...(hist.versions || [])].reverse().map((v) => [
      'v' + num(v.version), `<code title="${esc(v.hash)}">${esc(short(v.hash, 14, 4))}</code>`, esc(v.origin),
      accountLink(v.proposer), list(v.approvers, accountLink), 'block ' + num(v.proposed_height), 'block ' + num(v.activated_height),
    ]),
    'No versions.',
  ));
}

// schedulesView lays out GET /v1/services/{name}/schedules: per schedule its
// last run (tick, node, status, duration), the runs and missed ticks counted,
// and the next tick.
export function schedulesView(res) {
  const list = (res && res.schedules) || [];
  const iso = (t) => (t ? esc(String(t).replace('.000Z', 'Z')) : '—');
  const last = (r) => {
    if (!r) return '<span class="muted">not run yet</span>';
    const result = r.running ? 'running' : r.error ? `failed: ${esc(r.error)}` : `<code>${esc(String(r.status))}</code>`;
    return `${iso(r.tick)} on ${sharerLink(r.node)}: ${result}${r.running ? '' : ' in ' + num(r.duration_ms) + ' ms'}${r.rank > 0 ? ` <span class="muted">(fallback ${num(r.rank)})</span>` : ''}`;
  };
  const missed = (st) => (st.missed ? `${st.missed_at_least ? 'at least ' : ''}${num(st.missed)}${st.last_missed ? ', last ' + iso(st.last_missed) : ''}` : '0');
  const unreachable = res && res.unreachable && res.unreachable.length
    ? `<p class="muted">Not counted: the nodes of ${res.unreachable.map(sharerLink).join(', ')} did not answer.</p>` : '';
  return table(
    ['#', 'cron', 'path', 'last run', 'runs', 'missed ticks', 'next'],
    list.map((st) => [num(st.index), `<code>${esc(st.cron)}</code>`, `<code>POST ${esc(st.path)}</code>`, last(st.last_run), num(st.runs || 0), missed(st), iso(st.next)]),
    'No schedules in the manifest.',
    (i) => ` data-schedule="${esc(list[i].index)}"`,
  ) + unreachable;
}
