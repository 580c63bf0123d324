import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CommandOutcome } from '@chatops/bot-commands';
import { createMetricsRegistry } from '@chatops/observability';
import type { GatewayState } from './gateway-state';

export interface BotMetrics {
  registry: Registry;
  observeCommand(command: string, outcome: CommandOutcome, seconds: number): void;
}

export function createBotMetrics(gateway: GatewayState, gatewayPingMs: () => number): BotMetrics {
  const registry = createMetricsRegistry('bot');
  new Gauge({
    name: 'discord_gateway_ready',
    help: '1 while the Discord gateway session is READY, else 0',
    registers: [registry],
    collect() {
      this.set(gateway.ready ? 1 : 0);
    },
  });
  new Gauge({
    name: 'discord_gateway_ping_seconds',
    help: 'Latest gateway heartbeat round trip in seconds (NaN before the first ack)',
    registers: [registry],
    collect() {
      const ms = gatewayPingMs();
      this.set(ms >= 0 ? ms / 1000 : Number.NaN);
    },
  });
  const commands = new Counter({
    name: 'bot_commands_total',
    help: 'Slash commands handled, by command and outcome (ok, error, denied, unknown)',
    labelNames: ['command', 'outcome'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'bot_command_duration_seconds',
    help: 'Time from receiving a slash command to its handler finishing',
    labelNames: ['command', 'outcome'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30],
    registers: [registry],
  });
  return {
    registry,
    observeCommand(command, outcome, seconds) {
      // Unknown names come from clients we do not control: one label for all of them.
      const label = outcome === 'unknown' ? '(unknown)' : command;
      commands.inc({ command: label, outcome });
      duration.observe({ command: label, outcome }, seconds);
    },
  };
}
