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
  const dispatched: { name: string; roles: MemberRoles }[] = [];
  const dispatcher = {
    dispatch: async (interaction: { commandName: string }, roles: MemberRoles) => {
      dispatched.push({ name: interaction.commandName, roles });
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

  it('hands chat-input commands to the dispatcher with the member roles, and ignores other interactions', () => {
    const { client, dispatched } = setUp();
    client.emit(Events.InteractionCreate, {
      isChatInputCommand: () => true,
      commandName: 'ping',
      member: { roles: ['10', '11'] },
    } as never);
    client.emit(Events.InteractionCreate, {
      isChatInputCommand: () => false,
      commandName: 'button',
    } as never);
    expect(dispatched).toEqual([{ name: 'ping', roles: { ids: ['10', '11'] } }]);
    void client.destroy();
  });
});
