// Network: totals, block rate, validators and their stake, sharers with
// capacity, use and status.

import { get } from '../api.js';
import { num, qc, qcBrief, cpu, bytes, badge, table, meter, sharerLink, esc, short, blockLink, ago, proposer } from '../fmt.js';
import { sections, fill, heading, stat } from '../view.js';
import { earnedSince } from '../economy.js';

export function mount(main) {
  heading(main, 'Network', 'The chain and the machines that share their capacity, as this node sees them at its last committed block.');
  const s = sections(main, [
    ['totals', ''],
    ['sharers', 'Sharers', 'Machines offering capacity. Use counts what their open leases reserve.'],
    ['validators', 'Validators', 'Accounts that run consensus, by stake.'],
    ['blocks', 'Latest blocks'],
  ]);
  return { refresh: () => refresh(s) };
}

// blockRate is blocks per second over the listed blocks.
export function blockRate(blocks) {
  if (blocks.length < 2) return 0;
  const a = blocks[blocks.length - 1], b = blocks[0];
  const dt = (new Date(b.time) - new Date(a.time)) / 1000;
  return dt > 0 ? (b.height - a.height) / dt : 0;
}

async function refresh(s) {
  const [status, vals, sharers, services, supply, blocks, epoch] = await Promise.all([
    get('v1/status'), get('v1/validators'), get('v1/sharers'), get('v1/services'), get('v1/supply'), get('v1/blocks?limit=20'), get('v1/epoch'),
  ]);
  const list = sharers.sharers || [];
  const leases = list.reduce((n, x) => n + Number(x.lease_count || 0), 0);
  const online = list.filter((x) => x.status === 'online' || x.status === 'active').length;
  const bonded = (vals.validators || []).filter((v) => v.status === 'bonded');
  const rate = blockRate(blocks.blocks || []);
  const live = (services.services || []).filter((x) => x.status !== 'deleted');
  // "This day": the epochs of the last 24 hours at the measured block rate.
  const epochSeconds = rate ? Number(epoch.blocks_per_epoch || 0) / rate : 0;
  const dayEpochs = epochSeconds ? Math.ceil(86400 / epochSeconds) : 0;
  const today = dayEpochs ? await earnedSince(list.map((x) => x.address), Math.max(0, Number(epoch.number) - dayEpochs + 1)) : null;
  fill(s.totals, '<div class="stats">' + [
    stat('block height', num(status.height), 'height', status.height),
    stat('blocks per second', rate ? rate.toFixed(2) : '—', 'block-rate', rate.toFixed(3), rate ? `one block every ${Math.round(1000 / rate)} ms over the last ${(blocks.blocks || []).length} blocks` : ''),
    stat('services', num(live.length), 'services-count', live.length, 'services not deleted'),
    stat('open leases', num(leases), 'leases-count', leases, 'replicas placed on sharers'),
    stat('sharers online', `${online} / ${list.length}`, 'sharers-count', list.length),
    stat('validators bonded', num(bonded.length), 'validators-count', bonded.length),
    stat('QCoin in escrow', qcBrief(supply.escrows), 'escrow', supply.escrows, 'deposited by services, not yet paid out'),
    stat('earned this day', today === null ? '—' : qcBrief(String(today)), 'earned-today', today ?? '', today === null ? 'no earnings served by this node yet' : `by all sharers over the last ${dayEpochs} epoch(s), about 24 hours`),
    stat('QCoin staked', qc(vals.bonded_tokens, 0), 'staked', vals.bonded_tokens),
    stat('total supply', qc(supply.total, 0), 'supply', supply.total),
  ].join('') + '</div>');

  fill(s.sharers, table(
    ['sharer', 'validator', 'status', 'CPU', 'memory', 'storage', 'leases', 'collateral', 'reported'],
    list.map((x) => [
      sharerLink(x.address),
      esc(((vals.validators || []).find((v) => v.account === x.address) || {}).moniker || '—'),
      badge(x.draining ? 'draining' : x.status),
      meter(x.used.milli_cpu, x.capacity.milli_cpu, `${cpu(x.used.milli_cpu).replace(/ cores$/, '')} / ${cpu(x.capacity.milli_cpu)}`),
      meter(x.used.memory_bytes, x.capacity.memory_bytes, `${bytes(x.used.memory_bytes)} / ${bytes(x.capacity.memory_bytes)}`),
      meter(x.used.storage_bytes, x.capacity.storage_bytes, `${bytes(x.used.storage_bytes)} / ${bytes(x.capacity.storage_bytes)}`),
      `<span data-k="lease-count">${num(x.lease_count)}</span>`,
      esc(qc(x.collateral, 2)),
      x.last_reported_epoch ? `<span title="last usage report">epoch ${num(x.last_reported_epoch)}</span>` : 'none yet',
    ]),
    'No sharers yet: a node offers its capacity with q1 sharer register.',
    (i) => ` data-sharer="${esc(list[i].address)}"`,
  ));

  const total = (vals.validators || []).reduce((n, v) => n + (v.status === 'bonded' ? Number(v.tokens) : 0), 0);
  fill(s.validators, table(
    ['moniker', 'operator', 'status', 'stake', 'share of stake', 'voting power'],
    (vals.validators || []).map((v) => [
      esc(v.moniker || '—'),
      `<a href="#/accounts/${esc(v.account)}" title="${esc(v.operator)}">${esc(short(v.operator, 14, 6))}</a>`,
      badge(v.jailed ? 'jailed' : v.status),
      esc(qc(v.tokens, 2)),
      v.status === 'bonded' && total ? (100 * Number(v.tokens) / total).toFixed(1) + '%' : '—',
      num(v.voting_power),
    ]),
    'No validators.',
    (i) => ` data-validator="${esc(vals.validators[i].operator)}"`,
  ));

  fill(s.blocks, table(
    ['height', 'time', 'txs', 'proposer'],
    (blocks.blocks || []).slice(0, 8).map((b) => [blockLink(b.height), esc(ago(b.time)), num(b.num_txs), proposer(b.proposer, vals.validators)]),
    'No blocks yet.',
  ) + '<p><a href="#/explorer">All recent blocks →</a></p>');
}
