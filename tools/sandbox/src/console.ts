import { createInterface, type AsyncCompleter } from 'node:readline';
import {
  ConversationEvent,
  DiscordSimulator,
  parseCommandLine,
  renderEvent,
  renderMessage,
  SimInteraction,
  StoredMessage,
} from '@chatops/discord-sim';
import { completeLine } from './completion';
import type { GithubSimulator } from '@chatops/github-sim';
import type { AwsSimulator } from '@chatops/aws-sim';
import type { HealthSource } from './health-source';

interface Who {
  user: string;
  roles: string[];
}

const HELP = [
  'Type a slash command as you would in Discord:   /deploy service:api env:staging ref:main',
  "See the bot's suggestions for an option:        /deploy service:api env:staging ref:?   (or Tab)",
  'Act as someone else:                            as user2 deployer approver',
  'Press a button (newest message offering it):    Approve   (or [Approve])',
  'Press a button on an earlier message:           #12 Approve   (numbers as printed)',
  'List the recent messages and their buttons:     messages [count]',
  'Fill in the form the bot opened:                form confirmation:prod',
  'Make the next GitHub run fail:                  fail next [job] [step…]',
  'Make the next redeploy fail on a host:          fail host [instance-id]',
  'Fire an alert through Alertmanager:             fire ApiDown [env] [service]',
  'Resolve it:                                     resolve ApiDown',
  'Make a service unhealthy (Prometheus alerts):   unhealthy api staging',
  'Make it healthy again:                          healthy api staging',
  'Leave:                                          quit',
].join('\n');

/**
 * The interactive sandbox: you are a Discord member talking to the real bot through the
 * simulator. Replies are printed as they arrive (embeds as text, buttons as [Label]).
 */
export interface ConsoleOptions {
  sim: DiscordSimulator;
  github: GithubSimulator | null;
  aws: AwsSimulator | null;
  /** What the sandbox's Prometheus scrapes (null: no Prometheus). */
  health?: HealthSource | null;
  alertmanagerUrl: string | null;
  /** Alerts fired from an earlier console that have not been resolved (kept across restarts). */
  fired?: Record<string, Record<string, string>>;
  /** Told the fired alerts whenever they change. */
  saveFired?: (fired: Record<string, Record<string, string>>) => void;
  onQuit: () => void;
}

/** How often the console sends its firing alerts again, as Prometheus does while a rule holds. */
const RESEND_MS = 60_000;

