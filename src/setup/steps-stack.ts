import { createHash } from 'node:crypto';
import { setTimeout } from 'node:timers/promises';
import { COMPOSE_FILE_NAME, renderTraefikStack, RenderError, TRAEFIK_STACK_NAME } from '../apps/index.js';
import { DeckhandError } from '../errors.js';
import { shQuote } from '../ssh/shell.js';
import { lastLines } from '../ssh/remote-shell.js';
import { DECKHAND_DIR, STACKS_DIR, type StepContext, type SetupStep } from './types.js';

export const TRAEFIK_VOLUME = `${TRAEFIK_STACK_NAME}_letsencrypt`;

/** deckhand's directories (0700) and the volume that keeps Traefik's certificates across redeploys. */
export const volumesStep: SetupStep = {
  name: 'volumes',
  async check(c) {
    const wantVolume = c.components.has('traefik');
    const r = await c.shell.run(
      `[ -d ${STACKS_DIR} ] && [ "$(stat -c %a ${DECKHAND_DIR})" = 700 ] && echo dirs=ok; ` +
        (wantVolume ? `docker volume inspect ${TRAEFIK_VOLUME} >/dev/null 2>&1 && echo volume=ok; ` : '') +
        'true',
      { timeoutMs: 120_000 },
    );
    const dirs = r.stdout.includes('dirs=ok');
    const volume = !wantVolume || r.stdout.includes('volume=ok');
    const missing = [...(dirs ? [] : [STACKS_DIR]), ...(volume ? [] : [`volume ${TRAEFIK_VOLUME}`])];
    return {
      ok: missing.length === 0,
      detail: missing.length
        ? `missing: ${missing.join(', ')}`
        : `${STACKS_DIR}${wantVolume ? ` and volume ${TRAEFIK_VOLUME}` : ''} present`,
    };
  },
  async apply(c) {
    await c.shell.must(`mkdir -p ${STACKS_DIR} && chmod 700 ${DECKHAND_DIR} ${STACKS_DIR}`, `creating ${STACKS_DIR}`);
    if (c.components.has('traefik')) {
      // The label makes it the volume `docker stack deploy` would have created for the stack.
      await c.shell.must(
        `docker volume inspect ${TRAEFIK_VOLUME} >/dev/null 2>&1 || docker volume create --label com.docker.stack.namespace=${TRAEFIK_STACK_NAME} ${TRAEFIK_VOLUME}`,
        `creating volume ${TRAEFIK_VOLUME}`,
      );
    }
    return { detail: `created ${STACKS_DIR}${c.components.has('traefik') ? ` and volume ${TRAEFIK_VOLUME}` : ''}` };
  },
};

export function traefikPaths() {
  const dir = `${STACKS_DIR}/${TRAEFIK_STACK_NAME}`;
  return { dir, compose: `${dir}/${COMPOSE_FILE_NAME}` };
}

function rendered(c: StepContext) {
  const email = c.params.email ?? c.previous?.email;
  if (!email) {
    throw new DeckhandError('email_required', "Traefik needs an email address for its Let's Encrypt account.", {
      hint: 'Run setup-server again with "email": "you@example.com" (it is kept on the server for later runs).',
    });
  }
  try {
    const r = renderTraefikStack({ acmeEmail: email, ...(c.traefikImage ? { imageOverride: c.traefikImage } : {}) });
    const sha = createHash('sha256').update(r.compose).digest('hex');
    c.record.email = email;
    c.record.traefik = { image: r.plan.image, compose_sha256: sha, stack: TRAEFIK_STACK_NAME };
    return { ...r, sha };
  } catch (err) {
    if (err instanceof RenderError)
      throw new DeckhandError('invalid_argument', err.message, {
        hint: 'Check email (and DECKHAND_TRAEFIK_IMAGE, which must be a pinned image).',
      });
    throw err;
  }
}

const SERVICE = `${TRAEFIK_STACK_NAME}_traefik`;
const REPLICAS = `docker service ls --filter name=${SERVICE} --format '{{.Name}} {{.Replicas}}' 2>/dev/null | awk '$1=="${SERVICE}"{print $2}'`;

/** The Traefik stack: redeployed only when the rendered compose file differs from the one on the server or it is not 1/1. */
export const traefikStep: SetupStep = {
  name: 'traefik',
  component: 'traefik',
  async check(c) {
    const r = rendered(c);
    const { compose } = traefikPaths();
    const out = await c.shell.run(
      `echo "sha=$(sha256sum ${compose} 2>/dev/null | cut -d' ' -f1)"; echo "replicas=$(${REPLICAS})"`,
      { timeoutMs: 120_000 },
    );
    const sha = /sha=(\S*)/.exec(out.stdout)?.[1] ?? '';
    const replicas = /replicas=(\S*)/.exec(out.stdout)?.[1] ?? '';
    const same = sha === r.sha;
    if (same && replicas === '1/1') return { ok: true, detail: `${SERVICE} 1/1 running ${r.plan.image}` };
    const why = [
      same ? '' : sha ? 'compose file changed' : 'not deployed',
      replicas === '1/1' || !sha ? '' : `replicas ${replicas || 'none'}`,
    ].filter(Boolean);
    return { ok: false, detail: `${SERVICE}: ${why.join(', ') || `replicas ${replicas || 'none'}`}` };
  },
  async apply(c) {
    const r = rendered(c);
    const paths = traefikPaths();
    await c.shell.writeFile(paths.compose, r.compose, '0600');
    await c.shell.must(
      `cd ${shQuote(paths.dir)} && docker stack deploy --resolve-image never -c ${COMPOSE_FILE_NAME} ${TRAEFIK_STACK_NAME}`,
      'docker stack deploy traefik',
      { timeoutMs: 5 * 60_000 },
    );
    const limitS = r.plan.healthTimeoutSeconds + 90;
    const deadline = Date.now() + limitS * 1000;
    for (;;) {
      const rep = (await c.shell.run(REPLICAS)).stdout.trim();
      if (rep === '1/1') break;
      if (Date.now() > deadline) {
        const ps = await c.shell.run(
          `docker service ps --no-trunc --format '{{.CurrentState}} {{.Error}}' ${SERVICE} 2>&1 | head -5`,
          { timeoutMs: 120_000 },
        );
        throw new DeckhandError(
          'traefik_not_running',
          `${SERVICE} is ${rep || 'absent'} after ${limitS} s: ${lastLines(ps.stdout, 5)}`,
          {
            hint: `Check the service on the server (docker service ps --no-trunc ${SERVICE}; docker service logs ${SERVICE}); run setup-server again once fixed.`,
          },
        );
      }
      c.progress(`${SERVICE} ${rep || '0/1'}, waiting for 1/1`);
      await setTimeout(1000, undefined, { signal: c.signal });
    }
    return { detail: `deployed ${r.plan.image} (compose ${r.sha.slice(0, 12)}), ${SERVICE} 1/1` };
  },
};
