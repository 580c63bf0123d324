import { isFailure, parseCommandLine, renderEvent } from './console-text';
import type { ConversationEvent } from './interaction';

const message = (content: string, extra = {}) => ({
  id: '1',
  channel_id: '2',
  content,
  embeds: [],
  components: [],
  flags: 0,
  timestamp: '',
  edited_timestamp: null,
  ...extra,
});

describe('parseCommandLine', () => {
  it('reads a command with options', () => {
    expect(parseCommandLine('/deploy service:api env:staging ref:main')).toEqual({
      command: 'deploy',
      options: { service: 'api', env: 'staging', ref: 'main' },
    });
  });

  it('reads quoted values and a bare command', () => {
    expect(parseCommandLine(`/note text:"two words" who:'me'`).options).toEqual({
      text: 'two words',
      who: 'me',
    });
    expect(parseCommandLine('  /help ')).toEqual({ command: 'help', options: {} });
  });

  it('explains what it cannot read', () => {
    expect(() => parseCommandLine('deploy api')).toThrow(/type a slash command/);
    expect(() => parseCommandLine('/deploy api')).toThrow(
      'cannot read "api": options are name:value (quote values with spaces)',
    );
  });
});

describe('renderEvent', () => {
  const event = (e: Partial<ConversationEvent>): ConversationEvent => ({
    seq: 1,
    type: 'reply',
    at: 5,
    ephemeral: false,
    ...e,
  });

  it('shows who answered, privately or not, and the message', () => {
    expect(renderEvent(event({ ephemeral: true, message: message('pong') }))).toBe(
      'ChatOps (only you) › pong',
    );
    expect(renderEvent(event({ type: 'edit', message: message('line 1\nline 2') }))).toBe(
      'ChatOps (edited) › line 1\n    line 2',
    );
    expect(renderEvent(event({ type: 'deferred' }))).toBe('ChatOps is thinking…');
    expect(renderEvent(event({ type: 'no-response' }))).toBe('✖ The application did not respond');
  });

  it('treats errors, refusals and silence as failures', () => {
    expect(isFailure(event({ message: message('⚠️ nope') }))).toBe(true);
    expect(isFailure(event({ message: message('⛔ You need the `deploy` permission') }))).toBe(
      true,
    );
    expect(isFailure(event({ type: 'no-response' }))).toBe(true);
    expect(isFailure(event({ message: message('🏓 Pong!') }))).toBe(false);
  });
});
