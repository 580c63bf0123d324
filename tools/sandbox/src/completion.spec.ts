import { DiscordSimulator } from '@chatops/discord-sim';
import { completeLine } from './completion';

const TOKEN = 'completion-test-token'.padEnd(60, 'x');
let sim: DiscordSimulator;

beforeEach(async () => {
  sim = await new DiscordSimulator({ botToken: TOKEN, rateLimits: [] }).start();
  await fetch(
    `${sim.restUrl}/v10/applications/${sim.applicationId}/guilds/${sim.guildId}/commands`,
    {
      method: 'PUT',
      headers: { authorization: `Bot ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify([
        {
          name: 'deploy',
          description: 'Deploy',
          options: [
            { name: 'service', description: 's', type: 3, required: true, autocomplete: true },
            { name: 'env', description: 'e', type: 3, required: true, autocomplete: true },
            { name: 'ref', description: 'r', type: 3, required: true, autocomplete: true },
          ],
        },
        {
          name: 'infra',
          description: 'Infra',
          options: [
            {
              name: 'action',
              description: 'a',
              type: 3,
              required: true,
              choices: [
                { name: 'plan', value: 'plan' },
                { name: 'apply', value: 'apply' },
              ],
            },
          ],
        },
      ]),
    },
  );
});
afterEach(() => sim.stop());

/** Plays the bot: answers the next autocomplete interaction with these choices. */
async function answerAutocomplete(choices: { name: string; value: string }[]) {
  for (let i = 0; i < 200; i++) {
    const pending = [...sim.interactions.values()].find(
      (x) => x.kind === 'autocomplete' && !x.acknowledged,
    );
    if (pending) {
      await fetch(`${sim.restUrl}/v10/interactions/${pending.id}/${pending.token}/callback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 8, data: { choices } }),
      });
      return pending;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('no autocomplete interaction arrived');
}

const who = { user: 'user1', roles: ['developer'] };

describe('Tab in the console', () => {
  it('completes command names, then the options not yet given', async () => {
    expect(await completeLine(sim, who, '/de')).toEqual([['/deploy '], '/de']);
    expect(await completeLine(sim, who, '/deploy service:api ')).toEqual([['env:', 'ref:'], '']);
    expect(await completeLine(sim, who, '/deploy service:api r')).toEqual([['ref:'], 'r']);
    expect(await completeLine(sim, who, 'Approve')).toEqual([[], 'Approve']);
  });

  it('offers fixed choices without asking the bot', async () => {
    expect(await completeLine(sim, who, '/infra action:a')).toEqual([
      ['action:apply '],
      'action:a',
    ]);
    expect(sim.interactions.size).toBe(0);
  });

  it('asks the bot as Discord does (member, options so far, focused option) and offers its answer', async () => {
    const quiet = new Set<string>();
    const completing = completeLine(sim, who, '/deploy service:api env:staging ref:ma', quiet);
    const asked = await answerAutocomplete([
      { name: 'main (branch)', value: 'main' },
      { name: 'release 1 (tag)', value: 'release 1' },
    ]);
    expect(await completing).toEqual([['ref:main ', 'ref:"release 1" '], 'ref:ma']);
    expect(quiet.has(asked.id)).toBe(true);
    expect(asked.userId).toBe(sim.user('user1').id);
  });
});
