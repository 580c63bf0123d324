import { randomUUID } from 'node:crypto';

/**
 * The Auto Scaling group and ALB target group of each load-balanced environment, as the AWS Query
 * protocol shows them (`autoscaling` 2011-01-01, `elasticloadbalancing` 2015-12-01): lifecycle
 * states with standby (decrementing the desired capacity no lower than the minimum), targets
 * registered on ExitStandby and deregistered on EnterStandby, draining for the deregistration
 * delay, and health checks every interval that move a target between initial, healthy and
 * unhealthy after the thresholds, as the ALB does. Only healthy targets receive traffic.
 */

export type Lifecycle = 'Pending' | 'InService' | 'EnteringStandby' | 'Standby';
export type TargetState = 'initial' | 'healthy' | 'unhealthy' | 'draining' | 'unused';

export interface HealthCheck {
  intervalMs: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
}

export interface LoadBalancingOptions {
  project: string;
  region: string;
  accountId: string;
  /** The hosts of each load-balanced environment (all start in service and healthy). */
  hosts: Readonly<Record<string, readonly { id: string; availabilityZone: string }[]>>;
  /** How long a deregistered target drains (the ALB's deregistration delay; default 1 s). */
  deregistrationDelayMs?: number;
  /** Default: every 500 ms, 2 passes to become healthy, 2 failures to become unhealthy. */
  healthCheck?: HealthCheck;
  /** Whether a host answers the target group's health check now. */
  probe: (instanceId: string) => boolean | Promise<boolean>;
  onChange: () => void;
}

/** What `snapshot()` keeps of the groups (targets follow from the lifecycle on restore). */
export interface LoadBalancingState {
  groups: { name: string; desired: number; instances: Record<string, Lifecycle> }[];
}

interface Group {
  name: string;
  environment: string;
  arn: string;
  min: number;
  max: number;
  desired: number;
  targetGroupArn: string;
  instances: Map<string, { lifecycle: Lifecycle; availabilityZone: string }>;
}

interface Target {
  state: TargetState;
  passes: number;
  failures: number;
  drainedAt?: number;
}

export class QueryFault extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const AUTOSCALING_NS = 'http://autoscaling.amazonaws.com/doc/2011-01-01/';
const ELB_NS = 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/';
export const AUTOSCALING_VERSION = '2011-01-01';
export const ELB_VERSION = '2015-12-01';
/** The port the target group forwards to (the API's). */
const APP_PORT = 3000;

export class SimLoadBalancing {
  private readonly groups = new Map<string, Group>();
  /** Target group ARN → instance id → target. */
  private readonly targets = new Map<string, Map<string, Target>>();
  readonly deregistrationDelayMs: number;
  readonly healthCheck: HealthCheck;
  /** The health checks' clock; none without a load-balanced environment. */
  private readonly timer: NodeJS.Timeout | null;
  private checking = false;

