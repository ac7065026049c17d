// @ts-check
/**
 * A key's health (clientkeys, docs/gateway.md#key-health): when it last got through and was
 * refused, refusals by reason and what SDKs dropped themselves over 24 hours. The card uses it to
 * say when a key that no longer works is still being sent to, which usually means a deployment
 * still has the old DSN.
 */
import { api, enc, limited } from './api.js';
import { h } from './dom.js';
import { agoElement } from './widgets.js';

/** @typedef {import('./widgets.js').KeysPage} KeysPage */
/**
 * @typedef {{ lastAccepted: string | null, lastRefused: string | null, refused: Record<string, number>,
 *   clientDiscarded: Array<{ reason: string, category: string, quantity: number }> }} KeyHealth
 */

/** The key's health; undefined when the server has none (or it failed: the card works without it). */
export async function loadHealth(/** @type {KeysPage} */ page, /** @type {any} */ key) {
  try {
    const { json } = await limited(() => api('GET', `${page.keysPath}${enc(key.id)}/health/`));
    return json && typeof json === 'object' && json.refused ? /** @type {KeyHealth} */ (json) : undefined;
  } catch {
    return undefined;
  }
}

/** Why the key no longer works, or null while it does. */
function deadReason(/** @type {any} */ key) {
  // Expiry first: a rotation that ended also leaves the key inactive, and "rotated out" says more.
  if (key.dateExpires && new Date(key.dateExpires).getTime() <= Date.now()) return key.replacedBy ? 'rotated out' : 'expired';
  return key.isActive ? null : 'disabled';
}

/**
 * A key that no longer works but was sent to in the last 24 hours (the health counts cover 24
 * hours, so a refusal for disabled or expired there is recent): a badge for the header and an alert.
 * @returns {{ badge: HTMLElement, alert: HTMLElement } | null}
 */
export function stillInUse(/** @type {any} */ key, /** @type {KeyHealth | undefined} */ health) {
  const reason = deadReason(key);
  if (!reason || !health?.lastRefused) return null;
  const refusedAsDead = (health.refused.disabled ?? 0) + (health.refused.expired ?? 0);
  if (refusedAsDead === 0) return null;
  return {
    badge: h('span', { class: 'badge badge-alert', 'data-health': 'in-use-badge' }, 'disabled but still in use'),
    alert: h(
      'p',
      { class: 'alert', role: 'alert', 'data-health': 'in-use' },
      `This key is ${reason === 'disabled' ? 'disabled' : `${reason}, so effectively disabled,`} but still in use: `,
      `${refusedAsDead} ${refusedAsDead === 1 ? 'request was' : 'requests were'} refused in the last 24 hours, the last `,
      agoElement(health.lastRefused),
      '. Something still sends with this DSN: update it to a working key.',
    ),
  };
}
