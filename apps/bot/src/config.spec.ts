import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '@chatops/config';
import {
  botConfigSchema,
  loadBotConfig,
  loadRegistrationConfig,
  registrationConfigSchema,
} from './config';

const SERVICE_TOKEN = 's'.repeat(40);
const DISCORD_TOKEN = 'MTIz.'.padEnd(72, 'd');

function problems(load: () => unknown): readonly string[] {
  try {
    load();
  } catch (error) {
    return (error as ConfigError).problems;
  }
  return [];
}

describe('bot configuration', () => {
  it('runs without a Discord token, on port 3001, against the local API by default', () => {
    const config = loadBotConfig({ API_SERVICE_TOKEN: SERVICE_TOKEN });
    expect(config).toMatchObject({
      PORT: 3001,
      API_URL: 'http://127.0.0.1:3000',
      DISCORD_API_URL: 'https://discord.com/api',
    });
    expect(config.DISCORD_TOKEN).toBeUndefined();
  });

  it('lists every problem, never the token', () => {
    const found = problems(() =>
      loadBotConfig({
        DISCORD_TOKEN: 'tooshort-token',
        DISCORD_GUILD_ID: 'general',
        API_URL: 'localhost',
      }),
    );
    expect(found).toEqual([
      'DISCORD_TOKEN: must be at least 50 characters',
      'DISCORD_GUILD_ID: must be a Discord id (17–20 digits)',
      'API_URL: must be an absolute URL',
      'API_SERVICE_TOKEN: is required',
    ]);
    expect(found.join('\n')).not.toContain('tooshort-token');
  });

  it('requires a token and an application id to register commands', () => {
    expect(problems(() => loadRegistrationConfig({}))).toEqual([
      'DISCORD_TOKEN: is required',
      'DISCORD_APPLICATION_ID: is required',
    ]);
    expect(
      loadRegistrationConfig({ DISCORD_TOKEN, DISCORD_APPLICATION_ID: '555555555555555555' })
        .DISCORD_GUILD_ID,
    ).toBeUndefined();
  });
});

describe('.env.example', () => {
  it('documents every variable the bot and the registration tool read', () => {
    const example = readFileSync(join(__dirname, '../../../.env.example'), 'utf8');
    const documented = new Set([...example.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]));
    const read = [
      ...Object.keys(botConfigSchema.shape),
      ...Object.keys(registrationConfigSchema.shape),
    ];
    expect(read.filter((key) => !documented.has(key))).toEqual([]);
  });
});
