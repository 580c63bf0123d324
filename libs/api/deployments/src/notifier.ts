/** Told whenever a deployment changed, so the channel message showing it can be re-rendered. */
export interface DeploymentNotifier {
  changed(deploymentId: string): void;
}

/** When no Discord connection is configured: state changes are still recorded and audited. */
export const silentNotifier: DeploymentNotifier = { changed: () => undefined };