  constructor(private readonly options: LoadBalancingOptions) {
    this.deregistrationDelayMs = options.deregistrationDelayMs ?? 1000;
    this.healthCheck = options.healthCheck ?? {
      intervalMs: 500,
      healthyThreshold: 2,
      unhealthyThreshold: 2,
    };
    for (const [environment, hosts] of Object.entries(options.hosts)) {
      const name = `${options.project}-${environment}-app`;
      const tgName = `${options.project}-${environment}-api`.slice(0, 32);
      const group: Group = {
        name,
        environment,
        arn: `arn:aws:autoscaling:${options.region}:${options.accountId}:autoScalingGroup:${randomUUID()}:autoScalingGroupName/${name}`,
        min: Math.max(hosts.length - 1, 0),
        max: hosts.length * 2,
        desired: hosts.length,
        targetGroupArn: `arn:aws:elasticloadbalancing:${options.region}:${options.accountId}:targetgroup/${tgName}/${randomUUID().replace(/-/g, '').slice(0, 16)}`,
        instances: new Map(),
      };
      const targets = new Map<string, Target>();
      for (const host of hosts) {
        group.instances.set(host.id, {
          lifecycle: 'InService',
          availabilityZone: host.availabilityZone,
        });
        targets.set(host.id, { state: 'healthy', passes: 0, failures: 0 });
      }
      this.groups.set(name, group);
      this.targets.set(group.targetGroupArn, targets);
    }
    this.timer = this.groups.size
      ? setInterval(() => void this.check(), this.healthCheck.intervalMs).unref()
      : null;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  snapshot(): LoadBalancingState {
    return {
      groups: [...this.groups.values()].map((g) => ({
        name: g.name,
        desired: g.desired,
        instances: Object.fromEntries([...g.instances].map(([id, i]) => [id, i.lifecycle])),
      })),
    };
  }

  /** Carries on from a snapshot: a host left on standby stays there, out of the target group. */
  restore(state: LoadBalancingState): void {
    for (const saved of state.groups) {
      const group = this.groups.get(saved.name);
      if (!group) continue;
      group.desired = saved.desired;
      const targets = this.targets.get(group.targetGroupArn);
      for (const [id, lifecycle] of Object.entries(saved.instances)) {
        const instance = group.instances.get(id);
        if (!instance || !targets) continue;
        // A transition under way when the state was saved has finished by now.
        instance.lifecycle = lifecycle === 'EnteringStandby' ? 'Standby' : lifecycle;
        if (instance.lifecycle === 'Pending') instance.lifecycle = 'InService';
        if (instance.lifecycle === 'Standby') targets.delete(id);
      }
    }
  }

  /** The group and target group of an environment, if it is load-balanced. */
  groupOf(environment: string): { name: string; targetGroupArn: string } | null {
    const group = [...this.groups.values()].find((g) => g.environment === environment);
    return group ? { name: group.name, targetGroupArn: group.targetGroupArn } : null;
  }

  /** The hosts of an environment's group on standby now. */
  standbyIn(environment: string): string[] {
    const group = [...this.groups.values()].find((g) => g.environment === environment);
    return [...(group?.instances ?? [])]
      .filter(([, i]) => i.lifecycle === 'Standby')
      .map(([id]) => id);
  }

  lifecycleOf(instanceId: string): Lifecycle | null {
    for (const group of this.groups.values()) {
      const instance = group.instances.get(instanceId);
      if (instance) return instance.lifecycle;
    }
    return null;
  }

  targetStateOf(instanceId: string): TargetState | null {
    for (const group of this.groups.values())
      if (group.instances.has(instanceId))
        return this.targets.get(group.targetGroupArn)?.get(instanceId)?.state ?? 'unused';
    return null;
  }

  /** The hosts the load balancer sends requests to now: its healthy targets. */
  routable(environment: string): string[] {
    const group = this.groupOf(environment);
    if (!group) return [];
    return [...(this.targets.get(group.targetGroupArn) ?? [])]
      .filter(([, target]) => target.state === 'healthy')
      .map(([id]) => id)
      .sort();
  }

  /** EnterStandby of one host, decrementing the desired capacity (what redeploy.sh asks); throws QueryFault. */
  enterStandby(groupName: string, instanceId: string): void {
    this.standby(this.group(groupName), [instanceId], true);
  }

  /** ExitStandby of one host; throws QueryFault. */
  exitStandby(groupName: string, instanceId: string): void {
    this.returnToService(this.group(groupName), [instanceId]);
  }

  /** Answers one Query-protocol call; throws QueryFault. */
  handle(version: string, action: string, form: URLSearchParams): string {
    if (version === AUTOSCALING_VERSION) return this.autoscaling(action, form);
    return this.elb(action, form);
  }

  static errorXml(version: string, fault: QueryFault): string {
    const ns = version === AUTOSCALING_VERSION ? AUTOSCALING_NS : ELB_NS;
    return `<ErrorResponse xmlns="${ns}"><Error><Type>Sender</Type><Code>${fault.code}</Code><Message>${xml(fault.message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`;
  }

  // ---- Auto Scaling ----

  private autoscaling(action: string, form: URLSearchParams): string {
    switch (action) {
      case 'DescribeAutoScalingInstances': {
        const ids = members(form, 'InstanceIds');
        const rows: string[] = [];
        for (const group of this.groups.values())
          for (const [id, instance] of group.instances)
            if (!ids.length || ids.includes(id))
              rows.push(
                `<member><InstanceId>${id}</InstanceId><InstanceType>t3.small</InstanceType><AutoScalingGroupName>${group.name}</AutoScalingGroupName><AvailabilityZone>${instance.availabilityZone}</AvailabilityZone><LifecycleState>${instance.lifecycle}</LifecycleState><HealthStatus>HEALTHY</HealthStatus><ProtectedFromScaleIn>false</ProtectedFromScaleIn></member>`,
              );
        return answer(
          AUTOSCALING_NS,
          action,
          `<AutoScalingInstances>${rows.join('')}</AutoScalingInstances>`,
        );
      }
      case 'DescribeAutoScalingGroups': {
        const names = members(form, 'AutoScalingGroupNames');
        const rows = [...this.groups.values()]
          .filter((g) => !names.length || names.includes(g.name))
          .map(
            (g) =>
              `<member><AutoScalingGroupName>${g.name}</AutoScalingGroupName><AutoScalingGroupARN>${g.arn}</AutoScalingGroupARN><MinSize>${g.min}</MinSize><MaxSize>${g.max}</MaxSize><DesiredCapacity>${g.desired}</DesiredCapacity><DefaultCooldown>300</DefaultCooldown><AvailabilityZones>${[
                ...new Set([...g.instances.values()].map((i) => i.availabilityZone)),
              ]
                .map((z) => `<member>${z}</member>`)
                .join(
                  '',
                )}</AvailabilityZones><TargetGroupARNs><member>${g.targetGroupArn}</member></TargetGroupARNs><HealthCheckType>ELB</HealthCheckType><HealthCheckGracePeriod>300</HealthCheckGracePeriod><Instances>${[
                ...g.instances,
              ]
                .map(
                  ([id, i]) =>
                    `<member><InstanceId>${id}</InstanceId><InstanceType>t3.small</InstanceType><AvailabilityZone>${i.availabilityZone}</AvailabilityZone><LifecycleState>${i.lifecycle}</LifecycleState><HealthStatus>Healthy</HealthStatus><ProtectedFromScaleIn>false</ProtectedFromScaleIn></member>`,
                )
                .join('')}</Instances><CreatedTime>2026-01-05T10:00:00.000Z</CreatedTime></member>`,
          );
        return answer(
          AUTOSCALING_NS,
          action,
          `<AutoScalingGroups>${rows.join('')}</AutoScalingGroups>`,
        );
      }
      case 'EnterStandby':
      case 'ExitStandby': {
        const group = this.group(form.get('AutoScalingGroupName') ?? '');
        const ids = members(form, 'InstanceIds');
        if (!ids.length)
          throw new QueryFault(400, 'ValidationError', 'At least one instance id is required.');
        const activities =
          action === 'EnterStandby'
            ? this.standby(group, ids, form.get('ShouldDecrementDesiredCapacity') === 'true')
            : this.returnToService(group, ids);
        return answer(
          AUTOSCALING_NS,
          action,
          `<Activities>${activities
            .map(
              (a) =>
                `<member><ActivityId>${randomUUID()}</ActivityId><AutoScalingGroupName>${group.name}</AutoScalingGroupName><Description>${xml(a)}</Description><Cause>${xml(`At ${new Date().toISOString()} ${a.toLowerCase()}.`)}</Cause><StartTime>${new Date().toISOString()}</StartTime><StatusCode>InProgress</StatusCode><Progress>50</Progress></member>`,
            )
            .join('')}</Activities>`,
        );
      }
      default:
        throw new QueryFault(400, 'InvalidAction', `The action ${action} is not valid`);
    }
  }

  private group(name: string): Group {
    const group = this.groups.get(name);
    if (!group)
      throw new QueryFault(400, 'ValidationError', `AutoScalingGroup name not found - ${name}`);
    return group;
  }

  private instanceOf(group: Group, id: string) {
    const instance = group.instances.get(id);
    if (!instance)
      throw new QueryFault(
        400,
        'ValidationError',
        `The instance ${id} is not part of Auto Scaling group ${group.name}.`,
      );
    return instance;
  }

  private standby(group: Group, ids: string[], decrement: boolean): string[] {
    for (const id of ids)
      if (this.instanceOf(group, id).lifecycle !== 'InService')
        throw new QueryFault(400, 'ValidationError', `The instance ${id} is not in InService.`);
    if (!decrement)
      // The group would launch a replacement for each: the platform never asks that.
      throw new QueryFault(
        400,
        'ValidationError',
        'The stand-in models standby with ShouldDecrementDesiredCapacity only.',
      );
    if (group.desired - ids.length < group.min)
      throw new QueryFault(
        400,
        'ValidationError',
        `Cannot decrement the desired capacity of ${group.name} below its minimum size ${group.min}.`,
      );
    group.desired -= ids.length;
    const targets = this.targets.get(group.targetGroupArn);
    for (const id of ids) {
      this.instanceOf(group, id).lifecycle = 'EnteringStandby';
      const target = targets?.get(id);
      if (target) {
        target.state = 'draining';
        target.drainedAt = Date.now() + this.deregistrationDelayMs;
      }
    }
    this.options.onChange();
    return ids.map((id) => `Moving EC2 instance to Standby: ${id}`);
  }

  private returnToService(group: Group, ids: string[]): string[] {
    for (const id of ids)
      if (this.instanceOf(group, id).lifecycle !== 'Standby')
        throw new QueryFault(400, 'ValidationError', `The instance ${id} is not in Standby.`);
    group.desired += ids.length;
    const targets = this.targets.get(group.targetGroupArn);
    for (const id of ids) {
      this.instanceOf(group, id).lifecycle = 'Pending';
      targets?.set(id, { state: 'initial', passes: 0, failures: 0 });
    }
    this.options.onChange();
    return ids.map((id) => `Moving EC2 instance out of Standby: ${id}`);
  }

  /** One round of the target group's health checks, and the transitions that are due. */
  private async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    let changed = false;
    try {
      for (const group of this.groups.values()) {
        const targets = this.targets.get(group.targetGroupArn);
        if (!targets) continue;
        for (const [id, target] of [...targets]) {
          const instance = group.instances.get(id);
          if (target.state === 'draining') {
            if ((target.drainedAt ?? 0) <= Date.now()) {
              targets.delete(id);
              if (instance?.lifecycle === 'EnteringStandby') instance.lifecycle = 'Standby';
              changed = true;
            }
            continue;
          }
          // A registered instance coming out of standby is in service once registered.
          if (instance?.lifecycle === 'Pending') {
            instance.lifecycle = 'InService';
            changed = true;
          }
          const passed = await Promise.resolve(this.options.probe(id)).catch(() => false);
          if (target.state !== targets.get(id)?.state) continue;
          if (passed) {
            target.passes += 1;
            target.failures = 0;
            if (target.state !== 'healthy' && target.passes >= this.healthCheck.healthyThreshold) {
              target.state = 'healthy';
              changed = true;
            }
          } else {
            target.failures += 1;
            target.passes = 0;
            if (
              target.state !== 'unhealthy' &&
              target.failures >= this.healthCheck.unhealthyThreshold
            ) {
              target.state = 'unhealthy';
              changed = true;
            }
          }
        }
      }
    } finally {
      this.checking = false;
    }
    if (changed) this.options.onChange();
  }

