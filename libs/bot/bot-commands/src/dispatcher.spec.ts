import { MessageFlags, SlashCommandBuilder } from 'discord.js';
import { catalog, fakeComponent, fakeInteraction, fakeServices, silentLogger } from '../test/fakes';
import { BotCommand, CommandError, ComponentHandler } from './command';
import { CommandDispatcher, NO_PINGS } from './dispatcher';
import { CommandRegistry } from './registry';

function command(
  name: string,
  execute: BotCommand['execute'],
  extra: Partial<BotCommand> = {},
): BotCommand {
  return {
    data: new SlashCommandBuilder().setName(name).setDescription(`${name} things`),
    permission: null,
    ephemeral: false,
    execute,
    ...extra,
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const member = { ids: ['1'], names: ['deployer'] };

describe('CommandDispatcher', () => {
  it('tells the user about an unknown command, ephemerally', async () => {
    const services = fakeServices();
    const interaction = fakeInteraction('launch');
    const outcome = await new CommandDispatcher(services, silentLogger).dispatch(
      interaction,
      member,
    );
    expect(outcome).toBe('unknown');
    expect(interaction.calls).toEqual([
      expect.objectContaining({
        method: 'reply',
        options: {
          content: '⚠️ Unknown command `/launch`. `/help` lists the commands this bot serves.',
          flags: MessageFlags.Ephemeral,
          allowedMentions: NO_PINGS,
        },
      }),
    ]);
  });

  it('refuses a member without the permission for that environment and audits the refusal', async () => {
    let ran = false;
    const deploy = command('deploy', async () => void (ran = true), {
      permission: 'deploy',
      environmentOption: 'env',
    });
    const services = fakeServices({ registry: new CommandRegistry([deploy]) });
    const interaction = fakeInteraction('deploy', { env: 'prod' });
    const outcome = await new CommandDispatcher(services, silentLogger).dispatch(
      interaction,
      member,
    );
    await sleep(0);
    expect(outcome).toBe('denied');
    expect(ran).toBe(false);
    expect(interaction.calls[0]?.options).toEqual({
      content:
        '⛔ You need the `deploy` permission on `prod` to use `/deploy`. Ask an admin to grant it to one of your roles.',
      flags: MessageFlags.Ephemeral,
      allowedMentions: NO_PINGS,
    });
    expect(services.audited).toEqual([
      {
        actor: { id: '222222222222222222', name: 'alice' },
        action: 'deploy',
        outcome: 'denied',
        environment: 'prod',
        source: 'discord:guild/333333333333333333/channel/444444444444444444',
        detail: { permission: 'deploy' },
      },
    ]);
  });

  it('refuses options outside the command’s definition before anything runs, and audits it', async () => {
    let ran = false;
    const infra = command('infra', async () => void (ran = true), {
      data: new SlashCommandBuilder()
        .setName('infra')
        .setDescription('infra things')
        .addStringOption((o) =>
          o
            .setName('action')
            .setDescription('a')
            .setRequired(true)
            .addChoices({ name: 'plan', value: 'plan' }, { name: 'apply', value: 'apply' }),
        )
        .addStringOption((o) => o.setName('note').setDescription('n').setMaxLength(10))
        .addIntegerOption((o) =>
          o.setName('count').setDescription('c').setMinValue(1).setMaxValue(25),
        ) as never,
    });
    const services = fakeServices({ registry: new CommandRegistry([infra]) });
    // What Discord's client would never send; a hand-made interaction can.
    const interaction = fakeInteraction('infra', {
      action: 'nuke`\u0000',
      note: 'x'.repeat(11),
      count: '1000',
    });
    const outcome = await new CommandDispatcher(services, silentLogger).dispatch(
      interaction,
      member,
    );
    await sleep(0);
    expect(outcome).toBe('invalid');
    expect(ran).toBe(false);
    const problems = [
      '`action` must be one of `plan`, `apply` (got `nuke`)',
      '`note` must be at most 10 characters (got 11)',
      '`count` must be a whole number from 1 to 25 (got `1000`)',
    ];
    expect(interaction.calls[0]?.options).toEqual({
      content: `⚠️ Invalid options for \`/infra\`: ${problems.join('; ')}.`,
      flags: MessageFlags.Ephemeral,
      allowedMentions: NO_PINGS,
    });
    expect(services.audited).toEqual([
      expect.objectContaining({ action: 'infra', outcome: 'rejected', detail: { problems } }),
    ]);

    const missing = fakeInteraction('infra', {});
    expect(await new CommandDispatcher(services, silentLogger).dispatch(missing, member)).toBe(
      'invalid',
    );
    expect(missing.calls[0]?.options['content']).toBe(
      '⚠️ Invalid options for `/infra`: `action` is required.',
    );
  });

  it('runs the handler for a member with the permission', async () => {
    const deploy = command('deploy', (ctx) => ctx.reply('deploying'), {
      permission: 'deploy',
      environmentOption: 'env',
    });
    const services = fakeServices({ registry: new CommandRegistry([deploy]) });
    const interaction = fakeInteraction('deploy', { env: 'staging' });
    expect(await new CommandDispatcher(services, silentLogger).dispatch(interaction, member)).toBe(
      'ok',
    );
    expect(interaction.calls.map((c) => [c.method, c.options['content']])).toEqual([
      ['reply', 'deploying'],
    ]);
    expect(catalog.roles['deployer']).toBeDefined();
  });

  it('defers a slow handler before Discord gives up, then edits the deferred reply', async () => {
    const slow = command('slow', async (ctx) => {
      await sleep(150);
      await ctx.reply('done');
      await ctx.reply('and one more thing');
    });
    const services = fakeServices({ registry: new CommandRegistry([slow]) });
    const interaction = fakeInteraction('slow');
    await new CommandDispatcher(services, silentLogger, { deferAfterMs: 50 }).dispatch(
      interaction,
      member,
    );
    expect(interaction.calls.map((c) => c.method)).toEqual(['deferReply', 'editReply', 'followUp']);
    expect(interaction.calls[1]!.options).toEqual({ content: 'done', allowedMentions: NO_PINGS });
  });

  it('answers an updating button by editing its message: at once, or deferred then edited; refusals beside it', async () => {
    const handler = (delayMs: number, fail = false): ComponentHandler => ({
      prefix: 'confirm:',
      ephemeral: true,
      updatesItsMessage: true,
      async execute(ctx) {
        await sleep(delayMs);
        if (fail) throw new CommandError('already answered');
        await ctx.reply('answered');
      },
    });
    const run = async (h: ComponentHandler) => {
      const services = fakeServices({ registry: new CommandRegistry([], [h]) });
      const press = fakeComponent('confirm:yes');
      await new CommandDispatcher(services, silentLogger, { deferAfterMs: 30 }).dispatchComponent(
        press,
        member,
      );
      // Every answer says whom it may ping: nobody.
      for (const call of press.calls.filter((c) => c.method !== 'deferUpdate'))
        expect(call.options['allowedMentions']).toEqual(NO_PINGS);
      return press.calls.map((c) => [
        c.method,
        c.options['content'] ?? null,
        c.options['flags'] ?? null,
      ]);
    };
    expect(await run(handler(0))).toEqual([['update', 'answered', null]]);
    expect(await run(handler(80))).toEqual([
      ['deferUpdate', null, null],
      ['editReply', 'answered', null],
    ]);
    expect(await run(handler(0, true))).toEqual([
      ['reply', '⚠️ already answered', MessageFlags.Ephemeral],
    ]);
    expect(await run(handler(80, true))).toEqual([
      ['deferUpdate', null, null],
      ['followUp', '⚠️ already answered', MessageFlags.Ephemeral],
    ]);
  });

  it('does not defer a handler that answers in time', async () => {
    const quick = command('quick', (ctx) => ctx.reply('hi'));
    const services = fakeServices({ registry: new CommandRegistry([quick]) });
    const interaction = fakeInteraction('quick');
    await new CommandDispatcher(services, silentLogger, { deferAfterMs: 30 }).dispatch(
      interaction,
      member,
    );
    await sleep(60);
    expect(interaction.calls.map((c) => c.method)).toEqual(['reply']);
  });

  it('keeps deferral and ephemerality consistent for ephemeral commands', async () => {
    const slow = command(
      'slow',
      async (ctx) => {
        await sleep(80);
        await ctx.reply('secret');
      },
      { ephemeral: true },
    );
    const services = fakeServices({ registry: new CommandRegistry([slow]) });
    const interaction = fakeInteraction('slow');
    await new CommandDispatcher(services, silentLogger, { deferAfterMs: 20 }).dispatch(
      interaction,
      member,
    );
    expect(interaction.calls[0]).toMatchObject({
      method: 'deferReply',
      options: { flags: MessageFlags.Ephemeral },
    });
  });

  it('answers a throwing handler with an ephemeral error and a log reference, and survives', async () => {
    const broken = command('broken', async () => {
      throw new Error('database password is hunter2');
    });
    const services = fakeServices({ registry: new CommandRegistry([broken]) });
    const interaction = fakeInteraction('broken');
    const dispatcher = new CommandDispatcher(services, silentLogger);
    expect(await dispatcher.dispatch(interaction, member)).toBe('error');
    const reply = interaction.calls[0]!;
    expect(reply.method).toBe('reply');
    expect(reply.options['flags']).toBe(MessageFlags.Ephemeral);
    expect(reply.options['content']).toMatch(
      /^⚠️ `\/broken` failed unexpectedly\. The error is logged with reference `[0-9a-f]{8}`\.$/,
    );
    expect(String(reply.options['content'])).not.toContain('hunter2');
    // The next interaction is served normally.
    const again = fakeInteraction('help');
    expect(await new CommandDispatcher(fakeServices(), silentLogger).dispatch(again, member)).toBe(
      'ok',
    );
  });

  it('shows a CommandError message as it is', async () => {
    const picky = command('picky', async () => {
      throw new CommandError('Ref `main;rm` is not a valid git ref.');
    });
    const services = fakeServices({ registry: new CommandRegistry([picky]) });
    const interaction = fakeInteraction('picky');
    await new CommandDispatcher(services, silentLogger).dispatch(interaction, member);
    expect(interaction.calls[0]?.options).toEqual({
      content: '⚠️ Ref `main;rm` is not a valid git ref.',
      flags: MessageFlags.Ephemeral,
      allowedMentions: NO_PINGS,
    });
  });

  it('edits the deferred reply with the error when a deferred handler fails', async () => {
    const late = command('late', async () => {
      await sleep(60);
      throw new CommandError('nope');
    });
    const services = fakeServices({ registry: new CommandRegistry([late]) });
    const interaction = fakeInteraction('late');
    await new CommandDispatcher(services, silentLogger, { deferAfterMs: 10 }).dispatch(
      interaction,
      member,
    );
    expect(interaction.calls.map((c) => c.method)).toEqual(['deferReply', 'editReply']);
    expect(interaction.calls[1]?.options).toEqual({
      content: '⚠️ nope',
      embeds: [],
      components: [],
      allowedMentions: NO_PINGS,
    });
  });

  it('does not throw when Discord rejects the reply itself', async () => {
    const interaction = fakeInteraction('nothing-here', {}, { failReplies: true });
    await expect(
      new CommandDispatcher(fakeServices(), silentLogger).dispatch(interaction, member),
    ).resolves.toBe('unknown');
  });

  it('reports each outcome with its duration', async () => {
    const seen: [string, string][] = [];
    const dispatcher = new CommandDispatcher(fakeServices(), silentLogger, {
      observe: (name, outcome, seconds) => {
        expect(seconds).toBeGreaterThanOrEqual(0);
        seen.push([name, outcome]);
      },
    });
    await dispatcher.dispatch(fakeInteraction('help'), member);
    await dispatcher.dispatch(fakeInteraction('nope'), member);
    expect(seen).toEqual([
      ['help', 'ok'],
      ['nope', 'unknown'],
    ]);
  });
});
