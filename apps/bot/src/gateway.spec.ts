import {
  Events,
  GuildMemberManager,
  MessageManager,
  PresenceManager,
  UserManager,
} from 'discord.js';
import pino from 'pino';
import type { CommandDispatcher } from '@chatops/bot-commands';
import type { MemberRoles } from '@chatops/domain';
import { createGatewayClient } from './gateway';
import { GatewayState } from './gateway-state';

function setUp() {
  const state = new GatewayState('connecting');
  const dispatched: { kind: string; name: string; roles?: MemberRoles }[] = [];
  const dispatcher = {
    dispatch: async (interaction: { commandName: string }, roles: MemberRoles) => {
      dispatched.push({ kind: 'command', name: interaction.commandName, roles });
      return 'ok';
    },
    dispatchAutocomplete: async (interaction: { commandName: string }) => {
      dispatched.push({ kind: 'autocomplete', name: interaction.commandName });
    },
    dispatchComponent: async (interaction: { customId: string }, roles: MemberRoles) => {
      dispatched.push({ kind: 'component', name: interaction.customId, roles });
      return 'ok';
    },
  } as unknown as CommandDispatcher;
  const client = createGatewayClient({
    restBaseUrl: 'http://127.0.0.1:9/api',
    state,
    dispatcher,
    logger: pino({ level: 'silent' }),
  });
  return { state, client, dispatched };
}

describe('gateway client', () => {
  it('asks for the Guilds intent only (no privileged intents)', () => {
    const { client } = setUp();
    expect(client.options.intents.toArray()).toEqual(['Guilds']);
    void client.destroy();
  });

  it("keeps its REST client within the bot's share of the token's budget, retrying on backoff", () => {
    const state = new GatewayState('connecting');
    const client = createGatewayClient({
      restBaseUrl: 'http://127.0.0.1:9/api',
      requestsPerSecond: 7,
      state,
      dispatcher: {} as CommandDispatcher,
      logger: pino({ level: 'silent' }),
    });
    expect(client.rest.options.globalRequestsPerSecond).toBe(7);
    // The transport retries 5xx with backoff (libs/shared/discord-rest); the client's immediate ones are off.
    expect(client.rest.options.retries).toBe(0);
    expect(client.rest.options.api).toBe('http://127.0.0.1:9/api');
    void client.destroy();
  });

  it('caps the caches that could grow with the server', () => {
    const { client } = setUp();
    const sizeOf = (manager: unknown) =>
      (
        client.options.makeCache!(manager as never, undefined as never, manager as never) as {
          maxSize?: number;
        }
      ).maxSize;
    expect(sizeOf(MessageManager)).toBe(0);
    expect(sizeOf(PresenceManager)).toBe(0);
    expect(sizeOf(GuildMemberManager)).toBe(200);
    expect(sizeOf(UserManager)).toBe(200);
    expect(client.options.sweepers).toHaveProperty('threads');
    void client.destroy();
  });

  it('tracks the session: ready, disconnected, reconnecting, resumed', () => {
    const { state, client } = setUp();
    client.emit(Events.ShardReady, 0, undefined);
    expect(state.current.status).toBe('ready');
    client.emit(Events.ShardDisconnect, { code: 4000 } as never, 0);
    expect(state.current).toMatchObject({ status: 'disconnected', reason: 'close code 4000' });
    client.emit(Events.ShardReconnecting, 0);
    expect(state.ready).toBe(false);
    client.emit(Events.ShardResume, 0, 3);
    expect(state.ready).toBe(true);
    void client.destroy();
  });

  it('routes commands, autocomplete, buttons and modal submits to the dispatcher, and ignores the rest', () => {
    const { client, dispatched } = setUp();
    const interaction = (kind: string, fields: object) => ({
      isChatInputCommand: () => kind === 'command',
      isAutocomplete: () => kind === 'autocomplete',
      isButton: () => kind === 'button',
      isModalSubmit: () => kind === 'modal',
      member: { roles: ['10', '11'] },
      ...fields,
    });
    client.emit(Events.InteractionCreate, interaction('command', { commandName: 'ping' }) as never);
    client.emit(
      Events.InteractionCreate,
      interaction('autocomplete', { commandName: 'deploy' }) as never,
    );
    client.emit(
      Events.InteractionCreate,
      interaction('button', { customId: 'deploy:approve:x' }) as never,
    );
    client.emit(
      Events.InteractionCreate,
      interaction('modal', { customId: 'infra-destroy:prod' }) as never,
    );
    client.emit(
      Events.InteractionCreate,
      interaction('select-menu', { customId: 'menu' }) as never,
    );
    expect(dispatched).toEqual([
      { kind: 'command', name: 'ping', roles: { ids: ['10', '11'] } },
      { kind: 'autocomplete', name: 'deploy' },
      { kind: 'component', name: 'deploy:approve:x', roles: { ids: ['10', '11'] } },
      { kind: 'component', name: 'infra-destroy:prod', roles: { ids: ['10', '11'] } },
    ]);
    void client.destroy();
  });
});
