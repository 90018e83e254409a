// The economy endpoints (x/usage), read in one place so their shapes are
// easy to adjust. Each function answers null when the node does not serve
// the endpoint (404): pages then say "no usage recorded yet".
//
//   GET /v1/services/{name}/usage              {service, records: [UsageRecord], sums: [UsageSum], total, audits: [Audit]}
//     UsageRecord: {service, sharer, epoch, lease_id, requests, cpu_millis, egress_bytes (as claimed),
//                   counted_requests, counted_cpu_millis, counted_egress_bytes, charged, to_sharer,
//                   protocol_share, caps: [{kind, component, before, after, detail}],
//                   fuel, receipts_root (base64), receipts, audit_state, audit_id, refunded}
//     Audit: {id, state, phase, auditors: [address], votes: [{auditor, verdict, detail,
//             committed_height, revealed_height, missed}], refunded, slashed, …}
//   GET /v1/services/{name}/economics          {balance, owed, burn_per_hour, hours_left, low, depleted, …}
//   GET /v1/sharers/{address}/earnings?by=X    {sharer, total: Earnings, received, sums: [Earnings]}
//
// where Earnings is {service, epoch, usage, rent, protocol_share}: what left
// escrows for that sharer; it received usage + rent − protocol_share.
//
// Proto JSON writes uint64 as strings and amounts as decimal strings.

import { maybe, enc } from './api.js';

const n = (v) => Number(v || 0);

// usage returns the service's usage records, oldest epoch first, or null.
export async function usage(service) {
  const body = await maybe(`v1/services/${enc(service)}/usage`);
  if (!body) return null;
  const records = Array.isArray(body) ? body : body.records || [];
  const audits = new Map(((body && body.audits) || []).map((a) => [String(a.id), auditOf(a)]));
  return records.map((r) => ({
    service: r.service, sharer: r.sharer, epoch: n(r.epoch), lease: n(r.lease_id),
    // What the chain counted (claims above the lease's bound are cut; see caps).
    requests: n(r.counted_requests), cpuMillis: n(r.counted_cpu_millis), egressBytes: n(r.counted_egress_bytes),
    charged: r.charged || '0', toSharer: r.to_sharer || '0', protocolShare: r.protocol_share || '0',
    caps: (r.caps || []).map((c) => ({
      kind: c.kind || '', component: c.component || '', before: c.before || '', after: c.after || '', detail: c.detail || '',
    })),
    // Verifiable metering: the receipts root the report committed, and its audit.
    fuel: n(r.fuel), receipts: n(r.receipts), root: rootHex(r.receipts_root),
    auditState: r.audit_state || '', auditId: n(r.audit_id), refunded: r.refunded || '0',
    audit: audits.get(String(r.audit_id || '')) || null,
  })).sort((a, b) => a.epoch - b.epoch || a.lease - b.lease);
}

// rootHex turns a base64 receipts root into hex ('' when empty or zero).
function rootHex(b64) {
  if (!b64) return '';
  const hex = [...atob(b64)].map((c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join('');
  return /^0*$/.test(hex) ? '' : hex;
}

// auditOf turns an audit into what pages show: its state, and each
// assigned auditor's verdict ('' until revealed) and what it found.
function auditOf(a) {
  const votes = a.votes || [];
  return {
    id: n(a.id), state: a.state || '', phase: a.phase || '', refunded: a.refunded || '0', slashed: a.slashed || '0',
    votes: (a.auditors || []).map((auditor, i) => {
      const v = votes[i] || {};
      return {
        auditor,
        verdict: n(v.revealed_height) ? String(v.verdict || '').replace(/^VERDICT_/, '') : '',
        committed: n(v.committed_height) > 0, detail: v.detail || '', missed: !!v.missed,
      };
    }),
  };
}

// capText writes one cap of a usage record compactly, as plain text (escape
// it for HTML): its kind, then what it changed, e.g.
// "lease_reserved (requests 1,000,000,000,000,000 → 60,000)". before and
// after are a quantity (lease_reserved, physical_*), a price in uqc per
// unit (price) or a charge in uqc (the others); either may be empty.
export function capText(c) {
  const group = (v) => {
    if (v === '' || v === undefined || v === null) return '—';
    const [int, frac = ''] = String(v).split('.');
    const f = frac.replace(/0+$/, ''); // LegacyDec writes 18 decimals
    return int.replace(/\B(?=(\d{3})+(?!\d))/g, ',') + (f ? '.' + f : '');
  };
  const per = { cpu: ' uqc per core-second', requests: ' uqc per 1,000', egress: ' uqc per GiB' };
  const unit = c.kind === 'price' ? per[c.component] || ' uqc' : c.component === 'usage' ? ' uqc' : '';
  return `${c.kind} (${c.component} ${group(c.before)} → ${group(c.after)}${unit})`;
}

// economics returns the service's escrow projection, or null.
export async function economics(service) {
  const e = await maybe(`v1/services/${enc(service)}/economics`);
  if (!e) return null;
  return {
    balance: e.balance, owed: e.owed, available: e.available,
    burnPerHour: e.burn_per_hour, hoursLeft: e.hours_left,
    burning: e.burning !== undefined ? !!e.burning : Number(e.burn_per_hour || 0) > 0,
    low: !!e.low, depleted: !!e.depleted,
  };
}

// earnings returns a sharer's total and its tallies by epoch and by
// service, or null. to_sharer = usage + rent − protocol_share.
export async function earnings(address) {
  const a = enc(address);
  const [byEpoch, byService] = await Promise.all([
    maybe(`v1/sharers/${a}/earnings?by=epoch`),
    maybe(`v1/sharers/${a}/earnings?by=service`),
  ]);
  if (!byEpoch && !byService) return null;
  const tally = (t) => ({
    service: t.service || '', epoch: n(t.epoch), records: n(t.records),
    usage: n(t.usage), rent: n(t.rent), protocolShare: n(t.protocol_share),
    earned: n(t.usage) + n(t.rent) - n(t.protocol_share),
  });
  const all = [...((byEpoch && byEpoch.sums) || []), ...((byService && byService.sums) || [])].map(tally);
  const total = tally((byEpoch || byService).total || {});
  return {
    total,
    byEpoch: all.filter((t) => t.epoch > 0 && !t.service),
    byService: all.filter((t) => t.service && !t.epoch),
    byEpochAndService: all.filter((t) => t.service && t.epoch > 0),
  };
}

// earnedSince sums what the sharers earned in epochs >= minEpoch, or
// returns null when the earnings endpoint is not served.
export async function earnedSince(addresses, minEpoch) {
  const all = await Promise.all(addresses.map((a) => maybe(`v1/sharers/${enc(a)}/earnings?by=epoch`).catch(() => null)));
  if (!all.some(Boolean)) return null;
  let sum = 0;
  for (const e of all) {
    for (const t of (e && e.sums) || []) {
      if (n(t.epoch) >= minEpoch) sum += n(t.usage) + n(t.rent) - n(t.protocol_share);
    }
  }
  return sum;
}
