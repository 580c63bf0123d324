/**
 * The deploy workflows put the request id in their `run-name` (`… [<request id>]`), which is
 * how a run is found on servers that do not answer a dispatch with its run id.
 */
export function runNameMarker(requestId: string): string {
  return `[${requestId}]`;
}

export function runNameMentions(
  displayTitle: string | null | undefined,
  requestId: string,
): boolean {
  return (displayTitle ?? '').includes(runNameMarker(requestId));
}
