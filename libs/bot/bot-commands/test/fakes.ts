import pino from 'pino';
import type { ApiClient } from '@chatops/api-client';
import { catalogSchema } from '@chatops/domain';
import type { ChatInteraction, CommandServices, ComponentInteraction } from '../src/command';
import { createCommandRegistry } from '../src/index';
import type { CommandRegistry } from '../src/registry';

export interface Call {
  method:
    | 'reply'
    | 'deferReply'
    | 'editReply'
    | 'followUp'
    | 'showModal'
    | 'update'
    | 'deferUpdate';
  options: Record<string, unknown>;
  at: number;
}

/** A ChatInteraction that records what the bot sends, as Discord would receive it. */
export function fakeInteraction(
  commandName: string,
  options: Record<string, string> = {},
  behaviour: { failReplies?: boolean } = {},
): ChatInteraction &
  Required<Pick<ComponentInteraction, 'update' | 'deferUpdate'>> & { calls: Call[] } {
  const started = Date.now();
  const calls: Call[] = [];
  const state = { replied: false, deferred: false };
  const record = (method: Call['method']) => async (opts?: unknown) => {
    if (behaviour.failReplies) throw new Error('Discord is down');
    calls.push({
      method,
      options: (opts ?? {}) as Record<string, unknown>,
      at: Date.now() - started,
    });
    if (method === 'reply') state.replied = true;
    if (method === 'deferReply') state.deferred = true;
    return undefined;
  };
  return {
    id: 'interaction-1',
    commandName,
    user: { id: '222222222222222222', username: 'alice' },
    guildId: '333333333333333333',
    channelId: '444444444444444444',
    get replied() {
      return state.replied;
    },
    get deferred() {
      return state.deferred;
    },
    options: {
      getString: (name: string) => options[name] ?? null,
      getInteger: (name: string) => (options[name] === undefined ? null : Number(options[name])),
    },
    reply: record('reply'),
    deferReply: record('deferReply'),
    editReply: record('editReply'),
    followUp: record('followUp'),
    showModal: record('showModal'),
    update: record('update'),
    deferUpdate: record('deferUpdate'),
    calls,
  };
}

/** A button press (or modal submit with `fields`) recording what the bot sends. */
export function fakeComponent(
  customId: string,
  fields: Record<string, string> | null = null,
  user = { id: '222222222222222222', username: 'alice' },
): ComponentInteraction & { calls: Call[] } {
  const base = fakeInteraction('component');
  return {
    id: 'component-1',
    customId,
    user,
    guildId: base.guildId,
    channelId: base.channelId,
    reply: base.reply,
    deferReply: base.deferReply,
    editReply: base.editReply,
    followUp: base.followUp,
    // A button is on a message; a modal submitted from a slash command is not.
    ...(fields ? {} : { update: base.update, deferUpdate: base.deferUpdate }),
    ...(fields ? { fields: { getTextInputValue: (id: string) => fields[id] ?? '' } } : {}),
    calls: base.calls,
  };
}

export const catalog = catalogSchema.parse({
  project: 'chatops',
  github: { owner: 'acme', repo: 'chatops' },
  services: [
    {
      name: 'api',
      workflow: 'deploy.yml',
      image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/api',
      healthUrl: 'https://{environment}.example.com/health',
    },
  ],
  environments: [{ name: 'staging' }, { name: 'prod', requiresApproval: true }],
  roles: { deployer: { staging: ['deploy'] }, developer: { '*': ['view'] }, sre: { '*': ['*'] } },
});

export function fakeServices(
  overrides: { api?: Partial<ApiClient>; registry?: CommandRegistry; gatewayPing?: number } = {},
): CommandServices & { audited: unknown[]; requests: unknown[] } {
  const audited: unknown[] = [];
  const requests: unknown[] = [];
  const api = {
    ping: async () => ({ roundTripMs: 12.4 }),
    listAudit: async ({ limit }: { limit: number }) =>
      Array.from({ length: Math.min(limit, 3) }, (_, i) => ({
        id: 3 - i,
        occurredAt: 1_763_700_000_000 + i,
        actor: { id: '1', name: i ? 'bob' : 'alice' },
        action: 'deploy',
        outcome: i ? 'denied' : 'succeeded',
        service: 'api',
        environment: 'prod',
        source: null,
        detail: {},
      })),
    requestDeployment: async (body: unknown) => {
      requests.push(body);
      return {
        outcome: 'dispatched',
        deployment: {
          id: '0f8fad5b-d9cb-469f-a165-70867728950e',
          kind: 'deploy',
          service: 'api',
          environment: 'staging',
          ref: 'main',
          status: 'dispatched',
          requestedBy: { id: '222222222222222222', name: 'alice' },
          runId: '9001',
          runUrl: 'https://github.com/acme/chatops/actions/runs/9001',
          error: null,
          createdAt: 0,
          finishedAt: null,
          approvalsRequired: 0,
          expiresAt: null,
        },
      };
    },
    recordAudit: async (event: unknown) => {
      audited.push(event);
      return event;
    },
    // Calls made on a member's behalf reach the same fake.
    onBehalfOf: () => api,
    ...overrides.api,
  } as unknown as ApiClient;
  return {
    api,
    catalog,
    registry: overrides.registry ?? createCommandRegistry(),
    gatewayPing: () => overrides.gatewayPing ?? 42,
    audited,
    requests,
  };
}

export const silentLogger = pino({ level: 'silent' });