export function openConsole({
  sim,
  github,
  aws,
  health = null,
  alertmanagerUrl,
  fired: saved = {},
  saveFired,
  onQuit,
}: ConsoleOptions): void {
  const fired = new Map<string, Record<string, string>>(Object.entries(saved));
  const firedChanged = () => saveFired?.(Object.fromEntries(fired));
  const postAlert = async (labels: Record<string, string>, resolved: boolean) => {
    const res = await fetch(`${alertmanagerUrl}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        {
          labels,
          annotations: {
            summary: `${labels['alertname']} fired from the sandbox console`,
            description: 'A test alert: `resolve` it from the console, or press Silence.',
            runbook_url: 'https://github.com/acme/chatops/blob/main/docs/runbooks.md',
          },
          ...(resolved ? { endsAt: new Date().toISOString() } : {}),
        },
      ]),
    });
    if (!res.ok) throw new Error(`Alertmanager answered ${res.status}: ${await res.text()}`);
  };
  // Prometheus keeps sending a firing alert; without that Alertmanager resolves it after its
  // resolve_timeout. The console stands in for Prometheus, restarts included.
  const resend = () => {
    for (const labels of fired.values())
      postAlert(labels, false).catch((error: unknown) =>
        print(`✖ could not send ${labels['alertname']} again: ${(error as Error).message}`),
      );
  };
  if (alertmanagerUrl) {
    resend();
    setInterval(resend, RESEND_MS).unref();
  }
  const who: Who = { user: 'user1', roles: ['developer'] };
  let lastModal: SimInteraction | null = null;
  // Autocomplete interactions Tab sent: readline shows their choices, so they are not printed.
  const quiet = new Set<string>();
  const complete: AsyncCompleter = (line, callback) => {
    completeLine(sim, who, line, quiet).then(
      (result) => callback(null, result),
      () => callback(null, [[], line]),
    );
  };
  const rl = createInterface({
    input: process.stdin,
    output: process.stdout,
    completer: complete,
  });
  const prompt = () => {
    rl.setPrompt(`${who.user}> `);
    rl.prompt();
  };
  const print = (text: string) => {
    process.stdout.write(`\r\x1b[K${text}\n`);
    prompt();
  };

  const numbered = (message: StoredMessage | undefined) =>
    message ? `#${sim.messageNumber(message.id)} ` : '';
  sim.on('conversation', (interaction: SimInteraction, event: ConversationEvent) => {
    if (interaction.userId !== sim.user(who.user).id && event.ephemeral) return;
    if (quiet.delete(interaction.id)) return;
    if (event.type === 'modal') lastModal = interaction;
    print(`${numbered(event.message)}${renderEvent(event)}`);
  });
  const channelMessage = (message: StoredMessage, updated: boolean) => {
    const pings = updated ? null : sim.pingNote(message);
    print(
      `${numbered(message)}ChatOps in ${sim.channelLabel(message.channel_id)}${updated ? ' (updated)' : ''} › ${renderMessage(
        message as never,
      )
        .split('\n')
        .join('\n    ')}${pings ? `\n    ${pings}` : ''}`,
    );
  };
  sim.on('message', (message: StoredMessage) => channelMessage(message, false));
  sim.on('message-update', (message: StoredMessage) => channelMessage(message, true));
  const labelsOf = (message: StoredMessage) =>
    (message.components as { components?: { label?: string; disabled?: boolean }[] }[]).flatMap(
      (row) => (row.components ?? []).filter((c) => c.label && !c.disabled).map((c) => c.label),
    );
  const newestOffering = (label: string) =>
    sim
      .numberedMessages(who.user)
      .reverse()
      .find(({ message }) =>
        labelsOf(message).some((l) => l?.toLowerCase() === label.toLowerCase()),
      );

  process.stdout.write(
    `\n${HELP}\nYou are ${who.user} (roles: ${who.roles.join(', ') || 'none'}).\n`,
  );
  prompt();
  rl.on('line', (input) => {
    const line = input.trim();
    try {
      if (!line) return prompt();
      if (line === 'quit' || line === 'exit') return rl.close();
      if (line === 'help') return print(HELP);
      if (line.startsWith('as ')) {
        const [user, ...roles] = line
          .slice(3)
          .trim()
          .split(/[\s,]+/);
        if (!user) return print('as <user> [roles…]');
        who.user = user;
        who.roles = roles;
        return print(`You are ${who.user} (roles: ${who.roles.join(', ') || 'none'}).`);
      }
      if (line.startsWith('/')) {
        const { command, options, focused } = parseCommandLine(line);
        if (focused)
          sim.autocomplete({ user: who.user, roles: who.roles, command, options, focused });
        else sim.invoke({ user: who.user, roles: who.roles, command, options });
        return;
      }
      if (line === 'messages' || line.startsWith('messages ')) {
        const count = Number(line.slice('messages'.length).trim() || 10);
        if (!Number.isInteger(count) || count < 1) return print('messages [count]');
        const list = sim.numberedMessages(who.user).slice(-count);
        if (!list.length) return print('No messages yet.');
        return print(
          list
            .map(
              ({ number, where, message }) =>
                `#${number} in ${where}${message.visibleTo ? ' (only you)' : ''} › ${renderMessage(
                  message as never,
                )
                  .split('\n')
                  .join('\n    ')}`,
            )
            .join('\n'),
        );
      }
      const byNumber = /^(?:press\s+)?#?(\d+)\s+(.+)$/.exec(line);
      if (byNumber) {
        const message = sim.messageByNumber(Number(byNumber[1]), who.user);
        if (!message)
          return print(
            `There is no message #${byNumber[1]} you can see (\`messages\` lists them).`,
          );
        sim.press(message.id, (byNumber[2] ?? '').replace(/^\[(.*)\]$/, '$1'), who);
        return;
      }
      if (line.startsWith('fail next')) {
        if (!github) return print('GitHub is real here: there is no stand-in to make fail.');
        const [job, ...step] = line.slice('fail next'.length).trim().split(/\s+/).filter(Boolean);
        github.failNext({
          ...(job ? { job } : {}),
          ...(step.length ? { step: step.join(' ') } : {}),
        });
        return print(
          `The next GitHub run fails${job ? ` in job ${job}` : ''}${step.length ? ` at "${step.join(' ')}"` : ''}.`,
        );
      }
      if (line.startsWith('fail host')) {
        if (!aws) return print('AWS is real here: there is no stand-in to make fail.');
        const instance = line.slice('fail host'.length).trim() || undefined;
        if (instance && !aws.hosts.some((h) => h.id === instance))
          return print(`No host ${instance} (hosts: ${aws.hosts.map((h) => h.id).join(', ')}).`);
        aws.failNext(instance);
        return print(
          `The next redeploy on ${instance ?? 'the last host it reaches'} comes up unhealthy and rolls back.`,
        );
      }
      if (line.startsWith('fire ') || line.startsWith('resolve ')) {
        if (!alertmanagerUrl)
          return print(
            'No Alertmanager here (install prometheus-alertmanager, or set ALERTMANAGER_URL).',
          );
        const [verb, name, environment, service] = line.split(/\s+/);
        if (!name) return print(`${verb} <alertname> [env] [service]`);
        const labels =
          verb === 'fire'
            ? {
                alertname: name,
                environment: environment ?? 'staging',
                severity: 'critical',
                instance: 'sandbox',
                ...(service ? { service } : {}),
              }
            : fired.get(name);
        if (!labels) return print(`${name} was not fired from this console.`);
        if (verb === 'fire') fired.set(name, labels);
        else fired.delete(name);
        firedChanged();
        postAlert(labels, verb === 'resolve').then(
          () =>
            print(
              `${verb === 'fire' ? 'Fired' : 'Resolved'} ${name} in Alertmanager: the message follows in a few seconds.`,
            ),
          (error: unknown) => print(`✖ ${(error as Error).message}`),
        );
        return;
      }
      if (/^(un)?healthy( |$)/.test(line)) {
        if (!health)
          return print('No Prometheus here (install prometheus, or leave PROMETHEUS_URL unset).');
        const [verb, service, environment] = line.split(/\s+/);
        if (!service || !environment) return print(`${verb} <service> <env>`);
        if (!health.set(service, environment, verb === 'healthy'))
          return print(`No ${service} on ${environment} in the catalog.`);
        return print(
          verb === 'healthy'
            ? `${service} on ${environment} is healthy again: its alert resolves within seconds.`
            : `${service} on ${environment} is unhealthy: Prometheus fires SandboxServiceUnhealthy within seconds (a bake there fails).`,
        );
      }
      if (line.startsWith('form ')) {
        if (!lastModal) return print('No form is open.');
        const { options } = parseCommandLine(`/form ${line.slice(5)}`);
        sim.submitModal(lastModal.id, options, who);
        lastModal = null;
        return;
      }
      const label = line.replace(/^\[(.*)\]$/, '$1');
      const target = newestOffering(label);
      if (!target)
        return print(
          `No message you can see offers [${label}] (type help for what the console takes).`,
        );
      sim.press(target.message.id, label, who);
    } catch (error) {
      print(`✖ ${(error as Error).message}`);
    }
  });
  rl.on('close', onQuit);
}
