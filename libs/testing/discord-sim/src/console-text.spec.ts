import {
  isFailure,
  modalInputs,
  parseCommandLine,
  renderChoices,
  renderEvent,
  renderModal,
} from './console-text';
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

describe('autocomplete and forms in text', () => {
  it('reads name:? and name:partial? as a request for suggestions', () => {
    expect(parseCommandLine('/deploy service:api env:staging ref:?')).toEqual({
      command: 'deploy',
      options: { service: 'api', env: 'staging', ref: '' },
      focused: 'ref',
    });
    expect(parseCommandLine('/deploy service:ap?').focused).toBe('service');
    expect(parseCommandLine('/deploy service:ap?').options).toEqual({ service: 'ap' });
    // A quoted question mark is a value like any other.
    expect(parseCommandLine('/note text:"why?"')).toEqual({
      command: 'note',
      options: { text: 'why?' },
    });
    expect(() => parseCommandLine('/deploy service:? env:?')).toThrow(
      "ask for one option's choices at a time (service:? and env:?)",
    );
  });

  it('shows suggestions as the picker lists them', () => {
    expect(
      renderChoices([
        { name: 'main', value: 'main' },
        { name: 'v1.4.0 (tag)', value: 'v1.4.0' },
      ]),
    ).toBe('  1. main\n  2. v1.4.0 (tag)  → v1.4.0');
    expect(renderChoices([])).toBe('(no suggestions)');
  });

  const modal = {
    custom_id: 'infra:destroy:staging',
    title: 'Destroy staging?',
    components: [
      {
        type: 1,
        components: [
          {
            type: 4,
            custom_id: 'confirmation',
            label: 'Type the environment name',
            required: true,
            max_length: 100,
          },
        ],
      },
      {
        type: 18,
        label: 'Why',
        component: {
          type: 4,
          custom_id: 'reason',
          style: 2,
          required: false,
          placeholder: 'cleanup',
        },
      },
    ],
  };

  it('reads text inputs in action rows and in labels', () => {
    expect(modalInputs(modal).map((i) => [i.custom_id, i.label])).toEqual([
      ['confirmation', 'Type the environment name'],
      ['reason', 'Why'],
    ]);
  });

  it('shows a form with its title, fields, their rules and how to answer', () => {
    expect(renderModal(modal, '--form')).toBe(
      [
        '┌ Form: Destroy staging?',
        '│ confirmation: Type the environment name (required, at most 100 characters)',
        '│ reason: Why (optional, paragraph) e.g. cleanup',
        '└ answer with: --form confirmation:… reason:…',
      ].join('\n'),
    );
    expect(
      renderEvent({ seq: 1, type: 'modal', at: 1, ephemeral: true, modal }, 'ChatOps', 'form'),
    ).toMatch(/^ChatOps \(only you\) opened a form:\n┌ Form: Destroy staging\?/);
  });
});
