import type { ClaimRequest } from './contract.js';

/** What admission needs of a queued job. */
export interface QueuedRow {
  readonly id: string;
  readonly server: string | null;
  readonly parent_id: string | null;
  readonly parallel_limit: number | null;
  readonly wave: number | null;
  readonly priority: number;
  readonly created_at: number;
  readonly not_before: number | null;
  readonly cancel_requested_at: number | null;
}

/** What admission needs of a running job. */
export interface RunningRow {
  readonly id: string;
  readonly server: string | null;
  readonly parent_id: string | null;
  readonly wave: number | null;
  readonly owner_instance: string | null;
}

const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
const origin = (j: { id: string; parent_id: string | null }) => j.parent_id ?? j.id;

/**
 * Picks the queued jobs a claim starts, in order, from every queued and running job (the claim holds the write lock,
 * or PostgreSQL's claim lock, so these are current). The order is the contract's: lowest effective priority first
 * (priority minus one per `agingMs` waited since the job could start), then round-robin by origin (an origin's
 * running jobs plus its queued jobs ahead of this one: a lone job queued behind a 200-child batch goes next), then
 * FIFO by id. Pure: both backends share it, and it is tested alone.
 */
export function pickAdmissible(
  queued: readonly QueuedRow[],
  running: readonly RunningRow[],
  req: ClaimRequest,
  agingMs: number,
): QueuedRow[] {
  const mine = running.filter((r) => r.owner_instance === req.instance.id).length;
  if (mine >= req.maxForInstance || req.max <= 0) return [];
  const perServer = new Map<string, number>();
  const perParent = new Map<string, number>();
  const perOrigin = new Map<string, number>();
  for (const r of running) {
    if (r.owner_instance === null) continue; // a batch parent: it holds no slot
    if (r.server !== null) bump(perServer, r.server);
    if (r.parent_id !== null) bump(perParent, r.parent_id);
    bump(perOrigin, origin(r));
  }
  // A child of wave n waits until no child of an earlier wave is queued or running.
  const lowestWave = new Map<string, number>();
  for (const j of [...queued, ...running]) {
    if (j.parent_id === null || j.wave === null) continue;
    lowestWave.set(j.parent_id, Math.min(lowestWave.get(j.parent_id) ?? j.wave, j.wave));
  }
  const eligible = queued.filter((j) => j.cancel_requested_at === null && (j.not_before ?? 0) <= req.now);
  const rank = new Map<string, number>();
  const seen = new Map<string, number>();
  for (const j of [...eligible].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    const o = origin(j);
    const k = seen.get(o) ?? 0;
    seen.set(o, k + 1);
    rank.set(j.id, (perOrigin.get(o) ?? 0) + k);
  }
  const effective = (j: QueuedRow) =>
    j.priority - Math.floor(Math.max(0, req.now - Math.max(j.created_at, j.not_before ?? 0)) / agingMs);
  const order = eligible
    .map((j) => ({ j, p: effective(j), r: rank.get(j.id) ?? 0 }))
    .sort((a, b) => a.p - b.p || a.r - b.r || (a.j.id < b.j.id ? -1 : 1));

  const picked: QueuedRow[] = [];
  let slots = req.maxForInstance - mine;
  for (const { j } of order) {
    if (picked.length >= req.max || slots <= 0) break;
    if (j.server !== null && (perServer.get(j.server) ?? 0) >= req.maxPerServer) continue;
    if (j.parent_id !== null) {
      if (j.parallel_limit !== null && (perParent.get(j.parent_id) ?? 0) >= j.parallel_limit) continue;
      if (j.wave !== null && j.wave > (lowestWave.get(j.parent_id) ?? j.wave)) continue;
      bump(perParent, j.parent_id);
    }
    if (j.server !== null) bump(perServer, j.server);
    picked.push(j);
    slots--;
  }
  return picked;
}
