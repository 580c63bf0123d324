import { createInterface } from 'node:readline';
import {
  ConversationEvent,
  DiscordSimulator,
  parseCommandLine,
  renderEvent,
  renderMessage,
  SimInteraction,
  StoredMessage,
} from '@chatops/discord-sim';
import type { GithubSimulator } from '@chatops/github-sim';
import type { AwsSimulator } from '@chatops/aws-sim';

interface Who {
  user: string;
  roles: string[];
}

const HELP = [
  'Type a slash command as you would in Discord:   /deploy service:api env:staging ref:main',
  'Act as someone else:                            as user2 deployer approver',
  'Press a button of the last message:             Approve   (or [Approve])',
  'Fill in the form the bot opened:                form confirmation:prod',
  'Make the next GitHub run fail:                  fail next [job] [step…]',
  'Make the next redeploy fail on a host:          fail host [instance-id]',
  'Fire an alert through Alertmanager:             fire ApiDown [env] [service]',
  'Resolve it:                                     resolve ApiDown',
  'Leave:                                          quit',
].join('\n');

/**
 * The interactive sandbox: you are a Discord member talking to the real bot through the
 * simulator. Replies are printed as they arrive (embeds as text, buttons as [Label]).
 */
export function openConsole(
  sim: DiscordSimulator,
  github: GithubSimulator | null,
  aws: AwsSimulator | null,
  alertmanagerUrl: string | null,
  onQuit: () => void,
): void {
  const fired = new Map<string, Record<string, string>>();
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
  const who: Who = { user: 'user1', roles: ['developer'] };
  let lastWithButtons: StoredMessage | null = null;
  let lastModal: SimInteraction | null = null;
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  const prompt = () => {
    rl.setPrompt(`${who.user}> `);
    rl.prompt();
  };
  const print = (text: string) => {
    process.stdout.write(`\r\x1b[K${text}\n`);
    prompt();
  };

  sim.on('conversation', (interaction: SimInteraction, event: ConversationEvent) => {
    if (interaction.userId !== sim.user(who.user).id && event.ephemeral) return;
    if (event.type === 'modal') lastModal = interaction;
    if ((event.message?.components.length ?? 0) > 0 && event.message)
      lastWithButtons = sim.messages.get(event.message.id) ?? null;
    print(renderEvent(event));
  });
  sim.on('message', (message: StoredMessage) => {
    if (message.components.length > 0) lastWithButtons = message;
    print(
      `ChatOps in #ops › ${renderMessage(message as never)
        .split('\n')
        .join('\n    ')}`,
    );
  });
  sim.on('message-update', (message: StoredMessage) => {
    print(
      `ChatOps in #ops (updated) › ${renderMessage(message as never)
        .split('\n')
        .join('\n    ')}`,
    );
  });

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
        const { command, options } = parseCommandLine(line);
        sim.invoke({ user: who.user, roles: who.roles, command, options });
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
        postAlert(labels, verb === 'resolve').then(
          () =>
            print(
              `${verb === 'fire' ? 'Fired' : 'Resolved'} ${name} in Alertmanager: the message follows in a few seconds.`,
            ),
          (error: unknown) => print(`✖ ${(error as Error).message}`),
        );
        return;
      }
      if (line.startsWith('form ')) {
        if (!lastModal) return print('No form is open.');
        const { options } = parseCommandLine(`/form ${line.slice(5)}`);
        sim.submitModal(lastModal.id, options, who);
        lastModal = null;
        return;
      }
      const label = line.replace(/^\[(.*)\]$/, '$1');
      if (!lastWithButtons) return print('There is no message with buttons yet.');
      sim.press(lastWithButtons.id, label, who);
    } catch (error) {
      print(`✖ ${(error as Error).message}`);
    }
  });
  rl.on('close', onQuit);
}
