import type { APIEmbed } from 'discord-api-types/v10';
import {
  outOfRotation,
  type EnvironmentStatus,
  type FleetStatus,
  type HostStatus,
  type ServiceStatus,
} from '@chatops/domain';
import { embedLength, formatDuration } from './deployment-message';
import { fitText, LIMITS, plainText } from './limits';

const GREEN = 0x2ecc71;
const AMBER = 0xf1c40f;
const RED = 0xe74c3c;

/**
 * `/status`: one embed per environment (hosts, then each service's desired version against what
 * every host runs, and its last deploy), marked where they disagree. Within Discord's limits
 * however many hosts and services there are.
 */
export function renderFleetStatus(
  status: FleetStatus,
  now: number = status.at,
): { content: string; embeds: APIEmbed[] } {
  const embeds: APIEmbed[] = [];
  let budget: number = LIMITS.embedTotal;
  const shown = status.environments.slice(0, LIMITS.embedsPerMessage);
  for (const environment of shown) {
    const embed = environmentEmbed(
      environment,
      now,
      Math.floor(budget / (shown.length - embeds.length)),
    );
    budget -= embedLength(embed);
    embeds.push(embed);
  }
  const drifting = status.environments.filter(
    (e) => e.error || e.services.some(drifts) || e.hosts.some(outOfRotation),
  );
  const content = drifting.length
    ? `⚠️ Fleet status: attention needed in ${drifting.map((e) => e.name).join(', ')}`
    : `✅ Fleet status: every host runs its desired versions`;
  return { content, embeds };
}

/**
 * What holds requests back there: the change freeze in force, then
 * "🔒 api locked by alice since <t:…:R>: investigating (until <t:…:t>)", one per lock.
 */
function lockLines(env: EnvironmentStatus): string {
  // Freeze text is the API's, from catalog names restricted to letters, digits and ` ._-`.
  const freeze = env.freeze ? [`❄️ ${env.freeze}: a new version needs an approver`] : [];
  const locks = (env.locks ?? []).map(
    (lock) =>
      `🔒 ${lock.service === '*' ? `all of ${env.name}` : lock.service} locked by ${plainText(lock.holder, 60)} since <t:${Math.floor(lock.acquiredAt / 1000)}:R>: ${plainText(lock.reason, 200)}${lock.expiresAt ? ` (until <t:${Math.floor(lock.expiresAt / 1000)}:t>)` : ''}`,
  );
  return [...freeze, ...locks].join('\n');
}

function environmentEmbed(env: EnvironmentStatus, now: number, budget: number): APIEmbed {
  const locks = lockLines(env);
  if (env.error)
    return {
      title: fitText(env.name, LIMITS.embedTitle),
      color: RED,
      description: fitText(
        `${locks ? `${locks}\n` : ''}⚠️ ${env.error}`,
        Math.min(LIMITS.embedDescription, budget - 100),
      ),
    };
  const entries = [
    {
      name: `Hosts (${env.hosts.length})`,
      value: env.hosts.length
        ? env.hosts.map((h) => hostLine(h, now)).join('\n')
        : 'no hosts found',
    },
    ...env.services.map((service) => ({
      name: `${drifts(service) ? '⚠️' : '✅'} ${service.name}`,
      value: serviceLines(service),
    })),
  ];
  // Each field gets an even share of what is left of the budget; what does not fit is counted.
  const fields: { name: string; value: string }[] = [];
  let left = budget - env.name.length - 80 - Math.min(1000, locks.length);
  for (const [index, entry] of entries.entries()) {
    const share = Math.floor(left / Math.min(entries.length - index, 25 - fields.length));
    const name = fitText(entry.name, LIMITS.fieldName);
    const room = Math.min(LIMITS.fieldValue, share - name.length);
    if (fields.length === 24 || room < 40) break;
    const value = fitText(entry.value, room);
    fields.push({ name, value });
    left -= name.length + value.length;
  }
  const omitted = entries.length - fields.length;
  const unhealthy = env.hosts.some(
    (h) => h.ssmPing !== 'Online' || h.state !== 'running' || outOfRotation(h),
  );
  return {
    title: fitText(env.name, LIMITS.embedTitle),
    color: env.services.some(drifts) || unhealthy ? AMBER : GREEN,
    ...(locks ? { description: fitText(locks, Math.min(1000, LIMITS.embedDescription)) } : {}),
    fields,
    ...(omitted
      ? { footer: { text: `${omitted} more not shown: ask /status env:${env.name}` } }
      : {}),
  };
}

function hostLine(host: HostStatus, now: number): string {
  const up = host.launchedAt ? `up ${formatDuration(now - Date.parse(host.launchedAt))}` : 'up ?';
  const ping = host.ssmPing === 'Online' ? 'SSM online' : `⚠️ SSM ${host.ssmPing}`;
  return `\`${host.id}\` ${host.state} · ${host.availabilityZone ?? '?'} · ${host.amiId ?? '?'} · ${up} · ${ping}${loadBalancerPart(host)}`;
}

/** Where the host stands behind the load balancer: in rotation, or why it is not. */
function loadBalancerPart(host: HostStatus): string {
  const lb = host.loadBalancer;
  if (!lb) return '';
  if (lb.error) return ` · ⚠️ load balancer unreadable (${plainText(lb.error, 120)})`;
  const lifecycle = plainText(lb.lifecycle ?? 'unknown', 40);
  if (lb.targetHealth === null)
    return lb.lifecycle === 'InService' ? '' : ` · ⚠️ ${lifecycle} in its group`;
  const target = plainText(lb.targetHealth, 40);
  if (!outOfRotation(host)) return ' · LB healthy';
  if (lb.lifecycle === 'Standby' || lb.lifecycle === 'EnteringStandby')
    return ` · ⚠️ out of service (${lifecycle}, target ${target})`;
  return ` · ⚠️ LB ${target} (${lifecycle})`;
}

function serviceLines(service: ServiceStatus): string {
  const desired = service.desired
    ? `desired \`${service.desired.value}\` (Parameter Store version ${service.desired.version}${service.desired.modifiedAt ? `, <t:${Math.floor(Date.parse(service.desired.modifiedAt) / 1000)}:R>` : ''})`
    : 'never deployed';
  const hosts = service.running.map((r) => {
    const differs = r.version !== (service.desired?.value ?? null);
    return `${differs ? '⚠️' : '·'} \`${r.instanceId}\`: ${r.version ? `\`${r.version}\`` : 'unknown'} ${r.health}`;
  });
  const lastDeploy = service.lastDeploy;
  // The requester, and whoever cancelled it when that was someone (else).
  const cancelledBy =
    lastDeploy?.status === 'cancelled' && lastDeploy.cancelledBy
      ? ` by ${plainText(lastDeploy.cancelledBy, 60)} (requested by ${plainText(lastDeploy.requestedBy, 60)})`
      : null;
  const last = lastDeploy
    ? `last: ${lastDeploy.kind} \`${lastDeploy.ref}\` ${lastDeploy.status}${cancelledBy ?? ` by ${plainText(lastDeploy.requestedBy, 60)}`} <t:${Math.floor(lastDeploy.at / 1000)}:R>`
    : 'last: none through the platform';
  return [desired, ...hosts, last].join('\n');
}

/** A service some host does not run at its desired version, or whose last redeploy failed there. */
function drifts(service: ServiceStatus): boolean {
  return service.running.some(
    (r) => r.version !== (service.desired?.value ?? null) || r.health === 'rolled back',
  );
}