  // ---- ELBv2 ----

  private elb(action: string, form: URLSearchParams): string {
    if (action !== 'DescribeTargetHealth')
      throw new QueryFault(400, 'InvalidAction', `The action ${action} is not valid`);
    const arn = form.get('TargetGroupArn') ?? '';
    const targets = this.targets.get(arn);
    if (!targets)
      throw new QueryFault(400, 'TargetGroupNotFound', `Target groups '${arn}' not found`);
    const asked: string[] = [];
    for (let i = 1; form.has(`Targets.member.${i}.Id`); i++)
      asked.push(form.get(`Targets.member.${i}.Id`) ?? '');
    const ids = asked.length ? asked : [...targets.keys()].sort();
    const rows = ids.map((id) => {
      const target = targets.get(id);
      const state: TargetState = target?.state ?? 'unused';
      const reason = {
        initial: ['Elb.RegistrationInProgress', 'Target registration is in progress'],
        healthy: null,
        unhealthy: ['Target.FailedHealthChecks', 'Health checks failed'],
        draining: ['Target.DeregistrationInProgress', 'Target deregistration is in progress'],
        unused: ['Target.NotRegistered', 'Target is not registered to the target group'],
      }[state];
      return `<member><Target><Id>${xml(id)}</Id><Port>${APP_PORT}</Port></Target><HealthCheckPort>${APP_PORT}</HealthCheckPort><TargetHealth><State>${state}</State>${
        reason ? `<Reason>${reason[0]}</Reason><Description>${reason[1]}</Description>` : ''
      }</TargetHealth></member>`;
    });
    return answer(
      ELB_NS,
      action,
      `<TargetHealthDescriptions>${rows.join('')}</TargetHealthDescriptions>`,
    );
  }
}

/** `Name.member.1`, `Name.member.2`… of a Query-protocol form. */
function members(form: URLSearchParams, name: string): string[] {
  const values: string[] = [];
  for (let i = 1; form.has(`${name}.member.${i}`); i++)
    values.push(form.get(`${name}.member.${i}`) ?? '');
  return values;
}

function answer(ns: string, action: string, result: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${ns}"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`;
}

function xml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
