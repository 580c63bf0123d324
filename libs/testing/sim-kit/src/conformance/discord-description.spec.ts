import { DiscordDescription } from './discord-description';
import { ConformanceLedger, conformanceEnabled } from './ledger';

const description = DiscordDescription.load();
const user = {
  id: '1',
  username: 'ChatOps',
  discriminator: '0',
  global_name: null,
  avatar: null,
  public_flags: 0,
  flags: 0,
  primary_guild: null,
};
const message = {
  id: '2',
  channel_id: '3',
  type: 0,
  content: 'hi',
  author: user,
  mentions: [],
  mention_roles: [],
  attachments: [],
  embeds: [{ type: 'rich', title: 't', fields: [{ name: 'a', value: 'b', inline: false }] }],
  components: [],
  timestamp: '2026-12-04T10:00:00.000Z',
  edited_timestamp: null,
  flags: 0,
  pinned: false,
  mention_everyone: false,
  tts: false,
};

describe('DiscordDescription', () => {
  it('names operations by the description’s templates, the most specific first', () => {
    expect(description.checkRequest('POST', '/channels/3/messages', { content: 'x' })).toEqual({
      operation: 'POST /channels/{channel_id}/messages',
      problems: [],
    });
    expect(
      description.checkRequest('GET', '/webhooks/1/tok/messages/@original', undefined),
    ).toEqual({
      operation: 'GET /webhooks/{webhook_id}/{webhook_token}/messages/@original',
      problems: [],
    });
    expect(description.checkRequest('GET', '/_sim/state', undefined)).toBeNull();
  });

  it('holds a response to the schema of its status', () => {
    const path = '/channels/3/messages';
    expect(description.checkResponse('POST', path, 200, message)?.problems).toEqual([]);
    const { flags: _flags, ...author } = user;
    const problems = description.checkResponse('POST', path, 200, { ...message, author })?.problems;
    expect(problems).toEqual([expect.stringMatching(/^\.author\.flags: /)]);
    const untyped = { ...message, embeds: [{ title: 't' }] };
    expect(description.checkResponse('POST', path, 200, untyped)?.problems).toEqual([
      expect.stringMatching(/^\.embeds\[0\]\.type: /),
    ]);
  });

  it('knows which status an operation answers: a new thread is 201, not 200', () => {
    const thread = description.checkResponse('POST', '/channels/3/messages/2/threads', 200, {});
    expect(thread?.problems).toEqual([
      'status 200 is not one the operation answers (201, 429, 4XX)',
    ]);
  });

  it('holds errors to the error schema, reading field error codes as Discord sends them', () => {
    const invalid = {
      code: 50035,
      message: 'Invalid Form Body',
      errors: { content: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Too long.' }] } },
    };
    const path = '/channels/3/messages';
    expect(description.checkResponse('POST', path, 400, invalid)?.problems).toEqual([]);
    expect(description.checkResponse('POST', path, 400, { message: 'no code' })?.problems).toEqual([
      expect.stringMatching(/^\.code: /),
    ]);
    const limited = { message: 'You are being rate limited.', retry_after: 1.5, global: false };
    expect(description.checkResponse('POST', path, 429, { ...limited, code: 0 })?.problems).toEqual(
      [],
    );
  });

  it('refuses a request body the description refuses', () => {
    const tooMany = { content: 'x', embeds: Array.from({ length: 11 }, () => ({ title: 't' })) };
    expect(description.checkRequest('POST', '/channels/3/messages', tooMany)?.problems).toEqual([
      expect.stringMatching(/^\.embeds: /),
    ]);
  });
});

describe('ConformanceLedger', () => {
  it('counts conforming bodies, expected violations and the rest', () => {
    const ledger = new ConformanceLedger();
    const body = { api: 'discord' as const, direction: 'request' as const, operation: 'POST /x' };
    ledger.record({ ...body, problems: [] });
    ledger.expectViolation({ api: 'discord', operation: /^POST \/x$/, problem: /^\.a: / });
    ledger.record({ ...body, problems: ['.a: bad'] });
    ledger.record({ ...body, problems: ['.b: bad'] });
    ledger.clearExpectations();
    ledger.record({ ...body, problems: ['.a: bad'] });
    expect(ledger.summary()).toEqual({
      discord: { checked: 4, conforming: 1, expected: 1, unexpected: 2 },
    });
    expect(ledger.takeUnexpected().map((v) => v.problems)).toEqual([['.b: bad'], ['.a: bad']]);
    expect(ledger.takeUnexpected()).toEqual([]);
  });

  it('is on under Jest and where asked, off when told', () => {
    expect(conformanceEnabled({ JEST_WORKER_ID: '1' })).toBe(true);
    expect(conformanceEnabled({ CHATOPS_CONFORMANCE: '1' })).toBe(true);
    expect(conformanceEnabled({})).toBe(false);
    expect(conformanceEnabled({ JEST_WORKER_ID: '1', CHATOPS_CONFORMANCE: '0' })).toBe(false);
  });
});
