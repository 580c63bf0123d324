import { EventEmitter } from 'node:events';

export type ConversationEventType =
  | 'reply'
  | 'deferred'
  | 'edit'
  | 'followup'
  | 'update'
  | 'deferred-update'
  | 'autocomplete'
  | 'modal'
  | 'no-response';

export interface StoredMessage {
  id: string;
  channel_id: string;
  content: string;
  embeds: Record<string, unknown>[];
  components: Record<string, unknown>[];
  flags: number;
  timestamp: string;
  edited_timestamp: string | null;
  /** Only this user sees it (ephemeral). */
  visibleTo?: string;
  /** A deferred reply's "Bot is thinking…" placeholder, not yet edited. */
  thinking?: boolean;
  /** Posted through an incoming webhook (as Alertmanager's discord_configs posts). */
  webhook_id?: string;
  /** A reply's reference to the message it answers (Discord's `message_reference`). */
  message_reference?: { type: 0; message_id: string; channel_id: string; guild_id: string };
  /** The poster's nonce, kept when it asked Discord to enforce it. */
  nonce?: string;
  /**
   * The `allowed_mentions` of the latest post or edit (absent: that request left Discord to
   * parse mentions from the content). Not part of Discord's message object; kept for checks.
   */
  allowedMentions?: Record<string, unknown>;
  /**
   * Whom the post notified: the mentions in its content that its `allowed_mentions` let through
   * (edits notify nobody, so an edit never changes this). Not part of Discord's message object.
   */
  pinged?: MessagePings;
}

export interface MessagePings {
  roles: string[];
  users: string[];
  everyone: boolean;
}

export interface ConversationEvent {
  seq: number;
  type: ConversationEventType;
  /** Milliseconds since the interaction was created. */
  at: number;
  ephemeral: boolean;
  message?: StoredMessage;
  choices?: unknown[];
  /** The modal the bot opened (custom_id, title, components). */
  modal?: unknown;
}

/** One slash command or button press, as the simulated user experiences it. */
export class SimInteraction extends EventEmitter {
  readonly events: ConversationEvent[] = [];
  acknowledged = false;
  timedOut = false;
  originalMessageId: string | null = null;
  /** A button press: the message the button is on. */
  componentMessageId: string | null = null;
  /** The form this interaction opened was submitted (Discord closes it). */
  modalSubmitted = false;
  private deadline: NodeJS.Timeout;

  constructor(
    readonly id: string,
    readonly token: string,
    readonly kind: 'command' | 'component' | 'autocomplete',
    readonly name: string,
    readonly userId: string,
    readonly channelId: string,
    readonly createdAt: number,
    readonly deadlineMs: number,
    readonly tokenLifetimeMs: number,
  ) {
    super();
    this.deadline = setTimeout(() => {
      if (!this.acknowledged) {
        this.timedOut = true;
        this.record('no-response', false);
      }
    }, deadlineMs);
    this.deadline.unref();
  }

  get expired(): boolean {
    return Date.now() - this.createdAt > this.tokenLifetimeMs;
  }

  acknowledge(): void {
    this.acknowledged = true;
    clearTimeout(this.deadline);
  }

  record(
    type: ConversationEventType,
    ephemeral: boolean,
    extra: Partial<ConversationEvent> = {},
  ): ConversationEvent {
    const event: ConversationEvent = {
      seq: this.events.length + 1,
      type,
      at: Date.now() - this.createdAt,
      ephemeral,
      ...extra,
      // A snapshot: later edits must not rewrite what the user saw at this point.
      ...(extra.message ? { message: structuredClone(extra.message) } : {}),
    };
    this.events.push(event);
    this.emit('event', event);
    return event;
  }

  /** Resolves once there are more than `after` events, or after `timeoutMs` with what there is. */
  waitForEvents(after: number, timeoutMs: number): Promise<ConversationEvent[]> {
    if (this.events.length > after) return Promise.resolve(this.events.slice(after));
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.off('event', done);
        resolve(this.events.slice(after));
      };
      const timer = setTimeout(done, timeoutMs);
      this.on('event', done);
    });
  }

  summary() {
    return {
      id: this.id,
      kind: this.kind,
      name: this.name,
      userId: this.userId,
      acknowledged: this.acknowledged,
      timedOut: this.timedOut,
      createdAt: this.createdAt,
    };
  }
}
